"""The coordinator's form «Добавить срок»: title → description (skippable) → responsible →
person (when a named person) → start → due → reminder days (the default shown, editable) →
recurrence → what counts as done → check and save.

The answers are a `Draft` in the dialog data; each step's check is the service's (a refusal is
its message, the form staying on the step) and saving checks the whole draft again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Row
from aiogram_dialog.widgets.text import Format

from bot.dialogs.common import (
    cancel,
    choices,
    paged_choices,
    tell,
    waits_for_buttons,
    waits_for_text,
    who,
)
from bot.dialogs.widgets import T, Template
from bot.errors import DomainError
from bot.keyboards import short_label
from bot.services import deadlines
from bot.services.deadlines import Draft
from bot.states import DeadlineEditor
from bot.texts import t
from storage.models import DoneBy, Recurrence, Responsible


def draft_of(manager: DialogManager) -> Draft:
    return Draft.from_data(manager.dialog_data.get("draft") or {})


def keep(manager: DialogManager, draft: Draft) -> None:
    manager.dialog_data["draft"] = draft.to_data()


async def on_start(start_data: Any, manager: DialogManager) -> None:
    keep(manager, Draft.from_data(start_data) if isinstance(start_data, dict) else Draft())


async def _today(manager: DialogManager) -> date:
    _person, session, settings = who(manager)
    return await deadlines.local_today(
        session, draft_of(manager).municipality_id, settings.timezone, datetime.now(UTC)
    )


async def on_title(message: Message, _widget: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    draft.title = deadlines.clean_title(message.text or "")
    keep(manager, draft)
    await manager.switch_to(DeadlineEditor.description)


async def on_description(message: Message, _widget: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    draft.description = deadlines.clean_description(message.text or "") or None
    keep(manager, draft)
    await manager.switch_to(DeadlineEditor.responsible)


async def on_skip_description(callback: CallbackQuery, _b: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    draft.description = None
    keep(manager, draft)
    await manager.switch_to(DeadlineEditor.responsible)


async def on_responsible(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, raw: str
) -> None:
    draft = draft_of(manager)
    responsible = deadlines.parse_choice(Responsible, raw)
    draft.responsible, draft.person_id = responsible.value, None
    keep(manager, draft)
    named = responsible == Responsible.PERSON
    await manager.switch_to(DeadlineEditor.person if named else DeadlineEditor.start)


async def people_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    person, session, _settings = who(dialog_manager)
    found = await deadlines.people_to_name(
        session, person, draft_of(dialog_manager).municipality_id
    )
    return {"people": [(pid, short_label(name)) for pid, name in found]}


async def on_person(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, person_id: int
) -> None:
    person, session, _settings = who(manager)
    draft = draft_of(manager)
    names = dict(await deadlines.people_to_name(session, person, draft.municipality_id))
    if person_id not in names:
        raise DomainError("dl.person_unknown")
    draft.person_id = person_id
    manager.dialog_data["person"] = names[person_id]
    keep(manager, draft)
    await manager.switch_to(DeadlineEditor.start)


async def _start_given(manager: DialogManager, day: date) -> None:
    draft = draft_of(manager)
    draft.starts_on = deadlines.check_start(day, await _today(manager)).isoformat()
    keep(manager, draft)
    await manager.switch_to(DeadlineEditor.due)


async def on_start_today(callback: CallbackQuery, _b: Any, manager: DialogManager) -> None:
    await _start_given(manager, await _today(manager))


async def on_start_date(message: Message, _widget: Any, manager: DialogManager) -> None:
    today = await _today(manager)
    day = deadlines.parse_date(message.text or "", today)
    await _start_given(manager, day)


async def on_due_date(message: Message, _widget: Any, manager: DialogManager) -> None:
    today = await _today(manager)
    draft = draft_of(manager)
    start = date.fromisoformat(draft.starts_on) if draft.starts_on else None
    due = deadlines.check_due(deadlines.parse_date(message.text or "", today), start, today)
    draft.due_on = due.isoformat()
    keep(manager, draft)
    await manager.switch_to(DeadlineEditor.reminders)


async def on_reminders(message: Message, _widget: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    draft.reminder_days = deadlines.parse_reminders(message.text or "")
    keep(manager, draft)
    await manager.switch_to(DeadlineEditor.recurrence)


async def on_keep_reminders(callback: CallbackQuery, _b: Any, manager: DialogManager) -> None:
    await manager.switch_to(DeadlineEditor.recurrence)


async def on_recurrence(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, raw: str
) -> None:
    draft = draft_of(manager)
    draft.recurrence = deadlines.parse_choice(Recurrence, raw).value
    keep(manager, draft)
    await manager.switch_to(DeadlineEditor.done_by)


async def on_done_by(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, raw: str
) -> None:
    draft = draft_of(manager)
    done_by = deadlines.parse_choice(DoneBy, raw)
    if done_by == DoneBy.RECORDS:
        raise DomainError("error.stale_button")
    draft.done_by = done_by.value
    keep(manager, draft)
    await manager.switch_to(DeadlineEditor.confirm)


async def choices_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    return {
        "responsibles": [(r.value, t(f"dl.responsible_{r.value}")) for r in Responsible],
        "recurrences": [(r.value, t(f"dl.recurrence_{r.value}")) for r in Recurrence],
        "done_bys": [(d.value, t(f"dl.done_by_{d.value}")) for d in DoneBy if d != DoneBy.RECORDS],
        "days": ", ".join(str(d) for d in draft.reminder_days) or "—",
        "max": deadlines.TITLE_MAX,
        "most": deadlines.REMINDERS_MAX,
        "top": deadlines.REMINDER_MAX_DAYS,
    }


async def summary_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)

    def shown(iso: str | None) -> str:
        return date.fromisoformat(iso).strftime("%d.%m.%Y") if iso else "—"

    return {
        "draft": draft,
        "person": dialog_manager.dialog_data.get("person"),
        "start": shown(draft.starts_on),
        "due": shown(draft.due_on),
        "responsible_label": t(f"dl.responsible_{draft.responsible}"),
        "done_by_label": t(f"dl.done_by_{draft.done_by}"),
    }


async def on_save(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    person, session, _settings = who(manager)
    await deadlines.create(session, person, draft_of(manager), await _today(manager))
    await manager.done(show_mode=ShowMode.EDIT)
    await tell(manager, t("dl.saved"))


def _cancel() -> Cancel:
    return cancel("dl.button_cancel", "dl.cancelled")


def _buttons() -> MessageInput:
    return waits_for_buttons("dl.use_buttons")


def _text(on_text: Any) -> list[MessageInput]:
    return waits_for_text(on_text, "dl.send_text")


def dialog() -> Dialog:
    return Dialog(
        Window(
            T("dl.ask_title", "max"),
            _cancel(),
            *_text(on_title),
            getter=choices_getter,
            state=DeadlineEditor.title,
        ),
        Window(
            T("dl.ask_description"),
            Button(T("dl.button_skip"), id="skip_description", on_click=on_skip_description),
            _cancel(),
            *_text(on_description),
            state=DeadlineEditor.description,
        ),
        Window(
            T("dl.ask_responsible"),
            Column(choices("responsible", "responsibles", on_responsible)),
            _cancel(),
            _buttons(),
            getter=choices_getter,
            state=DeadlineEditor.responsible,
        ),
        Window(
            T("dl.ask_person"),
            paged_choices("people", "person", "people", on_person, per_page=8, numbers=True),
            _cancel(),
            _buttons(),
            getter=people_getter,
            state=DeadlineEditor.person,
        ),
        Window(
            T("dl.ask_start"),
            Button(T("dl.button_today"), id="start_today", on_click=on_start_today),
            _cancel(),
            *_text(on_start_date),
            state=DeadlineEditor.start,
        ),
        Window(
            T("dl.ask_due"),
            _cancel(),
            *_text(on_due_date),
            state=DeadlineEditor.due,
        ),
        Window(
            T("dl.ask_reminders", "days", "most", "top"),
            Button(
                T("dl.button_keep") + Format(" ({days})"), id="keep", on_click=on_keep_reminders
            ),
            _cancel(),
            *_text(on_reminders),
            getter=choices_getter,
            state=DeadlineEditor.reminders,
        ),
        Window(
            T("dl.ask_recurrence"),
            Column(choices("recurrence", "recurrences", on_recurrence)),
            _cancel(),
            _buttons(),
            getter=choices_getter,
            state=DeadlineEditor.recurrence,
        ),
        Window(
            T("dl.ask_done_by"),
            Column(choices("done_by", "done_bys", on_done_by)),
            _cancel(),
            _buttons(),
            getter=choices_getter,
            state=DeadlineEditor.done_by,
        ),
        Window(
            Template("deadline_summary.html"),
            Row(Button(T("dl.button_save"), id="save", on_click=on_save), _cancel()),
            _buttons(),
            getter=summary_getter,
            state=DeadlineEditor.confirm,
        ),
        on_start=on_start,
    )
