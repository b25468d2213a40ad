"""The chart kit (``alize.charts``): geometry in proportion and inside the frame, labels that
stay readable, and an SVG that reads without being seen (role, title, description, table)."""

from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation

from alize import charts
from alize.formats import share_percent

D = Decimal
NBSP = "\u00a0"


def ratio_chart(points):
    """Columns of ``(label, ratio, title)`` points against 0–100 %, as the fund page draws them."""
    return charts.column_chart(
        [charts.Bar(label, ratio, title=title) for label, ratio, title in points],
        key="utilisation",
        title="Utilisation",
        maximum=1,
        scale=lambda level: share_percent(level, 0),
    )


# -- Columns (the fund's utilisation) -----------------------------------------------------------


def test_bars_are_in_proportion_and_stay_inside_the_plot():
    chart = ratio_chart([("01/26", D("0.5"), "a"), ("02/26", D("1.2"), "b"), ("03/26", None, "c")])
    plot = D(charts.HEIGHT - charts.BOTTOM - charts.TOP)
    half, over, empty = chart.bars
    assert half.height == plot / 2
    assert over.height == plot  # above 100 % is drawn to the top, not off the chart
    assert empty.height == 0
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert half.x < over.x < empty.x and over.x + over.width <= charts.WIDTH


def test_labels_thin_out_and_read_in_the_language():
    points = [(f"{m:02d}/26", D("0.1"), "") for m in range(1, 13)] * 3
    chart = ratio_chart(points)
    assert len(chart.axis) == 12
    with translation.override("fr"):
        assert ratio_chart(points).grid[-1].label == "100\u00a0%"
    with translation.override("en"):
        assert ratio_chart(points).grid[-1].label == "100%"
    assert ratio_chart([]) is None


# -- Horizontal bars (fatigue, the annual report) -----------------------------------------------


def test_bars_share_one_scale_and_write_their_figures():
    chart = charts.bar_chart(
        [charts.Bar("Accepté", 2), charts.Bar("Signalé", 8), charts.Bar("Abandonné", 0)],
        key="funnel",
        title="Le parcours des projets",
    )
    layout = charts.BarLayout()
    room = layout.width - layout.label_width - layout.value_width
    accepted, referred, abandoned = chart.bars
    assert referred.width == room and accepted.width == room / 4 and abandoned.width == 0
    assert [text.text for mark in chart.marks for text in mark.texts] == [
        "Accepté",
        "2",
        "Signalé",
        "8",
        "Abandonné",
        "0",
    ]
    assert chart.height == 3 * (layout.bar_height + layout.bar_gap)
    assert chart.description == "Accepté : 2. Signalé : 8. Abandonné : 0."
    assert chart.table.rows == [["Accepté", "2"], ["Signalé", "8"], ["Abandonné", "0"]]


def test_groups_are_read_aloud_with_their_note():
    group = charts.BarGroup(
        "Grande entreprise",
        [
            charts.Bar("demandées", D("40"), text="40", title="demandées : 40 h", css="asked"),
            charts.Bar("réalisées", D("0.1"), text="0,1", css="delivered over"),
        ],
        note="au-delà de l'engagement",
    )
    chart = charts.bar_chart([group], key="fatigue", title="Fatigue")
    asked, delivered = chart.bars
    assert delivered.width == 1  # a small figure still shows
    assert asked.css == "asked" and delivered.css == "delivered over"
    assert chart.marks[0].texts[0].text == "Grande entreprise ⚠"
    assert chart.description == (
        "Grande entreprise : demandées : 40 h, réalisées : 0,1 (au-delà de l'engagement)."
    )
    assert chart.table.headers == ["", "demandées", "réalisées"]
    assert chart.table.rows == [["Grande entreprise", "40", "0,1"]]


def test_long_labels_are_cut_with_an_ellipsis():
    chart = charts.bar_chart(
        [charts.Bar("x" * 60, 1)], key="k", title="t", layout=charts.BarLayout(label_chars=10)
    )
    assert chart.marks[0].texts[0].text == "x" * 9 + "…"
    assert chart.table.rows[0][0] == "x" * 60  # the table keeps the whole label


# -- Lines (trends over years) ------------------------------------------------------------------


def test_line_chart_draws_a_line_per_series_and_breaks_at_gaps():
    years = ["2022", "2023", "2024", "2025", "2026"]
    chart = charts.line_chart(
        years,
        [
            charts.Series("Emplois créés", [10, 30, None, 45, 70]),
            charts.Series("Emplois maintenus", [5, 5, 8, 8, 9]),
        ],
        key="jobs",
        title="Emplois sur cinq ans",
        category_header="Année",
    )
    created, kept = chart.lines
    assert len(created.segments) == 2 and len(created.dots) == 4  # 2024 has no figure
    assert len(kept.segments) == 1 and len(kept.dots) == 5
    assert created.colour != kept.colour and created.dash != kept.dash
    assert chart.grid[-1].label == "80"  # a round top above the largest value, 70
    top, bottom = chart.grid[-1].y, chart.grid[0].y
    assert bottom == chart.baseline and all(top <= dot.y <= bottom for dot in created.dots)
    xs = [dot.x for dot in kept.dots]
    assert xs == sorted(xs) and xs[-1] < charts.WIDTH
    assert [text.text for text in chart.axis] == years
    assert created.legend_x < kept.legend_x  # the legend names both, side by side
    assert chart.description.startswith("Emplois créés : 2022 : 10, 2023 : 30, 2024 : —,")
    assert chart.table.headers == ["Année", "Emplois créés", "Emplois maintenus"]
    assert chart.table.rows[2] == ["2024", "—", "8"]
    assert charts.line_chart([], [], key="k", title="t") is None


def test_line_chart_numbers_read_in_the_language():
    series = [charts.Series("Montant", [D("1500.5"), D("3000")])]
    with translation.override("fr"):
        chart = charts.line_chart(["2025", "2026"], series, key="k", title="t")
        assert chart.grid[-1].label == f"4{NBSP}000"
        assert chart.table.rows[0] == ["2025", f"1{NBSP}500,5"]
    with translation.override("en"):
        chart = charts.line_chart(["2025", "2026"], series, key="k", title="t")
        assert chart.table.rows[0] == ["2025", "1,500.5"]


# -- The SVG --------------------------------------------------------------------------------


def test_svg_is_an_accessible_image_for_pages_and_pdfs():
    chart = charts.bar_chart(
        [charts.Bar("Réseau <Entreprendre>", D("12.5"))], key="sources", title="Sources"
    )
    with translation.override("fr"):
        page = render_to_string("includes/chart.html", {"chart": chart, "table": True})
    assert 'role="img"' in page
    assert 'aria-labelledby="sources-chart-title sources-chart-desc"' in page
    assert '<title id="sources-chart-title">Sources</title>' in page
    assert '<desc id="sources-chart-desc">Réseau &lt;Entreprendre&gt; : 12,5.</desc>' in page
    assert 'width="100%"' in page and "<table" in page and '<th scope="row">Réseau' in page
    # Coordinates are never written the French way, whatever the language.
    assert 'width="240.0"' in page and ",0" not in page.split("<desc")[0]
    pdf = render_to_string(
        "includes/chart.html",
        {"chart": charts.bar_chart([charts.Bar("A", 1)], key="k", title="t", style=charts.PDF)},
    )
    assert 'width="480" height="22"' in pdf and "<table" not in pdf
    assert render_to_string("includes/chart.html", {"chart": None}).strip() == ""


def test_line_chart_makes_room_for_the_widest_value_of_its_scale():
    """Amounts of hundreds of thousands of euros are written whole left of the plot: the
    plot starts after the widest scale label, and every point lies right of it."""
    from alize.formats import money

    small = charts.line_chart(["2025", "2026"], [charts.Series("n", [1, 3])], key="s", title="s")
    wide = charts.line_chart(
        ["2025", "2026"],
        [charts.Series("Valeur", [Decimal("253000"), Decimal("384440")])],
        key="w",
        title="w",
        scale=lambda value: money(value, 0),
    )
    assert small.left == charts.LEFT
    widest = max(len(line.label) for line in wide.grid)
    assert wide.left >= widest * wide.style.font_size * 0.6
    assert all(dot.x > wide.left for line in wide.lines for dot in line.dots)
