"""A person's own data: the profile, the full export (/mydata) and forgetting (/forget).

What /forget removes and what it keeps:
- the person row stays, so anonymous aggregates (how many teachers of a school, of a role,
  took part) still add up, but everything that names or reaches the person is cleared:
  full name, phone, Telegram id, language, consent; the status becomes FORGOTTEN;
- roles and school stay (they are what the aggregates count), subjects go (in a village
  school «the chemistry teacher» is one person);
- community memberships stay: with no name, phone or Telegram id left they are only counts,
  and the program's KPI «share of teachers in network communities» counts them;
- tutor assignments stay for the same reason (the views leave forgotten people out);
- join requests go (they hold the name as typed), invites addressed to the person go;
- every FSM record of the Telegram user goes: in the database and, with Redis, in Redis;
- background jobs the person asked for go, done or not (the row stays, so the foreign key's
  cascade alone would keep them): a job still running stops at its next step and says nothing.
- other people's messages that name the person (join-request cards, thread notices) lose the
  name, or go when queued and only about them; roster files not applied yet that list the
  person go (README «Персональные данные» and tests/test_forget_scan.py hold the whole list);
- survey answers written in their own words, unfinished responses, their route (ИОМ) and
  survey invitations go; submitted self-check scores stay, with the anonymised person row;
- the copies of their questions in a tutor's chat keep their place there (not where they came
  from), so a tutor replying to one is told the teacher has left.
After this, /start begins from zero and nothing links the old roster entry back.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.fsm_storage import forget_user_states
from bot.services import (
    assignments,
    deadline_privacy,
    event_attendance,
    event_registration,
    roster,
    self_check,
)
from bot.services.phones import normalize_phone
from bot.services.question_messages import NoticeKind, short_name
from bot.services.roster_parse import RosterRow
from bot.texts import t
from config.settings import Settings
from storage.models import (
    Consultation,
    ConsultationTeacher,
    Delivery,
    DeliveryStatus,
    FsmRecord,
    Invite,
    JoinRequest,
    Municipality,
    Person,
    PersonStatus,
    School,
    Thread,
    ThreadMessage,
    TutorSubstitute,
)
from storage.repositories.assignments import AssignmentsRepo
from storage.repositories.communities import CommunitiesRepo
from storage.repositories.inbox import InboxRepo
from storage.repositories.jobs import JobsRepo
from storage.repositories.joining import JoinRequestsRepo
from storage.repositories.outbox import OutboxRepo
from storage.repositories.people import PeopleRepo
from storage.repositories.places import PlacesRepo
from storage.repositories.roster import RosterRepo

# aiogram's RedisStorage keys (DefaultKeyBuilder(with_destiny=True)):
# fsm:<chat_id>[:<thread_id>]:<user_id>:<destiny>:<state|data|lock>
_REDIS_KEY_PATTERN = "fsm:*:{user_id}:*"
_REDIS_FSM_PARTS = frozenset({"state", "data"})
# The flood counters of bot.updates.pacing.RedisRateCounter, keyed by the Telegram id (they
# expire within a minute, but the id is the person's; test_forget_scan notices a new name).
_REDIS_FLOOD_PATTERN = "nastavnik:flood:{user_id}:*"


@dataclass(frozen=True)
class Profile:
    person: Person
    school: School | None
    municipality: Municipality | None
    tutors: list[assignments.TutorOfTeacher]
    communities: list[str]


async def profile(session: AsyncSession, person: Person) -> Profile:
    places = PlacesRepo(session)
    school = await places.school(person.school_id) if person.school_id else None
    municipality = (
        await places.municipality(person.municipality_id) if person.municipality_id else None
    )
    memberships = await CommunitiesRepo(session).memberships_of(person.id)
    return Profile(
        person=person,
        school=school,
        municipality=municipality,
        tutors=await assignments.tutors_of(session, person),
        communities=[community.name for community, _ in memberships],
    )


# --- /mydata ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


def _row(item: Any, *fields: str) -> dict[str, Any]:
    return {name: _plain(getattr(item, name)) for name in fields}


def is_fsm_key_of(key: str, user_id: int) -> bool:
    parts = key.split(":")
    return (
        len(parts) >= 5
        and parts[0] == "fsm"
        and parts[-3] == str(user_id)
        and parts[-1] in _REDIS_FSM_PARTS
    )


async def _redis_fsm_keys(redis: Redis, user_id: int) -> list[str]:
    keys: list[str] = []
    async for raw in redis.scan_iter(match=_REDIS_KEY_PATTERN.format(user_id=user_id)):
        key = raw.decode() if isinstance(raw, bytes) else str(raw)
        # The pattern's `*` also matches other users whose ids end or start alike; the exact
        # user segment decides. Locks are left alone: the current update holds one.
        if is_fsm_key_of(key, user_id):
            keys.append(key)
    return sorted(keys)


async def _fsm_snapshot(
    session: AsyncSession, redis: Redis | None, user_id: int
) -> list[dict[str, Any]]:
    records = (
        await session.scalars(
            select(FsmRecord).where(FsmRecord.user_id == user_id).order_by(FsmRecord.key)
        )
    ).all()
    snapshot = [
        {"storage": "database", **_row(record, "key", "state", "data", "updated_at")}
        for record in records
    ]
    if redis is not None:
        for key in await _redis_fsm_keys(redis, user_id):
            raw = await redis.get(key)
            value = raw.decode() if isinstance(raw, bytes) else raw
            snapshot.append({"storage": "redis", "key": key, "value": value})
    return snapshot


async def export(session: AsyncSession, person: Person, redis: Redis | None) -> dict[str, Any]:
    """Everything stored about the person, and only about them."""
    places = PlacesRepo(session)
    school = await places.school(person.school_id) if person.school_id else None
    municipality = (
        await places.municipality(person.municipality_id) if person.municipality_id else None
    )
    role_rows = []
    for grant in person.roles:
        scope_municipality = (
            await places.municipality(grant.municipality_id) if grant.municipality_id else None
        )
        role_rows.append(
            {
                "role": grant.role.value,
                "municipality_id": grant.municipality_id,
                "municipality": scope_municipality.name if scope_municipality else None,
                "region_id": grant.region_id,
            }
        )
    assignment_rows = [
        {
            **_row(a, "id", "starts_on", "ends_on", "school_id"),
            "as": "tutor" if a.tutor_id == person.id else "teacher",
            "tutor_id": a.tutor_id,
            "teacher_id": a.teacher_id,
        }
        for a in await AssignmentsRepo(session).involving(person.id)
    ]
    memberships = [
        {
            "community_id": community.id,
            "community": community.name,
            "joined_at": _plain(membership.joined_at),
        }
        for community, membership in await CommunitiesRepo(session).memberships_of(person.id)
    ]
    join_requests = (
        await session.scalars(
            select(JoinRequest).where(JoinRequest.person_id == person.id).order_by(JoinRequest.id)
        )
    ).all()
    invite_fields = ("id", "kind", "role", "municipality_id", "school_id", "created_at")
    invites_for = await _invites(session, Invite.person_id == person.id)
    invites_created = await _invites(session, Invite.created_by_id == person.id)
    invites_used = await _invites(session, Invite.used_by_id == person.id)
    return {
        "person": _row(
            person,
            "id",
            "full_name",
            "phone",
            "telegram_id",
            "locale",
            "status",
            "consent_at",
            "created_at",
            "updated_at",
            "municipality_id",
            "school_id",
        ),
        "municipality": municipality.name if municipality else None,
        "school": school.name if school else None,
        "roles": role_rows,
        "subjects": person.subject_names,
        "tutor_assignments": assignment_rows,
        "community_memberships": memberships,
        "join_requests": [
            _row(
                r,
                "id",
                "full_name",
                "subject",
                "status",
                "municipality_id",
                "school_id",
                "created_at",
                "decided_at",
            )
            for r in join_requests
        ],
        "invites_for_me": [_row(i, *invite_fields, "expires_at", "used_at") for i in invites_for],
        "invites_created": [
            _row(i, *invite_fields, "expires_at", "used_at") for i in invites_created
        ],
        "invites_used": [_row(i, *invite_fields, "used_at") for i in invites_used],
        "questions": await _questions(session, person),
        "consultations": await _consultations(session, person),
        "messages_to_me": [
            _row(d, "id", "kind", "status", "created_at", "sent_at")
            for d in (
                await session.scalars(
                    select(Delivery).where(Delivery.person_id == person.id).order_by(Delivery.id)
                )
            ).all()
        ],
        "background_jobs": [
            _row(job, "id", "kind", "status", "created_at", "finished_at")
            for job in await JobsRepo(session).of_person(person.id)
        ],
        **await self_check.own_data(session, person),
        "events_attended": await event_attendance.own_data(session, person),
        "deadline_tasks": await deadline_privacy.own_data(session, person),
        "dialog_state": (
            await _fsm_snapshot(session, redis, person.telegram_id) if person.telegram_id else []
        ),
    }


async def _questions(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    threads = await session.scalars(
        select(Thread)
        .where((Thread.teacher_id == person.id) | (Thread.tutor_id == person.id))
        .order_by(Thread.id)
    )
    fields = ("id", "status", "created_at", "first_answer_at", "closed_at", "rating")
    return [
        {
            **_row(thread, *fields),
            "as": "teacher" if thread.teacher_id == person.id else "tutor",
            # The teacher's own words about the help; a tutor does not get them in their file.
            "rating_comment": thread.rating_comment if thread.teacher_id == person.id else None,
        }
        for thread in threads.all()
    ]


async def _consultations(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    with_me = select(ConsultationTeacher.consultation_id).where(
        ConsultationTeacher.teacher_id == person.id
    )
    rows = await session.scalars(
        select(Consultation)
        .where((Consultation.tutor_id == person.id) | Consultation.id.in_(with_me))
        .order_by(Consultation.held_on, Consultation.id)
    )
    fields = ("id", "held_on", "format", "block", "topic", "duration_minutes", "outcome")
    return [
        {**_row(c, *fields, "school_id"), "as": "tutor" if c.tutor_id == person.id else "teacher"}
        for c in rows.all()
    ]


async def _invites(session: AsyncSession, condition: Any) -> Sequence[Invite]:
    return (await session.scalars(select(Invite).where(condition).order_by(Invite.id))).all()


def export_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


# --- /forget ------------------------------------------------------------------------------


async def forget_redis_states(redis: Redis, user_id: int) -> int:
    keys = await _redis_fsm_keys(redis, user_id)
    keys += [
        key async for key in redis.scan_iter(match=_REDIS_FLOOD_PATTERN.format(user_id=user_id))
    ]
    if keys:
        await redis.delete(*keys)
    return len(keys)


async def _forget_conversations(session: AsyncSession, person: Person, telegram_id: int) -> None:
    """Questions stay as anonymous counts (status, times, rating); what reaches or quotes the
    person goes: the chat ids that route replies, their comment, queued messages to them."""
    await session.execute(delete(ThreadMessage).where(ThreadMessage.relayed_chat_id == telegram_id))
    # The copies of the person's messages in a tutor's chat keep their place there (the
    # tutor's chat and message), so a tutor replying to one is told the teacher has left;
    # where they came from goes.
    await session.execute(
        update(ThreadMessage)
        .where(ThreadMessage.source_chat_id == telegram_id)
        .values(source_chat_id=0, source_message_id=0)
    )
    await session.execute(
        update(Thread).where(Thread.teacher_id == person.id).values(rating_comment=None)
    )
    await session.execute(
        delete(TutorSubstitute).where(
            (TutorSubstitute.tutor_id == person.id) | (TutorSubstitute.substitute_id == person.id)
        )
    )
    await session.execute(
        delete(Delivery).where(
            Delivery.person_id == person.id, Delivery.status == DeliveryStatus.PENDING
        )
    )
    await session.execute(
        update(Delivery)
        .where((Delivery.person_id == person.id) | (Delivery.chat_id == telegram_id))
        .values(chat_id=0, payload={}, error=None)
    )


# Messages to other people that may name the person: join-request cards and thread notices.
_KINDS_ABOUT_SOMEONE = frozenset(
    {"join_request", "self_check_note", *(kind.value for kind in NoticeKind)}
)


def _name_forms(names: Iterable[str | None]) -> list[str]:
    """The ways a message names the person («Петрова Анна Ивановна», «Петрова А.И.»), as
    written and HTML-escaped; longest first, so the full name is replaced before its parts."""
    forms: set[str] = set()
    for name in names:
        if name and name.strip():
            for form in (name, short_name(name)):
                forms.update({form, html.escape(form, quote=False)})
    return sorted(forms, key=len, reverse=True)


async def _scrub_messages_about(
    session: AsyncSession, person: Person, names: Iterable[str | None], default_locale: str
) -> None:
    """Other people's messages that name the person lose the name: a queued card about the
    person only (a join request) is dropped; any other queued message goes out with «(имя
    удалено)» where the name was, as if rendered without it; a sent one keeps its stored copy
    only so scrubbed."""
    forms = _name_forms(names)
    if not forms:
        return
    rows = await OutboxRepo(session).to_others_of_kinds(_KINDS_ABOUT_SOMEONE, person.id)
    naming = [row for row in rows if any(f in str(row.payload.get("text", "")) for f in forms)]
    locales = await PeopleRepo(session).locales_of(
        {row.person_id for row in naming if row.person_id is not None}
    )
    for row in naming:
        if row.status == DeliveryStatus.PENDING and row.kind == "join_request":
            await session.delete(row)
            continue
        locale = (locales.get(row.person_id) if row.person_id else None) or default_locale
        text = str(row.payload.get("text", ""))
        for form in forms:
            text = text.replace(form, t("privacy.name_removed", locale=locale))
        row.payload = {**row.payload, "text": text}


def _lists(rows: Iterable[RosterRow], person: Person, *, by_name: bool) -> bool:
    name = " ".join((person.full_name or "").split()).casefold()
    for row in rows:
        if person.phone and row.phone and normalize_phone(row.phone) == person.phone:
            return True
        if by_name and name and " ".join(row.full_name.split()).casefold() == name:
            return True
    return False


async def _drop_rosters_listing(
    session: AsyncSession, person: Person, max_upload_bytes: int
) -> None:
    """A roster file checked but not applied yet that lists the person is dropped: a file
    cannot be edited, and applying it would bring the name and phone back. The coordinator's
    «Применить» then says the upload is gone, and a file sent again is the coordinator's new
    decision. (Names match only in the person's own municipality: elsewhere it is a namesake.)"""
    repo = RosterRepo(session)
    for upload in await repo.unapplied_uploads():
        try:
            parsed = await roster.read_upload(upload, max_upload_bytes=max_upload_bytes)
        except roster.UnreadableRoster:
            # Never usable, and it may hold the person: it goes too.
            await repo.delete_upload(upload)
            continue
        by_name = upload.municipality_id == person.municipality_id
        if _lists(parsed.rows, person, by_name=by_name):
            await repo.delete_upload(upload)


async def forget(
    session: AsyncSession,
    person: Person | None,
    *,
    telegram_id: int,
    redis: Redis | None,
    settings: Settings,
) -> None:
    """Anonymize the person and remove every dialog state of the Telegram user."""
    if person is not None:
        typed_names = await JoinRequestsRepo(session).names_typed_by(person.id)
        await _scrub_messages_about(
            session, person, [person.full_name, *typed_names], settings.default_locale
        )
        await _drop_rosters_listing(session, person, settings.roster_max_bytes)
        await JobsRepo(session).delete_of_person(person.id)
        await session.execute(delete(JoinRequest).where(JoinRequest.person_id == person.id))
        await session.execute(delete(Invite).where(Invite.person_id == person.id))
        await self_check.forget_person(session, person)
        await event_attendance.forget_person(session, person)
        await event_registration.forget_person(session, person)
        await deadline_privacy.forget_person(session, person)
        await _forget_conversations(session, person, telegram_id)
        person.subjects.clear()
        person.full_name = None
        person.phone = None
        person.telegram_id = None
        person.locale = None
        person.consent_at = None
        person.status = PersonStatus.FORGOTTEN
        await session.flush()
    await forget_user_states(session, telegram_id)
    await InboxRepo(session).forget_person(telegram_id)
    if redis is not None:
        await forget_redis_states(redis, telegram_id)
