"""The indicators dashboard (docs/architecture.md §8): figure cards, the comparison table of
the dispositifs, five years of trends, for the scope a person reads.

Three readings of the same page, decided by the access policy (``Action.VIEW_INDICATORS``):

- the network (the coordination): every dispositif, the network total and the median of the
  dispositifs shown;
- one's dispositifs (animateur, committee member): their figures with the network median
  beside each one. That median is the only national read: the kept facts of every
  dispositif (aggregates, never rows), in a scope over every dispositif;
- a firm's contribution (its correspondent): the firm's own cells of the per-firm
  indicators, in the dispositifs where it holds a seat or has work.

Everything is read through ``alize.indicators.reading`` in a constant number of queries:
the table, the totals and the five years come from one read of the facts. Each number links
to the list of the rows behind it (the indicator's ``drill``, narrowed to the dispositif)
only when the access policy lets the reader open that list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from statistics import median
from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from alize import charts, formats
from alize.actions import Action
from alize.geo import region_name
from alize.indicators import INDICATORS, Indicator, Kind, Unit
from alize.indicators.reading import (
    Figure,
    Memory,
    by_dispositif,
    freshness,
    total,
    years_available,
)
from alize.indicators.registry import ordered
from alize.tenancy import scope
from dispositifs.access import dispositif_ids, may, row_reach
from dispositifs.models import Dispositif
from partners.models import Organisation

NETWORK, DISPOSITIFS, FIRM = "network", "dispositifs", "firm"
TREND_YEARS = 5
GAP = "—"
# Figures per project are divided by the projects approved in the same cell.
PROJECTS = "projects_approved"
# What the page's query string may hold (filters and sorting); anything else is ignored.
PARAMETERS = ("year", "region", "dispositif", "firm", "sort")
# The pages asked lately (``dashboard``): a few, each holding its rendered HTML.
_BOARDS = Memory(16)


def headline_keys() -> list[str]:
    return [item.key for item in ordered() if item.headline]


def firm_keys() -> list[str]:
    return [item.key for item in ordered() if item.per_firm]


# -- How a figure reads ------------------------------------------------------------------------


def figure_text(item: Indicator, value: Decimal | None, places: int | None = None) -> str:
    """A value in its indicator's unit: « 12 500,00 € », « 87,5 % », « × 2,50 », « 320,5 h »."""
    if value is None:
        return GAP
    places = item.places if places is None else places
    if item.unit == Unit.EUROS:
        return formats.money(value, places)
    if item.unit == Unit.PERCENT:
        return formats.percent(value, places)
    if item.unit == Unit.RATIO:
        return formats.times(value, places)
    if item.unit == Unit.HOURS:
        return f"{formats.number(value, places)}\u00a0h"
    return formats.number(value, places)


def change_text(item: Indicator, value: Decimal | None, before: Decimal | None) -> str:
    """The change on the year before: points for a percentage, otherwise the difference in
    the unit and, when the year before is not zero, the change in percent."""
    if value is None or before is None:
        return ""
    difference = value - before
    sign = "+" if difference > 0 else ("−" if difference < 0 else "±")
    if item.unit == Unit.PERCENT:
        return _("%(sign)s%(points)s pt") % {
            "sign": sign,
            "points": formats.number(abs(difference), item.places),
        }
    text = sign + figure_text(item, abs(difference))
    if before and not item.is_ratio:
        text += f" ({sign}{formats.percent(abs(difference) * 100 / abs(before), 1)})"
    return text


def per_project(item: Indicator, figures: Mapping[str, Figure]) -> Decimal | None:
    """``item``'s value per project approved in the same cell (None without projects)."""
    projects = figures.get(PROJECTS)
    value = figures.get(item.key)
    if not item.per_project or value is None or not value.value or not projects:
        return None
    if not projects.value:
        return None
    return (value.value / projects.value).quantize(Decimal("0.01"))


def median_text(item: Indicator, value: Decimal | None) -> str:
    """A median reads with one more decimal when it falls between two whole values (the
    median of 1 and 2 projects is 1,5)."""
    if value is None or value == value.to_integral_value():
        return figure_text(item, value)
    return figure_text(item, value, places=max(item.places, 1))


def _median(values: Sequence[Decimal | None], item: Indicator) -> Decimal | None:
    present = [value for value in values if value is not None]
    if not present:
        return None
    return Decimal(median(present)).quantize(Decimal(1).scaleb(-max(item.places, 1)))


# -- Links to the rows behind a figure ---------------------------------------------------------


def _list_action(path: str) -> str | None:
    """The action the list view at ``path`` requires (its ``action``)."""
    view_class = getattr(resolve(path).func, "view_class", None)
    return getattr(view_class, "action", None) or None


def drill_url(
    item: Indicator, year: int, dispositif: Dispositif | None, paths: dict | None = None
) -> str:
    """The list of the rows behind ``item`` for ``year``, narrowed to ``dispositif`` (every
    dispositif the reader sees for None); '' when the indicator has no list or the list is
    not served. ``paths`` keeps the lists' paths across calls (a table asks for hundreds)."""
    if item.drill is None:
        return ""
    name, query = item.drill(dispositif.pk if dispositif else None, year, 0)
    paths = {} if paths is None else paths
    if name not in paths:
        try:
            paths[name] = reverse(name)
        except NoReverseMatch:
            paths[name] = ""
    path = paths[name]
    if not path:
        return ""
    if dispositif is not None:
        query = {**query, "dispositif": dispositif.slug}
    return f"{path}?{urlencode(query)}"


@dataclass
class _Links:
    """Drill-down links the reader may follow: a list is linked only where the access
    policy lets them open it, so a link never answers 403 or 404."""

    user: object
    year: int
    shown: list[Dispositif]
    whole: bool  # the table shows every dispositif the reader sees (no region filter)
    actions: dict[str, str | None] = field(default_factory=dict)
    permitted: dict[tuple[str, int], bool] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    def _may(self, action: str, dispositif: Dispositif) -> bool:
        """The policy's answer, asked once per action and dispositif (a table asks it for
        every cell)."""
        known = self.permitted.get((action, dispositif.pk))
        if known is None:
            known = self.permitted[(action, dispositif.pk)] = may(self.user, action, dispositif.pk)
        return known

    def _allowed(self, url: str, dispositifs: Sequence[Dispositif] | None) -> bool:
        path = url.split("?", 1)[0]
        if path not in self.actions:
            self.actions[path] = _list_action(path)
        action = self.actions[path]
        if not action:
            return False
        if dispositifs is None:
            # The whole list counts what the table adds up only when both cover the same
            # dispositifs.
            allowed = dispositif_ids(self.user, action)
            return allowed is None or allowed == {d.pk for d in self.shown}
        return all(self._may(action, d) for d in dispositifs)

    def row(self, item: Indicator, dispositif: Dispositif) -> str:
        url = drill_url(item, self.year, dispositif, self.paths)
        return url if url and self._allowed(url, [dispositif]) else ""

    def total(self, item: Indicator) -> str:
        if len(self.shown) == 1:
            return self.row(item, self.shown[0])
        if not self.whole:
            return ""
        url = drill_url(item, self.year, None, self.paths)
        return url if url and self._allowed(url, None) else ""


# -- What the page shows -----------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One number of the page: its value, how it reads, and the list behind it."""

    key: str
    value: Decimal | None
    text: str
    url: str = ""
    per_project: Decimal | None = None
    per_project_text: str = ""

    def cell_html(self) -> str:
        """The table cell, built here rather than by an included template: a table holds
        several hundred of them."""
        number = format_html('<a href="{}">{}</a>', self.url, self.text) if self.url else self.text
        per_project = ""
        if self.per_project_text:
            per_project = format_html(
                '<br><small class="muted" data-per-project>{}</small>',
                _("%(value)s par projet") % {"value": self.per_project_text},
            )
        return format_html('<td class="num" data-key="{}">{}{}</td>', self.key, number, per_project)


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Shown]
    dispositif: Dispositif | None = None
    region: str = ""
    kind: str = "dispositif"  # or "total", "median"


@dataclass(frozen=True)
class Card:
    indicator: Indicator
    shown: Shown
    before: Shown
    change: str
    median: Shown | None = None


@dataclass(frozen=True)
class Column:
    indicator: Indicator
    sort: str  # the sort key for this column
    aria_sort: str  # "ascending", "descending" or ""
    sort_url: str


@dataclass
class Dashboard:
    mode: str
    year: int
    years: list[int]
    columns: list[Column]
    cards: list[Card]
    rows: list[Row]
    total: Row
    median: Row | None
    charts: list
    fresh: dict
    filters: dict
    regions: list[tuple[str, str]]
    dispositifs: list[Dispositif]
    firms: list[Organisation]
    firm: Organisation | None
    sort: str
    name_sort_url: str
    name_aria_sort: str
    export_query: str
    scope_label: str
    # The page's HTML once rendered, by heading level: a dashboard asked again comes from
    # memory (``dashboard``) and is not rendered again.
    rendered: dict[str, SafeString] = field(default_factory=dict, repr=False, compare=False)

    @property
    def indicators(self) -> list[Indicator]:
        return [column.indicator for column in self.columns]

    def html(self, heading: str) -> SafeString:
        """The dashboard's HTML under an ``h1`` (its own page) or an ``h2`` (the home page's
        panel), rendered once."""
        found = self.rendered.get(heading)
        if found is None:
            subheading = {"h1": "h2", "h2": "h3"}[heading]
            found = self.rendered[heading] = render_to_string(
                "reporting/dashboard_body.html",
                {"board": self, "heading": heading, "subheading": subheading},
            )
        return found

    @property
    def page_html(self) -> SafeString:
        return self.html("h1")

    @property
    def panel_html(self) -> SafeString:
        return self.html("h2")

    def export_table(self) -> tuple[list[str], list[list]]:
        """The comparison table as an export: the headers and one row per dispositif in the
        order shown, then the total and the median (raw values, never formatted)."""
        headers = [_("Dispositif"), _("Région")]
        for item in self.indicators:
            headers.append(str(item.label))
            if self.per_project_shown(item):
                headers.append(_("%(label)s par projet") % {"label": item.label})
        rows = []
        for row in [*self.rows, self.total, *([self.median] if self.median else [])]:
            values: list = [row.label, row.region]
            for item, cell in zip(self.indicators, row.cells, strict=True):
                values.append(cell.value)
                if self.per_project_shown(item):
                    values.append(cell.per_project)
            rows.append(values)
        return headers, rows

    def per_project_shown(self, item: Indicator) -> bool:
        return item.per_project and self.mode != FIRM


# -- Who reads which dashboard -----------------------------------------------------------------


def reader_mode(user) -> str | None:
    """Which dashboard ``user`` gets: the network's, their dispositifs', their firm's, or
    none (experts, API clients, no role)."""
    reach = row_reach(user, Action.VIEW_INDICATORS)
    if reach.everything:
        return NETWORK
    if reach.dispositif_ids:
        return DISPOSITIFS
    if reach.organisations:
        return FIRM
    return None


def _network_version() -> tuple[tuple[int, ...], tuple]:
    """Every dispositif's id and the network's facts version: what the network median beside
    a dispositif's figures is read from (``_network_rows``)."""
    with scope(
        every_dispositif=True,
        reason="the network median beside a dispositif's figures reads every dispositif's facts",
    ):
        ids = tuple(Dispositif.objects.order_by("pk").values_list("pk", flat=True))
        return ids, freshness(ids)["version"]


def _network_rows(network: tuple[tuple[int, ...], tuple], years: Sequence[int], keys):
    """Every dispositif's kept facts for ``years``: the national read behind the network
    median shown to those who read only their own dispositifs (facts, never rows). Read
    with the network's facts version (``_network_version``), so that a page asked again
    before any dispositif is recomputed takes them from memory (``by_dispositif``)."""
    ids, version = network
    with scope(
        every_dispositif=True,
        reason="the network median beside a dispositif's figures reads every dispositif's facts",
    ):
        return by_dispositif(ids, years, keys=keys, version=version)


@lru_cache(maxsize=1)
def _link_actions() -> tuple[str, ...]:
    """The actions that the lists behind the figures require (the drill-down links)."""
    actions = set()
    for item in INDICATORS.values():
        if item.drill is None:
            continue
        name, _query_ = item.drill(None, 2000, 0)
        try:
            action = _list_action(reverse(name))
        except NoReverseMatch:
            continue
        if action:
            actions.add(action)
    return tuple(sorted(actions))


def _link_reach(user) -> tuple:
    """The dispositifs in which ``user`` may open each list a figure links to (None: all):
    the links of a page depend on nothing else of its reader."""
    found = []
    for action in _link_actions():
        ids = dispositif_ids(user, action)
        found.append((action, None if ids is None else tuple(sorted(ids))))
    return tuple(found)


def _year(params: Mapping[str, str], choices: Sequence[int], default: int) -> int:
    try:
        year = int(params.get("year", ""))
    except ValueError:
        return default
    return year if year in choices else default


def _sort_key(requested: str, allowed: Sequence[str]) -> str:
    key = requested.lstrip("-")
    return requested if key in allowed else "dispositif"


def _query(params: Mapping[str, str], **changes) -> str:
    """The page's query string with ``changes``: its own parameters only."""
    query = {k: v for k, v in params.items() if k in PARAMETERS}
    query.update(changes)
    return urlencode({k: v for k, v in query.items() if v not in ("", None)})


def dashboard(user, params: Mapping[str, str]) -> Dashboard | None:
    """The dashboard ``user`` reads, filtered by ``params`` (year, region, dispositif, firm,
    sort: the page's query string); None for those who have none."""
    mode = reader_mode(user)
    if mode is None:
        return None
    readable = list(
        Dispositif.objects.for_user(user, Action.VIEW_INDICATORS).order_by("name", "pk")
    )
    firms: list[Organisation] = []
    firm = None
    if mode == FIRM:
        organisations = row_reach(user, Action.VIEW_INDICATORS).organisations
        firms = list(Organisation.objects.filter(pk__in=sorted(organisations)).order_by("name"))
        firm = next((f for f in firms if str(f.pk) == params.get("firm")), None) or (
            firms[0] if firms else None
        )
        if firm is None:
            return None
    fresh = _freshness([d.pk for d in readable])
    network = _network_version() if mode == DISPOSITIFS else None
    # Everything the page is made of is in the key: who reads it (the dispositifs and firms
    # read, and the lists their links may open), the facts' versions, the query string, the
    # language and the day. A page asked again before any of them changes is the same page.
    key: tuple | None = (
        "dashboard",
        mode,
        tuple((d.pk, d.name, d.slug, d.region) for d in readable),
        tuple((f.pk, f.name) for f in firms),
        firm.pk if firm else None,
        (fresh["version"], fresh["pending"], fresh["computed_at"]),
        network,
        _link_reach(user),
        tuple(sorted((k, v) for k, v in params.items() if k in PARAMETERS)),
        get_language(),
        timezone.localdate(),
    )
    if not fresh["version"][0]:
        key = None  # no facts kept yet for these dispositifs: nothing worth keeping
    return _BOARDS.remember(
        key, lambda: _build(user, params, mode, readable, firms, firm, fresh, network)
    )


def _build(user, params, mode, readable, firms, firm, fresh, network) -> Dashboard:
    keys = firm_keys() if mode == FIRM else headline_keys()
    read_keys = keys if mode == FIRM else [*keys, PROJECTS]
    readable_ids = [d.pk for d in readable]

    today = timezone.localdate().year
    available = years_available(readable_ids, version=fresh["version"])
    years = sorted(set(available) | {today}, reverse=True)
    year = _year(params, years, today)
    trend_years = list(range(year - TREND_YEARS + 1, year + 1))

    region = params.get("region", "")
    regions = sorted({d.region for d in readable}, key=region_name)
    if region not in regions:
        region = ""
    slug = params.get("dispositif", "")
    shown = [d for d in readable if not region or d.region == region]
    if slug and any(d.slug == slug for d in shown):
        shown = [d for d in shown if d.slug == slug]
    else:
        slug = ""
    shown_ids = [d.pk for d in shown]
    firm_id = firm.pk if firm else 0

    facts = by_dispositif(
        shown_ids, trend_years, firm_id=firm_id, keys=read_keys, version=fresh["version"]
    )
    indicators = ordered(keys)
    links = _Links(user, year, shown, whole=not region and not slug)

    def cell(item: Indicator, figures: Mapping[str, Figure] | None, url: str) -> Shown:
        figure = figures.get(item.key) if figures else None
        value = figure.value if figure else None
        ratio = per_project(item, figures) if figures and mode != FIRM else None
        return Shown(
            item.key,
            value,
            figure_text(item, value),
            url if value is not None else "",
            ratio,
            figure_text(item, ratio, places=2) if ratio is not None else "",
        )

    rows = []
    for dispositif in shown:
        figures = facts.get((dispositif.pk, year))
        rows.append(
            Row(
                dispositif.name,
                [cell(item, figures, links.row(item, dispositif)) for item in indicators],
                dispositif,
                region_name(dispositif.region),
            )
        )
    # A year without any kept fact in the scope has no figure (not zero): before the
    # dispositifs started, or before the facts were first computed.
    counted = {fact_year for _dispositif, fact_year in facts}
    totals = {
        each: total(shown_ids, each, firm_id=firm_id, keys=read_keys, rows=facts)
        if each in counted
        else {key: Figure(key, None) for key in read_keys}
        for each in trend_years
    }
    scope_label = _scope_label(mode, shown, firm, region, readable)
    total_row = Row(
        _("Total réseau") if mode == NETWORK and links.whole else _("Total"),
        [cell(item, totals[year], links.total(item)) for item in indicators],
        kind="total",
    )

    # The median: over the dispositifs shown for the network, over the whole network for
    # those who read only their own dispositifs, none for a firm.
    median_row = None
    medians: dict[int, dict[str, Decimal | None]] = {}
    if mode == NETWORK:
        medians = _medians(facts, shown_ids, trend_years, indicators, mode)
        label = _("Médiane des dispositifs")
    elif mode == DISPOSITIFS:
        network_rows = _network_rows(network, trend_years, read_keys)
        medians = _medians(network_rows, None, trend_years, indicators, mode)
        label = _("Médiane du réseau")
    if medians:
        median_row = Row(
            label,
            [
                Shown(item.key, medians[year][item.key], median_text(item, medians[year][item.key]))
                for item in indicators
            ],
            kind="median",
        )

    sort = _sort_key(params.get("sort", ""), ["dispositif", "region", *keys])
    rows = _sorted(rows, sort, indicators)
    columns = []
    for item in indicators:
        columns.append(
            Column(
                item,
                item.key,
                _aria(sort, item.key),
                "?" + _query(params, sort=f"-{item.key}" if sort == item.key else item.key),
            )
        )

    cards = []
    for index, item in enumerate(indicators):
        now, before = totals[year].get(item.key), totals.get(year - 1, {}).get(item.key)
        now_value = now.value if now else None
        before_value = before.value if before else None
        if year - 1 not in totals:
            before_value = None
        cards.append(
            Card(
                item,
                total_row.cells[index],
                Shown(item.key, before_value, figure_text(item, before_value)),
                change_text(item, now_value, before_value),
                median_row.cells[index] if median_row and mode == DISPOSITIFS else None,
            )
        )

    return Dashboard(
        mode=mode,
        year=year,
        years=years,
        columns=columns,
        cards=cards,
        rows=rows,
        total=total_row,
        median=median_row,
        charts=_trends(indicators, trend_years, totals, medians, scope_label, mode),
        fresh=fresh,
        filters={"year": year, "region": region, "dispositif": slug},
        regions=[(code, region_name(code)) for code in regions],
        dispositifs=[d for d in readable if not region or d.region == region],
        firms=firms,
        firm=firm,
        sort=sort,
        name_sort_url="?"
        + _query(params, sort="-dispositif" if sort == "dispositif" else "dispositif"),
        name_aria_sort=_aria(sort, "dispositif"),
        export_query=_query(params),
        scope_label=scope_label,
    )


def _aria(sort: str, key: str) -> str:
    if sort == key:
        return "ascending"
    if sort == f"-{key}":
        return "descending"
    return ""


def _sorted(rows: list[Row], sort: str, indicators: Sequence[Indicator]) -> list[Row]:
    key = sort.lstrip("-")
    reverse_order = sort.startswith("-")
    if key == "dispositif":
        return sorted(rows, key=lambda row: row.label.casefold(), reverse=reverse_order)
    if key == "region":
        return sorted(
            rows, key=lambda row: (row.region, row.label.casefold()), reverse=reverse_order
        )
    index = [item.key for item in indicators].index(key)
    # Rows without a figure go last, whichever the direction.
    present = [row for row in rows if row.cells[index].value is not None]
    missing = [row for row in rows if row.cells[index].value is None]
    present.sort(key=lambda row: row.label.casefold())
    present.sort(key=lambda row: row.cells[index].value, reverse=reverse_order)
    return present + missing


def _medians(facts, ids, years, indicators, mode) -> dict[int, dict[str, Decimal | None]]:
    """Per year, the median over the dispositifs that have facts that year (those of
    ``ids``, or every one for None) of each indicator's value."""
    result = {}
    for year in years:
        cells = [
            figures
            for (dispositif, fact_year), figures in facts.items()
            if fact_year == year and (ids is None or dispositif in ids)
        ]
        result[year] = {
            item.key: _median([c[item.key].value for c in cells if item.key in c], item)
            for item in indicators
        }
    return result


def _scope_label(mode, shown, firm, region, readable) -> str:
    if mode == FIRM and firm is not None:
        return firm.name
    if len(shown) == 1:
        return shown[0].name
    if region:
        return region_name(region)
    if mode == NETWORK:
        return _("Réseau")
    return _("Vos dispositifs") if len(readable) > 1 else (readable[0].name if readable else "")


def _trends(indicators, years, totals, medians, scope_label, mode) -> list:
    """One line chart per indicator over the five years: the scope's figure and, beside
    it, the median (of the dispositifs shown, or of the network)."""
    found = []
    categories = [str(year) for year in years]
    median_name = _("Médiane du réseau") if mode == DISPOSITIFS else _("Médiane des dispositifs")
    for item in indicators:
        values = [totals[year][item.key].value for year in years]
        series = [
            charts.Series(scope_label, values, [figure_text(item, v) for v in values]),
        ]
        if medians:
            middle = [medians[year][item.key] for year in years]
            series.append(
                charts.Series(median_name, middle, [median_text(item, v) for v in middle])
            )
        chart = charts.line_chart(
            categories,
            series,
            key=f"trend-{item.key}",
            title=_("%(label)s, %(first)s–%(last)s")
            % {"label": item.label, "first": years[0], "last": years[-1]},
            category_header=_("Année"),
        )
        if chart is not None:
            found.append((item, chart))
    return found


def _freshness(ids: Sequence[int]) -> dict:
    state = freshness(ids)
    computed = state["computed_at"]
    text = ""
    if computed is not None:
        local = timezone.localtime(computed)
        if local.date() == timezone.localdate():
            text = _("calculés à %(time)s") % {"time": local.strftime("%H:%M")}
        else:
            text = _("calculés le %(date)s à %(time)s") % {
                "date": formats.short_date(local),
                "time": local.strftime("%H:%M"),
            }
    return {
        "text": text,
        "pending": state["pending"],
        "computed_at": computed,
        "version": state["version"],
    }


# -- The glossary ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    indicator: Indicator
    unit: str
    kind: str
    notes: list[str]


def glossary() -> list[Definition]:
    """Every indicator in publication order, with its unit, its kind and what else to know
    (the two indicators a ratio divides, yearly only, per partner firm, statistical secrecy,
    internal): the in-product twin of docs/indicators.md."""
    units = dict(Unit.choices)
    kinds = dict(Kind.choices)
    found = []
    for item in ordered():
        notes = []
        if item.is_ratio:
            notes.append(
                _("%(numerator)s ÷ %(denominator)s")
                % {
                    "numerator": INDICATORS[item.numerator].label,
                    "denominator": INDICATORS[item.denominator].label,
                }
            )
        if not item.monthly:
            notes.append(_("annuel seulement"))
        if item.per_firm:
            notes.append(_("aussi par entreprise partenaire"))
        if item.per_project:
            notes.append(_("aussi rapporté aux projets accordés"))
        if not item.public:
            notes.append(_("interne au réseau"))
        elif item.about_smes:
            notes.append(_("secret statistique à la publication"))
        found.append(Definition(item, str(units[item.unit]), str(kinds[item.kind]), notes))
    return found
