"""Who the event is for: the broadcast composer's audience picker (plain kinds of segment only),
taken into the draft with «Далее»."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, Window
from aiogram_dialog.widgets.kbd import Button

from bot.dialogs import broadcast_composer as picker
from bot.dialogs.audience_step import audience_windows
from bot.dialogs.event_editor.flow import answer, back_button, cancel_button
from bot.dialogs.widgets import T
from bot.states import EventEditor as S


async def on_audience_done(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await answer(manager, S.audience, audience=picker.audience_of(manager).to_dict())


def windows() -> list[Window]:
    return audience_windows(
        S.audience,
        S.choices,
        Button(T("events_admin.button_next"), id="audience_done", on_click=on_audience_done),
        back_button(),
        cancel_button(),
        back_key="events_admin.button_back",
        use_buttons_key="events_admin.use_buttons",
    )
