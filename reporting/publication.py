"""The indicators published to the regions and the public (docs/architecture.md §8,
docs/open-data.md): the regions' API (``/api/v1/indicators/``) and the open data files read
them here, from the indicators layer, so both give the same figures.

Only public indicators (``Indicator.public``) are published. Who is inside the network
reads its figures as they are: the national coordination, and an animateur for the
dispositifs they run (those where they may ``manage``). Everyone else is outside — the
regions' API clients first, committee members and partner firms' people too, and the
public of the open data — and reads the figures with statistical secrecy applied
(``alize.indicators.secrecy``). Secrecy is decided over whole regions (each region's
dispositifs add up to its total), every month and the year at once, whoever asks, so that
no two answers can be combined to recover a suppressed figure.

Totals: a region's total is given to those who may read every dispositif of the region
(the coordination; a regional client for its region), the network's to those who may
manage every dispositif (the coordination), outside readers never being given a total
over a part of a region (a total over a part of what secrecy protects would reveal it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from alize.actions import Action
from alize.geo import REGIONS
from alize.indicators import INDICATORS
from alize.indicators.reading import Figure, by_dispositif, by_month, freshness, totals
from alize.indicators.registry import ZERO, ordered
from alize.indicators.secrecy import protected_year, secret_keys
from alize.tenancy import dispositif_ids, scope
from dispositifs.models import Dispositif

REGION_NAMES = dict(REGIONS)
SECRECY_REASON = "statistical secrecy is decided over whole regions, whoever asks"


def public_keys() -> list[str]:
    """The published indicators, in publication order."""
    return [item.key for item in ordered() if item.public]


def last_full_year() -> int:
    return timezone.localdate().year - 1


@dataclass(frozen=True)
class Line:
    """A published line: one dispositif's figures, or a region's or the network's total."""

    scope: str  # "dispositif", "region" or "network"
    region: str
    figures: dict[str, Figure]
    dispositif: Dispositif | None = None

    @property
    def region_name(self) -> str:
        return str(REGION_NAMES.get(self.region, ""))


@dataclass
class Publication:
    year: int
    month: int
    secrecy: bool
    rows: list[Line] = field(default_factory=list)
    totals: list[Line] = field(default_factory=list)


def _regions() -> dict[str, list[int]]:
    """Every dispositif id per region (the tenant table itself, read whole: secrecy is
    decided over whole regions, whoever asks)."""
    regions: dict[str, list[int]] = defaultdict(list)
    with scope(every_dispositif=True, reason=SECRECY_REASON):
        rows = list(Dispositif.objects.order_by("pk").values_list("region", "pk"))
    for region, pk in rows:
        regions[region].append(pk)
    return dict(regions)


def _zero(key: str) -> Figure:
    item = INDICATORS[key]
    if item.is_ratio or item.recounted:
        return Figure(key, None)
    value = ZERO.quantize(Decimal(1).scaleb(-item.places)) if item.places else ZERO
    return Figure(key, value, 0 if item.about_smes else None)


def _shown(figures: dict[str, Figure] | None, keys: list[str], month: int) -> dict[str, Figure]:
    """The published keys of a cell; a figure not computed per month is null for a month."""
    figures = figures or {}
    return {
        key: (
            Figure(key, None)
            if month and not INDICATORS[key].monthly
            else figures.get(key) or _zero(key)
        )
        for key in keys
    }


def _protected(
    groups: dict[str, list[int]], year: int, month: int, keys: list[str]
) -> dict[tuple, dict[str, Figure]]:
    if not groups or not secret_keys(keys):
        return {}
    with scope(every_dispositif=True, reason=SECRECY_REASON):
        table = protected_year(groups, year, keys)
    return {cell: figures for cell, figures in table.items() if cell[1] == month}


def _overlay(figures: dict[str, Figure], protected: dict[str, Figure] | None) -> dict:
    """``figures`` with the secrecy of ``protected`` applied (same values where shown)."""
    if protected is None:
        return figures
    return {
        key: (
            protected[key]
            if key in protected and protected[key].suppressed and figure.value is not None
            else figure
        )
        for key, figure in figures.items()
    }


def publish(
    user,
    year: int,
    *,
    month: int = 0,
    region: str = "",
    slug: str = "",
    keys: list[str] | None = None,
) -> Publication:
    """The figures ``user`` reads for ``year`` (and ``month``, 0 for the year): one line per
    dispositif they may see (narrowed to ``region`` or the dispositif ``slug``) and the
    totals they may be given, within the active scope (the user's)."""
    keys = [key for key in (keys or public_keys()) if INDICATORS[key].public]
    visible = dispositif_ids(user, Action.VIEW_DISPOSITIF)
    managed = dispositif_ids(user, Action.MANAGE)
    dispositifs = Dispositif.objects.for_user(user, Action.VIEW_DISPOSITIF).order_by("name")
    if region:
        dispositifs = dispositifs.filter(region=region)
    if slug:
        dispositifs = dispositifs.filter(slug=slug)
    dispositifs = list(dispositifs)
    regions = _regions()

    def inside(ids) -> bool:
        return managed is None or set(ids) <= managed

    def sees(ids) -> bool:
        return visible is None or set(ids) <= visible

    total_regions = sorted({d.region for d in dispositifs if sees(regions.get(d.region, []))})
    network = [pk for members in regions.values() for pk in members]
    with_network = not (region or slug) and managed is None and bool(dispositifs)
    outside_rows = [d for d in dispositifs if not inside([d.pk])]
    outside_regions = [code for code in total_regions if not inside(regions[code])]
    secrecy = bool(outside_rows or outside_regions)
    protect_regions = {d.region for d in outside_rows} | set(outside_regions)
    protected = _protected(
        {code: regions[code] for code in sorted(protect_regions)}, year, month, keys
    )

    groups: dict = {("region", code): regions[code] for code in total_regions}
    if with_network:
        groups[("network", "")] = network
    every = {d.pk for d in dispositifs} | {pk for ids in groups.values() for pk in ids}
    version = freshness(every)["version"]
    found = by_dispositif(
        [d.pk for d in dispositifs], [year], month=month, keys=keys, version=version
    )
    publication = Publication(year, month, secrecy)
    for dispositif in dispositifs:
        figures = _shown(found.get((dispositif.pk, year)), keys, month)
        if not inside([dispositif.pk]):
            figures = _overlay(figures, protected.get((dispositif.pk, month)))
        publication.rows.append(Line("dispositif", dispositif.region, figures, dispositif))
    summed = totals(groups, year, month=month, keys=keys, version=version)
    for code in total_regions:
        figures = _shown(summed[("region", code)], keys, month)
        if not inside(regions[code]):
            figures = _overlay(figures, protected.get((code, month)))
        publication.totals.append(Line("region", code, figures))
    if with_network:
        publication.totals.append(Line("network", "", _shown(summed[("network", "")], keys, month)))
    return publication


@dataclass(frozen=True)
class OpenDataRow:
    """One line of an open data file: an indicator for a period (month 0: the year)."""

    dispositif: Dispositif
    year: int
    month: int
    key: str
    figure: Figure


def open_data(dispositif: Dispositif, year: int) -> list[OpenDataRow]:
    """The public indicators of ``dispositif`` for ``year`` and each of its months, with
    secrecy applied, as anyone reads them (no scope of a user is needed)."""
    keys = public_keys()
    regions = _regions()
    with scope(every_dispositif=True, reason=SECRECY_REASON):
        table = protected_year({dispositif.region: regions[dispositif.region]}, year, keys)
        found = by_month([dispositif.pk], year, keys=keys)
    months = sorted({month for (pk, month) in table if pk == dispositif.pk}) or [0]
    rows = []
    for month in months:
        figures = _shown(found.get((dispositif.pk, month)), keys, month)
        figures = _overlay(figures, table.get((dispositif.pk, month)))
        for key in keys:
            if month and not INDICATORS[key].monthly:
                continue
            rows.append(OpenDataRow(dispositif, year, month, key, figures[key]))
    return rows


def value_text(value: Decimal | None) -> str | None:
    """A figure's value as published: a plain decimal string, or None."""
    return None if value is None else f"{value:f}"


def open_data_files() -> list[tuple[Dispositif, int]]:
    """The open data files: one per dispositif and full year since its launch that the
    kept facts cover, newest year first."""
    from alize.indicators.reading import years_available

    with scope(every_dispositif=True, reason="open data lists every dispositif's yearly file"):
        years = [year for year in years_available() if year <= last_full_year()]
        dispositifs = list(Dispositif.objects.order_by("name"))
    return [
        (dispositif, year)
        for year in reversed(years)
        for dispositif in dispositifs
        if dispositif.launch_date is None or dispositif.launch_date.year <= year
    ]


OPEN_DATA_COLUMNS = [
    "dispositif",
    "dispositif_nom",
    "region",
    "region_nom",
    "annee",
    "mois",
    "indicateur",
    "libelle",
    "unite",
    "valeur",
    "secret",
]


def open_data_lines(dispositif: Dispositif, year: int) -> list[list]:
    """The lines of the open data file of ``dispositif`` and ``year``
    (``OPEN_DATA_COLUMNS``; docs/open-data.md)."""
    return [
        [
            dispositif.slug,
            dispositif.name,
            dispositif.region,
            REGION_NAMES.get(dispositif.region, ""),
            row.year,
            row.month or "",
            row.key,
            INDICATORS[row.key].label,
            row.figure.indicator.unit,
            value_text(row.figure.value),
            row.figure.suppressed,
        ]
        for row in open_data(dispositif, year)
    ]
