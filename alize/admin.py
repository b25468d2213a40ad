"""Admin helpers shared by the apps, and the admin of the core's own models."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import JobFailure, SentMail, SentMailStatus


class ReadOnlyAdminMixin:
    """An admin page that shows rows but never writes them: their changes belong to
    services (state machines, money, audit), which the admin would bypass."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobFailure)
class JobFailureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Failed runs of background jobs, per dispositif, for the national coordination."""

    list_display = ["failed_at", "task_name", "dispositif_name", "error"]
    list_filter = ["task_name", "dispositif_name"]
    search_fields = ["task_name", "dispositif_name", "error"]


@admin.register(SentMail)
class SentMailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The e-mails the platform sent, by idempotency key. A row still "sending" long after
    its claim means a worker stopped mid-send: the mail may or may not have left, so it is
    never re-sent by itself; the coordination may release it for the next run."""

    list_display = ["claimed_at", "key", "recipient", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "template", "language"]
    search_fields = ["key", "recipient", "subject"]
    date_hierarchy = "claimed_at"
    actions = ["release_for_retry"]

    @admin.action(description=_("Renvoyer au prochain passage (e-mails en cours d'envoi)"))
    def release_for_retry(self, request, queryset):
        from alize.mail import sent_mails_release

        released = sent_mails_release(
            ids=list(queryset.filter(status=SentMailStatus.SENDING).values_list("pk", flat=True))
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail sera renvoyé au prochain passage.",
                "%(count)d e-mails seront renvoyés au prochain passage.",
                released,
            )
            % {"count": released},
            messages.SUCCESS,
        )
