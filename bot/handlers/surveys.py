"""Surveys: the coordinator's «🗳 Опросы» (list, card with the live count, reminders, summary,
.xlsx, public link, closing), the way into the launch form (`bot.dialogs.survey_launch`),
«Ответить» and «🗳 Мои опросы» for those asked, and a guest's consent by public link."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import F, Router
from aiogram.types import BufferedInputFile, CallbackQuery, InputMediaPhoto, Message
from aiogram_dialog import DialogManager

from bot.callbacks import SurveyCb
from bot.dialogs.leaving import open_form
from bot.dialogs.survey_runner import open_runner
from bot.filters import HasRole, MenuButton
from bot.keyboards.surveys import (
    card_keyboard,
    guest_consent_keyboard,
    list_keyboard,
    my_surveys_keyboard,
)
from bot.services import charts, invites, jobs, survey_runner, surveys
from bot.states import LaunchSurvey
from bot.texts import plain, t
from bot.transport.surveys import send_reminders
from bot.update_context import UpdateContext
from storage.models import Role

log = logging.getLogger(__name__)

ORGANISERS = (Role.COORDINATOR, Role.ADMIN)
# Who is asked to answer surveys: they get «🗳 Мои опросы».
ANSWERING = (Role.TEACHER, Role.SCHOOL_LEADER, Role.TUTOR)
CHARTS_PER_ALBUM = 10
CAPTION_MAX = 1000


def build_router() -> Router:
    router = Router(name=__name__)
    organisers, answering = HasRole(*ORGANISERS), HasRole()
    on_message, on_callback = router.message.register, router.callback_query.register
    on_message(show_list, MenuButton("menu.surveys"), organisers)
    on_callback(cb_list, SurveyCb.filter(F.action == "list"), organisers)
    on_callback(cb_new, SurveyCb.filter(F.action == "new"), organisers)
    on_callback(cb_card, SurveyCb.filter(F.action == "card"), organisers)
    on_callback(cb_remind, SurveyCb.filter(F.action == "remind"), organisers)
    on_callback(cb_summary, SurveyCb.filter(F.action == "summary"), organisers)
    on_callback(cb_xlsx, SurveyCb.filter(F.action == "xlsx"), organisers)
    on_callback(cb_link, SurveyCb.filter(F.action == "link"), organisers)
    on_callback(cb_close, SurveyCb.filter(F.action == "close"), organisers)
    on_message(show_mine, MenuButton("menu.my_surveys"), answering)
    on_callback(cb_answer, SurveyCb.filter(F.action == "answer"), answering)
    on_callback(cb_guest, SurveyCb.filter(F.action == "guest"))
    return router


# --- the coordinator ----------------------------------------------------------------------------


async def _send_list(ctx: UpdateContext) -> None:
    cards = await surveys.surveys_of(ctx.session, ctx.me, ctx.locale)
    await ctx.reply(
        ctx.render("survey_admin_list.html", cards=cards, tz=ctx.settings.tz),
        list_keyboard([(c.id, f"{'🟢' if c.open else '⚪'} {c.title}") for c in cards]),
    )


async def show_list(message: Message, ctx: UpdateContext) -> None:
    await _send_list(ctx)


async def cb_list(callback: CallbackQuery, ctx: UpdateContext) -> None:
    await callback.answer()
    await _send_list(ctx)


async def cb_new(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    await callback.answer()
    await open_form(dialog_manager, LaunchSurvey.scenario)


async def _show_card(callback: CallbackQuery, ctx: UpdateContext, card: surveys.SurveyCard) -> None:
    await ctx.reply(
        ctx.render("survey_card.html", card=card, tz=ctx.settings.tz),
        card_keyboard(card.id, open_=card.open, public=card.public),
    )


async def cb_card(callback: CallbackQuery, callback_data: SurveyCb, ctx: UpdateContext) -> None:
    """The card, counted anew (also «🔄 Обновить»)."""
    card = await surveys.card(ctx.session, ctx.me, callback_data.survey_id, ctx.locale)
    await callback.answer()
    await _show_card(callback, ctx, card)


async def cb_remind(callback: CallbackQuery, callback_data: SurveyCb, ctx: UpdateContext) -> None:
    taken = await surveys.remind(ctx.session, ctx.me, callback_data.survey_id, ctx.locale)
    queued = await send_reminders(
        ctx.session,
        ctx.settings,
        ctx.templates,
        survey_id=taken.survey_id,
        title=taken.title,
        deadline=taken.deadline,
        rows=taken.invitees,
        now=surveys._now(),
    )
    await callback.answer(plain(t("surveys_admin.reminded", count=queued)), show_alert=True)


async def cb_close(callback: CallbackQuery, callback_data: SurveyCb, ctx: UpdateContext) -> None:
    card = await surveys.close(ctx.session, ctx.me, callback_data.survey_id)
    card = await surveys.card(ctx.session, ctx.me, card.id, ctx.locale)
    await callback.answer(plain(t("surveys_admin.closed_now")))
    await _show_card(callback, ctx, card)


async def cb_link(callback: CallbackQuery, callback_data: SurveyCb, ctx: UpdateContext) -> None:
    payload = await surveys.link_of(ctx.session, ctx.settings, ctx.me, callback_data.survey_id)
    me = await ctx.bot.me()
    await callback.answer()
    await ctx.reply(
        t("surveys_admin.link_text", link=invites.deep_link(me.username or "", payload))
    )


async def cb_summary(callback: CallbackQuery, callback_data: SurveyCb, ctx: UpdateContext) -> None:
    result = await surveys.summary(ctx.session, ctx.me, callback_data.survey_id, ctx.locale)
    await callback.answer()
    await ctx.reply(
        ctx.render("survey_results.html", s=result, least=surveys.ANONYMOUS_MIN, tz=ctx.settings.tz)
    )
    charted = [q for q in result.questions if q.has_chart and q.answered]
    if result.hidden or not charted:
        return
    photos = []
    for question in charted:
        labels = [_option_label(question, o.label) for o in question.options]
        png = await asyncio.to_thread(
            charts.answers_chart,
            question.text,
            labels,
            [o.count for o in question.options],
            respondents=question.answered,
        )
        photos.append(
            InputMediaPhoto(
                media=BufferedInputFile(png, filename=f"{question.id}.png"),
                caption=_caption(question.text),
            )
        )
    for first in range(0, len(photos), CHARTS_PER_ALBUM):
        group = photos[first : first + CHARTS_PER_ALBUM]
        if len(group) == 1:
            await ctx.bot.send_photo(ctx.chat_id, group[0].media, caption=group[0].caption)
        else:
            await ctx.bot.send_media_group(ctx.chat_id, list[Any](group))


def _option_label(question: surveys.QuestionSummary, label: str) -> str:
    if label in ("yes", "no"):
        return plain(t(f"surveys_admin.{label}"))
    return label


def _caption(text: str) -> str:
    # Captions are parsed as HTML: the question's own text is escaped by the template layer.
    import html

    cut = text if len(text) <= CAPTION_MAX else text[: CAPTION_MAX - 1] + "…"
    return html.escape(cut, quote=False)


async def cb_xlsx(callback: CallbackQuery, callback_data: SurveyCb, ctx: UpdateContext) -> None:
    """The file is built by a background job (`bot.jobs.exports.survey`); someone who may not
    have it (another's survey, an anonymous one under 5 answers) is refused here at once."""
    await surveys.check_export(ctx.session, ctx.me, callback_data.survey_id)
    await jobs.enqueue(
        ctx.session,
        jobs.SURVEY_EXPORT,
        {"survey_id": callback_data.survey_id},
        person=ctx.me,
        chat_id=callback.from_user.id,
        locale=ctx.locale,
    )
    await callback.answer(plain(t("surveys_admin.export_preparing")))


# --- those asked --------------------------------------------------------------------------------


async def show_mine(message: Message, ctx: UpdateContext) -> None:
    items = await surveys.open_for(ctx.session, ctx.me, ctx.locale)
    if not items:
        await ctx.reply(t("surveys_admin.mine_empty"))
        return
    await ctx.reply(
        ctx.render("survey_my_list.html", items=items, tz=ctx.settings.tz),
        my_surveys_keyboard([(i.survey_id, i.title) for i in items]),
    )


async def cb_answer(
    callback: CallbackQuery,
    callback_data: SurveyCb,
    ctx: UpdateContext,
    dialog_manager: DialogManager,
) -> None:
    scenario_id = await surveys.to_answer(ctx.session, ctx.me, callback_data.survey_id)
    response_id = await survey_runner.begin(
        ctx.session,
        ctx.me,
        frozenset(r.value for r in ctx.me.role_set),
        scenario_id,
        survey_id=callback_data.survey_id,
    )
    await callback.answer()
    await open_runner(dialog_manager, response_id)


# --- a guest by public link ---------------------------------------------------------------------


async def start_by_link(message: Message, ctx: UpdateContext, payload: str) -> None:
    """`/start s_<code>`: the consent of a guest (nothing about them is kept), then the survey."""
    code = payload.removeprefix(surveys.CODE_PREFIX)
    found = await surveys.by_public_code(ctx.session, code, ctx.locale)
    await ctx.reply(
        ctx.render("survey_guest_consent.html", title=found.title), guest_consent_keyboard(code)
    )


async def cb_guest(
    callback: CallbackQuery,
    callback_data: SurveyCb,
    ctx: UpdateContext,
    dialog_manager: DialogManager,
) -> None:
    found = await surveys.by_public_code(ctx.session, callback_data.code, ctx.locale)
    # Someone the bot knows answers as themselves (the runner form finds them so); someone it
    # does not know answers with no person at all, and no row is made for them.
    person = ctx.person
    roles = frozenset(r.value for r in person.role_set) if person is not None else frozenset()
    response_id = await survey_runner.begin(
        ctx.session, person, roles, found.scenario_id, survey_id=found.survey_id
    )
    await callback.answer()
    await open_runner(dialog_manager, response_id)
