"""Admin of documents: read-only (documents are built by jobs, never typed)."""

from django.contrib import admin

from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "scope", "year", "version", "status", "progress", "created_at"]
    list_filter = ["kind", "scope", "status", "is_current"]
    search_fields = ["title"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
