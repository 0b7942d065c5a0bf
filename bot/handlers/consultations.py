"""The consultation log: tutors record, change and delete consultations, teachers see the
ones held with them, coordinators read the municipal report and export it to Excel."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ConsultationCb
from bot.errors import DomainError
from bot.filters import HasRole, MenuButton
from bot.keyboards.consultations import (
    block_keyboard,
    confirm_keyboard,
    date_keyboard,
    delete_confirm_keyboard,
    duration_keyboard,
    edit_fields_keyboard,
    format_keyboard,
    municipalities_keyboard,
    my_entries_keyboard,
    outcome_keyboard,
    report_keyboard,
    report_schools_keyboard,
    report_tutors_keyboard,
    schools_keyboard,
    teachers_keyboard,
    tutor_menu_keyboard,
)
from bot.keyboards.menus import COMMON_MENU, MENU_BY_ROLE
from bot.services import consultations, jobs
from bot.services.consultations import Draft, ReportFilter
from bot.states import EditConsultation, LogConsultation
from bot.texts import Templates, all_translations, t
from bot.ui import send_long
from config.settings import Settings
from storage.models import Person, Role
from storage.repositories.consultations import ConsultationsRepo

router = Router(name=__name__)
router.message.filter(F.chat.type == "private", HasRole())
router.callback_query.filter(HasRole())

TUTOR = HasRole(Role.TUTOR)
COORDINATOR = HasRole(Role.COORDINATOR)


def _is_menu_button(text: str) -> bool:
    keys = {key for keys in MENU_BY_ROLE.values() for key in keys} | set(COMMON_MENU)
    return any(text in all_translations(key) for key in keys)


def _meant_for_dialog(message: Message) -> bool:
    """Anything but a command or a menu button (those leave the dialog for their own handler)."""
    text = message.text or ""
    return not text.startswith("/") and not _is_menu_button(text)


def _typed_answer(message: Message) -> bool:
    return bool(message.text) and _meant_for_dialog(message)


async def _draft(state: FSMContext) -> Draft:
    return Draft.from_data(await state.get_data())


async def _keep(state: FSMContext, draft: Draft) -> None:
    await state.update_data(**draft.to_data())


# Telegram's limit for one message; long lists are sent in several.


# --- tutor: entry point -------------------------------------------------------------------


@router.message(Command("consult"), TUTOR)
@router.message(MenuButton("menu.tutor_consultations"), TUTOR)
async def cmd_consultations(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(t("consultations.tutor_intro"), reply_markup=tutor_menu_keyboard())


@router.callback_query(ConsultationCb.filter(F.action == "new"), TUTOR)
async def cb_new(
    callback: CallbackQuery, person: Person, session: AsyncSession, state: FSMContext, bot: Bot
) -> None:
    await callback.answer()
    schools = await consultations.loggable_schools(session, person)
    if not schools:
        await send_long(bot, callback.from_user.id, t("consultations.no_schools"))
        return
    await state.clear()
    await state.set_state(LogConsultation.school)
    await _keep(state, Draft())
    await send_long(
        bot, callback.from_user.id, t("consultations.ask_school"), schools_keyboard(schools)
    )


@router.callback_query(ConsultationCb.filter(F.action == "from_thread"), TUTOR)
async def cb_from_thread(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    draft = await consultations.draft_from_thread(session, settings, person, callback_data.value)
    await callback.answer()
    await state.clear()
    await state.set_state(LogConsultation.block)
    await _keep(state, draft)
    await send_long(
        bot,
        callback.from_user.id,
        await _summary(session, templates, i18n, draft, from_thread=True),
    )
    await send_long(bot, callback.from_user.id, t("consultations.ask_block"), block_keyboard())


# --- tutor: the dialog --------------------------------------------------------------------


@router.callback_query(LogConsultation.school, ConsultationCb.filter(F.action == "school"), TUTOR)
async def cb_school(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    school = await consultations.school_for_tutor(session, person, callback_data.value)
    await callback.answer()
    draft = await _draft(state)
    draft.school_id, draft.teacher_ids, draft.whole_school = school.id, [], False
    await _keep(state, draft)
    await state.set_state(LogConsultation.teachers)
    teachers = await consultations.loggable_teachers(session, person, school.id)
    await send_long(
        bot,
        callback.from_user.id,
        t("consultations.ask_teachers", school=school.label),
        teachers_keyboard(teachers, draft.teacher_ids, draft.whole_school),
    )


async def _refresh_teachers(
    callback: CallbackQuery, session: AsyncSession, person: Person, draft: Draft
) -> None:
    assert draft.school_id is not None
    teachers = await consultations.loggable_teachers(session, person, draft.school_id)
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(
            reply_markup=teachers_keyboard(teachers, draft.teacher_ids, draft.whole_school)
        )


@router.callback_query(
    LogConsultation.teachers, ConsultationCb.filter(F.action == "teacher"), TUTOR
)
async def cb_teacher(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    draft = await consultations.toggle_teacher(
        session, person, await _draft(state), callback_data.value
    )
    await callback.answer()
    await _keep(state, draft)
    await _refresh_teachers(callback, session, person, draft)


@router.callback_query(LogConsultation.teachers, ConsultationCb.filter(F.action == "whole"), TUTOR)
async def cb_whole_school(
    callback: CallbackQuery, person: Person, session: AsyncSession, state: FSMContext
) -> None:
    await callback.answer()
    draft = await _draft(state)
    draft.whole_school = not draft.whole_school
    draft.teacher_ids = []
    await _keep(state, draft)
    await _refresh_teachers(callback, session, person, draft)


@router.callback_query(
    LogConsultation.teachers, ConsultationCb.filter(F.action == "teachers_done"), TUTOR
)
async def cb_teachers_done(callback: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    draft = await _draft(state)
    if not draft.whole_school and not draft.teacher_ids:
        raise DomainError("consultations.no_teachers_chosen")
    await callback.answer()
    await state.set_state(LogConsultation.held_on)
    await send_long(bot, callback.from_user.id, t("consultations.ask_date"), date_keyboard())


async def _date_chosen(bot: Bot, chat_id: int, state: FSMContext, held_on: date) -> None:
    draft = await _draft(state)
    draft.held_on = held_on.isoformat()
    await _keep(state, draft)
    if draft.format is None:
        await state.set_state(LogConsultation.format)
        await send_long(bot, chat_id, t("consultations.ask_format"), format_keyboard())
    else:
        await state.set_state(LogConsultation.block)
        await send_long(bot, chat_id, t("consultations.ask_block"), block_keyboard())


async def _today_of_draft(
    session: AsyncSession, settings: Settings, person: Person, state: FSMContext
) -> date:
    draft = await _draft(state)
    school = await ConsultationsRepo(session).schools([draft.school_id] if draft.school_id else [])
    municipality_id = (
        school[draft.school_id].municipality_id
        if draft.school_id in school
        else person.municipality_id
    )
    return await consultations.local_today(session, settings, municipality_id)


@router.callback_query(LogConsultation.held_on, ConsultationCb.filter(F.action == "date"), TUTOR)
async def cb_date(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    await callback.answer()
    today = await _today_of_draft(session, settings, person, state)
    if callback_data.extra == "today":
        await _date_chosen(bot, callback.from_user.id, state, today)
    elif callback_data.extra == "yesterday":
        await _date_chosen(bot, callback.from_user.id, state, today - timedelta(days=1))
    else:
        await send_long(bot, callback.from_user.id, t("consultations.ask_date_text"))


@router.message(LogConsultation.held_on, _typed_answer, TUTOR)
async def on_date(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    today = await _today_of_draft(session, settings, person, state)
    held_on = consultations.parse_held_on(message.text or "", today)
    await _date_chosen(bot, message.chat.id, state, held_on)


@router.callback_query(LogConsultation.format, ConsultationCb.filter(F.action == "format"), TUTOR)
async def cb_format(
    callback: CallbackQuery, callback_data: ConsultationCb, state: FSMContext, bot: Bot
) -> None:
    chosen = consultations.parse_format(callback_data.extra)
    await callback.answer()
    draft = await _draft(state)
    draft.format = chosen.value
    await _keep(state, draft)
    await state.set_state(LogConsultation.block)
    await send_long(bot, callback.from_user.id, t("consultations.ask_block"), block_keyboard())


@router.callback_query(LogConsultation.block, ConsultationCb.filter(F.action == "block"), TUTOR)
async def cb_block(
    callback: CallbackQuery, callback_data: ConsultationCb, state: FSMContext, bot: Bot
) -> None:
    chosen = consultations.parse_block(callback_data.extra)
    await callback.answer()
    draft = await _draft(state)
    draft.block = chosen.value
    await _keep(state, draft)
    await state.set_state(LogConsultation.topic)
    await send_long(
        bot,
        callback.from_user.id,
        t(
            "consultations.ask_topic",
            block=t(f"consultations.block.{chosen.value}"),
            min=consultations.TOPIC_MIN,
            max=consultations.TOPIC_MAX,
        ),
    )


@router.message(LogConsultation.topic, _typed_answer, TUTOR)
async def on_topic(message: Message, state: FSMContext) -> None:
    draft = await _draft(state)
    draft.topic = consultations.clean_topic(message.text or "")
    await _keep(state, draft)
    await state.set_state(LogConsultation.duration)
    await message.answer(
        t("consultations.ask_duration", max_hours=consultations.DURATION_MAX_MINUTES // 60),
        reply_markup=duration_keyboard(),
    )


async def _duration_chosen(bot: Bot, chat_id: int, state: FSMContext, minutes: int) -> None:
    draft = await _draft(state)
    draft.duration = minutes
    await _keep(state, draft)
    await state.set_state(LogConsultation.outcome)
    await send_long(
        bot,
        chat_id,
        t("consultations.ask_outcome", max=consultations.OUTCOME_MAX),
        outcome_keyboard(),
    )


@router.callback_query(
    LogConsultation.duration, ConsultationCb.filter(F.action == "duration"), TUTOR
)
async def cb_duration(
    callback: CallbackQuery, callback_data: ConsultationCb, state: FSMContext, bot: Bot
) -> None:
    minutes = consultations.check_duration(callback_data.value)
    await callback.answer()
    await _duration_chosen(bot, callback.from_user.id, state, minutes)


@router.message(LogConsultation.duration, _typed_answer, TUTOR)
async def on_duration(message: Message, state: FSMContext, bot: Bot) -> None:
    minutes = consultations.parse_duration(message.text or "")
    await _duration_chosen(bot, message.chat.id, state, minutes)


async def _ask_confirmation(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    state: FSMContext,
    templates: Templates,
    i18n: I18n,
) -> None:
    await state.set_state(LogConsultation.confirm)
    text = await _summary(session, templates, i18n, await _draft(state))
    await send_long(bot, chat_id, text, confirm_keyboard())


@router.message(LogConsultation.outcome, _typed_answer, TUTOR)
async def on_outcome(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    draft = await _draft(state)
    draft.outcome = consultations.clean_outcome(message.text or "")
    await _keep(state, draft)
    await _ask_confirmation(bot, message.chat.id, session, state, templates, i18n)


@router.callback_query(
    LogConsultation.outcome, ConsultationCb.filter(F.action == "skip_outcome"), TUTOR
)
async def cb_skip_outcome(
    callback: CallbackQuery,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    await callback.answer()
    draft = await _draft(state)
    draft.outcome = None
    await _keep(state, draft)
    await _ask_confirmation(bot, callback.from_user.id, session, state, templates, i18n)


@router.callback_query(LogConsultation.confirm, ConsultationCb.filter(F.action == "save"), TUTOR)
async def cb_save(
    callback: CallbackQuery,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    await consultations.save(session, settings, person, await _draft(state))
    await callback.answer()
    await state.clear()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    await send_long(
        bot,
        callback.from_user.id,
        t("consultations.saved", days=consultations.EDIT_WINDOW.days),
        tutor_menu_keyboard(),
    )


@router.callback_query(ConsultationCb.filter(F.action == "cancel"), TUTOR)
async def cb_cancel(callback: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await callback.answer()
    current = await state.get_state()
    if current in LogConsultation.__all_states_names__:
        await state.clear()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    await send_long(bot, callback.from_user.id, t("consultations.cancelled"))


@router.message(
    StateFilter(
        LogConsultation.school,
        LogConsultation.teachers,
        LogConsultation.format,
        LogConsultation.block,
        LogConsultation.confirm,
    ),
    _meant_for_dialog,
    TUTOR,
)
async def on_text_instead_of_button(message: Message) -> None:
    await message.answer(t("consultations.use_buttons"))


@router.message(
    StateFilter(
        LogConsultation.held_on,
        LogConsultation.topic,
        LogConsultation.duration,
        LogConsultation.outcome,
        EditConsultation.value,
    ),
    F.text.is_(None),
    TUTOR,
)
async def on_not_text(message: Message) -> None:
    # Photos, stickers, voice and the like where a typed answer is expected.
    await message.answer(t("consultations.send_text"))


async def _summary(
    session: AsyncSession,
    templates: Templates,
    i18n: I18n,
    draft: Draft,
    *,
    from_thread: bool = False,
) -> str:
    repo = ConsultationsRepo(session)
    schools = await repo.schools([draft.school_id] if draft.school_id else [])
    people = await repo.people(draft.teacher_ids)
    return templates.render(
        "consultation_summary.html",
        i18n.current_locale,
        draft=draft,
        school=schools.get(draft.school_id or 0),
        teachers=[people[i].full_name or "—" for i in draft.teacher_ids if i in people],
        from_thread=from_thread,
    )


# --- tutor: own entries -------------------------------------------------------------------


async def _send_month(
    bot: Bot,
    chat_id: int,
    person: Person,
    session: AsyncSession,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    views, today = await consultations.tutor_month(session, settings, person)
    await send_long(
        bot,
        chat_id,
        templates.render(
            "consultation_month.html",
            i18n.current_locale,
            views=views,
            month=today,
            limit=consultations.TUTOR_MONTH_LIMIT,
            edit_days=consultations.EDIT_WINDOW.days,
        ),
        my_entries_keyboard(views),
    )


@router.callback_query(ConsultationCb.filter(F.action == "mine"), TUTOR)
async def cb_mine(
    callback: CallbackQuery,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    await callback.answer()
    await _send_month(bot, callback.from_user.id, person, session, settings, templates, i18n)


async def _entry_text(
    session: AsyncSession, templates: Templates, i18n: I18n, consultation_id: int
) -> str:
    consultation = await ConsultationsRepo(session).get(consultation_id)
    assert consultation is not None
    (view,) = await consultations.views_of(session, [consultation])
    return templates.render("consultation_entry.html", i18n.current_locale, view=view)


@router.callback_query(ConsultationCb.filter(F.action == "edit"), TUTOR)
async def cb_edit(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    consultation = await consultations.own_changeable(session, person, callback_data.value)
    await callback.answer()
    entry = await _entry_text(session, templates, i18n, consultation.id)
    await send_long(
        bot,
        callback.from_user.id,
        entry + "\n\n" + t("consultations.edit_which"),
        edit_fields_keyboard(consultation.id),
    )


@router.callback_query(ConsultationCb.filter(F.action == "edit_field"), TUTOR)
async def cb_edit_field(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    if callback_data.extra not in consultations.EDITABLE_FIELDS:
        raise DomainError("consultations.stale_step")
    consultation = await consultations.own_changeable(session, person, callback_data.value)
    await callback.answer()
    await state.clear()
    await state.set_state(EditConsultation.value)
    await state.update_data(consultation_id=consultation.id, field=callback_data.extra)
    await send_long(
        bot,
        callback.from_user.id,
        t(
            f"consultations.edit_ask.{callback_data.extra}",
            min=consultations.TOPIC_MIN,
            max=consultations.TOPIC_MAX,
            outcome_max=consultations.OUTCOME_MAX,
            max_hours=consultations.DURATION_MAX_MINUTES // 60,
        ),
    )


@router.message(EditConsultation.value, _typed_answer, TUTOR)
async def on_edit_value(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    data = await state.get_data()
    consultation = await consultations.change(
        session,
        settings,
        person,
        int(data["consultation_id"]),
        str(data["field"]),
        message.text or "",
    )
    await state.clear()
    entry = await _entry_text(session, templates, i18n, consultation.id)
    await message.answer(t("consultations.changed") + "\n\n" + entry)


@router.callback_query(ConsultationCb.filter(F.action == "delete"), TUTOR)
async def cb_delete(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    consultation = await consultations.own_changeable(session, person, callback_data.value)
    await callback.answer()
    entry = await _entry_text(session, templates, i18n, consultation.id)
    await send_long(
        bot,
        callback.from_user.id,
        entry + "\n\n" + t("consultations.delete_question"),
        delete_confirm_keyboard(consultation.id),
    )


@router.callback_query(ConsultationCb.filter(F.action == "delete_yes"), TUTOR)
async def cb_delete_yes(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    await consultations.delete(session, person, callback_data.value)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    await send_long(bot, callback.from_user.id, t("consultations.deleted"))


@router.callback_query(ConsultationCb.filter(F.action == "delete_no"), TUTOR)
async def cb_delete_no(callback: CallbackQuery, bot: Bot) -> None:
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    await send_long(bot, callback.from_user.id, t("consultations.delete_kept"))


# --- teacher ------------------------------------------------------------------------------


@router.message(MenuButton("menu.my_consultations"), HasRole(Role.TEACHER))
async def on_teacher_consultations(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    await state.clear()
    views = await consultations.teacher_consultations(session, person)
    await send_long(
        bot,
        message.chat.id,
        templates.render(
            "consultation_teacher.html",
            i18n.current_locale,
            views=views,
            limit=consultations.TEACHER_LIST_LIMIT,
        ),
    )


# --- coordinator --------------------------------------------------------------------------


async def _report_text(
    session: AsyncSession,
    settings: Settings,
    person: Person,
    wanted: ReportFilter,
    templates: Templates,
    i18n: I18n,
) -> str:
    report = await consultations.build_report(session, settings, person, wanted)
    return templates.render("consultation_report.html", i18n.current_locale, report=report)


@router.message(MenuButton("menu.consultations_report"), COORDINATOR)
async def on_report(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    await state.clear()
    municipalities = await consultations.coordinator_municipalities(session, person)
    if not municipalities:
        raise DomainError("consultations.municipality_not_yours")
    if len(municipalities) > 1:
        await message.answer(
            t("consultations.pick_municipality"),
            reply_markup=municipalities_keyboard(municipalities),
        )
        return
    wanted = ReportFilter(municipalities[0].id)
    text = await _report_text(session, settings, person, wanted, templates, i18n)
    await message.answer(text, reply_markup=report_keyboard(wanted))


@router.callback_query(ConsultationCb.filter(F.action == "rep"), COORDINATOR)
async def cb_report(
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


@router.callback_query(ConsultationCb.filter(F.action == "rep_schools"), COORDINATOR)
async def cb_report_schools(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    wanted = ReportFilter.unpack(callback_data.value, callback_data.extra)
    schools = await consultations.report_schools(session, person, wanted.municipality_id)
    await callback.answer()
    await send_long(
        bot,
        callback.from_user.id,
        t("consultations.pick_school"),
        report_schools_keyboard(wanted, schools),
    )


@router.callback_query(ConsultationCb.filter(F.action == "rep_tutors"), COORDINATOR)
async def cb_report_tutors(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    wanted = ReportFilter.unpack(callback_data.value, callback_data.extra)
    tutors = await consultations.report_tutors(session, person, wanted.municipality_id)
    await callback.answer()
    await send_long(
        bot,
        callback.from_user.id,
        t("consultations.pick_tutor"),
        report_tutors_keyboard(wanted, tutors),
    )


@router.callback_query(ConsultationCb.filter(F.action == "no_cons"), COORDINATOR)
async def cb_schools_without(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    schools = await consultations.schools_without_consultations(
        session, settings, person, callback_data.value
    )
    today = await consultations.local_today(session, settings, callback_data.value)
    since, until = consultations.program_year(today)
    await callback.answer()
    await send_long(
        bot,
        callback.from_user.id,
        templates.render(
            "consultation_no_schools.html",
            i18n.current_locale,
            schools=schools,
            since=since,
            until=until,
        ),
    )


@router.callback_query(ConsultationCb.filter(F.action == "xlsx"), COORDINATOR)
async def cb_export(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    i18n: I18n,
) -> None:
    """The file is built by a background job (`bot.jobs.exports`); the person is refused here
    at once if the report is not theirs to see."""
    wanted = ReportFilter.unpack(callback_data.value, callback_data.extra)
    await consultations.report_scope(session, person, wanted)
    await jobs.enqueue(
        session,
        jobs.CONSULTATION_EXPORT,
        asdict(wanted),
        person=person,
        chat_id=callback.from_user.id,
        locale=i18n.current_locale,
    )
    await callback.answer(t("consultations.export_preparing"))
