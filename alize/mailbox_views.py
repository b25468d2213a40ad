"""The /mailbox/ pages: the local SMTP server's mailbox, for national coordinators, only
where ``settings.DEMO_MAILBOX_DIR`` is set (local settings); a 404 everywhere else."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.views.generic import TemplateView, View

from alize import mailbox
from alize.actions import Action
from alize.web import ActionRequiredMixin


class MailboxMixin(ActionRequiredMixin):
    """Coordinators only, and only while a mailbox folder is configured."""

    action = Action.MANAGE_NETWORK
    kwargs: dict  # given by the view this mixin completes

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and mailbox.mailbox_dir() is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_message(self):
        message = mailbox.read_message(self.kwargs["name"])
        if message is None:
            raise Http404
        return message


class MailboxListView(MailboxMixin, TemplateView):
    """Every message the local server received, newest first, 25 a page."""

    template_name = "mailbox/list.html"
    paginate_by = 25

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        paginator = Paginator(mailbox.message_names(), self.paginate_by)
        page = paginator.get_page(self.request.GET.get("page"))
        context.update(
            paginator=paginator,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            messages_page=mailbox.summaries(list(page.object_list)),
            mailbox_dir=mailbox.mailbox_dir(),
        )
        return context


class MailboxMessageView(MailboxMixin, TemplateView):
    """One message: its headers, its text, its attachments."""

    template_name = "mailbox/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        message = self.get_message()
        context.update(
            name=self.kwargs["name"],
            message=message,
            headers=[
                (header, str(message[header]))
                for header in ("Subject", "From", "To", "Cc", "Date", "Message-ID")
                if message[header]
            ],
            body=mailbox.text_body(message),
            attachments=mailbox.attachments(message),
        )
        return context


class MailboxAttachmentView(MailboxMixin, View):
    """Downloads one attachment (never shown inline)."""

    def get(self, request, name, index):
        found = mailbox.attachment_content(self.get_message(), index)
        if found is None:
            raise Http404
        info, content = found
        response = HttpResponse(content, content_type=info.content_type)
        response["Content-Disposition"] = content_disposition_header(True, info.filename)
        response["X-Content-Type-Options"] = "nosniff"
        return response
