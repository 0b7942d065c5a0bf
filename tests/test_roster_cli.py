"""`nastavnik import-roster`: the import function on a file on disk, dry run and apply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.roster_cli import import_roster_file
from bot.texts import LOCALES_DIR, Texts
from config.settings import Settings
from storage.models import Municipality, Person, Region, Role, School, TutorAssignment

ROSTER_CSV = (
    "ФИО,Телефон,Школа,Роль,Предметы,Наставник\n"
    "Петрова Анна Ивановна,8 918 111-22-33,СОШ № 2,учитель,Математика,+7 918 444-55-66\n"
    "Орлов Игорь Петрович,+7 918 444-55-66,СОШ № 2,наставник,,\n"
    "Без Телефона,abc,СОШ № 2,учитель,,\n"
)


@pytest.fixture(autouse=True)
def russian_texts() -> Iterator[None]:
    # The command line runs inside a Texts context (bot/cli.py does the same).
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    with texts.context(), texts.use_locale("ru"):
        yield


async def region_with_school(db: AsyncSession, settings: Settings) -> Municipality:
    region = Region(name=settings.region_name)
    db.add(region)
    await db.flush()
    municipality = Municipality(region_id=region.id, name="Грачёвский муниципальный округ")
    db.add(municipality)
    await db.flush()
    db.add(School(municipality_id=municipality.id, name="МКОУ СОШ № 2", short_name="СОШ № 2"))
    await db.commit()
    return municipality


async def people_count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Person)) or 0)


async def test_dry_run_prints_the_report_and_writes_nothing(
    session_pool: async_sessionmaker[AsyncSession],
    settings: Settings,
    db: AsyncSession,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await region_with_school(db, settings)
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER_CSV, encoding="utf-8-sig")

    code = await import_roster_file(
        session_pool,
        settings,
        str(path),
        municipality="грачёвский муниципальный округ",
        apply=False,
    )

    assert code == 0
    out = capsys.readouterr().out
    assert "Новых участников:             2" in out
    assert "Строка 4: неверный телефон «abc»" in out
    assert "ничего не записано" in out
    assert "<b>" not in out and "&" not in out
    assert await people_count(db) == 0


async def test_apply_writes_people_roles_and_tutors(
    session_pool: async_sessionmaker[AsyncSession],
    settings: Settings,
    db: AsyncSession,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await region_with_school(db, settings)
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER_CSV, encoding="utf-8")

    code = await import_roster_file(
        session_pool, settings, str(path), municipality="Грачёвский муниципальный округ", apply=True
    )

    assert code == 0
    assert "Изменения записаны" in capsys.readouterr().out
    assert await people_count(db) == 2
    tutor = await db.scalar(select(Person).where(Person.phone == "+79184445566"))
    assert tutor is not None and tutor.role_set == {Role.TUTOR}
    assignment = await db.scalar(select(TutorAssignment))
    assert assignment is not None and assignment.tutor_id == tutor.id

    again = await import_roster_file(
        session_pool, settings, str(path), municipality="Грачёвский муниципальный округ", apply=True
    )
    assert again == 0
    db.expire_all()
    assert await people_count(db) == 2
    assert int(await db.scalar(select(func.count()).select_from(TutorAssignment)) or 0) == 1


async def test_unknown_municipality_returns_2(
    session_pool: async_sessionmaker[AsyncSession],
    settings: Settings,
    db: AsyncSession,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await region_with_school(db, settings)
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER_CSV, encoding="utf-8")

    code = await import_roster_file(
        session_pool, settings, str(path), municipality="Атлантида", apply=True
    )

    assert code == 2
    assert "Муниципалитет «Атлантида» не найден" in capsys.readouterr().err
    assert await people_count(db) == 0


async def test_unusable_files_return_1(
    session_pool: async_sessionmaker[AsyncSession],
    settings: Settings,
    db: AsyncSession,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await region_with_school(db, settings)
    no_name = tmp_path / "no_name.csv"
    no_name.write_text("Телефон;Школа\n89181112233;СОШ № 2\n", encoding="utf-8")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip at all")
    mun = "Грачёвский муниципальный округ"

    assert (
        await import_roster_file(session_pool, settings, str(no_name), municipality=mun, apply=True)
        == 1
    )
    assert "нет обязательных столбцов: ФИО" in capsys.readouterr().err
    assert (
        await import_roster_file(session_pool, settings, str(broken), municipality=mun, apply=True)
        == 1
    )
    assert "Не удалось прочитать файл" in capsys.readouterr().err
    missing = str(tmp_path / "missing.xlsx")
    assert (
        await import_roster_file(session_pool, settings, missing, municipality=mun, apply=True) == 1
    )
    assert "Файл не найден" in capsys.readouterr().err
    assert await people_count(db) == 0
