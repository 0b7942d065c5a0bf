"""Buttons of events as participants see them: the list, the card, an offered seat."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import AttendanceCb, EventCb
from bot.keyboards import paged_rows, short_label
from bot.services.event_views import CardView
from bot.texts import plain, t
from storage.models import RegistrationStatus

MARKS = {
    RegistrationStatus.REGISTERED: "✅",
    RegistrationStatus.OFFERED: "🔔",
    RegistrationStatus.WAITING: "⏳",
}


def _button(text: str, data: EventCb | AttendanceCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=plain(text), callback_data=data.pack())


def _action(key: str, action: str, event_id: int, session_id: int = 0, **params: str) -> (
    InlineKeyboardButton
):  # fmt: skip
    return _button(
        t(key, **params), EventCb(action=action, event_id=event_id, session_id=session_id)
    )


def list_keyboard(items: Sequence[tuple[int, str]], page: int) -> InlineKeyboardMarkup:
    """A button per event (id, label) of the page, ◀ ▶, then «Мои мероприятия»."""
    rows = paged_rows(
        items,
        page,
        lambda item: _button(short_label(item[1]), EventCb(action="card", event_id=item[0])),
        lambda arrow, number: _button(arrow, EventCb(action="list", page=number)),
    )
    rows.append([_button(t("events.mine_button"), EventCb(action="mine"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def my_keyboard(items: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [
        [_button(short_label(label), EventCb(action="card", event_id=event_id))]
        for event_id, label in items
    ]
    rows.append([_button(t("events.all_button"), EventCb(action="list"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_keyboard(view: CardView) -> InlineKeyboardMarkup:
    """What the person may do now: register or decline, confirm an offer, give up their place,
    the sessions with their own registration, the .ics."""
    event_id = view.card.id
    rows: list[list[InlineKeyboardButton]] = []
    if view.open:
        if view.status is None:
            rows.append(
                [
                    _action("events.register", "register", event_id),
                    _action("events.decline", "decline", event_id),
                ]
            )
        elif view.status is RegistrationStatus.OFFERED:
            rows.append(
                [
                    _action("events.confirm", "confirm", event_id),
                    _action("events.decline", "decline", event_id),
                ]
            )
        elif view.status is RegistrationStatus.REGISTERED:
            for part in view.sessions:
                if part.status in MARKS:
                    rows.append(
                        [
                            _action(
                                "events.session_withdraw",
                                "decline",
                                event_id,
                                part.session_id,
                                title=short_label(part.title),
                            )
                        ]
                    )
                else:
                    rows.append(
                        [
                            _action(
                                "events.session_register",
                                "register",
                                event_id,
                                part.session_id,
                                title=short_label(part.title),
                            )
                        ]
                    )
            rows.append([_action("events.withdraw", "decline", event_id)])
        elif view.status is RegistrationStatus.WAITING:
            rows.append([_action("events.leave_line", "decline", event_id)])
        else:
            rows.append([_action("events.register", "register", event_id)])
    if view.checkin_open and view.status is not RegistrationStatus.DECLINED:
        rows.append(
            [_button(t("events.checkin"), AttendanceCb(action="checkin", event_id=event_id))]
        )
    if view.status in (RegistrationStatus.REGISTERED, RegistrationStatus.OFFERED):
        rows.append([_action("events.ics", "ics", event_id)])
    rows.append(
        [
            _button(t("events.mine_button"), EventCb(action="mine")),
            _button(t("events.all_button"), EventCb(action="list")),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def after_keyboard(event_id: int, session_id: int, *, waiting: bool) -> InlineKeyboardMarkup:
    """Under «вы записаны» / «вы в листе ожидания»: give the place up, or read the card."""
    key = "events.leave_line" if waiting else "events.withdraw"
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_action(key, "decline", event_id, session_id)],
            [_action("events.details", "card", event_id)],
        ]
    )


def offer_keyboard(
    event_id: int, session_id: int | None, *, offered: bool, locale: str | None = None
) -> InlineKeyboardMarkup:
    """Under «место освободилось»: «Подтверждаю» (an offer) and «Не смогу», «Подробнее»."""
    part = session_id or 0

    def button(key: str, action: str) -> InlineKeyboardButton:
        return _button(
            t(key, locale=locale), EventCb(action=action, event_id=event_id, session_id=part)
        )

    first = [button("events.confirm", "confirm")] if offered else []
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [*first, button("events.decline", "decline")],
            [button("events.details", "card")],
        ]
    )
