"""Render cases of the program year's templates (schools of the year, the plan-graph, deadlines,
monitoring, the board, the KPI report, the weekly digest), read by tests/test_templates.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace as NS
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Moscow")
DAY = date(2025, 3, 4)
USER_TEXT = 'О\'Нил & <b>"Ко"</b>'


_PROGRAM_SCHOOL = NS(
    name="СОШ № 2",
    takes_part=True,
    low_results=True,
    unfavourable_conditions=True,
    level="municipal",
    joined_on=date(2027, 3, 2),
)
_PROGRAM_VIEW = NS(
    municipality_name="Грачёвский МО",
    starts_on=date(2027, 1, 1),
    ends_on=date(2027, 12, 31),
    taking_part=1,
    schools=[_PROGRAM_SCHOOL, NS(name="СОШ № 1", takes_part=False)],
)
_PROGRAM_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("program_schools.html", "marked", {"view": _PROGRAM_VIEW, "year_name": "2027"}),
    (
        "program_year.html",
        "hub",
        {"screens": ("programschools", "plan", "duedates", "monitoring", "board", "kpi")},
    ),
    (
        "program_schools.html",
        "empty",
        {"view": NS(municipality_name="Иваново", starts_on=date(2027, 9, 1),
                    ends_on=date(2028, 8, 31), taking_part=0, schools=[]),
         "year_name": "2027/2028"},
    ),
]  # fmt: skip
_DIGEST_FULL = NS(
    monday=date(2027, 3, 1),
    sunday=date(2027, 3, 7),
    places=["Грачёвский МО", "Иваново"],
    is_empty=False,
    new_questions=3,
    overdue_questions=1,
    deadlines_this_week=[NS(title="Входной <мониторинг>", due_on=date(2027, 3, 3), done=1, total=2)]
    * 2,
    deadlines_overdue=[NS(title="План", due_on=date(2027, 2, 26), done=0, total=5)],
    events=[
        NS(
            title="Семинар",
            starts_at=datetime(2027, 3, 4, 7, tzinfo=UTC),
            registered=12,
            capacity=30,
        ),
        NS(
            title="Вебинар",
            starts_at=datetime(2027, 3, 5, 7, tzinfo=UTC),
            registered=4,
            capacity=None,
        ),
    ],
    surveys=[
        NS(
            title="Опрос",
            answered=4,
            invited=10,
            percent=40,
            deadline=datetime(2027, 3, 10, 17, tzinfo=UTC),
        )
    ],
    kpis=[
        NS(
            title="Вебинары",
            place="Грачёвский МО",
            fact=1.0,
            expected=1.5,
            target=9.0,
            unit="count",
        ),
        NS(title="Школы", place="Иваново", fact=10.0, expected=16.2, target=100.0, unit="percent"),
    ],
)
_DIGEST_EMPTY = NS(
    monday=date(2027, 3, 1),
    sunday=date(2027, 3, 7),
    places=["Грачёвский МО"],
    is_empty=True,
    new_questions=0,
    overdue_questions=0,
    deadlines_this_week=[],
    deadlines_overdue=[],
    events=[],
    surveys=[],
    kpis=[],
)
_DIGEST_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("weekly_digest.html", "full", {"d": _DIGEST_FULL, "tz": TZ, "most": 1}),
    ("weekly_digest.html", "empty", {"d": _DIGEST_EMPTY, "tz": TZ, "most": 10}),
]  # fmt: skip


def _board_cases() -> list[tuple[str, str, dict[str, Any]]]:
    from dataclasses import replace

    from bot.services.monitoring_report import (
        ObjectAverage,
        SchoolRow,
        StageRef,
        StageReport,
        YearStages,
    )
    from bot.services.status_board import Board, DeadlineLine, MunicipalityLine, Overview
    from bot.services.status_board import TargetLine as BoardTarget
    from storage.repositories.status_board import Counts

    counts = Counts(3, 1, 2, 4)
    line = DeadlineLine(1, "1.11", USER_TEXT, "plan", date(2027, 3, 31), counts, (USER_TEXT,), 2)
    board = Board(
        7, USER_TEXT, 2027, date(2027, 4, 2), "overdue", "deadlines", 1, 3, counts, 12,
        (line, DeadlineLine(2, None, "Свой", "own", date(2027, 5, 1), Counts(), (), 0)), (), True,
    )  # fmt: skip
    who = replace(
        board, view="who", deadlines=(), pages=1,
        targets=(BoardTarget(USER_TEXT, True, counts), BoardTarget("Иванова", False, Counts())),
    )  # fmt: skip
    empty = replace(board, deadlines=(), pages=1, totals=Counts())
    overview = Overview(2027, 0, 2, counts, (MunicipalityLine(7, USER_TEXT, counts),))
    stage = StageRef(
        5, 2027, "interim", "Промежуточный мониторинг", date(2027, 9, 1), date(2027, 9, 30)
    )
    entry = StageRef(4, 2027, "entry", "Входной мониторинг", date(2027, 3, 1), date(2027, 3, 31))
    report = StageReport(
        USER_TEXT, stage, entry, 3, 2,
        (ObjectAverage("Преподавание", 62.5, 50.0), ObjectAverage("Среда", None, 40.0),
         ObjectAverage("Управление", 40.0, 45.5)),
        (SchoolRow(1, USER_TEXT, None, (None, None, None)),
         SchoolRow(2, "СОШ № 1", datetime(2027, 9, 3, tzinfo=UTC), (62.5, None, 40.0))),
    )  # fmt: skip
    bare = StageReport(USER_TEXT, entry, None, 0, 0, (ObjectAverage("Среда", None, None),), ())
    return [
        ("status_board.html", "overdue page", {"b": board}),
        ("status_board.html", "by school", {"b": who}),
        ("status_board.html", "nothing", {"b": empty}),
        ("status_board_overview.html", "municipalities", {"o": overview}),
        ("monitoring_stages.html", "year", {"s": YearStages(7, USER_TEXT, 2027, (entry, stage))}),
        ("monitoring_stages.html", "none", {"s": YearStages(7, USER_TEXT, 2027, ())}),
        ("monitoring_report.html", "with previous", {"r": report}),
        ("monitoring_report.html", "no schools", {"r": bare}),
    ]


def _kpi_cases() -> list[tuple[str, str, dict[str, Any]]]:
    from bot.services.kpi_lines import KpiLine, KpiReport

    def line(fact: float | None, **changes: Any) -> KpiLine:
        values: dict[str, Any] = {
            "id": "EV-DESANT", "title": {"ru": USER_TEXT, "en": "Landing"}, "program": "001",
            "comparison": "min", "unit": "count", "target": 5.0, "fact": fact,
            "source": "001 L410",
        }  # fmt: skip
        return KpiLine(**(values | changes))

    lines = [
        line(3.0),
        line(5.0, comparison="upto"),
        line(None),
        line(66.7, unit="percent", target=100.0, numerator=2, denominator=3, program="002"),
    ]
    report = KpiReport(2025, DAY, DAY, 1, 1, USER_TEXT, lines)
    groups = [("001", lines[:3]), ("002", lines[3:])]
    programs = {"001": "Киров", "002": USER_TEXT}
    empty = KpiReport(2025, DAY, DAY, None, 1, "Край", [])
    return [
        ("kpi_report.html", "lines", {"r": report, "groups": groups, "programs": programs,
                                      "lang": "ru"}),
        ("kpi_report.html", "empty", {"r": empty, "groups": [], "programs": {}, "lang": "en"}),
    ]  # fmt: skip


def _deadline_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """Deadlines: a reminder (days before, the day, overdue, from records), a coordinator's
    notice, a help request, the list, a card, «Мои сроки», a task and the editor's summary."""
    due = date(2027, 3, 31)
    item = NS(
        deadline_id=1, title=USER_TEXT, description=USER_TEXT, due_on=due, done_by="comment",
        stage=False, municipality_id=1,
    )  # fmt: skip
    records = NS(**{**vars(item), "done_by": "records", "description": None})
    reminder = {"item": item, "school": USER_TEXT, "days": 7, "overdue": False}
    line = NS(deadline_id=1, title=USER_TEXT, due_on=due, done=1, total=3, overdue=True)
    page = NS(
        municipality_id=1, municipality=USER_TEXT, year=2027, lines=[line], page=0, pages=2,
        others=[],
    )  # fmt: skip
    task_line = NS(
        task_id=1, who=USER_TEXT, done=True, comment=USER_TEXT, evidence="акт.pdf",
        help_requested=False,
    )  # fmt: skip
    asking = NS(**{**vars(task_line), "done": False, "help_requested": True, "evidence": None})
    card = NS(
        deadline_id=1, municipality_id=1, title=USER_TEXT, description=USER_TEXT,
        responsible="school_leaders", starts_on=date(2027, 3, 1), due_on=due,
        reminder_days=[14, 7, 1, 0], recurrence="yearly", done_by="file", done=1, total=2,
        overdue=True, tasks=[task_line, asking], helpers_asked=[USER_TEXT],
    )  # fmt: skip
    view = NS(
        task_id=1, deadline_id=1, title=USER_TEXT, description=None, due_on=due,
        done_by="file", stage=False, school=USER_TEXT, done=False,
    )  # fmt: skip
    request = NS(title=USER_TEXT, due_on=due, asker=USER_TEXT, school=USER_TEXT)
    draft = NS(
        title=USER_TEXT, description=USER_TEXT, reminder_days=[14, 7], recurrence="yearly",
        responsible="person", done_by="comment",
    )  # fmt: skip
    labels = {"responsible_label": "Руководители", "done_by_label": "Файл"}
    return [
        ("deadline_reminder.html", "7 days before", reminder),
        ("deadline_reminder.html", "on the day", reminder | {"days": 0, "school": None}),
        ("deadline_reminder.html", "overdue", reminder | {"days": None, "overdue": True}),
        ("deadline_reminder.html", "from records", reminder | {"item": records}),
        ("deadline_notice.html", "alert", {"item": item, "key": "alert", "who": [USER_TEXT]}),
        ("deadline_notice.html", "no leader", {"item": item, "key": "no_leader", "who": ["A"]}),
        ("deadline_help.html", "help", {"request": request}),
        ("deadline_items.html", "some", {"page": page}),
        ("deadline_items.html", "none", {"page": NS(**{**vars(page), "lines": [], "pages": 1})}),
        ("deadline_card.html", "card", {"card": card} | labels),
        ("deadline_my_tasks.html", "some", {"tasks": [view], "today": date(2027, 4, 1)}),
        ("deadline_my_tasks.html", "none", {"tasks": [], "today": date(2027, 4, 1)}),
        ("deadline_task.html", "pending", {"task": view}),
        ("deadline_task.html", "done", {"task": NS(**{**vars(view), "done": True})}),
        (
            "deadline_summary.html",
            "named person",
            {"draft": draft, "person": USER_TEXT, "start": "01.03.2027", "due": "31.03.2027"}
            | labels,
        ),
    ]


def _plan_cases() -> list[tuple[str, str, dict[str, Any]]]:
    from bot.services.plan_templates import Applied, Home, Preview, TemplateInfo

    shipped = TemplateInfo(
        "grachevka", "Грачёвский округ: план-график", False, {1: 27, 2: 22, 3: 21}
    )
    own = TemplateInfo("stav-2027", "Ставрополь <2027>", True, {1: 5, 2: 0, 3: 0}, 7)
    home = Home([shipped, own], 1, "Грачёвский округ", 1, False, date(2027, 1, 10), (2027, 2028))
    admin = Home([shipped], None, None, 1, True, date(2027, 1, 10), (2027, 2028))
    preview = Preview("grachevka", "Грачёвский округ: план-график", 2027, 2, 22, 25, 3)
    applied = Applied(25, 0, 2, 3, 31, {"coordinators": 15, "school_leaders": 6, "tutors": 4})
    return [
        ("plan_templates.html", "coordinator", {"home": home}),
        ("plan_templates.html", "admin", {"home": admin}),
        ("plan_applied.html", "created", {"p": preview, "a": applied}),
        ("plan_applied.html", "again", {"p": preview, "a": Applied(0, 25, 0, 3)}),
        (
            "plan_upload_problems.html",
            "many",
            {"lines": ["строка 8: «responsible»: <директор>", "строка 12: месяц 13"], "more": 4},
        ),
        ("plan_upload_problems.html", "one", {"lines": ["строка 3: ошибка"], "more": 0}),
        ("plan_region_templates.html", "some", {"templates": [own]}),
        ("plan_region_templates.html", "none", {"templates": []}),
    ]


PROGRAM_YEAR_CASES: list[tuple[str, str, dict[str, Any]]] = [
    *_PROGRAM_CASES,
    *_DIGEST_CASES,
    *_board_cases(),
    *_plan_cases(),
    *_deadline_cases(),
    *_kpi_cases(),
]
