"""Factories for Telegram objects as the Bot API would deliver them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    Message,
    PhotoSize,
    Update,
    User,
)

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)
_callback_ids = itertools.count(1)


def make_user(user_id: int, first_name: str = "Анна", language_code: str | None = "ru") -> User:
    return User(id=user_id, is_bot=False, first_name=first_name, language_code=language_code)


def private_chat(user: User) -> Chat:
    return Chat(id=user.id, type="private", first_name=user.first_name)


def make_message(user: User, text: str | None = None, **fields: Any) -> Message:
    return Message(
        message_id=next(_message_ids),
        date=datetime.now(UTC),
        chat=private_chat(user),
        from_user=user,
        text=text,
        **fields,
    )


def make_contact_message(user: User, phone: str, *, owner_id: int | None = None) -> Message:
    contact = Contact(
        phone_number=phone,
        first_name=user.first_name,
        user_id=user.id if owner_id is None else owner_id,
    )
    return make_message(user, contact=contact)


def make_document_message(
    user: User, file_name: str, size: int, *, mime_type: str | None = None, file_id: str = "doc1"
) -> Message:
    document = Document(
        file_id=file_id,
        file_unique_id=file_id,
        file_name=file_name,
        file_size=size,
        mime_type=mime_type,
    )
    return make_message(user, document=document)


def make_photo_message(user: User) -> Message:
    photo = PhotoSize(file_id="photo1", file_unique_id="photo1", width=10, height=10)
    return make_message(user, photo=[photo])


def make_callback(user: User, data: str, message: Message | None = None) -> CallbackQuery:
    return CallbackQuery(
        id=str(next(_callback_ids)),
        from_user=user,
        chat_instance="ci",
        data=data,
        message=message or make_message(user, text="…"),
    )


def update_with(update_id: int | None = None, **payload: Any) -> Update:
    return Update(update_id=update_id if update_id is not None else next(_update_ids), **payload)
