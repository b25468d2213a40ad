"""Admin helpers shared by the apps, and the admin of the core's own models."""

from django.contrib import admin

from .models import JobFailure


class ReadOnlyAdminMixin:
    """An admin page that shows rows but never writes them: their changes belong to
    services (state machines, money, audit), which the admin would bypass."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobFailure)
class JobFailureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Failed runs of background jobs, per dispositif, for the national coordination."""

    list_display = ["failed_at", "task_name", "dispositif_name", "error"]
    list_filter = ["task_name", "dispositif_name"]
    search_fields = ["task_name", "dispositif_name", "error"]
