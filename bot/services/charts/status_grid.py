"""The status board as a picture: schools (or people) × deadlines, each cell coloured by the
task's state, a legend of the states above. The caller splits a bigger grid into parts (at
most 100 rows × 60 columns each), so labels stay readable on a phone."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.services.charts.page import EMPTY_CELL, GREEN, ORANGE, SKY, VERMILLION

STATE_COLOURS = {
    "done": GREEN,
    "late": ORANGE,
    "overdue": VERMILLION,
    "pending": SKY,
    "none": EMPTY_CELL,
}
STATE_ORDER = tuple(STATE_COLOURS)
MAX_ROWS, MAX_COLUMNS = 100, 60
DPI = 100


def grid_png(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    states: Sequence[Sequence[str]],
    legend: Sequence[tuple[str, str]],
) -> bytes:
    """`legend`: (state, its label) pairs to show. Too big a grid is the caller's to split."""
    if len(rows) > MAX_ROWS or len(columns) > MAX_COLUMNS:
        raise ValueError(f"{len(rows)}×{len(columns)}: at most {MAX_ROWS}×{MAX_COLUMNS}")
    if len(states) != len(rows) or any(len(row) != len(columns) for row in states):
        raise ValueError("states must have one row per row label and one cell per column")
    cell = 0.28  # inches a cell
    width = max(8.0, 3.2 + cell * max(len(columns), 1))
    height = 3.8 + cell * max(len(rows), 1)
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    left, right = 3.0 / width, 1 - 0.2 / width
    top, bottom = 1 - 2.4 / height, 0.8 / height
    axes = figure.add_axes((left, bottom, right - left, top - bottom))
    figure.suptitle(title, fontsize=12, x=0.02, ha="left")
    if rows and columns:
        order = {state: n for n, state in enumerate(STATE_ORDER)}
        matrix = np.array([[order.get(s, order["none"]) for s in row] for row in states])
        colours = ListedColormap([STATE_COLOURS[s] for s in STATE_ORDER])
        axes.imshow(
            matrix, cmap=colours, vmin=-0.5, vmax=len(STATE_ORDER) - 0.5, aspect="auto",
            interpolation="nearest",
        )  # fmt: skip
        # Labels as plain texts and the white rules as two line collections: matplotlib's
        # ticks cost a line and a text each and made a 100 × 60 part take seconds.
        axes.set_xticks([])
        axes.set_yticks([])
        for spine in axes.spines.values():
            spine.set_visible(False)
        for index, label in enumerate(rows):
            axes.text(-0.55, index, label, ha="right", va="center", fontsize=7, clip_on=False)
        for index, label in enumerate(columns):
            axes.text(
                index, -0.55, label, ha="center", va="bottom", rotation=90, fontsize=7,
                clip_on=False,
            )  # fmt: skip
        axes.hlines(np.arange(-0.5, len(rows)), -0.5, len(columns) - 0.5, color="white", lw=0.8)
        axes.vlines(np.arange(-0.5, len(columns)), -0.5, len(rows) - 0.5, color="white", lw=0.8)
    else:
        axes.set_axis_off()
    handles = [Patch(color=STATE_COLOURS[state], label=label) for state, label in legend]
    columns_of_legend = len(handles) if width >= 10 else 3
    figure.legend(
        handles=handles, loc="lower left", ncol=columns_of_legend, fontsize=8, frameon=False,
        bbox_to_anchor=(0.01, 0.0),
    )  # fmt: skip
    out = io.BytesIO()
    # A fast, lighter compression: the flat colours still pack small.
    figure.savefig(out, format="png", dpi=DPI, pil_kwargs={"compress_level": 3})
    return out.getvalue()
