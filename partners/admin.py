from django.contrib import admin

from .models import Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "public_level", "siren", "city"]
    list_filter = ["kind", "public_level"]
    search_fields = ["name", "siren", "city"]
    prepopulated_fields = {"slug": ["name"]}
