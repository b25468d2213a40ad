"""Django admin of the pme app, for the national coordination, read-only.

Companies, projects (their stages and transitions), follow-ups and their reminders change
only through the services, on the browser pages that call them (the company and project
pages), where the SIREN, the advance bounds and the stage machine are checked.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from alize.admin import ReadOnlyAdminMixin

from .models import (
    Company,
    FollowUpDeclaration,
    FollowUpReminder,
    JobsFollowUp,
    Project,
    StageTransition,
)


@admin.register(Company)
class CompanyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "siren", "dispositif", "commune_name", "headcount"]
    list_filter = ["dispositif", "eligibility_exception"]
    search_fields = ["name", "siren", "siret"]


class StageTransitionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StageTransition
    extra = 0
    fields = ["from_stage", "to_stage", "by", "at", "comment"]


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "company", "dispositif", "stage", "referred_on", "referred_by"]
    list_filter = ["dispositif", "stage", "project_type"]
    search_fields = ["title", "company__name", "company__siren"]
    inlines = [StageTransitionInline]


@admin.register(JobsFollowUp)
class JobsFollowUpAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["project", "year", "as_of", "headcount", "jobs_created", "source"]
    list_filter = ["dispositif", "year", "source"]
    search_fields = ["project__title", "project__company__name"]


@admin.register(FollowUpReminder)
class FollowUpReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["project", "year", "due_on", "resolved_at"]
    list_filter = ["dispositif", "year"]
    search_fields = ["project__title"]


@admin.register(FollowUpDeclaration)
class FollowUpDeclarationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["project", "year", "status", "requested_at", "declared_at", "reviewed_at"]
    list_filter = ["dispositif", "year", "status"]
    search_fields = ["project__title", "project__company__name"]
