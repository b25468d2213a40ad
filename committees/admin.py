"""Admin of committees, read-only: agenda, status and decisions change through services."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from alize.admin import ReadOnlyAdminMixin

from .models import (
    AgendaItem,
    Attendance,
    Committee,
    Decision,
    DecisionCorrection,
    PartnerCommitment,
)


class AgendaItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AgendaItem
    extra = 0
    raw_id_fields = ["project"]
    fields = ["order", "project"]


class AttendanceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["organisation"]
    fields = ["organisation", "status", "person_name", "represented_by"]


@admin.register(Committee)
class CommitteeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Committees, read-only: dates, status, agenda and attendance change through the
    committee pages, whose services guard them."""

    list_display = ["date", "dispositif", "host", "place", "status"]
    list_filter = ["status", "dispositif"]
    search_fields = ["place", "host__name", "dispositif__name"]
    date_hierarchy = "date"
    autocomplete_fields = ["host", "dispositif"]
    readonly_fields = ["status", "created_at"]
    inlines = [AgendaItemInline, AttendanceInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Agenda items, read-only: the agenda moves the project's stage (services)."""

    list_display = ["committee", "order", "project", "dispositif"]
    list_filter = ["dispositif"]
    list_select_related = ["committee", "project__company", "dispositif"]
    raw_id_fields = ["committee", "project"]
    search_fields = ["project__title", "project__company__name"]


@admin.register(PartnerCommitment)
class PartnerCommitmentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Partner commitments with their audit history, read-only (recorded at committee)."""

    list_display = ["item", "organisation", "tool", "amount", "firm_last", "recorded_by"]
    list_filter = ["dispositif", "firm_last"]
    list_select_related = ["item__project__company", "organisation", "recorded_by"]
    search_fields = ["organisation__name", "tool", "item__project__title"]
    raw_id_fields = ["item"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["firm_last", "position", "recorded_by", "recorded_at"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Committee decisions with their audit history, read-only: a decision moves the
    project's stage, so it is recorded through the committee page."""

    list_display = ["item", "outcome", "missions_granted", "advance_amount", "decided_by"]
    list_filter = ["outcome", "dispositif"]
    list_select_related = ["item__project__company", "decided_by"]
    search_fields = ["item__project__title", "item__project__company__name"]
    raw_id_fields = ["item"]
    readonly_fields = ["decided_by", "decided_at"]


@admin.register(DecisionCorrection)
class DecisionCorrectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Corrections of decisions, read-only: each is recorded with its reason through the
    committee page, and moves the project's stage with it."""

    list_display = ["decision", "previous_outcome", "outcome", "corrected_by", "corrected_at"]
    list_filter = ["outcome", "dispositif"]
    list_select_related = ["decision__item__project__company", "corrected_by"]
    search_fields = ["decision__item__project__title", "reason"]
    raw_id_fields = ["decision"]
    readonly_fields = ["corrected_by", "corrected_at"]
