"""The event form's plumbing: the way through its steps, the draft in the dialog data, the
organiser's zone and locale."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram_dialog import DialogManager

from bot.dialogs.common import who
from bot.services import events
from bot.states import EventEditor
from bot.states import EventEditor as S

NEXT: dict[State, State] = {
    S.kind: S.title,
    S.title: S.start,
    S.start: S.end,
    S.end: S.hours,
    S.hours: S.form,
    S.form: S.scope,
    S.scope: S.place,
    S.place: S.capacity,
    S.capacity: S.deadline,
    S.deadline: S.audience,
    S.audience: S.program,
    S.program: S.description,
    S.description: S.organiser,
    S.organiser: S.topics,
    S.topics: S.preview,
}
PREVIOUS: dict[State, State] = {after: before for before, after in NEXT.items()}
# A field of an existing event: the step it starts at and the step that saves it.
FIELD_STEPS: dict[str, tuple[State, State]] = {
    "title": (S.title, S.title),
    "when": (S.start, S.end),
    "hours": (S.hours, S.hours),
    "form": (S.form, S.scope),
    "place": (S.place, S.place),
    "capacity": (S.capacity, S.capacity),
    "deadline": (S.deadline, S.deadline),
    "reminders": (S.reminders, S.reminders),
    "audience": (S.audience, S.audience),
    "program": (S.program, S.program),
    "description": (S.description, S.description),
    "organiser": (S.organiser, S.organiser),
    "topics": (S.topics, S.topics),
}


def locale_of(manager: DialogManager) -> str:
    return str(manager.middleware_data["i18n"].current_locale)


def draft_of(manager: DialogManager) -> events.Draft:
    return events.Draft.from_dict(manager.dialog_data.get("draft"))


def keep(manager: DialogManager, draft: events.Draft) -> None:
    manager.dialog_data["draft"] = draft.to_dict()


async def zone_of(manager: DialogManager) -> Any:
    person, session, settings = who(manager)
    return await events.organiser_zone(session, person, settings)


def editing(manager: DialogManager) -> tuple[int, str] | None:
    """The event and the field being changed, when the form changes one field."""
    event_id = manager.dialog_data.get("edit_id")
    return (int(event_id), str(manager.dialog_data["field"])) if event_id else None


def state_named(name: str) -> State:
    for state in EventEditor.__all_states__:
        if state.state == name:
            return state
    return S.start
