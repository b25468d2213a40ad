from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from partners.reference.forms import PerimeterField

from .models import Dispositif, Membership
from .services import DISPOSITIF_FIELDS


class MembershipInline(admin.TabularInline):
    """Seats at the tour de table; leaving is a date (``left_on``), never a deletion."""

    model = Membership
    extra = 0
    can_delete = False
    autocomplete_fields = ["organisation"]


class DispositifAdminForm(forms.ModelForm):
    """The perimeter is edited as commune names (or postal / INSEE codes), one per line."""

    perimeter = PerimeterField(label=_("Périmètre"), required=False)

    class Meta:
        model = Dispositif
        fields = list(DISPOSITIF_FIELDS)


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

    def has_delete_permission(self, request, obj=None):
        return False
