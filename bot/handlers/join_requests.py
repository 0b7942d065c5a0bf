"""Coordinators decide requests to join with one tap."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.callbacks import JoinDecisionCb
from bot.delivery.outbox import enqueue_message
from bot.filters import HasRole, MenuButton
from bot.keyboards.joining import decision_keyboard
from bot.services import onboarding, scope
from bot.texts import t
from bot.ui import main_menu_message, set_buttons, set_person_commands
from bot.update_context import UpdateContext
from storage.models import Role


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(HasRole(Role.COORDINATOR))
    router.callback_query.filter(HasRole(Role.COORDINATOR))
    router.message.register(show_pending_requests, F.text == "/requests")
    router.message.register(show_pending_requests, MenuButton("menu.join_requests"))
    router.callback_query.register(cb_decide, JoinDecisionCb.filter())
    return router


async def show_pending_requests(message: Message, ctx: UpdateContext) -> None:
    requests = await onboarding.pending_requests(
        ctx.session, scope.coordinated_municipalities(ctx.me)
    )
    if not requests:
        await ctx.reply(t("join.no_pending"))
        return
    for request in requests[:20]:
        school = await onboarding.school_of(ctx.session, request)
        await ctx.reply(
            ctx.render("join_request.html", request=request, school=school),
            decision_keyboard(request.id),
        )
    if len(requests) > 20:
        await ctx.reply(t("join.more_pending", count=len(requests) - 20))


async def cb_decide(
    callback: CallbackQuery, callback_data: JoinDecisionCb, ctx: UpdateContext
) -> None:
    request, applicant = await onboarding.decide_join_request(
        ctx.session, ctx.me, callback_data.request_id, approve=callback_data.approve
    )
    # The decision and the applicant's news of it are stored before any call to Telegram (the
    # first call commits them): whatever Telegram then refuses, the decision stands.
    with ctx.speaking_to(applicant) as locale:
        if callback_data.approve:
            text, keyboard = main_menu_message(applicant, ctx.templates, locale, greeting=True)
            text = t("join.you_are_approved") + "\n\n" + text
        else:
            text, keyboard = t("join.you_are_declined"), None
        await enqueue_message(
            ctx.session,
            ctx.settings,
            applicant,
            text,
            kind="join_decision",
            reply_markup=keyboard,
            dedup_key=f"join_decision:{request.id}",
        )
    # The tap's answer names no one: a name of 200 characters would not fit its 200. The
    # message below names the applicant in full.
    await callback.answer()
    await set_buttons(callback, None)
    outcome = "join.approved_by_you" if callback_data.approve else "join.declined_by_you"
    await ctx.reply(t(outcome, name=request.full_name))
    if callback_data.approve:
        with ctx.speaking_to(applicant) as locale:
            await set_person_commands(ctx.bot, applicant, locale)
