"""Whose update is it: the key that orders a person's updates and paces their floods."""

from __future__ import annotations

from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.types import Update

# Updates with neither a sender nor a chat (rare service updates) share one queue.
NOBODY = 0


def person_key(update: Update) -> int:
    context = UserContextMiddleware.resolve_event_context(update)
    if context.user is not None:
        return context.user.id
    if context.chat is not None:
        return context.chat.id
    return NOBODY


def media_group(update: Update) -> str | None:
    """An album arrives as one update per photo; they share this id and count as one message."""
    message = update.message or update.edited_message
    return message.media_group_id if message is not None else None
