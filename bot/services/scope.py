"""What a person may see and manage: the places their grants reach.

A coordinator's grants name the municipalities they run; an admin's grant names a region, and
with it every municipality in the region. Broadcasts, deadlines, the admin's screens and the
coordinator's lists all ask here, so "whose is this municipality" has one answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Municipality, Person, Role
from storage.repositories.people import PeopleRepo
from storage.repositories.places import PlacesRepo


def coordinated_municipalities(person: Person) -> list[int]:
    """The municipalities of the person's coordinator grants, in the order granted."""
    return [
        grant.municipality_id
        for grant in person.roles
        if grant.role == Role.COORDINATOR and grant.municipality_id is not None
    ]


def administered_regions(person: Person) -> list[int]:
    """The regions of the person's admin grants, in the order granted."""
    return [
        grant.region_id
        for grant in person.roles
        if grant.role == Role.ADMIN and grant.region_id is not None
    ]


async def municipalities_coordinated_by(
    session: AsyncSession, person: Person
) -> list[Municipality]:
    """The municipalities a coordinator runs, in the order granted (a removed one is left out)."""
    places = PlacesRepo(session)
    found = [await places.municipality(i) for i in coordinated_municipalities(person)]
    return [m for m in found if m is not None]


async def coordinators_of(session: AsyncSession, municipality_id: int | None) -> Sequence[Person]:
    """Who coordinates a municipality: those whose grant names it or who live there, by name."""
    if municipality_id is None:
        return []
    return await PeopleRepo(session).with_role(Role.COORDINATOR, municipality_id=municipality_id)


class Organised(Protocol):
    """What a survey or an event says about whose it is."""

    @property
    def author_id(self) -> int | None: ...
    @property
    def municipality_id(self) -> int | None: ...
    @property
    def region_id(self) -> int | None: ...


@dataclass(frozen=True)
class Scope:
    """The municipalities a person's grants reach: those they coordinate and every one in the
    regions they administer."""

    person_id: int | None
    municipality_ids: tuple[int, ...]  # ascending
    region_ids: tuple[int, ...] = ()  # administered, in the order granted

    @property
    def is_empty(self) -> bool:
        return not self.municipality_ids

    def covers_municipality(self, municipality_id: int | None) -> bool:
        return municipality_id in self.municipality_ids

    def owns(self, item: Organised) -> bool:
        """Whether an organiser's item (a survey, an event) is this person's to see: its
        author, a coordinator of its municipality or an admin of its region."""
        return (
            (item.author_id is not None and item.author_id == self.person_id)
            or self.covers_municipality(item.municipality_id)
            or (item.region_id is not None and item.region_id in self.region_ids)
        )


async def scope_of(session: AsyncSession, person: Person) -> Scope:
    """The person's scope; a query only for an admin, whose region's municipalities are read."""
    regions = administered_regions(person)
    ids = set(coordinated_municipalities(person))
    if regions:
        ids.update(await PlacesRepo(session).municipality_ids_in(regions))
    return Scope(person.id, tuple(sorted(ids)), tuple(regions))
