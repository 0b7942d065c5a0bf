"""Survey messages to many people, through the outbox: invitations with «Ответить», reminders,
and the author's notice when a survey closes. Each in its recipient's language and daytime."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import (
    Outgoing,
    Priority,
    Recipient,
    enqueue_message,
    enqueue_messages,
    recipient_timezones,
)
from bot.keyboards.surveys import answer_keyboard, summary_keyboard
from bot.services.surveys import ClosedSurvey
from bot.texts import Templates, t
from config.settings import Settings
from storage.repositories.surveys import InviteeRow


async def _recipients(
    session: AsyncSession, settings: Settings, rows: Sequence[InviteeRow]
) -> list[tuple[Recipient, str]]:
    zones = await recipient_timezones(session, {r[2] for r in rows}, settings.timezone)
    return [
        (
            Recipient(person_id, chat_id, zones.get(municipality, settings.timezone)),
            locale or settings.default_locale,
        )
        for person_id, chat_id, municipality, locale in rows
    ]


def _day(moment: datetime, tz_name: str) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(tz_name)).strftime("%d.%m.%Y")


async def send_invitations(
    session: AsyncSession,
    settings: Settings,
    templates: Templates,
    *,
    survey_id: int,
    scenario_title: dict[str, str],
    description: dict[str, str],
    deadline: datetime,
    rows: Sequence[InviteeRow],
) -> int:
    """One invitation per invitee: title, description, deadline and «Ответить»."""
    messages = [
        Outgoing(
            recipient,
            templates.render(
                "survey_invitation.html",
                locale,
                title=scenario_title.get(locale) or scenario_title["ru"],
                description=description.get(locale) or description.get("ru", ""),
                deadline=_day(deadline, recipient.timezone),
            ),
            answer_keyboard(survey_id, locale),
            f"survey:{survey_id}:invite:{recipient.person_id}",
        )
        for recipient, locale in await _recipients(session, settings, rows)
    ]
    return await enqueue_messages(session, settings, messages, kind="survey_invitation")


async def send_reminders(
    session: AsyncSession,
    settings: Settings,
    templates: Templates,
    *,
    survey_id: int,
    title: str,
    deadline: datetime,
    rows: Sequence[InviteeRow],
    now: datetime,
) -> int:
    messages = [
        Outgoing(
            recipient,
            templates.render(
                "survey_reminder.html",
                locale,
                title=title,
                deadline=_day(deadline, recipient.timezone),
            ),
            answer_keyboard(survey_id, locale),
            f"survey:{survey_id}:remind:{recipient.person_id}:{now:%Y%m%d%H}",
        )
        for recipient, locale in await _recipients(session, settings, rows)
    ]
    return await enqueue_messages(session, settings, messages, kind="survey_reminder")


async def tell_author_closed(
    session: AsyncSession, settings: Settings, closed: ClosedSurvey
) -> None:
    author = closed.author
    if author is None:
        return
    card = closed.card
    locale = author.locale or settings.default_locale
    await enqueue_message(
        session,
        settings,
        author,
        t(
            "surveys_admin.closed_notice",
            locale=locale,
            title=card.title,
            answered=card.answered,
            invited=card.invited,
            percent=card.percent,
        ),
        kind="survey_closed",
        priority=Priority.ROUTINE,
        urgent=False,
        reply_markup=summary_keyboard(card.id, locale),
        dedup_key=f"survey:{card.id}:closed",
    )
