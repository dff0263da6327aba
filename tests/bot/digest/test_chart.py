"""The digest chart: sharp, honest about what it shows, and clear about which days it reports."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation
from PIL import Image

from bot.digest.chart import (
    COLOURS,
    HEIGHT,
    POINTS_PER_INCH,
    REPORTED,
    WIDTH,
    chart_plan,
    draw_chart,
    render_chart,
)
from bot.digest.model import Count, Counts, DayVolume, Digest, SentimentMix
from bot.digest.period import Period
from bot.domain import Kind

LAST = date(2026, 3, 8)  # a Sunday: the Monday digest reports Friday 6 to Sunday 8 March
FIRST = date(2026, 3, 6)
OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}


def fortnight(**per_day: int) -> list[DayVolume]:
    """14 days to LAST with `per_day` items of each named kind every day, and a rising backlog."""
    days = [LAST - timedelta(days=13 - n) for n in range(14)]
    kinds = {Kind(name): count for name, count in per_day.items()}
    return [DayVolume(day, dict(kinds), 20 + n) for n, day in enumerate(days)]


def digest_of(volume: list[DayVolume]) -> Digest:
    """A digest that carries `volume`; the chart reads nothing else but its period."""
    none = Count(0, 0.0)
    midnight = datetime(2026, 3, 6, tzinfo=UTC)
    return Digest(
        period=Period(FIRST, LAST, midnight, midnight + timedelta(days=3), "UTC"),
        generated_at=midnight,
        counts=Counts(none, none, none, none),
        themes=(),
        sentiment=SentimentMix(0, 0, 0),
        sentiment_before=SentimentMix(0, 0, 0),
        quotes=(),
        waiting=0,
        oldest_open=(),
        people=0,
        helpers=(),
        helpers_week=(),
        distinct_helpers_month=0,
        month_start=FIRST,
        median_minutes_to_claim=None,
        median_minutes_to_close=None,
        volume=tuple(volume),
        sampled=False,
        shifts=(),
    )


def drawn(volume: list[DayVolume]) -> Figure:
    figure = draw_chart(volume, FIRST, LAST)
    figure.canvas.draw()
    return figure


def test_the_chart_has_twice_as_many_pixels_as_points_for_high_density_screens() -> None:
    chart = render_chart(digest_of(fortnight(bug=3, praise=1)))

    points = (round(WIDTH * POINTS_PER_INCH), round(HEIGHT * POINTS_PER_INCH))
    assert Image.open(io.BytesIO(chart.sharp)).size == (2 * points[0], 2 * points[1])
    assert Image.open(io.BytesIO(chart.compact)).size == (
        round(1.5 * points[0]),
        round(1.5 * points[1]),
    )


def test_kinds_without_items_get_neither_bars_nor_a_legend_entry() -> None:
    figure = drawn(fortnight(bug=3, praise=1))

    bars = figure.axes[0]
    legend = bars.get_legend()
    assert legend is not None
    assert [text.get_text() for text in legend.get_texts()] == ["bug", "praise"]
    assert [s.kind for s in chart_plan(fortnight(bug=3, praise=1), FIRST, LAST).series] == [
        Kind.BUG,
        Kind.PRAISE,
    ]


def test_an_empty_fortnight_says_so_instead_of_an_empty_legend() -> None:
    bars = drawn(fortnight()).axes[0]

    assert bars.get_legend() is None
    assert "No new feedback in these 14 days" in [t.get_text() for t in bars.texts]


def test_the_reported_days_are_marked_on_both_panels() -> None:
    figure = drawn(fortnight(complaint=2, question=1))

    for axes in figure.axes:
        bands = [a for a in axes.get_children() if a.get_gid() == REPORTED]
        assert len(bands) == 1
        band = bands[0]
        assert isinstance(band, Rectangle)
        # Days 11 to 13 of 0..13, Friday to Sunday, from edge to edge.
        assert (band.get_x(), band.get_x() + band.get_width()) == (10.5, 13.5)
    bold = [t.get_text() for t in figure.axes[1].get_xticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["Fri\n6", "Sat\n7", "Sun\n8"]
    totals = [a for a in figure.axes[0].texts if isinstance(a, Annotation)]
    assert [(a.get_text(), a.get_fontweight()) for a in totals[-3:]] == [("3", "bold")] * 3


def test_the_axis_names_the_month_where_the_chart_starts_and_where_one_begins() -> None:
    labels = chart_plan(fortnight(bug=1), FIRST, LAST).labels

    assert labels[0] == "Mon\n23 Feb"
    assert labels[6] == "Sun\n1 Mar"
    assert [label for label in labels if " " in label.split("\n")[1]] == [labels[0], labels[6]]


def test_the_backlog_has_its_own_panel_and_scale() -> None:
    volume = fortnight(feedback=2)
    figure = drawn(volume)

    bars, backlog = figure.axes
    assert len(figure.axes) == 2, "no second y-axis on the bars"
    assert not [line for line in bars.get_lines() if isinstance(line, Line2D)]
    line = backlog.get_lines()[0]
    assert list(line.get_ydata()) == [v.backlog for v in volume]
    assert backlog.get_ylim()[1] >= max(v.backlog for v in volume)


def test_the_legend_sits_above_the_bars_not_on_them() -> None:
    figure = drawn(fortnight(complaint=5, bug=4, question=3, feedback=2, praise=1))

    bars = figure.axes[0]
    legend = bars.get_legend()
    assert legend is not None
    assert legend.get_window_extent().y0 >= bars.get_window_extent().y1
    assert len(legend.get_texts()) == 5


def test_kinds_are_drawn_in_colour_blind_safe_colours() -> None:
    assert set(COLOURS.values()) <= OKABE_ITO
    assert len(set(COLOURS.values())) == len(Kind)
