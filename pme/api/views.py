"""API viewsets of the pme app. They declare queryset, serializer and filterset; every
write is delegated to ``pme.services`` (errors become 400 with the field name)."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from alize.actions import Action
from alize.api.views import RowListMixin, ScopedModelViewSet, ScopedReadOnlyViewSet

from .. import selectors, services
from ..models import Company, JobsFollowUp, Project, StageTransition
from .filtersets import (
    CompanyAPIFilterSet,
    JobsFollowUpAPIFilterSet,
    ProjectAPIFilterSet,
    StageTransitionAPIFilterSet,
)
from .serializers import (
    CompanySerializer,
    JobsFollowUpSerializer,
    ProjectSerializer,
    ProjectTransitionSerializer,
    StageTransitionSerializer,
    company_row_serializer,
    project_row_serializer,
)


class CompanyViewSet(RowListMixin, ScopedModelViewSet):
    """SMEs of the dispositifs in scope, with their computed eligibility. The list is served
    from plain rows (``selectors.company_rows``) with the serializer's JSON."""

    queryset = Company.objects.select_related("dispositif")
    serializer_class = CompanySerializer
    filterset_class = CompanyAPIFilterSet
    ordering_fields = ["name", "creation_date", "headcount"]
    view_action = Action.VIEW_COMPANY

    def list_rows(self, queryset):
        return selectors.company_rows(queryset)

    def list_serializer(self, context):
        return company_row_serializer(context)

    def perform_create(self, serializer):
        serializer.instance = services.company_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.company_update(
            company=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.company_delete(company=instance)


class ProjectViewSet(RowListMixin, ScopedModelViewSet):
    """Projects of the dispositifs in scope; the stage moves with the ``transition`` action.
    The list is served from plain rows (``selectors.project_rows``)."""

    queryset = Project.objects.select_related("dispositif", "company").prefetch_related("needs")
    serializer_class = ProjectSerializer
    filterset_class = ProjectAPIFilterSet
    ordering_fields = ["referred_on", "stage_changed_at"]
    view_action = Action.VIEW_PROJECT

    def list_rows(self, queryset):
        return selectors.project_rows(queryset)

    def list_serializer(self, context):
        return project_row_serializer(context)

    def perform_create(self, serializer):
        serializer.instance = services.project_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        serializer.instance = services.project_update(
            project=serializer.instance, needs=fields.pop("needs", None), **fields
        )

    def perform_destroy(self, instance):
        services.project_delete(project=instance)

    @extend_schema(request=ProjectTransitionSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the project to another stage of the machine, with a comment."""
        project = self.get_object()
        move = ProjectTransitionSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        services.project_transition(project=project, by=request.user, **move.validated_data)
        return Response(self.get_serializer(project).data)


class StageTransitionViewSet(ScopedReadOnlyViewSet):
    """Projects' timelines: every stage change with who, when and why (read-only)."""

    queryset = StageTransition.objects.select_related("dispositif", "by")
    serializer_class = StageTransitionSerializer
    filterset_class = StageTransitionAPIFilterSet
    ordering_fields = ["at"]
    view_action = Action.VIEW_PROJECT


class JobsFollowUpViewSet(ScopedModelViewSet):
    """Jobs follow-ups 1, 2 and 3 years after approval."""

    queryset = JobsFollowUp.objects.select_related("dispositif", "project", "recorded_by")
    serializer_class = JobsFollowUpSerializer
    filterset_class = JobsFollowUpAPIFilterSet
    ordering_fields = ["as_of", "year"]
    view_action = Action.VIEW_PROJECT

    def perform_create(self, serializer):
        serializer.instance = services.follow_up_record(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        follow_up = serializer.instance
        current = {name: getattr(follow_up, name) for name in services.FOLLOW_UP_FIELDS}
        serializer.instance = services.follow_up_record(
            project=follow_up.project,
            year=follow_up.year,
            by=self.request.user,
            **(current | serializer.validated_data),
        )

    def perform_destroy(self, instance):
        services.follow_up_delete(follow_up=instance)
