"""The coordinator's form «Новая рассылка»: the announcement (text, or a photo or document with
its caption; formatting kept) → who gets it (segments by municipality, school, subject, role,
community) → the preview with the number of recipients → send now, or a typed date and time.

The announcement, the audience chosen and the key that makes «send» happen once are the form's
dialog data, stored with it: the form survives a restart, and a coordinator who went to another
menu finds it where they left it. The rules are the services' (`bot.services.broadcasts`,
`bot.services.audience`): a refusal is their message (`DomainError`), the form staying on its
step; creating the broadcast checks everything again.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, SwitchTo
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogs.common import (
    cancel,
    chat_id,
    choices,
    mark,
    paged_choices,
    tell,
    waits_for_buttons,
    waits_for_text,
    who,
)
from bot.dialogs.leaving import meant_for_form
from bot.dialogs.widgets import T, Template, render
from bot.errors import DomainError
from bot.keyboards import short_label
from bot.keyboards.broadcasts import progress_keyboard
from bot.services import audience as audiences
from bot.services import broadcasts
from bot.services.scope import Scope
from bot.states import Broadcasting
from bot.texts import t
from bot.transport.broadcasts import open_progress_message, unjoined_file
from storage.models import Broadcast

CHOICES_PER_PAGE = 8


# --- the draft in the dialog data -------------------------------------------------------------


def draft_of(manager: DialogManager) -> broadcasts.Draft | None:
    data = manager.dialog_data.get("draft")
    return broadcasts.Draft(**data) if data else None


def audience_of(manager: DialogManager) -> audiences.Audience:
    return audiences.Audience.from_dict(manager.dialog_data.get("audience") or {})


def keep_audience(manager: DialogManager, chosen: audiences.Audience) -> None:
    manager.dialog_data["audience"] = chosen.to_dict()


async def on_start(_start_data: Any, manager: DialogManager) -> None:
    # One key per form: a second press on «send» finds its broadcast instead of making a twin.
    manager.dialog_data.update(
        audience=audiences.Audience().to_dict(), draft_key=secrets.token_hex(8)
    )


# --- the announcement -------------------------------------------------------------------------


def _draft_from(message: Message) -> broadcasts.Draft:
    caption = message.html_text if message.caption else ""
    if message.photo:
        return broadcasts.Draft(caption, "photo", message.photo[-1].file_id)
    if message.document:
        return broadcasts.Draft(caption, "document", message.document.file_id)
    if message.text:
        return broadcasts.Draft(message.html_text)
    raise DomainError("broadcast.unsupported")


async def on_content(message: Message, _widget: Any, manager: DialogManager) -> None:
    draft = broadcasts.check_draft(_draft_from(message))
    manager.dialog_data["draft"] = asdict(draft)
    # The audience chosen so far stays: a new text does not undo it.
    await manager.switch_to(Broadcasting.audience)


async def compose_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"has_draft": draft_of(dialog_manager) is not None}


# --- the audience -----------------------------------------------------------------------------


async def _scope(manager: DialogManager) -> tuple[Scope, AsyncSession]:
    person, session, _settings = who(manager)
    return await audiences.sender_scope(session, person), session


def _labelled(kind: str, options: list[audiences.Choice]) -> list[tuple[int, str, bool]]:
    """Roles are named in the reader's language; everything else by its own name."""
    return [
        (c.value, t(f"role.{c.label}") if kind == "role" else c.label, c.chosen) for c in options
    ]


# The audience picker is shared: the survey launch form (`bot.dialogs.survey_launch`) uses these
# windows' getter and handlers with its own states. Its dialog data may hold `allowed_roles`
# (the roles a scenario is for) and `no_segments` (only the plain kinds of segment).


def _allowed_roles(manager: DialogManager) -> tuple[str, ...] | None:
    roles = manager.dialog_data.get("allowed_roles")
    return tuple(roles) if roles else None


async def _offered(
    manager: DialogManager,
    session: AsyncSession,
    scope: Scope,
    chosen: audiences.Audience,
    kind: str,
) -> list[audiences.Choice]:
    offered = await audiences.choices(session, scope, chosen, kind)
    allowed = _allowed_roles(manager)
    if kind == "role" and allowed is not None:
        offered = [c for c in offered if c.label in allowed]
    return offered


def effective_audience(manager: DialogManager) -> audiences.Audience:
    """The audience chosen, within the roles the form allows (none chosen: all of those)."""
    chosen = audience_of(manager)
    allowed = _allowed_roles(manager)
    if allowed is not None:
        chosen.roles = [r for r in chosen.roles if r in allowed] or list(allowed)
    return chosen


async def audience_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    """The audience so far (`broadcast_audience.html`), a button per kind of segment with how
    many are chosen, and in the choices window the choices of the kind being edited."""
    scope, session = await _scope(dialog_manager)
    chosen = audience_of(dialog_manager)
    # Municipalities are a choice only for someone who sees several (an admin of the region).
    kinds = [k for k in audiences.AUDIENCE_FIELDS if k != "mun" or len(scope.municipality_ids) > 1]
    if dialog_manager.dialog_data.get("no_segments"):
        kinds = [k for k in kinds if k not in audiences.segment_kinds()]
    offered = {
        kind: _labelled(kind, await _offered(dialog_manager, session, scope, chosen, kind))
        for kind in kinds
    }
    # A kind with nothing to choose (no open survey) is not offered.
    kinds = [k for k in kinds if offered[k] or k in ("school", "subject", "role", "community")]
    editing = str(dialog_manager.dialog_data.get("kind", ""))
    if editing in audiences.AUDIENCE_FIELDS and editing not in offered:
        offered[editing] = _labelled(
            editing, await _offered(dialog_manager, session, scope, chosen, editing)
        )
    selected = {k: audiences.chosen_count(chosen, k) for k in audiences.AUDIENCE_FIELDS}
    return {
        "labels": {kind: [label for _, label, on in offered[kind] if on] for kind in kinds},
        "count": await audiences.count(session, scope, effective_audience(dialog_manager)),
        "kinds": [
            (kind, t(f"broadcast.kind.{kind}") + (f" · {selected[kind]}" if selected[kind] else ""))
            for kind in kinds
        ],
        "options": [
            (value, f"{mark(on)} {short_label(label)}")
            for value, label, on in offered.get(editing, [])
        ],
    }


async def on_kind(callback: CallbackQuery, _widget: Any, manager: DialogManager, kind: str) -> None:
    if kind not in audiences.AUDIENCE_FIELDS:
        raise DomainError("broadcast.foreign_choice")
    manager.dialog_data["kind"] = kind
    # The choices step of whichever form the picker is in (the composer, the survey launch).
    choices_step: State = getattr(manager.current_context().state.group, "choices")  # noqa: B009
    await manager.switch_to(choices_step)
    scroll = manager.find("options")
    if scroll is not None:
        await scroll.set_page(0)  # each kind's choices start at their first page


async def on_choice(
    callback: CallbackQuery, _widget: Any, manager: DialogManager, value: int
) -> None:
    kind = manager.dialog_data.get("kind", "")
    scope, session = await _scope(manager)
    chosen = audience_of(manager)
    # A value that was not offered (another scope's school, an old page) is refused here.
    audiences.toggle(chosen, kind, value, await _offered(manager, session, scope, chosen, kind))
    keep_audience(manager, chosen)


async def on_reset(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    keep_audience(manager, audiences.Audience())


# --- preview, send, schedule ------------------------------------------------------------------


async def _show_as_recipients_see_it(manager: DialogManager, draft: broadcasts.Draft) -> None:
    bot: Bot = manager.middleware_data["bot"]
    chat = chat_id(manager)
    await bot.send_message(chat, t("broadcast.preview_title"))
    if draft.attachment_kind == "photo":
        await bot.send_photo(chat, draft.attachment_file_id or "", caption=draft.text or None)
    elif draft.attachment_kind == "document":
        await bot.send_document(chat, draft.attachment_file_id or "", caption=draft.text or None)
    else:
        await bot.send_message(chat, draft.text)


async def on_preview(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    draft = draft_of(manager)
    if draft is None:  # the audience step comes after the announcement: not reached normally
        await manager.switch_to(Broadcasting.compose)
        return
    await _show_as_recipients_see_it(manager, draft)
    # The preview's buttons come below the announcement, in a message of their own.
    await manager.switch_to(Broadcasting.preview, show_mode=ShowMode.SEND)


async def preview_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    """Who gets it, and who of the audience will not because they never joined the bot."""
    scope, session = await _scope(dialog_manager)
    chosen = audience_of(dialog_manager)
    count = await audiences.count(session, scope, chosen)
    unjoined = await audiences.unjoined_count(session, scope, chosen)
    return {"count": count, "can_send": count > 0, "unjoined": unjoined}


async def on_unjoined(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    """The list of those the announcement will not reach, for personal invites; the preview's
    buttons come again below the file."""
    person, session, _settings = who(manager)
    scope, _session = await _scope(manager)
    people = await audiences.unjoined(session, scope, audience_of(manager), person)
    bot: Bot = manager.middleware_data["bot"]
    await bot.send_document(chat_id(manager), unjoined_file(people, "not-joined.xlsx"))
    manager.show_mode = ShowMode.SEND


async def _create(manager: DialogManager, scheduled_at: datetime | None = None) -> Broadcast:
    """The broadcast and its deliveries; the form is done."""
    person, session, settings = who(manager)
    draft = draft_of(manager)
    if draft is None:
        raise DomainError("broadcast.empty")
    broadcast = await broadcasts.create(
        session,
        settings,
        person,
        draft_key=manager.dialog_data["draft_key"],
        draft=draft,
        audience=audience_of(manager),
        scheduled_at=scheduled_at,
    )
    await manager.done()
    return broadcast


async def on_send(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
    person, session, _settings = who(manager)
    broadcast = await _create(manager)
    # The coordinator watches it go in a message of its own, with a stop button.
    progress = await broadcasts.progress(session, broadcast)
    text = render(manager, "broadcast_progress.html", broadcast=broadcast, p=progress)
    await open_progress_message(manager.middleware_data["bot"], broadcast, person, text)


async def on_time(message: Message, _widget: Any, manager: DialogManager) -> None:
    _person, session, settings = who(manager)
    scope, _session = await _scope(manager)
    tz = await broadcasts.sender_timezone(session, scope, settings)
    moment = broadcasts.parse_schedule(message.text or "", tz, datetime.now(UTC))
    broadcast = await _create(manager, scheduled_at=moment)
    await tell(
        manager,
        render(manager, "broadcast_scheduled.html", broadcast=broadcast, tz=tz),
        progress_keyboard(broadcast.id),
    )


# --- the windows ------------------------------------------------------------------------------


def _cancel() -> Cancel:
    return cancel("broadcast.cancel_draft", "broadcast.dropped")


def _to(state: State, key: str, when: str | None = None) -> SwitchTo:
    """A button back to an earlier step, which keeps everything answered so far."""
    return SwitchTo(T(key), id="to_" + str(state.state).split(":")[-1], state=state, when=when)


def dialog() -> Dialog:
    return Dialog(
        Window(
            T("broadcast.ask_content"),
            # Back from «change the text» without changing it.
            _to(Broadcasting.audience, "broadcast.back", when="has_draft"),
            _cancel(),
            MessageInput(on_content, filter=meant_for_form),
            getter=compose_getter,
            state=Broadcasting.compose,
        ),
        Window(
            Template("broadcast_audience.html"),
            Column(choices("kind", "kinds", on_kind)),
            Button(T("broadcast.audience_reset"), id="reset", on_click=on_reset),
            Button(T("broadcast.to_preview"), id="preview", on_click=on_preview),
            _to(Broadcasting.compose, "broadcast.edit_text"),
            _cancel(),
            waits_for_buttons("broadcast.use_buttons"),
            getter=audience_getter,
            state=Broadcasting.audience,
        ),
        Window(
            Template("broadcast_audience.html"),
            paged_choices(
                "options", "choice", "options", on_choice, per_page=CHOICES_PER_PAGE, numbers=True
            ),
            _to(Broadcasting.audience, "broadcast.back"),
            waits_for_buttons("broadcast.use_buttons"),
            getter=audience_getter,
            state=Broadcasting.choices,
        ),
        Window(
            Template("broadcast_preview.html"),
            Button(T("broadcast.send_now"), id="send", on_click=on_send, when="can_send"),
            SwitchTo(
                T("broadcast.schedule"),
                id="schedule",
                state=Broadcasting.schedule,
                when="can_send",
            ),
            Button(
                T("broadcast.unjoined_file"), id="unjoined", on_click=on_unjoined, when="unjoined"
            ),
            _to(Broadcasting.audience, "broadcast.edit_audience"),
            _cancel(),
            waits_for_buttons("broadcast.use_buttons"),
            getter=preview_getter,
            state=Broadcasting.preview,
        ),
        Window(
            T("broadcast.ask_time"),
            _to(Broadcasting.preview, "broadcast.back"),
            _cancel(),
            *waits_for_text(on_time, "broadcast.schedule_format"),
            state=Broadcasting.schedule,
        ),
        on_start=on_start,
    )
