from django.contrib import admin

from .models import Organisation, Skill


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
