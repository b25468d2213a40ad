"""Statistical secrecy (alize.indicators.secrecy), on hand-built tables: which cells are
suppressed, and that no suppressed value can be computed exactly from the published cells
and totals (the linear system of the totals leaves each one undetermined)."""

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from django.test import override_settings

from alize.indicators.reading import Figure
from alize.indicators.secrecy import Reason, primary, protect

FLOW = "expert_hours"  # flow, monthly, about SMEs
STOCK = "outstanding"  # stock, about SMEs
NOT_ABOUT_SMES = "committees_held"
RATIO, NUMERATOR, DENOMINATOR = "survival_3y", "survival_alive", "survival_followed"


def fig(key, value, smes=5, top=None):
    value = Decimal(value)
    top = Decimal(top) if top is not None else value / max(smes, 1)
    return Figure(key, value, smes, top)


def table_of(key, cells, groups, months=(0,)):
    """A complete table of one flow: ``cells`` maps (dispositif, month) to (value, smes) or
    (value, smes, top); group totals are the sums of their dispositifs."""
    table = {cell: {key: fig(key, *spec)} for cell, spec in cells.items()}
    for group, members in groups.items():
        for month in months:
            parts = [table[(row, month)][key] for row in members]
            table[(group, month)] = {
                key: Figure(
                    key,
                    sum((p.value for p in parts), Decimal(0)),
                    sum(p.smes for p in parts),
                    max(p.top for p in parts),
                )
            }
    return table


def equations(key, table, groups, flow=True):
    """The published relations between cells: each group's total is the sum of its
    dispositifs (every month), and for a flow each row's year is the sum of its months."""
    months = sorted({month for _row, month in table})
    relations = []
    for group, members in groups.items():
        for month in months:
            relations.append(({(row, month): 1 for row in members}, (group, month)))
    if flow and len(months) > 1:
        rows = {row for row, _month in table}
        for row in rows:
            relations.append(({(row, month): 1 for month in months if month}, (row, 0)))
    return relations


def rank(matrix):
    rows = [list(map(Fraction, row)) for row in matrix]
    found = 0
    width = len(rows[0]) if rows else 0
    for column in range(width):
        pivot = next((i for i in range(found, len(rows)) if rows[i][column]), None)
        if pivot is None:
            continue
        rows[found], rows[pivot] = rows[pivot], rows[found]
        for i in range(len(rows)):
            if i != found and rows[i][column]:
                factor = rows[i][column] / rows[found][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[found], strict=True)]
        found += 1
    return found


def recoverable(key, published, groups, flow=True):
    """The suppressed cells whose value the published cells and the relations between them
    determine exactly: ``e_cell`` lies in the row space of the system over the unknowns."""
    unknown = sorted(
        (cell for cell, figures in published.items() if figures[key].value is None), key=repr
    )
    if not unknown:
        return []
    index = {cell: i for i, cell in enumerate(unknown)}
    matrix = []
    for parts, margin in equations(key, published, groups, flow):
        row = [0] * len(unknown)
        for cell, coefficient in [*parts.items(), (margin, -1)]:
            if cell in index:
                row[index[cell]] += coefficient
        if any(row):
            matrix.append(row)
    base = rank(matrix) if matrix else 0
    found = []
    for cell, i in index.items():
        unit = [0] * len(unknown)
        unit[i] = 1
        if rank([*matrix, unit]) == base:
            found.append(cell)
    return found


def primary_only(key, table):
    return {
        cell: {key: f.hidden(reason) if (reason := primary(f)) else f}
        for cell, figures in table.items()
        for f in [figures[key]]
    }


def suppressed(key, published):
    return {
        cell: figures[key].suppressed
        for cell, figures in published.items()
        if figures[key].suppressed
    }


def test_fewer_than_three_smes_is_suppressed_zero_smes_is_not():
    assert primary(fig(FLOW, 40, smes=2)) == Reason.FEW_SMES
    assert primary(fig(FLOW, 40, smes=1)) == Reason.FEW_SMES
    assert primary(fig(FLOW, 40, smes=3)) == ""
    assert primary(Figure(FLOW, Decimal(0), 0)) == ""


def test_one_sme_above_85_percent_is_dominance():
    assert primary(fig(FLOW, 100, smes=4, top=86)) == Reason.DOMINANCE
    assert primary(fig(FLOW, 100, smes=4, top=85)) == ""


@override_settings(INDICATORS_SECRECY_MIN_SMES=5, INDICATORS_SECRECY_DOMINANCE=Decimal("0.5"))
def test_thresholds_are_settings():
    assert primary(fig(FLOW, 100, smes=4, top=10)) == Reason.FEW_SMES
    assert primary(fig(FLOW, 100, smes=6, top=60)) == Reason.DOMINANCE


def test_figures_not_about_smes_are_never_suppressed():
    table = {(1, 0): {NOT_ABOUT_SMES: Figure(NOT_ABOUT_SMES, Decimal(1))}}
    assert primary(table[(1, 0)][NOT_ABOUT_SMES]) == ""
    assert protect(table, {}) == table


def test_a_small_cell_recovered_through_the_total_without_secondary_suppression():
    groups = {"region": [1, 2, 3]}
    table = table_of(FLOW, {(1, 0): (40, 2), (2, 0): (300, 6), (3, 0): (120, 4)}, groups)

    naive = primary_only(FLOW, table)
    assert suppressed(FLOW, naive) == {(1, 0): Reason.FEW_SMES}
    assert recoverable(FLOW, naive, groups) == [(1, 0)]  # 460 - 300 - 120

    published = protect(table, groups)
    # The smallest other dispositif goes with it; the total stays published.
    assert suppressed(FLOW, published) == {(1, 0): Reason.FEW_SMES, (3, 0): Reason.SECONDARY}
    assert published[("region", 0)][FLOW].value == Decimal(460)
    assert recoverable(FLOW, published, groups) == []


def test_a_group_of_one_suppresses_its_total():
    groups = {"region": [1]}
    table = table_of(FLOW, {(1, 0): (40, 1)}, groups)
    # The total is the cell itself; even given as more SMEs, it goes with the cell.
    table[("region", 0)][FLOW] = fig(FLOW, 40, smes=3)
    published = protect(table, groups)
    assert suppressed(FLOW, published) == {
        (1, 0): Reason.FEW_SMES,
        ("region", 0): Reason.SECONDARY,
    }


def test_a_suppressed_total_takes_a_cell_with_it():
    # Each dispositif has 3 SMEs, but one SME's part is most of the region: the total is
    # dominated and would be the sum of the published cells.
    groups = {"region": [1, 2]}
    table = table_of(FLOW, {(1, 0): (1000, 3, 800), (2, 0): (30, 3, 10)}, groups)
    table[("region", 0)][FLOW] = fig(FLOW, 1030, smes=6, top=900)
    published = protect(table, groups)
    assert suppressed(FLOW, published) == {
        ("region", 0): Reason.DOMINANCE,
        (2, 0): Reason.SECONDARY,
    }
    assert recoverable(FLOW, published, groups) == []


def test_zero_cells_are_taken_last_as_complements():
    groups = {"region": [1, 2, 3]}
    table = table_of(FLOW, {(1, 0): (40, 2), (2, 0): (0, 0), (3, 0): (500, 5)}, groups)
    assert suppressed(FLOW, protect(table, groups)) == {
        (1, 0): Reason.FEW_SMES,
        (3, 0): Reason.SECONDARY,
    }


def test_months_add_up_to_the_year_so_a_month_is_not_recovered_from_the_year():
    groups = {"region": [1, 2]}
    months = (0, 1, 2, 3)
    cells = {}
    for row, by_month in {1: (10, 200, 300), 2: (400, 500, 600)}.items():
        for month, value in enumerate(by_month, start=1):
            cells[(row, month)] = (value, 1 if (row, month) == (1, 1) else 4)
        cells[(row, 0)] = (sum(by_month), 5)
    table = table_of(FLOW, cells, groups, months)

    naive = primary_only(FLOW, table)
    assert (1, 1) in recoverable(FLOW, naive, groups)

    published = protect(table, groups)
    hidden = suppressed(FLOW, published)
    assert hidden[(1, 1)] == Reason.FEW_SMES
    assert len(hidden) >= 4  # a rectangle at least: two months of two rows
    assert recoverable(FLOW, published, groups) == []


def test_a_stocks_year_is_its_last_month_and_both_are_suppressed():
    groups = {"region": [1, 2, 3]}
    table = {}
    for row in (1, 2, 3):
        for month in (0, 1, 2):
            smes = 2 if (row, month) == (1, 2) else 4
            table[(row, month)] = {STOCK: fig(STOCK, 100 * row + month, smes)}
    for month in (0, 1, 2):
        values = [table[(row, month)][STOCK] for row in (1, 2, 3)]
        table[("region", month)] = {
            STOCK: Figure(STOCK, sum(v.value for v in values), 12, max(v.top for v in values))
        }
    published = protect(table, groups, stock_month=2)
    hidden = suppressed(STOCK, published)
    assert hidden[(1, 2)] == Reason.FEW_SMES
    assert hidden[(1, 0)] == Reason.SECONDARY  # the year is the last month's stock
    assert (2, 0) in hidden and (2, 2) in hidden  # the complement, in both
    assert recoverable(STOCK, published, groups, flow=False) == []


def survival_table(followed, alive, followed_smes):
    table = {}
    for row, (f, a, s) in enumerate(zip(followed, alive, followed_smes, strict=True), start=1):
        table[(row, 0)] = {
            DENOMINATOR: fig(DENOMINATOR, f, s, 1),
            NUMERATOR: fig(NUMERATOR, a, s, 1),
            RATIO: Figure(RATIO, Decimal(100 * a // f), s, Decimal(1)),
        }
    table[("region", 0)] = {
        DENOMINATOR: fig(DENOMINATOR, sum(followed), sum(followed_smes), 1),
        NUMERATOR: fig(NUMERATOR, sum(alive), sum(followed_smes), 1),
        RATIO: Figure(RATIO, Decimal(100 * sum(alive) // sum(followed)), 9, Decimal(1)),
    }
    return table


def test_a_ratio_goes_with_its_parts():
    groups = {"region": [1, 2, 3]}
    published = protect(survival_table([2, 4, 5], [2, 3, 5], [2, 4, 5]), groups)
    for row in (1, 2):  # row 1 has two SMEs; row 2 is the complement
        figures = published[(row, 0)]
        assert figures[RATIO].value is None and figures[RATIO].suppressed
        assert figures[NUMERATOR].value is None and figures[DENOMINATOR].value is None
    assert published[(3, 0)][RATIO].value == Decimal(100)
    assert published[("region", 0)][RATIO].value is not None


def test_a_published_ratio_never_has_a_suppressed_part():
    groups = {"region": [1, 2, 3, 4]}
    published = protect(survival_table([2, 3, 8, 9], [1, 3, 7, 9], [1, 3, 8, 9]), groups)
    for figures in published.values():
        if figures[RATIO].value is not None:
            assert not figures[NUMERATOR].suppressed and not figures[DENOMINATOR].suppressed
        if figures[NUMERATOR].suppressed or figures[DENOMINATOR].suppressed:
            assert figures[RATIO].suppressed


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_leave_no_suppressed_cell_recoverable(seed):
    chance = random.Random(seed)
    groups = {"north": [1, 2, 3], "south": [4, 5]}
    months = (0, 1, 2, 3)
    cells = {}
    for row in (1, 2, 3, 4, 5):
        year_value, year_smes = 0, 0
        for month in months[1:]:
            value = chance.choice([0, 0, chance.randint(1, 50), chance.randint(100, 900)])
            smes = 0 if value == 0 else chance.randint(1, 6)
            top = Decimal(value) * Decimal(chance.choice(["0.3", "0.5", "0.9"]))
            cells[(row, month)] = (value, smes, top if smes > 1 else value)
            year_value += value
            year_smes += smes
        cells[(row, 0)] = (year_value, year_smes, Decimal(year_value) / 2)
    table = table_of(FLOW, cells, groups, months)
    published = protect(table, groups)
    hidden = suppressed(FLOW, published)
    for cell, figures in table.items():
        if primary(figures[FLOW]):
            assert cell in hidden
    assert recoverable(FLOW, published, groups) == []
