"""Texts and screens as a new user meets them: every text reads well with real names in it, and
each role's main screens say what the bot really does, in Russian and in English."""

from __future__ import annotations

import io
import re
import string
from types import SimpleNamespace as NS
from typing import Any

import openpyxl
import pytest
from aiogram.methods import SendDocument
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import BroadcastCb
from bot.keyboards.menus import menu_keys
from bot.services import audience as audiences
from bot.texts import LOCALES_DIR, Templates, Texts, read_catalog, t
from storage.models import Broadcast, Municipality, Person, Role
from tests import seed
from tests.harness import Harness, text_of

LOCALES = ("ru", "en")
TEMPLATES_DIR = LOCALES_DIR / "templates"
# Names with initials end with a period: «Мельников А.П.».
NAME = "Мельников А.П."
# Placeholders that only ever hold numbers, dates («04.03.2025») or a setting's name, which never
# end with a period; every other one is filled with a name, the worst case for a sentence that
# goes on after it.
NOT_NAMES = {
    "answered", "assignments", "average", "columns", "communities", "count", "covered", "current",
    "days", "done", "end", "escalate", "hours", "id", "length", "limit", "max", "max_hours",
    "max_mb", "mb", "members", "min", "minutes", "municipalities", "number", "outcome_max",
    "people", "percent", "remind", "revision", "row", "rows", "schools", "sent", "shown",
    "skipped", "start", "total", "whole_school",
    "date", "expires", "moment", "month", "since", "until", "field",
    "files", "good", "problems", "position", "page", "pages", "low", "high", "line",
    "place",
}  # fmt: skip


def _texts(locale: str) -> list[tuple[str, str]]:
    """Every text of the catalogue, each plural form on its own."""
    found: list[tuple[str, str]] = []
    for message in read_catalog(LOCALES_DIR / locale):
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        found.extend((key, form) for form in forms)
    return found


def _with_names(text: str) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return text.format(**{f: "7" if f in NOT_NAMES else NAME for f in fields})


@pytest.mark.parametrize("locale", LOCALES)
def test_no_text_doubles_the_period_after_a_name(locale: str) -> None:
    doubled = [
        (key, rendered)
        for key, text in _texts(locale)
        # «ABC...» in an example token is the text's own: only a period the name brings counts.
        if (rendered := _with_names(text)).count("..") > text.count("..")
    ]
    assert doubled == []


def test_no_template_puts_a_period_after_a_value() -> None:
    """A template sentence that ends with a value then a period doubles it for «А.П.»."""
    # A list's numbers («1. …») are fine: they never end with a period.
    after_value = re.compile(r"(?<!loop\.index )\}\}\.")
    found = [
        (path.name, line)
        for path in sorted(TEMPLATES_DIR.iterdir())
        for line in path.read_text(encoding="utf-8").splitlines()
        if after_value.search(line)
    ]
    assert found == []


# Russian nouns that need a name in the dative or genitive after them: a name there would have
# to be declined («наставнику Мельникову»), which the bot cannot do; texts phrase around it
# («Наставник: Мельников А.П.»).
CASE_WORDS = re.compile(
    r"(?:наставнику|наставника|педагогу|педагога|учителю|учителя|координатору|координатора"
    r"|\bот|\bдля|\bк|\bу)\s+\{(\w+)\}",
    re.IGNORECASE,
)


def test_no_russian_text_needs_a_name_declined() -> None:
    assert [
        (key, text)
        for key, text in _texts("ru")
        if any(field not in NOT_NAMES for field in CASE_WORDS.findall(text))
    ] == []


# --- broadcasts: who the announcement cannot reach ----------------------------------------------

COORDINATOR = 8801
ADMIN = 8802
JOINED = (8810, 8811, 8812)
FORMULA_NAME = '=HYPERLINK("http://x.example","Жми") Иван\x07ов'


async def arrange_broadcast_audience(db: AsyncSession) -> None:
    mun, low, leader = await seed.place(db)
    await seed.person(
        db,
        name="Координатор Елена Викторовна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR,
    )
    await seed.person(
        db, name="Админ Пётр Ильич", roles=[Role.ADMIN], municipality=mun, telegram_id=ADMIN
    )
    for n, telegram_id in enumerate(JOINED):
        await seed.person(
            db,
            name=f"Подключённый Педагог {n}",
            roles=[Role.TEACHER],
            municipality=mun,
            school=low,
            telegram_id=telegram_id,
        )
    # From the roster, never started the bot.
    await seed.person(
        db,
        name="Неподключённая Анна Сергеевна",
        roles=[Role.TEACHER, Role.TUTOR],
        municipality=mun,
        school=leader,
        phone="+79990000001",
    )
    await seed.person(
        db, name=FORMULA_NAME, roles=[Role.TEACHER], municipality=mun, phone="+79990000002"
    )
    # Another municipality's unjoined teacher is none of this coordinator's business.
    other, other_school, _ = await seed.place(db, municipality="Кировский городской округ")
    await seed.person(
        db,
        name="Чужая Неподключённая",
        roles=[Role.TEACHER],
        municipality=other,
        school=other_school,
        phone="+79990000003",
    )
    await db.commit()


def _sheet_rows(document: SendDocument) -> list[tuple[Any, ...]]:
    data = document.document.data  # type: ignore[union-attr]
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def _documents(harness: Harness) -> list[SendDocument]:
    return [r for r in harness.requests if isinstance(r, SendDocument)]


async def test_broadcast_preview_and_report_name_those_who_never_joined(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange_broadcast_audience(db)
    await harness.send(COORDINATOR, "📣 Рассылки")
    await harness.press(COORDINATOR, "Новая рассылка")
    await harness.send(COORDINATOR, "Совещание в пятницу")
    await harness.press(COORDINATOR, "Предпросмотр")

    preview = harness.last_text(COORDINATOR)
    assert "Получателей: 4" in preview  # the teachers and the admin
    assert "Ещё не подключились к боту: 2" in preview

    await harness.press(COORDINATOR, "Кто не подключился")
    [document] = _documents(harness)
    header, *rows = _sheet_rows(document)
    assert header == ("ФИО", "Школа", "Роль", "Телефон")
    assert sorted(rows) == sorted(
        [
            ("Неподключённая Анна Сергеевна", "МКОУ СОШ № 1 с. Грачёвка", "педагог, наставник",
             "+79990000001"),
            # A formula in a name stays text, and the control character is gone.
            ('=HYPERLINK("http://x.example","Жми") Иванов', "—", "педагог", "+79990000002"),
        ]
    )  # fmt: skip
    # The preview's buttons come again below the file.
    assert "Отправить сейчас" in " ".join(harness.buttons(COORDINATOR))

    await harness.press(COORDINATOR, "Отправить сейчас")
    await harness.deliver()
    await harness.run_job("bot.delivery.progress:tick")
    await harness.deliver()
    report = harness.last_text(COORDINATOR)
    assert "Итоги рассылки" in report and "Не подключились к боту: 2" in report

    await harness.press(COORDINATOR, "Кто не подключился")
    assert len(_documents(harness)) == 2
    assert len(_sheet_rows(_documents(harness)[-1])) == 3


async def test_the_unjoined_list_shows_phones_only_to_the_municipalitys_coordinator(
    db: AsyncSession,
) -> None:
    await arrange_broadcast_audience(db)
    admin = await db.scalar(select(Person).where(Person.telegram_id == ADMIN))
    assert admin is not None
    scope = await audiences.sender_scope(db, admin)
    people = await audiences.unjoined(db, scope, audiences.Audience(), admin)
    assert {p.name for p in people} == {"Неподключённая Анна Сергеевна", FORMULA_NAME}
    assert {p.phone for p in people} == {None}


async def test_a_preview_with_everyone_joined_offers_no_list(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange_broadcast_audience(db)
    await harness.send(COORDINATOR, "📣 Рассылки")
    await harness.press(COORDINATOR, "Новая рассылка")
    await harness.send(COORDINATOR, "Совещание в пятницу")
    await harness.press(COORDINATOR, "Школы")
    await harness.press(COORDINATOR, "СОШ № 2")
    await harness.press(COORDINATOR, "Назад")
    await harness.press(COORDINATOR, "Предпросмотр")

    assert "не подключились" not in harness.last_text(COORDINATOR)
    assert "Кто не подключился" not in " ".join(harness.buttons(COORDINATOR))


# --- «Назначить»: who a question would reach ----------------------------------------------------

ASKING_TEACHER = 8901
REACHABLE_TUTOR = 8902
QUEUE_COORDINATOR = 8903


async def test_assigning_marks_tutors_who_never_joined_and_lists_them_last(
    harness: Harness, db: AsyncSession
) -> None:
    mun, school, leader = await seed.place(db)
    await seed.person(
        db,
        name="Иванова Мария Петровна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=ASKING_TEACHER,
    )
    # By name the unjoined tutor comes first; the one a question reaches is listed first.
    await seed.person(
        db, name="Абрамова Нина Ильинична", roles=[Role.TUTOR], municipality=mun, school=leader
    )
    await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=REACHABLE_TUTOR,
    )
    await seed.person(
        db,
        name="Сидорова Ольга Викторовна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=QUEUE_COORDINATOR,
    )
    await db.commit()
    await harness.send(ASKING_TEACHER, "/ask")
    await harness.send(ASKING_TEACHER, "Как готовить к ОГЭ?")
    await harness.deliver()

    await harness.press(QUEUE_COORDINATOR, "Назначить наставника")
    assert "не подключился к боту" in harness.last_text(QUEUE_COORDINATOR)
    assert harness.buttons(QUEUE_COORDINATOR) == [
        "Петрова Анна Ивановна",
        "⚪ Абрамова Нина Ильинична (не в боте)",
    ]
    # Chosen anyway, the coordinator is told why it cannot go to them now.
    await harness.press(QUEUE_COORDINATOR, "Абрамова")
    assert "недоступен в боте" in harness.last_text(QUEUE_COORDINATOR)


# --- a pass as a new user: every role's main screens, in Russian and in English -----------------

WALKERS = {Role.TEACHER: 9101, Role.TUTOR: 9102, Role.COORDINATOR: 9103, Role.ADMIN: 9104}
# What the people and places of the walk are called: data, in Russian whatever the language.
DATA = (
    "Иванова Мария Петровна", "Иванова М.П.", "Петрова Анна Ивановна", "Петрова А.И.",
    "Сидорова Ольга Викторовна", "Админов Пётр Ильич", "Неподключённый Тьютор Ильич",
    "МКОУ СОШ № 2 с. Кугульта", "МКОУ СОШ № 1 с. Грачёвка", "СОШ № 2", "СОШ № 1",
    "Грачёвский муниципальный округ", "Математика", "Как готовить к ОГЭ?", "Начните с демоверсии.",
    "Совещание",
    # Examples the English texts keep in Russian, as the user will type them.
    "Инфомир", "Матрица", "Соцветие естественников",
)  # fmt: skip
# Values of the models' enums: a screen shows them in words, never as they are stored.
RAW_VALUES = re.compile(
    r"\b(?:active|blocked_bot|forgotten|teacher|school_leader|tutor|coordinator|admin|pending"
    r"|sending|sent|blocked|failed|unknown|cancelled|scheduled|done|open|answered|closed"
    r"|in_person|online|video|phone|subject|methodical|psychological|None|True|False)\b"
)
# A line that runs into the next one: «Доставлено: 0Ждут отправки».
GLUED = re.compile(r"[0-9a-zа-яё)][А-ЯЁ](?=[а-яё])")
# What a Russian screen may say in Latin letters.
LATIN_ALLOWED = {"Excel", "CSV", "Telegram", "xlsx", "csv"}


def _without_data(text: str) -> str:
    text = re.sub(r"<[^>]+>|https?://\S+|/[a-z_]+\b|\d{1,2}\.\d{1,2}\.\d{4}", " ", text)
    for value in DATA:
        text = text.replace(value, " ")
    return text


async def _walk_world(db: AsyncSession, locale: str) -> None:
    mun, low, leader = await seed.place(db)
    names = {
        Role.TEACHER: "Иванова Мария Петровна",
        Role.TUTOR: "Петрова Анна Ивановна",
        Role.COORDINATOR: "Сидорова Ольга Викторовна",
        Role.ADMIN: "Админов Пётр Ильич",
    }
    people = {
        role: await seed.person(
            db,
            name=names[role],
            roles=[role],
            municipality=mun,
            school={Role.TEACHER: low, Role.TUTOR: leader}.get(role),
            telegram_id=telegram_id,
            subjects=["Математика"] if role == Role.TEACHER else None,
            locale=locale,
        )
        for role, telegram_id in WALKERS.items()
    }
    await seed.person(
        db, name="Неподключённый Тьютор Ильич", roles=[Role.TUTOR], municipality=mun, school=leader
    )
    await seed.assign_tutor(db, people[Role.TUTOR], people[Role.TEACHER])
    await db.commit()


async def _screens(harness: Harness, locale: str) -> list[tuple[str, str]]:
    """Every main screen of every role, and a question asked and answered, as (where, text)."""
    seen: list[tuple[str, str]] = []

    async def look(role: Role, action: str, step: Any) -> None:
        before = len(harness.requests)
        await step
        await harness.deliver()
        seen.extend(
            (f"{locale} {role} {action}", text)
            for request in harness.requests[before:]
            if (text := text_of(request))
        )

    teacher, tutor = WALKERS[Role.TEACHER], WALKERS[Role.TUTOR]
    coordinator = WALKERS[Role.COORDINATOR]
    with harness.dp["texts"].context():
        await look(Role.TEACHER, "ask", harness.send(teacher, "/ask"))
        await look(Role.TEACHER, "question", harness.send(teacher, "Как готовить к ОГЭ?"))
        for role, chat in WALKERS.items():
            for key in ["/start", "/menu", "/help", *menu_keys(frozenset({role}))]:
                text = key if key.startswith("/") else t(key, locale=locale)
                await look(role, text, harness.send(chat, text))
        answer = t("questions.button_answer_n", locale=locale, number=1)
        await look(Role.TUTOR, "answer", harness.press(tutor, answer))
        await look(Role.TUTOR, "answer text", harness.send(tutor, "Начните с демоверсии."))
        close = t("questions.button_close", locale=locale)
        await look(Role.TEACHER, "close", harness.press(teacher, close))
        await look(Role.TEACHER, "rate", harness.press(teacher, "⭐⭐⭐⭐⭐"))
        consult = t("consultations.button_new", locale=locale)
        await look(Role.TUTOR, "consultation", harness.press(tutor, consult))
        await look(Role.TUTOR, "menu", harness.send(tutor, "/menu"))
        await look(Role.TUTOR, "consultations", harness.send(tutor, "/consult"))
        mine = t("consultations.button_mine", locale=locale)
        await look(Role.TUTOR, "month", harness.press(tutor, mine))
        new_broadcast = t("broadcast.new", locale=locale)
        await look(Role.COORDINATOR, "broadcast", harness.press(coordinator, new_broadcast))
        await look(Role.COORDINATOR, "audience", harness.send(coordinator, "Совещание"))
        preview = t("broadcast.to_preview", locale=locale)
        await look(Role.COORDINATOR, "preview", harness.press(coordinator, preview))
        send_now = t("broadcast.send_now", locale=locale)
        await look(Role.COORDINATOR, "send", harness.press(coordinator, send_now))
        await look(Role.COORDINATOR, "progress", harness.run_job("bot.delivery.progress:tick"))
        history = t("broadcast.history", locale=locale)
        await look(Role.COORDINATOR, "history", harness.press(coordinator, history))
    return seen


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_new_user_walks_every_roles_main_screens(
    harness: Harness, db: AsyncSession, locale: str
) -> None:
    await _walk_world(db, locale)
    screens = await _screens(harness, locale)
    assert len(screens) > 40

    problems = []
    for where, text in screens:
        plain = _without_data(text)
        if ".." in text.replace("...", "…"):
            problems.append((where, "double period", text))
        if GLUED.search(plain):
            problems.append((where, "lines run together", text))
        if RAW_VALUES.search(plain if locale == "ru" else ""):
            problems.append((where, "a raw value", text))
        if re.search(r"\b[a-z_]+\.[a-z_]+\.?[a-z_]*\b", plain):
            problems.append((where, "a text key", text))
        if locale == "ru" and set(re.findall(r"[A-Za-z]{2,}", plain)) - LATIN_ALLOWED:
            problems.append((where, "English in Russian", text))
        if locale == "en" and re.search(r"[А-Яа-яЁё]", plain):
            problems.append((where, "Russian in English", text))
    assert problems == []


# --- promises: the first screens say only what the bot does ------------------------------------

# Features the program plans and the bot does not have yet.
NOT_YET = re.compile(
    r"мероприят|самодиагност|напоминани|бот сообщит|event|self-check|reminder|will tell you",
    re.IGNORECASE,
)
PROMISING_SCREENS = {
    "consent.html": {"policy_url": "https://example.org/privacy"},
    "my_tutor.html": {
        "tutors": [NS(tutor=NS(full_name="Петрова Анна Ивановна"), school=None)],
        "coordinators": [],
    },
    "help.html": {"roles": list(Role)},
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", sorted(PROMISING_SCREENS))
def test_first_screens_promise_only_what_exists(name: str, locale: str) -> None:
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    templates = Templates(LOCALES_DIR, texts.available_locales)
    with texts.context():
        screens = [templates.render(name, locale, **PROMISING_SCREENS[name])]
        if name == "my_tutor.html":
            for coordinators in ([NS(full_name="Сидорова О.В.")], []):
                screens.append(templates.render(name, locale, tutors=[], coordinators=coordinators))
    assert [NOT_YET.findall(screen) for screen in screens] == [[]] * len(screens)
    # The template says so to whoever adds a feature.
    assert "grows as features land" in (TEMPLATES_DIR / name).read_text(encoding="utf-8")


# --- broadcast progress: each count on its own line ----------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("problems", [0, 1], ids=["clean", "with problems"])
@pytest.mark.parametrize("waiting", [0, 6], ids=["finished", "waiting"])
def test_broadcast_progress_keeps_every_count_on_its_own_line(
    locale: str, problems: int, waiting: int
) -> None:
    progress = NS(
        finished=waiting == 0,
        done=4,
        total=10,
        sent=0,
        blocked=problems,
        failed=problems,
        unknown=problems,
        cancelled=problems,
        waiting=waiting,
    )
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    templates = Templates(LOCALES_DIR, texts.available_locales)
    with texts.context():
        text = templates.render("broadcast_progress.html", locale, broadcast=NS(id=3), p=progress)
        delivered = t("broadcast.progress.delivered", locale=locale, count="0")
        waiting_line = t("broadcast.progress.waiting", locale=locale, count=str(waiting))
    lines = text.split("\n")
    assert [line for line in lines if line.startswith(delivered)] != []
    if waiting:
        assert waiting_line in lines
    else:
        assert waiting_line not in text


async def test_another_municipalitys_coordinator_gets_no_unjoined_list(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange_broadcast_audience(db)
    other = await db.scalar(
        select(Municipality).where(Municipality.name == "Кировский городской округ")
    )
    assert other is not None
    foreign = 8899
    await seed.person(
        db, name="Чужой Координатор", roles=[Role.COORDINATOR], municipality=other,
        telegram_id=foreign,
    )  # fmt: skip
    await db.commit()
    await harness.send(COORDINATOR, "📣 Рассылки")
    await harness.press(COORDINATOR, "Новая рассылка")
    await harness.send(COORDINATOR, "Совещание в пятницу")
    await harness.press(COORDINATOR, "Предпросмотр")
    await harness.press(COORDINATOR, "Отправить сейчас")
    broadcast = await db.scalar(select(Broadcast))
    assert broadcast is not None

    await harness.callback(foreign, BroadcastCb(action="unjoined", value=broadcast.id).pack())
    assert _documents(harness) == []
    assert "не найдена" in harness.last_text(foreign)
