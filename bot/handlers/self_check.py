"""The self-check screens: the teacher's «🧭 Самодиагностика» (start or continue, the profile,
the route), the tutor's «🧭 Профили педагогов» (their teachers' results and routes, a step
added to a route) and the coordinator's «🧭 Самодиагностика: итоги» (who has and has not taken
it, a reminder, the heat map, the shares and the .xlsx)."""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InputMediaPhoto, Message
from aiogram_dialog import DialogManager

from bot.callbacks import SelfCheckCb
from bot.delivery.outbox import Priority, enqueue_message
from bot.dialogs.leaving import typed_answer
from bot.dialogs.self_check_result import send_result, send_result_view
from bot.dialogs.survey_runner import open_runner
from bot.filters import HasRole, MenuButton
from bot.keyboards.self_check import (
    missing_keyboard,
    municipalities_keyboard,
    overview_keyboard,
    route_keyboard,
    summary_keyboard,
    teacher_profile_keyboard,
    teachers_keyboard,
)
from bot.services import (
    question_threads,
    self_check,
    self_check_charts,
    self_check_export,
    self_check_views,
)
from bot.services.question_messages import IncomingMessage, short_name
from bot.services.self_check_views import REMINDER_KIND
from bot.states import SelfCheckFlow
from bot.texts import plain, t
from bot.transport import questions as relay
from bot.ui import send_photos, show_instead
from bot.update_context import UpdateContext
from storage.models import Role

TEACHERS = (Role.TEACHER,)
VIEWERS = (Role.COORDINATOR, Role.ADMIN)


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private", HasRole())
    router.callback_query.filter(HasRole())
    on_message, on_callback = router.message.register, router.callback_query.register

    # The teacher
    on_message(on_self_check, MenuButton("menu.self_check"), HasRole(*TEACHERS))
    on_callback(cb_start, SelfCheckCb.filter(F.action == "start"), HasRole(*TEACHERS))
    on_callback(cb_profile, SelfCheckCb.filter(F.action == "profile"), HasRole(*TEACHERS))
    on_callback(cb_route, SelfCheckCb.filter(F.action == "route"), HasRole(*TEACHERS))
    on_callback(cb_done, SelfCheckCb.filter(F.action == "done"), HasRole(*TEACHERS))
    on_callback(cb_topic, SelfCheckCb.filter(F.action == "topic"), HasRole(*TEACHERS))

    # The tutor
    on_message(on_teachers, MenuButton("menu.teacher_profiles"), HasRole(Role.TUTOR))
    on_callback(cb_teachers, SelfCheckCb.filter(F.action == "teachers"), HasRole(Role.TUTOR))
    on_callback(cb_teacher, SelfCheckCb.filter(F.action == "teacher"), HasRole(Role.TUTOR))
    on_callback(cb_note, SelfCheckCb.filter(F.action == "note"), HasRole(Role.TUTOR))
    on_message(on_note, SelfCheckFlow.tutor_note, F.text, typed_answer, HasRole(Role.TUTOR))
    on_message(on_not_text, StateFilter(SelfCheckFlow.tutor_note), ~F.text)

    # The coordinator and the admin
    on_message(on_summary, MenuButton("menu.self_check_summary"), HasRole(*VIEWERS))
    on_callback(cb_summary, SelfCheckCb.filter(F.action == "mun"), HasRole(*VIEWERS))
    on_callback(cb_remind, SelfCheckCb.filter(F.action == "remind"), HasRole(*VIEWERS))
    on_callback(cb_missing, SelfCheckCb.filter(F.action == "missing"), HasRole(*VIEWERS))
    on_callback(cb_heat_map, SelfCheckCb.filter(F.action == "heat"), HasRole(*VIEWERS))
    on_callback(cb_shares, SelfCheckCb.filter(F.action == "shares"), HasRole(*VIEWERS))
    on_callback(cb_xlsx, SelfCheckCb.filter(F.action == "xlsx"), HasRole(*VIEWERS))
    return router


# --- the teacher --------------------------------------------------------------------------------


async def on_self_check(message: Message, ctx: UpdateContext) -> None:
    overview = await self_check.overview(ctx.session, ctx.me, ctx.locale)
    await ctx.reply(
        ctx.render("self_check_overview.html", overview=overview), overview_keyboard(overview)
    )


async def cb_start(
    callback: CallbackQuery, ctx: UpdateContext, dialog_manager: DialogManager
) -> None:
    response_id = await self_check.begin(ctx.session, ctx.me)
    await callback.answer()
    await open_runner(dialog_manager, response_id)


async def cb_profile(callback: CallbackQuery, ctx: UpdateContext) -> None:
    await callback.answer()
    await send_result(ctx.bot, ctx.templates, ctx.chat_id, ctx.session, ctx.me, ctx.locale)


async def cb_route(callback: CallbackQuery, ctx: UpdateContext) -> None:
    found = await self_check.route(ctx.session, ctx.me, ctx.locale)
    await callback.answer()
    await ctx.reply(ctx.render("self_check_route.html", route=found), route_keyboard(found))


async def cb_done(callback: CallbackQuery, callback_data: SelfCheckCb, ctx: UpdateContext) -> None:
    item = await self_check.mark_done(ctx.session, ctx.me, callback_data.value)
    await callback.answer(plain(t("self_check.marked_done", title=item.title[:150])))
    found = await self_check.route(ctx.session, ctx.me, ctx.locale)
    await show_instead(
        ctx.bot, callback, ctx.render("self_check_route.html", route=found), route_keyboard(found)
    )


async def cb_topic(callback: CallbackQuery, callback_data: SelfCheckCb, ctx: UpdateContext) -> None:
    """The topic goes to the tutor as the teacher's question: the bot writes it into the
    teacher's chat, and that message is relayed like one they typed."""
    topic = await self_check.topic_of(ctx.session, ctx.me, callback_data.value)
    await callback.answer()
    sent = await ctx.bot.send_message(ctx.chat_id, t("self_check.topic_question", topic=topic))
    plan = await question_threads.prepare_question(
        ctx.session,
        ctx.me,
        IncomingMessage(chat_id=ctx.chat_id, message_id=sent.message_id, content_kind="text"),
    )
    relayed = await relay.send_question(ctx.bot, ctx.settings, plan)
    outcome = await question_threads.settle_question(ctx.session, plan, relayed)
    await relay.post_notices(ctx.session, ctx.settings, outcome.notices)
    number = outcome.thread.id
    if outcome.delivered_to is None:
        await ctx.reply(t("questions.sent_to_coordinator", number=number))
    else:
        tutor = short_name(outcome.delivered_to.full_name)
        await ctx.reply(t("self_check.topic_sent", number=number, tutor=tutor))


# --- the tutor ----------------------------------------------------------------------------------


async def on_teachers(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await state.clear()
    lines = await self_check.tutor_teachers(ctx.session, ctx.me, ctx.locale)
    await ctx.reply(
        ctx.render("self_check_teachers.html", lines=lines),
        teachers_keyboard(lines, 0) if lines else None,
    )


async def cb_teachers(
    callback: CallbackQuery, callback_data: SelfCheckCb, ctx: UpdateContext
) -> None:
    lines = await self_check.tutor_teachers(ctx.session, ctx.me, ctx.locale)
    await callback.answer()
    await show_instead(
        ctx.bot,
        callback,
        ctx.render("self_check_teachers.html", lines=lines),
        teachers_keyboard(lines, callback_data.page) if lines else None,
    )


async def cb_teacher(
    callback: CallbackQuery, callback_data: SelfCheckCb, ctx: UpdateContext
) -> None:
    profile = await self_check.teacher_profile(ctx.session, ctx.me, callback_data.value, ctx.locale)
    await callback.answer()
    markup = teacher_profile_keyboard(profile.teacher.id)
    if profile.result is None:
        await ctx.reply(
            ctx.render("self_check_route.html", route=profile.route, teacher=profile.teacher),
            markup,
        )
        return
    await send_result_view(
        ctx.bot,
        ctx.templates,
        ctx.chat_id,
        ctx.locale,
        profile.result,
        markup,
        person=profile.teacher,
    )


async def cb_note(
    callback: CallbackQuery, callback_data: SelfCheckCb, state: FSMContext, ctx: UpdateContext
) -> None:
    profile = await self_check.teacher_profile(ctx.session, ctx.me, callback_data.value, ctx.locale)
    await callback.answer()
    await state.set_state(SelfCheckFlow.tutor_note)
    await state.update_data(teacher_id=profile.teacher.id)
    await ctx.reply(
        t(
            "self_check.ask_note",
            name=profile.teacher.full_name or "—",
            limit=self_check.NOTE_MAX,
        )
    )


async def on_note(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    teacher_id = int((await state.get_data()).get("teacher_id", 0))
    teacher, item = await self_check.add_tutor_note(
        ctx.session, ctx.me, teacher_id, message.text or ""
    )
    await state.clear()
    with ctx.speaking_to(teacher):
        await enqueue_message(
            ctx.session,
            ctx.settings,
            teacher,
            t("self_check.note_notice", tutor=short_name(ctx.me.full_name), title=item.title),
            kind="self_check_note",
            priority=Priority.ROUTINE,
            urgent=False,
        )
    await ctx.reply(t("self_check.note_added", name=teacher.full_name or "—"))


async def on_not_text(message: Message) -> None:
    await message.answer(t("self_check.note_text_please"))


# --- the coordinator ----------------------------------------------------------------------------


async def _send_summary(ctx: UpdateContext, municipality_id: int) -> None:
    found = await self_check_views.summary(ctx.session, ctx.me, municipality_id, ctx.locale)
    await ctx.reply(
        ctx.render("self_check_summary.html", summary=found), summary_keyboard(municipality_id)
    )


async def on_summary(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await state.clear()
    found = await self_check_views.municipalities(ctx.session, ctx.me)
    if not found:
        await ctx.reply(t("self_check.no_municipalities"))
    elif len(found) > 1:
        await ctx.reply(t("self_check.pick_municipality"), municipalities_keyboard(found))
    else:
        await _send_summary(ctx, found[0].id)


async def cb_summary(
    callback: CallbackQuery, callback_data: SelfCheckCb, ctx: UpdateContext
) -> None:
    await self_check_views.municipality_of(ctx.session, ctx.me, callback_data.value)
    await callback.answer()
    await _send_summary(ctx, callback_data.value)


async def cb_remind(
    callback: CallbackQuery, callback_data: SelfCheckCb, ctx: UpdateContext
) -> None:
    reminder = await self_check_views.reminder(ctx.session, ctx.me, callback_data.value)
    queued = 0
    for teacher in reminder.recipients:
        with ctx.speaking_to(teacher):
            queued += await enqueue_message(
                ctx.session,
                ctx.settings,
                teacher,
                t("self_check.reminder"),
                kind=REMINDER_KIND,
                priority=Priority.ROUTINE,
                urgent=False,
            )
    await callback.answer(plain(t("self_check.reminded", count=queued)), show_alert=True)


async def cb_missing(
    callback: CallbackQuery, callback_data: SelfCheckCb, ctx: UpdateContext
) -> None:
    found = await self_check_views.not_passed(
        ctx.session, ctx.me, callback_data.value, callback_data.page
    )
    await callback.answer()
    await ctx.reply(
        ctx.render("self_check_missing.html", found=found),
        missing_keyboard(found.municipality.id, found.page, found.pages),
    )


async def cb_heat_map(
    callback: CallbackQuery, callback_data: SelfCheckCb, ctx: UpdateContext
) -> None:
    """Every school with a check: one picture holds HEAT_MAP_ROWS of them, so a big city gets
    several, sent as albums of up to ten, each captioned with the schools it shows."""
    found = await self_check_views.heat_map(ctx.session, ctx.me, callback_data.value, ctx.locale)
    await callback.answer()
    if not found.schools:
        await ctx.reply(t("self_check.heat_map_empty"))
        return
    title = plain(t("self_check.heat_map_title", municipality=found.municipality.name))
    pages = found.pages()
    photos: list[InputMediaPhoto] = []
    for page in pages:
        png = await asyncio.to_thread(
            self_check_charts.heat_map_png,
            title,
            page.schools,
            found.blocks,
            page.values,
            plain(t("self_check.no_checks")),
        )
        caption = (
            t("self_check.heat_map_caption", schools=page.total)
            if len(pages) == 1
            else t(
                "self_check.heat_map_page_caption",
                first=page.first,
                last=page.last,
                total=page.total,
            )
        )
        name = f"heat_map_{page.first}-{page.last}.png" if len(pages) > 1 else "heat_map.png"
        photos.append(InputMediaPhoto(media=BufferedInputFile(png, filename=name), caption=caption))
    await send_photos(ctx.bot, ctx.chat_id, photos)


async def cb_shares(
    callback: CallbackQuery, callback_data: SelfCheckCb, ctx: UpdateContext
) -> None:
    found = await self_check_views.summary(ctx.session, ctx.me, callback_data.value, ctx.locale)
    await callback.answer()
    labels = [plain(t("self_check.share_passed"))]
    values = [found.passed_percent]
    targets: list[float | None] = [found.passed_target]
    for subject in found.called_out:
        labels.append(plain(t("self_check.share_passed_subject", subject=subject.subject)))
        values.append(subject.percent)
        targets.append(found.passed_target)
    labels.append(plain(t("self_check.share_dynamics")))
    values.append(found.positive_percent)
    targets.append(found.dynamics_target)
    title = plain(t("self_check.shares_title", municipality=found.municipality.name))
    png = await asyncio.to_thread(self_check_charts.comparison_png, title, labels, values, targets)
    await ctx.bot.send_photo(
        ctx.chat_id,
        BufferedInputFile(png, filename="shares.png"),
        caption=t("self_check.shares_caption"),
    )


async def cb_xlsx(callback: CallbackQuery, callback_data: SelfCheckCb, ctx: UpdateContext) -> None:
    export = await self_check_export.collect(ctx.session, ctx.me, callback_data.value, ctx.locale)
    await callback.answer()
    content = await asyncio.to_thread(self_check_export.workbook, export)
    await ctx.bot.send_document(
        ctx.chat_id,
        BufferedInputFile(content, filename=self_check_export.filename(export)),
        caption=t("self_check.export_caption", count=len(export.teachers)),
    )
