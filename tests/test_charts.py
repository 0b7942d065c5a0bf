"""The PNG charts: valid pictures of a sane size for every input, empty or hostile, the same
bytes for the same input (also from threads at once), no figure left behind, and the numbers
written on them as given.

What a chart writes is read from its layout (`_Page`, before the pixels) rather than by OCR.
"""

from __future__ import annotations

import ast
import gc
import io
import math
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from bot.services import charts
from bot.services.charts import (
    HEAT_MAP_MAX_HEIGHT,
    HEAT_MAP_MAX_ROWS,
    BlockValue,
    answers_chart,
    change_chart,
    comparison_bar,
    heat_map,
    profile_chart,
)
from bot.services.charts import page as chart_page
from bot.services.charts import text as chart_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BLOCKS = (
    "Предметные компетенции",
    "Методические компетенции",
    "Психолого-педагогические компетенции",
    "Коммуникативные компетенции",
)
HOSTILE = (
    "<b>жирный</b> & &amp; <script>alert(1)</script>",
    "$x^2$ и $ одинокий доллар \\frac{1}{2} \\",
    "📊😀🧑‍🏫 эмодзи 🇷🇺",
    "строка\nс переводом\tи\x00нулём\r",
    "Ж" * 10_000,
    "оченьдлинноесловобезпробелов" * 20,
    "",
    "   ",
    "مرحبا עברית 中文 ̶з̶а̶ч̶ё̶р̶к̶н̶у̶т̶о̶",
)


def size_of(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        return image.size


def assert_sane(png: bytes, *, max_height: int = HEAT_MAP_MAX_HEIGHT) -> tuple[int, int]:
    width, height = size_of(png)
    assert 900 <= width <= 2400
    assert 100 <= height <= max_height
    return width, height


def profile() -> bytes:
    return profile_chart(
        "Профиль: Иванова Мария Петровна",
        [
            BlockValue(BLOCKS[0], 38.5, "deficit"),
            BlockValue(BLOCKS[1], 61, "partial"),
            BlockValue(BLOCKS[2], 84, "none"),
            BlockValue(BLOCKS[3], 100, "none"),
        ],
        caption="Самодиагностика 12.10.2025",
        thresholds=(50, 75),
    )


def change() -> bytes:
    return change_chart(
        "Входная и итоговая диагностика",
        BLOCKS,
        [38, 61, 84, None],
        [50, 56, 84, 72],
        entry_label="Сентябрь",
        final_label="Май",
    )


def heat(rows: int = 12) -> bytes:
    names = [f"МКОУ СОШ № {i} с. Кугульта Грачёвского муниципального округа" for i in range(rows)]
    values = [
        [(i * 7 + j * 13) % 101 if (i + j) % 9 else None for j in range(4)] for i in range(rows)
    ]
    return heat_map("Дефициты по школам, %", names, BLOCKS, values, empty_label="нет данных")


def answers() -> bytes:
    labels = [f"Вариант ответа № {i}: посещение уроков коллег-лидеров" for i in range(12)]
    return answers_chart("Какая помощь нужна?", labels, list(range(12)), note="Ответили 66")


def comparison() -> bytes:
    return comparison_bar(
        "Показатели программы",
        ["Прошли диагностику", "Положительная динамика", "Без цели"],
        [64, 40, 12],
        [100, 70, None],
        target_label="цель",
    )


EVERY_CHART: dict[str, Callable[[], bytes]] = {
    "profile": profile,
    "change": change,
    "heat_map": heat,
    "answers": answers,
    "comparison": comparison,
}


@pytest.fixture
def layout(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[chart_page.Page]]:
    """The pages charts lay out, instead of their pixels."""
    pages: list[chart_page.Page] = []

    def keep(page: chart_page.Page) -> bytes:
        pages.append(page)
        return PNG_SIGNATURE

    monkeypatch.setattr(chart_page.Page, "png", keep)
    yield pages


def written(page: chart_page.Page) -> list[str]:
    return [text.text for text in page.texts]


# --- pictures ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EVERY_CHART))
def test_every_chart_is_a_png_of_a_sane_size(name: str) -> None:
    _, height = assert_sane(EVERY_CHART[name]())
    assert height >= 400  # with content, not just a title


@pytest.mark.parametrize("name", sorted(EVERY_CHART))
def test_the_same_input_gives_the_same_bytes(name: str) -> None:
    assert EVERY_CHART[name]() == EVERY_CHART[name]()


def test_charts_drawn_in_threads_at_once_equal_the_ones_drawn_alone() -> None:
    alone = {name: draw() for name, draw in EVERY_CHART.items()}
    with ThreadPoolExecutor(max_workers=5) as pool:
        futures = [
            (name, pool.submit(draw)) for _ in range(3) for name, draw in EVERY_CHART.items()
        ]
        together = [(name, future.result()) for name, future in futures]
    assert all(png == alone[name] for name, png in together)


def test_empty_inputs_draw_the_title_alone() -> None:
    pictures = [
        profile_chart("Профиль", []),
        change_chart("Динамика", [], [], [], entry_label="Вход", final_label="Итог"),
        heat_map("Карта", [], [], []),
        heat_map("Карта без блоков", ["Школа № 1"], [], [[]]),
        answers_chart("Вопрос", [], []),
        comparison_bar("Показатели", [], [], []),
    ]
    for png in pictures:
        width, height = size_of(png)
        assert width >= 900
        assert 100 <= height <= 600


def test_a_heat_map_of_300_schools_stays_under_the_height_cap(
    layout: list[chart_page.Page],
) -> None:
    heat(rows=HEAT_MAP_MAX_ROWS)
    (page,) = layout
    assert math.ceil(page.y + 24) <= HEAT_MAP_MAX_HEIGHT
    # Every school is named and every cell written, smaller but legible (≥ 8 px).
    texts = written(page)
    assert sum(text.startswith("МКОУ СОШ №") for text in texts) == HEAT_MAP_MAX_ROWS
    cells = [text for text in page.texts if text.align == "center" and text.bold]
    assert len(cells) >= 300 * 4 - 300 * 4 // 9 - 1
    assert min(chart_text.pixels(text.size) for text in page.texts) >= 8


def test_a_heat_map_of_300_schools_is_a_real_png() -> None:
    assert_sane(heat(rows=HEAT_MAP_MAX_ROWS))


def test_more_rows_than_the_cap_is_for_the_caller_to_split() -> None:
    rows = [f"Школа {i}" for i in range(HEAT_MAP_MAX_ROWS + 1)]
    with pytest.raises(ValueError, match=str(HEAT_MAP_MAX_ROWS)):
        heat_map("Карта", rows, ["Блок"], [[50.0]] * len(rows))


def test_twelve_answer_options_all_show_count_and_percent(layout: list[chart_page.Page]) -> None:
    answers_chart("Вопрос", [f"Вариант {i}" for i in range(12)], [10] * 11 + [0])
    texts = written(layout[0])
    assert [f"Вариант {i}" for i in range(12)] == [t for t in texts if t.startswith("Вариант")]
    assert texts.count("10 (9\u00a0%)") == 11
    assert "0 (0\u00a0%)" in texts


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_draw_without_error_or_warning(label: str) -> None:
    # pytest turns warnings (a missing glyph, a mathtext parse) into errors.
    assert_sane(profile_chart(label, [BlockValue(label, 50, "partial")], caption=label))
    assert_sane(change_chart(label, [label], [1], [2], entry_label=label, final_label=label))
    assert_sane(heat_map(label, [label], [label], [[50]], empty_label=label))
    assert_sane(answers_chart(label, [label, label], [1, 2], note=label))
    assert_sane(comparison_bar(label, [label], [50], [70], unit=label, target_label=label))


def test_long_labels_are_wrapped_within_the_page_and_cut_with_an_ellipsis(
    layout: list[chart_page.Page],
) -> None:
    long = "Работа с детьми группы риска и детьми с трудностями в обучении " * 10
    answers_chart("Вопрос " * 40, [long], [3])
    page = layout[0]
    measure = chart_text.Measure()
    for text in page.texts:
        width = measure.width(text.text, text.size, text.bold)
        left = text.x - {"left": 0, "center": width / 2, "right": width}[text.align]
        assert left >= chart_page.MARGIN
        assert left + width <= page.width - chart_page.MARGIN
    label_lines = [t.text for t in page.texts if t.text.startswith("Работа") or "групп" in t.text]
    assert 1 < len(label_lines) <= 2
    assert label_lines[-1].endswith("…")


def test_characters_the_font_lacks_are_dropped_and_dollars_stay_text() -> None:
    assert chart_text.clean("Итоги\x00 \U0001fae8 $5$\n\tи  всё") == "Итоги $5$ и всё"


def test_mismatched_lengths_and_unknown_levels_are_refused() -> None:
    with pytest.raises(ValueError):
        change_chart("Т", ["a", "b"], [1], [2, 3], entry_label="В", final_label="И")
    with pytest.raises(ValueError):
        answers_chart("Т", ["a"], [1, 2])
    with pytest.raises(ValueError):
        comparison_bar("Т", ["a"], [1], [])
    with pytest.raises(ValueError):
        heat_map("Т", ["a"], ["b", "c"], [[1]])
    with pytest.raises(ValueError, match="level"):
        profile_chart("Т", [BlockValue("a", 10, "catastrophic")])


# --- what is written --------------------------------------------------------------------------
def test_the_profile_writes_each_percent_and_colours_each_bar_by_level(
    layout: list[chart_page.Page],
) -> None:
    profile()
    page = layout[0]
    texts = written(page)
    assert [t for t in texts if t.endswith("%")] == [
        "39\u00a0%",
        "61\u00a0%",
        "84\u00a0%",
        "100\u00a0%",
    ]
    bars = [box.colour for box in page.boxes if box.raised]
    assert bars == [chart_page.VERMILLION, chart_page.ORANGE, chart_page.GREEN, chart_page.GREEN]
    # Two threshold lines over each of the four bars.
    assert len([line for line in page.lines if line.dashed]) == 8


def test_values_outside_0_100_are_written_as_given_and_clipped_in_length(
    layout: list[chart_page.Page],
) -> None:
    profile_chart(
        "Профиль",
        [
            BlockValue("Выше", 130, "none"),
            BlockValue("Ниже", -5, "deficit"),
            BlockValue("Нет", math.nan, "deficit"),
        ],
    )
    page = layout[0]
    assert {"130\u00a0%", "\u22125\u00a0%", "—"} <= set(written(page))
    tracks = [box for box in page.boxes if not box.raised]
    bars = [box for box in page.boxes if box.raised]
    assert len(bars) == 1  # only 130 % draws anything, and no further than its track
    assert bars[0].width == tracks[0].width


def test_the_change_chart_writes_the_change_and_a_dash_for_no_value(
    layout: list[chart_page.Page],
) -> None:
    change_chart(
        "Динамика",
        ["Рост", "Спад", "Без изменений", "Нет входной"],
        [38, 61, 84.2, None],
        [50, 56, 83.9, 72],
        entry_label="Вход",
        final_label="Итог",
    )
    page = layout[0]
    changes = {t.text: t.colour for t in page.texts if t.align == "right" and t.x > 800}
    assert changes == {
        "+12": chart_page.GREEN,
        "\u22125": chart_page.VERMILLION,
        "0": chart_page.MUTED,
    }
    assert "—" in written(page)
    assert {"Вход", "Итог"} <= set(written(page))


def test_the_heat_map_writes_each_mean_and_greys_empty_cells(
    layout: list[chart_page.Page],
) -> None:
    heat_map("Карта", ["Школа № 1"], ["Предметные", "Методические"], [[64.4, None]])
    page = layout[0]
    assert "64" in written(page)
    empty = [t for t in page.texts if t.text == "—" and t.colour == chart_page.MUTED]
    assert len(empty) == 2  # the key and the cell
    (grid,) = [cells for cells in page.cells if cells.values.shape == (1, 2)]
    assert np.ma.getmaskarray(grid.values).tolist() == [[False, True]]


def test_comparison_marks_targets_and_colours_by_reaching_them(
    layout: list[chart_page.Page],
) -> None:
    comparison()
    page = layout[0]
    texts = written(page)
    assert {"64\u00a0%", "100\u00a0%", "40\u00a0%", "70\u00a0%", "12\u00a0%", "цель"} <= set(texts)
    assert [box.colour for box in page.boxes if box.raised] == [
        chart_page.ORANGE,
        chart_page.ORANGE,
        chart_page.BLUE,
    ]
    markers = [line for line in page.lines if line.width == 4]
    assert len(markers) == 2


def test_another_unit_scales_to_the_largest_number(layout: list[chart_page.Page]) -> None:
    comparison_bar("Консультации", ["Школа А", "Школа Б"], [30, 15], [60, None], unit="шт.")
    page = layout[0]
    bars = [box for box in page.boxes if box.raised]
    track = next(box for box in page.boxes if not box.raised)
    assert [round(bar.width / track.width, 2) for bar in bars] == [0.5, 0.25]
    assert "60\u00a0шт." in written(page)


def test_numbers_round_halves_up_with_a_real_minus() -> None:
    assert chart_page.as_digits(64.5) == "65"
    assert chart_page.as_digits(-5.2) == "\u22125"
    assert chart_page.signed(11.6) == "+12"
    assert chart_page.signed(0.2) == "0"


# --- resources --------------------------------------------------------------------------------
def test_no_figure_outlives_its_chart(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[weakref.ref[Figure]] = []

    class Tracked(Figure):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(weakref.ref(self))

    monkeypatch.setattr(chart_page, "Figure", Tracked)
    for draw in EVERY_CHART.values():
        draw()
    gc.collect()
    assert len(made) == len(EVERY_CHART)
    assert [ref for ref in made if ref() is not None] == []


def test_charts_use_no_pyplot_telegram_or_database() -> None:
    modules: set[str] = set()
    sources = Path(charts.__file__).parent.glob("*.py")
    for node in (n for f in sources for n in ast.walk(ast.parse(f.read_text(encoding="utf-8")))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    forbidden = ("matplotlib.pyplot", "aiogram", "sqlalchemy", "storage", "bot.texts")
    assert [m for m in modules if m.startswith(forbidden)] == []
