"""Admin of documents: read-only (documents are built by jobs, never typed)."""

from django.contrib import admin

from alize.admin import ReadOnlyAdminMixin

from .models import Document


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "scope", "year", "version", "status", "progress", "created_at"]
    list_filter = ["kind", "scope", "status", "is_current"]
    search_fields = ["title"]
    date_hierarchy = "created_at"
