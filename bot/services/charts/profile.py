"""A teacher's self-check profile (a bar per competence block) and entry vs final check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.services.charts.page import (
    BLUE,
    GREEN,
    LABEL_PT,
    MARGIN,
    MUTED,
    ORANGE,
    SKY,
    TEXT,
    VALUE_PT,
    VERMILLION,
    Line,
    Page,
    Text,
    finite_or_none,
    rounded,
    signed,
    track_share,
    with_unit,
)

LEVEL_COLOURS = {"deficit": VERMILLION, "partial": ORANGE, "none": GREEN}


@dataclass(frozen=True)
class BlockValue:
    label: str  # «Предметные компетенции» (already translated)
    percent: float  # 0..100
    level: str  # "deficit" | "partial" | "none"


def profile_chart(
    title: str,
    blocks: Sequence[BlockValue],
    *,
    caption: str = "",
    thresholds: Sequence[float] = (),
) -> bytes:
    """A teacher's profile: one bar per competence block (0–100 %), its percent written on it,
    coloured by level; `thresholds` (percent) are drawn as dashed lines across the bars."""
    page = Page()
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
        percent = finite_or_none(block.percent)
        label = "—" if percent is None else with_unit(percent, "%")
        page.bar(track_share(percent or 0.0, 100), colour, label, 42)
        bars.append((page.y - 42, page.y))
        page.y += 20
    for threshold in thresholds:
        x = MARGIN + page.inner * track_share(threshold, 100)
        # Across the grey track only: a line through the names or the percent hides letters.
        for top, bottom in bars:
            page.lines.append(
                Line(x, top - 5, x, bottom + 5, TEXT, 1.5, dashed=True, behind_bars=True)
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
    page = Page()
    page.title(title)
    page.legend(((SKY, entry_label), (BLUE, final_label)))
    if not labels:
        page.nothing()
    for label, before, after in zip(labels, entry, final, strict=True):
        before, after = finite_or_none(before), finite_or_none(after)
        change = "" if before is None or after is None else signed(after - before)
        change_width = page.measure.width(change, VALUE_PT, bold=True) if change else 0.0
        label_top = page.y
        page.paragraph(label, LABEL_PT, max_width=page.inner - change_width - 20)
        if change:
            difference = rounded((after or 0.0) - (before or 0.0))
            colour = GREEN if difference > 0 else VERMILLION if difference < 0 else MUTED
            page.texts.append(
                Text(
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
            text = "—" if value is None else with_unit(value, "%")
            page.bar(track_share(value or 0.0, 100), colour, text, 32, size=LABEL_PT - 2)
            page.y += 6
        page.y += 16
    return page.png()
