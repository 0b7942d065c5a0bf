"""Plain data the question services and the relay transport (`bot.transport.questions`) hand
each other: the facts of a message that came in, what a relay came to, and the notices a
change calls for. The services decide with these; only the transport knows Telegram.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from storage.models import Person

# What the relay carries; anything else (stickers, locations, polls…) is refused with a message.
CARRIED_KINDS = ("text", "photo", "document", "voice", "video", "audio")
# Cards and answer headers are recorded too (a reply to them threads correctly) but they are
# the bot's words, not the thread's content.
CARD_KIND = "card"


def short_name(full_name: str | None) -> str:
    """«Петрова Анна Ивановна» → «Петрова А.И.»."""
    parts = (full_name or "").split()
    if not parts:
        return "—"
    return parts[0] + (" " + "".join(f"{p[0]}." for p in parts[1:3]) if parts[1:] else "")


@dataclass(frozen=True)
class IncomingMessage:
    """A message someone wrote to the bot, as far as the services need to know it."""

    chat_id: int
    message_id: int
    # One of CARRIED_KINDS; None when the relay cannot carry it.
    content_kind: str | None


@dataclass(frozen=True)
class CardFacts:
    """What a tutor's card says about a thread: its number and who asks (name, school,
    subjects), as the first message of a thread or of a follow-up."""

    thread_id: int
    who: str
    is_new: bool


class RelayOutcome(enum.Enum):
    DELIVERED = "delivered"
    # Telegram refused the copy itself (the reader does not accept its kind, the source is gone);
    # the header sent before it was taken back.
    REFUSED = "refused"
    # The reader blocked the bot.
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Relayed:
    """What became of one relay: a header (card or answer header) and the copy of the message."""

    outcome: RelayOutcome
    # The header still standing in the reader's chat, if one went out.
    header_message_id: int | None = None
    copy_message_id: int | None = None


class NoticeKind(enum.StrEnum):
    """Each is the outbox kind of its messages; the transport knows each one's buttons and
    priority."""

    QUEUED = "thread_queue"
    CLOSED_BY_TEACHER = "thread_closed"
    ASSIGNED = "thread_assigned"
    REMINDER = "thread_remind"
    ESCALATION = "thread_escalate"
    CLOSED_AUTOMATICALLY = "thread_autoclose"


@dataclass(frozen=True)
class Notice:
    """A message about a thread for someone who did not just write to the bot: it goes through
    the outbox. The text is `text_key` with the thread's number and `params`, in the
    recipient's language."""

    kind: NoticeKind
    recipient: Person
    thread_id: int
    text_key: str
    # Running a step twice must not send its message twice.
    dedup_key: str
    params: Mapping[str, str | int] = field(default_factory=dict)
