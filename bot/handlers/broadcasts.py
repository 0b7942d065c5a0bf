"""Coordinators' broadcasts: compose, choose the audience, preview, send or schedule, watch."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import AudienceCb, BroadcastCb
from bot.errors import DomainError
from bot.filters import HasRole, MenuButton
from bot.keyboards.broadcasts import (
    audience_keyboard,
    choices_keyboard,
    history_keyboard,
    preview_keyboard,
    progress_keyboard,
    start_keyboard,
)
from bot.services import audience as audiences
from bot.services import broadcasts
from bot.states import Broadcasting
from bot.texts import Templates, t
from config.settings import Settings
from storage.models import DeliveryStatus, Person, Role

router = Router(name=__name__)
router.message.filter(HasRole(Role.COORDINATOR, Role.ADMIN))
router.callback_query.filter(HasRole(Role.COORDINATOR, Role.ADMIN))


@router.message(Command("broadcast"))
@router.message(MenuButton("menu.broadcasts"))
async def cmd_broadcasts(message: Message) -> None:
    await message.answer(t("broadcast.intro"), reply_markup=start_keyboard())


@router.callback_query(BroadcastCb.filter(F.action == "new"))
async def cb_new(callback: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await callback.answer()
    await state.set_state(Broadcasting.compose)
    await state.set_data({})
    await bot.send_message(callback.from_user.id, t("broadcast.ask_content"))


def _draft_of(message: Message) -> broadcasts.Draft:
    if message.photo:
        return broadcasts.Draft(
            message.html_text if message.caption else "", "photo", message.photo[-1].file_id
        )
    if message.document:
        return broadcasts.Draft(
            message.html_text if message.caption else "", "document", message.document.file_id
        )
    if message.text:
        return broadcasts.Draft(message.html_text)
    raise DomainError("broadcast.unsupported")


@router.message(Broadcasting.compose)
async def on_content(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    templates: Templates,
    i18n: I18n,
) -> None:
    draft = broadcasts.check_draft(_draft_of(message))
    await state.update_data(
        draft=asdict(draft),
        audience=audiences.Audience().to_dict(),
        draft_key=secrets.token_hex(8),
    )
    await state.set_state(Broadcasting.audience)
    text, markup = await _audience_view(session, person, state, templates, i18n.current_locale)
    await message.answer(text, reply_markup=markup)


async def _audience_view(
    session: AsyncSession, person: Person, state: FSMContext, templates: Templates, locale: str
) -> tuple[str, Any]:
    data = await state.get_data()
    if "draft" not in data:
        raise DomainError("broadcast.no_draft")
    scope = await audiences.sender_scope(session, person)
    chosen = audiences.Audience.from_dict(data["audience"])
    count = await audiences.count(session, scope, chosen)
    kinds = [k for k in audiences.AUDIENCE_FIELDS if k != "mun" or len(scope.municipality_ids) > 1]
    selected = {k: len(getattr(chosen, f)) for k, f in audiences.AUDIENCE_FIELDS.items()}
    labels = {
        kind: [
            label
            for _, label, on in _labelled(
                kind, await audiences.choices(session, scope, chosen, kind)
            )
            if on
        ]
        for kind in kinds
    }
    text = templates.render("broadcast_audience.html", locale, labels=labels, count=count)
    return text, audience_keyboard(selected, kinds)


def _labelled(kind: str, choices: list[audiences.Choice]) -> list[tuple[int, str, bool]]:
    """Roles are named in the reader's language; everything else by its own name."""
    return [
        (c.value, t(f"role.{c.label}") if kind == "role" else c.label, c.chosen) for c in choices
    ]


@router.callback_query(AudienceCb.filter())
async def cb_audience_choice(
    callback: CallbackQuery,
    callback_data: AudienceCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
) -> None:
    data = await state.get_data()
    if "draft" not in data or callback_data.kind not in audiences.AUDIENCE_FIELDS:
        raise DomainError("broadcast.no_draft")
    scope = await audiences.sender_scope(session, person)
    chosen = audiences.Audience.from_dict(data["audience"])
    kind = callback_data.kind
    options = await audiences.choices(session, scope, chosen, kind)
    if callback_data.value >= 0:
        audiences.toggle(chosen, kind, callback_data.value, options)
        await state.update_data(audience=chosen.to_dict())
        options = await audiences.choices(session, scope, chosen, kind)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(
            reply_markup=choices_keyboard(kind, _labelled(kind, options), callback_data.page)
        )


@router.callback_query(BroadcastCb.filter(F.action.in_({"audience", "reset"})))
async def cb_audience(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    templates: Templates,
    i18n: I18n,
) -> None:
    if callback_data.action == "reset":
        await state.update_data(audience=audiences.Audience().to_dict())
    text, markup = await _audience_view(session, person, state, templates, i18n.current_locale)
    await state.set_state(Broadcasting.audience)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(text, reply_markup=markup)


@router.callback_query(BroadcastCb.filter(F.action == "preview"))
async def cb_preview(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    bot: Bot,
) -> None:
    data = await state.get_data()
    if "draft" not in data:
        raise DomainError("broadcast.no_draft")
    draft = broadcasts.Draft(**data["draft"])
    scope = await audiences.sender_scope(session, person)
    count = await audiences.count(session, scope, audiences.Audience.from_dict(data["audience"]))
    await callback.answer()
    chat = callback.from_user.id
    await bot.send_message(chat, t("broadcast.preview_title"))
    if draft.attachment_kind == "photo":
        await bot.send_photo(chat, draft.attachment_file_id or "", caption=draft.text or None)
    elif draft.attachment_kind == "document":
        await bot.send_document(chat, draft.attachment_file_id or "", caption=draft.text or None)
    else:
        await bot.send_message(chat, draft.text)
    summary = t("broadcast.recipients", count=count) if count else t("broadcast.empty_audience")
    await bot.send_message(chat, summary, reply_markup=preview_keyboard(can_send=count > 0))


async def _create(
    session: AsyncSession, settings: Settings, person: Person, state: FSMContext, **kw: Any
) -> Any:
    data = await state.get_data()
    if "draft_key" not in data:
        raise DomainError("broadcast.no_draft")
    broadcast = await broadcasts.create(
        session,
        settings,
        person,
        draft_key=data["draft_key"],
        draft=broadcasts.Draft(**data["draft"]),
        audience=audiences.Audience.from_dict(data["audience"]),
        **kw,
    )
    # The draft key stays, so a second press on "send" finds this broadcast instead of a twin.
    await state.set_state(None)
    return broadcast


@router.callback_query(BroadcastCb.filter(F.action == "send"))
async def cb_send(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    settings: Settings,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    broadcast = await _create(session, settings, person, state)
    await callback.answer(t("broadcast.started"))
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    state_now = await broadcasts.progress(session, broadcast)
    progress = await bot.send_message(
        callback.from_user.id,
        templates.render(
            "broadcast_progress.html", i18n.current_locale, broadcast=broadcast, p=state_now
        ),
        reply_markup=progress_keyboard(broadcast.id),
    )
    broadcast.progress_chat_id = progress.chat.id
    broadcast.progress_message_id = progress.message_id


@router.callback_query(BroadcastCb.filter(F.action == "schedule"))
async def cb_schedule(callback: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    if "draft" not in await state.get_data():
        raise DomainError("broadcast.no_draft")
    await state.set_state(Broadcasting.schedule)
    await callback.answer()
    await bot.send_message(callback.from_user.id, t("broadcast.ask_time"))


@router.message(Broadcasting.schedule, F.text)
async def on_schedule_time(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    scope = await audiences.sender_scope(session, person)
    tz = await broadcasts.sender_timezone(session, scope, settings)
    moment = broadcasts.parse_schedule(message.text or "", tz, datetime.now(UTC))
    broadcast = await _create(session, settings, person, state, scheduled_at=moment)
    await message.answer(
        templates.render(
            "broadcast_scheduled.html", i18n.current_locale, broadcast=broadcast, tz=tz
        ),
        reply_markup=progress_keyboard(broadcast.id),
    )


@router.callback_query(BroadcastCb.filter(F.action == "drop"))
async def cb_drop(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
        await callback.message.answer(t("broadcast.dropped"))


@router.callback_query(BroadcastCb.filter(F.action == "stop"))
async def cb_stop(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    session: AsyncSession,
    person: Person,
) -> None:
    stopped = await broadcasts.cancel(session, person, callback_data.value)
    await callback.answer(t("broadcast.stopped", count=stopped), show_alert=True)
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)


@router.callback_query(BroadcastCb.filter(F.action == "history"))
async def cb_history(
    callback: CallbackQuery,
    session: AsyncSession,
    person: Person,
    templates: Templates,
    i18n: I18n,
    settings: Settings,
) -> None:
    items = [
        (b, await broadcasts.progress(session, b))
        for b in await broadcasts.history(session, person)
    ]
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    if not items:
        await callback.message.answer(t("broadcast.no_history"))
        return
    await callback.message.answer(
        templates.render(
            "broadcast_history.html", i18n.current_locale, items=items, tz=settings.tz
        ),
        reply_markup=history_keyboard([b.id for b, p in items if p.total > p.sent]),
    )


@router.callback_query(BroadcastCb.filter(F.action == "report"))
async def cb_report(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    session: AsyncSession,
    person: Person,
    bot: Bot,
) -> None:
    content = await broadcasts.failures_workbook(
        session,
        person,
        callback_data.value,
        headers=[
            t("broadcast.col_name"),
            t("broadcast.col_school"),
            t("broadcast.col_status"),
            t("broadcast.col_reason"),
        ],
        status_names={s: t(f"broadcast.status.{s.value}") for s in DeliveryStatus},
    )
    await callback.answer()
    await bot.send_document(
        callback.from_user.id,
        BufferedInputFile(content, filename=f"broadcast-{callback_data.value}-failures.xlsx"),
    )


@router.message(Broadcasting.audience)
async def on_text_in_audience(message: Message) -> None:
    await message.answer(t("broadcast.use_buttons"))
