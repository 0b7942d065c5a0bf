"""The coordinator's «📊 Консультации: отчёт»: the report of a municipality they coordinate,
narrowed by period, school or tutor; the schools no consultation has reached; the .xlsx export.

The filter travels in the buttons (`ReportFilter.pack`), so every press is checked again by
the service against the coordinator's municipalities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from typing import TypeVar

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
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
from bot.texts import t
from bot.update_context import UpdateContext
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


async def _report_text(ctx: UpdateContext, wanted: ReportFilter) -> str:
    report = await consultation_report.build_report(ctx.session, ctx.settings, ctx.me, wanted)
    return ctx.render("consultation_report.html", report=report)


async def show_report(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    """The report of this year straight away; a coordinator of several municipalities first
    picks one."""
    await state.clear()
    municipalities = await consultation_report.coordinator_municipalities(ctx.session, ctx.me)
    if len(municipalities) > 1:
        await ctx.reply(
            t("consultations.pick_municipality"), municipalities_keyboard(municipalities)
        )
        return
    wanted = ReportFilter(municipalities[0].id)
    await ctx.reply(await _report_text(ctx, wanted), report_keyboard(wanted))


async def refilter_report(
    callback: CallbackQuery, callback_data: ConsultationCb, ctx: UpdateContext
) -> None:
    wanted = ReportFilter.unpack(callback_data.value, callback_data.extra)
    text = await _report_text(ctx, wanted)
    await callback.answer()
    await ctx.reply(text, report_keyboard(wanted))


def _narrowing(
    choices: Callable[[AsyncSession, Person, int], Awaitable[Sequence[Choice]]],
    question_key: str,
    buttons: Callable[[ReportFilter, Sequence[Choice]], InlineKeyboardMarkup],
) -> Callable[..., Awaitable[None]]:
    """A handler asking which school (or tutor) of the municipality to narrow the report to."""

    async def ask(
        callback: CallbackQuery, callback_data: ConsultationCb, ctx: UpdateContext
    ) -> None:
        wanted = ReportFilter.unpack(callback_data.value, callback_data.extra)
        found = await choices(ctx.session, ctx.me, wanted.municipality_id)
        await callback.answer()
        await ctx.reply(t(question_key), buttons(wanted, found))

    return ask


pick_school = _narrowing(
    consultation_report.report_schools, "consultations.pick_school", report_schools_keyboard
)
pick_tutor = _narrowing(
    consultation_report.report_tutors, "consultations.pick_tutor", report_tutors_keyboard
)


async def show_uncovered_schools(
    callback: CallbackQuery, callback_data: ConsultationCb, ctx: UpdateContext
) -> None:
    uncovered = await consultation_report.schools_without_consultations(
        ctx.session, ctx.settings, ctx.me, callback_data.value
    )
    await callback.answer()
    await ctx.reply(
        ctx.render(
            "consultation_no_schools.html",
            schools=uncovered.schools,
            since=uncovered.since,
            until=uncovered.until,
        )
    )


async def export(
    callback: CallbackQuery, callback_data: ConsultationCb, ctx: UpdateContext
) -> None:
    """The file is built by a background job (`bot.jobs.exports`); the person is refused here
    at once if the report is not theirs to see."""
    wanted = ReportFilter.unpack(callback_data.value, callback_data.extra)
    await consultation_report.report_scope(ctx.session, ctx.me, wanted)
    await jobs.enqueue(
        ctx.session,
        jobs.CONSULTATION_EXPORT,
        asdict(wanted),
        person=ctx.me,
        chat_id=callback.from_user.id,
        locale=ctx.locale,
    )
    await callback.answer(t("consultations.export_preparing"))
