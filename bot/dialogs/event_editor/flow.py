"""The way through the event form: starting it (new, a copy, one field of an event), on to the
next step or back, an answer taken into the draft, and the shape every step's window has."""

from __future__ import annotations

import secrets
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.kbd import Button

from bot.dialogs import broadcast_composer as picker
from bot.dialogs.common import cancel, waits_for_buttons, waits_for_text, who
from bot.dialogs.event_editor.base import (
    FIELD_STEPS,
    NEXT,
    PREVIOUS,
    draft_of,
    editing,
    keep,
    state_named,
)
from bot.dialogs.event_editor.saving import save_edit
from bot.dialogs.widgets import T
from bot.services import audience as audiences
from bot.services import event_changes, events
from bot.states import EventEditor as S


async def on_start(start_data: Any, manager: DialogManager) -> None:
    person, session, _settings = who(manager)
    data = start_data if isinstance(start_data, dict) else {}
    draft = events.Draft()
    if data.get("edit_id"):
        draft = await event_changes.draft_of(session, person, int(data["edit_id"]))
        manager.dialog_data.update(edit_id=int(data["edit_id"]), field=str(data["field"]))
    elif data.get("copy_of"):
        draft = await event_changes.copy_of(session, person, int(data["copy_of"]))
        manager.dialog_data["copy"] = True
    manager.dialog_data.update(create_key=secrets.token_hex(8), no_segments=True)
    keep(manager, draft)
    picker.keep_audience(manager, audiences.Audience.from_dict(draft.audience))


async def advance(manager: DialogManager, done_with: State) -> None:
    """On to the next step; the last step of a field being changed saves the change."""
    changing = editing(manager)
    if changing is not None and FIELD_STEPS[changing[1]][1] == done_with:
        await save_edit(manager, changing[0])
        return
    if manager.dialog_data.get("copy") and done_with == S.end:
        await manager.switch_to(S.preview)
        return
    following = NEXT[done_with]
    if following == S.program and not draft_of(manager).has_sessions:
        following = S.description
    await manager.switch_to(following)


async def on_back(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    state = manager.current_context().state
    changing = editing(manager)
    if changing is not None and FIELD_STEPS[changing[1]][0] == state:
        await manager.done()
        return
    parts = {
        S.session_kind: S.program,
        S.session_title: S.session_kind,
        S.session_presenter: S.session_title,
        S.session_time: S.session_presenter,
        S.session_capacity: S.session_time,
        S.session_place: S.session_capacity,
        S.school: S.place,
        S.address: S.place,
        S.url: S.place,
        S.confirm_moment: state_named(str(manager.dialog_data.get("pending_step", ""))),
    }
    if state in parts:
        await manager.switch_to(parts[state])
        return
    if manager.dialog_data.get("copy") and state == S.preview:
        await manager.switch_to(S.end)
        return
    previous = PREVIOUS.get(state)
    if previous == S.program and not draft_of(manager).has_sessions:
        previous = S.audience
    if previous is None:
        return
    await manager.switch_to(previous)


async def answer(
    manager: DialogManager, step: State, *, advancing: bool = True, **values: Any
) -> None:
    """The draft with `values`, then on from `step` (or back to `step` itself)."""
    draft = draft_of(manager)
    for name, value in values.items():
        setattr(draft, name, value)
    keep(manager, draft)
    if advancing:
        await advance(manager, step)
    else:
        await manager.switch_to(step)


def go(state: State) -> Any:
    async def switch(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
        await manager.switch_to(state)

    return switch


# --- the windows ---------------------------------------------------------------------------------


def back_button() -> Button:
    return Button(T("events_admin.button_back"), id="back", on_click=on_back)


def cancel_button() -> Any:
    return cancel("events_admin.button_leave", "events_admin.form_dropped")


def text_step(prompt: Any, state: State, on_text: Any, *extra: Any, getter: Any = None) -> Window:
    return Window(
        prompt,
        *extra,
        back_button(),
        cancel_button(),
        *waits_for_text(on_text, "events_admin.type_it"),
        getter=getter,
        state=state,
    )


def button_step(prompt: Any, state: State, *buttons: Any, getter: Any = None) -> Window:
    return Window(
        prompt,
        *buttons,
        back_button(),
        cancel_button(),
        waits_for_buttons("events_admin.use_buttons"),
        getter=getter,
        state=state,
    )
