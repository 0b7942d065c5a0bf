"""PNG charts: a teacher's self-check profile, entry vs final check, the school × block heat map,
one survey question's answers and a programme share against its target.

Callers pass strings already translated; a chart writes numbers and the caller's words, nothing
of its own, so it never needs `t()`. Every function is pure and returns PNG bytes: the same
input gives the same bytes (no software tag or date in the file, one bundled font).

Thread safety: no pyplot and no rcParams. Each call builds its own `Figure` on an Agg canvas
for the shapes, writes the text with its own Pillow fonts (see `_Page.png` for why), names
its font files explicitly (DejaVu Sans, shipped inside matplotlib, so Cyrillic renders
everywhere alike) and drops the figure when the bytes are out.

Layout is computed in pixels: labels sit above their bars across the whole width (a phone
has no room for a label column), text is measured with the real font, wrapped, and cut with
«…» beyond a few lines. Characters the font lacks (emoji) are dropped rather than drawn as
boxes; `$` is plain text, not a formula.
"""

from __future__ import annotations

import io
import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Colormap, LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Rectangle
from PIL import Image, ImageDraw, ImageFont

HEAT_MAP_MAX_ROWS = 300  # a municipality's schools; the caller splits larger sets into pages
HEAT_MAP_MAX_HEIGHT = 4000  # px: beyond this a phone cannot zoom a picture usefully
HEAT_MAP_FULL_ROWS = 60  # up to this many rows, full-size fonts

MAX_TEXT = 600  # characters: more than four wrapped lines of any chart
DPI = 100
WIDTH = 900
MARGIN = 32

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_REGULAR = str(_FONT_DIR / "DejaVuSans.ttf")
_BOLD = str(_FONT_DIR / "DejaVuSans-Bold.ttf")

# Okabe–Ito: told apart by people with the common colour-vision deficiencies.
VERMILLION = "#D55E00"
ORANGE = "#E69F00"
YELLOW = "#F0E442"
GREEN = "#009E73"
BLUE = "#0072B2"
SKY = "#56B4E9"
TEXT = "#222222"
MUTED = "#5A5A5A"
TRACK = "#ECECEC"
EMPTY_CELL = "#D0D0D0"
LEVEL_COLOURS = {"deficit": VERMILLION, "partial": ORANGE, "none": GREEN}

TITLE_PT = 22
LABEL_PT = 18
VALUE_PT = 18
NOTE_PT = 15
LINE_SPACING = 1.25


@dataclass(frozen=True)
class BlockValue:
    label: str  # «Предметные компетенции» (already translated)
    percent: float  # 0..100
    level: str  # "deficit" | "partial" | "none"


# --- text -------------------------------------------------------------------------------------
def _px(points: float) -> float:
    return points * DPI / 72


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    """Code points both font files can draw."""
    regular = FT2Font(_REGULAR).get_charmap()
    bold = FT2Font(_BOLD).get_charmap()
    return frozenset(regular) & frozenset(bold)


def clean(text: str) -> str:
    """One line of drawable text: unknown glyphs dropped, any whitespace run one space, and
    no longer than any chart can show (a megabyte of label would only cost time)."""
    glyphs = _glyphs()
    kept = "".join(ch if ch.isspace() or ord(ch) in glyphs else "" for ch in text[:MAX_TEXT])
    return " ".join(kept.split())


# A word, or the part of it up to a hyphen that a line may break after.
_TOKEN = re.compile(r"\S+?-(?=\S)|\S+")


def _pixels(size: float) -> int:
    return round(_px(size))


class _Measure:
    """Fonts of one chart (Pillow's, each call its own: they are not shared between threads)
    and text widths in pixels with the very font the chart draws with."""

    def __init__(self) -> None:
        self._fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont] = {}
        self._cache: dict[tuple[str, float, bool], float] = {}

    def font(self, size: float, bold: bool = False) -> ImageFont.FreeTypeFont:
        key = (_pixels(size), bold)
        if key not in self._fonts:
            # The basic layout needs no libraqm, so every machine lays the text out alike.
            self._fonts[key] = ImageFont.truetype(
                _BOLD if bold else _REGULAR, key[0], layout_engine=ImageFont.Layout.BASIC
            )
        return self._fonts[key]

    def width(self, text: str, size: float, bold: bool = False) -> float:
        key = (text, size, bold)
        if key not in self._cache:
            self._cache[key] = self.font(size, bold).getlength(text)
        return self._cache[key]

    def wrap(
        self, text: str, max_width: float, size: float, *, bold: bool = False, max_lines: int = 3
    ) -> list[str]:
        """Greedy wrap at spaces and after hyphens; a word wider than the line is cut; the
        last allowed line takes as much of the rest as fits and ends with «…»."""
        whole = clean(text)
        if self.width(whole, size, bold) <= max_width:
            return [whole] if whole else []
        if max_lines == 1:
            return [self._with_ellipsis(whole, max_width, size, bold)]
        lines: list[str] = []
        current, start = "", 0  # the line being filled and where it starts in `whole`

        def full() -> bool:
            if len(lines) < max_lines:
                return False
            lines[-1] = self._with_ellipsis(whole[line_start:], max_width, size, bold)
            return True

        line_start = 0
        for token in _TOKEN.finditer(whole):
            part = token.group()
            glue = " " if current and whole[token.start() - 1] == " " else ""
            if not current:
                start = token.start()
            if self.width(current + glue + part, size, bold) <= max_width:
                current += glue + part
                continue
            if current:
                lines.append(current)
                line_start, start = start, token.start()
                if full():
                    return lines
            while self.width(part, size, bold) > max_width:
                cut = self._fitting_prefix(part, max_width, size, bold)
                lines.append(part[:cut])
                line_start, start = start, start + cut
                if full():
                    return lines
                part = part[cut:]
            current = part
        if current:
            lines.append(current)
        return lines

    def shorten(self, text: str, max_width: float, size: float, bold: bool = False) -> str:
        """One line; cut with «…» when too wide."""
        line = clean(text)
        if self.width(line, size, bold) <= max_width:
            return line
        return self._with_ellipsis(line, max_width, size, bold)

    def _fitting_prefix(self, word: str, max_width: float, size: float, bold: bool) -> int:
        """How many leading characters fit (at least one). The sum of single characters'
        widths guesses it; the real width (kerning) settles it in a call or two."""
        if len(word) <= 1:
            return 1
        cumulative = list(accumulate(self.width(char, size, bold) for char in word))
        cut = min(max(bisect_right(cumulative, max_width), 1), len(word))
        while cut > 1 and self.width(word[:cut], size, bold) > max_width:
            cut -= 1
        while cut < len(word) and self.width(word[: cut + 1], size, bold) <= max_width:
            cut += 1
        return cut

    def _with_ellipsis(self, line: str, max_width: float, size: float, bold: bool) -> str:
        room = max_width - self.width("…", size, bold)
        cut = self._fitting_prefix(line, room, size, bold) if line else 0
        return line[:cut].rstrip() + "…"


def _rounded(value: float) -> int:
    """Halves up, as people round (Python's round() goes to the even number)."""
    return math.floor(value + 0.5)


def _number(value: float) -> str:
    """Whole number with a real minus sign."""
    return str(_rounded(value)).replace("-", "\u2212")


def _with_unit(value: float, unit: str) -> str:
    return f"{_number(value)}\u00a0{unit}" if unit else _number(value)


def _signed(change: float) -> str:
    return f"+{_rounded(change)}" if _rounded(change) > 0 else _number(change)


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _share(value: float, scale: float) -> float:
    """0..1 of the bar track: clipped, so 130 % fills the track and −5 % draws nothing."""
    if scale <= 0 or not math.isfinite(value):
        return 0.0
    return min(max(value / scale, 0.0), 1.0)


def _ink_on(colour: str) -> str:
    red, green, blue = to_rgb(colour)
    return TEXT if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.5 else "white"


# --- drawing ----------------------------------------------------------------------------------
@dataclass
class _Text:
    x: float
    y: float
    text: str
    size: float
    bold: bool = False
    colour: str = TEXT
    align: str = "left"


@dataclass
class _Box:
    x: float
    y: float
    width: float
    height: float
    colour: str
    raised: bool = False  # a coloured bar: over the threshold lines, which cross the track only


@dataclass
class _Line:
    x0: float
    y0: float
    x1: float
    y1: float
    colour: str
    width: float = 2.0
    dashed: bool = False
    behind_bars: bool = False


@dataclass
class _Cells:
    """A grid of coloured cells drawn at once (fast for hundreds of rows)."""

    values: np.ma.MaskedArray
    x: float
    y: float
    width: float
    height: float
    colours: Colormap


@dataclass
class _Page:
    """Drawing operations in pixels (y downwards) collected while laying out; the figure is
    made once the height is known."""

    width: int = WIDTH
    y: float = 0.0
    measure: _Measure = field(default_factory=_Measure)
    texts: list[_Text] = field(default_factory=list)
    boxes: list[_Box] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)
    cells: list[_Cells] = field(default_factory=list)

    @property
    def inner(self) -> float:
        return self.width - 2 * MARGIN

    def line_height(self, size: float) -> float:
        return _px(size) * LINE_SPACING

    def paragraph(
        self,
        text: str,
        size: float,
        *,
        bold: bool = False,
        colour: str = TEXT,
        max_lines: int = 3,
        max_width: float | None = None,
    ) -> None:
        """Wrapped text at the cursor across the page; moves the cursor below it."""
        step = self.line_height(size)
        for line in self.measure.wrap(
            text, max_width or self.inner, size, bold=bold, max_lines=max_lines
        ):
            self.texts.append(_Text(MARGIN, self.y + step / 2, line, size, bold, colour))
            self.y += step

    def title(self, text: str) -> None:
        self.y = 22
        self.paragraph(text, TITLE_PT, bold=True, max_lines=3)
        self.y += 14

    def note(self, text: str) -> None:
        if clean(text):
            self.y += 12
            self.paragraph(text, NOTE_PT, colour=MUTED, max_lines=5)

    def bar(
        self, share: float, colour: str, label: str, height: float, *, size: float = VALUE_PT
    ) -> tuple[float, float]:
        """A grey 0..100 % track with `share` of it coloured and `label` written at the end of
        the coloured part (inside when it fits, else just after it). Returns the track's left
        and width."""
        left, width = MARGIN, self.inner
        self.boxes.append(_Box(left, self.y, width, height, TRACK))
        length = width * share
        if length > 0:
            self.boxes.append(_Box(left, self.y, length, height, colour, raised=True))
        text_width = self.measure.width(label, size, bold=True)
        middle = self.y + height / 2
        if length >= text_width + 20:
            self.texts.append(
                _Text(left + length - 10, middle, label, size, True, _ink_on(colour), "right")
            )
        else:
            self.texts.append(_Text(left + length + 10, middle, label, size, True))
        self.y += height
        return left, width

    def nothing(self) -> None:
        """What an empty chart shows under its title."""
        self.y += 20
        self.texts.append(_Text(self.width / 2, self.y + 30, "—", 40, False, MUTED, "center"))
        self.y += 70

    def legend(self, entries: Sequence[tuple[str, str]], *, marker: bool = False) -> None:
        """Colour swatches (or, with `marker`, the thin upright target marker) with their
        words, on one line while they fit."""
        size = NOTE_PT
        swatch_width, swatch_height = (5.0, 28.0) if marker else (22.0, 22.0)
        step = max(self.line_height(size), swatch_height)
        x: float = MARGIN
        for colour, words in entries:
            text = self.measure.shorten(words, self.inner - swatch_width - 10, size)
            needed = swatch_width + 10 + self.measure.width(text, size) + 24
            if x > MARGIN and x + needed > self.width - MARGIN:
                x = MARGIN
                self.y += step
            top = self.y + (step - swatch_height) / 2
            self.boxes.append(_Box(x, top, swatch_width, swatch_height, colour))
            self.texts.append(_Text(x + swatch_width + 10, self.y + step / 2, text, size))
            x += needed
        self.y += step + 10

    def png(self) -> bytes:
        """Shapes drawn by matplotlib (Agg), the text written on the pixels by Pillow, PNG out.

        Why Pillow for the text: matplotlib 3.11 lays out and rasterises glyphs at ~50 µs
        each, so the 300 school names of a heat map alone took seconds; Pillow's FreeType
        does the same text in well under 0.1 s.
        """
        height = math.ceil(self.y + 24)
        figure = Figure(figsize=(self.width / DPI, height / DPI), dpi=DPI, facecolor="white")
        canvas = FigureCanvasAgg(figure)
        axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        axes.set_xlim(0, self.width)
        axes.set_ylim(height, 0)
        axes.set_axis_off()
        self._draw(axes)
        canvas.draw()  # type: ignore[no-untyped-call]
        pixels = np.asarray(canvas.buffer_rgba())  # type: ignore[no-untyped-call]
        image = Image.fromarray(pixels).convert("RGB")
        figure.clear()
        self._write(ImageDraw.Draw(image))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=3)  # level 6 costs 50 % more, saves 4 %
        return buffer.getvalue()

    def _draw(self, axes: Axes) -> None:
        for cells in self.cells:
            # A mesh of quads, not imshow: imshow resamples to the output size in float64
            # (a 300-row map cost ~100 MB of memory that way).
            rows, columns = cells.values.shape
            axes.pcolormesh(
                np.linspace(cells.x, cells.x + cells.width, columns + 1),
                np.linspace(cells.y, cells.y + cells.height, rows + 1),
                cells.values,
                cmap=cells.colours,
                vmin=0,
                vmax=100,
                shading="flat",
                edgecolors="none",
                antialiased=False,
                zorder=1,
            )
        for box in self.boxes:
            axes.add_patch(
                Rectangle(
                    (box.x, box.y),
                    box.width,
                    box.height,
                    facecolor=box.colour,
                    edgecolor="none",
                    zorder=4 if box.raised else 2,
                )
            )
        for behind_bars in (True, False):  # one collection each: hundreds of rules at once
            lines = [line for line in self.lines if line.behind_bars == behind_bars]
            if lines:
                axes.add_collection(
                    LineCollection(
                        [((line.x0, line.y0), (line.x1, line.y1)) for line in lines],
                        colors=[line.colour for line in lines],
                        linewidths=[line.width for line in lines],
                        linestyles=["--" if line.dashed else "-" for line in lines],
                        capstyle="butt",
                        zorder=3 if behind_bars else 5,
                    )
                )

    def _write(self, draw: ImageDraw.ImageDraw) -> None:
        anchors = {"left": "lm", "center": "mm", "right": "rm"}
        for text in self.texts:
            draw.text(
                (text.x, text.y),
                text.text,
                fill=text.colour,
                font=self.measure.font(text.size, text.bold),
                anchor=anchors[text.align],
            )


# --- the charts -------------------------------------------------------------------------------
def profile_chart(
    title: str,
    blocks: Sequence[BlockValue],
    *,
    caption: str = "",
    thresholds: Sequence[float] = (),
) -> bytes:
    """A teacher's profile: one bar per competence block (0–100 %), its percent written on it,
    coloured by level; `thresholds` (percent) are drawn as dashed lines across the bars."""
    page = _Page()
    page.title(title)
    if not blocks:
        page.nothing()
    bars: list[tuple[float, float]] = []  # top and bottom of each bar, for the threshold lines
    for block in blocks:
        colour = LEVEL_COLOURS.get(block.level)
        if colour is None:
            raise ValueError(f"unknown level {block.level!r}")
        page.paragraph(block.label, LABEL_PT)
        page.y += 4
        percent = _finite(block.percent)
        label = "—" if percent is None else _with_unit(percent, "%")
        page.bar(_share(percent or 0.0, 100), colour, label, 42)
        bars.append((page.y - 42, page.y))
        page.y += 20
    for threshold in thresholds:
        x = MARGIN + page.inner * _share(threshold, 100)
        # Across the grey track only: a line through the names or the percent hides letters.
        for top, bottom in bars:
            page.lines.append(
                _Line(x, top - 5, x, bottom + 5, TEXT, 1.5, dashed=True, behind_bars=True)
            )
    page.note(caption)
    return page.png()


def change_chart(
    title: str,
    labels: Sequence[str],
    entry: Sequence[float | None],
    final: Sequence[float | None],
    *,
    entry_label: str,
    final_label: str,
) -> bytes:
    """Entry vs final check per block: two bars each, the change (+12 / −5) written at the right
    of the block's name. `None` is «no value»: no bar, a dash."""
    if not len(labels) == len(entry) == len(final):
        raise ValueError("labels, entry and final differ in length")
    page = _Page()
    page.title(title)
    page.legend(((SKY, entry_label), (BLUE, final_label)))
    if not labels:
        page.nothing()
    for label, before, after in zip(labels, entry, final, strict=True):
        before, after = _finite(before), _finite(after)
        change = "" if before is None or after is None else _signed(after - before)
        change_width = page.measure.width(change, VALUE_PT, bold=True) if change else 0.0
        label_top = page.y
        page.paragraph(label, LABEL_PT, max_width=page.inner - change_width - 20)
        if change:
            difference = _rounded((after or 0.0) - (before or 0.0))
            colour = GREEN if difference > 0 else VERMILLION if difference < 0 else MUTED
            page.texts.append(
                _Text(
                    page.width - MARGIN,
                    label_top + page.line_height(LABEL_PT) / 2,
                    change,
                    VALUE_PT,
                    True,
                    colour,
                    "right",
                )
            )
        page.y += 4
        for value, colour in ((before, SKY), (after, BLUE)):
            text = "—" if value is None else _with_unit(value, "%")
            page.bar(_share(value or 0.0, 100), colour, text, 32, size=LABEL_PT - 2)
            page.y += 6
        page.y += 16
    return page.png()


def answers_chart(
    title: str,
    labels: Sequence[str],
    counts: Sequence[int],
    *,
    note: str = "",
    respondents: int | None = None,
) -> bytes:
    """One survey question: a bar per answer option with its count and percent. Percents are of
    `respondents` when given (a multiple-choice question: one person, several options), else of
    all the counts together; bars run on a 0–100 % scale."""
    if len(labels) != len(counts):
        raise ValueError("labels and counts differ in length")
    total = respondents if respondents is not None else sum(max(count, 0) for count in counts)
    page = _Page()
    page.title(title)
    if not labels:
        page.nothing()
    for label, count in zip(labels, counts, strict=True):
        percent = 100 * count / total if total > 0 else 0.0
        page.paragraph(label, LABEL_PT, max_lines=2)
        page.y += 4
        page.bar(_share(percent, 100), BLUE, f"{count} ({_with_unit(percent, '%')})", 34)
        page.y += 18
    page.note(note)
    return page.png()


def comparison_bar(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    targets: Sequence[float | None],
    *,
    unit: str = "%",
    target_label: str = "",
) -> bytes:
    """Programme shares against their targets: a bar per share, a black marker at its target
    with the target written under it. A bar that reaches its target is green, one below it
    orange, one without a target blue. With `unit` «%» the scale is 0–100, otherwise up to the
    largest value or target. `target_label` («цель») explains the marker in a legend."""
    if len(labels) != len(values) or len(labels) != len(targets):
        raise ValueError("labels, values and targets differ in length")
    finite = [abs(v) for v in (*values, *targets) if v is not None and math.isfinite(v)]
    scale = 100.0 if unit == "%" else max([1.0, *finite])
    page = _Page()
    page.title(title)
    if clean(target_label):
        page.legend(((TEXT, target_label),), marker=True)
    if not labels:
        page.nothing()
    for label, raw_value, raw_target in zip(labels, values, targets, strict=True):
        value, target = _finite(raw_value), _finite(raw_target)
        colour = BLUE if target is None else GREEN if (value or 0.0) >= target else ORANGE
        page.paragraph(label, LABEL_PT)
        page.y += 10
        bar_top = page.y
        text = "—" if value is None else _with_unit(value, unit)
        left, width = page.bar(_share(value or 0.0, scale), colour, text, 42)
        if target is not None:
            x = left + width * _share(target, scale)
            page.lines.append(_Line(x, bar_top - 8, x, page.y + 8, TEXT, 4))
            words = _with_unit(target, unit)
            words_width = page.measure.width(words, NOTE_PT, bold=True)
            # Under the marker, kept inside the page at either end.
            centre = min(max(x, MARGIN + words_width / 2), page.width - MARGIN - words_width / 2)
            page.texts.append(
                _Text(centre, page.y + 22, words, NOTE_PT, True, TEXT, "center"),
            )
            page.y += 32
        page.y += 22
    return page.png()


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
    measure = _Measure()
    column_width = _column_width(measure, columns)
    label_width = 320.0
    page = _Page(
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
    matrix = np.ma.masked_invalid(
        np.array(
            [[_finite(v) if _finite(v) is not None else np.nan for v in row] for row in values]
        )
    )
    grid_width = column_width * len(columns)
    grid_height = row_height * len(rows)
    page.cells.append(_Cells(matrix, grid_left, grid_top, grid_width, grid_height, colours))
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
            page.texts.append(_Text(MARGIN, first + number * step, line, label_pt))
        for column, raw in enumerate(row):
            value = _finite(raw)
            centre = grid_left + (column + 0.5) * column_width
            if value is None:
                page.texts.append(
                    _Text(centre, middle, empty_words, cell_pt, False, MUTED, "center")
                )
                continue
            ink = inks[index][column]
            page.texts.append(_Text(centre, middle, _number(value), cell_pt, True, ink, "center"))
    for index in range(len(rows) + 1):  # white rules between rows and columns
        y = grid_top + index * row_height
        page.lines.append(_Line(grid_left, y, grid_left + grid_width, y, "white", 1.0))
    for column in range(len(columns) + 1):
        x = grid_left + column * column_width
        page.lines.append(_Line(x, grid_top, x, grid_top + grid_height, "white", 1.5))
    page.y = grid_top + grid_height
    if dense:  # in a tall picture the block names are needed at the bottom too
        page.y += 8
        _heat_header(page, columns, grid_left, column_width, below=True)
    return page.png()


HEADER_PT = 12.0


def _column_width(measure: _Measure, columns: Sequence[str]) -> float:
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


def _heat_scale(page: _Page, colours: Colormap, empty_label: str) -> None:
    """The colour key: 0 % … 100 % as a strip, then the grey of an empty cell."""
    strip_width, strip_height = 300.0, 18.0
    gradient = np.ma.masked_invalid(np.linspace(0, 100, 101, dtype=float).reshape(1, -1))
    page.cells.append(_Cells(gradient, MARGIN, page.y, strip_width, strip_height, colours))
    below = page.y + strip_height + page.line_height(NOTE_PT) / 2 + 2
    for share, align in ((0.0, "left"), (0.5, "center"), (1.0, "right")):
        page.texts.append(
            _Text(
                MARGIN + strip_width * share,
                below,
                _with_unit(100 * share, "%"),
                NOTE_PT - 2,
                False,
                MUTED,
                align,
            )
        )
    swatch_left = MARGIN + strip_width + 30
    page.boxes.append(_Box(swatch_left, page.y, 36, strip_height, EMPTY_CELL))
    words = page.measure.shorten(empty_label, page.width - MARGIN - swatch_left - 46, NOTE_PT - 2)
    page.texts.append(
        _Text(swatch_left + 46, page.y + strip_height / 2, words, NOTE_PT - 2, False, MUTED)
    )
    page.y = below + page.line_height(NOTE_PT) / 2 + 12


def _heat_header(
    page: _Page,
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
            page.texts.append(_Text(centre, y, line, HEADER_PT, True, TEXT, "center"))
    height = tallest * step + 6
    page.y += height
    return height
