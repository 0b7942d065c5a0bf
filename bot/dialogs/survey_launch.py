"""The coordinator's form «➕ Новый опрос»: a scenario → its audience (the broadcast composer's
audience picker, within the scenario's roles) → a deadline (+3, +7, +14 days or a typed
ДД.ММ.ГГГГ) → the confirmation → the survey, its invitees and their invitations.

One launch key per form: a second tap on «Запустить» finds the survey the first one made.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Column, Row, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.dialogs import broadcast_composer as picker
from bot.dialogs.audience_step import audience_windows
from bot.dialogs.common import (
    cancel,
    choices,
    tell,
    waits_for_buttons,
    waits_for_text,
    who,
)
from bot.dialogs.widgets import T, Template, render
from bot.errors import DomainError
from bot.keyboards.surveys import card_keyboard
from bot.services import audience as audiences
from bot.services import scenarios, surveys
from bot.states import LaunchSurvey
from bot.transport.surveys import send_invitations


async def on_start(_start_data: Any, manager: DialogManager) -> None:
    manager.dialog_data.update(
        audience=audiences.Audience().to_dict(),
        launch_key=secrets.token_hex(8),
        no_segments=True,
    )


# --- the scenario -------------------------------------------------------------------------------


def _locale(manager: DialogManager) -> str:
    return str(manager.middleware_data["i18n"].current_locale)


async def scenario_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {
        "scenarios": [(s.scenario_id, s.title) for s in surveys.launchable(_locale(dialog_manager))]
    }


async def on_scenario(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, scenario_id: str
) -> None:
    chosen = surveys.launchable_one(scenario_id, _locale(manager))
    manager.dialog_data.update(scenario_id=chosen.scenario_id, allowed_roles=list(chosen.roles))
    # Roles chosen for another scenario may not be this one's.
    picker.keep_audience(manager, audiences.Audience())
    await manager.switch_to(LaunchSurvey.audience)


# --- the deadline -------------------------------------------------------------------------------


async def _timezone(manager: DialogManager) -> Any:
    person, session, settings = who(manager)
    return await surveys.launch_timezone(session, person, settings)


async def deadline_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"days": [(str(d), f"+{d}") for d in surveys.DEADLINE_BUTTONS]}


async def on_days(callback: CallbackQuery, _widget: Any, manager: DialogManager, days: str) -> None:
    if not (days.isascii() and days.isdigit()):
        raise DomainError("error.stale_button")
    moment = surveys.deadline_in(int(days), await _timezone(manager))
    manager.dialog_data["deadline"] = moment.isoformat()
    await manager.switch_to(LaunchSurvey.confirm)


async def on_typed_deadline(message: Message, _widget: Any, manager: DialogManager) -> None:
    moment = surveys.parse_deadline(message.text or "", await _timezone(manager))
    manager.dialog_data["deadline"] = moment.isoformat()
    await manager.switch_to(LaunchSurvey.confirm)


def _scenario_id(manager: DialogManager) -> str:
    scenario_id = manager.dialog_data.get("scenario_id")
    if not scenario_id:
        raise DomainError("surveys_admin.scenario_gone")
    return str(scenario_id)


def _deadline(manager: DialogManager) -> datetime:
    raw = manager.dialog_data.get("deadline")
    if not raw:
        raise DomainError("surveys_admin.deadline_format")
    return datetime.fromisoformat(str(raw))


# --- confirm and launch -------------------------------------------------------------------------


async def confirm_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    person, session, _settings = who(dialog_manager)
    chosen = surveys.launchable_one(_scenario_id(dialog_manager), _locale(dialog_manager))
    count = await surveys.audience_count(
        session, person, chosen.scenario_id, picker.audience_of(dialog_manager)
    )
    tz = await _timezone(dialog_manager)
    return {
        "title": chosen.title,
        "count": count,
        "deadline": _deadline(dialog_manager).astimezone(tz).strftime("%d.%m.%Y"),
        "anonymous": chosen.anonymous,
        "public": chosen.public,
        "can_launch": count > 0,
    }


async def on_launch(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    person, session, settings = who(manager)
    scenario_id = _scenario_id(manager)
    launched = await surveys.launch(
        session,
        settings,
        person,
        scenario_id=scenario_id,
        chosen=picker.audience_of(manager),
        deadline=_deadline(manager),
        launch_key=str(manager.dialog_data["launch_key"]),
        locale=_locale(manager),
    )
    scenario = scenarios.get(scenario_id).scenario
    await send_invitations(
        session,
        settings,
        manager.middleware_data["templates"],
        survey_id=launched.survey.id,
        scenario_title={loc: scenario.title.get(loc) for loc in ("ru", "en")},
        description={
            loc: scenario.description.get(loc) if scenario.description else ""
            for loc in ("ru", "en")
        },
        deadline=launched.survey.deadline,
        rows=launched.invitees,
    )
    card = await surveys.card(session, person, launched.survey.id, _locale(manager))
    await manager.done()
    await tell(
        manager,
        render(manager, "survey_card.html", card=card, tz=settings.tz, launched=True),
        card_keyboard(card.id, open_=card.open, public=card.public),
    )


# --- the windows --------------------------------------------------------------------------------


def _cancel() -> Any:
    return cancel("surveys_admin.cancel_launch", "surveys_admin.launch_dropped")


def dialog() -> Dialog:
    return Dialog(
        Window(
            T("surveys_admin.pick_scenario"),
            Column(choices("scenario", "scenarios", on_scenario)),
            _cancel(),
            waits_for_buttons("surveys_admin.use_buttons"),
            getter=scenario_getter,
            state=LaunchSurvey.scenario,
        ),
        *audience_windows(
            LaunchSurvey.audience,
            LaunchSurvey.choices,
            SwitchTo(T("surveys_admin.to_deadline"), id="to_deadline", state=LaunchSurvey.deadline),
            SwitchTo(
                T("surveys_admin.other_scenario"), id="to_scenario", state=LaunchSurvey.scenario
            ),
            _cancel(),
            back_key="broadcast.back",
            use_buttons_key="surveys_admin.use_buttons",
        ),
        Window(
            T("surveys_admin.ask_deadline"),
            Row(choices("days", "days", on_days)),
            SwitchTo(T("broadcast.back"), id="back_audience", state=LaunchSurvey.audience),
            _cancel(),
            *waits_for_text(on_typed_deadline, "surveys_admin.deadline_format"),
            getter=deadline_getter,
            state=LaunchSurvey.deadline,
        ),
        Window(
            Template("survey_launch_confirm.html"),
            Button(T("surveys_admin.launch"), id="launch", on_click=on_launch, when="can_launch"),
            SwitchTo(
                T("surveys_admin.change_deadline"), id="re_deadline", state=LaunchSurvey.deadline
            ),
            SwitchTo(
                T("surveys_admin.change_audience"), id="re_audience", state=LaunchSurvey.audience
            ),
            _cancel(),
            waits_for_buttons("surveys_admin.use_buttons"),
            getter=confirm_getter,
            state=LaunchSurvey.confirm,
        ),
        on_start=on_start,
    )


__all__ = ["UTC", "Format", "dialog"]
