"""Admin of the tenant: dispositifs and their tour de table, saved through
``dispositifs.services`` (the coordination opens dispositifs and seats their members here)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from alize.admin import ReadOnlyAdminMixin, ServiceModelAdmin
from partners.reference.forms import PerimeterField

from . import services
from .models import Dispositif, Membership
from .services import DISPOSITIF_FIELDS


class MembershipInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Seats at the tour de table, shown with their dispositif; they are added and changed on
    the membership page (through the services), and leaving is a date, never a deletion."""

    model = Membership
    extra = 0
    fields = ["organisation", "kind", "joined_on", "left_on", "pledged_hours_per_year"]


class DispositifAdminForm(forms.ModelForm):
    """The perimeter is edited as commune names (or postal / INSEE codes), one per line."""

    perimeter = PerimeterField(label=_("Périmètre"), required=False)

    class Meta:
        model = Dispositif
        fields = list(DISPOSITIF_FIELDS)


@admin.register(Dispositif)
class DispositifAdmin(ServiceModelAdmin):
    """Dispositifs, opened and changed through the services."""

    form = DispositifAdminForm
    list_display = ["name", "region", "status", "launch_date", "carrier"]
    list_filter = ["status", "region"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["carrier"]
    inlines = [MembershipInline]

    def create_through_service(self, request, data):
        return services.dispositif_create(**data)

    def update_through_service(self, request, obj, data):
        return services.dispositif_update(dispositif=obj, **data)


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin, ServiceModelAdmin):
    """Seats at a tour de table, through the services; a seat's dispositif never changes.
    Each change of a seat is kept with who made it and when (« Historique »)."""

    fields = ["dispositif", *services.MEMBERSHIP_FIELDS]
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

    def get_readonly_fields(self, request, obj=None):
        return ["dispositif"] if obj is not None else []

    def create_through_service(self, request, data):
        return services.membership_create(**data)

    def update_through_service(self, request, obj, data):
        return services.membership_update(membership=obj, **data)
