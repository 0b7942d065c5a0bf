"""The fields of an event as an organiser types them: each checked on its own (a title, a
number of seats, hours, a link, a kind, a moment), refusing with a `DomainError` the person
reads. `bot.services.events` checks the whole draft with them again before saving."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.errors import DomainError
from bot.services import event_dates, event_types, scenarios
from bot.services.event_dates import Refusal
from bot.services.typed_numbers import NotAWholeNumber, typed_whole_number
from config.settings import Settings
from storage.models import EventForm, EventScope, SessionKind

TITLE_MIN, TITLE_MAX = 3, 200
DESCRIPTION_MAX = 2000
ADDRESS_MAX = 300
NAME_MAX = 200  # organiser, presenter, a session's place
URL_MAX = 500
CAPACITY_MIN, CAPACITY_MAX = 1, 10_000
HOURS_MAX = 500
SELF_CHECK = "self_check_teacher"
_HOURS = re.compile(r"^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*(?:ч|h|час|часа|часов)?\.?\s*$")


def _now() -> datetime:
    return datetime.now(UTC)


# --- each field, as typed --------------------------------------------------------------------


def _no_controls(text: str, *, lines: bool) -> bool:
    allowed = {"\n", "\t"} if lines else set()
    return not any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in allowed for ch in text)


def check_title(raw: str, key: str = "events_admin.title_length") -> str:
    text = " ".join((raw or "").split())
    if not TITLE_MIN <= len(text) <= TITLE_MAX:
        raise DomainError(key, low=TITLE_MIN, high=TITLE_MAX)
    if not _no_controls(raw.strip(), lines=False):
        raise DomainError("events_admin.control_characters")
    return text


def check_line(raw: str, limit: int) -> str:
    """A one-line text (an address, the organiser, a presenter, a place)."""
    text = " ".join((raw or "").split())
    if not text or len(text) > limit:
        raise DomainError("events_admin.line_length", limit=limit)
    if not _no_controls(raw.strip(), lines=False):
        raise DomainError("events_admin.control_characters")
    return text


def check_description(raw: str) -> str:
    text = (raw or "").strip()
    if not text or len(text) > DESCRIPTION_MAX:
        raise DomainError("events_admin.description_length", limit=DESCRIPTION_MAX)
    if not _no_controls(text, lines=True):
        raise DomainError("events_admin.control_characters")
    return text


def read_capacity(raw: str) -> int:
    """A whole number of seats, 1…10 000."""
    try:
        return typed_whole_number(raw, CAPACITY_MIN, CAPACITY_MAX)
    except NotAWholeNumber as error:
        raise DomainError(
            "events_admin.capacity_number", low=CAPACITY_MIN, high=CAPACITY_MAX
        ) from error
    except ValueError as error:
        raise DomainError(
            "events_admin.capacity_range", low=CAPACITY_MIN, high=CAPACITY_MAX
        ) from error


def read_hours(raw: str) -> float:
    """Academic hours: more than 0, at most 500; «1,5» and «1.5» alike."""
    match = _HOURS.match(raw or "")
    if match is None or not all(part.isascii() for part in match.groups() if part):
        raise DomainError("events_admin.hours_format", high=HOURS_MAX)
    hours = float(f"{match[1]}.{match[2] or 0}")
    if not 0 < hours <= HOURS_MAX:
        raise DomainError("events_admin.hours_format", high=HOURS_MAX)
    return hours


def check_url(raw: str) -> str:
    text = (raw or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise DomainError("events_admin.url_format") from error
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or len(text) > URL_MAX
        or any(ch.isspace() for ch in text)
        or not _no_controls(text, lines=False)
    ):
        raise DomainError("events_admin.url_format")
    return text


def check_type(type_id: str) -> event_types.EventType:
    kind = event_types.get(type_id)
    if kind is None:
        raise DomainError("error.stale_button")
    return kind


def check_form(value: str) -> EventForm:
    try:
        return EventForm(value)
    except ValueError as error:
        raise DomainError("error.stale_button") from error


def check_scope(value: str) -> EventScope:
    try:
        return EventScope(value)
    except ValueError as error:
        raise DomainError("error.stale_button") from error


def check_session_kind(value: str) -> SessionKind:
    try:
        return SessionKind(value)
    except ValueError as error:
        raise DomainError("error.stale_button") from error


@dataclass(frozen=True)
class Topic:
    id: str
    title: str


def topics(locale: str) -> list[Topic]:
    """The self-check's blocks (an event's topics; a teacher's route matches its deficits)."""
    found = scenarios.catalogue().get(SELF_CHECK)
    if found is None:
        return []
    return [
        Topic(section.id, section.title.get(locale))
        for section in found.scenario.sections
        if section.scored
    ]


def toggle_topic(chosen: Sequence[str], topic_id: str) -> list[str]:
    if topic_id not in {t.id for t in topics("ru")}:
        raise DomainError("error.stale_button")
    return [t for t in chosen if t != topic_id] if topic_id in chosen else [*chosen, topic_id]


# --- moments -----------------------------------------------------------------------------------


def _refused(refusal: Refusal) -> DomainError:
    return DomainError(f"events_admin.date_{refusal.reason}")


def read_start(text: str, tz: ZoneInfo, now: datetime | None = None) -> datetime:
    reading = event_dates.parse_moment(text, tz, now or _now())
    if isinstance(reading, Refusal):
        raise _refused(reading)
    return reading.at


def read_end(text: str, start: datetime, tz: ZoneInfo, now: datetime | None = None) -> datetime:
    reading = event_dates.parse_end(text, start, tz, now or _now())
    if isinstance(reading, Refusal):
        if reading.reason == "past":
            raise DomainError("events_admin.end_before_start")
        raise _refused(reading)
    return reading.at


def read_deadline(
    text: str, start: datetime, tz: ZoneInfo, now: datetime | None = None
) -> datetime:
    reading = event_dates.parse_moment(text, tz, now or _now())
    if isinstance(reading, Refusal):
        raise _refused(reading)
    if reading.at >= start:
        raise DomainError("events_admin.deadline_after_start")
    return reading.at


def read_session_time(text: str, start: datetime, end: datetime, tz: ZoneInfo) -> tuple[int, int]:
    """«10:00–11:30» (on the event's first day) or «26.03 10:00–11:30» (a day of a longer
    event): minutes from the event's start and the length; inside the event."""
    raw = " ".join((text or "").split())
    day: date = start.astimezone(tz).date()
    match = re.match(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?\s+(.+)$", raw)
    if match:
        try:
            day = date(int(match[3] or day.year), int(match[2]), int(match[1]))
        except ValueError as error:
            raise DomainError("events_admin.date_impossible") from error
        raw = match[4]
    found = event_dates.parse_range(raw, day, tz)
    if isinstance(found, Refusal):
        if found.reason == "past":
            raise DomainError("events_admin.end_before_start")
        raise DomainError("events_admin.session_time_format")
    begin, finish = found
    if begin < start or finish > end:
        raise DomainError("events_admin.session_outside")
    return int((begin - start).total_seconds() // 60), int((finish - begin).total_seconds() // 60)


def describe(moment: datetime, tz: ZoneInfo, locale: str, settings: Settings) -> str:
    """A moment written back for confirmation: weekday, day, time, and the zone when it is
    not the deployment's."""
    return event_dates.describe(moment, tz, locale, home=settings.tz)


# --- reminders before the start -----------------------------------------------------------------

REMINDERS_MAX = 5
REMINDER_MIN_MINUTES, REMINDER_MAX_MINUTES = 10, 30 * 24 * 60
# Units a person types after a number, in minutes; a bare number is hours.
_REMINDER_UNITS = (
    (("мин", "минут", "минуты", "минута", "м", "min", "mins", "minute", "minutes", "m"), 1),
    (("ч", "час", "часа", "часов", "h", "hr", "hrs", "hour", "hours"), 60),
    (("д", "дн", "день", "дня", "дней", "сутки", "суток", "d", "day", "days"), 24 * 60),
    (("нед", "неделя", "недели", "недель", "неделю", "w", "wk", "week", "weeks"), 7 * 24 * 60),
)
_UNIT_MINUTES = {word: minutes for words, minutes in _REMINDER_UNITS for word in words}
_REMINDER = re.compile(r"^(\d{1,4})?\s*([^\d\s.]*)\.?$")
_REMINDER_SPLIT = re.compile(r"\s*(?:,|;|\bи\b|\band\b)\s*", re.IGNORECASE)


def read_reminder_offsets(raw: str) -> list[int]:
    """«1 день, 2 часа» (or «за сутки и за час», «3 d, 30 min», a bare «24» for hours): when to
    remind registrants, as minutes before the start, latest last; 1–5 of them, 10 minutes to
    30 days each."""
    text = unicodedata.normalize("NFKC", raw or "").strip().lower().replace("за ", "")
    parts = [part for part in _REMINDER_SPLIT.split(text) if part.strip()]
    if not parts:
        raise DomainError("events_admin.reminders_format")
    found: list[int] = []
    for part in parts:
        match = _REMINDER.match(part.strip())
        # «за час» is one hour; a bare «24» is hours.
        if match is None or not (match[1] or match[2]):
            raise DomainError("events_admin.reminders_format")
        unit = _UNIT_MINUTES.get(match[2] or "ч")
        if unit is None:
            raise DomainError("events_admin.reminders_format")
        found.append(int(match[1] or 1) * unit)
    return check_reminder_offsets(found)


def check_reminder_offsets(minutes: Sequence[int]) -> list[int]:
    """1–5 distinct offsets of 10 minutes to 30 days, latest last."""
    if not minutes:
        raise DomainError("events_admin.reminders_format")
    if any(not REMINDER_MIN_MINUTES <= value <= REMINDER_MAX_MINUTES for value in minutes):
        raise DomainError("events_admin.reminders_range")
    distinct = sorted(set(minutes), reverse=True)
    if len(distinct) > REMINDERS_MAX:
        raise DomainError("events_admin.reminders_many", most=REMINDERS_MAX)
    return distinct


@dataclass(frozen=True)
class Offset:
    """A reminder offset for the screen: how many of which unit («2 дня», «30 мин»)."""

    count: int
    unit: str  # "days", "hours" or "minutes"


def offsets_of(minutes: Sequence[int]) -> list[Offset]:
    shown = []
    for value in sorted(minutes, reverse=True):
        if value % (24 * 60) == 0:
            shown.append(Offset(value // (24 * 60), "days"))
        elif value % 60 == 0:
            shown.append(Offset(value // 60, "hours"))
        else:
            shown.append(Offset(value, "minutes"))
    return shown
