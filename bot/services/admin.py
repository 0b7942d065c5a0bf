"""The region's admin: municipalities, their schools, and invites for their coordinators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import invites, onboarding
from bot.services.scope import administered_regions
from storage.models import Municipality, Person, Role, School
from storage.repositories.people import PeopleRepo
from storage.repositories.places import PlacesRepo

NAME_MIN, NAME_MAX = 2, 200
SCHOOL_NAME_MAX = 300
FORBIDDEN_IN_NAMES = "<>{}[]"
# The school flags an admin toggles, in the order of the buttons.
SCHOOL_FLAGS = ("low_results", "unfavourable_conditions", "is_leader")


@dataclass(frozen=True)
class MunicipalityLine:
    municipality: Municipality
    schools: int
    people: int


def admin_region_id(admin: Person) -> int:
    """The region of the admin's grant (bootstrap admins get the deployment's region)."""
    regions = administered_regions(admin)
    if not regions:
        raise DomainError("admin.no_region")
    return regions[0]


async def region_municipalities(session: AsyncSession, admin: Person) -> Sequence[Municipality]:
    """The municipalities of the admin's region, by name."""
    return await PlacesRepo(session).municipalities(admin_region_id(admin))


async def overview(session: AsyncSession, admin: Person) -> Sequence[MunicipalityLine]:
    municipalities = await region_municipalities(session, admin)
    ids = [m.id for m in municipalities]
    schools = await PlacesRepo(session).school_counts(ids)
    people = await PeopleRepo(session).counts_by_municipality(ids)
    return [MunicipalityLine(m, schools.get(m.id, 0), people.get(m.id, 0)) for m in municipalities]


def _clean_name(raw: str, *, maximum: int, key: str) -> str:
    name = " ".join(raw.split())
    if not NAME_MIN <= len(name) <= maximum or any(ch in FORBIDDEN_IN_NAMES for ch in name):
        raise DomainError(key, min=NAME_MIN, max=maximum)
    return name


async def add_municipality(session: AsyncSession, admin: Person, raw_name: str) -> Municipality:
    region_id = admin_region_id(admin)
    name = _clean_name(raw_name, maximum=NAME_MAX, key="admin.municipality_name_invalid")
    places = PlacesRepo(session)
    if await places.municipality_by_folded_name(region_id, name) is not None:
        raise DomainError("admin.municipality_exists", name=name)
    municipality = Municipality(region_id=region_id, name=name)
    await places.add(municipality)
    return municipality


async def admin_municipality(
    session: AsyncSession, admin: Person, municipality_id: int
) -> Municipality:
    """A municipality of the admin's region; an old button or a foreign id is refused."""
    municipality = await PlacesRepo(session).municipality(municipality_id)
    if municipality is None or municipality.region_id != admin_region_id(admin):
        raise DomainError("admin.municipality_gone")
    return municipality


async def invite_coordinator(
    session: AsyncSession, admin: Person, municipality_id: int, raw_name: str, ttl: timedelta
) -> tuple[Person, invites.NewInvite]:
    """A roster entry for the coordinator and a personal invite; redeeming it grants the
    coordinator role scoped to this municipality."""
    municipality = await admin_municipality(session, admin, municipality_id)
    full_name = onboarding.clean_full_name(raw_name)
    coordinator = await PeopleRepo(session).add(
        Person(full_name=full_name, municipality_id=municipality.id, roles=[], subjects=[])
    )
    new = await invites.create_invite(
        session,
        created_by=admin,
        role=Role.COORDINATOR,
        municipality_id=municipality.id,
        ttl=ttl,
        person=coordinator,
    )
    return coordinator, new


async def clean_school_name(
    session: AsyncSession, admin: Person, municipality_id: int, raw_name: str
) -> str:
    municipality = await admin_municipality(session, admin, municipality_id)
    name = _clean_name(raw_name, maximum=SCHOOL_NAME_MAX, key="admin.school_name_invalid")
    if await PlacesRepo(session).school_by_folded_name(municipality.id, name) is not None:
        raise DomainError("admin.school_exists", name=name)
    return name


async def add_school(
    session: AsyncSession,
    admin: Person,
    municipality_id: int,
    raw_name: str,
    flags: Sequence[str],
) -> School:
    name = await clean_school_name(session, admin, municipality_id, raw_name)
    school = School(
        municipality_id=municipality_id,
        name=name,
        low_results="low_results" in flags,
        unfavourable_conditions="unfavourable_conditions" in flags,
        is_leader="is_leader" in flags,
    )
    await PlacesRepo(session).add(school)
    return school


def toggle_flag(flags: Sequence[str], index: int) -> list[str]:
    if not 0 <= index < len(SCHOOL_FLAGS):
        raise DomainError("admin.stale")
    flag = SCHOOL_FLAGS[index]
    return [f for f in flags if f != flag] if flag in flags else [*flags, flag]
