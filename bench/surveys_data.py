"""The data of the surveys benchmark (bench/surveys.py), bulk-inserted with SQLAlchemy core.

On top of `bench.region.build_region` (600 schools, 25,000 teachers, 33 municipalities):
- one big city: schools are moved into municipality 1 until it holds `big_city_teachers`
  teachers (the coordinator's views are per municipality, so this is their worst case);
- three submitted self-checks per teacher — the entry and the final check of the last
  program year and the entry check of this one — with their `SectionScore` rows and every
  `Answer` row (44 a check with the shipped scenario). Each teacher has a level per block
  (about 60 % ± 15), the final check of a year a little above the entry one; answers are
  drawn around that level and scored by `bot.services.scoring`, so scores, levels (the
  scenario's thresholds) and answers agree;
- one survey of the region to `survey_invitees` teachers, every one of whom submitted a
  response of about ten answers (choices, several choices, scale points, yes/no, a text).

Rows are generated and inserted a slice of teachers at a time, so memory stays flat.

The self-check scenario is the shipped `bot/scenarios/self_check_teacher.yaml` when it is
there; until it lands, a stand-in of the same shape (44 statements on a 1–4 scale in the four
blocks, thresholds 50 % and 75 %). The survey scenario is the benchmark's own.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.region import RegionPeople, RegionSize, _insert, build_region
from bot.services import scenarios, scoring
from bot.services.scenario_schema import QuestionType, Scenario
from bot.services.survey_runner import program_year
from storage.models import (
    Answer,
    CheckStage,
    Person,
    PersonRole,
    PersonStatus,
    Response,
    ResponseStatus,
    Role,
    School,
    SectionScore,
    Survey,
    SurveyInvitee,
    SurveyStatus,
)

SELF_CHECK_ID = "self_check_teacher"
SURVEY_ID = "bench_needs_survey"
BIG_CITY = 1  # the municipality made big
ADMIN_TG = 400_000_001
TEACHERS_PER_SLICE = 1_000
BLOCKS = {
    "subject": "Предметные компетенции",
    "methodical": "Методические компетенции",
    "psychological": "Психолого-педагогические компетенции",
    "communicative": "Коммуникативные компетенции",
}


@dataclass(frozen=True)
class DataSize:
    region: RegionSize
    big_city_teachers: int
    survey_invitees: int


@dataclass
class BuiltData:
    """What the measurements need to know about the database."""

    region: RegionPeople
    scenario_dir: Path
    big_city: int
    big_city_teachers: int
    big_city_schools: int
    typical: int  # a municipality of the usual size
    typical_teachers: int
    survey_id: int
    rows: dict[str, int]
    seconds: dict[str, float]
    peak_rss_mb: float = 0.0


# --- scenarios ----------------------------------------------------------------------------------
def _self_check_yaml() -> str:
    lines = [
        "id: self_check_teacher",
        "kind: self_check",
        "title: {ru: Самодиагностика профессиональных дефицитов, en: Self-check}",
        "description: {ru: 44 утверждения о вашей работе., en: 44 statements about your work.}",
        "audience: [teacher]",
        "repeatable: true",
        "scales:",
        "  agreement:",
        "    min: 1",
        "    max: 4",
        "    labels: {1: никогда, 2: редко, 3: часто, 4: всегда}",
        "levels:",
        "  - {level: deficit, below_percent: 50}",
        "  - {level: partial, below_percent: 75}",
        "  - {level: none}",
        "dynamics: {sections: [subject, methodical]}",
        "sections:",
    ]
    for section_id, title in BLOCKS.items():
        lines += [
            f"  - id: {section_id}",
            f"    title: {{ru: {title}, en: {section_id}}}",
            "    scored: true",
            f"    tutor_topic: {{ru: Тема блока «{title}», en: {section_id} topic}}",
            "    questions:",
        ]
        for number in range(1, 12):
            reverse = ", reverse: true" if number % 5 == 0 else ""
            lines.append(
                f"      - {{id: {section_id}_{number}, type: scale, scale: agreement{reverse}, "
                f"text: {{ru: Утверждение {number} блока «{title}» о моей работе, en: Statement}}}}"
            )
    return "\n".join(lines) + "\n"


def _survey_yaml() -> str:
    def options(*labels: str) -> str:
        return ", ".join(f"{{id: o{i}, label: {label}}}" for i, label in enumerate(labels, 1))

    return "\n".join(
        [
            f"id: {SURVEY_ID}",
            "kind: survey",
            "title: {ru: Потребности педагогов в методической помощи, en: Needs}",
            "audience: [teacher]",
            "scales:",
            "  five:",
            "    {min: 1, max: 5, labels: {1: нет, 2: скорее нет, 3: отчасти, 4: да, 5: очень}}",
            "sections:",
            "  - id: main",
            "    title: {ru: Вопросы, en: Questions}",
            "    questions:",
            "      - {id: q_help, type: single, text: 'Какая помощь нужнее всего?', options: ["
            + options("Разбор уроков", "Курсы", "Наставник", "Материалы", "Сообщество")
            + "]}",
            "      - {id: q_topics, type: multi, text: 'Какие темы интересны?', options: ["
            + options("ВПР", "ОГЭ", "ЕГЭ", "Оценивание", "Родители", "Инклюзия", "Цифровые")
            + "]}",
            "      - {id: q_format, type: single, text: 'Удобный формат?', options: ["
            + options("Очно", "Онлайн", "Смешанный")
            + "]}",
            "      - {id: q_load, type: scale, scale: five, text: 'Насколько вы загружены?'}",
            "      - {id: q_support, type: scale, scale: five, text: 'Хватает ли поддержки?'}",
            "      - {id: q_tutor, type: yes_no, text: 'Есть ли у вас наставник?'}",
            "      - {id: q_often, type: single, text: 'Как часто нужна помощь?', options: ["
            + options("Каждую неделю", "Раз в месяц", "Раз в четверть", "Редко")
            + "]}",
            "      - {id: q_where, type: multi, text: 'Где искать материалы?', options: ["
            + options("Сайт", "Чат", "Библиотека", "Коллеги")
            + "]}",
            "      - {id: q_mood, type: scale, scale: five, text: 'Как вы оцениваете год?'}",
            "      - {id: q_wish, type: text, text: 'Ваши пожелания', max_length: 300, "
            "required: false}",
            "",
        ]
    )


def prepare_scenarios(directory: Path) -> Path:
    """A scenario folder for the benchmark: the shipped files, the stand-in self-check if none
    is shipped yet, and the survey; the catalogue is pointed at it (this process)."""
    directory.mkdir(parents=True, exist_ok=True)
    shipped = scenarios.SCENARIOS_DIR
    if directory != shipped:
        for file in sorted(shipped.glob("*.yaml")):
            shutil.copyfile(file, directory / file.name)
    if not (directory / f"{SELF_CHECK_ID}.yaml").exists():
        (directory / f"{SELF_CHECK_ID}.yaml").write_text(_self_check_yaml(), encoding="utf-8")
    (directory / f"{SURVEY_ID}.yaml").write_text(_survey_yaml(), encoding="utf-8")
    use_scenarios(directory)
    return directory


@contextlib.contextmanager
def scenario_folder(directory: Path) -> Iterator[Path]:
    """`prepare_scenarios` for the benchmark's duration; the catalogue is the shipped one after."""
    shipped = scenarios.SCENARIOS_DIR
    try:
        yield prepare_scenarios(directory)
    finally:
        use_scenarios(shipped)


def use_scenarios(directory: Path) -> None:
    scenarios.SCENARIOS_DIR = directory
    scenarios.catalogue.cache_clear()


def self_check_is_shipped() -> bool:
    return (
        (Path(scenarios.__file__).resolve().parent.parent / "scenarios")
        .joinpath(f"{SELF_CHECK_ID}.yaml")
        .exists()
    )


# --- the big city -------------------------------------------------------------------------------
async def make_big_city(engine: AsyncEngine, wanted: int) -> tuple[int, int]:
    """Moves schools (never a municipality's first, where its coordinator works) into
    municipality 1 until it has `wanted` teachers; people follow their school. Returns the
    city's (teachers, schools)."""
    async with engine.begin() as connection:
        teachers_at = dict(
            (
                await connection.execute(
                    select(Person.school_id, func.count())
                    .join(PersonRole, PersonRole.person_id == Person.id)
                    .where(PersonRole.role == Role.TEACHER)
                    .group_by(Person.school_id)
                )
            ).all()
        )
        schools = (
            await connection.execute(select(School.id, School.municipality_id).order_by(School.id))
        ).all()
        firsts = {m: min(s for s, sm in schools if sm == m) for m in {sm for _, sm in schools}}
        city = [s for s, m in schools if m == BIG_CITY]
        count = sum(teachers_at.get(s, 0) for s in city)
        moved: list[int] = []
        for school_id, municipality_id in schools:
            if count >= wanted:
                break
            if municipality_id == BIG_CITY or firsts[municipality_id] == school_id:
                continue
            moved.append(school_id)
            count += teachers_at.get(school_id, 0)
        if moved:
            await connection.execute(
                update(School).where(School.id.in_(moved)).values(municipality_id=BIG_CITY)
            )
            await connection.execute(
                update(Person).where(Person.school_id.in_(moved)).values(municipality_id=BIG_CITY)
            )
    return count, len(city) + len(moved)


# --- self-checks --------------------------------------------------------------------------------
def _check_moments(
    year: int, rng: random.Random, now: datetime
) -> list[tuple[int, CheckStage, datetime]]:
    """Entry (September–October) and final (April–May) of the last program year, entry of
    this one (September up to now)."""
    last = year - 1
    entry_last = datetime(last, 9, 10, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 50 * 1440))
    final_last = datetime(last + 1, 4, 10, tzinfo=UTC) + timedelta(
        minutes=rng.randint(0, 50 * 1440)
    )
    start = datetime(year, 9, 5, tzinfo=UTC)
    span = max(60, int((now - start).total_seconds() // 60) - 60)
    entry_now = min(now - timedelta(hours=1), start + timedelta(minutes=rng.randint(0, span)))
    return [
        (last, CheckStage.ENTRY, entry_last),
        (last, CheckStage.FINAL, final_last),
        (year, CheckStage.ENTRY, entry_now),
    ]


def _draw_answers(
    scenario: Scenario, levels: dict[str, float], rng: random.Random
) -> dict[str, int]:
    """A scale point per statement around the teacher's level of its block (0–1)."""
    answers: dict[str, int] = {}
    for section in scenario.sections:
        level = levels.get(section.id, 0.6)
        for question in section.questions:
            scale = scenario.scale_of(question)
            if question.type != QuestionType.SCALE or scale is None:
                continue
            span = scale.max - scale.min
            got = min(span, max(0, round(rng.gauss(level * span, 0.7))))
            answers[question.id] = scale.max - got if question.reverse else scale.min + got
    return answers


@dataclass
class _Slice:
    responses: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    answers: list[dict[str, Any]]


def _self_check_slice(
    teachers: Sequence[tuple[int, int | None, int | None]],
    scenario: Scenario,
    version: str,
    year: int,
    first_id: int,
    rng: random.Random,
    now: datetime,
) -> _Slice:
    out = _Slice([], [], [])
    response_id = first_id
    scored = [section.id for section in scenario.sections if section.scored]
    for person_id, school_id, municipality_id in teachers:
        base = {s: min(0.95, max(0.1, rng.gauss(0.6, 0.15))) for s in scored}
        for program, stage, moment in _check_moments(year, rng, now):
            growth = rng.gauss(0.06, 0.08) if stage == CheckStage.FINAL else 0.0
            levels = {s: min(1.0, max(0.0, v + growth)) for s, v in base.items()}
            answers = _draw_answers(scenario, levels, rng)
            out.responses.append(
                {
                    "id": response_id,
                    "scenario_id": SELF_CHECK_ID,
                    "scenario_version": version,
                    "survey_id": None,
                    "person_id": person_id,
                    "school_id": school_id,
                    "municipality_id": municipality_id,
                    "status": ResponseStatus.SUBMITTED,
                    "current_question": None,
                    "program_year": program,
                    "stage": stage,
                    "started_at": moment - timedelta(minutes=12),
                    "updated_at": moment,
                    "submitted_at": moment,
                }
            )
            for result in scoring.score(scenario, answers):
                out.scores.append(
                    {
                        "response_id": response_id,
                        "section_id": result.section_id,
                        "score": result.score,
                        "max_score": result.max_score,
                        "percent": result.percent,
                        "level": result.level.value,
                    }
                )
            out.answers += [
                {"response_id": response_id, "question_id": q, "value": v, "answered_at": moment}
                for q, v in answers.items()
            ]
            response_id += 1
            # Later checks build on the last one (the final check's growth carries on).
            if stage == CheckStage.FINAL:
                base = {s: min(0.95, v + growth / 2) for s, v in base.items()}
    return out


def _slices(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _teachers(connection: AsyncConnection) -> list[tuple[int, int | None, int | None]]:
    rows = await connection.execute(
        select(Person.id, Person.school_id, Person.municipality_id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == Role.TEACHER)
        .order_by(Person.id)
    )
    return [(r[0], r[1], r[2]) for r in rows.all()]


async def insert_self_checks(
    engine: AsyncEngine, scenario: Scenario, version: str, year: int, seed: int = 7
) -> dict[str, int]:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    counts = {"responses": 0, "section_scores": 0, "answers": 0}
    async with engine.begin() as connection:
        teachers = await _teachers(connection)
        next_id = 1
        for part in _slices(teachers, TEACHERS_PER_SLICE):
            made = _self_check_slice(part, scenario, version, year, next_id, rng, now)
            next_id += len(made.responses)
            counts["responses"] += await _insert(connection, Response, made.responses)
            counts["section_scores"] += await _insert(connection, SectionScore, made.scores)
            counts["answers"] += await _insert(connection, Answer, made.answers)
    return counts


# --- the survey ---------------------------------------------------------------------------------
def _survey_answers(scenario: Scenario, rng: random.Random) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in scenario.questions():
        if question.type == QuestionType.SINGLE:
            answers[question.id] = rng.choice(question.options).id
        elif question.type == QuestionType.MULTI:
            picked = rng.sample(question.options, rng.randint(1, min(3, len(question.options))))
            answers[question.id] = [option.id for option in picked]
        elif question.type == QuestionType.SCALE:
            scale = scenario.scale_of(question)
            assert scale is not None
            answers[question.id] = rng.randint(scale.min, scale.max)
        elif question.type == QuestionType.YES_NO:
            answers[question.id] = rng.choice(("yes", "no"))
        elif question.type == QuestionType.TEXT and rng.random() < 0.3:
            answers[question.id] = rng.choice(
                (
                    "Больше практики на реальных уроках",
                    "Разборы заданий ОГЭ по нашему предмету",
                    "Хотелось бы встреч с коллегами из других школ",
                )
            )
    return answers


async def insert_survey(
    engine: AsyncEngine, scenario: Scenario, version: str, invitees: int, seed: int = 11
) -> tuple[int, dict[str, int]]:
    """One region-wide survey, opened a week ago, answered by every invited teacher."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    counts = {"survey_invitees": 0, "survey_responses": 0, "survey_answers": 0}
    async with engine.begin() as connection:
        teachers = (await _teachers(connection))[:invitees]
        first = int(
            (await connection.execute(select(func.coalesce(func.max(Response.id), 0)))).scalar()
            or 0
        )
        # The region's admin launched it (and sees its summary).
        admin_id = int((await connection.execute(select(func.max(Person.id)))).scalar() or 0) + 1
        await _insert(
            connection,
            Person,
            [
                {
                    "id": admin_id,
                    "telegram_id": ADMIN_TG,
                    "full_name": "Администратор Региона Ивановна",
                    "phone": "+79990000001",
                    "municipality_id": None,
                    "school_id": None,
                    "locale": "ru",
                    "consent_at": now - timedelta(days=300),
                    "status": PersonStatus.ACTIVE,
                }
            ],
        )
        role_id = int((await connection.execute(select(func.max(PersonRole.id)))).scalar() or 0)
        await _insert(
            connection,
            PersonRole,
            [
                {
                    "id": role_id + 1,
                    "person_id": admin_id,
                    "role": Role.ADMIN,
                    "municipality_id": None,
                    "region_id": 1,
                }
            ],
        )
        await _insert(
            connection,
            Survey,
            [
                {
                    "id": 1,
                    "scenario_id": SURVEY_ID,
                    "author_id": admin_id,
                    "municipality_id": None,
                    "region_id": 1,
                    "audience": {"roles": ["teacher"]},
                    "anonymous": False,
                    "deadline": now + timedelta(days=7),
                    "status": SurveyStatus.OPEN,
                    "public_code_hash": None,
                    "invited": len(teachers),
                    "created_at": now - timedelta(days=7),
                }
            ],
        )
        response_id = first + 1
        for part in _slices(teachers, TEACHERS_PER_SLICE):
            invited: list[dict[str, Any]] = []
            responses: list[dict[str, Any]] = []
            answers: list[dict[str, Any]] = []
            for person_id, school_id, municipality_id in part:
                moment = now - timedelta(minutes=rng.randint(10, 7 * 1440))
                invited.append(
                    {
                        "survey_id": 1,
                        "person_id": person_id,
                        "answered_at": moment,
                        "reminded_at": None,
                        "draft_response_id": None,
                    }
                )
                responses.append(
                    {
                        "id": response_id,
                        "scenario_id": SURVEY_ID,
                        "scenario_version": version,
                        "survey_id": 1,
                        "person_id": person_id,
                        "school_id": school_id,
                        "municipality_id": municipality_id,
                        "status": ResponseStatus.SUBMITTED,
                        "current_question": None,
                        "program_year": None,
                        "stage": None,
                        "started_at": moment - timedelta(minutes=5),
                        "updated_at": moment,
                        "submitted_at": moment,
                    }
                )
                answers += [
                    {
                        "response_id": response_id,
                        "question_id": q,
                        "value": v,
                        "answered_at": moment,
                    }
                    for q, v in _survey_answers(scenario, rng).items()
                ]
                response_id += 1
            counts["survey_invitees"] += await _insert(connection, SurveyInvitee, invited)
            counts["survey_responses"] += await _insert(connection, Response, responses)
            counts["survey_answers"] += await _insert(connection, Answer, answers)
        if connection.dialect.name == "postgresql":
            for table in ("responses", "surveys", "people", "person_roles"):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    )
                )
    return 1, counts


async def _municipality_sizes(engine: AsyncEngine) -> dict[int, int]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(Person.municipality_id, func.count())
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == Role.TEACHER)
            .group_by(Person.municipality_id)
        )
        return {int(m): int(n) for m, n in rows.all() if m is not None}


async def build(
    engine: AsyncEngine, size: DataSize, scenario_dir: Path, *, create_schema: bool
) -> BuiltData:
    """Everything, in an empty database; what took how long is printed to stderr."""
    use_scenarios(scenario_dir)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    region = await build_region(engine, size.region, create_schema=create_schema)
    seconds["region"] = time.perf_counter() - started
    city_teachers, city_schools = await make_big_city(engine, size.big_city_teachers)
    loaded = scenarios.get(SELF_CHECK_ID)
    started = time.perf_counter()
    rows = await insert_self_checks(
        engine, loaded.scenario, loaded.version, program_year(datetime.now(UTC).date())
    )
    seconds["self_checks"] = time.perf_counter() - started
    survey = scenarios.get(SURVEY_ID)
    started = time.perf_counter()
    survey_id, survey_rows = await insert_survey(
        engine, survey.scenario, survey.version, size.survey_invitees
    )
    seconds["survey"] = time.perf_counter() - started
    rows.update(survey_rows)
    rows["region"] = region.rows
    if engine.dialect.name == "postgresql":
        started = time.perf_counter()
        async with engine.connect() as connection:
            await connection.execute(text("COMMIT"))
            await connection.execute(text("ANALYZE"))
        seconds["analyze"] = time.perf_counter() - started
    sizes = await _municipality_sizes(engine)
    others = sorted((n, m) for m, n in sizes.items() if m != BIG_CITY)
    typical_teachers, typical = others[len(others) // 2]
    print(
        f"data: region {seconds['region']:.1f} s, self-checks {seconds['self_checks']:.1f} s "
        f"({rows['answers']:,} answers), survey {seconds['survey']:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    return BuiltData(
        region=region,
        scenario_dir=scenario_dir,
        big_city=BIG_CITY,
        big_city_teachers=city_teachers,
        big_city_schools=city_schools,
        typical=typical,
        typical_teachers=typical_teachers,
        survey_id=survey_id,
        rows=rows,
        seconds=seconds,
    )
