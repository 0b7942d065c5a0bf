"""The page every chart lays out on: drawing operations collected in pixels (y downwards), the
palette and type sizes, and numbers as a chart writes them. `Page.png` draws the shapes with
matplotlib (Agg, no pyplot) and writes the text with Pillow."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Colormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image, ImageDraw

from bot.services.charts.text import DPI, Measure, clean, px

WIDTH = 900
MARGIN = 32

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

TITLE_PT = 22
LABEL_PT = 18
VALUE_PT = 18
NOTE_PT = 15
LINE_SPACING = 1.25


# --- numbers ----------------------------------------------------------------------------------
def rounded(value: float) -> int:
    """Halves up, as people round (Python's round() goes to the even number)."""
    return math.floor(value + 0.5)


def as_digits(value: float) -> str:
    """Whole number with a real minus sign."""
    return str(rounded(value)).replace("-", "\u2212")


def with_unit(value: float, unit: str) -> str:
    return f"{as_digits(value)}\u00a0{unit}" if unit else as_digits(value)


def signed(change: float) -> str:
    return f"+{rounded(change)}" if rounded(change) > 0 else as_digits(change)


def finite_or_none(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def track_share(value: float, scale: float) -> float:
    """0..1 of the bar track: clipped, so 130 % fills the track and −5 % draws nothing."""
    if scale <= 0 or not math.isfinite(value):
        return 0.0
    return min(max(value / scale, 0.0), 1.0)


def _ink_on(colour: str) -> str:
    red, green, blue = to_rgb(colour)
    return TEXT if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.5 else "white"


# --- drawing ----------------------------------------------------------------------------------
@dataclass
class Text:
    x: float
    y: float
    text: str
    size: float
    bold: bool = False
    colour: str = TEXT
    align: str = "left"


@dataclass
class Box:
    x: float
    y: float
    width: float
    height: float
    colour: str
    raised: bool = False  # a coloured bar: over the threshold lines, which cross the track only


@dataclass
class Line:
    x0: float
    y0: float
    x1: float
    y1: float
    colour: str
    width: float = 2.0
    dashed: bool = False
    behind_bars: bool = False


@dataclass
class Cells:
    """A grid of coloured cells drawn at once (fast for hundreds of rows)."""

    values: np.ma.MaskedArray
    x: float
    y: float
    width: float
    height: float
    colours: Colormap


@dataclass
class Page:
    """Drawing operations in pixels (y downwards) collected while laying out; the figure is
    made once the height is known."""

    width: int = WIDTH
    y: float = 0.0
    measure: Measure = field(default_factory=Measure)
    texts: list[Text] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    cells: list[Cells] = field(default_factory=list)

    @property
    def inner(self) -> float:
        return self.width - 2 * MARGIN

    def line_height(self, size: float) -> float:
        return px(size) * LINE_SPACING

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
            self.texts.append(Text(MARGIN, self.y + step / 2, line, size, bold, colour))
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
        self.boxes.append(Box(left, self.y, width, height, TRACK))
        length = width * share
        if length > 0:
            self.boxes.append(Box(left, self.y, length, height, colour, raised=True))
        text_width = self.measure.width(label, size, bold=True)
        middle = self.y + height / 2
        if length >= text_width + 20:
            self.texts.append(
                Text(left + length - 10, middle, label, size, True, _ink_on(colour), "right")
            )
        else:
            self.texts.append(Text(left + length + 10, middle, label, size, True))
        self.y += height
        return left, width

    def nothing(self) -> None:
        """What an empty chart shows under its title."""
        self.y += 20
        self.texts.append(Text(self.width / 2, self.y + 30, "—", 40, False, MUTED, "center"))
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
            self.boxes.append(Box(x, top, swatch_width, swatch_height, colour))
            self.texts.append(Text(x + swatch_width + 10, self.y + step / 2, text, size))
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
