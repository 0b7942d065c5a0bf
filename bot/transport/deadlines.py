"""Deadline messages through the outbox: reminders to the responsible people (with the task's
answer buttons), alerts and «no leader» notices to coordinators, and help requests. Routine:
they wait for the recipient's daytime (quiet hours)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, Priority, Recipient, enqueue_messages, recipient_timezones
from bot.keyboards.deadlines import task_keyboard
from bot.services.deadline_reminders import Due
from bot.services.deadlines import HelpRequest
from bot.texts import Templates
from config.settings import Settings


def _days(key: str) -> int | None:
    return int(key[1:]) if key.startswith("d") and key[1:].isdigit() else None


async def send_due(
    session: AsyncSession,
    settings: Settings,
    templates: Templates,
    due: Due,
    now: datetime | None = None,
) -> int:
    """Queued as of `now` (the sweep's moment): quiet hours are those of that moment."""
    messages = []
    for reminder in due.reminders:
        locale = reminder.to.locale or settings.default_locale
        text = templates.render(
            "deadline_reminder.html",
            locale,
            item=reminder.item,
            school=reminder.school,
            days=_days(reminder.key),
            overdue=reminder.key.startswith("overdue:"),
        )
        markup = task_keyboard(reminder.task_id, reminder.item.done_by, reminder.item.stage, locale)
        messages.append(
            Outgoing(
                Recipient(reminder.to.person_id, reminder.to.chat_id, reminder.zone),
                text,
                markup,
                f"deadline:{reminder.task_id}:{reminder.key}:{reminder.to.person_id}",
            )
        )
    for notice in due.notices:
        locale = notice.to.locale or settings.default_locale
        text = templates.render(
            "deadline_notice.html", locale, item=notice.item, key=notice.key, who=notice.who
        )
        messages.append(
            Outgoing(
                Recipient(notice.to.person_id, notice.to.chat_id, notice.zone),
                text,
                None,
                f"deadline-{notice.key}:{notice.item.deadline_id}:{notice.to.person_id}:"
                f"{len(notice.who)}:{notice.who[0] if notice.who else ''}"[:200],
            )
        )
    return await enqueue_messages(
        session,
        settings,
        messages,
        kind="deadline_reminder",
        priority=Priority.ROUTINE,
        not_before=now,
    )


async def send_help_request(
    session: AsyncSession, settings: Settings, templates: Templates, request: HelpRequest
) -> int:
    """To the coordinators (or admins) at once: someone is stuck, it is no routine reminder."""
    zones = await recipient_timezones(
        session, {p.municipality_id for p in request.recipients}, settings.timezone
    )
    messages = [
        Outgoing(
            Recipient(
                person.id, person.telegram_id, zones.get(person.municipality_id, settings.timezone)
            ),
            templates.render(
                "deadline_help.html",
                person.locale or settings.default_locale,
                request=request,
            ),
            None,
            f"deadline-help:{request.task_id}:{person.id}:{date.today().isoformat()}",
        )
        for person in request.recipients
        if person.telegram_id is not None
    ]
    return await enqueue_messages(
        session, settings, messages, kind="deadline_help", priority=Priority.URGENT, urgent=True
    )
