"""The KPI report on a hand-built data set (`tests/kpi_world.py`), every figure computed by hand.

The world, program year 2025 (calendar), report day 2026-01-20:

Грачёвский округ: schools A (НРО), B (НСУ), C (НРО, joined 2025-07-01) take part in 2025;
D (the leader school) does not. Кировский округ: school E (НРО) takes part.
Teachers: A — Т1 русский язык, Т2 математика, Т3 история; B — Т4 «Математика» (capitalised:
matched case-blind), Т5 физика; C — Т6 русский язык; D — Т7 русский язык; E — Т8 русский язык.

Self-checks in 2025: Т1 entry (subject 40, methodical 40) and final (60, 55); Т2 entry (40, 60)
and final (70, 50); Т4, Т5, Т7 an entry each; Т3 only in 2024.
Communities (members joined 2025-01-15): «Словесники» active horizontal — Т1, Т4; «Закрытое»
inactive horizontal — Т6; «Физики» active, not horizontal — Т5.
Consultations: A 2025-05-05 (teacher Т3); C 2025-03-01 (before it joined); D 2025-05-05 (not
taking part); B 2024-12-01 (the year before).
Events (Грачёвский, held): 3 «десанты» at A, 6 h (Feb, Apr, May) — a cancelled one, a draft and
one in January 2026 are not counted; municipal seminars: at C 4 h in March (before C joined),
at B 4 h in September, three of 2 h; 2 school experience exchanges; 2 webinars (+1 of the
region itself); intermunicipal seminars with 40 attendees from 2 districts and with 39.
Plan-graph tasks: due 03-31 — A done 03-20 (on time), B done 04-05 (late); due 06-30 — A not
done; due 2026-02-15 — after the year, not counted. Monitoring tasks: due 03-31 — A and B done;
due 11-30 — C not done. Parents' surveys: February 2 of 4 answers satisfied (4–5), November
3 of 4.

Грачёвский округ (programs 001, 002, 003 by default):
- EV-SEM-DISTRICT 5 seminars (the 2 of 4 h + 3 of 2 h; intermunicipal ones are another scope)
  of 5 → 100 %, met.  EV-DESANT (001) 3 of 5 → 60 %, behind.
- CM-COUNT 1 («Словесники»; «Закрытое» inactive, «Физики» not horizontal) of 5 → 20 %.
- SC-COVERAGE: Russian/maths teachers Т1, Т2, Т4, Т6 = 4, checked Т1, Т2, Т4 = 3 → 75 %.
- SC-COVERAGE-ALL: Т1–Т6 = 6, checked Т1, Т2, Т4, Т5 = 4 → 66.7 %.
- SC-DYNAMICS: re-checked Т1, Т2 = 2; both sections rose for Т1 only → 50 %; of 70 → 71.4 %.
- COVERAGE-ANY: checked {Т1, Т2, Т4, Т5} ∪ active communities {Т1, Т4, Т5} ∪ consulted {Т3}
  = 5 of 6 → 83.3 %.
- CO-PER-SCHOOL: A only (B's is in 2024, C's before it joined) → 1 of 3 = 33.3 %.
- CM-TEACHER-SHARE: Т1, Т4, Т5 → 3 of 6 = 50 %; of 70 → 71.4 %.
- EV-PER-SCHOOL: A (the «десанты»), B (September seminar); C's was before it joined → 2 of 3
  = 66.7 %.  CM-SCHOOL-SHARE: A and B have members → 66.7 %.
- EV-SEM-INTERMUN 1 (the 40-person one) of 1, met.  EV-EXCHANGE 2 of 4 → 50 %.
- DL-MONITOR: 2 of 3 tasks → 66.7 %.  DL-PLAN: 1 on time of 3 due → 33.3 %.
- SV-PARENTS: 75 % − 50 % = +25.0 points, target +1 → met.
On 2025-06-15 (mid-year): C has not joined yet, so the schools are A and B: EV-PER-SCHOOL 1 of 2
(B's seminar is in September) = 50 %; SC-COVERAGE-ALL Т1–Т5, checked by then 4 → 80 %;
SC-DYNAMICS: no final checks yet → no data.
Year 2023: no schools, events, communities or checks → every line without a fact.
The region (programs 000–003, calendar 2025) adds Кировский округ: EV-WEBINAR 3 of 9 (with the
region's own), EV-SEM-INTERREG 0 of 1; SC-COVERAGE 3 of 5 = 60 %; CO-PER-SCHOOL 1 of 4 = 25 %;
EV-PER-SCHOOL 2 of 4 = 50 %. Кировский округ alone: no events → EV lines without a fact;
SC-COVERAGE 0 of 1 = 0 %.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from aiogram.methods import AnswerCallbackQuery, SendDocument, SendPhoto
from aiogram.types import BufferedInputFile
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import KpiCb
from bot.errors import DomainError
from bot.services import kpi, kpi_targets
from bot.services.kpi_cli import kpi_command
from bot.services.kpi_lines import KpiReport
from bot.texts import LOCALES_DIR, Texts
from config.settings import Settings
from tests import kpi_world
from tests.event_world import person_of
from tests.harness import Harness
from tests.kpi_world import TODAY, YEAR


def by_id(report: KpiReport, program: str | None = None) -> dict[str, tuple[float | None, str]]:
    return {
        line.id: (line.fact, line.status)
        for line in report.lines
        if program is None or line.program == program
    }


async def test_a_municipality_year_figure_by_figure(db: AsyncSession) -> None:
    world = await kpi_world.build(db)
    report = await kpi.kpi_report(
        db, region_id=world.region, municipality_id=world.mun, year=YEAR, today=TODAY
    )
    assert (report.starts_on, report.ends_on) == (date(YEAR, 1, 1), date(YEAR, 12, 31))
    assert by_id(report, "001") == {
        "EV-SEM-DISTRICT": (5.0, "met"),
        "EV-DESANT": (3.0, "behind"),
        "CM-COUNT": (1.0, "behind"),
        "SC-COVERAGE": (75.0, "behind"),
        "SC-COVERAGE-ALL": (66.7, "behind"),
        "SC-DYNAMICS": (50.0, "behind"),
        "COVERAGE-ANY": (83.3, "behind"),
        "CO-PER-SCHOOL": (33.3, "behind"),
        "CM-TEACHER-SHARE": (50.0, "behind"),
    }
    assert by_id(report, "002") == {
        "EV-PER-SCHOOL": (66.7, "behind"),
        "CM-SCHOOL-SHARE": (66.7, "behind"),
        "EV-SEM-INTERMUN": (1.0, "met"),
        "EV-EXCHANGE": (2.0, "behind"),
        "DL-MONITOR": (66.7, "behind"),
    }
    assert by_id(report, "003") == {"DL-PLAN": (33.3, "behind"), "SV-PARENTS": (25.0, "met")}
    lines = {line.id: line for line in report.lines}
    assert lines["EV-DESANT"].target == 5 and lines["EV-DESANT"].percent == 60.0
    assert lines["SC-DYNAMICS"].percent == 71.4
    assert (lines["SC-COVERAGE"].numerator, lines["SC-COVERAGE"].denominator) == (3, 4)
    assert (lines["EV-PER-SCHOOL"].numerator, lines["EV-PER-SCHOOL"].denominator) == (2, 3)
    assert lines["CM-COUNT"].percent == 20.0
    assert lines["EV-SEM-INTERMUN"].comparison == "min"
    assert lines["SC-DYNAMICS"].comparison == "upto"


async def test_mid_year_a_school_counts_from_the_day_it_joined(db: AsyncSession) -> None:
    world = await kpi_world.build(db)
    report = await kpi.kpi_report(
        db, region_id=world.region, municipality_id=world.mun, year=YEAR, today=date(YEAR, 6, 15)
    )
    lines = {line.id: line for line in report.lines}
    assert (lines["EV-PER-SCHOOL"].numerator, lines["EV-PER-SCHOOL"].denominator) == (1, 2)
    assert lines["EV-PER-SCHOOL"].fact == 50.0
    assert lines["SC-COVERAGE-ALL"].fact == 80.0
    assert lines["SC-DYNAMICS"].fact is None and lines["SC-DYNAMICS"].status == "no_data"


async def test_a_year_with_no_data_has_no_facts(db: AsyncSession) -> None:
    world = await kpi_world.build(db)
    report = await kpi.kpi_report(
        db, region_id=world.region, municipality_id=world.mun, year=2023, today=TODAY
    )
    assert report.lines
    assert {line.status for line in report.lines} == {"no_data"}
    assert all(line.percent is None for line in report.lines)


async def test_the_region_and_its_municipalities(db: AsyncSession) -> None:
    world = await kpi_world.build(db)
    both = await kpi.region_report(db, region_id=world.region, year=YEAR, today=TODAY)
    region = by_id(both.region, "000")
    assert region["EV-WEBINAR"] == (3.0, "behind")
    assert region["EV-SEM-INTERREG"] == (0.0, "behind")
    assert region["EV-DESANT"] == (3.0, "behind")
    assert by_id(both.region, "001")["SC-COVERAGE"] == (60.0, "behind")
    assert by_id(both.region, "001")["CO-PER-SCHOOL"] == (25.0, "behind")
    assert by_id(both.region, "002")["EV-PER-SCHOOL"] == (50.0, "behind")
    same = await kpi.kpi_report(
        db, region_id=world.region, municipality_id=None, year=YEAR, today=TODAY
    )
    assert by_id(same) == by_id(both.region)
    names = [r.place for r in both.municipalities]
    assert names == sorted(names, key=str.casefold) and len(names) == 2
    kirov = next(r for r in both.municipalities if r.municipality_id == world.other)
    kirov_lines = by_id(kirov, "000")
    assert kirov_lines["EV-WEBINAR"] == (None, "no_data")
    assert by_id(kirov, "001")["SC-COVERAGE"] == (0.0, "behind")
    grachevka = next(r for r in both.municipalities if r.municipality_id == world.mun)
    assert by_id(grachevka, "000")["EV-WEBINAR"] == (2.0, "behind")


async def test_a_coordinator_never_gets_another_municipality(db: AsyncSession) -> None:
    world = await kpi_world.build(db)
    foreign = await person_of(db, kpi_world.FOREIGN_COORDINATOR)
    with pytest.raises(DomainError) as refused:
        await kpi.report_for(db, foreign, world.mun, YEAR, TODAY)
    assert refused.value.key == "kpi.not_allowed"
    with pytest.raises(DomainError):
        await kpi.report_for(db, foreign, 0, YEAR, TODAY)  # the region: admins only
    own = await kpi.report_for(db, foreign, world.other, YEAR, TODAY)
    assert own.municipality_id == world.other
    admin = await person_of(db, kpi_world.ADMIN)
    region = await kpi.report_for(db, admin, 0, YEAR, TODAY)
    assert region.municipality_id is None and region.region_id == world.region


# --- through the bot --------------------------------------------------------------------------


@pytest.fixture
def on_report_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kpi, "today", lambda: TODAY)


def _file(harness: Harness, kind: type[SendDocument] | type[SendPhoto]) -> BufferedInputFile:
    found = [r for r in harness.requests if isinstance(r, kind)]
    assert len(found) == 1
    media = found[0].document if isinstance(found[0], SendDocument) else found[0].photo
    assert isinstance(media, BufferedInputFile)
    return media


async def test_a_coordinator_sees_their_municipality_and_gets_the_files(
    harness: Harness, db: AsyncSession, on_report_day: None
) -> None:
    world = await kpi_world.build(db)
    coordinator = kpi_world.COORDINATOR
    await harness.send(coordinator, "/kpi")
    text = harness.last_text(coordinator)
    assert f"Грачёвский муниципальный округ, {YEAR + 1} год" in text  # the current year first
    assert "нет данных" in text
    await harness.press(coordinator, f"{YEAR} год")
    text = harness.last_text(coordinator)
    assert f"Грачёвский муниципальный округ, {YEAR} год" in text
    assert "Количество районных семинаров" in text
    assert "не менее 5 · факт 5 · 100 % от цели" in text
    assert "до 70 % · факт 50 % (1 из 2) · 71,4 % от цели" in text
    assert "Концепция Грачёвского округа" in text
    buttons = harness.buttons(coordinator)
    assert "📊 Диаграмма" in buttons and "📥 Excel" in buttons
    assert not any("Весь край" in b for b in buttons)

    chart, excel = (harness.button_data(coordinator, b) for b in ("📊 Диаграмма", "📥 Excel"))
    harness.clear()
    await harness.callback(coordinator, chart)
    png = _file(harness, SendPhoto)
    assert png.data.startswith(b"\x89PNG")

    harness.clear()
    await harness.callback(coordinator, excel)
    document = _file(harness, SendDocument)
    assert document.filename == f"kpi-m{world.mun}-{YEAR}.xlsx"
    book = load_workbook(io.BytesIO(document.data))
    assert book.sheetnames == ["Показатели"]
    rows = list(book["Показатели"].iter_rows(values_only=True))
    assert rows[1][:7] == (
        "№ п/п", "Наименование показателя", "Единица измерения", "Целевое значение", "Факт",
        "%", "Статус",
    )  # fmt: skip
    by_title = {row[1]: row for row in rows[2:]}
    seminars = by_title["Количество районных семинаров"]
    assert seminars[2:7] == ("шт.", "не менее 5", 5, 100, "достигнуто")
    per_school = by_title[
        "Доля школ-участников, на базе которых проведено мероприятие не короче 4 часов"
    ]
    assert per_school[2:7] == ("%", "не менее 100", 66.7, 66.7, "ниже цели")

    # Another municipality's report is refused, whatever the button says.
    harness.clear()
    await harness.callback(
        kpi_world.FOREIGN_COORDINATOR,
        KpiCb(action="show", municipality_id=world.mun, year=YEAR).pack(),
    )
    shown = "\n".join(harness.texts_to(kpi_world.FOREIGN_COORDINATOR))
    shown += "".join(
        str(r.text or "") for r in harness.requests if isinstance(r, AnswerCallbackQuery)
    )
    assert "недоступен" in shown and "Грачёвский" not in shown
    harness.clear()
    await harness.callback(
        kpi_world.FOREIGN_COORDINATOR,
        KpiCb(action="xlsx", municipality_id=world.mun, year=YEAR).pack(),
    )
    assert not [r for r in harness.requests if isinstance(r, SendDocument)]


async def test_an_admin_picks_the_region_and_gets_the_sheet_by_municipality(
    harness: Harness, db: AsyncSession, on_report_day: None
) -> None:
    world = await kpi_world.build(db)
    admin = kpi_world.ADMIN
    await harness.send(admin, "/kpi")
    assert "выберите край или муниципалитет" in harness.last_text(admin)
    await harness.press(admin, "🗺 Весь край")
    await harness.press(admin, f"{YEAR} год")
    text = harness.last_text(admin)
    assert "Количество вебинаров" in text and "не менее 9 · факт 3" in text
    excel = harness.button_data(admin, "📥 Excel")
    harness.clear()
    await harness.callback(admin, excel)
    document = _file(harness, SendDocument)
    assert document.filename == f"kpi-r{world.region}-{YEAR}.xlsx"
    book = load_workbook(io.BytesIO(document.data))
    assert book.sheetnames == ["Показатели", "по муниципалитетам"]
    rows = list(book["по муниципалитетам"].iter_rows(values_only=True))
    header = rows[0]
    assert header[0] == "Муниципалитет" and "EV-WEBINAR (000)" in header
    webinar = header.index("EV-WEBINAR (000)")
    places = {row[0]: row for row in rows[2:]}
    assert places["Грачёвский муниципальный округ"][webinar] == 2
    assert places["Кировский городской округ"][webinar] is None
    coverage = header.index("SC-COVERAGE (001)")
    assert places["Кировский городской округ"][coverage] == 0
    # The admin may open a municipality too.
    await harness.callback(admin, KpiCb(action="places").pack())
    await harness.press(admin, "Кировский городской округ")
    assert "Кировский городской округ" in harness.last_text(admin)


# --- the command line and the targets file ------------------------------------------------------


@pytest.fixture
def russian_texts() -> Iterator[None]:
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    with texts.context(), texts.use_locale("ru"):
        yield


REGION_NAME = "Ставропольский край (Грачёвский муниципальный округ)"


async def test_the_command_line_json_and_xlsx(
    session_pool: async_sessionmaker[AsyncSession],
    settings: Settings,
    db: AsyncSession,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    russian_texts: None,
) -> None:
    world = await kpi_world.build(db)
    code = await kpi_command(
        session_pool, settings, municipality="грачёвский муниципальный округ",
        region=REGION_NAME, year=YEAR, today=TODAY,
    )  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["municipality_id"] == world.mun and data["year"] == YEAR
    lines = {(line["program"], line["id"]): line for line in data["lines"]}
    assert lines[("002", "EV-PER-SCHOOL")] | {"title": ""} == {
        "id": "EV-PER-SCHOOL", "program": "002", "title": "", "comparison": "min",
        "unit": "percent", "target": 100.0, "fact": 66.7, "percent": 66.7, "status": "behind",
        "numerator": 2, "denominator": 3, "source": "002_598ff6470de27532.txt L334",
    }  # fmt: skip
    assert lines[("003", "SV-PARENTS")]["fact"] == 25.0

    out = tmp_path / "region.xlsx"
    code = await kpi_command(
        session_pool, settings, municipality=None, region=REGION_NAME, year=YEAR,
        fmt="xlsx", output=str(out), today=TODAY,
    )  # fmt: skip
    assert code == 0 and str(out) in capsys.readouterr().out
    book = load_workbook(out)
    assert book.sheetnames == ["Показатели", "по муниципалитетам"]
    rows = list(book["Показатели"].iter_rows(values_only=True))
    webinar = next(row for row in rows[2:] if row[1] == "Количество вебинаров")
    assert webinar[2:7] == ("шт.", "не менее 9", 3, 33.3, "ниже цели")
    assert [row[0] for row in rows[2:]] == list(range(1, len(rows) - 1))

    code = await kpi_command(
        session_pool, settings, municipality="Нет такого", region=REGION_NAME, year=YEAR
    )
    assert code == 2 and "Нет такого" in capsys.readouterr().err
    code = await kpi_command(session_pool, settings, municipality=None, region=None, year=YEAR)
    assert code == 2 and "не найден" in capsys.readouterr().err


def test_the_shipped_targets_file_is_valid() -> None:
    loaded = kpi_targets.parse(kpi_targets.KPI_TARGETS_FILE.read_text(encoding="utf-8"))
    ids = {target.id for _, target in loaded.for_region()}
    assert ids == set(kpi_targets.KNOWN_IDS)
    desant = next(t for p, t in loaded.for_region() if (p, t.id) == ("001", "EV-DESANT"))
    assert (desant.target_in(2021), desant.target_in(2023)) == (2, 5)


@pytest.mark.parametrize(
    ("broken", "line", "says"),
    [
        ("      - id: EV-WEBINAR\n", "      - id: EV-WEBINARS\n", "unknown indicator"),
        ("        comparison: upto\n", "        comparison: most\n", "comparison"),
        ('  default:\n    - program: "001"\n', '  default:\n    - program: "009"\n', "009"),
        ("        target: 9\n", "        target: nine\n", "target"),
        ("programs:\n", "programs: [\n", ""),
    ],
)
def test_a_malformed_targets_file_is_refused_with_its_line(
    broken: str, line: str, says: str
) -> None:
    text = kpi_targets.KPI_TARGETS_FILE.read_text(encoding="utf-8")
    assert broken in text
    bad = text.replace(broken, line, 1)
    expected = bad[: bad.index(line)].count("\n") + 1 + line.rstrip("\n").count("\n")
    with pytest.raises(kpi_targets.KpiTargetsError) as refused:
        kpi_targets.parse(bad)
    assert says in refused.value.reason
    assert refused.value.line > 0
    if says not in ("", "009"):
        assert refused.value.line == expected
