"""The coordinator's self-check heat map and .xlsx over a big city: more schools than one
picture holds (HEAT_MAP_ROWS) are sent as several pictures, none dropped, and the .xlsx lists
every school. Real charts (about a second for both pictures); the drawing is spied on to see
which schools went into which picture."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pytest
from aiogram.methods import SendDocument, SendMediaGroup, SendPhoto
from aiogram.types import BufferedInputFile, InputMediaPhoto
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import scenarios, self_check_charts
from bot.services.self_check import SCENARIO_ID, block_titles
from bot.services.self_check_views import HEAT_MAP_ROWS, HeatMap, this_year
from storage.models import (
    CheckStage,
    Municipality,
    Person,
    Response,
    ResponseStatus,
    Role,
    School,
    SectionScore,
)
from tests import seed
from tests.harness import Harness

COORDINATOR = 6401
SCHOOLS = 305
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MENU_BUTTON = {"ru": "🧭 Самодиагностика: итоги", "en": "🧭 Self-check: results"}


def school_name(number: int) -> str:
    return f"МБОУ СОШ № {number:03d}"


def percents(number: int) -> list[float]:
    """Each school's block percents, different per school; the last one's easy to spot."""
    if number == SCHOOLS:
        return [10.0, 20.0, 30.0, 40.0]
    return [float(number % 100), 50.0, 75.0, 100.0]


async def a_big_city(db: AsyncSession, locale: str) -> Municipality:
    """305 schools, each with one teacher's submitted check, written straight into the tables:
    the map averages each teacher's latest check by the school on the check, so a school is on
    it once one check names it (the seed's two schools have none and are not)."""
    mun, _, _ = await seed.place(db, "Город Ставрополь")
    await seed.person(
        db,
        name="Координатор Елена Викторовна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR,
        locale=locale,
    )
    schools = [School(municipality_id=mun.id, name=school_name(n)) for n in range(1, SCHOOLS + 1)]
    db.add_all(schools)
    await db.flush()
    teachers = [
        Person(full_name=f"Педагог Школы {n:03d}", municipality_id=mun.id, school_id=school.id)
        for n, school in enumerate(schools, start=1)
    ]
    db.add_all(teachers)
    await db.flush()
    checks = [
        Response(
            scenario_id=SCENARIO_ID,
            scenario_version=scenarios.get(SCENARIO_ID).version,
            person_id=teacher.id,
            school_id=teacher.school_id,
            municipality_id=mun.id,
            status=ResponseStatus.SUBMITTED,
            program_year=this_year(),
            stage=CheckStage.ENTRY,
        )
        for teacher in teachers
    ]
    db.add_all(checks)
    await db.flush()
    blocks = list(block_titles("ru"))
    assert len(blocks) == 4
    db.add_all(
        SectionScore(
            response_id=check.id,
            section_id=block,
            score=percent,
            max_score=100.0,
            percent=percent,
            level="partial",
        )
        for n, check in enumerate(checks, start=1)
        for block, percent in zip(blocks, percents(n), strict=True)
    )
    await db.commit()
    return mun


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], list[list[float | None]]]]:
    """The rows and values of each heat-map picture drawn (by the real charts)."""
    pictures: list[tuple[list[str], list[list[float | None]]]] = []
    real = self_check_charts.heat_map_png

    def spy(
        title: str,
        rows: Sequence[str],
        columns: Sequence[str],
        values: Sequence[Sequence[float | None]],
        empty_label: str,
    ) -> bytes:
        pictures.append((list(rows), [list(v) for v in values]))
        return real(title, rows, columns, values, empty_label)

    monkeypatch.setattr(self_check_charts, "heat_map_png", spy)
    return pictures


def png_of(photo: Any) -> bytes:
    assert isinstance(photo, InputMediaPhoto) and isinstance(photo.media, BufferedInputFile)
    return photo.media.data


@pytest.mark.parametrize(
    ("locale", "captions"),
    [
        ("ru", ["Школы 1–300 из 305.", "Школы 301–305 из 305."]),
        ("en", ["Schools 1–300 of 305.", "Schools 301–305 of 305."]),
    ],
)
async def test_a_city_of_305_schools_gets_two_pictures_and_every_school_in_the_xlsx(
    harness: Harness,
    db: AsyncSession,
    drawn: list[tuple[list[str], list[list[float | None]]]],
    locale: str,
    captions: list[str],
) -> None:
    await a_big_city(db, locale)
    everyone = [school_name(n) for n in range(1, SCHOOLS + 1)]

    await harness.send(COORDINATOR, MENU_BUTTON[locale])
    await harness.press(COORDINATOR, "🗺")

    # Two pictures in one album, each captioned with the schools it shows.
    sent = harness.sent_to(COORDINATOR)
    assert not any(isinstance(r, SendPhoto) for r in sent)
    (album,) = [r for r in sent if isinstance(r, SendMediaGroup)]
    assert len(album.media) == 2
    for photo, caption in zip(album.media, captions, strict=True):
        assert (photo.caption or "").endswith(caption)
        assert png_of(photo).startswith(PNG_MAGIC)
    # The first picture holds the first 300 schools by name, the second the other five.
    assert [rows for rows, _ in drawn] == [everyone[:HEAT_MAP_ROWS], everyone[HEAT_MAP_ROWS:]]
    assert drawn[1][1][-1] == percents(SCHOOLS)

    await harness.press(COORDINATOR, "Excel")
    (document,) = [r for r in harness.sent_to(COORDINATOR) if isinstance(r, SendDocument)]
    assert isinstance(document.document, BufferedInputFile)
    book = load_workbook(io.BytesIO(document.document.data))
    schools_sheet = book.worksheets[1]
    rows = [[c.value for c in row] for row in schools_sheet.iter_rows()][1:]
    assert len(rows) == SCHOOLS
    assert [row[0] for row in rows] == everyone
    assert rows[-1] == [school_name(SCHOOLS), *percents(SCHOOLS)]


def test_pages_split_the_schools_without_dropping_any() -> None:
    def heat_map(count: int) -> HeatMap:
        names = [school_name(n) for n in range(1, count + 1)]
        return HeatMap(
            Municipality(name="Город"), names, ["Блок"], [[float(n)] for n in range(count)]
        )

    assert heat_map(0).pages() == []
    (only,) = heat_map(HEAT_MAP_ROWS).pages()
    assert (only.first, only.last, only.total, len(only.schools)) == (1, 300, 300, 300)
    pages = heat_map(612).pages()
    assert [(p.first, p.last, p.total) for p in pages] == [
        (1, 300, 612),
        (301, 600, 612),
        (601, 612, 612),
    ]
    assert sum(len(p.schools) for p in pages) == 612
    assert pages[-1].values[-1] == [611.0]
