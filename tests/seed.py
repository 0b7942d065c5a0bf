"""Arrange data directly in the database: places and people as a coordinator's roster has them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Municipality,
    Person,
    PersonRole,
    PersonSubject,
    Region,
    Role,
    School,
    TutorAssignment,
)


async def place(
    db: AsyncSession, municipality: str = "Грачёвский муниципальный округ"
) -> tuple[Municipality, School, School]:
    """A municipality with a low-results school and a leader school."""
    region = Region(name=f"Ставропольский край ({municipality})")
    db.add(region)
    await db.flush()
    mun = Municipality(region_id=region.id, name=municipality)
    db.add(mun)
    await db.flush()
    low = School(
        municipality_id=mun.id,
        name="МКОУ СОШ № 2 с. Кугульта",
        short_name="СОШ № 2",
        low_results=True,
    )
    leader = School(
        municipality_id=mun.id,
        name="МКОУ СОШ № 1 с. Грачёвка",
        short_name="СОШ № 1",
        is_leader=True,
    )
    db.add_all([low, leader])
    await db.flush()
    return mun, low, leader


async def person(
    db: AsyncSession,
    *,
    name: str,
    roles: list[Role],
    municipality: Municipality,
    school: School | None = None,
    telegram_id: int | None = None,
    phone: str | None = None,
    subjects: list[str] | None = None,
    consented: bool = True,
    locale: str | None = None,
) -> Person:
    someone = Person(
        full_name=name,
        telegram_id=telegram_id,
        phone=phone,
        municipality_id=municipality.id,
        school_id=school.id if school else None,
        consent_at=datetime.now(UTC) if consented and telegram_id else None,
        locale=locale,
        roles=[
            PersonRole(
                role=role,
                municipality_id=municipality.id if role == Role.COORDINATOR else None,
                region_id=municipality.region_id if role == Role.ADMIN else None,
            )
            for role in roles
        ],
        subjects=[PersonSubject(subject=s) for s in subjects or []],
    )
    db.add(someone)
    await db.flush()
    return someone


async def assign_tutor(db: AsyncSession, tutor: Person, teacher: Person) -> None:
    db.add(TutorAssignment(tutor_id=tutor.id, teacher_id=teacher.id, starts_on=date(2026, 9, 1)))
    await db.flush()
