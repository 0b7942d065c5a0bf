"""The form's end: the event's card below it, and a changed field saved (the registrants are
told, newcomers to a wider audience get the announcement, the waiting list moves up)."""

from __future__ import annotations

from aiogram_dialog import DialogManager

from bot.dialogs.common import tell, who
from bot.dialogs.event_editor.base import draft_of, locale_of, zone_of
from bot.keyboards.events_admin import card_keyboard
from bot.services import event_changes, events
from bot.texts import t
from bot.transport.events import tell_promoted
from bot.transport.events_admin import organiser_card_text, send_announcement, send_changes


async def show_card(manager: DialogManager, event_id: int, note: str = "") -> None:
    person, session, _settings = who(manager)
    event, card = await events.organiser_card(session, person, event_id)
    tz = await zone_of(manager)
    text = organiser_card_text(
        manager.middleware_data["templates"], locale_of(manager), tz, event, card
    )
    ended = events.has_ended(event)
    await tell(
        manager,
        (note + "\n\n" if note else "") + text,
        card_keyboard(event.id, event.status, ended=ended),
    )


async def save_edit(manager: DialogManager, event_id: int) -> None:
    person, session, settings = who(manager)
    templates = manager.middleware_data["templates"]
    changed = await event_changes.update(session, settings, person, event_id, draft_of(manager))
    told = await send_changes(session, settings, templates, changed)
    await send_announcement(session, settings, templates, changed.event, changed.newcomers)
    await tell_promoted(session, settings, changed.promoted)
    await manager.done()
    note = (
        t("events_admin.changed_told", count=told)
        if changed.changes
        else t("events_admin.nothing_changed")
    )
    await show_card(manager, event_id, note)
