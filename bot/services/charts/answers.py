"""One survey question's answers (a bar per option) and programme shares against targets."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.services.charts.page import (
    BLUE,
    GREEN,
    LABEL_PT,
    MARGIN,
    NOTE_PT,
    ORANGE,
    TEXT,
    Line,
    Page,
    Text,
    finite_or_none,
    track_share,
    with_unit,
)
from bot.services.charts.text import clean


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
    page = Page()
    page.title(title)
    if not labels:
        page.nothing()
    for label, count in zip(labels, counts, strict=True):
        percent = 100 * count / total if total > 0 else 0.0
        page.paragraph(label, LABEL_PT, max_lines=2)
        page.y += 4
        page.bar(track_share(percent, 100), BLUE, f"{count} ({with_unit(percent, '%')})", 34)
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
    page = Page()
    page.title(title)
    if clean(target_label):
        page.legend(((TEXT, target_label),), marker=True)
    if not labels:
        page.nothing()
    for label, raw_value, raw_target in zip(labels, values, targets, strict=True):
        value, target = finite_or_none(raw_value), finite_or_none(raw_target)
        colour = BLUE if target is None else GREEN if (value or 0.0) >= target else ORANGE
        page.paragraph(label, LABEL_PT)
        page.y += 10
        bar_top = page.y
        text = "—" if value is None else with_unit(value, unit)
        left, width = page.bar(track_share(value or 0.0, scale), colour, text, 42)
        if target is not None:
            x = left + width * track_share(target, scale)
            page.lines.append(Line(x, bar_top - 8, x, page.y + 8, TEXT, 4))
            words = with_unit(target, unit)
            words_width = page.measure.width(words, NOTE_PT, bold=True)
            # Under the marker, kept inside the page at either end.
            centre = min(max(x, MARGIN + words_width / 2), page.width - MARGIN - words_width / 2)
            page.texts.append(
                Text(centre, page.y + 22, words, NOTE_PT, True, TEXT, "center"),
            )
            page.y += 32
        page.y += 22
    return page.png()
