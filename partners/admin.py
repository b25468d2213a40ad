"""Admin of the directory. Organisations are saved through ``partners.services``; experts
are managed on the firm's pages (created, edited and invited through the services), so they
are read-only here; skills and expert-hour rates have no service and are edited here."""

from django.contrib import admin

from alize.admin import ReadOnlyAdminMixin, ServiceModelAdmin

from . import services
from .models import Expert, ExpertRate, Organisation, Skill


@admin.register(Organisation)
class OrganisationAdmin(ServiceModelAdmin):
    """Organisations of the directory, added and changed through the services."""

    fields = list(services.ORGANISATION_FIELDS)
    list_display = ["name", "kind", "public_level", "siren", "city"]
    list_filter = ["kind", "public_level"]
    search_fields = ["name", "siren", "city"]
    prepopulated_fields = {"slug": ["name"]}

    def create_through_service(self, request, data):
        return services.organisation_create(**data)

    def update_through_service(self, request, obj, data):
        return services.organisation_update(organisation=obj, **data)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "slug"]
    search_fields = ["name", "name_en"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Expert)
class ExpertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Experts, read-only: the firm's correspondent or the coordination manages them on the
    firm's pages, and an account is linked only by an invitation (``expert_invite``)."""

    list_display = ["__str__", "organisation", "job_title", "lends_across_territories", "is_active"]
    list_filter = ["organisation", "lends_across_territories", "is_active"]
    search_fields = ["first_name", "last_name", "email"]


@admin.register(ExpertRate)
class ExpertRateAdmin(admin.ModelAdmin):
    """Rates of expert hours: one per firm, and the national default (no firm)."""

    list_display = ["__str__", "organisation", "unit", "amount", "updated_at"]
