"""A teacher's tutor and a tutor's teachers: each sees only their own people."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import assignments
from storage.models import Person, PersonStatus, Role, TutorAssignment
from tests import seed
from tests.harness import Harness

TEACHER_ID = 5001
TUTOR_ID = 5002
OTHER_TUTOR_ID = 5003
COORDINATOR_ID = 5004
TUTOR_PHONE = "+79187770001"


async def arrange(db: AsyncSession) -> dict[str, Person]:
    mun, low, leader = await seed.place(db)
    people = {
        "teacher": await seed.person(
            db,
            name="Смирнова Ольга Николаевна",
            roles=[Role.TEACHER],
            municipality=mun,
            school=low,
            telegram_id=TEACHER_ID,
            subjects=["Русский язык"],
        ),
        "tutor": await seed.person(
            db,
            name="Григорьева Татьяна Павловна",
            roles=[Role.TUTOR],
            municipality=mun,
            school=leader,
            telegram_id=TUTOR_ID,
            phone=TUTOR_PHONE,
        ),
        "other_tutor": await seed.person(
            db,
            name="Павлов Сергей Юрьевич",
            roles=[Role.TUTOR],
            municipality=mun,
            school=leader,
            telegram_id=OTHER_TUTOR_ID,
        ),
        "coordinator": await seed.person(
            db,
            name="Орлова Наталья Петровна",
            roles=[Role.COORDINATOR],
            municipality=mun,
            telegram_id=COORDINATOR_ID,
        ),
        "colleague": await seed.person(
            db,
            name="Лебедев Игорь Олегович",
            roles=[Role.TEACHER],
            municipality=mun,
            school=low,
            subjects=["Математика"],
        ),
        "stranger": await seed.person(
            db,
            name="Морозова Анна Львовна",
            roles=[Role.TEACHER],
            municipality=mun,
            school=leader,
        ),
    }
    return people


async def test_teacher_sees_own_tutor_without_phone(harness: Harness, db: AsyncSession) -> None:
    people = await arrange(db)
    await seed.assign_tutor(db, people["tutor"], people["teacher"])
    await db.commit()

    await harness.send(TEACHER_ID, "🧑‍🏫 Мой наставник")

    text = harness.last_text(TEACHER_ID)
    assert "Григорьева Татьяна Павловна" in text and "МКОУ СОШ № 1 с. Грачёвка" in text
    assert TUTOR_PHONE not in text and "Павлов Сергей" not in text


async def test_teacher_without_tutor_is_told_who_the_coordinator_is(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await db.commit()

    await harness.send(TEACHER_ID, "🧑‍🏫 Мой наставник")

    text = harness.last_text(TEACHER_ID)
    assert "пока не назначен" in text and "Орлова Наталья Петровна" in text


async def test_school_assignment_gives_the_teacher_a_tutor(
    harness: Harness, db: AsyncSession
) -> None:
    people = await arrange(db)
    assert people["teacher"].school_id is not None
    db.add(
        TutorAssignment(
            tutor_id=people["other_tutor"].id,
            school_id=people["teacher"].school_id,
            starts_on=date.today() - timedelta(days=10),
        )
    )
    await db.commit()

    await harness.send(TEACHER_ID, "🧑‍🏫 Мой наставник")

    assert "Павлов Сергей Юрьевич" in harness.last_text(TEACHER_ID)


async def test_personal_assignment_wins_over_the_schools(db: AsyncSession) -> None:
    people = await arrange(db)
    await seed.assign_tutor(db, people["tutor"], people["teacher"])
    db.add(
        TutorAssignment(
            tutor_id=people["other_tutor"].id,
            school_id=people["teacher"].school_id,
            starts_on=date(2026, 1, 1),
        )
    )
    await db.flush()

    tutors = await assignments.tutors_of(db, people["teacher"], date(2026, 10, 1))
    colleague_tutors = await assignments.tutors_of(db, people["colleague"], date(2026, 10, 1))

    assert [link.tutor.id for link in tutors] == [people["tutor"].id]
    assert [link.tutor.id for link in colleague_tutors] == [people["other_tutor"].id]


async def test_ended_and_future_assignments_do_not_count(db: AsyncSession) -> None:
    people = await arrange(db)
    today = date(2026, 10, 1)
    db.add_all(
        [
            TutorAssignment(
                tutor_id=people["tutor"].id,
                teacher_id=people["teacher"].id,
                starts_on=date(2025, 9, 1),
                ends_on=date(2026, 5, 31),
            ),
            TutorAssignment(
                tutor_id=people["other_tutor"].id,
                teacher_id=people["teacher"].id,
                starts_on=date(2026, 11, 1),
            ),
            TutorAssignment(
                tutor_id=people["other_tutor"].id,
                teacher_id=people["colleague"].id,
                starts_on=date(2026, 9, 1),
                ends_on=today,  # the last day still counts
            ),
        ]
    )
    await db.flush()

    assert await assignments.tutors_of(db, people["teacher"], today) == []
    assert (await assignments.assigned_to(db, people["tutor"], today)).teachers == []
    other = await assignments.assigned_to(db, people["other_tutor"], today)
    assert [t.id for t in other.teachers] == [people["colleague"].id]


async def test_tutor_sees_only_assigned_teachers(harness: Harness, db: AsyncSession) -> None:
    people = await arrange(db)
    await seed.assign_tutor(db, people["tutor"], people["teacher"])
    await seed.assign_tutor(db, people["other_tutor"], people["stranger"])
    await db.commit()

    await harness.send(TUTOR_ID, "👥 Мои педагоги")

    text = harness.last_text(TUTOR_ID)
    assert "Смирнова Ольга Николаевна" in text and "Русский язык" in text and "СОШ № 2" in text
    assert "Морозова" not in text and "Лебедев" not in text
    assert "Педагоги (1)" in text


async def test_tutor_of_a_school_sees_its_teachers_but_not_forgotten_ones(
    harness: Harness, db: AsyncSession
) -> None:
    people = await arrange(db)
    db.add(
        TutorAssignment(
            tutor_id=people["tutor"].id,
            school_id=people["teacher"].school_id,
            starts_on=date.today(),
        )
    )
    people["colleague"].status = PersonStatus.FORGOTTEN
    await db.commit()

    await harness.send(TUTOR_ID, "/teachers")

    text = harness.last_text(TUTOR_ID)
    assert "МКОУ СОШ № 2 с. Кугульта — педагогов: 1" in text
    assert "Смирнова Ольга Николаевна" in text
    assert "Лебедев" not in text and "Морозова" not in text


async def test_long_teacher_list_is_capped_with_a_count(harness: Harness, db: AsyncSession) -> None:
    mun, low, leader = await seed.place(db)
    tutor = await seed.person(
        db,
        name="Григорьева Татьяна Павловна",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=TUTOR_ID,
    )
    for number in range(47):
        await seed.person(
            db,
            name=f"Педагог Номер {number:02d}",
            roles=[Role.TEACHER],
            municipality=mun,
            school=low,
        )
    db.add(TutorAssignment(tutor_id=tutor.id, school_id=low.id, starts_on=date.today()))
    await db.commit()

    await harness.send(TUTOR_ID, "👥 Мои педагоги")

    text = harness.last_text(TUTOR_ID)
    assert "Педагоги (47)" in text
    assert "Педагог Номер 39" in text and "Педагог Номер 40" not in text
    assert "…и ещё 7" in text


async def test_teacher_buttons_are_not_for_tutors(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await db.commit()

    await harness.send(TUTOR_ID, "🧑‍🏫 Мой наставник")

    assert "Не понял" in harness.last_text(TUTOR_ID)
