"""Serializers of the committees API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from alize.api.serializers import (
    ModelSerializer,
    MoneyField,
    Serializer,
    TenantSerializer,
    WallClockTimeField,
)
from partners.models import Organisation
from pme.models import Project

from ..models import (
    AgendaItem,
    Committee,
    CommitteeStatus,
    Decision,
    DecisionCorrection,
    DecisionOutcome,
    PartnerCommitment,
)


class AgendaEntrySerializer(ModelSerializer):
    """One dossier of a committee's agenda, as shown inside the committee."""

    project_title = serializers.CharField(source="project.title", read_only=True)
    company_name = serializers.CharField(source="project.company.name", read_only=True)
    outcome = serializers.ChoiceField(
        choices=DecisionOutcome.choices, source="decision.outcome", read_only=True, allow_null=True
    )

    class Meta:
        model = AgendaItem
        fields = ["id", "order", "project", "project_title", "company_name", "outcome"]
        read_only_fields = fields


class CommitteeSerializer(TenantSerializer):
    """A meeting of the tour de table with its agenda; the status moves by action only."""

    host = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    host_name = serializers.CharField(source="host.name", read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=CommitteeStatus.choices, read_only=True)
    allowed_next_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=CommitteeStatus.choices), read_only=True
    )
    agenda = AgendaEntrySerializer(source="items", many=True, read_only=True)
    start_time = WallClockTimeField(allow_null=True, required=False)

    class Meta:
        model = Committee
        fields = [
            "id",
            "dispositif",
            "date",
            "start_time",
            "host",
            "host_name",
            "place",
            "status",
            "allowed_next_statuses",
            "minutes",
            "agenda",
            "created_at",
        ]


class PastCommitteeSerializer(TenantSerializer):
    """Input of the ``record-past`` action: a committee already held (today or before), with
    the projects it examined; it is created « held »."""

    host = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    start_time = WallClockTimeField(allow_null=True, required=False)
    projects = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.all(), many=True, required=False
    )

    class Meta:
        model = Committee
        fields = ["dispositif", "date", "start_time", "host", "place", "minutes", "projects"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        dispositif = attrs["dispositif"]
        if any(project.dispositif_id != dispositif.pk for project in attrs.get("projects", [])):
            raise serializers.ValidationError(
                {"projects": _("Cet objet appartient à un autre dispositif.")}
            )
        return attrs


class CommitteeStatusSerializer(Serializer):
    """Input of the ``status`` action: planned → agenda sent → held → minutes sent."""

    status = serializers.ChoiceField(choices=CommitteeStatus.choices)


class AgendaAddSerializer(Serializer):
    """Input of the ``agenda`` action: a project in instruction (or deferred) to present."""

    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())


class DecisionRecordSerializer(Serializer):
    """Input of the ``decisions`` action: the committee's decision on one of its dossiers."""

    item = serializers.PrimaryKeyRelatedField(queryset=AgendaItem.objects.all())
    outcome = serializers.ChoiceField(choices=DecisionOutcome.choices)
    missions_granted = serializers.IntegerField(min_value=0, max_value=50, default=0)
    missions_description = serializers.CharField(allow_blank=True, default="")
    advance_amount = MoneyField(max_digits=12, allow_null=True, default=None)
    conditions = serializers.CharField(allow_blank=True, default="")

    def validate_item(self, item):
        committee = self.context["committee"]
        if item.committee_id != committee.pk:
            raise serializers.ValidationError(
                _("Ce dossier n'est pas à l'ordre du jour de ce comité.")
            )
        return item


class AgendaItemSerializer(ModelSerializer):
    """A dossier presented at a committee (read-only; the agenda is built by actions)."""

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    committee_date = serializers.DateField(source="committee.date", read_only=True)
    project_title = serializers.CharField(source="project.title", read_only=True)
    company_name = serializers.CharField(source="project.company.name", read_only=True)
    outcome = serializers.ChoiceField(
        choices=DecisionOutcome.choices, source="decision.outcome", read_only=True, allow_null=True
    )

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "dispositif",
            "committee",
            "committee_date",
            "order",
            "project",
            "project_title",
            "company_name",
            "outcome",
        ]
        read_only_fields = fields


class PartnerCommitmentSerializer(ModelSerializer):
    """A tool a partner activates for a dossier, large firms last (read-only)."""

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    committee = serializers.IntegerField(source="item.committee_id", read_only=True)
    project = serializers.IntegerField(source="item.project_id", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = PartnerCommitment
        fields = [
            "id",
            "dispositif",
            "item",
            "committee",
            "project",
            "organisation",
            "organisation_name",
            "tool",
            "amount",
            "firm_last",
            "position",
            "recorded_at",
        ]
        read_only_fields = fields


class DecisionCorrectionSerializer(ModelSerializer):
    """A correction of a decision: when, why, and the outcome, missions and advance before
    and after (read-only)."""

    class Meta:
        model = DecisionCorrection
        fields = [
            "id",
            "previous_outcome",
            "outcome",
            "previous_missions_granted",
            "missions_granted",
            "previous_advance_amount",
            "advance_amount",
            "reason",
            "corrected_at",
        ]
        read_only_fields = fields


class DecisionCorrectSerializer(Serializer):
    """Input of a decision's ``correct`` action: the corrected decision and the reason."""

    outcome = serializers.ChoiceField(choices=DecisionOutcome.choices)
    missions_granted = serializers.IntegerField(min_value=0, max_value=50, default=0)
    missions_description = serializers.CharField(allow_blank=True, default="")
    advance_amount = MoneyField(max_digits=12, allow_null=True, default=None)
    conditions = serializers.CharField(allow_blank=True, default="")
    reason = serializers.CharField(max_length=2000)


class DecisionSerializer(ModelSerializer):
    """A committee's decision on a dossier, with missions and advance granted and its
    corrections, oldest first (read-only)."""

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    committee = serializers.IntegerField(source="item.committee_id", read_only=True)
    committee_date = serializers.DateField(source="item.committee.date", read_only=True)
    project = serializers.IntegerField(source="item.project_id", read_only=True)
    project_title = serializers.CharField(source="item.project.title", read_only=True)
    corrections = DecisionCorrectionSerializer(many=True, read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "dispositif",
            "item",
            "committee",
            "committee_date",
            "project",
            "project_title",
            "outcome",
            "missions_granted",
            "missions_description",
            "advance_amount",
            "conditions",
            "decided_at",
            "corrections",
        ]
        read_only_fields = fields
