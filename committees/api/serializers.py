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
    Attendance,
    AttendanceStatus,
    Committee,
    CommitteeReply,
    CommitteeStatus,
    Decision,
    DecisionCorrection,
    DecisionOutcome,
    InterestDeclaration,
    InterestKind,
    PartnerCommitment,
    ReplyAnswer,
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
    participants = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), many=True, required=False
    )

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


class RosterLineSerializer(Serializer):
    """One seated organisation's line of the roster."""

    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    person_name = serializers.CharField(max_length=200, allow_blank=True, default="")
    represented_by = serializers.CharField(max_length=200, allow_blank=True, default="")


class RosterSerializer(Serializer):
    """Input of the ``attendance`` action: the roster of the meeting, in one go."""

    lines = RosterLineSerializer(many=True)


class AttendanceSerializer(ModelSerializer):
    """A line of the roster (read-only)."""

    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Attendance
        fields = ["organisation", "organisation_name", "status", "person_name", "represented_by"]
        read_only_fields = fields


class InterestDeclareSerializer(Serializer):
    """Input of the ``interests`` action: an organisation's interest in a dossier."""

    item = serializers.PrimaryKeyRelatedField(queryset=AgendaItem.objects.all())
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    kind = serializers.ChoiceField(choices=InterestKind.choices)
    note = serializers.CharField(max_length=1000, allow_blank=True, default="")

    def validate_item(self, item):
        if item.committee_id != self.context["committee"].pk:
            raise serializers.ValidationError(
                _("Ce dossier n'est pas à l'ordre du jour de ce comité.")
            )
        return item

    def validate_organisation(self, organisation):
        if organisation.pk not in self.context["organisations"]:
            raise serializers.ValidationError(
                _("Vous ne déclarez pas d'intérêt pour cette organisation.")
            )
        return organisation


class InterestDeclarationSerializer(ModelSerializer):
    """A declaration of interest: the organisation is recused for the dossier (read-only)."""

    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = InterestDeclaration
        fields = [
            "id",
            "item",
            "organisation",
            "organisation_name",
            "kind",
            "note",
            "on_behalf",
            "recorded_at",
        ]
        read_only_fields = fields


class ReplySerializer(ModelSerializer):
    """A member's answer to the invitation; input of the ``reply`` action."""

    organisation = serializers.PrimaryKeyRelatedField(read_only=True)
    answer = serializers.ChoiceField(choices=ReplyAnswer.choices)
    comment = serializers.CharField(max_length=1000, allow_blank=True, default="")

    class Meta:
        model = CommitteeReply
        fields = ["committee", "organisation", "answer", "comment", "answered_at"]
        read_only_fields = ["committee", "organisation", "answered_at"]


class DossierQuorumSerializer(Serializer):
    """Whether a dossier may be decided: the organisations sitting for it (present, not
    recused), those recused, and what is missing."""

    item = serializers.IntegerField()
    holds = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField())
    sitting = serializers.ListField(child=serializers.IntegerField())
    recused = serializers.ListField(child=serializers.IntegerField())


class ScoreMarkSerializer(Serializer):
    criterion = serializers.IntegerField()
    score = serializers.IntegerField()


class DossierScoreInputSerializer(Serializer):
    """Input of the ``scores`` action: an organisation's scores of a dossier, 0 to 5 per
    criterion of the dispositif's grid (the service checks the rules)."""

    item = serializers.PrimaryKeyRelatedField(queryset=AgendaItem.objects.all())
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    scores = ScoreMarkSerializer(many=True)

    def validate_item(self, item):
        if item.committee_id != self.context["committee"].pk:
            raise serializers.ValidationError(
                _("Ce dossier n'est pas à l'ordre du jour de ce comité.")
            )
        return item

    def validate_organisation(self, organisation):
        if organisation.pk not in self.context["organisations"]:
            raise serializers.ValidationError(_("Vous ne notez pas pour cette organisation."))
        return organisation


class DossierScoringSerializer(Serializer):
    """A dossier's scores: the weighted average and spread of the organisations' weighted
    scores (one decimal), and how many organisations scored. Never a vote."""

    item = serializers.IntegerField()
    average = serializers.DecimalField(max_digits=3, decimal_places=1)
    low = serializers.DecimalField(max_digits=3, decimal_places=1)
    high = serializers.DecimalField(max_digits=3, decimal_places=1)
    organisations = serializers.IntegerField()
