"""The utilisation chart's geometry: bars in proportion, clamped to the plot, gaps for
months without money, labels that stay readable however many months are drawn."""

from decimal import Decimal

from django.utils import translation

from loans import charts

D = Decimal


def test_bars_are_in_proportion_and_stay_inside_the_plot():
    chart = charts.ratio_bar_chart(
        [("01/26", D("0.5"), "a"), ("02/26", D("1.2"), "b"), ("03/26", None, "c")]
    )
    plot = D(charts.HEIGHT - charts.BOTTOM - charts.TOP)
    half, over, empty = chart.bars
    assert half.height == plot / 2
    assert over.height == plot  # above 100 % is drawn to the top, not off the chart
    assert empty.height == 0
    assert all(bar.y + bar.height == chart.baseline for bar in chart.bars)
    assert half.x < over.x < empty.x and over.x + over.width <= charts.WIDTH


def test_labels_thin_out_and_read_in_the_language():
    points = [(f"{m:02d}/26", D("0.1"), "") for m in range(1, 13)] * 3
    chart = charts.ratio_bar_chart(points)
    assert len([bar for bar in chart.bars if bar.label]) == 12
    with translation.override("fr"):
        assert charts.ratio_bar_chart(points).grid[-1].label == "100\u00a0%"
    with translation.override("en"):
        assert charts.ratio_bar_chart(points).grid[-1].label == "100%"
    assert charts.ratio_bar_chart([]) is None
