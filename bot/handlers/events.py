"""Events as participants see them: «📅 Мероприятия» and /events (the events of their audience,
paged), a card with «Записаться» / «Не смогу» / «Отменить запись» / «📅 В календарь (.ics)»,
«Мои мероприятия», and an offered seat's «Подтверждаю».

«Записаться» and «Подробнее» are also the buttons of the announcement the organiser's publish
sends: every button works from any message at any time, and one pressed on a stale message
(the event cancelled, full, begun) gets a plain answer of what is so now.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.callbacks import EventCb
from bot.filters import HasRole, MenuButton
from bot.keyboards import PAGE_SIZE
from bot.keyboards.events import MARKS, after_keyboard, card_keyboard, list_keyboard, my_keyboard
from bot.services import event_registration as registration
from bot.services import event_types
from bot.services import event_views as views
from bot.services.event_calendar import Registered
from bot.texts import format_moment, plain, t
from bot.transport.events import tell_promoted
from bot.update_context import UpdateContext

ICS_NAME = "event.ics"


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    anyone = HasRole()
    on_message, on_callback = router.message.register, router.callback_query.register
    on_message(show_list, MenuButton("menu.events"), anyone)
    on_message(show_list, Command("events"), anyone)
    on_callback(cb_list, EventCb.filter(F.action == "list"), anyone)
    on_callback(cb_mine, EventCb.filter(F.action == "mine"), anyone)
    on_callback(cb_card, EventCb.filter(F.action == "card"), anyone)
    on_callback(cb_register, EventCb.filter(F.action.in_({"register", "confirm"})), anyone)
    on_callback(cb_decline, EventCb.filter(F.action == "decline"), anyone)
    on_callback(cb_ics, EventCb.filter(F.action == "ics"), anyone)
    return router


# --- the lists ----------------------------------------------------------------------------------


async def _send_list(ctx: UpdateContext, page: int) -> None:
    items = await views.visible_to(ctx.session, ctx.me)
    if not items:
        await ctx.reply(t("events.none"), list_keyboard([], 0))
        return
    tz = await views.zone_of(ctx.session, ctx.me, ctx.settings)
    pages = (len(items) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    labels = [
        (
            item.event_id,
            f"{MARKS.get(item.status, '📅') if item.status else '📅'} "
            f"{item.starts_at.astimezone(tz):%d.%m} {item.title}",
        )
        for item in items
    ]
    await ctx.reply(
        ctx.render(
            "event_list.html",
            items=shown,
            kinds={i.event_id: event_types.title(i.type_id, ctx.locale) for i in shown},
            tz=tz,
            page=page + 1,
            pages=pages,
        ),
        list_keyboard(labels, page),
    )


async def show_list(message: Message, ctx: UpdateContext) -> None:
    await _send_list(ctx, 0)


async def cb_list(callback: CallbackQuery, callback_data: EventCb, ctx: UpdateContext) -> None:
    await callback.answer()
    await _send_list(ctx, callback_data.page)


async def cb_mine(callback: CallbackQuery, ctx: UpdateContext) -> None:
    items = await views.mine(ctx.session, ctx.me)
    tz = await views.zone_of(ctx.session, ctx.me, ctx.settings)
    await callback.answer()
    await ctx.reply(
        ctx.render("my_events.html", items=items, tz=tz),
        my_keyboard(
            [
                (i.event_id, f"{MARKS[i.status]} {i.starts_at.astimezone(tz):%d.%m} {i.title}")
                for i in items
            ]
        ),
    )


# --- one event ----------------------------------------------------------------------------------


async def _send_card(ctx: UpdateContext, event_id: int) -> None:
    view = await views.view(ctx.session, ctx.me, event_id)
    tz = await views.zone_of(ctx.session, ctx.me, ctx.settings)
    await ctx.reply(
        ctx.render(
            "event_view.html",
            card=view.card,
            view=view,
            tz=tz,
            kind=event_types.title(view.card.type_id, ctx.locale),
            show_link=view.show_link,
        ),
        card_keyboard(view),
    )


async def cb_card(callback: CallbackQuery, callback_data: EventCb, ctx: UpdateContext) -> None:
    await callback.answer()
    await _send_card(ctx, callback_data.event_id)


async def cb_register(callback: CallbackQuery, callback_data: EventCb, ctx: UpdateContext) -> None:
    """«Записаться» (from the list, the card or the announcement) and «Подтверждаю» (an offered
    seat): a seat with the .ics, or the place in line; a second tap changes nothing."""
    session_id = callback_data.session_id or None
    act = registration.confirm if callback_data.action == "confirm" else registration.register
    result = await act(
        ctx.session, ctx.me, callback_data.event_id, session_id, settings=ctx.settings
    )
    if result.kind == "refused":
        await callback.answer(plain(t(result.reason or "events.refused.gone")), show_alert=True)
        return
    if result.kind == "already":
        await callback.answer(plain(t("events.already")), show_alert=True)
        return
    if result.kind in ("waiting", "already_waiting"):
        key = "events.waiting" if result.kind == "waiting" else "events.already_waiting"
        await callback.answer(plain(t(key, place=result.place)))
        await ctx.reply(
            t(key, place=result.place),
            after_keyboard(callback_data.event_id, callback_data.session_id, waiting=True),
        )
        return
    await callback.answer(plain(t("events.registered_short")))
    if session_id is not None:
        await ctx.reply(
            t("events.session_registered"),
            after_keyboard(callback_data.event_id, callback_data.session_id, waiting=False),
        )
        return
    done = result.registered or await views.registered(ctx.session, ctx.me, callback_data.event_id)
    await _send_registered(ctx, callback_data.event_id, done)


async def _send_registered(ctx: UpdateContext, event_id: int, done: Registered) -> None:
    """«Вы записаны» with the .ics attached: the calendar takes the event in one tap."""
    tz = await views.zone_of(ctx.session, ctx.me, ctx.settings)
    caption = t(
        "events.registered", title=done.title, start=format_moment(done.starts_at, tz, ctx.locale)
    )
    if done.online_url:
        caption += "\n" + t("events.link", url=done.online_url)
    await ctx.bot.send_document(
        ctx.chat_id,
        BufferedInputFile(done.ics, filename=ICS_NAME),
        caption=caption,
        reply_markup=after_keyboard(event_id, 0, waiting=False),
    )


async def cb_decline(callback: CallbackQuery, callback_data: EventCb, ctx: UpdateContext) -> None:
    """«Не смогу»: remembered before registering; after, the seat or the place in line is
    given up and the next in line is offered it."""
    result = await registration.decline(
        ctx.session,
        ctx.me,
        callback_data.event_id,
        callback_data.session_id or None,
        settings=ctx.settings,
    )
    if result.promoted:
        await tell_promoted(ctx.session, ctx.settings, result.promoted)
    if result.kind == "refused":
        await callback.answer(plain(t(result.reason or "events.refused.gone")), show_alert=True)
        return
    key = {
        "declined": "events.declined",
        "withdrawn": "events.withdrawn",
        "already_declined": "events.already_declined",
    }[result.kind]
    await callback.answer(plain(t(key)))
    await ctx.reply(t(key))


async def cb_ics(callback: CallbackQuery, callback_data: EventCb, ctx: UpdateContext) -> None:
    ics = await views.calendar_file(ctx.session, ctx.me, callback_data.event_id)
    await callback.answer()
    await ctx.bot.send_document(
        ctx.chat_id, BufferedInputFile(ics, filename=ICS_NAME), caption=t("events.ics_caption")
    )
