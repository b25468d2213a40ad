"""API serializers of missions, hour logs and experts. Writes are checked here for shape
and scope (a relation into another dispositif is « not found », 400) and handed to the
services by the viewsets; statuses, kinds and lifecycle fields are never written directly."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from alize.api.serializers import ModelSerializer, RowSerializer, Serializer, TenantSerializer
from committees.models import Decision
from partners.models import Expert, Organisation, OrganisationKind, Skill

from ..models import HourLog, HourLogKind, MissionStatus, SkillMission
from ..selectors import shows_personal_data


class MissionSerializer(TenantSerializer):
    """A skill mission; created from an approved decision, moved by its actions."""

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    decision = serializers.PrimaryKeyRelatedField(queryset=Decision.objects.all())
    firm = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    skill = serializers.PrimaryKeyRelatedField(queryset=Skill.objects.all())
    project = serializers.IntegerField(source="project_id", read_only=True)
    project_title = serializers.CharField(source="project.title", read_only=True)
    firm_name = serializers.CharField(source="firm.name", read_only=True)
    skill_name = serializers.CharField(source="skill.name", read_only=True)
    status = serializers.ChoiceField(choices=MissionStatus.choices, read_only=True)
    experts = serializers.ListField(
        child=serializers.IntegerField(), source="expert_ids", read_only=True
    )

    class Meta:
        model = SkillMission
        fields = [
            "id",
            "dispositif",
            "project",
            "project_title",
            "decision",
            "firm",
            "firm_name",
            "skill",
            "skill_name",
            "objective",
            "planned_hours",
            "starts_on",
            "ends_on",
            "status",
            "cross_territory",
            "decline_reason",
            "sme_evaluation",
            "sme_rating",
            "expert_evaluation",
            "expert_rating",
            "experts",
            "proposed_at",
            "status_changed_at",
        ]
        read_only_fields = [
            "cross_territory",
            "decline_reason",
            "sme_evaluation",
            "sme_rating",
            "expert_evaluation",
            "expert_rating",
            "proposed_at",
            "status_changed_at",
        ]


def mission_row_serializer(context: dict) -> RowSerializer:
    """``MissionSerializer``'s JSON for the rows of ``selectors.mission_rows``."""
    return RowSerializer(
        MissionSerializer,
        context=context,
        computed={
            "dispositif": lambda row: row["dispositif_slug"],
            "project": lambda row: row["project_id"],
            "decision": lambda row: row["decision_id"],
            "firm": lambda row: row["firm_id"],
            "skill": lambda row: row["skill_id"],
            "experts": lambda row: row["expert_ids"],
        },
    )


class MissionReasonSerializer(Serializer):
    reason = serializers.CharField()


class MissionAcceptSerializer(Serializer):
    experts = serializers.PrimaryKeyRelatedField(
        queryset=Expert.objects.all(), many=True, required=False, default=list
    )
    confirm_without_skill = serializers.BooleanField(
        default=False,
        help_text=_(
            "Affecter un expert qui n'a pas la compétence de la mission (sans ce drapeau, "
            "refusé avec le code expert_lacks_skill)."
        ),
    )


class MissionAssignSerializer(Serializer):
    expert = serializers.PrimaryKeyRelatedField(queryset=Expert.objects.all())
    confirm_without_skill = serializers.BooleanField(
        default=False,
        help_text=_(
            "Affecter un expert qui n'a pas la compétence de la mission (sans ce drapeau, "
            "refusé avec le code expert_lacks_skill)."
        ),
    )


class MissionEvaluationSerializer(Serializer):
    party = serializers.ChoiceField(choices=[("sme", _("PME")), ("expert", _("Expert"))])
    text = serializers.CharField()
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)


class SuggestionQuerySerializer(Serializer):
    decision = serializers.PrimaryKeyRelatedField(queryset=Decision.objects.all())
    skill = serializers.PrimaryKeyRelatedField(queryset=Skill.objects.all())


class FirmFiguresSerializer(Serializer):
    firm = serializers.IntegerField(source="firm_id")
    name = serializers.CharField()
    asked = serializers.DecimalField(max_digits=12, decimal_places=2)
    pledged = serializers.DecimalField(max_digits=12, decimal_places=2)
    delivered = serializers.DecimalField(max_digits=12, decimal_places=2)
    missions = serializers.IntegerField()
    declined = serializers.IntegerField()
    over_pledge = serializers.BooleanField()


class SuggestionSerializer(Serializer):
    expert = serializers.IntegerField(source="expert.pk")
    expert_name = serializers.CharField(source="expert.full_name")
    has_skill = serializers.BooleanField()
    needs_covered = serializers.IntegerField()
    cross_territory = serializers.BooleanField()
    firm = FirmFiguresSerializer()


class HourLogSerializer(TenantSerializer):
    """Hours of an expert on a mission: entries are written by the expert (one per mission
    and day); adjustments through the ``adjust`` action only."""

    create_only_fields = ("mission", "date")

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    mission = serializers.PrimaryKeyRelatedField(queryset=SkillMission.objects.all())
    expert = serializers.IntegerField(source="expert_id", read_only=True)
    kind = serializers.ChoiceField(choices=HourLogKind.choices, read_only=True)
    corrects = serializers.IntegerField(source="corrects_id", read_only=True, allow_null=True)

    class Meta:
        model = HourLog
        fields = [
            "id",
            "dispositif",
            "mission",
            "expert",
            "date",
            "hours",
            "kind",
            "corrects",
            "note",
            "reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["reason", "created_at", "updated_at"]
        # One entry per mission, expert and day is the service's rule (it updates the cell).
        validators = []


def hour_log_row_serializer(context: dict) -> RowSerializer:
    """``HourLogSerializer``'s JSON for the rows of ``selectors.hour_log_rows``."""
    return RowSerializer(
        HourLogSerializer,
        context=context,
        computed={
            "dispositif": lambda row: row["dispositif_slug"],
            "mission": lambda row: row["mission_id"],
            "expert": lambda row: row["expert_id"],
            "corrects": lambda row: row["corrects_id"],
        },
    )


class HourAdjustmentSerializer(Serializer):
    mission = serializers.PrimaryKeyRelatedField(queryset=SkillMission.objects.all())
    expert = serializers.PrimaryKeyRelatedField(queryset=Expert.objects.all())
    date = serializers.DateField()
    hours = serializers.DecimalField(max_digits=5, decimal_places=2)
    reason = serializers.CharField()
    corrects = serializers.PrimaryKeyRelatedField(
        queryset=HourLog.objects.all(), required=False, allow_null=True, default=None
    )

    def validate(self, attrs):
        corrects = attrs.get("corrects")
        if corrects is not None and corrects.dispositif_id != attrs["mission"].dispositif_id:
            raise serializers.ValidationError(
                {"corrects": _("Cet objet appartient à un autre dispositif.")}
            )
        return attrs


class HourCellSerializer(Serializer):
    mission = serializers.IntegerField()
    date = serializers.DateField()
    hours = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class HourWeekSerializer(Serializer):
    cells = HourCellSerializer(many=True, allow_empty=False, max_length=7 * 40)


class CellErrorSerializer(Serializer):
    mission = serializers.IntegerField(source="mission_id")
    date = serializers.DateField()
    field = serializers.CharField()
    message = serializers.CharField()


class HourWeekResultSerializer(Serializer):
    saved = HourLogSerializer(many=True)
    removed = serializers.ListField(child=serializers.DictField())
    errors = CellErrorSerializer(many=True)


class ExpertSerializer(ModelSerializer):
    """An expert of a partner firm. E-mail and phone are personal data: only the firm's
    correspondent, the coordination and the expert themself receive them."""

    personal_fields = ("email", "phone")
    create_only_fields = ("organisation",)

    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(kind=OrganisationKind.LARGE_FIRM)
    )
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    skills = serializers.PrimaryKeyRelatedField(
        queryset=Skill.objects.all(), many=True, required=False
    )
    has_account = serializers.SerializerMethodField()

    class Meta:
        model = Expert
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "skills",
            "hours_per_month",
            "availability_note",
            "lends_across_territories",
            "is_active",
            "has_account",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_has_account(self, expert) -> bool:
        return expert.user_id is not None

    def get_fields(self):
        fields = super().get_fields()
        for name in self.personal_fields:
            fields[name].required = False
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not shows_personal_data(getattr(request, "user", None), instance):
            for name in self.personal_fields:
                data.pop(name, None)
        return data
