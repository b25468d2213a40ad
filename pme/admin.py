"""Django admin of the pme app, for the national coordination.

Stages, transitions, follow-up reminders and exceptions are shown read-only: they change
only through the services (and the browser pages that call them).
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Company, FollowUpReminder, JobsFollowUp, Project, StageTransition


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "siren", "dispositif", "commune_name", "headcount"]
    list_filter = ["dispositif", "eligibility_exception"]
    search_fields = ["name", "siren", "siret"]
    readonly_fields = ["eligibility_exception", "exception_reason", "exception_by", "exception_at"]


class StageTransitionInline(admin.TabularInline):
    model = StageTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_stage", "to_stage", "by", "at", "comment"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["title", "company", "dispositif", "stage", "referred_on", "referred_by"]
    list_filter = ["dispositif", "stage", "project_type"]
    search_fields = ["title", "company__name", "company__siren"]
    autocomplete_fields = ["company", "referred_by"]
    readonly_fields = ["stage", "stage_changed_at", "approved_on", "first_committee_on"]
    filter_horizontal = ["needs"]
    inlines = [StageTransitionInline]


@admin.register(JobsFollowUp)
class JobsFollowUpAdmin(SimpleHistoryAdmin):
    list_display = ["project", "year", "as_of", "headcount", "jobs_created", "source"]
    list_filter = ["dispositif", "year", "source"]
    search_fields = ["project__title", "project__company__name"]
    autocomplete_fields = ["project"]


@admin.register(FollowUpReminder)
class FollowUpReminderAdmin(admin.ModelAdmin):
    list_display = ["project", "year", "due_on", "resolved_at"]
    list_filter = ["dispositif", "year"]
    readonly_fields = ["project", "year", "due_on", "resolved_at"]
    search_fields = ["project__title"]
