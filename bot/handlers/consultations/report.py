"""The coordinator's «📊 Консультации: отчёт»: the report of a municipality they coordinate,
narrowed by period, school or tutor; the schools no consultation has reached; the .xlsx export.

The filter travels in the buttons (`ReportFilter.pack`), so every press is checked again by
the service against the coordinator's municipalities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from typing import TypeVar

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ConsultationCb
from bot.filters import MenuButton
from bot.handlers.consultations.common import audience_router, pressed
from bot.keyboards.consultations import (
    municipalities_keyboard,
    report_keyboard,
    report_schools_keyboard,
    report_tutors_keyboard,
)
from bot.services import consultation_report, jobs
from bot.services.consultation_report import ReportFilter
from bot.texts import Templates, t
from bot.ui import send_long
from config.settings import Settings
from storage.models import Person, Role, School

# What the report can be narrowed to: a school or a tutor.
Choice = TypeVar("Choice", School, Person)


def router() -> Router:
    coordinators = audience_router(__name__, Role.COORDINATOR)
    on_callback = coordinators.callback_query.register

    coordinators.message.register(show_report, MenuButton("menu.consultations_report"))
    on_callback(refilter_report, pressed("rep"))
    on_callback(pick_school, pressed("rep_schools"))
    on_callback(pick_tutor, pressed("rep_tutors"))
    on_callback(show_uncovered_schools, pressed("no_cons"))
    on_callback(export, pressed("xlsx"))
    return coordinators


async def _report_text(
    session: AsyncSession,
    settings: Settings,
    person: Person,
    wanted: ReportFilter,
    templates: Templates,
    i18n: I18n,
) -> str:
    report = await consultation_report.build_report(session, settings, person, wanted)
    return templates.render("consultation_report.html", i18n.current_locale, report=report)


async def show_report(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    """The report of this year straight away; a coordinator of several municipalities first
    picks one."""
    await state.clear()
    municipalities = await consultation_report.coordinator_municipalities(session, person)
    if len(municipalities) > 1:
        await message.answer(
            t("consultations.pick_municipality"),
            reply_markup=municipalities_keyboard(municipalities),
        )
        return
    wanted = ReportFilter(municipalities[0].id)
    text = await _report_text(session, settings, person, wanted, templates, i18n)
    await message.answer(text, reply_markup=report_keyboard(wanted))


async def refilter_report(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
    bot: Bot,
) -> None:
    wanted = ReportFilter.unpack(callback_data.value, callback_data.extra)
    text = await _report_text(session, settings, person, wanted, templates, i18n)
    await callback.answer()
    await send_long(bot, callback.from_user.id, text, report_keyboard(wanted))


def _narrowing(
    choices: Callable[[AsyncSession, Person, int], Awaitable[Sequence[Choice]]],
    question_key: str,
    buttons: Callable[[ReportFilter, Sequence[Choice]], InlineKeyboardMarkup],
) -> Callable[..., Awaitable[None]]:
    """A handler asking which school (or tutor) of the municipality to narrow the report to."""

    async def ask(
        callback: CallbackQuery,
        callback_data: ConsultationCb,
        person: Person,
        session: AsyncSession,
        bot: Bot,
    ) -> None:
        wanted = ReportFilter.unpack(callback_data.value, callback_data.extra)
        found = await choices(session, person, wanted.municipality_id)
        await callback.answer()
        await send_long(bot, callback.from_user.id, t(question_key), buttons(wanted, found))

    return ask


pick_school = _narrowing(
    consultation_report.report_schools, "consultations.pick_school", report_schools_keyboard
)
pick_tutor = _narrowing(
    consultation_report.report_tutors, "consultations.pick_tutor", report_tutors_keyboard
)


async def show_uncovered_schools(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    uncovered = await consultation_report.schools_without_consultations(
        session, settings, person, callback_data.value
    )
    await callback.answer()
    await send_long(
        bot,
        callback.from_user.id,
        templates.render(
            "consultation_no_schools.html",
            i18n.current_locale,
            schools=uncovered.schools,
            since=uncovered.since,
            until=uncovered.until,
        ),
    )


async def export(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    i18n: I18n,
) -> None:
    """The file is built by a background job (`bot.jobs.exports`); the person is refused here
    at once if the report is not theirs to see."""
    wanted = ReportFilter.unpack(callback_data.value, callback_data.extra)
    await consultation_report.report_scope(session, person, wanted)
    await jobs.enqueue(
        session,
        jobs.CONSULTATION_EXPORT,
        asdict(wanted),
        person=person,
        chat_id=callback.from_user.id,
        locale=i18n.current_locale,
    )
    await callback.answer(t("consultations.export_preparing"))
