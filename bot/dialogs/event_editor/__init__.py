"""The organiser's event form: type → title → start → end (or a length) → hours → form and
scope → place (a host school, an address, the online link) → capacity → registration deadline →
audience (the broadcast composer's picker) → for a «десант» its program → description,
organiser, topics → the preview as teachers will read it → «Опубликовать» / «Сохранить черновик».

Every typed moment is written back (weekday, day, time, zone) and taken only when confirmed.
The answers are a `events.Draft` in the form's dialog data, stored with it: the form survives a
restart. The same windows change one field of an existing event (`edit_id`, `field`): its last
step saves the change (the registrants are told) instead of going on; a copy (`copy`) asks the
new start and end, then shows the preview.

By stage: `base` (the way through, the draft), `flow` (on, back, the windows' shape), `what`
(type, title, hours, form, scope, description, organiser, topics), `when_where` (moments, place,
capacity, deadline), `audience`, `program` (a «десант»), `publish` (the preview), `saving`.
"""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode

from bot.dialogs.event_editor import audience, program, publish, what, when_where
from bot.dialogs.event_editor.base import FIELD_STEPS
from bot.dialogs.event_editor.flow import on_start
from bot.states import EventEditor
from bot.states import EventEditor as S


def dialog() -> Dialog:
    windows = [
        *what.windows(),
        *when_where.windows(),
        *audience.windows(),
        *program.windows(),
        *publish.windows(),
    ]
    # The windows in the order of the form's states, as one list had them.
    order = [state.state for state in EventEditor.__all_states__]
    windows.sort(key=lambda window: order.index(window.get_state().state))
    return Dialog(*windows, on_start=on_start)


async def open_editor(manager: DialogManager, data: dict[str, Any], first: State = S.kind) -> None:
    await manager.start(first, data=data, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


__all__ = ["FIELD_STEPS", "dialog", "open_editor"]
