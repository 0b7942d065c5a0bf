"""Event messages the sweep sends through the outbox: reminders to registrants (in each
recipient's zone and language, at once, whatever the hour) and the feedback invitations after
the event (the survey invitation, naming the event)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import EventCb
from bot.delivery.outbox import Outgoing, Priority, Recipient, enqueue_messages, recipient_timezones
from bot.services import event_types, scenarios
from bot.services.event_feedback import FeedbackLaunch
from bot.services.event_reminders import DueReminder
from bot.texts import Templates, plain, t
from bot.transport.surveys import send_invitations
from config.settings import Settings

LOCALES = ("ru", "en")


def more_keyboard(event_id: int, locale: str) -> InlineKeyboardMarkup:
    """«Подробнее»: the event's card."""
    button = InlineKeyboardButton(
        text=plain(t("event_reminders.more", locale=locale)),
        callback_data=EventCb(action="card", event_id=event_id).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


async def send_reminders(
    session: AsyncSession, settings: Settings, templates: Templates, due: Sequence[DueReminder]
) -> int:
    """One message per reminder, queued urgent (quiet hours do not hold back a reminder an hour
    before the start); its dedup key guards against a second queueing of the same row."""
    zones = await recipient_timezones(
        session, {d.reminder.municipality_id for d in due}, settings.timezone
    )
    rendered: dict[tuple[int, int | None, int, str, str], str] = {}
    messages = []
    for item in due:
        reminder = item.reminder
        zone = zones.get(reminder.municipality_id, settings.timezone)
        locale = reminder.locale or settings.default_locale
        key = (item.card.id, reminder.session_id, reminder.offset_minutes, zone, locale)
        if key not in rendered:
            rendered[key] = templates.render(
                "event_reminder.html",
                locale,
                card=item.card,
                part=item.part,
                starts_at=item.starts_at,
                place=item.place,
                offset=reminder.offset_minutes,
                tz=ZoneInfo(zone),
                kind=event_types.title(item.card.type_id, locale),
            )
        messages.append(
            Outgoing(
                Recipient(reminder.person_id, reminder.chat_id, zone),
                rendered[key],
                more_keyboard(item.card.id, locale),
                f"event-reminder:{reminder.id}",
            )
        )
    return await enqueue_messages(
        session, settings, messages, kind="event_reminder", priority=Priority.ROUTINE, urgent=True
    )


async def send_feedback_invitations(
    session: AsyncSession, settings: Settings, templates: Templates, launch: FeedbackLaunch
) -> int:
    """The survey runner's invitation («Ответить»), its description naming the event."""
    scenario = scenarios.get("event_feedback").scenario
    description: dict[str, str] = {
        locale: Markup(
            t(
                "event_reminders.feedback_about",
                locale=locale,
                title=launch.event_title,
                day=launch.held_on.strftime("%d.%m.%Y"),
            )
        )
        + "\n"
        + (scenario.description.get(locale) if scenario.description else "")
        for locale in LOCALES
    }
    return await send_invitations(
        session,
        settings,
        templates,
        survey_id=launch.survey_id,
        scenario_title={locale: scenario.title.get(locale) for locale in LOCALES},
        description=description,
        deadline=launch.deadline,
        rows=launch.invitees,
    )
