"""Per-municipality deadlines of questions (remind, escalate, auto-close) and the time zone.

A coordinator manages the municipalities of their grants, an admin those of their region.
None in a column means the deployment's default from the settings, so a reset is a write of
None, not of today's default: a later change of the deployment's default then applies here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from zoneinfo import available_timezones

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import program_years
from bot.services.scope import scope_of
from bot.services.typed_numbers import NotAWholeNumber, OutOfRange, typed_whole_number
from config.settings import Settings
from storage.models import Municipality, Person, YearKind
from storage.repositories.places import PlacesRepo

# The zones offered as buttons, west to east; any other IANA zone may be typed.
COMMON_ZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
)
ZONE_NAME_MAX = 64  # the width of Municipality.timezone


class Deadline(StrEnum):
    REMIND = "remind"
    ESCALATE = "escalate"
    AUTOCLOSE = "autoclose"


@dataclass(frozen=True)
class Bounds:
    minimum: int
    maximum: int


BOUNDS = {
    Deadline.REMIND: Bounds(1, 24 * 30),
    Deadline.ESCALATE: Bounds(1, 24 * 60),
    Deadline.AUTOCLOSE: Bounds(1, 365),
}


@dataclass(frozen=True)
class Value:
    """A deadline as the screen shows it: the effective number and whether it is the default."""

    number: int
    is_default: bool
    default: int


@dataclass(frozen=True)
class DeadlinesView:
    municipality: Municipality
    remind: Value
    escalate: Value
    autoclose: Value
    timezone: str
    timezone_is_default: bool
    year_kind: YearKind = YearKind.CALENDAR


def _value(own: int | None, default: int) -> Value:
    return Value(own, False, default) if own is not None else Value(default, True, default)


def view(municipality: Municipality, settings: Settings) -> DeadlinesView:
    return DeadlinesView(
        municipality=municipality,
        remind=_value(municipality.sla_remind_hours, settings.sla_remind_hours),
        escalate=_value(municipality.sla_escalate_hours, settings.sla_escalate_hours),
        autoclose=_value(municipality.thread_autoclose_days, settings.thread_autoclose_days),
        timezone=municipality.timezone or settings.timezone,
        timezone_is_default=municipality.timezone is None,
        year_kind=program_years.kind_of(municipality),
    )


def quiet_hours(settings: Settings) -> tuple[str, str] | None:
    """The night when the clock of a question stops, or None when the deployment has none."""
    if settings.quiet_hours_start == settings.quiet_hours_end:
        return None
    return (
        settings.quiet_hours_start.strftime("%H:%M"),
        settings.quiet_hours_end.strftime("%H:%M"),
    )


async def manageable_municipalities(
    session: AsyncSession, person: Person
) -> Sequence[Municipality]:
    """The municipalities whose deadlines `person` may set, by name."""
    scope = await scope_of(session, person)
    found = await PlacesRepo(session).municipalities_with_ids(scope.municipality_ids)
    if not found:
        raise DomainError("deadlines.no_municipalities")
    return sorted(found, key=lambda m: m.name)


async def managed_municipality(
    session: AsyncSession, person: Person, municipality_id: int
) -> Municipality:
    """The municipality if `person` may set its deadlines; an old button or a foreign id is
    refused."""
    scope = await scope_of(session, person)
    municipality = await PlacesRepo(session).municipality(municipality_id)
    if municipality is None or not scope.covers_municipality(municipality.id):
        raise DomainError("deadlines.not_yours")
    return municipality


def parse_number(deadline: Deadline, raw: str) -> int:
    bounds = BOUNDS[deadline]
    try:
        return typed_whole_number(raw, bounds.minimum, bounds.maximum)
    except NotAWholeNumber:
        raise DomainError(f"deadlines.not_a_number_{deadline}") from None
    except OutOfRange:
        raise DomainError(
            f"deadlines.out_of_range_{deadline}", min=bounds.minimum, max=bounds.maximum
        ) from None


async def set_deadline(
    session: AsyncSession,
    person: Person,
    municipality_id: int,
    deadline: Deadline,
    raw: str,
    settings: Settings,
) -> Municipality:
    """Validate the typed number and store it; the coordinator must always be alerted later
    than the tutor is reminded, whichever of the two is the default."""
    municipality = await managed_municipality(session, person, municipality_id)
    number = parse_number(deadline, raw)
    current = view(municipality, settings)
    if deadline == Deadline.REMIND:
        if number >= current.escalate.number:
            raise DomainError(
                "deadlines.remind_not_before_escalate", escalate=current.escalate.number
            )
        municipality.sla_remind_hours = number
    elif deadline == Deadline.ESCALATE:
        if number <= current.remind.number:
            raise DomainError("deadlines.escalate_not_after_remind", remind=current.remind.number)
        municipality.sla_escalate_hours = number
    else:
        municipality.thread_autoclose_days = number
    return municipality


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def clean_zone(raw: str) -> str:
    """An IANA zone name as typed («asia/chita» is accepted as Asia/Chita)."""
    text = raw.strip()
    if len(text) <= ZONE_NAME_MAX:
        if text in _known_zones():
            return text
        by_folded = {zone.casefold(): zone for zone in _known_zones()}
        if text.casefold() in by_folded:
            return by_folded[text.casefold()]
    raise DomainError("deadlines.unknown_zone")


async def set_timezone(
    session: AsyncSession, person: Person, municipality_id: int, raw: str
) -> Municipality:
    """Set the zone; an empty name returns the municipality to the deployment's zone."""
    municipality = await managed_municipality(session, person, municipality_id)
    municipality.timezone = clean_zone(raw) if raw else None
    return municipality


async def reset_deadlines(
    session: AsyncSession, person: Person, municipality_id: int
) -> Municipality:
    """The three deadlines back to the deployment's defaults; the time zone is a fact about
    the place, not a preference, so it stays."""
    municipality = await managed_municipality(session, person, municipality_id)
    municipality.sla_remind_hours = None
    municipality.sla_escalate_hours = None
    municipality.thread_autoclose_days = None
    return municipality


async def set_year_kind(
    session: AsyncSession, person: Person, municipality_id: int, raw: str
) -> Municipality:
    """How the municipality's program counts its years (calendar or school year); the years
    already marked keep their numbers, so a change is for a program that starts anew."""
    municipality = await managed_municipality(session, person, municipality_id)
    try:
        municipality.year_kind = YearKind(raw)
    except ValueError:
        raise DomainError("deadlines.stale") from None
    return municipality
