"""The pictures of the self-check screens, one function per chart, so the screens do not depend
on how `bot.services.charts` draws (and tests may put a stand-in here)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.services import charts


def profile_png(title: str, blocks: Sequence[tuple[str, float, str]], caption: str = "") -> bytes:
    """Bars per block: (label, percent, level)."""
    values = [charts.BlockValue(label, percent, level) for label, percent, level in blocks]
    return bytes(charts.profile_chart(title, values, caption=caption))


def change_png(
    title: str,
    labels: Sequence[str],
    entry: Sequence[float | None],
    final: Sequence[float | None],
    *,
    entry_label: str,
    final_label: str,
) -> bytes:
    return bytes(
        charts.change_chart(
            title, labels, entry, final, entry_label=entry_label, final_label=final_label
        )
    )


def heat_map_png(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    empty_label: str,
) -> bytes:
    return bytes(charts.heat_map(title, rows, columns, values, empty_label=empty_label))


def comparison_png(
    title: str, labels: Sequence[str], values: Sequence[float], targets: Sequence[float | None]
) -> bytes:
    return bytes(charts.comparison_bar(title, labels, values, targets, unit="%"))
