"""The PNG charts' speed: `python -m bench.charts [--runs N]`.

Each chart is drawn N times (default 5) in this process; the table gives the median and the
slowest time, the picture's size in pixels and bytes, and the process's peak RSS after all of
them. The heat map of 300 schools × 4 blocks is the case the survey issue budgets (≤ 2 s with
its query). The table goes to stdout and bench/results/charts.md; nothing else is written.
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from bot.services.charts import (
    HEAT_MAP_MAX_ROWS,
    BlockValue,
    answers_chart,
    change_chart,
    comparison_bar,
    heat_map,
    profile_chart,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_FILE = REPO_ROOT / "bench" / "results" / "charts.md"
BLOCKS = (
    "Предметные компетенции",
    "Методические компетенции",
    "Психолого-педагогические компетенции",
    "Коммуникативные компетенции",
)
VILLAGES = ("Грачёвка", "Кугульта", "Спицевка", "Бешпагир", "Старомарьевка", "Сергиевское")


@dataclass
class Timing:
    name: str
    seconds: list[float]
    width: int
    height: int
    size: int

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _schools(count: int, seed: int = 1) -> tuple[list[str], list[list[float | None]]]:
    rnd = random.Random(seed)
    names = [
        f"МКОУ СОШ № {i} с. {rnd.choice(VILLAGES)} Грачёвского муниципального округа"
        for i in range(1, count + 1)
    ]
    values: list[list[float | None]] = [
        [None if rnd.random() < 0.05 else rnd.uniform(0, 100) for _ in BLOCKS] for _ in names
    ]
    return names, values


def cases() -> dict[str, Callable[[], bytes]]:
    names, values = _schools(HEAT_MAP_MAX_ROWS)
    levels = ("deficit", "partial", "none", "none")
    blocks = [BlockValue(b, 30 + 20 * i, levels[i]) for i, b in enumerate(BLOCKS)]
    return {
        "profile, 4 blocks": lambda: profile_chart("Профиль", blocks, thresholds=(50, 75)),
        "heat map, 300 × 4": lambda: heat_map(
            "Дефициты по школам, %", names, BLOCKS, values, empty_label="нет данных"
        ),
        "heat map, 60 × 4": lambda: heat_map(
            "Дефициты по школам, %", names[:60], BLOCKS, values[:60]
        ),
        "change, 4 blocks": lambda: change_chart(
            "Динамика",
            BLOCKS,
            [38, 61, 84, None],
            [50, 56, 84, 72],
            entry_label="В",
            final_label="И",
        ),
        "answers, 12 options": lambda: answers_chart(
            "Какая помощь нужна?", [f"Вариант ответа № {i}" for i in range(12)], list(range(12))
        ),
        "comparison, 3 shares": lambda: comparison_bar(
            "Показатели", ["Диагностика", "Динамика", "Без цели"], [64, 40, 12], [100, 70, None]
        ),
    }


def _peak_megabytes() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def measure(runs: int, names: Sequence[str] | None = None) -> list[Timing]:
    timings: list[Timing] = []
    for name, draw in cases().items():
        if names and name not in names:
            continue
        seconds: list[float] = []
        png = b""
        for _ in range(runs):
            started = time.perf_counter()
            png = draw()
            seconds.append(time.perf_counter() - started)
        with Image.open(io.BytesIO(png)) as image:
            width, height = image.size
        timings.append(Timing(name, seconds, width, height, len(png)))
        print(f"{name}: {statistics.median(seconds):.3f} s", file=sys.stderr, flush=True)
    return timings


def markdown(timings: Sequence[Timing], runs: int) -> str:
    lines = [
        f"Charts benchmark: each chart drawn {runs} times in one process (Agg + Pillow text).",
        "",
        "| Chart | Median, s | Slowest, s | Pixels | PNG, KB |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {t.name} | {t.median:.3f} | {max(t.seconds):.3f} | {t.width}×{t.height} "
            f"| {t.size / 1024:.0f} |"
            for t in timings
        ),
        "",
        f"Peak RSS of the process: {_peak_megabytes():.0f} MB.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    table = markdown(measure(args.runs), args.runs)
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
