"""Text on a chart: the bundled font (DejaVu Sans, shipped inside matplotlib, so Cyrillic
renders everywhere alike), what it can draw, and widths measured with Pillow's own fonts, so a
label is wrapped and cut with «…» exactly where the drawn text would overflow."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

import matplotlib
from matplotlib.ft2font import FT2Font
from PIL import ImageFont

MAX_TEXT = 600  # characters: more than four wrapped lines of any chart
DPI = 100

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_REGULAR = str(_FONT_DIR / "DejaVuSans.ttf")
_BOLD = str(_FONT_DIR / "DejaVuSans-Bold.ttf")


def px(points: float) -> float:
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


def pixels(size: float) -> int:
    return round(px(size))


class Measure:
    """Fonts of one chart (Pillow's, each call its own: they are not shared between threads)
    and text widths in pixels with the very font the chart draws with."""

    def __init__(self) -> None:
        self._fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont] = {}
        self._cache: dict[tuple[str, float, bool], float] = {}

    def font(self, size: float, bold: bool = False) -> ImageFont.FreeTypeFont:
        key = (pixels(size), bold)
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
