"""The pipeline funnel: projects by stage now and referral sources, cached per scope. The
days from referral to committee are an indicator (``pme.indicators``), read by the page
from the indicators layer."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..models import FUNNEL, Company, Project, Stage
from ._common import _limit

OUTSIDE_FUNNEL = [Stage.DEFERRED, Stage.REJECTED, Stage.ABANDONED]


@dataclass
class FunnelBar:
    key: str
    label: str
    count: int
    percent: int


@dataclass
class Funnel:
    """What the funnel page shows for one dispositif (or several): a snapshot of the
    stages now, the referral sources and the eligibility exceptions."""

    stages: list[FunnelBar]
    outside: list[FunnelBar]
    sources: list[FunnelBar]
    total: int
    exceptions: int


def _bars(rows: list[tuple[str, str, int]], scale: int) -> list[FunnelBar]:
    return [
        FunnelBar(key, label, count, round(100 * count / scale) if scale else 0)
        for key, label, count in rows
    ]


def pipeline_funnel(dispositif_ids: set[int] | None) -> Funnel:
    """Projects by stage in funnel order, referral sources and eligibility exceptions; three
    queries whatever the volume."""
    projects = _limit(Project.objects.all(), dispositif_ids)
    by_stage = dict(
        projects.order_by().values_list("stage").annotate(n=Count("id")).values_list("stage", "n")
    )
    sources = list(
        projects.order_by()
        .values_list("referred_by_id", "referred_by__name")
        .annotate(n=Count("id"))
        .order_by("-n", "referred_by__name")
    )
    exceptions = _limit(Company.objects.filter(eligibility_exception=True), dispositif_ids).count()

    funnel_rows = [(stage, Stage(stage).label, by_stage.get(stage, 0)) for stage in FUNNEL]
    outside_rows = [(stage, Stage(stage).label, by_stage.get(stage, 0)) for stage in OUTSIDE_FUNNEL]
    scale = max([count for *_rest, count in funnel_rows + outside_rows] + [0])
    source_rows = [
        (str(pk or ""), name or _("non renseigné"), count) for pk, name, count in sources
    ]
    source_scale = max([count for *_rest, count in source_rows] + [0])
    return Funnel(
        stages=_bars(funnel_rows, scale),
        outside=_bars(outside_rows, scale),
        sources=_bars(source_rows, source_scale),
        total=sum(by_stage.values()),
        exceptions=exceptions,
    )


FUNNEL_VERSION_KEY = "pme:funnel:version"
FUNNEL_CACHE_SECONDS = 300


def _bump_funnel_version() -> None:
    try:
        cache.incr(FUNNEL_VERSION_KEY)
    except ValueError:
        cache.set(FUNNEL_VERSION_KEY, 1, None)


def funnel_changed() -> None:
    """Projects, companies or referrers changed: every cached funnel is stale, now and once
    the transaction commits (a funnel read in between would cache the old rows)."""
    _bump_funnel_version()
    transaction.on_commit(_bump_funnel_version)


def pipeline_funnel_cached(dispositif_ids: set[int] | None) -> Funnel:
    """``pipeline_funnel`` cached per scope (the dispositifs, or all) and language, until
    projects, companies or referrers change (``funnel_changed``), at most five minutes."""
    version = cache.get(FUNNEL_VERSION_KEY, 0)
    scope_key = "all" if dispositif_ids is None else ",".join(map(str, sorted(dispositif_ids)))
    key = f"pme:funnel:{version}:{get_language()}:{scope_key}"
    funnel = cache.get(key)
    if funnel is None:
        funnel = pipeline_funnel(dispositif_ids)
        cache.set(key, funnel, FUNNEL_CACHE_SECONDS)
    return funnel
