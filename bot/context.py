"""What the Dispatcher carries for every handler (aiogram workflow data)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.texts import Templates, Texts
from config.settings import Settings

if TYPE_CHECKING:
    from bot.scheduler import Scheduler


class AppContext(TypedDict):
    settings: Settings
    session_pool: async_sessionmaker[AsyncSession]
    texts: Texts
    templates: Templates
    scheduler: Scheduler
