"""What an indicator is, and the registry the apps fill (each from its ``indicators.py``)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")


class Unit(models.TextChoices):
    COUNT = "count", _("nombre")
    JOBS = "jobs", _("emplois")
    HOURS = "hours", _("heures")
    EUROS = "euros", _("euros")
    DAYS = "days", _("jours")
    PERCENT = "percent", _("%")
    RATIO = "ratio", _("ratio")


class Kind(models.TextChoices):
    """How cells add up.

    - ``FLOW``: what happened in the period; months add up to the year, dispositifs to a
      region or the network.
    - ``STOCK``: what stands at the period's end (the current date for a period not yet
      over); dispositifs add up, periods do not.
    - ``RATIO``: ``numerator ÷ denominator`` of two other indicators (× 100 for a
      percentage), taken after adding those up — never an average of ratios.
    - ``MEDIAN``: a median over rows; for several dispositifs the source recomputes it over
      their rows (a median of medians would be another figure).
    - ``DISTINCT``: a count of distinct things that may appear in several dispositifs (a
      partner firm); for several dispositifs the source recounts them.
    """

    FLOW = "flow", _("flux de la période")
    STOCK = "stock", _("stock à la fin de la période")
    RATIO = "ratio", _("ratio")
    MEDIAN = "median", _("médiane")
    DISTINCT = "distinct", _("nombre distinct")


@dataclass(frozen=True)
class Indicator:
    """One published figure and its definition."""

    key: str
    app: str
    label: str | Promise
    unit: str
    kind: str
    definition: str | Promise
    # Ratios: the two indicators they divide, and the factor (100 for a percentage).
    numerator: str = ""
    denominator: str = ""
    factor: int = 1
    # Computed per month too (flows and stocks); yearly only otherwise.
    monthly: bool = True
    # Computed per partner firm too (the firm's own figures, across dispositifs).
    per_firm: bool = False
    # Counts or sums over SMEs: statistical secrecy applies when published outside.
    about_smes: bool = True
    # Published to the regions' API and the open data file.
    public: bool = True
    # Shown as a figure card and a column of the comparison table.
    headline: bool = False
    # Divided by the projects approved, where a ratio per project reads better.
    per_project: bool = False
    # Decimal places shown.
    places: int = 0
    # A list behind the figure: ``drill(dispositif_id, year, month) -> (url name, query)``.
    drill: Callable[..., tuple[str, dict]] | None = field(default=None, compare=False)
    order: int = 100

    @property
    def is_ratio(self) -> bool:
        return self.kind == Kind.RATIO

    @property
    def recounted(self) -> bool:
        """Not additive over dispositifs: the source recomputes it over several."""
        return self.kind in (Kind.MEDIAN, Kind.DISTINCT)

    @property
    def stored(self) -> bool:
        """Kept in the facts table (ratios are computed from their two parts)."""
        return self.kind != Kind.RATIO


@dataclass(frozen=True)
class Cell:
    """One computed value: an indicator for one dispositif, year and month (0: the whole
    year) and, for per-firm figures, one firm (0: every firm). ``smes`` is how many SMEs are
    behind the value and ``top`` the largest part one of them makes (statistical secrecy);
    ``smes`` is None for a figure that is not about SMEs."""

    key: str
    year: int
    month: int
    value: Decimal
    smes: int | None = None
    top: Decimal = ZERO
    firm_id: int = 0


@dataclass(frozen=True)
class Source:
    """An app's computation of its stored indicators for one dispositif.

    ``compute(dispositif_id, years)`` runs inside a scope over that dispositif and returns
    every cell of ``years`` (only non-zero cells need be returned). ``watched`` names the
    models whose writes change the figures (``app_label.Model``); ``national_watched`` the
    global ones whose writes change every dispositif's. ``over(key, groups, year, month)``
    recomputes a MEDIAN or DISTINCT indicator over each group of several dispositifs at once
    (``groups``: ``{name: dispositif ids}``, None for every one of the active scope) and
    returns ``{name: value}``, in a number of queries that does not grow with the groups."""

    app: str
    compute: Callable[[int, Sequence[int]], Iterable[Cell]]
    watched: tuple[str, ...] = ()
    national_watched: tuple[str, ...] = ()
    over: Callable[..., Mapping[Hashable, Decimal | None]] | None = None
    first_year: Callable[[int], int | None] | None = None


INDICATORS: dict[str, Indicator] = {}
SOURCES: dict[str, Source] = {}


def add_source(source: Source, indicators: Iterable[Indicator]) -> None:
    """Add a source and its indicators to the registry (``wiring.register_source`` also
    connects its watched models)."""
    for item in indicators:
        if item.key in INDICATORS and INDICATORS[item.key] != item:
            raise ValueError(f"Indicator {item.key!r} is defined twice.")
        INDICATORS[item.key] = item
    SOURCES[source.app] = source


def indicator(key: str) -> Indicator:
    return INDICATORS[key]


def ordered(keys: Iterable[str] | None = None) -> list[Indicator]:
    """Indicators in publication order (app layer order, then ``order``)."""
    chosen = INDICATORS.values() if keys is None else [INDICATORS[k] for k in keys]
    apps = list(SOURCES)
    return sorted(chosen, key=lambda i: (apps.index(i.app) if i.app in apps else 99, i.order))
