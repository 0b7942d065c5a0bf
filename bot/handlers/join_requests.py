"""Coordinators decide requests to join with one tap."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import JoinDecisionCb
from bot.delivery.outbox import enqueue_message
from bot.filters import HasRole, MenuButton
from bot.keyboards.joining import decision_keyboard
from bot.services import onboarding, scope
from bot.texts import Templates, t
from bot.ui import main_menu_message, set_person_commands
from config.settings import Settings
from storage.models import Person, Role


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(HasRole(Role.COORDINATOR))
    router.callback_query.filter(HasRole(Role.COORDINATOR))
    router.message.register(show_pending_requests, F.text == "/requests")
    router.message.register(show_pending_requests, MenuButton("menu.join_requests"))
    router.callback_query.register(cb_decide, JoinDecisionCb.filter())
    return router


async def show_pending_requests(
    message: Message, person: Person, session: AsyncSession, templates: Templates, i18n: I18n
) -> None:
    requests = await onboarding.pending_requests(session, scope.coordinated_municipalities(person))
    if not requests:
        await message.answer(t("join.no_pending"))
        return
    for request in requests[:20]:
        school = await onboarding.school_of(session, request)
        await message.answer(
            templates.render(
                "join_request.html", i18n.current_locale, request=request, school=school
            ),
            reply_markup=decision_keyboard(request.id),
        )
    if len(requests) > 20:
        await message.answer(t("join.more_pending", count=len(requests) - 20))


async def cb_decide(
    callback: CallbackQuery,
    callback_data: JoinDecisionCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    request, applicant = await onboarding.decide_join_request(
        session, person, callback_data.request_id, approve=callback_data.approve
    )
    outcome = "join.approved_by_you" if callback_data.approve else "join.declined_by_you"
    await callback.answer(t(outcome, name=request.full_name))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(t(outcome, name=request.full_name))
    locale = applicant.locale or i18n.default_locale
    with i18n.use_locale(locale):
        if callback_data.approve:
            text, keyboard = main_menu_message(applicant, templates, locale, greeting=True)
            text = t("join.you_are_approved") + "\n\n" + text
            await set_person_commands(bot, applicant, locale)
        else:
            text, keyboard = t("join.you_are_declined"), None
        await enqueue_message(
            session,
            settings,
            applicant,
            text,
            kind="join_decision",
            reply_markup=keyboard,
            dedup_key=f"join_decision:{request.id}",
        )
