"""What a roster import reports to the coordinator: counts, and every row it cannot take
(with its sheet, row number and why)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.texts import t

PEOPLE_SHEET, SCHOOLS_SHEET = "people", "schools"


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, *, quote_max: int | None = None) -> str:
        """The problem in words; with `quote_max`, a cell quoted longer than that is cut short
        with «…» (a message holds 4,096 characters; the spreadsheet quotes in full)."""
        where = (
            t("roster.where_school_row", row=self.row)
            if self.sheet == SCHOOLS_SHEET
            else t("roster.where_row", row=self.row)
        )
        params = self.params
        if quote_max is not None:
            params = {name: _cut(value, quote_max) for name, value in params.items()}
        return f"{where}: {t(self.key, **params)}"


def _cut(value: Any, limit: int) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1].rstrip() + "…"
    return value


@dataclass
class RosterReport:
    municipality_name: str
    rows: int = 0
    new_people: int = 0
    updated_people: int = 0
    unchanged_people: int = 0
    skipped_rows: int = 0
    schools_created: int = 0
    schools_updated: int = 0
    tutor_assignments: int = 0
    # The whole file is unusable (a required column is missing): nothing else is checked.
    file_problem: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return self.file_problem is None and any(
            (
                self.new_people,
                self.updated_people,
                self.schools_created,
                self.schools_updated,
                self.tutor_assignments,
            )
        )
