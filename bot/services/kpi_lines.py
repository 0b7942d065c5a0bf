"""The KPI report's plain data: one line per indicator, and which lines are behind.

`bot.services.kpi` computes the lines from what the bot recorded; the message, the chart, the
.xlsx, `nastavnik kpi` and the weekly digest all read these dataclasses, never the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Comparison = Literal["min", "upto"]  # «не менее» / «до»
Unit = Literal["count", "percent"]
Status = Literal["met", "behind", "no_data"]


@dataclass(frozen=True, slots=True)
class KpiLine:
    id: str  # the seeds' id (seeds-extract §1.6), e.g. "EV-WEBINAR"
    title: dict[str, str]  # by locale
    program: str  # "000", "001", "002"
    comparison: Comparison
    unit: Unit
    target: float
    # None: nothing to count this from (no participating schools, no teachers): the report says
    # so instead of dividing by zero.
    fact: float | None
    source: str  # file and line of the seed the target comes from
    # For shares: the numerator and denominator behind `fact`, shown in the report.
    numerator: int | None = None
    denominator: int | None = None

    @property
    def percent(self) -> float | None:
        """Fact as a share of the target (100 = reached)."""
        if self.fact is None:
            return None
        if self.target == 0:
            return 100.0
        return round(self.fact / self.target * 100, 1)

    @property
    def status(self) -> Status:
        if self.fact is None:
            return "no_data"
        return "met" if self.fact >= self.target else "behind"

    def title_in(self, locale: str) -> str:
        return self.title.get(locale) or self.title.get("ru") or self.id


@dataclass(frozen=True, slots=True)
class KpiReport:
    year: int
    starts_on: date
    ends_on: date
    municipality_id: int | None  # None: the whole region
    region_id: int
    place: str  # the municipality's or the region's name
    lines: list[KpiLine] = field(default_factory=list)


def elapsed_share(report: KpiReport, today: date) -> float:
    """How much of the program year has passed, 0…1."""
    if today <= report.starts_on:
        return 0.0
    if today >= report.ends_on:
        return 1.0
    total = (report.ends_on - report.starts_on).days + 1
    return ((today - report.starts_on).days + 1) / total


def behind_pro_rata(report: KpiReport, today: date) -> list[KpiLine]:
    """Lines whose fact is below what the year's elapsed share of the target asks by `today`.

    Counts of things held over the year («9 вебинаров») are expected pro rata; shares («100 %
    школ») are judged the same way, as the seeds set them for the year's end.
    """
    share = elapsed_share(report, today)
    behind = []
    for line in report.lines:
        if line.fact is None:
            continue
        if line.fact < line.target * share:
            behind.append(line)
    return behind
