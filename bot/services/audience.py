"""Who a broadcast reaches: segments combined as a person would say them.

Within one kind of segment the choices add up (school A or school B); different kinds narrow
down (teachers of school A who teach maths). The scope is the sender's own: a coordinator's
municipalities, an admin's region. Later features add segments (event registrants, survey
non-responders) with `register_segment`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Select, and_, exists, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Recipient, recipient_timezones
from bot.errors import DomainError
from bot.services import scenarios
from bot.services.scope import Scope, coordinated_municipalities, scope_of
from config.settings import Settings
from storage.models import (
    Community,
    CommunityMembership,
    Municipality,
    Person,
    PersonRole,
    PersonStatus,
    PersonSubject,
    Role,
    School,
    Survey,
    SurveyInvitee,
    SurveyStatus,
)
from storage.repositories.places import PlacesRepo

# A named segment from another feature: given its argument (an event id, a survey id), the
# ids of the people in it.
SegmentBuilder = Callable[[int], Select[int]]
_SEGMENTS: dict[str, SegmentBuilder] = {}

BROADCAST_ROLES = (Role.TEACHER, Role.SCHOOL_LEADER, Role.TUTOR, Role.COORDINATOR)


def register_segment(name: str, builder: SegmentBuilder) -> None:
    _SEGMENTS[name] = builder


def known_segments() -> tuple[str, ...]:
    return tuple(sorted(_SEGMENTS))


@dataclass
class Audience:
    municipality_ids: list[int] = field(default_factory=list)
    school_ids: list[int] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    community_ids: list[int] = field(default_factory=list)
    # name -> argument, for segments registered by other features
    segments: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "municipality_ids": self.municipality_ids,
            "school_ids": self.school_ids,
            "subjects": self.subjects,
            "roles": self.roles,
            "community_ids": self.community_ids,
            "segments": self.segments,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audience:
        return cls(
            municipality_ids=[int(x) for x in data.get("municipality_ids", [])],
            school_ids=[int(x) for x in data.get("school_ids", [])],
            subjects=[str(x) for x in data.get("subjects", [])],
            roles=[str(x) for x in data.get("roles", [])],
            community_ids=[int(x) for x in data.get("community_ids", [])],
            segments={str(k): int(v) for k, v in data.get("segments", {}).items()},
        )


async def sender_scope(session: AsyncSession, sender: Person) -> Scope:
    """The sender's scope; the sender does not receive their own message (`Scope.person_id`)."""
    scope = await scope_of(session, sender)
    if scope.is_empty:
        raise DomainError("broadcast.not_allowed")
    return scope


async def validate(session: AsyncSession, scope: Scope, audience: Audience) -> Audience:
    """Refuse anything outside the sender's scope (a crafted or stale button)."""
    if any(not scope.covers_municipality(m) for m in audience.municipality_ids):
        raise DomainError("broadcast.foreign_choice")
    if audience.school_ids:
        owners = await session.scalars(
            select(School.municipality_id).where(School.id.in_(audience.school_ids))
        )
        found = owners.all()
        if len(found) != len(set(audience.school_ids)) or not all(
            scope.covers_municipality(m) for m in found
        ):
            raise DomainError("broadcast.foreign_choice")
    if audience.community_ids:
        owners = await session.scalars(
            select(Community.municipality_id).where(Community.id.in_(audience.community_ids))
        )
        found = owners.all()
        if len(found) != len(set(audience.community_ids)) or not all(
            scope.covers_municipality(m) for m in found
        ):
            raise DomainError("broadcast.foreign_choice")
    if any(role not in {r.value for r in BROADCAST_ROLES} for role in audience.roles):
        raise DomainError("broadcast.foreign_choice")
    if any(name not in _SEGMENTS for name in audience.segments):
        raise DomainError("broadcast.foreign_choice")
    for kind in _SEGMENT_KINDS.values():
        argument = audience.segments.get(kind.segment)
        if argument is not None and not await kind.owned(session, scope, argument):
            raise DomainError("broadcast.foreign_choice")
    return audience


QueryT = TypeVar("QueryT", bound=Select[*tuple[Any, ...]])


def _narrowed(query: QueryT, scope: Scope, audience: Audience) -> QueryT:
    """`query` over people, narrowed to the audience: everyone it names, joined or not."""
    municipalities = audience.municipality_ids or list(scope.municipality_ids)
    query = query.where(
        Person.status == PersonStatus.ACTIVE, Person.municipality_id.in_(municipalities)
    )
    if scope.person_id is not None:
        query = query.where(Person.id != scope.person_id)
    if audience.school_ids:
        query = query.where(Person.school_id.in_(audience.school_ids))
    if audience.subjects:
        query = query.where(
            exists().where(
                PersonSubject.person_id == Person.id, PersonSubject.subject.in_(audience.subjects)
            )
        )
    if audience.roles:
        query = query.where(
            exists().where(
                PersonRole.person_id == Person.id,
                PersonRole.role.in_([Role(r) for r in audience.roles]),
            )
        )
    if audience.community_ids:
        query = query.where(
            exists().where(
                CommunityMembership.person_id == Person.id,
                CommunityMembership.community_id.in_(audience.community_ids),
            )
        )
    for name, argument in audience.segments.items():
        query = query.where(Person.id.in_(_SEGMENTS[name](argument)))
    return query


# Who a broadcast reaches: someone who started the bot and agreed to it.
_JOINED = and_(Person.telegram_id.is_not(None), Person.consent_at.is_not(None))


def _people_query(scope: Scope, audience: Audience) -> Select[int, int | None, int | None]:
    query = select(Person.id, Person.telegram_id, Person.municipality_id).where(_JOINED)
    return _narrowed(query, scope, audience)


def people_ids(scope: Scope, audience: Audience) -> Select[int]:
    """The ids of the audience's people a message reaches (for a set-based insert)."""
    return _narrowed(select(Person.id).where(_JOINED), scope, audience)


async def count(session: AsyncSession, scope: Scope, audience: Audience) -> int:
    subquery = _people_query(scope, audience).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


@dataclass(frozen=True)
class Unjoined:
    """Someone in the audience a broadcast cannot reach: they never started the bot (or never
    agreed to it), so the coordinator invites them in person. The phone only for the coordinator
    of the person's municipality, who has it from their own roster anyway."""

    name: str | None
    school: str | None
    roles: tuple[Role, ...]
    phone: str | None


async def unjoined_count(session: AsyncSession, scope: Scope, audience: Audience) -> int:
    query = _narrowed(select(Person.id).where(not_(_JOINED)), scope, audience)
    return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)


async def unjoined(
    session: AsyncSession, scope: Scope, audience: Audience, viewer: Person
) -> list[Unjoined]:
    """The audience's people who have not joined the bot, by name."""
    query = _narrowed(
        select(Person, School.name)
        .outerjoin(School, School.id == Person.school_id)
        .where(not_(_JOINED)),
        scope,
        audience,
    ).order_by(Person.full_name, Person.id)
    coordinated = set(coordinated_municipalities(viewer))
    return [
        Unjoined(
            name=person.full_name,
            school=school,
            roles=tuple(sorted(person.role_set, key=list(Role).index)),
            phone=person.phone if person.municipality_id in coordinated else None,
        )
        for person, school in (await session.execute(query)).all()
    ]


async def recipients(
    session: AsyncSession, scope: Scope, audience: Audience, settings: Settings
) -> list[Recipient]:
    rows = (await session.execute(_people_query(scope, audience).order_by(Person.id))).all()
    zones = await recipient_timezones(session, {row[2] for row in rows}, settings.timezone)
    return [
        Recipient(
            person_id=row[0],
            chat_id=row[1] or 0,  # the query keeps only people with a Telegram id
            timezone=zones.get(row[2], settings.timezone),
        )
        for row in rows
    ]


async def subjects_in_scope(session: AsyncSession, scope: Scope) -> Sequence[str]:
    rows = await session.scalars(
        select(PersonSubject.subject)
        .join(Person, Person.id == PersonSubject.person_id)
        .where(Person.municipality_id.in_(scope.municipality_ids))
        .distinct()
        .order_by(PersonSubject.subject)
    )
    return rows.all()


# --- the composer's choices ----------------------------------------------------------------

# The kinds of segment in the audience editor and the Audience field each one fills.
AUDIENCE_FIELDS = {
    "mun": "municipality_ids",
    "school": "school_ids",
    "subject": "subjects",
    "role": "roles",
    "community": "community_ids",
}

# «Не ответили на опрос»: the non-responders of one open survey of the sender's scope.
SURVEY_SEGMENT = "survey_nonresponders"


def _survey_nonresponders(survey_id: int) -> Select[int]:
    return select(SurveyInvitee.person_id).where(
        SurveyInvitee.survey_id == survey_id, SurveyInvitee.answered_at.is_(None)
    )


async def _survey_owned(session: AsyncSession, scope: Scope, survey_id: int) -> bool:
    survey = await session.get(Survey, survey_id)
    return survey is not None and scope.owns(survey)


async def _open_surveys(session: AsyncSession, scope: Scope, chosen: Audience) -> list[Choice]:
    rows = await session.execute(
        select(Survey.id, Survey.scenario_id, Survey.deadline)
        .where(
            Survey.status == SurveyStatus.OPEN,
            or_(
                Survey.author_id == scope.person_id,
                Survey.municipality_id.in_(scope.municipality_ids),
                Survey.region_id.in_(scope.region_ids),
            ),
        )
        .order_by(Survey.id.desc())
        .limit(20)
    )
    found_rows = rows.all()
    if not found_rows:
        return []
    picked = chosen.segments.get(SURVEY_SEGMENT)
    found = scenarios.catalogue()
    return [
        Choice(
            survey_id,
            (found[scenario_id].scenario.title.ru if scenario_id in found else scenario_id)
            + f" · {deadline:%d.%m}",
            survey_id == picked,
        )
        for survey_id, scenario_id, deadline in found_rows
    ]


@dataclass(frozen=True)
class Choice:
    """One button of the audience editor. Roles carry their value ("teacher") as the label,
    for the handler to name in the reader's language; subjects and roles are chosen by their
    position, so the button stays short."""

    value: int
    label: str
    chosen: bool


@dataclass(frozen=True)
class SegmentKind:
    """A kind of segment of another feature in the audience editor: one of its items at a
    time (a survey's non-responders, an event's registrants). `offered` lists the items of
    the sender's scope, `owned` says whether an item is theirs (a crafted button is refused)."""

    segment: str
    builder: SegmentBuilder
    offered: Callable[[AsyncSession, Scope, Audience], Awaitable[list[Choice]]]
    owned: Callable[[AsyncSession, Scope, int], Awaitable[bool]]


_SEGMENT_KINDS: dict[str, SegmentKind] = {}


def register_segment_kind(kind: str, found: SegmentKind) -> None:
    """Offer a segment in the audience editor as a kind of its own (after the plain ones)."""
    register_segment(found.segment, found.builder)
    _SEGMENT_KINDS[kind] = found
    AUDIENCE_FIELDS[kind] = "segments"


def segment_kinds() -> tuple[str, ...]:
    return tuple(_SEGMENT_KINDS)


def chosen_count(chosen: Audience, kind: str) -> int:
    """How many choices of `kind` the audience holds (a segment kind: its one item or none)."""
    if kind in _SEGMENT_KINDS:
        return int(_SEGMENT_KINDS[kind].segment in chosen.segments)
    return len(getattr(chosen, AUDIENCE_FIELDS[kind]))


register_segment_kind(
    "survey",
    SegmentKind(SURVEY_SEGMENT, _survey_nonresponders, _open_surveys, _survey_owned),
)


async def choices(session: AsyncSession, scope: Scope, chosen: Audience, kind: str) -> list[Choice]:
    """Every choice of `kind` within the sender's scope."""
    municipalities = chosen.municipality_ids or list(scope.municipality_ids)
    if kind == "mun":
        rows = await session.execute(
            select(Municipality.id, Municipality.name)
            .where(Municipality.id.in_(scope.municipality_ids))
            .order_by(Municipality.name)
        )
        return [Choice(i, n, i in chosen.municipality_ids) for i, n in rows.all()]
    if kind == "school":
        schools = await session.scalars(
            select(School).where(School.municipality_id.in_(municipalities)).order_by(School.name)
        )
        return [Choice(s.id, s.label, s.id in chosen.school_ids) for s in schools.all()]
    if kind == "subject":
        subjects = await subjects_in_scope(session, scope)
        return [Choice(i, s, s in chosen.subjects) for i, s in enumerate(subjects)]
    if kind == "role":
        return [Choice(i, r.value, r.value in chosen.roles) for i, r in enumerate(BROADCAST_ROLES)]
    if kind in _SEGMENT_KINDS:
        return await _SEGMENT_KINDS[kind].offered(session, scope, chosen)
    if kind == "community":
        communities = await session.scalars(
            select(Community)
            .where(Community.municipality_id.in_(municipalities), Community.is_active.is_(True))
            .order_by(Community.name)
        )
        return [Choice(c.id, c.name, c.id in chosen.community_ids) for c in communities.all()]
    raise DomainError("broadcast.foreign_choice")


def toggle(chosen: Audience, kind: str, value: int, offered: Sequence[Choice]) -> None:
    """Add or remove one choice; a value that was not offered (a stale button or a foreign id)
    is refused."""
    choice = next((c for c in offered if c.value == value), None)
    if choice is None:
        raise DomainError("broadcast.foreign_choice")
    if kind in _SEGMENT_KINDS:
        # One item at a time: one survey's non-responders, one event's registrants.
        segment = _SEGMENT_KINDS[kind].segment
        if chosen.segments.get(segment) == value:
            chosen.segments.pop(segment)
        else:
            chosen.segments[segment] = value
        return
    values: list[Any] = getattr(chosen, AUDIENCE_FIELDS[kind])
    item: Any = choice.label if kind in ("subject", "role") else value
    if item in values:
        values.remove(item)
    else:
        values.append(item)
    if kind == "mun":
        # Schools and communities belong to municipalities: a new set of those starts afresh.
        chosen.school_ids.clear()
        chosen.community_ids.clear()


async def home_of(
    session: AsyncSession, scope: Scope, target: Audience
) -> tuple[int | None, int | None]:
    """Whose a survey or an event is, by its audience: one municipality's, or (an admin's,
    several municipalities) the region's."""
    municipalities = target.municipality_ids or list(scope.municipality_ids)
    if len(municipalities) == 1:
        return municipalities[0], None
    if scope.region_ids:
        return None, scope.region_ids[0]
    place = await PlacesRepo(session).municipality(municipalities[0])
    return None, place.region_id if place is not None else None
