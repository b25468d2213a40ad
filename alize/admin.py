"""Admin helpers shared by the apps, and the admin of the core's own models.

A model that a service writes is either read-only in the admin (``ReadOnlyAdminMixin``) or
saved through that service (``ServiceModelAdmin``); ``tests/test_admin_services.py`` holds
the list, with the reason for each model."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .errors import ApplicationError, apply_service_error
from .models import ErasureRecord, Job, JobFailure, RetentionReport, SentMail, SentMailStatus


class ReadOnlyAdminMixin:
    """An admin page (or inline) that shows rows but never writes them: their changes belong
    to services (state machines, money, audit), which the admin would bypass. Lists, search
    and filters stay; a save that reaches it anyway (a history "revert") is refused."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        raise PermissionDenied

    def delete_model(self, request, obj):
        raise PermissionDenied


class ServiceModelAdmin(admin.ModelAdmin):
    """An admin page whose saves call the app's services instead of ``Model.save()``.

    The form tries the service in a savepoint that is always rolled back, so a refusal shows
    on the form like any field error (never a 500); saving then calls it for real. Subclasses
    give ``create_through_service`` and ``update_through_service``; rows are not deleted here.
    """

    def create_through_service(self, request: HttpRequest, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def update_through_service(
        self, request: HttpRequest, obj: Any, data: dict[str, Any]
    ) -> models.Model:
        raise NotImplementedError

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        # The admin's own form class, known only at run time.
        class ServiceForm(form_class):  # type: ignore[valid-type,misc]
            def full_clean(self):
                super().full_clean()
                if self.is_bound and not self._errors:
                    model_admin._try_service(request, self)

        ServiceForm.__name__ = form_class.__name__
        return ServiceForm

    def _save_through_service(self, request: HttpRequest, form: ModelForm) -> models.Model:
        data = dict(form.cleaned_data)
        if form.instance.pk is None:
            return self.create_through_service(request, data)
        stored = self.get_queryset(request).get(pk=form.instance.pk)
        return self.update_through_service(request, stored, data)

    def _try_service(self, request: HttpRequest, form: ModelForm) -> None:
        """Run the service on the form's data and roll it back: its refusal, if any,
        becomes the form's errors."""
        try:
            with transaction.atomic():
                self._save_through_service(request, form)
                transaction.set_rollback(True)
        except (ApplicationError, ValidationError) as error:
            apply_service_error(form, error)

    def save_model(self, request, obj, form, change):
        saved = self._save_through_service(request, form)
        # The admin goes on (history, message, redirect) with the row the service saved.
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields are the service's to set (inlines of such models are read-only).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(JobFailure)
class JobFailureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Failed runs of background jobs, per dispositif, for the national coordination."""

    list_display = ["failed_at", "task_name", "dispositif_name", "error"]
    list_filter = ["task_name", "dispositif_name"]
    search_fields = ["task_name", "dispositif_name", "error"]


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox of background jobs: what was asked, where it stands, how many attempts and
    the last error; written by the job base and the sweeper only."""

    list_display = [
        "created_at",
        "task_name",
        "queue",
        "status",
        "attempts",
        "heartbeat_at",
        "last_error",
    ]
    list_filter = ["status", "queue", "task_name"]
    # A request's id (its X-Request-ID, in the logs) finds the jobs it queued.
    search_fields = ["task_name", "dedup_key", "request_id", "last_error"]
    date_hierarchy = "created_at"


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


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The record of erasures of personal data (alize.personal_data): which kind of person
    and which id, who, when, why. Never the erased name."""

    list_display = ["at", "kind", "person_id", "origin", "by", "rows"]
    list_filter = ["kind", "origin"]
    search_fields = ["kind", "reason"]
    date_hierarchy = "at"


@admin.register(RetentionReport)
class RetentionReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What each run of the retention job erased, per kind of person."""

    list_display = ["ran_at", "dispositif_name", "years", "cutoff", "counts"]
    date_hierarchy = "ran_at"
