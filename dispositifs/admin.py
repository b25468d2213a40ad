from django.contrib import admin

from .models import Dispositif, Membership


class MembershipInline(admin.TabularInline):
    """Seats at the tour de table; leaving is a date (``left_on``), never a deletion."""

    model = Membership
    extra = 0
    can_delete = False
    autocomplete_fields = ["organisation"]


@admin.register(Dispositif)
class DispositifAdmin(admin.ModelAdmin):
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
