"""The school × block heat map: mean percents coloured red → green, up to 300 rows a picture."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
from matplotlib.colors import Colormap, LinearSegmentedColormap

from bot.services.charts.page import (
    EMPTY_CELL,
    GREEN,
    MARGIN,
    MUTED,
    NOTE_PT,
    ORANGE,
    TEXT,
    VERMILLION,
    WIDTH,
    YELLOW,
    Box,
    Cells,
    Line,
    Page,
    Text,
    as_digits,
    finite_or_none,
    with_unit,
)
from bot.services.charts.text import DPI, Measure, clean

HEAT_MAP_MAX_ROWS = 300  # a municipality's schools; the caller splits larger sets into pages
HEAT_MAP_MAX_HEIGHT = 4000  # px: beyond this a phone cannot zoom a picture usefully
HEAT_MAP_FULL_ROWS = 60  # up to this many rows, full-size fonts


def _heat_colours(empty: str) -> Colormap:
    scale = LinearSegmentedColormap.from_list(
        "deficit_to_none", [VERMILLION, ORANGE, YELLOW, GREEN]
    )
    return scale.with_extremes(bad=empty)


def heat_map(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    empty_label: str = "—",
) -> bytes:
    """Schools × blocks: each cell the mean percent, written in it, coloured red → green; a cell
    without a value grey with `empty_label`. Up to HEAT_MAP_FULL_ROWS rows the fonts are full
    size; beyond, rows get thinner and fonts smaller so the picture stays under
    HEAT_MAP_MAX_HEIGHT px, and the block names are repeated under the grid. More than
    HEAT_MAP_MAX_ROWS rows is the caller's to split into pages (ValueError)."""
    if len(rows) > HEAT_MAP_MAX_ROWS:
        raise ValueError(f"{len(rows)} rows: a heat map takes at most {HEAT_MAP_MAX_ROWS}")
    if len(values) != len(rows) or any(len(row) != len(columns) for row in values):
        raise ValueError("values must have one row per row label and one cell per column")
    measure = Measure()
    column_width = _column_width(measure, columns)
    label_width = 320.0
    page = Page(
        width=max(WIDTH, math.ceil(2 * MARGIN + label_width + column_width * len(columns))),
        measure=measure,
    )
    page.title(title)
    if not rows or not columns:
        page.nothing()
        return page.png()
    colours = _heat_colours(EMPTY_CELL)
    _heat_scale(page, colours, empty_label)
    grid_left = MARGIN + label_width
    header_height = _heat_header(page, columns, grid_left, column_width)
    dense = len(rows) > HEAT_MAP_FULL_ROWS
    room = HEAT_MAP_MAX_HEIGHT - 26 - page.y - (header_height + 8 if dense else 0)
    row_height = 46.0 if not dense else min(46.0, room / len(rows))
    # The digits fill about three quarters of a thin row; a name gets two lines when it fits.
    cell_pt = min(14.0, row_height * 0.72 * 72 / DPI)
    label_pt = min(13.0, cell_pt)
    step = page.line_height(label_pt) * 0.9
    label_lines = 2 if row_height >= 2 * step else 1
    grid_top = page.y
    cells = [[finite_or_none(v) for v in row] for row in values]
    matrix = np.ma.masked_invalid(
        np.array([[np.nan if v is None else v for v in row] for row in cells])
    )
    grid_width = column_width * len(columns)
    grid_height = row_height * len(rows)
    page.cells.append(Cells(matrix, grid_left, grid_top, grid_width, grid_height, colours))
    empty_words = measure.shorten(empty_label, column_width - 8, cell_pt)
    # The digits' colour per cell, from the cell colours in one pass (not a lookup per cell).
    shades = colours(np.clip(matrix.filled(0.0), 0.0, 100.0) / 100)
    luminance = shades[..., :3] @ np.array([0.2126, 0.7152, 0.0722])
    inks = np.where(luminance > 0.5, TEXT, "white").tolist()
    for index, (name, row) in enumerate(zip(rows, values, strict=True)):
        middle = grid_top + (index + 0.5) * row_height
        lines = measure.wrap(name, label_width - 14, label_pt, max_lines=label_lines)
        first = middle - step * (len(lines) - 1) / 2
        for number, line in enumerate(lines):
            page.texts.append(Text(MARGIN, first + number * step, line, label_pt))
        for column, raw in enumerate(row):
            value = finite_or_none(raw)
            centre = grid_left + (column + 0.5) * column_width
            if value is None:
                page.texts.append(
                    Text(centre, middle, empty_words, cell_pt, False, MUTED, "center")
                )
                continue
            ink = inks[index][column]
            page.texts.append(Text(centre, middle, as_digits(value), cell_pt, True, ink, "center"))
    for index in range(len(rows) + 1):  # white rules between rows and columns
        y = grid_top + index * row_height
        page.lines.append(Line(grid_left, y, grid_left + grid_width, y, "white", 1.0))
    for column in range(len(columns) + 1):
        x = grid_left + column * column_width
        page.lines.append(Line(x, grid_top, x, grid_top + grid_height, "white", 1.5))
    page.y = grid_top + grid_height
    if dense:  # in a tall picture the block names are needed at the bottom too
        page.y += 8
        _heat_header(page, columns, grid_left, column_width, below=True)
    return page.png()


HEADER_PT = 12.0


def _column_width(measure: Measure, columns: Sequence[str]) -> float:
    """Wide enough for the longest word of a block name (broken after hyphens), within bounds:
    «Психолого-педагогические» fits as two lines, never «Психолог / о-»."""
    parts = [
        part
        for name in columns
        for word in clean(name).split(" ")
        for part in re.split(r"(?<=-)(?=.)", word)
    ]
    widest = max((measure.width(part, HEADER_PT, bold=True) for part in parts), default=0.0)
    return min(max(widest + 12, 110.0), 200.0)


def _heat_scale(page: Page, colours: Colormap, empty_label: str) -> None:
    """The colour key: 0 % … 100 % as a strip, then the grey of an empty cell."""
    strip_width, strip_height = 300.0, 18.0
    gradient = np.ma.masked_invalid(np.linspace(0, 100, 101, dtype=float).reshape(1, -1))
    page.cells.append(Cells(gradient, MARGIN, page.y, strip_width, strip_height, colours))
    below = page.y + strip_height + page.line_height(NOTE_PT) / 2 + 2
    for share, align in ((0.0, "left"), (0.5, "center"), (1.0, "right")):
        page.texts.append(
            Text(
                MARGIN + strip_width * share,
                below,
                with_unit(100 * share, "%"),
                NOTE_PT - 2,
                False,
                MUTED,
                align,
            )
        )
    swatch_left = MARGIN + strip_width + 30
    page.boxes.append(Box(swatch_left, page.y, 36, strip_height, EMPTY_CELL))
    words = page.measure.shorten(empty_label, page.width - MARGIN - swatch_left - 46, NOTE_PT - 2)
    page.texts.append(
        Text(swatch_left + 46, page.y + strip_height / 2, words, NOTE_PT - 2, False, MUTED)
    )
    page.y = below + page.line_height(NOTE_PT) / 2 + 12


def _heat_header(
    page: Page,
    columns: Sequence[str],
    grid_left: float,
    column_width: float,
    *,
    below: bool = False,
) -> float:
    """Block names over (or under) their columns, up to four lines each; over the grid their
    last lines line up on it. Returns the height taken."""
    step = page.line_height(HEADER_PT)
    wrapped = [
        page.measure.wrap(name, column_width - 10, HEADER_PT, bold=True, max_lines=4)
        for name in columns
    ]
    tallest = max((len(lines) for lines in wrapped), default=0)
    for column, lines in enumerate(wrapped):
        centre = grid_left + (column + 0.5) * column_width
        offset = 0 if below else tallest - len(lines)
        for number, line in enumerate(lines):
            y = page.y + (offset + number + 0.5) * step
            page.texts.append(Text(centre, y, line, HEADER_PT, True, TEXT, "center"))
    height = tallest * step + 6
    page.y += height
    return height
