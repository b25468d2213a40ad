from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from partners.reference.forms import PerimeterField

from .models import (
    AgendaItem,
    Attendance,
    Committee,
    Decision,
    Dispositif,
    Membership,
    PartnerCommitment,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


class DispositifAdminForm(forms.ModelForm):
    """The perimeter is edited as commune names (or postal / INSEE codes), one per line."""

    perimeter = PerimeterField(label=_("Périmètre"), required=False)

    class Meta:
        model = Dispositif
        fields = [
            "name",
            "slug",
            "region",
            "departements",
            "perimeter",
            "carrier",
            "launch_date",
            "status",
            "advance_min",
            "advance_max",
            "follow_up_years",
        ]


@admin.register(Dispositif)
class DispositifAdmin(admin.ModelAdmin):
    form = DispositifAdminForm
    list_display = ["name", "region", "status", "launch_date", "carrier"]
    list_filter = ["status", "region"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["carrier"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "dispositif",
        "kind",
        "joined_on",
        "left_on",
        "pledged_hours_per_year",
    ]
    list_filter = ["kind", "dispositif"]
    search_fields = ["organisation__name", "dispositif__name"]
    autocomplete_fields = ["organisation", "dispositif"]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    raw_id_fields = ["project"]
    fields = ["order", "project"]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["organisation"]
    fields = ["organisation", "person_name", "present"]


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    """Committees; changes of status and agenda belong to the committee pages (services)."""

    list_display = ["date", "dispositif", "host", "place", "status"]
    list_filter = ["status", "dispositif"]
    search_fields = ["place", "host__name", "dispositif__name"]
    date_hierarchy = "date"
    autocomplete_fields = ["host", "dispositif"]
    readonly_fields = ["status", "created_at"]
    inlines = [AgendaItemInline, AttendanceInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ["committee", "order", "project", "dispositif"]
    list_filter = ["dispositif"]
    list_select_related = ["committee", "project__company", "dispositif"]
    raw_id_fields = ["committee", "project"]
    search_fields = ["project__title", "project__company__name"]


@admin.register(PartnerCommitment)
class PartnerCommitmentAdmin(SimpleHistoryAdmin):
    """Partner commitments with their audit history."""

    list_display = ["item", "organisation", "tool", "amount", "firm_last", "recorded_by"]
    list_filter = ["dispositif", "firm_last"]
    list_select_related = ["item__project__company", "organisation", "recorded_by"]
    search_fields = ["organisation__name", "tool", "item__project__title"]
    raw_id_fields = ["item"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["firm_last", "position", "recorded_by", "recorded_at"]


@admin.register(Decision)
class DecisionAdmin(SimpleHistoryAdmin):
    """Committee decisions with their audit history (the stage moves only via the service)."""

    list_display = ["item", "outcome", "missions_granted", "advance_amount", "decided_by"]
    list_filter = ["outcome", "dispositif"]
    list_select_related = ["item__project__company", "decided_by"]
    search_fields = ["item__project__title", "item__project__company__name"]
    raw_id_fields = ["item"]
    readonly_fields = ["decided_by", "decided_at"]
