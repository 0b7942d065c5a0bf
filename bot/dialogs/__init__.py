"""Multi-step forms, built with aiogram-dialog: windows, back and cancel, paging, typed input
checked by the services, and a stack stored through the bot's FSM storage (database or Redis),
so a form survives restarts and is still there when its person comes back to it.

`build_router()` holds every form behind the one rule for leaving (`bot.dialogs.leaving`);
`install(dp)` wires aiogram-dialog into the dispatcher.
"""

from __future__ import annotations

from aiogram import Dispatcher, Router
from aiogram.fsm.storage.memory import DisabledEventIsolation
from aiogram_dialog import setup_dialogs

from bot.dialogs import (
    broadcast_composer,
    consultation_log,
    deadline_editor,
    event_editor,
    survey_launch,
    survey_runner,
)
from bot.dialogs.leaving import LeavingForms, typed_into_open_form


def build_router() -> Router:
    forms = Router(name="forms")
    # A command or a menu button never becomes a form's answer, and a form the person has left
    # takes no typed text until they come back to it.
    forms.message.filter(typed_into_open_form)
    forms.include_router(consultation_log.dialog())
    forms.include_router(broadcast_composer.dialog())
    forms.include_router(survey_launch.dialog())
    forms.include_router(survey_runner.dialog())
    forms.include_router(event_editor.dialog())
    forms.include_router(deadline_editor.dialog())
    return forms


def install(dp: Dispatcher) -> None:
    # No event isolation here either: the update path runs one person's updates in order.
    setup_dialogs(dp, events_isolation=DisabledEventIsolation())
    leaving = LeavingForms()
    dp.message.outer_middleware(leaving)
    dp.callback_query.outer_middleware(leaving)
