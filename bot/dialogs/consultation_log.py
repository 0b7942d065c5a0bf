"""The tutor's form «Записать консультацию»: school → teachers → date → format → block → topic
→ duration → outcome → check and save; or, from a question thread, straight to the block.

The answers so far are a `Draft` in the form's dialog data, stored with the dialog, so the form
survives a restart and is still there when the tutor comes back from another menu. Saving checks
every answer again (`consultations.save`); each step's check is the service's, and a refusal is
its message (`DomainError`), the form staying on the step.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Group, Row
from aiogram_dialog.widgets.text import Format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogs.common import (
    cancel,
    choices,
    mark,
    paged_choices,
    tell,
    waits_for_buttons,
    waits_for_text,
    who,
)
from bot.dialogs.widgets import T, Template
from bot.keyboards import short_label
from bot.keyboards.consultations import DURATION_CHOICES, tutor_menu_keyboard
from bot.services import consultations
from bot.services.consultations import Draft
from bot.states import LogConsultation
from bot.texts import t
from storage.models import CompetenceBlock, ConsultationFormat

_SCHOOLS_PER_PAGE = 8
_TEACHERS_PER_PAGE = 10


# --- the draft in the dialog data -------------------------------------------------------------


def draft_of(manager: DialogManager) -> Draft:
    return Draft.from_data(manager.dialog_data.get("draft") or {})


def keep(manager: DialogManager, draft: Draft) -> None:
    manager.dialog_data["draft"] = draft.to_data()


async def on_start(start_data: Any, manager: DialogManager) -> None:
    keep(manager, Draft.from_data(start_data) if isinstance(start_data, dict) else Draft())


# --- school and teachers ----------------------------------------------------------------------


async def schools_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    person, session, _settings = who(dialog_manager)
    schools = await consultations.loggable_schools(session, person)
    return {"schools": [(s.id, short_label(s.label)) for s in schools]}


async def on_school(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, school_id: int
) -> None:
    person, session, _settings = who(manager)
    school = await consultations.school_for_tutor(session, person, school_id)
    draft = draft_of(manager)
    draft.school_id, draft.teacher_ids, draft.whole_school = school.id, [], False
    keep(manager, draft)
    manager.dialog_data["school"] = school.label
    await manager.switch_to(LogConsultation.teachers)


async def teachers_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    person, session, _settings = who(dialog_manager)
    draft = draft_of(dialog_manager)
    teachers = (
        await consultations.loggable_teachers(session, person, draft.school_id)
        if draft.school_id is not None
        else []
    )
    chosen = set(draft.teacher_ids)
    return {
        "school": dialog_manager.dialog_data.get("school", ""),
        "teachers": [
            (
                teacher.id,
                f"{mark(teacher.id in chosen)} " + short_label(teacher.full_name or "—"),
            )
            for teacher in teachers
        ],
        "whole_mark": mark(draft.whole_school),
    }


async def on_teacher(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, teacher_id: int
) -> None:
    person, session, _settings = who(manager)
    keep(
        manager, await consultations.toggle_teacher(session, person, draft_of(manager), teacher_id)
    )


async def on_whole_school(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    draft.whole_school, draft.teacher_ids = not draft.whole_school, []
    keep(manager, draft)


async def on_teachers_done(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    consultations.check_teachers_chosen(draft_of(manager))
    await manager.switch_to(LogConsultation.held_on)


# --- date and format --------------------------------------------------------------------------


async def _date_chosen(manager: DialogManager, held_on_iso: str) -> None:
    draft = draft_of(manager)
    draft.held_on = held_on_iso
    keep(manager, draft)
    # From a question thread the format is known already.
    await manager.switch_to(
        LogConsultation.format if draft.format is None else LogConsultation.block
    )


async def _today(manager: DialogManager) -> Any:
    person, session, settings = who(manager)
    return await consultations.draft_today(session, settings, person, draft_of(manager))


async def on_today(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _date_chosen(manager, (await _today(manager)).isoformat())


async def on_yesterday(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _date_chosen(manager, (await _today(manager) - timedelta(days=1)).isoformat())


async def on_other_date(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    # The step takes a typed date anyway; the button says how to write one.
    manager.show_mode = ShowMode.NO_UPDATE
    await tell(manager, t("consultations.ask_date_text"))


async def on_typed_date(message: Message, _widget: Any, manager: DialogManager) -> None:
    held_on = consultations.parse_held_on(message.text or "", await _today(manager))
    await _date_chosen(manager, held_on.isoformat())


async def on_format(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, raw: str
) -> None:
    draft = draft_of(manager)
    draft.format = consultations.parse_format(raw).value
    keep(manager, draft)
    await manager.switch_to(LogConsultation.block)


# --- block, topic, duration, outcome ----------------------------------------------------------


async def choices_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    draft = draft_of(dialog_manager)
    return {
        "formats": [(f.value, t(f"consultations.format.{f.value}")) for f in ConsultationFormat],
        "blocks": [(b.value, t(f"consultations.block.{b.value}")) for b in CompetenceBlock],
        "durations": [(m, t("consultations.button_minutes", minutes=m)) for m in DURATION_CHOICES],
        "block": t(f"consultations.block.{draft.block}") if draft.block else "",
        "topic_min": consultations.TOPIC_MIN,
        "topic_max": consultations.TOPIC_MAX,
        "max_hours": consultations.DURATION_MAX_MINUTES // 60,
        "outcome_max": consultations.OUTCOME_MAX,
    }


async def on_block(callback: CallbackQuery, _widget: Any, manager: DialogManager, raw: str) -> None:
    draft = draft_of(manager)
    draft.block = consultations.parse_block(raw).value
    keep(manager, draft)
    await manager.switch_to(LogConsultation.topic)


async def on_topic(message: Message, _widget: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    draft.topic = consultations.clean_topic(message.text or "")
    keep(manager, draft)
    await manager.switch_to(LogConsultation.duration)


async def _duration_chosen(manager: DialogManager, minutes: int) -> None:
    draft = draft_of(manager)
    draft.duration = minutes
    keep(manager, draft)
    await manager.switch_to(LogConsultation.outcome)


async def on_duration(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, minutes: int
) -> None:
    await _duration_chosen(manager, consultations.check_duration(minutes))


async def on_typed_duration(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _duration_chosen(manager, consultations.parse_duration(message.text or ""))


async def _outcome_given(manager: DialogManager, outcome: str | None) -> None:
    draft = draft_of(manager)
    draft.outcome = outcome
    keep(manager, draft)
    await manager.switch_to(LogConsultation.confirm)


async def on_outcome(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _outcome_given(manager, consultations.clean_outcome(message.text or ""))


async def on_skip_outcome(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    await _outcome_given(manager, None)


# --- check and save ---------------------------------------------------------------------------


async def summary_context(
    session: AsyncSession, draft: Draft, *, from_thread: bool = False
) -> dict[str, Any]:
    """What `consultation_summary.html` shows of a draft."""
    summary = await consultations.draft_summary(session, draft)
    return {
        "draft": summary.draft,
        "school": summary.school,
        "teachers": summary.teacher_names,
        "from_thread": from_thread,
    }


async def summary_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    _person, session, _settings = who(dialog_manager)
    return await summary_context(session, draft_of(dialog_manager))


async def on_save(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    person, session, settings = who(manager)
    await consultations.save(session, settings, person, draft_of(manager))
    await manager.done(show_mode=ShowMode.EDIT)
    await tell(
        manager,
        t("consultations.saved", days=consultations.EDIT_WINDOW.days),
        tutor_menu_keyboard(),
    )


def _cancel() -> Cancel:
    return cancel("consultations.button_cancel", "consultations.cancelled")


def _waits_for_buttons() -> MessageInput:
    return waits_for_buttons("consultations.use_buttons")


def _waits_for_text(on_text: Any) -> list[MessageInput]:
    return waits_for_text(on_text, "consultations.send_text")


def dialog() -> Dialog:
    return Dialog(
        Window(
            T("consultations.ask_school"),
            paged_choices(
                "schools", "school", "schools", on_school, per_page=_SCHOOLS_PER_PAGE, numbers=True
            ),
            _cancel(),
            _waits_for_buttons(),
            getter=schools_getter,
            state=LogConsultation.school,
        ),
        Window(
            T("consultations.ask_teachers", "school"),
            paged_choices(
                "teachers",
                "teacher",
                "teachers",
                on_teacher,
                per_page=_TEACHERS_PER_PAGE,
                numbers=True,
            ),
            Button(
                Format("{whole_mark} ") + T("consultations.button_whole_school"),
                id="whole",
                on_click=on_whole_school,
            ),
            Button(T("consultations.button_next"), id="teachers_done", on_click=on_teachers_done),
            _cancel(),
            _waits_for_buttons(),
            getter=teachers_getter,
            state=LogConsultation.teachers,
        ),
        Window(
            T("consultations.ask_date"),
            Row(
                Button(T("consultations.button_today"), id="today", on_click=on_today),
                Button(T("consultations.button_yesterday"), id="yesterday", on_click=on_yesterday),
            ),
            Button(T("consultations.button_other_date"), id="other", on_click=on_other_date),
            _cancel(),
            *_waits_for_text(on_typed_date),
            state=LogConsultation.held_on,
        ),
        Window(
            T("consultations.ask_format"),
            Column(choices("format", "formats", on_format)),
            _cancel(),
            _waits_for_buttons(),
            getter=choices_getter,
            state=LogConsultation.format,
        ),
        Window(
            T("consultations.ask_block"),
            Column(choices("block", "blocks", on_block)),
            _cancel(),
            _waits_for_buttons(),
            getter=choices_getter,
            state=LogConsultation.block,
        ),
        Window(
            T("consultations.ask_topic", "block", min="topic_min", max="topic_max"),
            _cancel(),
            *_waits_for_text(on_topic),
            getter=choices_getter,
            state=LogConsultation.topic,
        ),
        Window(
            T("consultations.ask_duration", "max_hours"),
            Group(
                choices("duration", "durations", on_duration, numbers=True),
                width=len(DURATION_CHOICES),
            ),
            _cancel(),
            *_waits_for_text(on_typed_duration),
            getter=choices_getter,
            state=LogConsultation.duration,
        ),
        Window(
            T("consultations.ask_outcome", max="outcome_max"),
            Button(T("consultations.button_skip"), id="skip_outcome", on_click=on_skip_outcome),
            _cancel(),
            *_waits_for_text(on_outcome),
            getter=choices_getter,
            state=LogConsultation.outcome,
        ),
        Window(
            Template("consultation_summary.html"),
            Row(
                Button(T("consultations.button_save"), id="save", on_click=on_save),
                _cancel(),
            ),
            _waits_for_buttons(),
            getter=summary_getter,
            state=LogConsultation.confirm,
        ),
        on_start=on_start,
    )
