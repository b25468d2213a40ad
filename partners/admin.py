from django.contrib import admin

from .models import Expert, ExpertRate, Organisation, Skill


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "public_level", "siren", "city"]
    list_filter = ["kind", "public_level"]
    search_fields = ["name", "siren", "city"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Expert)
class ExpertAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organisation", "job_title", "lends_across_territories", "is_active"]
    list_filter = ["organisation", "lends_across_territories", "is_active"]
    search_fields = ["first_name", "last_name", "email"]
    filter_horizontal = ["skills"]
    raw_id_fields = ["user"]


@admin.register(ExpertRate)
class ExpertRateAdmin(admin.ModelAdmin):
    """Rates of expert hours: one per firm, and the national default (no firm)."""

    list_display = ["__str__", "organisation", "unit", "amount", "updated_at"]
