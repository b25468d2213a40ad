"""Admin of missions: read for the coordination; every change goes through the services,
so lifecycle fields and hour logs are read-only here."""

from django.contrib import admin

from alize.admin import ReadOnlyAdminMixin

from .models import ClosedMonth, HourLog, MissionAssignment, MissionTransition, SkillMission


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TransitionInline(ReadOnlyInline):
    model = MissionTransition
    fields = ["from_status", "to_status", "reason", "by", "at"]
    readonly_fields = fields


class AssignmentInline(ReadOnlyInline):
    model = MissionAssignment
    fields = ["expert", "assigned_by", "assigned_at"]
    readonly_fields = fields


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
