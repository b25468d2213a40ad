"""Documents pages: the list (per scope: a dispositif's for its people, a firm's for its
correspondent, national for the coordination), asking for a document, its page with live
progress (htmx polls a fragment that stops once the build is over), and the download.

Documents are read only through ``selectors.documents_for`` (the access policy): a
document outside it answers 404, like a missing one. Files are served only here, as
attachments, never from a public URL.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from alize import exports
from alize.actions import Action
from alize.errors import TooManyRequests
from alize.web import ActionRequiredMixin, FilteredListView, ServiceCall, SignedInMixin, require
from dispositifs.access import document_firm_ids, may

from . import dashboards, selectors, services
from .filtersets import DocumentFilterSet
from .forms import DocumentRequestForm
from .models import DocumentFormat, DocumentKind, DocumentScope, DocumentStatus


class DocumentReaderMixin(ActionRequiredMixin):
    """Signed-in users who read some document (a dispositif's, their firm's, the
    network's); anyone else gets 404."""

    action = Action.VIEW_DOCUMENT

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        require(selectors.may_read_documents(request.user))
        return super(ActionRequiredMixin, self).dispatch(request, *args, **kwargs)

    def get_document(self, pk, **filters):
        return get_object_or_404(selectors.documents_for(self.request.user), pk=pk, **filters)


def may_manage(user, document) -> bool:
    """May ``user`` ask again for (regenerate) this document?"""
    if document.scope == DocumentScope.NATIONAL:
        return selectors.may_request_national(user)
    if document.scope == DocumentScope.DISPOSITIF:
        return may(user, Action.REQUEST_DOCUMENT, document.dispositif_id)
    firms = document_firm_ids(user, Action.REQUEST_DOCUMENT)
    return firms is None or document.organisation_id in firms


class DocumentListView(DocumentReaderMixin, FilteredListView):
    """The documents the user reads, newest first, with filters and pagination."""

    template_name = "reporting/list.html"
    filterset_class = DocumentFilterSet
    sort_fields = {"created": "created_at", "kind": "kind", "year": "year", "status": "status"}
    default_sort = "-created"

    def get_base_queryset(self):
        return selectors.documents_for(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_request"] = selectors.may_request_documents(self.request.user)
        return context


class DocumentRequestView(ActionRequiredMixin, View):
    """Ask for a document: an existing one for the same request is returned (its page),
    else a new one is queued; an invalid request answers 400 with the field's error, one
    beyond the person's documents being built 429 with ``Retry-After``.
    Those who may ask for none (in a dispositif, the network or their firm) get 404."""

    action = Action.REQUEST_DOCUMENT
    template_name = "reporting/request.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        require(selectors.may_request_documents(request.user))
        return super(ActionRequiredMixin, self).dispatch(request, *args, **kwargs)

    def form(self, data=None):
        user = self.request.user
        return DocumentRequestForm(
            data,
            committees=selectors.requestable_committees(user),
            dispositifs=selectors.requestable_dispositifs(user),
            firms=selectors.requestable_firms(user),
            national=selectors.may_request_national(user),
            agreements=selectors.requestable_agreements(user),
        )

    def get(self, request):
        return render(request, self.template_name, {"form": self.form()})

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            agreement_firm, agreement = form.agreements.get(data.get("agreement"), (None, ""))
            with ServiceCall(form) as call:
                document = services.document_request(
                    kind=data["kind"],
                    by=request.user,
                    committee=data.get("committee"),
                    dispositif=data.get("dispositif"),
                    organisation=data.get("organisation"),
                    year=data.get("year"),
                    national=bool(data.get("national")),
                    source=data.get("source") or "",
                    agreement=agreement,
                    agreement_firm=agreement_firm,
                    period_start=data.get("period_start"),
                    period_end=data.get("period_end"),
                    file_format=data.get("file_format") or DocumentFormat.PDF,
                )
            if not call.refused:
                return HttpResponseRedirect(reverse("reporting:detail", args=[document.pk]))
            if isinstance(call.error, TooManyRequests):  # too many of theirs being built
                response = render(request, self.template_name, {"form": form}, status=429)
                response["Retry-After"] = str(call.error.retry_after)
                return response
        return render(request, self.template_name, {"form": form}, status=400)


class DocumentDetailView(DocumentReaderMixin, View):
    """A document's page: what it is, its build's progress, then the download link."""

    def get(self, request, pk):
        document = self.get_document(pk)
        return render(
            request,
            "reporting/detail.html",
            {"document": document, "can_manage": may_manage(request.user, document)},
        )


class DocumentProgressView(DocumentReaderMixin, View):
    """The progress fragment the document's page polls (htmx); once the build is over it
    comes without the polling trigger, so the polling stops."""

    def get(self, request, pk):
        return render(request, "reporting/progress.html", {"document": self.get_document(pk)})


class DocumentDownloadView(DocumentReaderMixin, View):
    """The file of a done document, as an attachment with its content type, streamed from
    its storage (the local folder, or the private bucket: the browser never gets the
    bucket's address, not even a signed one)."""

    def get(self, request, pk):
        document = self.get_document(pk, status=DocumentStatus.DONE)
        try:
            stored = document.file.open("rb")
        except FileNotFoundError as error:
            raise Http404 from error
        return FileResponse(
            stored,
            as_attachment=True,
            filename=document.filename,
            content_type=document.content_type,
        )


class DocumentRegenerateView(DocumentReaderMixin, View):
    """Build a document again as a new version (those who may ask for it)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        document = self.get_document(pk)
        require(may_manage(request.user, document))
        with ServiceCall() as call:
            fresh = services.document_request(
                kind=document.kind,
                by=request.user,
                committee=document.committee,
                dispositif=document.dispositif,
                organisation=document.organisation,
                year=document.year,
                national=document.scope == DocumentScope.NATIONAL,
                language=document.language,
                regenerate=True,
                source=document.source,
                agreement=document.agreement,
                agreement_firm=document.agreement_firm,
                period_start=document.period_start,
                period_end=document.period_end,
                file_format=document.file_format,
                advance=document.advance,
            )
        if call.refused:
            messages.error(request, call.message)
            return HttpResponseRedirect(reverse("reporting:detail", args=[document.pk]))
        messages.success(request, _("Une nouvelle version est en préparation."))
        return HttpResponseRedirect(reverse("reporting:detail", args=[fresh.pk]))


class AdvanceContractView(ActionRequiredMixin, View):
    """Ask for the contract PDF of an advance (those who manage it, while it awaits its
    signature): the current one is returned if built, else a new one is queued; then its
    page, with the build's progress. A refusal goes back to the advance's page."""

    action = Action.REQUEST_DOCUMENT
    http_method_names = ["post"]

    def post(self, request, pk):
        advance = get_object_or_404(selectors.managed_advances(request.user), pk=pk)
        with ServiceCall() as call:
            document = services.document_request(
                kind=DocumentKind.CONTRACT,
                advance=advance,
                by=request.user,
                language="fr",
                regenerate=request.POST.get("regenerate") == "1",
            )
        if call.refused:
            messages.error(request, call.message)
            return HttpResponseRedirect(reverse("loans:advance-detail", args=[advance.pk]))
        return HttpResponseRedirect(reverse("reporting:detail", args=[document.pk]))


class DashboardView(ActionRequiredMixin, View):
    """The indicators dashboard on its own page (the same as at the top of the home page),
    and its comparison table as CSV or XLSX (``?format=csv|csv-raw|xlsx``, the filters kept)."""

    action = Action.VIEW_INDICATORS

    def get(self, request):
        board = dashboards.dashboard(request.user, request.GET)
        require(board is not None)
        headers, rows = board.export_table() if request.GET.get("format") else ([], [])
        download = exports.export_response(
            request.GET.get("format"),
            filename=f"indicateurs-{board.year}",
            headers=headers,
            rows=rows,
            sheet_title=str(board.year),
        )
        if download is not None:
            return download
        return render(request, "reporting/dashboard.html", {"board": board})


class GlossaryView(SignedInMixin, View):
    """What every indicator counts: label, unit, kind and definition, one anchor each (the
    dashboards link each figure to its definition)."""

    def get(self, request):
        return render(request, "reporting/glossary.html", {"definitions": dashboards.glossary()})
