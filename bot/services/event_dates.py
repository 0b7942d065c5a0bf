"""Dates and times of events as organisers type them: «25.12 15:00», «завтра в 10»,
«15 марта 14:30», «в пятницу в 9», «25.12.2026 9:30», «tomorrow at 10», «friday 9am».

The text is read in the organiser's zone (their municipality's, or the deployment's). The time
and the day are read apart: the time by a pattern (dateparser takes «в 9» for the 9th of the
month), numeric and «15 марта» days by rules of their own (Russian order: day, month, year),
and words like «завтра», «в пятницу», «через неделю» by `dateparser`.

A reading is a `Moment`, or a `Refusal` saying why not; nothing here raises. A moment is taken
only once the organiser has seen it written back unambiguously (`describe`).

Rules decided here:
- «31.02», «30 февраля»: impossible (no such day), not the 3rd of March.
- a bare number («12») and an all-slashes date whose day and month could be swapped
  («10/11/12», «03/04») are ambiguous: asked again as ДД.ММ.ГГГГ. Dots are Russian order
  («10.11.26» is the 10th of November 2026); with slashes a part over 12 decides
  («12/25» is the 25th of December).
- no time given («25.12», «завтра»): the time is asked for.
- a day without a year is the next such day: «05.01» typed in December is next January.
- a weekday is the next one: «в пятницу» on a Friday is a week later, never today.
- a time the clock skips or repeats in the zone (summer time changes) is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

import dateparser
from babel.dates import format_datetime

Reason = Literal["unreadable", "impossible", "past", "no_time", "ambiguous", "too_far"]

# Further ahead than this is a typo (a year typed wrong), not a plan.
MAX_AHEAD = timedelta(days=2 * 366)


@dataclass(frozen=True)
class Moment:
    """A moment read from the text: aware, in UTC."""

    at: datetime


@dataclass(frozen=True)
class Refusal:
    reason: Reason


Reading = Moment | Refusal


# --- the time ---------------------------------------------------------------------------------

# «15:00» anywhere; «9.30» only after «в»/«at» («25.12» is a day).
_CLOCK = re.compile(r"(?<![\d.:/])(\d{1,2}):(\d{2})(?![\d.:/])\s*(am|pm)?")
_AT_HOUR = re.compile(
    r"(?:^|\s)(?:в|во|к|at|@)\s*(\d{1,2})(?:\.(\d{2}))?(?:\s*(?:ч|час|часа|часов|h))?\s*"
    r"(am|pm|утра|дня|вечера|ночи)?\s*$"
)
_HOUR_SUFFIX = re.compile(
    r"(?:^|\s)(\d{1,2})\s*(?:(am|pm)|(?:ч|час|часа|часов|h)\b|\s(утра|дня|вечера|ночи))\s*$"
)
_AFTERNOON = {"pm", "дня", "вечера"}


def _hour(raw: str, meridiem: str | None) -> int | None:
    hour = int(raw)
    if meridiem in ("am", "утра", "ночи"):
        return None if hour > 12 else hour % 12
    if meridiem in _AFTERNOON:
        return None if hour > 12 else hour % 12 + 12
    return hour


def _split_time(text: str) -> tuple[str, time | None, bool]:
    """The text without its time, the time, and whether a time was there but is no time
    («25:70»)."""
    found = list(_CLOCK.finditer(text))
    if found:
        match = found[-1]
        hour = _hour(match[1], match[3])
        minute = int(match[2])
        rest = (text[: match.start()] + " " + text[match.end() :]).strip()
        rest = re.sub(r"(?:^|\s)(?:в|во|к|at|@)\s*$", "", rest).strip()
        if hour is None or hour > 23 or minute > 59:
            return rest, None, True
        return rest, time(hour, minute), False
    at_hour = _AT_HOUR.search(text)
    if at_hour:
        hour, minute = _hour(at_hour[1], at_hour[3]), int(at_hour[2] or 0)
        rest = text[: at_hour.start()].strip()
        if hour is None or hour > 23 or minute > 59:
            return rest, None, True
        return rest, time(hour, minute), False
    suffixed = _HOUR_SUFFIX.search(text)
    if suffixed:
        hour = _hour(suffixed[1], suffixed[2] or suffixed[3])
        rest = text[: suffixed.start()].strip()
        if hour is None or hour > 23:
            return rest, None, True
        return rest, time(hour, 0), False
    return text, None, False


# --- the day ----------------------------------------------------------------------------------

_NUMERIC = re.compile(r"^(\d{1,4})([./-])(\d{1,2})(?:\2(\d{2}|\d{4}))?$")
_MONTHS = {
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7,
    "авг": 8, "сен": 9, "окт": 10, "ноя": 11, "дек": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_DAY_MONTH = re.compile(r"^(?:on\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([a-zа-яё]+)\.?(?:\s+(\d{4}))?$")
_MONTH_DAY = re.compile(r"^(?:on\s+)?([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$")
_WEEKDAYS = re.compile(
    r"понедельник|вторник|сред|четверг|пятниц|суббот|воскресень"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_TODAY = re.compile(r"сегодня|today")


class _Refused(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


def _month(word: str) -> int | None:
    return _MONTHS.get(word[:3]) if len(word) >= 3 else None


def _day_of(year: int | None, month: int, day: int, today: date) -> date:
    """The day; without a year, the next such day from today."""
    try:
        if year is not None:
            return date(year, month, day)
        found = date(today.year, month, day)
    except ValueError as error:
        # «29.02» without a year: a real day in a leap year ahead.
        if year is None and (month, day) == (2, 29):
            for ahead in range(1, 5):
                try:
                    return date(today.year + ahead, 2, 29)
                except ValueError:
                    continue
        raise _Refused("impossible") from error
    if found < today:
        try:
            return date(today.year + 1, month, day)
        except ValueError as error:
            raise _Refused("impossible") from error
    return found


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    return 2000 + int(raw) if len(raw) == 2 else int(raw)


def _numeric_day(match: re.Match[str], today: date) -> date:
    first, separator, second, year_raw = match[1], match[2], match[3], match[4]
    if len(first) > 2:
        raise _Refused("unreadable")
    day, month = int(first), int(second)
    if separator == "/":
        a, b = int(first), int(second)
        if a <= 12 and b <= 12 and a != b:
            raise _Refused("ambiguous")
        if b > 12 >= a:  # 12/25: the American order
            day, month = b, a
    if not 1 <= month <= 12 or day < 1:
        raise _Refused("impossible")
    return _day_of(_year(year_raw), month, day, today)


def _worded_day(text: str, today: date) -> date | None:
    """«15 марта», «15 марта 2027», «March 15», «15 march»; None if it is not such a day."""
    match = _DAY_MONTH.match(text)
    if match and (month := _month(match[2])) is not None:
        return _day_of(_year(match[3]), month, int(match[1]), today)
    match = _MONTH_DAY.match(text)
    if match and (month := _month(match[1])) is not None:
        return _day_of(_year(match[3]), month, int(match[2]), today)
    return None


def _relative_day(text: str, local_now: datetime) -> date:
    """«завтра», «в пятницу», «через неделю», «next monday» by dateparser."""
    found = dateparser.parse(
        text,
        languages=["ru", "en"],
        settings={
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "PREFER_DATES_FROM": "future",
            "DATE_ORDER": "DMY",
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    if found is None:
        raise _Refused("unreadable")
    day: date = found.date()
    if _WEEKDAYS.search(text) and day <= local_now.date():
        day += timedelta(days=7 * ((local_now.date() - day).days // 7 + 1))
    return day


def _day(text: str, local_now: datetime) -> date:
    today = local_now.date()
    if not text:
        raise _Refused("no_time")  # a time alone: what day is not said (handled by callers)
    if text.isdigit():
        raise _Refused("ambiguous")
    numeric = _NUMERIC.match(text)
    if numeric:
        return _numeric_day(numeric, today)
    worded = _worded_day(text, today)
    if worded is not None:
        return worded
    return _relative_day(text, local_now)


def _normal(text: str) -> str:
    text = text.strip().lower().replace("ё", "е")
    text = re.sub(r";|(?<!\d),|,(?!\d)", " ", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip()


def _aware(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The moment of a local day and time; a time the clock skips or repeats is refused."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise _Refused("impossible")  # the clock skips it
    if first.utcoffset() != second.utcoffset():
        raise _Refused("ambiguous")  # the clock shows it twice
    return first.astimezone(UTC)


def parse_moment(text: str, tz: ZoneInfo, now: datetime) -> Reading:
    """A day and a time typed by a person, in `tz`; not in the past, at most two years ahead."""
    normal = _normal(text)
    if not normal or len(normal) > 100:
        return Refusal("unreadable")
    rest, at, broken = _split_time(normal)
    if broken:
        return Refusal("impossible")
    local_now = now.astimezone(tz)
    try:
        day = _day(rest, local_now) if rest or at is None else None
    except _Refused as refused:
        if refused.reason == "no_time" and at is None:
            return Refusal("unreadable")
        return Refusal(refused.reason)
    if at is None:
        return Refusal("no_time")
    if day is None:  # a time alone («в 15:00»): the day must be said
        return Refusal("ambiguous")
    try:
        moment = _aware(day, at, tz)
    except _Refused as refused:
        return Refusal(refused.reason)
    if moment <= now:
        return Refusal("past")
    if moment > now + MAX_AHEAD:
        return Refusal("too_far")
    return Moment(moment)


def parse_day(text: str, today: date) -> date | Refusal:
    """A day alone («31.03.2027», «31 марта», «завтра»), for deadlines: without a year, the
    next such day from `today`. Whether a past day is allowed is the caller's rule."""
    normal = _normal(text)
    if not normal or len(normal) > 100:
        return Refusal("unreadable")
    try:
        day = _day(normal, datetime.combine(today, time(12, 0)))
    except _Refused as refused:
        return Refusal("unreadable" if refused.reason == "no_time" else refused.reason)
    if day > today + MAX_AHEAD:
        return Refusal("too_far")
    return day


# --- the end of an event, a session's times -------------------------------------------------

_ONLY_CLOCK = re.compile(r"^(?:до|to|till|until)?\s*(\d{1,2})[:.](\d{2})$")
_DURATION = re.compile(
    r"^(?:\+|на|for)?\s*(\d{1,2}(?:[.,]\d{1,2})?)\s*(ч|час|часа|часов|h|hours?|hrs?"
    r"|мин|минут|минуты|min|minutes?)\.?$"
)
_RANGE = re.compile(r"^(\d{1,2})[:.](\d{2})\s*(?:-|–|—|до|to)\s*(\d{1,2})[:.](\d{2})$")
MAX_LENGTH = timedelta(days=60)


def _clock(hour: str, minute: str) -> time | None:
    h, m = int(hour), int(minute)
    return time(h, m) if h <= 23 and m <= 59 else None


def parse_end(text: str, start: datetime, tz: ZoneInfo, now: datetime) -> Reading:
    """The end: a time on the start's day («17:30»), a length («3 ч», «90 мин», «1,5 ч»), or a
    day and a time. It comes after the start."""
    normal = _normal(text)
    local_start = start.astimezone(tz)
    end: datetime | None = None
    only = _ONLY_CLOCK.match(normal)
    duration = _DURATION.match(normal)
    try:
        if only:
            at = _clock(only[1], only[2])
            if at is None:
                return Refusal("impossible")
            end = _aware(local_start.date(), at, tz)
        elif duration:
            amount = float(duration[1].replace(",", "."))
            minutes = amount if duration[2].startswith(("м", "min")) else amount * 60
            end = start + timedelta(minutes=minutes)
    except _Refused as refused:
        return Refusal(refused.reason)
    if end is None:
        reading = parse_moment(text, tz, now)
        if isinstance(reading, Refusal):
            return reading
        end = reading.at
    if end <= start:
        return Refusal("past")
    if end - start > MAX_LENGTH:
        return Refusal("too_far")
    return Moment(end)


def parse_range(text: str, day: date, tz: ZoneInfo) -> tuple[datetime, datetime] | Refusal:
    """«10:00–11:30» on `day` (a session of a «десант»)."""
    match = _RANGE.match(_normal(text))
    if match is None:
        return Refusal("unreadable")
    begin, finish = _clock(match[1], match[2]), _clock(match[3], match[4])
    if begin is None or finish is None:
        return Refusal("impossible")
    try:
        start, end = _aware(day, begin, tz), _aware(day, finish, tz)
    except _Refused as refused:
        return Refusal(refused.reason)
    if end <= start:
        return Refusal("past")
    return start, end


# --- written back -----------------------------------------------------------------------------


def describe(moment: datetime, tz: tzinfo, locale: str, *, home: tzinfo | None = None) -> str:
    """The moment as nobody can misread it: «пятница, 20 марта 2026, 09:00», with the zone's
    name when it is not the deployment's (`home`)."""
    written = str(format_datetime(moment.astimezone(tz), "EEEE, d MMMM y, HH:mm", locale=locale))
    if home is not None and str(home) != str(tz):
        written += f" ({tz})"
    return written
