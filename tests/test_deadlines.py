"""A coordinator's own deadline items and the answers to them, driven through the bot as people
would: the editor form (and its refusals), the list and card, «Выполнено» (with a comment or a
file, twice, after removal), «Нужна помощь», evidence download and another municipality's
coordinator kept out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.methods import SendDocument
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import DeadlineAdminCb, TaskCb
from bot.services import deadline_privacy, deadlines, program_years
from bot.services.deadlines import Draft
from storage.models import Deadline, DeadlineTask, DoneBy, Person, ProgramLevel, Role, TaskStatus
from tests import seed
from tests.factories import make_document_message
from tests.harness import Harness

COORDINATOR = 9301
LEADER = 9401
OTHER_LEADER = 9402
TUTOR = 9501
FOREIGN_COORDINATOR = 9901
FOREIGN_LEADER = 9902


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Moscow")).date()


async def world(db: AsyncSession) -> dict[str, int]:
    mun, school, other = await seed.place(db)
    year = program_years.year_of(program_years.kind_of(mun), today())
    for each in (school, other):
        for y in (year, year + 1):
            await program_years.set_participation(
                db, each, y, low_results=True, unfavourable_conditions=False,
                level=ProgramLevel.REGIONAL,
            )  # fmt: skip
    coordinator = await seed.person(
        db, name="Координатор Елена", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    leader = await seed.person(
        db, name="Директор Иван", roles=[Role.SCHOOL_LEADER], municipality=mun, school=school,
        telegram_id=LEADER,
    )  # fmt: skip
    await seed.person(
        db, name="Директор Пётр", roles=[Role.SCHOOL_LEADER], municipality=mun, school=other,
        telegram_id=OTHER_LEADER,
    )  # fmt: skip
    await seed.person(
        db, name="Тьютор Ольга", roles=[Role.TUTOR], municipality=mun, telegram_id=TUTOR
    )
    foreign, foreign_school, _ = await seed.place(db, municipality="Ипатовский округ")
    await seed.person(
        db, name="Чужой Координатор", roles=[Role.COORDINATOR], municipality=foreign,
        telegram_id=FOREIGN_COORDINATOR,
    )  # fmt: skip
    await seed.person(
        db, name="Чужой Директор", roles=[Role.SCHOOL_LEADER], municipality=foreign,
        school=foreign_school, telegram_id=FOREIGN_LEADER,
    )  # fmt: skip
    await db.commit()
    return {
        "mun": mun.id, "school": school.id, "other": other.id, "coordinator": coordinator.id,
        "leader": leader.id,
    }  # fmt: skip


async def item(
    harness: Harness, ids: dict[str, int], done_by: DoneBy = DoneBy.CONFIRM, **extra: object
) -> tuple[int, int]:
    """An item (for the school leaders unless told), made through the service; (deadline,
    the first school's task, or its first task)."""
    async with harness.session_pool.begin() as session:
        coordinator = await session.get(Person, ids["coordinator"])
        assert coordinator is not None
        draft = Draft(
            municipality_id=ids["mun"], title="Сдать план работы", responsible="school_leaders",
            starts_on=today().isoformat(), due_on=(today() + timedelta(days=20)).isoformat(),
            done_by=done_by.value,
        )  # fmt: skip
        for name, value in extra.items():
            setattr(draft, name, value)
        deadline = await deadlines.create(session, coordinator, draft, today())
        task = await session.scalar(
            select(DeadlineTask.id)
            .where(DeadlineTask.deadline_id == deadline.id)
            .order_by(DeadlineTask.school_id != ids["school"], DeadlineTask.id)
            .limit(1)
        )
        assert task is not None
        return deadline.id, task


async def task_row(harness: Harness, task_id: int) -> DeadlineTask:
    async with harness.session_pool() as session:
        found = await session.get(DeadlineTask, task_id)
        assert found is not None
        return found


# --- the editor form ----------------------------------------------------------------------------


async def test_a_coordinator_adds_an_item_through_the_form(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await world(db)
    due = today() + timedelta(days=30)
    await harness.send(COORDINATOR, "/duedates")
    assert "Пунктов в этом году пока нет" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Добавить пункт")
    await harness.send(COORDINATOR, "   ")
    assert "не может быть пустым" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "А" * 301)
    assert "длиннее 300" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "Провести педсовет по итогам ВПР")
    await harness.press(COORDINATOR, "Пропустить")
    await harness.press(COORDINATOR, "Конкретный человек")
    await harness.press(COORDINATOR, "Тьютор Ольга")
    await harness.send(COORDINATOR, f"{today() + timedelta(days=5):%d.%m.%Y}")
    # Bad input at the due date: in the past, before the start, no such day.
    await harness.send(COORDINATOR, f"{today() - timedelta(days=3):%d.%m.%Y}")
    assert "Срок уже прошёл" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, f"{today() + timedelta(days=2):%d.%m.%Y}")
    assert "раньше даты начала" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "31.02.2027")
    assert "Такой даты нет" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, f"{due:%d.%m.%Y}")
    assert "сейчас 14, 7, 1, 0" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "61")
    assert "от 0 до 60" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "30 20 14 10 7 3 1")
    assert "Не больше 6" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "10, 3 0")
    await harness.press(COORDINATOR, "Каждый год")
    await harness.press(COORDINATOR, "Комментарий")
    summary = harness.last_text(COORDINATOR)
    assert "Тьютор Ольга" in summary and "10, 3, 0" in summary
    await harness.press(COORDINATOR, "Сохранить")
    assert "Пункт добавлен" in harness.last_text(COORDINATOR)

    saved = (await db.scalars(select(Deadline))).one()
    assert saved.title == "Провести педсовет по итогам ВПР" and saved.due_on == due
    assert saved.reminder_days == [10, 3, 0] and saved.recurrence == "yearly"
    assert saved.done_by == DoneBy.COMMENT and saved.municipality_id == ids["mun"]
    tasks = (await db.scalars(select(DeadlineTask))).all()
    assert len(tasks) == 1 and tasks[0].person_id is not None

    await harness.send(COORDINATOR, "/duedates")
    assert "Провести педсовет" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Провести педсовет")
    card = harness.last_text(COORDINATOR)
    assert "Выполнено: 0 из 1" in card and "Тьютор Ольга" in card


# --- answering a task ---------------------------------------------------------------------------


async def test_done_twice_and_after_removal(harness: Harness, db: AsyncSession) -> None:
    ids = await world(db)
    deadline_id, task_id = await item(harness, ids)
    await harness.send(LEADER, "/mytasks")
    assert "Сдать план работы" in harness.last_text(LEADER)
    await harness.press(LEADER, "Сдать план работы")
    await harness.press(LEADER, "Выполнено")
    assert "Отмечено как выполненное" in harness.last_text(LEADER)
    first = await task_row(harness, task_id)
    assert first.status == TaskStatus.DONE and first.done_by_id == ids["leader"]
    await harness.callback(LEADER, TaskCb(action="done", task_id=task_id).pack())
    assert "уже отмечен" in harness.last_text(LEADER)
    assert (await task_row(harness, task_id)).done_at == first.done_at

    # Another school's leader cannot answer this school's task.
    await harness.callback(OTHER_LEADER, TaskCb(action="done", task_id=task_id).pack())
    assert "не найден" in harness.last_text(OTHER_LEADER)

    # The coordinator removes the item: the other school's task can no longer be answered.
    other_task = await db.scalar(
        select(DeadlineTask.id).where(DeadlineTask.school_id == ids["other"])
    )
    assert other_task is not None
    await harness.callback(
        COORDINATOR, DeadlineAdminCb(action="remove", deadline_id=deadline_id).pack()
    )
    assert "Удалить пункт" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Да, удалить")
    assert "Пункт удалён" in harness.last_text(COORDINATOR)
    await harness.callback(OTHER_LEADER, TaskCb(action="done", task_id=other_task).pack())
    assert "Этот пункт удалён" in harness.last_text(OTHER_LEADER)
    assert (await task_row(harness, other_task)).status == TaskStatus.PENDING


async def test_a_comment_is_asked_for_and_must_not_be_empty(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await world(db)
    _, task_id = await item(harness, ids, DoneBy.COMMENT)
    await harness.callback(LEADER, TaskCb(action="done", task_id=task_id).pack())
    assert "комментарий" in harness.last_text(LEADER)
    await harness.send(LEADER, "   ")
    assert "Нужен комментарий" in harness.last_text(LEADER)
    assert (await task_row(harness, task_id)).status == TaskStatus.PENDING
    await harness.send(LEADER, "Педсовет проведён 12-го, протокол у завуча")
    done = await task_row(harness, task_id)
    assert done.status == TaskStatus.DONE and done.comment.startswith("Педсовет")  # type: ignore[union-attr]


async def test_evidence_file_type_size_download_and_privacy(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await world(db)
    deadline_id, task_id = await item(harness, ids, DoneBy.FILE)
    await harness.callback(LEADER, TaskCb(action="done", task_id=task_id).pack())
    assert "Пришлите файл" in harness.last_text(LEADER)
    await harness.send(LEADER, "без файла")
    assert "нужен файл" in harness.last_text(LEADER)
    await harness.upload(LEADER, "virus.exe", b"MZ")
    assert "тип файла не подходит" in harness.last_text(LEADER)
    big = make_document_message(
        harness.user(LEADER), "скан.pdf", 20 * 1024 * 1024 + 1, file_id="big-file"
    )
    await harness.send_message(big)
    assert "больше 20 МБ" in harness.last_text(LEADER)
    assert (await task_row(harness, task_id)).status == TaskStatus.PENDING
    await harness.upload(LEADER, "протокол.pdf", b"%PDF-1.4 protocol")
    assert "Отмечено как выполненное" in harness.last_text(LEADER)
    done = await task_row(harness, task_id)
    assert done.evidence_name == "протокол.pdf" and done.evidence_size == 17
    assert done.evidence_file_id is not None

    # The coordinator sees it on the card and downloads it (by its Telegram file id).
    await harness.callback(
        COORDINATOR, DeadlineAdminCb(action="card", deadline_id=deadline_id).pack()
    )
    assert "протокол.pdf" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Файл: СОШ № 2")
    sent = [r for r in harness.sent_to(COORDINATOR) if isinstance(r, SendDocument)]
    assert len(sent) == 1 and sent[0].document == done.evidence_file_id

    # Another municipality's coordinator: neither the card nor the file.
    harness.clear()
    await harness.callback(
        FOREIGN_COORDINATOR, DeadlineAdminCb(action="card", deadline_id=deadline_id).pack()
    )
    await harness.callback(
        FOREIGN_COORDINATOR, DeadlineAdminCb(action="file", task_id=task_id).pack()
    )
    await harness.callback(
        FOREIGN_COORDINATOR, DeadlineAdminCb(action="remove_yes", deadline_id=deadline_id).pack()
    )
    shown = " ".join(harness.texts_to(FOREIGN_COORDINATOR))
    assert "Сдать план работы" not in shown and "протокол" not in shown
    assert "не найден" in shown
    assert not [r for r in harness.sent_to(FOREIGN_COORDINATOR) if isinstance(r, SendDocument)]
    async with harness.session_pool() as session:
        kept = await session.get(Deadline, deadline_id)
        assert kept is not None and kept.removed_at is None


async def test_a_help_request_reaches_the_coordinator(harness: Harness, db: AsyncSession) -> None:
    ids = await world(db)
    deadline_id, task_id = await item(harness, ids)
    await harness.callback(LEADER, TaskCb(action="help", task_id=task_id).pack())
    assert "передана" in harness.last_text(LEADER)
    assert (await task_row(harness, task_id)).help_requested_at is not None
    await harness.deliver()
    told = harness.last_text(COORDINATOR)
    assert "Нужна помощь" in told and "Директор Иван" in told and "Сдать план работы" in told
    assert "СОШ № 2" in told
    assert not harness.texts_to(FOREIGN_COORDINATOR)
    # The card names who asked.
    await harness.callback(
        COORDINATOR, DeadlineAdminCb(action="card", deadline_id=deadline_id).pack()
    )
    assert "Просят помощи: СОШ № 2" in harness.last_text(COORDINATOR)


async def test_the_coordinators_own_item_goes_to_the_admin_for_help(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await world(db)
    mun = ids["mun"]
    async with harness.session_pool.begin() as session:
        from storage.models import Municipality

        municipality = await session.get(Municipality, mun)
        assert municipality is not None
        admin = await seed.person(
            session, name="Админ Края", roles=[Role.ADMIN], municipality=municipality,
            telegram_id=9601,
        )  # fmt: skip
        assert admin.id
    _, task = await item(harness, ids, responsible="coordinators")
    await harness.callback(COORDINATOR, TaskCb(action="help", task_id=task).pack())
    await harness.deliver()
    assert "Нужна помощь" in harness.last_text(9601)


async def test_service_refusals(harness: Harness, db: AsyncSession) -> None:
    ids = await world(db)
    base = Draft(
        municipality_id=ids["mun"], title="Пункт", responsible="school_leaders",
        starts_on=today().isoformat(), due_on=today().isoformat(),
    )  # fmt: skip
    async with harness.session_pool() as session:
        from storage.models import Person

        coordinator = await session.get(Person, ids["coordinator"])
        assert coordinator is not None
        cases = {
            "dl.due_past": {"due_on": (today() - timedelta(days=1)).isoformat()},
            "dl.due_before_start": {"starts_on": (today() + timedelta(days=5)).isoformat(),
                                    "due_on": (today() + timedelta(days=2)).isoformat()},
            "dl.reminders_range": {"reminder_days": [61]},
            "dl.reminders_many": {"reminder_days": [1, 2, 3, 4, 5, 6, 7]},
            "dl.person_unknown": {"responsible": "person", "person_id": 999_999},
            "dl.not_found": {"municipality_id": ids["mun"] + 1},
        }  # fmt: skip
        for key, change in cases.items():
            draft = Draft.from_data(base.to_data() | change)
            try:
                await deadlines.create(session, coordinator, draft, today())
            except deadlines.DomainError as error:
                assert error.key == key
            else:
                raise AssertionError(f"{key} was not refused")
    assert deadlines.parse_reminders("14 7 1 0") == [14, 7, 1, 0]
    assert deadlines.parse_reminders("нет") == []
    evidence = deadlines.check_evidence("f", "Акт.DOCX", 10)
    assert evidence.name == "Акт.DOCX"
    assert (await db.scalars(select(Deadline))).all() == []
    assert date.today() <= datetime.now(UTC).date() + timedelta(days=1)


async def test_the_list_is_paged_with_the_overdue_first(harness: Harness, db: AsyncSession) -> None:
    ids = await world(db)
    for n in range(9):
        await item(harness, ids, title=f"Пункт {n + 1:02d}")
    async with harness.session_pool.begin() as session:
        late = Deadline(
            municipality_id=ids["mun"], year=program_years.year_of(
                program_years.kind_of(None), today() - timedelta(days=1)),
            title="Просроченный пункт", responsible="school_leaders",
            starts_on=today() - timedelta(days=9), due_on=today() - timedelta(days=1),
        )  # fmt: skip
        session.add(late)
        await session.flush()
        session.add(DeadlineTask(deadline_id=late.id, target_key="s1", school_id=ids["school"]))
    await harness.send(COORDINATOR, "/duedates")
    first = harness.last_text(COORDINATOR)
    # On the 1st of January yesterday's item belongs to last year's list, not this one.
    if late.year == program_years.year_of(program_years.kind_of(None), today()):
        assert first.index("Просроченный пункт") < first.index("Пункт 01")
        assert harness.buttons(COORDINATOR)[0].startswith("🔴")
    assert "Страница 1 из 2" in first
    await harness.press(COORDINATOR, "▶")
    assert "Страница 2 из 2" in harness.last_text(COORDINATOR)


# --- /mydata and /forget ------------------------------------------------------------------------


async def test_mydata_lists_my_answers_and_forget_takes_my_words_not_the_record(
    harness: Harness, db: AsyncSession
) -> None:
    """A leader's comment and the evidence file's name are theirs: /mydata shows them, /forget
    takes them; the school's task stays done (with its file) for the coordinator's record."""
    ids = await world(db)
    _, commented = await item(harness, ids, DoneBy.COMMENT)
    _, filed = await item(harness, ids, DoneBy.FILE)
    await harness.callback(LEADER, TaskCb(action="done", task_id=commented).pack())
    await harness.send(LEADER, "Педсовет провёл Иван Петрович")
    await harness.callback(LEADER, TaskCb(action="done", task_id=filed).pack())
    await harness.upload(LEADER, "Отчёт_Иванова.pdf", b"%PDF-1.4 report")
    async with harness.session_pool() as session:
        leader = await session.get(Person, ids["leader"])
        assert leader is not None
        mine = await deadline_privacy.own_data(session, leader)
    assert {(row["comment"], row["evidence"]) for row in mine} == {
        ("Педсовет провёл Иван Петрович", None),
        (None, "Отчёт_Иванова.pdf"),
    }

    await harness.send(LEADER, "/forget")
    await harness.press(LEADER, "Да, удалить")
    for task_id in (commented, filed):
        row = await task_row(harness, task_id)
        assert row.status == TaskStatus.DONE and row.done_by_id is None and row.comment is None
    kept = await task_row(harness, filed)
    assert kept.evidence_file_id is not None and kept.evidence_name == "evidence"
