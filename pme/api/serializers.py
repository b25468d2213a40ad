"""API serializers of the pme app. Writes are validated here for shape and scope, then
handed to ``pme.services`` by the viewsets; the stage is never written directly."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from alize.actions import Action
from alize.api.serializers import (
    ModelSerializer,
    OptionalChoiceField,
    PersonalDataMixin,
    RowSerializer,
    Serializer,
    TenantSerializer,
)
from alize.tenancy import may
from partners.reference.selectors import naf_label

from ..models import (
    TRANSITIONS,
    Company,
    EligibilityTexts,
    JobsFollowUp,
    Project,
    Stage,
    StageTransition,
    eligibility_of,
    years_between,
)
from ..services import FOLLOW_UP_FIELDS


def check_manages(serializer, dispositif_id, field: str) -> None:
    """Refuse (400 on ``field``) a write into a dispositif the caller only reads."""
    request = serializer.context.get("request")
    if request is not None and not may(request.user, Action.MANAGE, dispositif_id):
        raise serializers.ValidationError({field: _("Vous n'animez pas ce dispositif.")})


class EligibilityCheckSerializer(Serializer):
    code = serializers.ChoiceField(choices=["age", "size", "perimeter"])
    status = serializers.ChoiceField(choices=["passed", "failed", "unknown"])
    passed = serializers.BooleanField()
    message = serializers.CharField()


class EligibilitySerializer(Serializer):
    """The three criteria of the programme, their reasons and any justified exception."""

    criteria_met = serializers.BooleanField()
    to_check = serializers.BooleanField()
    eligible = serializers.BooleanField()
    exception = serializers.BooleanField()
    exception_reason = serializers.CharField()
    checks = EligibilityCheckSerializer(many=True)


class CompanySerializer(PersonalDataMixin, TenantSerializer):
    """An SME; its eligibility is computed, and exceptions are recorded in the browser. The
    contact person is personal data: only those who manage the company receive it."""

    personal_fields = ("contact_name", "contact_role", "contact_email", "contact_phone")

    age_years = serializers.IntegerField(read_only=True)
    naf_label = serializers.CharField(read_only=True)
    eligibility = EligibilitySerializer(read_only=True)

    class Meta:
        model = Company
        fields = [
            "id",
            "dispositif",
            "siren",
            "siret",
            "name",
            "naf_code",
            "naf_label",
            "creation_date",
            "age_years",
            "headcount",
            "turnover",
            "commune_code",
            "commune_name",
            "contact_name",
            "contact_role",
            "contact_email",
            "contact_phone",
            "eligibility",
            "eligibility_exception",
            "exception_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["eligibility_exception", "exception_reason"]
        # SIREN uniqueness per dispositif is checked by the service, on the ``siren`` field.
        validators = []


class ProjectSerializer(TenantSerializer):
    """A project; its dispositif is its company's, and ``stage`` moves only through the
    ``transition`` action (or a committee decision)."""

    create_only_fields = ("company",)

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    company_name = serializers.CharField(source="company.name", read_only=True)
    stage = serializers.ChoiceField(choices=Stage.choices, read_only=True)
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    allowed_next_stages = serializers.ListField(
        child=serializers.ChoiceField(choices=Stage.choices), read_only=True
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "dispositif",
            "company",
            "company_name",
            "title",
            "project_type",
            "description",
            "referred_by",
            "referred_on",
            "needs",
            "total_budget",
            "financing_plan",
            "jobs_at_start",
            "jobs_planned_3y",
            "requested_advance",
            "stage",
            "stage_label",
            "stage_changed_at",
            "allowed_next_stages",
            "first_committee_on",
            "approved_on",
            "created_at",
            "updated_at",
        ]

    def validate_company(self, company):
        check_manages(self, company.dispositif_id, "company")
        return company


def company_row_serializer(context: dict) -> RowSerializer:
    """``CompanySerializer``'s JSON for the rows of ``selectors.company_rows``; the
    eligibility messages are translated once per request."""
    today = timezone.localdate()
    texts = EligibilityTexts()

    def eligibility(row):
        result = eligibility_of(
            age=years_between(row["creation_date"], today),
            headcount=row["headcount"],
            turnover=row["turnover"],
            commune_code=row["commune_code"],
            in_perimeter=row["in_perimeter"],
            exception=row["eligibility_exception"],
            exception_reason=row["exception_reason"],
            texts=texts,
        )
        return {
            "criteria_met": result.criteria_met,
            "to_check": result.to_check,
            "eligible": result.eligible,
            "exception": result.exception,
            "exception_reason": result.exception_reason,
            "checks": [
                {
                    "code": check.code,
                    "status": str(check.status),
                    "passed": check.passed,
                    "message": check.message,
                }
                for check in result.checks
            ],
        }

    return RowSerializer(
        CompanySerializer,
        context=context,
        computed={
            "dispositif": lambda row: row["dispositif_slug"],
            "naf_label": lambda row: naf_label(row["naf_code"]),
            "age_years": lambda row: years_between(row["creation_date"], today),
            "eligibility": eligibility,
        },
    )


NEXT_STAGES = {
    stage: [str(value) for value in sorted(targets, key=list(Stage.values).index)]
    for stage, targets in TRANSITIONS.items()
}


def project_row_serializer(context: dict) -> RowSerializer:
    """``ProjectSerializer``'s JSON for the rows of ``selectors.project_rows``; the stage
    labels are translated once per request."""
    labels = {value: str(label) for value, label in Stage.choices}
    return RowSerializer(
        ProjectSerializer,
        context=context,
        computed={
            "dispositif": lambda row: row["dispositif_slug"],
            "company": lambda row: row["company_id"],
            "referred_by": lambda row: row["referred_by_id"],
            "needs": lambda row: row["need_ids"],
            "stage_label": lambda row: labels[row["stage"]],
            "allowed_next_stages": lambda row: NEXT_STAGES[row["stage"]],
        },
    )


class ProjectTransitionSerializer(Serializer):
    """Input of the ``transition`` action."""

    to_stage = serializers.ChoiceField(choices=Stage.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class StageTransitionSerializer(PersonalDataMixin, ModelSerializer):
    """One step of a project's timeline (read-only). Who moved it is for those who manage
    the project: a regional client reads anonymous rows."""

    personal_fields = ("by",)

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    by = serializers.StringRelatedField(allow_null=True)
    from_stage = OptionalChoiceField(choices=Stage.choices)

    class Meta:
        model = StageTransition
        fields = ["id", "dispositif", "project", "from_stage", "to_stage", "by", "at", "comment"]
        read_only_fields = fields


class JobsFollowUpSerializer(PersonalDataMixin, TenantSerializer):
    """Jobs 1, 2 or 3 years after approval, beside the jobs planned at three years. Who
    recorded it is for those who manage the project."""

    personal_fields = ("recorded_by",)

    create_only_fields = ("project", "year")

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
    jobs_planned_3y = serializers.IntegerField(source="project.jobs_planned_3y", read_only=True)
    recorded_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = JobsFollowUp
        fields = [
            "id",
            "dispositif",
            "project",
            "year",
            *FOLLOW_UP_FIELDS,
            "jobs_planned_3y",
            "recorded_by",
            "recorded_at",
        ]
        extra_kwargs = {"as_of": {"required": False}}
        # One follow-up per project and year: checked below with a message on ``year``.
        validators = []

    def validate_project(self, project):
        check_manages(self, project.dispositif_id, "project")
        return project

    def validate(self, attrs):
        attrs = super().validate(attrs)
        project, year = attrs.get("project"), attrs.get("year")
        if (
            self.instance is None
            and JobsFollowUp.objects.filter(project=project, year=year).exists()
        ):
            raise serializers.ValidationError(
                {"year": _("Le suivi de cette année est déjà saisi : modifiez-le.")}
            )
        return attrs
