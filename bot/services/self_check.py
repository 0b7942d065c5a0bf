"""The professional-deficit self-check as its teacher and their tutor see it: the screen
before it, the result of a check (blocks, levels, the change since the entry check) and the
individual route (ИОМ) a check leads to.

The route is written when a check's result is first shown (`ensure_route`): per block with a
deficit (выраженный or частичный) the network communities, materials and tutor topic below, and,
read anew each time the route is shown (they come and go), the upcoming published events whose
topics name the block and whose audience includes the teacher; the
network communities of the teacher's municipality whose name fits the block (all of them when
none fits, and the route says so), the materials of `route/materials.yaml` and the topic to
take to the tutor. A new check replaces the open suggestions of the last one; what the tutor
added and what the teacher marked done stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import (
    assignments,
    event_attendance,
    route_materials,
    scenarios,
    scoring,
    survey_runner,
)
from bot.services.event_attendance import RouteEvent
from bot.services.scenario_schema import Level, Scenario
from storage.models import CheckStage, Person, RouteItem, RouteItemKind
from storage.repositories.communities import CommunitiesRepo
from storage.repositories.responses import ResponsesRepo
from storage.repositories.self_checks import CheckRow, ScoreRow, SelfChecksRepo

SCENARIO_ID = "self_check_teacher"
NOTE_MAX = 300
COMMUNITIES_PER_BLOCK = 3
DEFICIT_LEVELS = (Level.DEFICIT.value, Level.PARTIAL.value)
# Marks a community item offered because nothing fitted the block's topic.
ANY_COMMUNITY = "any"


# --- what the screens show --------------------------------------------------------------------


@dataclass(frozen=True)
class BlockResult:
    section_id: str
    title: str
    percent: float
    level: str  # deficit / partial / none


@dataclass(frozen=True)
class CheckResult:
    response_id: int
    stage: CheckStage | None
    submitted_at: datetime | None
    blocks: list[BlockResult]


@dataclass(frozen=True)
class Change:
    """The entry and the final check of one program year side by side."""

    entry: CheckResult
    final: CheckResult
    positive: bool | None  # the scenario's rule; None: it names none or a block is missing
    rule_blocks: list[str]  # titles of the blocks the rule looks at


@dataclass(frozen=True)
class RouteEntry:
    id: int
    kind: RouteItemKind
    title: str
    url: str | None
    done: bool
    by_tutor: bool
    any_community: bool  # a community offered although its name does not fit the block


@dataclass(frozen=True)
class RouteBlock:
    section_id: str | None  # None: the tutor's additions without a block
    title: str
    level: str | None
    entries: list[RouteEntry] = field(default_factory=list)
    # Upcoming events of the block's topic for the teacher (`RouteItemKind.EVENT`), not stored.
    events: list[RouteEvent] = field(default_factory=list)

    def of_kind(self, kind: RouteItemKind) -> list[RouteEntry]:
        return [entry for entry in self.entries if entry.kind == kind]


@dataclass(frozen=True)
class Result:
    """Everything the result screen shows: the check, the change, the route."""

    check: CheckResult
    change: Change | None
    route: list[RouteBlock]
    scenario_title: str


@dataclass(frozen=True)
class Overview:
    """The screen before the check."""

    title: str
    description: str
    questions: int
    last: CheckResult | None
    unfinished_position: int | None  # «Продолжить (вопрос N из M)»
    unfinished_total: int | None


# --- the scenario -----------------------------------------------------------------------------


def scenario() -> Scenario:
    return scenarios.get(SCENARIO_ID).scenario


def block_titles(locale: str) -> dict[str, str]:
    return {s.id: s.title.get(locale) for s in scenario().sections if s.scored}


def _check_result(row: CheckRow, scores: Sequence[ScoreRow], locale: str) -> CheckResult:
    titles = block_titles(locale)
    by_section = {score.section_id: score for score in scores}
    blocks = [
        BlockResult(section_id, title, by_section[section_id].percent, by_section[section_id].level)
        for section_id, title in titles.items()
        if section_id in by_section
    ]
    return CheckResult(row.response_id, row.stage, row.submitted_at, blocks)


async def latest_result(session: AsyncSession, person_id: int, locale: str) -> CheckResult | None:
    repo = SelfChecksRepo(session)
    rows = await repo.submitted_of([person_id], SCENARIO_ID, latest_only=True)
    if not rows:
        return None
    scores = await repo.scores([rows[0].response_id])
    return _check_result(rows[0], scores.get(rows[0].response_id, []), locale)


async def overview(session: AsyncSession, person: Person, locale: str) -> Overview:
    loaded = scenarios.get(SCENARIO_ID)
    position = total = None
    unfinished = await ResponsesRepo(session).unfinished(person.id, SCENARIO_ID, None)
    if unfinished is not None:
        screen = await survey_runner.screen(session, person, unfinished.id, locale)
        if screen is not None:
            position, total = screen.position, screen.total
        else:
            count = len(loaded.scenario.questions())
            position = total = count
    sc = loaded.scenario
    return Overview(
        title=sc.title.get(locale),
        description=sc.description.get(locale) if sc.description else "",
        questions=len(sc.questions()),
        last=await latest_result(session, person.id, locale),
        unfinished_position=position,
        unfinished_total=total,
    )


async def begin(session: AsyncSession, person: Person) -> int:
    """The response to open the form on: the unfinished one or a new one."""
    return await survey_runner.begin(session, person, person.role_set, SCENARIO_ID)


# --- the result ---------------------------------------------------------------------------------


async def _change(
    session: AsyncSession, person_id: int, check: CheckRow, locale: str
) -> Change | None:
    """The entry check of the same program year when `check` is a final one."""
    if check.stage != CheckStage.FINAL or check.program_year is None:
        return None
    repo = SelfChecksRepo(session)
    same_year = [
        row
        for row in await repo.submitted_of([person_id], SCENARIO_ID)
        if row.program_year == check.program_year and row.stage == CheckStage.ENTRY
    ]
    if not same_year:
        return None
    entry_row = same_year[-1]  # newest first: the last is the first entry check
    scores = await repo.scores([entry_row.response_id, check.response_id])
    entry = _check_result(entry_row, scores.get(entry_row.response_id, []), locale)
    final = _check_result(check, scores.get(check.response_id, []), locale)
    sc = scenario()
    positive = scoring.positive_dynamics(
        sc,
        {b.section_id: b.percent for b in entry.blocks},
        {b.section_id: b.percent for b in final.blocks},
    )
    titles = block_titles(locale)
    rule = [titles.get(s, s) for s in (sc.dynamics.sections if sc.dynamics else [])]
    return Change(entry, final, positive, rule)


async def result(
    session: AsyncSession, person: Person, response_id: int | None, locale: str
) -> Result:
    """The result of the person's check `response_id` (None: their latest), with the route
    written for it if it was not yet."""
    repo = SelfChecksRepo(session)
    if response_id is None:
        rows = await repo.submitted_of([person.id], SCENARIO_ID, latest_only=True)
        row = rows[0] if rows else None
    else:
        row = await repo.check(response_id)
    if row is None or row.person_id != person.id:
        raise DomainError("self_check.no_result")
    scores = (await repo.scores([row.response_id])).get(row.response_id, [])
    check = _check_result(row, scores, locale)
    await ensure_route(session, person, check, locale)
    return Result(
        check=check,
        change=await _change(session, person.id, row, locale),
        route=await route(session, person, locale, latest=check),
        scenario_title=scenario().title.get(locale),
    )


# --- the route ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Material:
    title: str
    url: str | None


def materials_for(section_id: str, locale: str) -> list[Material]:
    """The curated materials of a block (`bot/scenarios/route/materials.yaml`)."""
    return [
        Material(material.title.get(locale), material.url)
        for material in route_materials.for_block(section_id)
    ]


def community_keywords(section_id: str) -> tuple[str, ...]:
    """A community fits a block when its name or description holds one of the block's words
    (`community_keywords` of its section in the scenario file)."""
    for section in scenario().sections:
        if section.id == section_id:
            return tuple(word.casefold() for word in section.community_keywords)
    return ()


def _fits(keywords: Sequence[str], *texts: str | None) -> bool:
    folded = " ".join(text or "" for text in texts).casefold()
    return any(keyword in folded for keyword in keywords)


async def _suggestions(
    session: AsyncSession, person: Person, check: CheckResult, locale: str
) -> list[RouteItem]:
    sc = scenario()
    sections = {s.id: s for s in sc.sections}
    communities = (
        [
            c
            for c, _, _ in await CommunitiesRepo(session).active_with_membership(
                person.municipality_id, person.id
            )
        ]
        if person.municipality_id is not None
        else []
    )
    items: list[RouteItem] = []

    def add(block: str, kind: RouteItemKind, title: str, **extra: Any) -> None:
        items.append(
            RouteItem(
                person_id=person.id,
                response_id=check.response_id,
                section_id=block,
                kind=kind,
                title=title[:300],
                **extra,
            )
        )

    for block in check.blocks:
        if block.level not in DEFICIT_LEVELS:
            continue
        keywords = community_keywords(block.section_id)
        fitting = [c for c in communities if _fits(keywords, c.name, c.description)]
        offered, note = (fitting, None) if fitting else (communities, ANY_COMMUNITY)
        for community in offered[:COMMUNITIES_PER_BLOCK]:
            add(block.section_id, RouteItemKind.COMMUNITY, community.name, note=note)
        for material in materials_for(block.section_id, locale):
            add(block.section_id, RouteItemKind.MATERIAL, material.title, url=material.url)
        topic = sections[block.section_id].tutor_topic if block.section_id in sections else None
        if topic is not None:
            add(block.section_id, RouteItemKind.TUTOR_TOPIC, topic.get(locale))
    return items


async def ensure_route(
    session: AsyncSession, person: Person, check: CheckResult, locale: str
) -> None:
    """Writes the route of `check` unless it was written already (the result is shown again)
    or a newer check has replaced it."""
    repo = SelfChecksRepo(session)
    newest = await repo.submitted_of([person.id], SCENARIO_ID, latest_only=True)
    if not newest or newest[0].response_id != check.response_id:
        return
    if await repo.has_route_of(person.id, check.response_id):
        return
    items = await _suggestions(session, person, check, locale)
    # A check without a deficit and nothing left of the last: nothing to write.
    if items or await repo.has_open_suggestions(person.id):
        await repo.replace_generated_route(person.id, items)


def _entry(item: RouteItem) -> RouteEntry:
    return RouteEntry(
        id=item.id,
        kind=item.kind,
        title=item.title,
        url=item.url,
        done=item.done_at is not None,
        by_tutor=item.kind == RouteItemKind.TUTOR_NOTE,
        any_community=item.kind == RouteItemKind.COMMUNITY and item.note == ANY_COMMUNITY,
    )


async def route(
    session: AsyncSession, person: Person, locale: str, *, latest: CheckResult | None = None
) -> list[RouteBlock]:
    """The route by block, in the scenario's order; the tutor's additions without a block last."""
    items = await SelfChecksRepo(session).route(person.id)
    if not items:
        return []
    latest = latest or await latest_result(session, person.id, locale)
    levels = {b.section_id: b.level for b in latest.blocks} if latest else {}
    titles = block_titles(locale)
    events = await event_attendance.upcoming_for_blocks(
        session, person, [s for s, level in levels.items() if level in DEFICIT_LEVELS]
    )
    blocks: list[RouteBlock] = []
    for section_id, title in titles.items():
        entries = [_entry(i) for i in items if i.section_id == section_id]
        if entries or events.get(section_id):
            blocks.append(
                RouteBlock(
                    section_id, title, levels.get(section_id), entries, events.get(section_id, [])
                )
            )
    loose = [_entry(i) for i in items if i.section_id not in titles]
    if loose:
        blocks.append(RouteBlock(None, "", None, loose))
    return blocks


async def mark_done(session: AsyncSession, person: Person, item_id: int) -> RouteItem:
    item = await SelfChecksRepo(session).route_item(item_id)
    if item is None or item.person_id != person.id:
        raise DomainError("self_check.item_gone")
    if item.done_at is None:
        item.done_at = datetime.now(UTC)
    return item


async def topic_of(session: AsyncSession, person: Person, item_id: int) -> str:
    """The tutor topic of the person's route item, to send as a question."""
    item = await SelfChecksRepo(session).route_item(item_id)
    if item is None or item.person_id != person.id or item.kind != RouteItemKind.TUTOR_TOPIC:
        raise DomainError("self_check.item_gone")
    return item.title


# --- the tutor ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeacherLine:
    person: Person
    school: str | None
    last: CheckResult | None


async def _my_teacher(session: AsyncSession, tutor: Person, teacher_id: int) -> Person:
    assigned = await assignments.assigned_to(session, tutor)
    for teacher in assigned.teachers:
        if teacher.id == teacher_id:
            return teacher
    raise DomainError("self_check.not_your_teacher")


async def tutor_teachers(session: AsyncSession, tutor: Person, locale: str) -> list[TeacherLine]:
    """The tutor's teachers (forgotten ones left out), each with their latest check."""
    assigned = await assignments.assigned_to(session, tutor)
    teachers = [t for t in assigned.teachers if t.full_name]
    repo = SelfChecksRepo(session)
    latest = await repo.submitted_of([t.id for t in teachers], SCENARIO_ID, latest_only=True)
    scores = await repo.scores([row.response_id for row in latest])
    by_person = {
        row.person_id: _check_result(row, scores.get(row.response_id, []), locale) for row in latest
    }
    return [
        TeacherLine(
            teacher,
            assigned.school_by_id[teacher.school_id].label
            if teacher.school_id in assigned.school_by_id
            else None,
            by_person.get(teacher.id),
        )
        for teacher in teachers
    ]


@dataclass(frozen=True)
class TeacherProfile:
    teacher: Person
    result: Result | None
    route: list[RouteBlock]


async def teacher_profile(
    session: AsyncSession, tutor: Person, teacher_id: int, locale: str
) -> TeacherProfile:
    teacher = await _my_teacher(session, tutor, teacher_id)
    repo = SelfChecksRepo(session)
    rows = await repo.submitted_of([teacher.id], SCENARIO_ID, latest_only=True)
    found = await result(session, teacher, rows[0].response_id, locale) if rows else None
    return TeacherProfile(
        teacher, found, found.route if found else await route(session, teacher, locale)
    )


def clean_note(raw: str) -> str:
    text = " ".join(raw.split())
    if not text:
        raise DomainError("self_check.note_empty", limit=NOTE_MAX)
    if len(text) > NOTE_MAX:
        raise DomainError("self_check.note_too_long", limit=NOTE_MAX, length=len(text))
    return text


async def add_tutor_note(
    session: AsyncSession, tutor: Person, teacher_id: int, raw: str
) -> tuple[Person, RouteItem]:
    """A step the tutor adds to their teacher's route; the teacher, to tell them."""
    teacher = await _my_teacher(session, tutor, teacher_id)
    title = clean_note(raw)
    item = await SelfChecksRepo(session).add_route_item(
        RouteItem(
            person_id=teacher.id,
            kind=RouteItemKind.TUTOR_NOTE,
            title=title,
            added_by_id=tutor.id,
        )
    )
    return teacher, item


# --- the person's own data (/mydata, /forget) ----------------------------------------------------


def _text_questions() -> dict[str, set[str]]:
    from bot.services.scenario_schema import QuestionType

    return {
        scenario_id: {q.id for q in loaded.scenario.questions() if q.type == QuestionType.TEXT}
        for scenario_id, loaded in scenarios.catalogue().items()
    }


async def forget_person(session: AsyncSession, person: Person) -> None:
    """/forget: free-text answers, unfinished responses, the route and survey invitations go;
    submitted scores stay with the anonymised person row."""
    await SelfChecksRepo(session).forget_person(person.id, _text_questions())


async def own_data(session: AsyncSession, person: Person) -> dict[str, Any]:
    """/mydata: the person's self-checks (blocks, percents, levels), other answered scenarios
    and their route."""
    repo = SelfChecksRepo(session)
    responses = await repo.responses_of(person.id)
    scores = await repo.scores([r.id for r in responses])
    titles: dict[str, str] = {}
    for loaded in scenarios.catalogue().values():
        titles[loaded.scenario.id] = loaded.scenario.title.get("ru")
        titles.update(
            {f"{loaded.scenario.id}:{s.id}": s.title.get("ru") for s in loaded.scenario.sections}
        )
    return {
        "responses": [
            {
                "id": r.id,
                "scenario_id": r.scenario_id,
                "scenario": titles.get(r.scenario_id, r.scenario_id),
                "status": r.status.value,
                "stage": r.stage.value if r.stage else None,
                "program_year": r.program_year,
                "started_at": r.started_at.isoformat() if r.started_at else None,
                "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
                "blocks": [
                    {
                        "section_id": s.section_id,
                        "section": titles.get(f"{r.scenario_id}:{s.section_id}", s.section_id),
                        "percent": s.percent,
                        "level": s.level,
                    }
                    for s in scores.get(r.id, [])
                ],
            }
            for r in responses
        ],
        "route": [
            {
                "id": item.id,
                "kind": item.kind.value,
                "title": item.title,
                "url": item.url,
                "section_id": item.section_id,
                "added_by_tutor": item.kind == RouteItemKind.TUTOR_NOTE,
                "created_at": item.created_at.isoformat() if item.created_at else None,
                "done_at": item.done_at.isoformat() if item.done_at else None,
            }
            for item in await repo.route(person.id)
        ],
    }
