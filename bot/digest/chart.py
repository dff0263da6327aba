"""The digest chart: 14 days of arrivals stacked by kind, with the open backlog as a line.

Drawn with matplotlib's object API on the Agg canvas: no pyplot global state and no display,
so it is safe in the server's worker threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from bot.digest.model import DayVolume
from bot.domain import Kind

PALETTE_COLOURS = 32
COLOURS = {
    Kind.COMPLAINT: "#d1495b",
    Kind.BUG: "#edae49",
    Kind.QUESTION: "#00798c",
    Kind.FEEDBACK: "#30638e",
    Kind.PRAISE: "#66a182",
}


def render_chart(volume: Sequence[DayVolume], dpi: int = 100) -> bytes:
    """A PNG of `volume`, 9 by 4.2 inches at `dpi`; an empty series still gives a labelled chart.

    Teams embeds the image in the card, whose whole message must stay under 28 KB: it asks for
    a lower `dpi`.
    """
    figure = Figure(figsize=(9, 4.2), dpi=dpi)
    FigureCanvasAgg(figure)
    bars = figure.add_subplot()
    labels = [f"{v.day:%a}\n{v.day.day}" for v in volume]
    positions = list(range(len(volume)))
    bottom = [0] * len(volume)
    for kind in Kind:
        heights = [v.new_by_kind.get(kind, 0) for v in volume]
        bars.bar(positions, heights, bottom=bottom, color=COLOURS[kind], label=kind.value)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    bars.set_xticks(positions, labels, fontsize=8)
    bars.set_ylabel("new items")
    backlog = bars.twinx()
    backlog.plot(positions, [v.backlog for v in volume], color="black", marker="o", label="open")
    backlog.set_ylabel("open backlog")
    backlog.set_ylim(bottom=0)
    handles = bars.get_legend_handles_labels()[0] + backlog.get_legend_handles_labels()[0]
    bars.legend(handles=handles, loc="upper left", fontsize=8, ncols=3)
    bars.set_title("New feedback by kind, and the open backlog (last 14 days)")
    figure.tight_layout()
    drawn = io.BytesIO()
    figure.savefig(drawn, format="png")
    return _palette(drawn)


def _palette(png: io.BytesIO) -> bytes:
    """The same picture in 32 colours: a flat chart loses nothing and shrinks about 4 times."""
    smaller = io.BytesIO()
    Image.open(png).convert("RGB").quantize(PALETTE_COLOURS).save(smaller, "PNG", optimize=True)
    return smaller.getvalue()
