"""The monitoring stages and objects of `config/monitoring.yaml`, checked.

A stage is a month of the program year with the day it opens and the day it is due; an object
is a scored section of the school leader's self-evaluation. The file is read once and checked
against the scenario: a stage or an object the bot cannot use stops the bot at start, with the
reason, rather than producing an empty report in March.
"""

from __future__ import annotations

import calendar
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.services import program_years, scenarios
from bot.services.scenario_schema import Localized
from storage.models import MonitoringStage, YearKind

MONITORING_FILE = Path(__file__).resolve().parent.parent.parent / "config" / "monitoring.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StageConfig(_Strict):
    id: MonitoringStage
    month: int = Field(ge=1, le=12)
    start_day: int = Field(ge=1, le=28)
    due_day: int | Literal["last"]
    title: Localized
    source: str

    def _due_day(self, year: int) -> int:
        last = calendar.monthrange(year, self.month)[1]
        return last if self.due_day == "last" else min(self.due_day, last)

    def dates(self, kind: YearKind, year: int) -> tuple[date, date]:
        """Start and due day of the stage in program year `year` of a municipality's kind."""
        calendar_year = program_years.calendar_year_of_month(kind, year, self.month)
        start = date(calendar_year, self.month, self.start_day)
        return start, date(calendar_year, self.month, self._due_day(calendar_year))


class ObjectConfig(_Strict):
    id: str
    section: str
    title: Localized
    source: str


class MonitoringConfig(_Strict):
    scenario: str
    stages: list[StageConfig] = Field(min_length=1)
    objects: list[ObjectConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> MonitoringConfig:
        ids = [stage.id for stage in self.stages]
        if len(set(ids)) != len(ids):
            raise ValueError("a stage is listed twice")
        for stage in self.stages:
            if isinstance(stage.due_day, int) and not stage.start_day <= stage.due_day <= 31:
                raise ValueError(f"stage {stage.id}: due_day before start_day")
        return self

    def stage(self, stage: MonitoringStage) -> StageConfig:
        for found in self.stages:
            if found.id == stage:
                return found
        raise KeyError(stage)


def _check_sections(loaded: MonitoringConfig) -> None:
    scenario = scenarios.get(loaded.scenario).scenario
    scored = {section.id for section in scenario.sections if section.scored}
    unknown = [o.section for o in loaded.objects if o.section not in scored]
    if unknown:
        raise ValueError(f"{MONITORING_FILE.name}: not a scored section of the scenario: {unknown}")


@lru_cache(maxsize=1)
def config() -> MonitoringConfig:
    """The file, checked; a broken one stops the bot at start with the reason."""
    data = yaml.safe_load(MONITORING_FILE.read_text(encoding="utf-8"))
    loaded = MonitoringConfig.model_validate(data)
    _check_sections(loaded)
    return loaded
