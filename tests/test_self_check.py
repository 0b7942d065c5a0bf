"""The self-check's result and route (ИОМ), the tutor's profiles and the coordinator's results,
driven through the dispatcher on a small scenario file of the same shape as the shipped one."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import CopyMessage, SendDocument, SendMessage, SendPhoto
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import SelfCheckCb
from bot.dialogs.self_check_result import send_result
from bot.services import scenarios, self_check, self_check_charts, survey_runner
from storage.models import (
    Answer,
    Community,
    Delivery,
    Person,
    Response,
    ResponseStatus,
    Role,
    RouteItem,
    RouteItemKind,
    SectionScore,
    Thread,
)
from tests import seed
from tests.harness import Harness

TEACHER, RUSSIAN_TEACHER, TUTOR, OTHER_TUTOR, COORDINATOR, FOREIGN = (
    6101,
    6102,
    6201,
    6202,
    6301,
    6901,
)

SECTIONS = {
    "subject": ("Предметные компетенции", "Разбор результатов ВПР моих классов"),
    "methodical": ("Методические компетенции", "Критерии оценивания"),
    "psychological": ("Психолого-педагогические компетенции", "Поддержка ребёнка"),
    "communicative": ("Коммуникативные компетенции", "Работа с родителями"),
}


# As in the shipped scenario: the words that match a block to a community.
KEYWORDS = {
    "subject": "[предмет, матем, матриц, русск]",
    "methodical": "[метод, урок, оценив]",
    "psychological": "[психолог, инклюз, воспит]",
    "communicative": "[коммуника, родител, общени]",
}


def _scenario_yaml() -> str:
    lines = [
        "id: self_check_teacher",
        "kind: self_check",
        "title: {ru: Самодиагностика профессиональных дефицитов, en: Self-check}",
        "description: {ru: Утверждения о вашей работе., en: Statements about your work.}",
        "audience: [teacher]",
        "repeatable: true",
        "scales:",
        "  agreement:",
        "    min: 1",
        "    max: 5",
        "    labels: {1: никогда, 2: редко, 3: иногда, 4: часто, 5: всегда}",
        "levels:",
        "  - {level: deficit, below_percent: 50}",
        "  - {level: partial, below_percent: 75}",
        "  - {level: none}",
        "dynamics: {sections: [subject, methodical]}",
        "sections:",
    ]
    for section_id, (title, topic) in SECTIONS.items():
        lines += [
            f"  - id: {section_id}",
            f"    title: {{ru: {title}, en: {section_id}}}",
            "    scored: true",
            f"    tutor_topic: {{ru: {topic}, en: {section_id} topic}}",
            f"    community_keywords: {KEYWORDS[section_id]}",
            "    questions:",
            f"      - {{id: {section_id}_1, type: scale, scale: agreement, text: Утверждение}}",
        ]
    lines += [
        "  - id: comment",
        "    title: Комментарий",
        "    questions:",
        "      - {id: wish, type: text, text: Пожелания, max_length: 200, required: false}",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class FakeCharts:
    """Stands in for `bot.services.charts`: records what was drawn, returns a PNG-ish blob."""

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    @dataclass(frozen=True)
    class BlockValue:
        label: str
        percent: float
        level: str

    def _record(self, name: str) -> Any:
        def draw(*args: Any, **kwargs: Any) -> bytes:
            self.calls.append((name, args, kwargs))
            return b"\x89PNG fake " + name.encode()

        return draw

    def __getattr__(self, name: str) -> Any:
        return self._record(name)

    def called(self, name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
        return [(args, kwargs) for n, args, kwargs in self.calls if n == name]


@pytest.fixture(autouse=True)
def scenario_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "self_check_teacher.yaml").write_text(_scenario_yaml(), encoding="utf-8")
    monkeypatch.setattr(scenarios, "SCENARIOS_DIR", folder)
    scenarios.catalogue.cache_clear()
    yield
    scenarios.catalogue.cache_clear()


@pytest.fixture
def charts(monkeypatch: pytest.MonkeyPatch) -> FakeCharts:
    fake = FakeCharts()
    monkeypatch.setattr(self_check_charts, "charts", fake)
    return fake


@dataclass(frozen=True)
class World:
    municipality: int
    school: int
    teacher: int
    russian_teacher: int
    roster_teacher: int
    tutor: int


async def arrange(db: AsyncSession) -> World:
    mun, low, leader = await seed.place(db)
    foreign_mun, _, _ = await seed.place(db, "Кировский городской округ")
    teacher = await seed.person(
        db,
        name="Орлова Вера Павловна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=low,
        telegram_id=TEACHER,
        subjects=["Математика"],
    )
    russian = await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=leader,
        telegram_id=RUSSIAN_TEACHER,
        subjects=["Русский язык"],
    )
    roster_only = await seed.person(
        db,
        name="Иванов Иван Иванович",
        roles=[Role.TEACHER],
        municipality=mun,
        school=low,
        subjects=["Математика", "Физика"],
    )
    tutor = await seed.person(
        db,
        name="Смирнова Ольга Петровна",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=TUTOR,
    )
    await seed.person(
        db,
        name="Кузнецов Игорь Львович",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=OTHER_TUTOR,
    )
    await seed.person(
        db,
        name="Координатор Елена Викторовна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR,
    )
    await seed.person(
        db,
        name="Чужой Координатор",
        roles=[Role.COORDINATOR],
        municipality=foreign_mun,
        telegram_id=FOREIGN,
    )
    await seed.assign_tutor(db, tutor, teacher)
    db.add(Community(municipality_id=mun.id, name="Матрица", description="математика"))
    db.add(Community(municipality_id=mun.id, name="Клуб чтения", description=None))
    await db.commit()
    return World(mun.id, low.id, teacher.id, russian.id, roster_only.id, tutor.id)


async def take_check(
    db: AsyncSession,
    person_id: int,
    points: dict[str, int],
    *,
    wish: str | None = None,
    submit: bool = True,
) -> int:
    """The person answers every statement with `points` by block (1–5) and submits."""
    person = await db.get(Person, person_id)
    assert person is not None
    response_id = await survey_runner.begin(db, person, person.role_set, "self_check_teacher")
    scenario = scenarios.get("self_check_teacher").scenario
    for question in scenario.questions():
        if question.type.value == "scale":
            section = question.id.rsplit("_", 1)[0]
            value = survey_runner.choice_id(scenario, question, points[section])
            await survey_runner.answer_choice(db, person, response_id, value)
    if wish is not None:
        await survey_runner.answer_typed(db, person, response_id, wish)
    else:
        (wish_question,) = [q for q in scenario.questions() if q.id == "wish"]
        token = survey_runner.question_token(scenario, wish_question)
        await survey_runner.skip(db, person, response_id, token)
    if submit:
        await survey_runner.submit(db, person, response_id)
    await db.commit()
    return response_id


LOW = {"subject": 2, "methodical": 3, "psychological": 5, "communicative": 5}  # 25 %, 50 %
HIGH = {"subject": 3, "methodical": 5, "psychological": 5, "communicative": 4}  # 50 %, 100 %


async def route_items(db: AsyncSession, person_id: int) -> list[RouteItem]:
    db.expire_all()
    return list(
        (
            await db.scalars(
                select(RouteItem).where(RouteItem.person_id == person_id).order_by(RouteItem.id)
            )
        ).all()
    )


async def show_result(harness: Harness, db: AsyncSession, world: World, response_id: int) -> None:
    """As the runner form does right after the submit (its writes committed before sending)."""
    texts = harness.dp["texts"]
    with texts.context(), texts.use_locale("ru"):
        async with harness.session_pool() as session:
            person = await session.get(Person, world.teacher)
            assert person is not None
            await self_check.result(session, person, response_id, "ru")
            await session.commit()
            await send_result(
                harness.bot,
                harness.dp["templates"],
                TEACHER,
                session,
                person,
                "ru",
                response_id,
            )


# --- the teacher ----------------------------------------------------------------------------


async def test_result_after_submit_sends_the_chart_the_blocks_and_the_route(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    response_id = await take_check(db, world.teacher, LOW)

    await show_result(harness, db, world, response_id)

    photo = next(r for r in harness.sent_to(TEACHER) if isinstance(r, SendPhoto))
    assert "входная" in (photo.caption or "")
    ((args, _),) = charts.called("profile_chart")
    assert [(b.label, b.percent, b.level) for b in args[1]] == [
        ("Предметные компетенции", 25.0, "deficit"),
        ("Методические компетенции", 50.0, "partial"),
        ("Психолого-педагогические компетенции", 100.0, "none"),
        ("Коммуникативные компетенции", 100.0, "none"),
    ]
    assert charts.called("change_chart") == []
    text = harness.last_text(TEACHER)
    assert "Предметные компетенции: 25 % — выраженный дефицит" in text
    assert "Методические компетенции: 50 % — частичный дефицит" in text
    assert "Коммуникативные компетенции: 100 % — нет дефицита" in text
    assert "мероприятий по этой теме пока нет" in text
    assert "Матрица" in text and "Разбор результатов ВПР моих классов" in text
    # No community name fits the methodical block: all of the municipality's are offered.
    assert "подходящих по теме нет" in text and "Клуб чтения" in text
    assert "Поддержка ребёнка" not in text  # no deficit there
    items = await route_items(db, world.teacher)
    assert {i.section_id for i in items} == {"subject", "methodical"}
    subject = [
        (i.kind, i.title)
        for i in items
        if i.section_id == "subject" and i.kind != RouteItemKind.MATERIAL
    ]
    materials = [i for i in items if i.section_id == "subject" and i.kind == RouteItemKind.MATERIAL]
    assert materials and all(m.title for m in materials)  # from route/materials.yaml
    assert subject == [
        (RouteItemKind.COMMUNITY, "Матрица"),
        (RouteItemKind.TUTOR_TOPIC, "Разбор результатов ВПР моих классов"),
    ]
    assert any("Обсудить с наставником" in b for b in harness.buttons(TEACHER))


async def test_entry_then_final_check_shows_the_change_and_the_verdict(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    await take_check(db, world.teacher, LOW)
    final_id = await take_check(db, world.teacher, HIGH)

    await show_result(harness, db, world, final_id)

    photos = [r for r in harness.sent_to(TEACHER) if isinstance(r, SendPhoto)]
    assert len(photos) == 2 and "итоговая" in (photos[0].caption or "")
    ((args, kwargs),) = charts.called("change_chart")
    assert list(args[2]) == [25.0, 50.0, 100.0, 100.0]
    assert list(args[3]) == [50.0, 100.0, 100.0, 75.0]
    assert kwargs == {"entry_label": "входная", "final_label": "итоговая"}
    text = harness.last_text(TEACHER)
    assert "📈 положительная динамика" in text
    assert "Предметные компетенции», «Методические компетенции" in text


async def test_no_growth_in_the_rules_blocks_is_no_positive_dynamics(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    await take_check(db, world.teacher, HIGH)
    # Subject rose 50 → 100, methodical fell 100 → 50: the rule needs both.
    final_id = await take_check(db, world.teacher, {**LOW, "subject": 5})

    await show_result(harness, db, world, final_id)

    assert "положительной динамики нет" in harness.last_text(TEACHER)


async def test_the_screen_offers_to_continue_and_the_profile_is_shown_again(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    await take_check(db, world.teacher, LOW)
    person = await db.get(Person, world.teacher)
    assert person is not None
    # A second check begun: two statements answered of five.
    unfinished = await survey_runner.begin(db, person, person.role_set, "self_check_teacher")
    scenario = scenarios.get("self_check_teacher").scenario
    for question in scenario.questions()[:2]:
        await survey_runner.answer_choice(
            db, person, unfinished, survey_runner.choice_id(scenario, question, 4)
        )
    await db.commit()

    await harness.send(TEACHER, "🧭 Самодиагностика")

    text = harness.last_text(TEACHER)
    assert "Последний результат: входная самодиагностика" in text
    assert "Предметные компетенции: 25 % — выраженный дефицит" in text
    assert "▶️ Продолжить (вопрос 3 из 5)" in harness.buttons(TEACHER)
    await harness.press(TEACHER, "📈 Мой профиль")
    assert any(isinstance(r, SendPhoto) for r in harness.sent_to(TEACHER))
    assert "Ваш маршрут" not in harness.last_text(TEACHER)
    assert "Индивидуальный образовательный маршрут" in harness.last_text(TEACHER)


async def test_tutor_note_and_done_items_stay_when_a_new_check_replaces_the_route(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    first = await take_check(db, world.teacher, LOW)
    await show_result(harness, db, world, first)

    # The tutor adds a step.
    await harness.send(TUTOR, "🧭 Профили педагогов")
    listing = harness.last_text(TUTOR)
    assert "Орлова Вера Павловна" in listing and "🔴 Предметные компетенции 25 %" in listing
    assert "Петрова" not in listing
    await harness.press(TUTOR, "Орлова")
    assert any(isinstance(r, SendPhoto) for r in harness.sent_to(TUTOR))
    await harness.press(TUTOR, "Добавить в маршрут")
    await harness.send(TUTOR, "x" * 301)
    assert "Слишком длинно: 301" in harness.last_text(TUTOR)
    await harness.send(TUTOR, "Посетить открытый урок Петровой в 7 «Б»")
    assert "Шаг добавлен в маршрут" in harness.last_text(TUTOR)
    await harness.deliver()
    assert "Посетить открытый урок" in harness.last_text(TEACHER)

    # The teacher marks the community of the subject block done.
    await harness.send(TEACHER, "🧭 Самодиагностика")
    await harness.press(TEACHER, "Мой маршрут")
    assert "Посетить открытый урок" in harness.last_text(TEACHER)
    await harness.press(TEACHER, "Выполнено: Матрица")
    assert "✅ Матрица" in harness.last_text(TEACHER)

    second = await take_check(db, world.teacher, HIGH)
    await show_result(harness, db, world, second)

    items = await route_items(db, world.teacher)
    kept = {(i.kind, i.title, i.done_at is not None) for i in items}
    assert (RouteItemKind.TUTOR_NOTE, "Посетить открытый урок Петровой в 7 «Б»", False) in kept
    assert (RouteItemKind.COMMUNITY, "Матрица", True) in kept
    # HIGH has a partial deficit in subject only: the open methodical suggestions are gone.
    assert {i.section_id for i in items if i.done_at is None and i.section_id} == {"subject"}


async def test_the_topic_tap_asks_the_tutor_through_the_question_service(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    response_id = await take_check(db, world.teacher, LOW)
    await show_result(harness, db, world, response_id)

    await harness.press(TEACHER, "Обсудить с наставником: Предметные")

    asked = [r for r in harness.sent_to(TEACHER) if isinstance(r, SendMessage)]
    assert any("Тема для консультации: Разбор результатов ВПР" in r.text for r in asked)
    assert "Смирнова О.П." in harness.last_text(TEACHER)
    db.expire_all()
    thread = (await db.scalars(select(Thread))).one()
    assert thread.teacher_id == world.teacher and thread.tutor_id == world.tutor
    assert any(isinstance(r, CopyMessage) for r in harness.sent_to(TUTOR))
    assert "Обращение №" in harness.texts_to(TUTOR)[0]


async def test_a_tutor_sees_and_changes_only_their_own_teachers(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    await take_check(db, world.russian_teacher, LOW)

    await harness.send(OTHER_TUTOR, "🧭 Профили педагогов")
    assert "не закреплены" in harness.last_text(OTHER_TUTOR)
    for action in ("teacher", "note"):
        data = SelfCheckCb(action=action, value=world.russian_teacher).pack()
        await harness.callback(TUTOR, data)
        assert "не закреплён за вами" in harness.last_text(TUTOR)
    assert not any(isinstance(r, SendPhoto) for r in harness.sent_to(TUTOR))
    assert await route_items(db, world.russian_teacher) == []


# --- the coordinator ------------------------------------------------------------------------


async def test_coordinator_summary_shares_by_hand(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    # Orlova (maths): entry and final with growth; Petrova (Russian): entry only;
    # Ivanov (maths, physics; roster only): none. Teachers 3, passed 2.
    await take_check(db, world.teacher, LOW)
    await take_check(db, world.teacher, HIGH)
    await take_check(db, world.russian_teacher, LOW)

    await harness.send(COORDINATOR, "🧭 Самодиагностика: итоги")

    text = harness.last_text(COORDINATOR)
    assert "Прошли самодиагностику: 2 из 3 (66,7 %, цель — 100 %)" in text
    assert "Не прошли: 1" in text
    # Maths: Orlova yes, Ivanov no → 1 of 2; Russian: 1 of 1; physics: 0 of 1.
    assert "<b>Математика: 1 из 2 (50 %)</b>" in text
    assert "<b>Русский язык: 1 из 1 (100 %)</b>" in text
    assert "Физика: 0 из 1 (0 %)" in text
    # Both checks only Orlova, and hers rose: 1 of 1.
    assert "Положительная динамика: 1 из 1 прошедших обе самодиагностики (100 %, цель — 70 %)" in (
        text
    )

    await harness.press(COORDINATOR, "Кто не прошёл")
    missing = harness.last_text(COORDINATOR)
    assert "Иванов Иван Иванович, СОШ № 2" in missing and "Орлова" not in missing

    await harness.press(COORDINATOR, "Показатели программы")
    ((args, _),) = charts.called("comparison_bar")
    assert list(args[1]) == [
        "Прошли диагностику",
        "Прошли диагностику: Математика",
        "Прошли диагностику: Русский язык",
        "Положительная динамика",
    ]
    assert list(args[2]) == [66.7, 50.0, 100.0, 100.0]
    assert list(args[3]) == [100.0, 100.0, 100.0, 70.0]


async def test_heat_map_and_xlsx(harness: Harness, db: AsyncSession, charts: FakeCharts) -> None:
    world = await arrange(db)
    await take_check(db, world.teacher, LOW)
    await take_check(db, world.teacher, HIGH)  # the latest of Orlova counts
    await take_check(db, world.russian_teacher, LOW)

    await harness.send(COORDINATOR, "🧭 Самодиагностика: итоги")
    await harness.press(COORDINATOR, "Школы и блоки")

    photo = next(r for r in harness.sent_to(COORDINATOR) if isinstance(r, SendPhoto))
    assert "Школ: 2" in (photo.caption or "")
    ((args, kwargs),) = charts.called("heat_map")
    assert kwargs == {"empty_label": "нет"}
    schools, blocks, values = list(args[1]), list(args[2]), [list(v) for v in args[3]]
    assert schools == ["СОШ № 1", "СОШ № 2"]
    assert blocks[0] == "Предметные компетенции"
    assert values == [[25.0, 50.0, 100.0, 100.0], [50.0, 100.0, 100.0, 75.0]]

    await harness.press(COORDINATOR, "Выгрузить в Excel")
    document = next(r for r in harness.sent_to(COORDINATOR) if isinstance(r, SendDocument))
    content = document.document.data  # type: ignore[union-attr]
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Педагоги", "Школы и блоки", "Показатели"]
    teachers = [[c.value for c in row] for row in book["Педагоги"].iter_rows()]
    header = teachers[0]
    assert header[:4] == [
        "ФИО",
        "Школа",
        "Предметные компетенции, % (входная)",
        "Предметные компетенции: уровень (входная)",
    ]
    orlova = next(row for row in teachers if row[0] == "Орлова Вера Павловна")
    assert orlova[1] == "СОШ № 2" and orlova[2] == 25.0 and orlova[3] == "выраженный дефицит"
    final_subject = header.index("Предметные компетенции, % (итоговая)")
    assert orlova[final_subject] == 50.0 and orlova[-1] == "положительная динамика"
    ivanov = next(row for row in teachers if row[0] == "Иванов Иван Иванович")
    assert ivanov[2] is None and ivanov[-1] is None
    shares = [[c.value for c in row] for row in book["Показатели"].iter_rows()]
    assert ["Прошли диагностику", 2, 3, 66.7, 100] in shares
    assert ["Положительная динамика", 1, 1, 100, 70] in shares


async def test_reminder_goes_once_a_day_only_to_those_who_have_not(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    await take_check(db, world.teacher, LOW)

    await harness.send(COORDINATOR, "🧭 Самодиагностика: итоги")
    await harness.press(COORDINATOR, "Напомнить не прошедшим")
    await harness.deliver()

    # Petrova has not and is in the bot; Ivanov has not but is not in the bot; Orlova has.
    assert any("Напоминаем о самодиагностике" in x for x in harness.texts_to(RUSSIAN_TEACHER))
    assert not any("Напоминаем" in x for x in harness.texts_to(TEACHER))
    harness.clear()

    await harness.send(COORDINATOR, "🧭 Самодиагностика: итоги")
    await harness.press(COORDINATOR, "Напомнить не прошедшим")
    assert "уже отправлялось за последние сутки" in harness.last_text(COORDINATOR)
    await harness.deliver()
    assert harness.texts_to(RUSSIAN_TEACHER) == []

    # A day later it may go again.
    await db.execute(
        update(Delivery)
        .where(Delivery.kind == "self_check_reminder")
        .values(created_at=datetime.now(UTC) - timedelta(hours=25))
    )
    await db.commit()
    await harness.press(COORDINATOR, "Напомнить не прошедшим")
    await harness.deliver()
    assert any("Напоминаем" in x for x in harness.texts_to(RUSSIAN_TEACHER))


async def test_a_foreign_coordinator_sees_nothing_of_the_municipality(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    await take_check(db, world.teacher, LOW)
    for action in ("mun", "remind", "missing", "heat", "shares", "xlsx"):
        await harness.callback(FOREIGN, SelfCheckCb(action=action, value=world.municipality).pack())
        assert "недоступны" in harness.last_text(FOREIGN)
    assert not any(isinstance(r, (SendPhoto, SendDocument)) for r in harness.sent_to(FOREIGN))
    db.expire_all()
    assert (await db.scalars(select(Delivery))).all() == []


# --- /forget and /mydata --------------------------------------------------------------------


async def test_forget_leaves_no_free_text_and_keeps_the_scores(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    submitted = await take_check(db, world.teacher, LOW, wish="Хочу к Смирновой на урок")
    await show_result(harness, db, world, submitted)
    unfinished = await take_check(db, world.teacher, HIGH, submit=False)

    await harness.send(TEACHER, "/mydata")
    await harness.run_jobs()
    await harness.send(TEACHER, "/forget")
    await harness.press(TEACHER, "Да, удалить")

    db.expire_all()
    answers = (await db.scalars(select(Answer))).all()
    assert [a.question_id for a in answers if a.response_id == submitted] == [
        "subject_1",
        "methodical_1",
        "psychological_1",
        "communicative_1",
    ]
    assert not any(isinstance(a.value, str) and "Смирнов" in a.value for a in answers)
    assert await db.get(Response, unfinished) is None
    assert await route_items(db, world.teacher) == []
    kept = await db.get(Response, submitted)
    assert kept is not None and kept.status == ResponseStatus.SUBMITTED
    scores = (
        await db.scalars(select(SectionScore).where(SectionScore.response_id == submitted))
    ).all()
    assert len(scores) == 4


async def test_mydata_lists_the_checks_and_the_route(
    harness: Harness, db: AsyncSession, charts: FakeCharts
) -> None:
    world = await arrange(db)
    submitted = await take_check(db, world.teacher, LOW)
    await show_result(harness, db, world, submitted)
    async with harness.session_pool() as session:
        person = await session.get(Person, world.teacher)
        assert person is not None
        data = await self_check.own_data(session, person)
    (check,) = data["responses"]
    assert check["stage"] == "entry" and check["status"] == "submitted"
    assert {(b["section"], b["percent"], b["level"]) for b in check["blocks"]} >= {
        ("Предметные компетенции", 25.0, "deficit")
    }
    assert "Матрица" in {item["title"] for item in data["route"]}
