from __future__ import annotations

from typing import Any

from aiogram.dispatcher.middlewares.user_context import EVENT_FROM_USER_KEY
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n.middleware import I18nMiddleware

from storage.models import Person


class LocaleMiddleware(I18nMiddleware):
    """The person's chosen language, else Telegram's language if we have it, else the default."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        person: Person | None = data.get("person")
        if person is not None and person.locale in self.i18n.available_locales:
            return person.locale
        user: User | None = data.get(EVENT_FROM_USER_KEY)
        language = (user.language_code or "")[:2] if user else ""
        if language in self.i18n.available_locales:
            return language
        return self.i18n.default_locale
