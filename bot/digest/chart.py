"""The digest chart: 14 days of arrivals by kind, above the open backlog, readable at a glance.

Two panels share the days. The upper one stacks each day's new items by kind, naming in its
legend only the kinds that had items; the lower one gives the backlog (items open at each day's
end) a scale of its own, rather than a second y-axis whose numbers nobody can line up with the
bars. The reported days sit on a shaded band, their totals written above them; the axis names
the month at its first day and wherever a month begins. Colours are from the Okabe-Ito palette,
which stays distinguishable with the common colour-vision deficiencies.

Drawn with matplotlib's object API on the Agg canvas (no pyplot global state, no display), so it
is safe in the server's worker threads, at twice its size in points for high-density screens.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image

from bot.digest.model import Chart, DayVolume, Digest
from bot.domain import Kind

WIDTH, HEIGHT = 7.2, 4.0  # inches: 720 x 400 points at 100 points per inch
POINTS_PER_INCH = 100
SHARP, COMPACT = 2.0, 1.5  # pixels per point (see `bot.digest.model.Chart`)
PALETTE_COLOURS = 24
COLOURS = {  # Okabe & Ito, "Color Universal Design" (2008)
    Kind.COMPLAINT: "#D55E00",  # vermillion
    Kind.BUG: "#E69F00",  # orange
    Kind.QUESTION: "#56B4E9",  # sky blue
    Kind.FEEDBACK: "#0072B2",  # blue
    Kind.PRAISE: "#009E73",  # bluish green
}
INK, MUTED, BAND = "#222222", "#6b6b6b", "#f0e6c8"
REPORTED = "reported"  # the gid of the band behind the reported days


@dataclass(frozen=True, slots=True)
class Series:
    kind: Kind
    colour: str
    heights: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ChartPlan:
    """What the chart shows, decided before anything is drawn."""

    series: tuple[Series, ...]  # kinds with at least one item, in `Kind` order
    labels: tuple[str, ...]  # one per day: weekday, day, and the month where one starts
    reported: tuple[int, ...]  # indices of the days the digest reports
    totals: tuple[int, ...]
    backlog: tuple[int, ...]


def chart_plan(volume: Sequence[DayVolume], first: date, last: date) -> ChartPlan:
    """The series, labels and marked days for `volume`, reporting the days `first`..`last`."""
    series = tuple(
        Series(kind, COLOURS[kind], heights)
        for kind in Kind
        if any(heights := tuple(v.new_by_kind.get(kind, 0) for v in volume))
    )
    return ChartPlan(
        series=series,
        labels=tuple(_label(v.day, i == 0) for i, v in enumerate(volume)),
        reported=tuple(i for i, v in enumerate(volume) if first <= v.day <= last),
        totals=tuple(sum(v.new_by_kind.values()) for v in volume),
        backlog=tuple(v.backlog for v in volume),
    )


def _label(day: date, first: bool) -> str:
    month = f" {day:%b}" if first or day.day == 1 else ""
    return f"{day:%a}\n{day.day}{month}"


def draw_chart(volume: Sequence[DayVolume], first: date, last: date) -> Figure:
    """The chart as a figure, before it is turned into pixels."""
    plan = chart_plan(volume, first, last)
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=POINTS_PER_INCH, layout="constrained")
    FigureCanvasAgg(figure)
    bars, backlog = figure.subplots(2, 1, sharex=True, height_ratios=[2.3, 1])
    for axes in (bars, backlog):
        _frame(axes, plan)
    _arrivals(bars, plan)
    _backlog(backlog, plan)
    backlog.set_xticks(range(len(plan.labels)), plan.labels)
    for index, tick in enumerate(backlog.get_xticklabels()):
        if index in plan.reported:
            tick.set_fontweight("bold")
            tick.set_color(INK)
    return figure


def render_chart(digest: Digest) -> Chart:
    """The chart drawn once, saved at 1440 x 800 and at 1080 x 600 pixels."""
    figure = draw_chart(digest.volume, digest.period.first_day, digest.period.last_day)
    return Chart(sharp=_png(figure, SHARP), compact=_palette(_png(figure, COMPACT)))


def _png(figure: Figure, density: float) -> bytes:
    drawn = io.BytesIO()
    figure.savefig(drawn, format="png", dpi=POINTS_PER_INCH * density)
    return drawn.getvalue()


def _frame(axes: Axes, plan: ChartPlan) -> None:
    """Shared look: the reported band, a light grid, no box, integer counts from zero."""
    if plan.reported:
        axes.axvspan(
            plan.reported[0] - 0.5, plan.reported[-1] + 0.5, color=BAND, zorder=0, gid=REPORTED
        )
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(MUTED)
    axes.tick_params(colors=MUTED, labelsize=8, length=0)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True, min_n_ticks=2))
    axes.set_xlim(-0.6, len(plan.labels) - 0.4)


def _arrivals(axes: Axes, plan: ChartPlan) -> None:
    _title(axes, "New feedback per day")
    bottom = [0] * len(plan.labels)
    for series in plan.series:
        axes.bar(
            range(len(bottom)),
            series.heights,
            width=0.72,
            bottom=bottom,
            color=series.colour,
            edgecolor="white",
            linewidth=0.4,
            label=series.kind.value,
        )
        bottom = [b + h for b, h in zip(bottom, series.heights, strict=True)]
    axes.set_ylim(0, max(max(plan.totals, default=0) * 1.18, 4))
    if not plan.series:
        axes.text(
            0.5,
            0.5,
            "No new feedback in these 14 days",
            transform=axes.transAxes,
            ha="center",
            va="center",
            color=MUTED,
            fontsize=10,
        )
        return
    for index, total in enumerate(plan.totals):
        if total or index in plan.reported:
            _value(axes, index, total, strong=index in plan.reported)
    axes.legend(
        loc="lower right",
        bbox_to_anchor=(1, 1),
        ncols=len(plan.series),
        frameon=False,
        fontsize=8,
        handlelength=1,
        handleheight=1,
        columnspacing=1.2,
        borderaxespad=0.2,
    )


def _backlog(axes: Axes, plan: ChartPlan) -> None:
    _title(axes, "Open at the end of each day")
    axes.plot(range(len(plan.backlog)), plan.backlog, color=INK, linewidth=1.6)
    for index in plan.reported:
        axes.plot(index, plan.backlog[index], "o", color=INK, markersize=4)
    if plan.backlog:
        _value(axes, len(plan.backlog) - 1, plan.backlog[-1], strong=True)
    axes.set_ylim(0, max(max(plan.backlog, default=0) * 1.3, 4))


def _title(axes: Axes, text: str) -> None:
    axes.set_title(text, loc="left", fontsize=10, color=INK, fontweight="bold")


def _value(axes: Axes, x: int, y: int, *, strong: bool) -> None:
    """A number written just above the point it belongs to; the reported days' stand out."""
    axes.annotate(
        str(y),
        (x, y),
        xytext=(0, 2),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=9 if strong else 7.5,
        fontweight="bold" if strong else "normal",
        color=INK if strong else MUTED,
    )


def _palette(png: bytes) -> bytes:
    """The same picture in 24 colours: a flat chart loses nothing and shrinks about 4 times.

    The octree keeps the few flat colours exact and spends the rest on the edges of text.
    """
    smaller = io.BytesIO()
    flat = Image.open(io.BytesIO(png)).convert("RGB")
    flat.quantize(PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE).save(
        smaller, "PNG", optimize=True
    )
    return smaller.getvalue()
