"""The organiser's events: «🗓 Мероприятия (орг.)» (drafts, upcoming, past; paged), an event's
card with «✏️ Изменить», «❌ Отменить», «📄 Копировать», «📢 Опубликовать» and the ways to
attendance, the check-in code and the report; the form is `bot.dialogs.event_editor`."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager

from bot.callbacks import EventAdminCb
from bot.dialogs.event_editor import FIELD_STEPS, open_editor
from bot.dialogs.leaving import open_form
from bot.filters import HasRole, MenuButton
from bot.keyboards.events_admin import (
    cancel_keyboard,
    card_keyboard,
    edit_keyboard,
    list_keyboard,
)
from bot.services import event_changes, event_types, events
from bot.states import EventEditor
from bot.texts import plain, t
from bot.transport.events_admin import organiser_card_text, send_announcement, send_cancelled
from bot.update_context import UpdateContext
from storage.models import Role

ORGANISERS = (Role.COORDINATOR, Role.ADMIN)


def build_router() -> Router:
    router = Router(name=__name__)
    organisers = HasRole(*ORGANISERS)
    on_message, on_callback = router.message.register, router.callback_query.register
    on_message(show_list, MenuButton("menu.events_admin"), organisers)
    on_callback(cb_list, EventAdminCb.filter(F.action == "list"), organisers)
    on_callback(cb_new, EventAdminCb.filter(F.action == "new"), organisers)
    on_callback(cb_card, EventAdminCb.filter(F.action == "card"), organisers)
    on_callback(cb_publish, EventAdminCb.filter(F.action == "publish"), organisers)
    on_callback(cb_edit, EventAdminCb.filter(F.action == "edit"), organisers)
    on_callback(cb_field, EventAdminCb.filter(F.action == "field"), organisers)
    on_callback(cb_cancel, EventAdminCb.filter(F.action == "cancel"), organisers)
    on_callback(cb_cancel_yes, EventAdminCb.filter(F.action == "cancel_yes"), organisers)
    on_callback(cb_copy, EventAdminCb.filter(F.action == "copy"), organisers)
    return router


def _now() -> datetime:
    return datetime.now(UTC)


# --- the list -----------------------------------------------------------------------------------


async def _send_list(ctx: UpdateContext, shelf_name: str = "upcoming", page: int = 0) -> None:
    found = await events.shelf(ctx.session, ctx.me, shelf_name, page)
    tz = await events.organiser_zone(ctx.session, ctx.me, ctx.settings)
    lines = [(item, event_types.title(item.type_id, ctx.locale)) for item in found.items]
    await ctx.reply(
        ctx.render("event_admin_list.html", shelf=found, lines=lines, tz=tz),
        list_keyboard(
            found.name,
            found.page,
            found.pages,
            [
                (item.id, f"{item.starts_at.astimezone(tz):%d.%m} {item.title}")
                for item in found.items
            ],
            events.SHELVES,
        ),
    )


async def show_list(message: Message, ctx: UpdateContext) -> None:
    await _send_list(ctx)


async def cb_list(callback: CallbackQuery, callback_data: EventAdminCb, ctx: UpdateContext) -> None:
    await _send_list(ctx, callback_data.value or "upcoming", callback_data.page)
    await callback.answer()


async def cb_new(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    await callback.answer()
    await open_form(dialog_manager, EventEditor.kind)


# --- an event's card ----------------------------------------------------------------------------


async def show_card(ctx: UpdateContext, event_id: int, note: str = "") -> None:
    event, card = await events.organiser_card(ctx.session, ctx.me, event_id)
    tz = await events.organiser_zone(ctx.session, ctx.me, ctx.settings)
    text = organiser_card_text(ctx.templates, ctx.locale, tz, event, card)
    ended = events.has_ended(event)
    await ctx.reply(
        (note + "\n\n" if note else "") + text, card_keyboard(event.id, event.status, ended=ended)
    )


async def cb_card(callback: CallbackQuery, callback_data: EventAdminCb, ctx: UpdateContext) -> None:
    await show_card(ctx, callback_data.event_id)
    await callback.answer()


async def cb_publish(
    callback: CallbackQuery, callback_data: EventAdminCb, ctx: UpdateContext
) -> None:
    announced = await events.publish(ctx.session, ctx.settings, ctx.me, callback_data.event_id)
    queued = await send_announcement(
        ctx.session, ctx.settings, ctx.templates, announced.event, announced.recipients
    )
    await callback.answer()
    await show_card(ctx, announced.event.id, t("events_admin.published", count=queued))


async def cb_edit(callback: CallbackQuery, callback_data: EventAdminCb, ctx: UpdateContext) -> None:
    event, _card = await events.organiser_card(ctx.session, ctx.me, callback_data.event_id)
    events.check_field_editable(event, "title")
    kind = event_types.get(event.type)
    await callback.answer()
    await ctx.reply(
        t("events_admin.edit_which", title=event.title),
        edit_keyboard(event.id, program=bool(kind and kind.sessions)),
    )


async def cb_field(
    callback: CallbackQuery,
    callback_data: EventAdminCb,
    ctx: UpdateContext,
    dialog_manager: DialogManager,
) -> None:
    field = callback_data.value
    if field not in FIELD_STEPS:
        await callback.answer(plain(t("error.stale_button")), show_alert=True)
        return
    event, _card = await events.organiser_card(ctx.session, ctx.me, callback_data.event_id)
    events.check_field_editable(event, field)
    await callback.answer()
    await open_editor(dialog_manager, {"edit_id": event.id, "field": field}, FIELD_STEPS[field][0])


async def cb_cancel(
    callback: CallbackQuery, callback_data: EventAdminCb, ctx: UpdateContext
) -> None:
    event, _card = await events.organiser_card(ctx.session, ctx.me, callback_data.event_id)
    events.check_field_editable(event, "title")
    await callback.answer()
    await ctx.reply(
        t("events_admin.cancel_confirm", title=event.title, people=event.seats_taken),
        cancel_keyboard(event.id),
    )


async def cb_cancel_yes(
    callback: CallbackQuery, callback_data: EventAdminCb, ctx: UpdateContext
) -> None:
    cancelled = await event_changes.cancel(
        ctx.session, ctx.settings, ctx.me, callback_data.event_id
    )
    told = await send_cancelled(ctx.session, ctx.settings, ctx.templates, cancelled)
    await callback.answer()
    await show_card(ctx, cancelled.event.id, t("events_admin.cancelled_told", count=told))


async def cb_copy(
    callback: CallbackQuery,
    callback_data: EventAdminCb,
    ctx: UpdateContext,
    dialog_manager: DialogManager,
) -> None:
    await events.organiser_card(ctx.session, ctx.me, callback_data.event_id)
    await callback.answer()
    await open_editor(dialog_manager, {"copy_of": callback_data.event_id}, EventEditor.start)
