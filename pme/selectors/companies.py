"""Companies: their lists and rows, and the eligibility criteria computed by the database."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from alize.actions import Action

from ..models import MIN_AGE_YEARS, SME_MAX_HEADCOUNT, SME_MAX_TURNOVER, Company, Project
from ..services import COMPANY_FIELDS


class EqualsAny(Func):
    """``value = ANY(array)`` in PostgreSQL: is the value one of the array's elements?"""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def eligibility_cutoff(on: dt.date | None = None) -> dt.date:
    """Latest creation date of a company old enough on ``on`` (birthday arithmetic)."""
    on = on or timezone.localdate()
    try:
        return on.replace(year=on.year - MIN_AGE_YEARS)
    except ValueError:  # 29 February
        return on.replace(year=on.year - MIN_AGE_YEARS, day=28)


def _criteria_but_turnover(on: dt.date | None = None, prefix: str = "") -> Q:
    in_perimeter = Q(EqualsAny(F(f"{prefix}commune_code"), F(f"{prefix}dispositif__perimeter")))
    return (
        Q(**{f"{prefix}creation_date__lte": eligibility_cutoff(on)})
        & Q(**{f"{prefix}headcount__lt": SME_MAX_HEADCOUNT})
        & in_perimeter
    )


def criteria_met_condition(on: dt.date | None = None, prefix: str = "") -> Q:
    """The three criteria of ``Company.eligibility`` as one SQL condition (on the company
    reached through ``prefix``, e.g. ``"project__company__"``). An unknown turnover is not a
    pass (it is « to be checked »), as in the model."""
    return (
        _criteria_but_turnover(on, prefix)
        & Q(**{f"{prefix}turnover__isnull": False})
        & Q(**{f"{prefix}turnover__lte": SME_MAX_TURNOVER})
    )


def with_dossier_gaps(queryset, prefix: str = ""):
    """Annotate what a dossier (the project reached through ``prefix``) still lacks before a
    committee: ``not_eligible`` (criteria not met and no exception) and ``amount_missing``
    (no requested advance). Computed by the database, so a list costs one query."""
    company = f"{prefix}company__"
    eligible = criteria_met_condition(prefix=company) | Q(
        **{f"{company}eligibility_exception": True}
    )
    return queryset.annotate(
        not_eligible=ExpressionWrapper(~eligible, output_field=BooleanField()),
        amount_missing=ExpressionWrapper(
            Q(**{f"{prefix}requested_advance__isnull": True}), output_field=BooleanField()
        ),
    )


def criteria_to_check_condition(on: dt.date | None = None) -> Q:
    """Nothing fails but the turnover is unknown: ``Eligibility.to_check`` in SQL."""
    return _criteria_but_turnover(on) & Q(turnover__isnull=True)


def with_eligibility(queryset):
    """Annotate ``criteria_met`` (the three criteria pass) and ``criteria_to_check`` (only
    the turnover is unknown), computed by the database."""
    return queryset.annotate(
        criteria_met=ExpressionWrapper(criteria_met_condition(), output_field=BooleanField()),
        criteria_to_check=ExpressionWrapper(
            criteria_to_check_condition(), output_field=BooleanField()
        ),
    )


def project_count_subquery():
    """The number of projects of the outer company, as a correlated subquery: counting
    through a join would group every company before the page is cut."""
    counts = (
        Project.objects.filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def company_list(user, action: str = Action.VIEW_COMPANY):
    """Companies the user may ``action`` (read, by default), with eligibility and project
    count."""
    queryset = Company.objects.for_user(user, action)
    return with_eligibility(queryset.select_related("dispositif")).annotate(
        project_count=project_count_subquery()
    )


COMPANY_ROW_COLUMNS = (
    "id",
    "dispositif_id",
    *COMPANY_FIELDS,
    "eligibility_exception",
    "exception_reason",
    "created_at",
    "updated_at",
)


def company_rows(queryset):
    """Plain rows of a companies list: the company's columns, its dispositif's slug and
    whether its commune is inside the dispositif's perimeter (tested by the database, so
    the perimeter array is never loaded)."""
    return queryset.values(
        *COMPANY_ROW_COLUMNS,
        dispositif_slug=F("dispositif__slug"),
        in_perimeter=ExpressionWrapper(
            Q(EqualsAny(F("commune_code"), F("dispositif__perimeter"))),
            output_field=BooleanField(),
        ),
    )


def company_detail_queryset(user, action: str = Action.VIEW_COMPANY):
    return Company.objects.for_user(user, action).select_related("dispositif", "exception_by")


def company_projects(company):
    return company.projects.select_related("referred_by").order_by("-referred_on", "-id")
