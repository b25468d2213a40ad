"""Admin of the core models: job failures, read-only for the national coordination."""

from django.contrib import admin

from .models import JobFailure


@admin.register(JobFailure)
class JobFailureAdmin(admin.ModelAdmin):
    list_display = ["failed_at", "task_name", "dispositif_name", "error"]
    list_filter = ["task_name", "dispositif_name"]
    search_fields = ["task_name", "dispositif_name", "error"]
    readonly_fields = [field.name for field in JobFailure._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
