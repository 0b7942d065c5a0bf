"""Roster import at region scale: `python -m bench.roster_import [--people N] [--schools N]`.

Generates a Stavropol-sized roster (25,000 people in ~600 schools, as .xlsx and .csv), then
times reading, the dry run and the apply against a fresh SQLite file, and a second import of
the same file (everyone matched, nothing duplicated). With DATABASE_URL set to a PostgreSQL
URL the same runs go against PostgreSQL too, inside a throw-away schema that is dropped after.
Everything else is written to a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.roster import apply_plan, plan_import, read_file
from bot.services.roster_parse import ParsedRoster
from bot.texts import LOCALES_DIR, Texts
from storage.db import create_engine, create_session_pool
from storage.models import Base, Municipality, Person, Region, TutorAssignment

T = TypeVar("T")

SURNAMES = [
    "Иванов",
    "Петров",
    "Сидоров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
    "Дмитриев",
    "Королёв",
    "Гусев",
    "Киселёв",
    "Ильин",
    "Максимов",
    "Поляков",
    "Сорокин",
    "Виноградов",
    "Ковалёв",
    "Белов",
    "Медведев",
    "Антонов",
    "Тарасов",
    "Жуков",
    "Баранов",
    "Филиппов",
    "Комаров",
    "Давыдов",
    "Беляев",
    "Герасимов",
    "Богданов",
    "Осипов",
    "Сидоренко",
    "Матвеев",
]
MALE_NAMES = [
    "Александр",
    "Алексей",
    "Андрей",
    "Сергей",
    "Дмитрий",
    "Иван",
    "Михаил",
    "Николай",
    "Владимир",
    "Евгений",
    "Игорь",
    "Олег",
    "Павел",
    "Юрий",
    "Виктор",
    "Константин",
    "Роман",
    "Артём",
    "Максим",
    "Денис",
]
FEMALE_NAMES = [
    "Анна",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Светлана",
    "Мария",
    "Екатерина",
    "Юлия",
    "Людмила",
    "Галина",
    "Марина",
    "Оксана",
    "Валентина",
    "Надежда",
    "Вера",
    "Любовь",
    "Дарья",
    "Алла",
]
FATHER_NAMES = [
    "Александр",
    "Алексей",
    "Андрей",
    "Сергей",
    "Дмитрий",
    "Иван",
    "Михаил",
    "Николай",
    "Владимир",
    "Пётр",
    "Павел",
    "Юрий",
    "Виктор",
    "Василий",
    "Геннадий",
    "Борис",
]
VILLAGES = [
    "Грачёвка",
    "Кугульта",
    "Сергиевское",
    "Красное",
    "Спицевка",
    "Старомарьевка",
    "Тугулук",
    "Бешпагир",
    "Донская",
    "Балка",
    "Ставропольский",
    "Благодарный",
    "Ипатово",
    "Новоалександровск",
    "Изобильный",
    "Светлоград",
    "Михайловск",
    "Кочубеевское",
    "Георгиевск",
    "Будённовск",
    "Зеленокумск",
    "Нефтекумск",
    "Курсавка",
    "Арзгир",
]
SUBJECTS = (
    "Русский язык",
    "Литература",
    "Математика",
    "Физика",
    "Химия",
    "Биология",
    "История",
    "Обществознание",
    "География",
    "Английский язык",
    "Информатика",
    "Начальные классы",
    "Физическая культура",
    "Технология",
    "Музыка",
)
MOBILE_CODES = (912, 918, 928, 938, 961, 962, 963, 964, 965, 988)
PEOPLE_HEADER = ["ФИО", "Телефон", "Школа", "Роль", "Предметы", "Наставник"]
SCHOOLS_HEADER = ["Название", "Краткое название", "ШНОР", "ШНСУ", "Школа-лидер"]


def _patronymic(father: str, female: bool) -> str:
    stem = father[:-1] + "ь" if father.endswith("й") else father
    if father == "Пётр":
        stem = "Петр"
    if female:
        return stem + ("евна" if stem.endswith("ь") else "овна")
    return stem + ("евич" if stem.endswith("ь") else "ович")


def _full_name(rng: random.Random) -> str:
    female = rng.random() < 0.8  # most teachers are women
    surname = rng.choice(SURNAMES)
    if female:
        surname = surname + "а" if not surname.endswith("о") else surname
        first = rng.choice(FEMALE_NAMES)
    else:
        first = rng.choice(MALE_NAMES)
    patronymic = _patronymic(rng.choice(FATHER_NAMES), female)
    return f"{surname} {first} {patronymic}".replace("ьо", "ё")


def _phone(rng: random.Random, used: set[str]) -> tuple[str, str]:
    """A unique mobile number, as people type it (several styles), and its E.164 form."""
    while True:
        code, rest = rng.choice(MOBILE_CODES), rng.randrange(0, 10_000_000)
        e164 = f"+7{code}{rest:07d}"
        if e164 not in used:
            used.add(e164)
            break
    digits = f"{rest:07d}"
    style = rng.randrange(4)
    if style == 0:
        return f"8 ({code}) {digits[:3]}-{digits[3:5]}-{digits[5:]}", e164
    if style == 1:
        return f"+7 {code} {digits[:3]}-{digits[3:5]}-{digits[5:]}", e164
    if style == 2:
        return f"8{code}{digits}", e164
    return e164, e164


@dataclass
class Roster:
    schools: list[list[str]]
    people: list[list[str]]


def generate(people: int, schools: int, seed: int = 20_24) -> Roster:
    rng = random.Random(seed)
    school_rows: list[list[str]] = []
    for number in range(1, schools + 1):
        village = VILLAGES[number % len(VILLAGES)]
        leader = number % 25 == 0
        school_rows.append(
            [
                f"МКОУ СОШ № {number} с. {village}",
                f"СОШ № {number} {village}",
                "да" if not leader and number % 3 == 0 else "нет",
                "да" if not leader and number % 4 == 0 else "нет",
                "да" if leader else "нет",
            ]
        )
    used: set[str] = set()
    rows: list[list[str]] = []
    tutors_per_school = 2
    per_school = max(1, people // schools)
    tutor_phones: list[str] = []
    # Tutors first (two in every leader school's area), then directors and teachers.
    for index in range(schools):
        school = school_rows[index]
        if index % 10 == 0:
            for _ in range(tutors_per_school):
                shown, e164 = _phone(rng, used)
                tutor_phones.append(e164)
                rows.append(
                    [
                        _full_name(rng),
                        shown,
                        school[0],
                        "наставник, учитель",
                        rng.choice(SUBJECTS),
                        "",
                    ]
                )
    for index in range(schools):
        school = school_rows[index]
        for position in range(per_school):
            if len(rows) >= people:
                break
            shown, _ = _phone(rng, used)
            role = "директор" if position == 0 else "учитель"
            subjects = ", ".join(rng.sample(SUBJECTS, rng.choice((1, 1, 2))))
            tutor = rng.choice(tutor_phones) if rng.random() < 0.6 else ""
            rows.append([_full_name(rng), shown, school[1], role, subjects, tutor])
    while len(rows) < people:
        shown, _ = _phone(rng, used)
        school = rng.choice(school_rows)
        rows.append([_full_name(rng), shown, school[0], "учитель", rng.choice(SUBJECTS), ""])
    return Roster(schools=school_rows, people=rows)


def to_xlsx(roster: Roster) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    people = workbook.create_sheet("Участники")
    people.append(PEOPLE_HEADER)
    for row in roster.people:
        people.append(row)
    schools = workbook.create_sheet("Школы")
    schools.append(SCHOOLS_HEADER)
    for row in roster.schools:
        schools.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(roster: Roster) -> bytes:
    """People only: a CSV has one sheet, so the schools must exist already (see `_seed`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(PEOPLE_HEADER)
    writer.writerows(roster.people)
    return buffer.getvalue().encode("cp1251")


@dataclass
class Measure:
    database: str
    phase: str
    seconds: float
    rows: int

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def _peak_megabytes() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


async def _timed(call: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    started = time.perf_counter()
    result = await call()
    return result, time.perf_counter() - started


def _timed_sync(call: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


async def _prepare(engine: AsyncEngine, with_schools: Roster | None) -> int:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with create_session_pool(engine).begin() as session:
        region = Region(name="Ставропольский край")
        session.add(region)
        await session.flush()
        municipality = Municipality(region_id=region.id, name="Ставропольский край (бенчмарк)")
        session.add(municipality)
        await session.flush()
        if with_schools is not None:
            # The CSV run: schools come from an earlier .xlsx, as a coordinator would have them.
            from storage.models import School

            session.add_all(
                School(municipality_id=municipality.id, name=row[0], short_name=row[1])
                for row in with_schools.schools
            )
        return municipality.id


async def _import_twice(
    engine: AsyncEngine, label: str, parsed: ParsedRoster, municipality_id: int
) -> list[Measure]:
    pool = create_session_pool(engine)
    rows = len(parsed.rows)
    measures: list[Measure] = []
    for attempt in ("first", "again"):
        async with pool() as session:
            plan, seconds = await _timed(
                lambda s=session: plan_import(s, municipality_id, "bench", parsed)  # type: ignore[misc]
            )
            report = plan.report
            measures.append(Measure(label, f"{attempt}: dry run", seconds, rows))
            _, seconds = await _timed(lambda s=session, p=plan: _apply(s, p))  # type: ignore[misc]
            measures.append(Measure(label, f"{attempt}: apply", seconds, rows))
        if report.problems:
            raise SystemExit(f"{label}: unexpected problems, e.g. {report.problems[0]}")
        print(
            f"  {label} {attempt}: new {report.new_people}, updated {report.updated_people}, "
            f"unchanged {report.unchanged_people}, schools created {report.schools_created}, "
            f"tutor assignments {report.tutor_assignments}",
            file=sys.stderr,
        )
    async with pool() as session:
        people = await session.scalar(select(func.count()).select_from(Person))
        assignments = await session.scalar(select(func.count()).select_from(TutorAssignment))
    # +0: the bench municipality starts with no people, so every row must be exactly one person.
    if people != rows:
        raise SystemExit(f"{label}: {people} people after two imports of {rows} rows")
    print(f"  {label}: {people} people, {assignments} tutor assignments", file=sys.stderr)
    return measures


async def _apply(session: Any, plan: Any) -> None:
    await apply_plan(session, plan)
    await session.commit()


async def _run_database(
    label: str,
    url: str,
    roster: Roster,
    parsed: dict[str, ParsedRoster],
    **engine_args: Any,
) -> list[Measure]:
    """One fresh database per file format (SQLite: `{format}` in the URL names the file)."""
    measures: list[Measure] = []
    for fmt, data in parsed.items():
        engine = create_engine(url.replace("{format}", fmt), **engine_args)
        try:
            if not url.startswith("sqlite"):
                async with engine.begin() as connection:
                    await connection.run_sync(Base.metadata.drop_all)
            municipality_id = await _prepare(engine, roster if fmt == "csv" else None)
            measures += await _import_twice(engine, f"{label} {fmt}", data, municipality_id)
        finally:
            await engine.dispose()
    return measures


async def main_async(people: int, schools: int) -> None:
    roster, seconds = _timed_sync(lambda: generate(people, schools))
    print(
        f"generated {len(roster.people)} people, {len(roster.schools)} schools in {seconds:.1f} s",
        file=sys.stderr,
    )
    measures: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="roster-bench-") as directory:
        work = Path(directory)
        files = {"xlsx": to_xlsx(roster), "csv": to_csv(roster)}
        parsed: dict[str, ParsedRoster] = {}
        for fmt, content in files.items():
            path = work / f"roster.{fmt}"
            path.write_bytes(content)
            print(f"  roster.{fmt}: {len(content) / 1024 / 1024:.1f} MB", file=sys.stderr)
            parsed[fmt], seconds = _timed_sync(lambda c=content, f=fmt: read_file(c, f"roster.{f}"))  # type: ignore[misc]
            measures.append(Measure("-", f"read .{fmt}", seconds, len(parsed[fmt].rows)))
        sqlite_url = f"sqlite+aiosqlite:///{work}/bench-{{format}}.sqlite3"
        measures += await _run_database("SQLite", sqlite_url, roster, parsed)
        database_url = os.environ.get("DATABASE_URL", "")
        if database_url.startswith(("postgresql", "postgres")):
            measures += await _run_postgres(database_url, roster, parsed)
    _print_table(measures)


async def _run_postgres(url: str, roster: Roster, parsed: dict[str, ParsedRoster]) -> list[Measure]:
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+asyncpg://" + url.split("://", 1)[1]
    schema = f"roster_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        return await _run_database(
            "PostgreSQL",
            url,
            roster,
            parsed,
            connect_args={"server_settings": {"search_path": schema}},
        )
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


def _print_table(measures: list[Measure]) -> None:
    print(f"{'database':<16} {'phase':<18} {'seconds':>8} {'rows/s':>10}")
    print("-" * 55)
    for m in measures:
        print(f"{m.database:<16} {m.phase:<18} {m.seconds:>8.2f} {m.rate:>10,.0f}")
    print("-" * 55)
    print(f"peak memory (max RSS): {_peak_megabytes():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=25_000)
    parser.add_argument("--schools", type=int, default=600)
    args = parser.parse_args()
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    with texts.context(), texts.use_locale("ru"):
        asyncio.run(main_async(args.people, args.schools))


if __name__ == "__main__":
    main()
