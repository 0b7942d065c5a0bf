"""Spreadsheets in and out: every .xlsx the bot writes holds what people typed as plain text,
and every file it reads costs bounded memory and work whatever the file declares."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import roster_parse
from bot.services.broadcasts import FailureReason, failure_reason
from bot.services.onboarding import clean_full_name
from bot.services.roster_parse import RosterFileError, parse_roster
from bot.services.roster_report import PEOPLE_SHEET, Problem, RosterReport
from bot.services.roster_xlsx import problems_xlsx, template_xlsx
from bot.services.xlsx_cells import append_row
from bot.texts import LOCALES_DIR, Texts
from storage.models import Delivery, Person
from tests.harness import Harness
from tests.test_broadcasts import COORDINATOR, TEACHERS, arrange, compose
from tests.test_roster import COORDINATOR_ID, PEOPLE_HEADER, coordinator_place, count, xlsx

FORMULA_NAME = '=HYPERLINK("http://example.com","x") Иван'
UPLOAD_LIMIT = 5 * 1024 * 1024


def workbook_of(content: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content))


def cells(content: bytes) -> list[Any]:
    return [cell for sheet in workbook_of(content) for row in sheet.iter_rows() for cell in row]


def document_sent(harness: Harness, chat_id: int) -> bytes:
    [document] = [r for r in harness.sent_to(chat_id) if isinstance(r, SendDocument)]
    assert isinstance(document.document, BufferedInputFile)
    return document.document.data


# --- the writer --------------------------------------------------------------------------------


@pytest.mark.parametrize("write_only", [False, True])
def test_the_cell_writer_keeps_text_text_and_drops_control_characters(write_only: bool) -> None:
    book = openpyxl.Workbook(write_only=write_only)
    sheet = book.create_sheet("x") if write_only else book.active
    append_row(sheet, [FORMULA_NAME, "Иван\x07 Петров\x00", "+7 918", 42, None])
    buffer = io.BytesIO()
    book.save(buffer)

    row = next(iter(workbook_of(buffer.getvalue()).worksheets[0].iter_rows()))
    assert [c.value for c in row[:4]] == [FORMULA_NAME, "Иван Петров", "+7 918", 42]
    assert [c.data_type for c in row[:4]] == ["s", "s", "s", "n"]
    assert row[0].quotePrefix and row[2].quotePrefix


@pytest.fixture
def russian_texts() -> Iterator[None]:
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    with texts.context(), texts.use_locale("ru"):
        yield


@pytest.mark.usefixtures("russian_texts")
def test_roster_problems_xlsx_survives_control_characters_and_formulas() -> None:
    report = RosterReport(municipality_name="Грачёвский")
    report.problems = [
        Problem(PEOPLE_SHEET, 2, "roster.problem.bad_name", {"name": "Иван\x07 Петров"}),
        Problem(PEOPLE_SHEET, 3, "roster.problem.unknown_school", {"school": FORMULA_NAME}),
    ]

    found = cells(problems_xlsx(report))

    texts = [c.value for c in found if isinstance(c.value, str)]
    assert any("«Иван Петров»" in text for text in texts)
    assert all(c.data_type != "f" for c in found)


@pytest.mark.usefixtures("russian_texts")
def test_roster_template_has_no_formulas() -> None:
    assert all(c.data_type != "f" for c in cells(template_xlsx()))


# --- broadcast failures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("TelegramForbiddenError: Forbidden: bot was blocked by the user", FailureReason.BLOCKED),
        ("TelegramForbiddenError: Forbidden: user is deactivated", FailureReason.ACCOUNT_DELETED),
        ("TelegramBadRequest: Bad Request: chat not found", FailureReason.NOT_STARTED),
        (
            "TelegramForbiddenError: Forbidden: bot can't initiate conversation with a user",
            FailureReason.NOT_STARTED,
        ),
        (
            "TelegramNetworkError: HTTP Client says - Request timeout error",
            FailureReason.TELEGRAM_ERROR,
        ),
        ("internal error", FailureReason.TELEGRAM_ERROR),
        (None, FailureReason.TELEGRAM_ERROR),
    ],
)
def test_failure_reasons_are_recognised(error: str | None, reason: FailureReason) -> None:
    assert failure_reason(error) == reason


async def test_broadcast_failures_xlsx_is_safe_and_says_reasons_in_words(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    harness.api.blocked_chats.update({TEACHERS[0], TEACHERS[1], TEACHERS[2]})
    await compose(harness)
    await harness.press(COORDINATOR, "Предпросмотр")
    await harness.press(COORDINATOR, "Отправить сейчас")
    await harness.deliver()
    await harness.run_job("bot.delivery.progress:tick")
    await harness.deliver()
    # Names as they may come from a roster or a join request, and the other reasons Telegram
    # gives for not delivering.
    people = {
        TEACHERS[0]: (
            FORMULA_NAME,
            "TelegramForbiddenError: Forbidden: bot was blocked by the user",
        ),
        TEACHERS[1]: ("Иван\x07 Петров", "TelegramForbiddenError: Forbidden: user is deactivated"),
        TEACHERS[2]: ("Сидоров Пётр", "TelegramBadRequest: Bad Request: chat not found"),
    }
    for telegram_id, (name, error) in people.items():
        person_id = await db.scalar(select(Person.id).where(Person.telegram_id == telegram_id))
        await db.execute(update(Person).where(Person.id == person_id).values(full_name=name))
        await db.execute(
            update(Delivery).where(Delivery.person_id == person_id).values(error=error)
        )
    await db.commit()

    await harness.press(COORDINATOR, "Кому не доставлено")

    sheet = workbook_of(document_sent(harness, COORDINATOR)).active
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {FORMULA_NAME, "Иван Петров", "Сидоров Пётр"}
    assert rows[FORMULA_NAME][0].data_type == "s"
    assert [rows[name][3].value for name in (FORMULA_NAME, "Иван Петров", "Сидоров Пётр")] == [
        "заблокировал(а) бота",
        "аккаунт Telegram удалён",
        "не запускал(а) бота: пригласите лично",
    ]
    assert not any("Telegram" in str(c.value) and "Error" in str(c.value) for c in sheet["D"])


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Иванова\x07 Мария", "join.name_control_characters"),
        ("Иванова\u200b Мария", "join.name_control_characters"),
        (FORMULA_NAME, "join.name_formula_start"),
        ("+Иванова Мария", "join.name_formula_start"),
        ("-Иванова Мария", "join.name_formula_start"),
        ("@Иванова Мария", "join.name_formula_start"),
    ],
)
def test_names_refuse_control_characters_and_formula_starts(typed: str, key: str) -> None:
    with pytest.raises(DomainError) as refusal:
        clean_full_name(typed)
    assert refusal.value.key == key


def test_ordinary_names_still_pass() -> None:
    assert clean_full_name("  Салтыкова-Щедрина  Анна ") == "Салтыкова-Щедрина Анна"


# --- reading rosters ---------------------------------------------------------------------------


async def test_a_nul_byte_deep_in_a_csv_is_reported_not_stored(
    harness: Harness, db: AsyncSession
) -> None:
    """Past the first 4 KB the binary check does not look; PostgreSQL cannot store a NUL."""
    await coordinator_place(db)
    padding = "".join(
        f"Учитель Номер{'а' * (n % 5)} Первый;;СОШ № 2;учитель\r\n" for n in range(120)
    )
    content = (
        "ФИО;Телефон;Школа;Роль\r\n" + padding + "Петрова\x00 Анна Ивановна;;СОШ № 2;учитель\r\n"
    ).encode("utf-8")
    assert content.index(b"\x00") > 4096

    await harness.upload(COORDINATOR_ID, "список.csv", content)
    await harness.run_jobs()
    report = harness.last_text(COORDINATOR_ID)
    assert "невидимые служебные символы" in report
    await harness.press(COORDINATOR_ID, "Применить")
    await harness.run_jobs()

    db.expire_all()
    names = list(await db.scalars(select(Person.full_name)))
    assert not any("\x00" in (name or "") for name in names)
    assert not any("Петрова" in (name or "") for name in names)
    assert any("Учитель Номер" in (name or "") for name in names)


def test_control_characters_in_xlsx_cells_are_removed_and_the_row_reported() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(PEOPLE_HEADER)
    sheet.append(["Петрова Анна", "", "СОШ № 2", "учитель", "", ""])
    sheet.append(["Орлов Игорь", "", "СОШ № 3", "учитель", "", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl refuses to write a control character; XML holds those of C1 (U+0080–U+009F).
    content = _rewrite_sheet(
        buffer.getvalue(), lambda xml: xml.replace("СОШ № 3<", "СОШ\u009b № 3<", 1)
    )

    parsed = parse_roster(content, "список.xlsx", max_upload_bytes=UPLOAD_LIMIT)

    assert [(r.school, r.control_characters) for r in parsed.rows] == [
        ("СОШ № 2", False),
        ("СОШ № 3", True),
    ]


def _rewrite_sheet(content: bytes, change: Any) -> bytes:
    """The same .xlsx with its first sheet's (or shared strings') XML changed as text."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"):
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(item.filename, data)
    return out.getvalue()


def _bomb(unpacked_bytes: int) -> bytes:
    """A valid roster whose sheet carries a huge repetitive string: a few hundred KB packed."""
    filler = "А" * 1000
    repeats = unpacked_bytes // (len(filler.encode("utf-8")) + 40)
    cells_xml = "".join(
        f'<row r="{n + 3}"><c r="G{n + 3}" t="inlineStr"><is><t>{filler}</t></is></c></row>'
        for n in range(repeats)
    )
    return _rewrite_sheet(
        xlsx([["Петрова Анна Ивановна", "", "СОШ № 2", "учитель", "", ""]]),
        lambda xml: xml.replace("</sheetData>", cells_xml + "</sheetData>"),
    )


def test_a_zip_bomb_is_refused_before_unpacking(monkeypatch: pytest.MonkeyPatch) -> None:
    content = _bomb(60 * 1024 * 1024)
    assert len(content) < 1024 * 1024

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(RosterFileError) as refusal:
        parse_roster(content, "список.xlsx", max_upload_bytes=UPLOAD_LIMIT)
    assert refusal.value.key == "roster.file_unpacks_too_big"


def test_a_highly_compressed_part_is_refused_even_within_the_size_cap() -> None:
    content = _bomb(3 * 1024 * 1024)

    with pytest.raises(RosterFileError) as refusal:
        parse_roster(content, "список.xlsx", max_upload_bytes=UPLOAD_LIMIT)
    assert refusal.value.key == "roster.file_unpacks_too_big"


async def test_a_zip_bomb_upload_is_refused_with_a_clear_message(
    harness: Harness, db: AsyncSession
) -> None:
    await coordinator_place(db)

    await harness.upload(COORDINATOR_ID, "список.xlsx", _bomb(60 * 1024 * 1024))
    await harness.run_jobs()

    assert "распаковывается в слишком большой объём" in harness.last_text(COORDINATOR_ID)
    assert await count(db, Person) == 1


def _counting_cells(monkeypatch: pytest.MonkeyPatch, limit: int) -> list[int]:
    """Counts the cells the reader converts, and stops a runaway read instead of hanging."""
    counted = [0]
    original = roster_parse.cell_text

    def counting(value: Any) -> str:
        counted[0] += 1
        if counted[0] > limit:
            raise AssertionError("read more cells than the file holds")
        return original(value)

    monkeypatch.setattr(roster_parse, "cell_text", counting)
    return counted


def test_the_declared_range_is_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    content = _rewrite_sheet(
        xlsx([["Петрова Анна Ивановна", "", "СОШ № 2", "учитель", "", ""]]),
        lambda xml: xml.replace('<dimension ref="A1:F2"', '<dimension ref="A1:XFD1048576"'),
    )
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    counted = _counting_cells(monkeypatch, 1000)

    parsed = parse_roster(content, "список.xlsx", max_upload_bytes=UPLOAD_LIMIT)

    assert [r.full_name for r in parsed.rows] == ["Петрова Анна Ивановна"]
    assert counted[0] <= 12  # two rows of six cells


def test_a_far_away_cell_does_not_stretch_the_read(monkeypatch: pytest.MonkeyPatch) -> None:
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    content = _rewrite_sheet(
        xlsx([["Петрова Анна Ивановна", "", "СОШ № 2", "учитель", "", ""]]),
        lambda xml: xml.replace("</sheetData>", far + "</sheetData>"),
    )
    counted = _counting_cells(monkeypatch, 10 * roster_parse.MAX_COLUMNS)

    parsed = parse_roster(content, "список.xlsx", max_upload_bytes=UPLOAD_LIMIT)

    assert [r.full_name for r in parsed.rows] == ["Петрова Анна Ивановна"]
    assert counted[0] <= 12  # two rows of six cells; the far row lies past the row limit


def test_more_rows_than_a_region_has_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roster_parse, "MAX_ROWS", 50)
    rows = "".join("Учитель Номер Первый;;СОШ № 2;учитель\r\n" for _ in range(60))
    content = ("ФИО;Телефон;Школа;Роль\r\n" + rows).encode("utf-8")

    with pytest.raises(RosterFileError) as refusal:
        parse_roster(content, "список.csv", max_upload_bytes=UPLOAD_LIMIT)
    assert refusal.value.key == "roster.file_too_many_rows"
