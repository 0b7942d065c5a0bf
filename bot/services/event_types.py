"""The kinds of event a coordinator can schedule (`config/event_types.yaml`).

The list is configuration: a region adds its own kinds without touching code. Events keep the
id; reports count by it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from storage.models import EventForm

EVENT_TYPES_FILE = Path(__file__).resolve().parent.parent.parent / "config" / "event_types.yaml"


class EventType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    title: dict[str, str]
    hours: float = Field(gt=0, le=1000)
    form: EventForm
    # A program of parts (master-classes, open lessons, consultations), like a «десант».
    sessions: bool = False

    def title_in(self, locale: str) -> str:
        return self.title.get(locale) or self.title.get("ru") or self.id


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    types: list[EventType] = Field(min_length=1)


@cache
def catalogue() -> tuple[EventType, ...]:
    """Every kind, in the file's order. A broken file stops the bot at start with the reason."""
    data = yaml.safe_load(EVENT_TYPES_FILE.read_text(encoding="utf-8"))
    loaded = _File.model_validate(data).types
    ids = [kind.id for kind in loaded]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{EVENT_TYPES_FILE}: an event type id is given twice")
    return tuple(loaded)


def get(type_id: str) -> EventType | None:
    return next((kind for kind in catalogue() if kind.id == type_id), None)


def title(type_id: str, locale: str) -> str:
    """The kind's name; an id no longer in the file (a region removed it) shows as itself."""
    kind = get(type_id)
    return kind.title_in(locale) if kind is not None else type_id
