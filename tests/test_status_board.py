"""The status board on a small world whose every cell is worked out by hand, its filters, the
admin's row per municipality, paging within Telegram's limits through the bot, another
municipality's board refused, and the grid as a picture.

The world (program year 2027, «today» 10.04.2027), schools СОШ № 2 (A), СОШ № 1 (B), ООШ № 9 (C):

| deadline                     | A           | B          | C        | coordinator |
| 1.11 plan, due 31.03         | done 20.03  | done 05.04 | pending  | —           |
| own, coordinators, due 01.05 | —           | —          | —        | pending     |
| monitoring, due 30.09        | pending     | pending    | —        | —           |

(A on time, B late, C overdue on 10.04.)

Per deadline: plan 1/1/1/0 (done/late/overdue/pending), own 0/0/0/1, monitoring 0/0/0/2.
Per school or person: A 1/0/0/1, B 0/1/0/1, C 0/0/1/0, coordinator 0/0/0/1. Total 1/1/1/3.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiogram.methods import SendMediaGroup, SendPhoto
from aiogram.types import BufferedInputFile
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import BoardCb
from bot.errors import DomainError
from bot.services import program_years, status_board
from bot.services.charts.status_grid import grid_png
from storage.models import (
    Deadline,
    DeadlineKind,
    DeadlineTask,
    Municipality,
    ProgramLevel,
    Responsible,
    Role,
    School,
    TaskStatus,
)
from storage.repositories.status_board import Counts
from tests import seed
from tests.harness import Harness

COORDINATOR = 9201
FOREIGN_COORDINATOR = 9202
ADMIN = 9203
YEAR = 2027
TODAY = date(2027, 4, 10)
PNG = b"\x89PNG\r\n\x1a\n"


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


async def _deadline(db: AsyncSession, mun: Municipality, **fields: Any) -> Deadline:
    deadline = Deadline(municipality_id=mun.id, year=fields.pop("year", YEAR), **fields)
    db.add(deadline)
    await db.flush()
    return deadline


def _task(deadline: Deadline, key: str, **fields: Any) -> DeadlineTask:
    target = {"school_id": int(key[1:])} if key[0] == "s" else {"person_id": int(key[1:])}
    return DeadlineTask(deadline_id=deadline.id, target_key=key, **target, **fields)


async def arrange(db: AsyncSession) -> dict[str, Any]:
    mun, a, b = await seed.place(db)
    c = School(municipality_id=mun.id, name="МКОУ ООШ № 9 х. Тихий", short_name="ООШ № 9")
    db.add(c)
    await db.flush()
    coordinator = await seed.person(
        db, name="Координатор Елена", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    admin = await seed.person(
        db, name="Админ Края", roles=[Role.ADMIN], municipality=mun, telegram_id=ADMIN
    )
    neighbour = Municipality(region_id=mun.region_id, name="Шпаковский округ")
    db.add(neighbour)
    other, _, _ = await seed.place(db, municipality="Кировский городской округ")
    foreign = await seed.person(
        db, name="Чужой Координатор", roles=[Role.COORDINATOR], municipality=other,
        telegram_id=FOREIGN_COORDINATOR,
    )  # fmt: skip
    plan = await _deadline(
        db, mun, kind=DeadlineKind.PLAN, item_code="1.11", title="Входной мониторинг по плану",
        responsible=Responsible.SCHOOL_LEADERS, starts_on=date(2027, 3, 1),
        due_on=date(2027, 3, 31),
    )  # fmt: skip
    own = await _deadline(
        db, mun, kind=DeadlineKind.OWN, title="Сдать отчёт в управление",
        responsible=Responsible.COORDINATORS, starts_on=date(2027, 4, 1), due_on=date(2027, 5, 1),
    )  # fmt: skip
    stage = await _deadline(
        db, mun, kind=DeadlineKind.MONITORING, title="Промежуточный мониторинг",
        responsible=Responsible.SCHOOL_LEADERS, starts_on=date(2027, 9, 1),
        due_on=date(2027, 9, 30),
    )  # fmt: skip
    # Removed, of another year, of another municipality: none of them on the board.
    await _deadline(
        db, mun, title="Удалённый", responsible=Responsible.COORDINATORS,
        starts_on=date(2027, 3, 1), due_on=date(2027, 3, 2), removed_at=_at(TODAY),
    )  # fmt: skip
    gone = await _deadline(
        db, mun, title="Прошлый год", responsible=Responsible.COORDINATORS, year=2026,
        starts_on=date(2026, 3, 1), due_on=date(2026, 3, 2),
    )  # fmt: skip
    foreign_item = await _deadline(
        db, other, title="Чужой пункт", responsible=Responsible.COORDINATORS,
        starts_on=date(2027, 3, 1), due_on=date(2027, 3, 2),
    )  # fmt: skip
    db.add_all(
        [
            _task(plan, f"s{a.id}", status=TaskStatus.DONE, done_at=_at(date(2027, 3, 20))),
            _task(plan, f"s{b.id}", status=TaskStatus.DONE, done_at=_at(date(2027, 4, 5))),
            _task(plan, f"s{c.id}"),
            _task(own, f"p{coordinator.id}"),
            _task(stage, f"s{a.id}"),
            _task(stage, f"s{b.id}"),
            _task(gone, f"p{coordinator.id}"),
            _task(foreign_item, f"p{foreign.id}"),
        ]
    )
    await db.commit()
    for person in (coordinator, admin, foreign):
        await db.refresh(person, ["roles"])
    return {
        "mun": mun, "a": a, "b": b, "c": c, "coordinator": coordinator, "admin": admin,
        "foreign": foreign, "other": other, "neighbour": neighbour, "plan": plan, "own": own,
        "stage": stage,
    }  # fmt: skip


def _row(counts: Counts) -> tuple[int, int, int, int]:
    return counts.done, counts.late, counts.overdue, counts.pending


async def test_the_cells_and_counts_by_hand(db: AsyncSession) -> None:
    w = await arrange(db)
    board = await status_board.board(db, w["coordinator"], w["mun"].id, YEAR, TODAY)
    assert _row(board.totals) == (1, 1, 1, 3)
    assert [(d.title, d.code, _row(d.counts)) for d in board.deadlines] == [
        ("Входной мониторинг по плану", "1.11", (1, 1, 1, 0)),
        ("Сдать отчёт в управление", None, (0, 0, 0, 1)),
        ("Промежуточный мониторинг", None, (0, 0, 0, 2)),
    ]
    assert board.deadlines[0].overdue_names == ("ООШ № 9",)  # who is overdue, by name
    who = await status_board.board(db, w["coordinator"], w["mun"].id, YEAR, TODAY, view="who")
    assert {(t.name, t.is_school, _row(t.counts)) for t in who.targets} == {
        ("СОШ № 2", True, (1, 0, 0, 1)),
        ("СОШ № 1", True, (0, 1, 0, 1)),
        ("ООШ № 9", True, (0, 0, 1, 0)),
        ("Координатор Елена", False, (0, 0, 0, 1)),
    }
    assert who.targets[0].name == "ООШ № 9"  # the overdue first

    grid = await status_board.grid(db, w["coordinator"], w["mun"].id, YEAR, TODAY)
    (part,) = grid.parts
    assert (grid.rows, grid.columns, grid.truncated) == (4, 3, False)
    assert part.rows == ("ООШ № 9", "СОШ № 1", "СОШ № 2", "Координатор Елена")
    assert part.states == (
        ("overdue", "none", "none"),
        ("late", "none", "pending"),
        ("done", "none", "pending"),
        ("none", "pending", "none"),
    )


@pytest.mark.parametrize(
    ("chosen", "titles"),
    [
        ("overdue", ["Входной мониторинг по плану"]),
        ("pending", ["Сдать отчёт в управление", "Промежуточный мониторинг"]),
        ("plan", ["Входной мониторинг по плану"]),
        ("own", ["Сдать отчёт в управление"]),
        ("monitoring", ["Промежуточный мониторинг"]),
    ],
)
async def test_filters(db: AsyncSession, chosen: str, titles: list[str]) -> None:
    w = await arrange(db)
    board = await status_board.board(db, w["coordinator"], w["mun"].id, YEAR, TODAY, chosen=chosen)
    assert [d.title for d in board.deadlines] == titles
    if chosen == "overdue":
        assert board.deadlines[0].overdue_names == ("ООШ № 9",)
        who = await status_board.board(
            db, w["coordinator"], w["mun"].id, YEAR, TODAY, chosen=chosen, view="who"
        )
        assert [t.name for t in who.targets] == ["ООШ № 9"]
    with pytest.raises(DomainError):
        await status_board.board(db, w["coordinator"], w["mun"].id, YEAR, TODAY, chosen="x")


async def test_the_admin_sees_a_row_per_municipality(db: AsyncSession) -> None:
    w = await arrange(db)
    overview = await status_board.overview(db, w["admin"], YEAR, TODAY)
    rows = {line.name: _row(line.counts) for line in overview.municipalities}
    assert rows == {"Грачёвский муниципальный округ": (1, 1, 1, 3), "Шпаковский округ": (0,) * 4}
    assert await status_board.start_point(db, w["admin"]) is None
    assert await status_board.start_point(db, w["coordinator"]) == w["mun"].id
    with pytest.raises(DomainError):
        await status_board.overview(db, w["coordinator"], YEAR, TODAY)


async def test_another_municipality_is_refused(harness: Harness, db: AsyncSession) -> None:
    w = await arrange(db)
    with pytest.raises(DomainError):
        await status_board.board(db, w["foreign"], w["mun"].id, YEAR, TODAY)
    with pytest.raises(DomainError):
        await status_board.grid(db, w["foreign"], w["mun"].id, YEAR, TODAY)
    for action in ("open", "who", "png"):
        await harness.callback(
            FOREIGN_COORDINATOR,
            BoardCb(action=action, municipality_id=w["mun"].id, year=YEAR).pack(),
        )
    shown = "\n".join(harness.texts_to(FOREIGN_COORDINATOR))
    assert "СОШ № 2" not in shown and "Сдать отчёт" not in shown
    assert "для координаторов своего муниципалитета" in shown
    assert not [r for r in harness.requests if isinstance(r, SendPhoto | SendMediaGroup)]


async def test_the_picture(harness: Harness, db: AsyncSession) -> None:
    w = await arrange(db)
    await harness.callback(
        COORDINATOR, BoardCb(action="png", municipality_id=w["mun"].id, year=YEAR).pack()
    )
    photos = [r for r in harness.requests if isinstance(r, SendPhoto)]
    assert len(photos) == 1
    photo = photos[0].photo
    assert isinstance(photo, BufferedInputFile)
    assert photo.data.startswith(PNG)
    assert 5_000 < len(photo.data) < 2_000_000
    assert "Строки 1–4 из 4, пункты 1–3 из 3" in (photos[0].caption or "")


async def test_a_big_grid_is_split_and_cut_with_a_note(
    db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await arrange(db)
    monkeypatch.setattr(status_board, "GRID_COLUMNS", 2)
    monkeypatch.setattr(status_board, "GRID_ROWS", 3)
    grid = await status_board.grid(db, w["coordinator"], w["mun"].id, YEAR, TODAY)
    assert [(p.first_row, p.first_column, len(p.rows), len(p.columns)) for p in grid.parts] == [
        (0, 0, 3, 2), (3, 0, 1, 2), (0, 2, 3, 1), (3, 2, 1, 1),
    ]  # fmt: skip
    monkeypatch.setattr(status_board, "GRID_PICTURES", 3)
    grid = await status_board.grid(db, w["coordinator"], w["mun"].id, YEAR, TODAY)
    assert len(grid.parts) == 3 and grid.truncated
    # The widest a part gets: 100 schools × 60 items, readable and within Telegram's limits.
    rows = [f"МКОУ СОШ № {n} с. Длинное Название" for n in range(100)]
    columns = [f"{n}.{n} Пункт плана" for n in range(60)]
    names = ["done", "late", "overdue", "pending", "none"]
    states = [[names[(r + c) % 5] for c in range(60)] for r in range(100)]
    png = grid_png("Исполнение", rows, columns, states, [("done", "в срок")])
    assert png.startswith(PNG) and len(png) < 5_000_000


async def test_paging_keeps_each_message_within_telegram_limits(
    harness: Harness, db: AsyncSession
) -> None:
    mun, school, _ = await seed.place(db)
    await seed.person(
        db, name="Координатор", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    year = program_years.year_of(program_years.kind_of(mun), datetime.now(UTC).date())
    await program_years.set_participation(
        db, school, year, low_results=True, unfavourable_conditions=False,
        level=ProgramLevel.REGIONAL,
    )  # fmt: skip
    schools = []
    for n in range(12):
        extra = School(municipality_id=mun.id, name=f"МКОУ СОШ № {n + 10} " + "Я" * 250)
        db.add(extra)
        schools.append(extra)
    await db.flush()
    for n in range(20):
        deadline = await _deadline(
            db, mun, year=year, kind=DeadlineKind.PLAN, item_code=f"2.{n}",
            title=f"Пункт {n} " + "очень длинное название пункта плана " * 8,
            responsible=Responsible.SCHOOL_LEADERS, starts_on=date(year, 1, 1),
            due_on=date(year, 1, 2),  # overdue for everyone: every name is listed
        )  # fmt: skip
        db.add_all([_task(deadline, f"s{s.id}") for s in schools])
    await db.commit()

    await harness.send(COORDINATOR, "/board")
    first = harness.last_text(COORDINATOR)
    assert "Пункты: 20" in first and "Страница 1 из 3" in first
    await harness.press(COORDINATOR, "Просрочено")
    text = harness.last_text(COORDINATOR)
    assert "и ещё 9" in text and "Страница 1 из 3" in text
    await harness.press(COORDINATOR, "▶")
    await harness.press(COORDINATOR, "▶")
    assert "Страница 3 из 3" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "По школам")
    assert "🏫" in harness.last_text(COORDINATOR)
    # The recording session refuses any message over 4096 characters (checked at teardown).
    assert all(len(t) <= 4096 for t in harness.texts_to(COORDINATOR))
