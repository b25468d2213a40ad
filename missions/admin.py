"""Admin of missions: read for the coordination; every change goes through the services,
so lifecycle fields and hour logs are read-only here."""

from django.contrib import admin

from alize.admin import ReadOnlyAdminMixin

from .models import ClosedMonth, HourLog, MissionAssignment, MissionTransition, SkillMission


class TransitionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = MissionTransition
    extra = 0
    fields = ["from_status", "to_status", "reason", "by", "at"]


class AssignmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = MissionAssignment
    extra = 0
    fields = ["expert", "assigned_by", "assigned_at"]


@admin.register(SkillMission)
class SkillMissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "dispositif", "firm", "status", "planned_hours", "starts_on"]
    list_filter = ["status", "cross_territory", "dispositif"]
    search_fields = ["project__title", "firm__name", "objective"]
    list_select_related = ["project", "skill", "dispositif", "firm"]
    inlines = [AssignmentInline, TransitionInline]


@admin.register(HourLog)
class HourLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["date", "expert", "mission", "hours", "kind", "dispositif"]
    list_filter = ["kind", "dispositif"]
    search_fields = ["expert__last_name", "note", "reason"]
    list_select_related = ["expert", "mission__project", "mission__skill", "dispositif"]
    date_hierarchy = "date"


@admin.register(ClosedMonth)
class ClosedMonthAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["month", "dispositif", "closed_by", "closed_at"]
    list_filter = ["dispositif"]
