"""Every template renders in every language, with representative context for its branches."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace as NS
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from markupsafe import Markup

from bot.texts import LOCALES_DIR, Templates, Texts, read_catalog
from storage.models import BroadcastStatus, CompetenceBlock, ConsultationFormat, Role, ThreadStatus
from tests.template_cases_program import PROGRAM_YEAR_CASES

LOCALES = ("ru", "en")
TZ = ZoneInfo("Europe/Moscow")
MOMENT = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
DAY = date(2025, 3, 4)
USER_TEXT = 'О\'Нил & <b>"Ко"</b>'


def _consultation(**changes: Any) -> NS:
    values: dict[str, Any] = {
        "held_on": DAY,
        "whole_school": False,
        "format": ConsultationFormat.ONLINE,
        "block": CompetenceBlock.SUBJECT,
        "duration_minutes": 45,
        "topic": USER_TEXT,
        "outcome": "План подготовки к ВПР",
    }
    return NS(**(values | changes))


def _entry(**changes: Any) -> NS:
    return NS(
        consultation=_consultation(**changes),
        school=NS(label="Школа № 1", name="МБОУ СОШ № 1"),
        teacher_names=["Иванова И. И.", USER_TEXT],
        tutor=NS(full_name="Сидорова С. С."),
    )


def _consultation_report(**changes: Any) -> NS:
    values: dict[str, Any] = {
        "municipality": NS(name="Кировский район"),
        "filter": NS(period="month"),
        "since": DAY,
        "until": DAY,
        "school": NS(name=USER_TEXT),
        "tutor": NS(full_name=None),
        "count": 12,
        "hours": 1240.5,
        "schools_covered": 3,
        "teachers_named": 5,
        "whole_school": 2,
        "by_format": [("online", 3), ("phone", 1)],
        "by_block": [("subject", 2), ("methodical", 1)],
        "participating_covered": 3,
        "participating": 10,
    }
    return NS(**(values | changes))


def _roster_report(**changes: Any) -> NS:
    values: dict[str, Any] = {
        "municipality_name": "Кировский район",
        "file_problem": None,
        "rows": 1240,
        "new_people": 3,
        "updated_people": 2,
        "unchanged_people": 5,
        "schools_created": 1,
        "schools_updated": 2,
        "tutor_assignments": 4,
        "problems": [1, 2, 3],
        "skipped_rows": 2,
        "has_changes": True,
    }
    return NS(**(values | changes))


def _progress(**changes: Any) -> NS:
    values: dict[str, Any] = {
        "finished": False,
        "done": 1100,
        "total": 1240,
        "sent": 1090,
        "blocked": 5,
        "failed": 3,
        "unknown": 1,
        "cancelled": 1,
        "waiting": 140,
    }
    return NS(**(values | changes))


_SETTINGS_VIEW = NS(
    municipality=NS(name="Кировский район"),
    remind=NS(number=12, is_default=False, default=24),
    escalate=NS(number=48, is_default=True, default=48),
    autoclose=NS(number=7, is_default=False, default=14),
    timezone_is_default=True,
    year_kind="school",
)
_SETTINGS_DEFAULTS = NS(
    municipality=NS(name="Кировский район"),
    remind=NS(number=24, is_default=True, default=24),
    escalate=NS(number=12, is_default=False, default=48),
    autoclose=NS(number=1, is_default=True, default=1),
    timezone_is_default=False,
    year_kind="calendar",
)
_ROSTER_CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "check",
        {
            "report": _roster_report(),
            "filename": "список <1>.xlsx",
            "applied": False,
            "problems": [Markup("Строка 3: <b>нет</b> ФИО"), Markup("Строка 5: телефон")],
            "more": 2,
        },
    ),
    (
        "applied",
        {
            "report": _roster_report(problems=[], skipped_rows=0),
            "filename": "",
            "applied": True,
            "problems": [],
            "more": 0,
        },
    ),
    (
        "nothing to write",
        {
            "report": _roster_report(has_changes=False, problems=[1], skipped_rows=1),
            "filename": "a.csv",
            "applied": False,
            "problems": [Markup("Строка 2")],
            "more": 0,
        },
    ),
    (
        "broken file",
        {
            "report": _roster_report(file_problem="Файл пуст"),
            "filename": "a.csv",
            "applied": False,
            "problems": [],
            "more": 0,
        },
    ),
]


def _survey_card(**changes: Any) -> Any:
    from bot.services.surveys import SurveyCard

    values: dict[str, Any] = {
        "id": 4,
        "title": USER_TEXT,
        "deadline": MOMENT,
        "open": True,
        "invited": 1200,
        "answered": 450,
        "anonymous": False,
        "public": False,
    }
    return SurveyCard(**(values | changes))


def _survey_summary(hidden: bool) -> Any:
    from bot.services.scenario_schema import QuestionType
    from bot.services.surveys import OptionCount, QuestionSummary, SchoolLine, SurveySummary

    questions = [
        QuestionSummary(
            "q1", USER_TEXT, QuestionType.SINGLE, 7, [OptionCount(USER_TEXT, 5, 71)], None
        ),
        QuestionSummary(
            "q2", "Оцените", QuestionType.YES_NO, 7, [OptionCount("yes", 7, 100)], None
        ),
        QuestionSummary("q3", "Сколько", QuestionType.NUMBER, 0, [], 12.5),
        QuestionSummary("q4", "Что ещё", QuestionType.TEXT, 3, texts=3),
    ]
    return SurveySummary(
        _survey_card(), 7, hidden, [] if hidden else questions, [SchoolLine(USER_TEXT, 3, 9)]
    )


_SURVEY_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "survey_admin_list.html",
        "two",
        {"cards": [_survey_card(), _survey_card(open=False)], "tz": TZ},
    ),
    ("survey_admin_list.html", "none", {"cards": [], "tz": TZ}),
    (
        "survey_card.html",
        "launched",
        {"card": _survey_card(anonymous=True), "tz": TZ, "launched": True},
    ),
    ("survey_card.html", "closed", {"card": _survey_card(open=False, invited=0), "tz": TZ}),
    ("survey_results.html", "shown", {"s": _survey_summary(False), "least": 5, "tz": TZ}),
    ("survey_results.html", "hidden", {"s": _survey_summary(True), "least": 5, "tz": TZ}),
    (
        "survey_invitation.html",
        "full",
        {"title": USER_TEXT, "description": USER_TEXT, "deadline": "04.03.2025"},
    ),
    (
        "survey_invitation.html",
        "bare",
        {"title": USER_TEXT, "description": "", "deadline": "04.03.2025"},
    ),
    ("survey_reminder.html", "plain", {"title": USER_TEXT, "deadline": "04.03.2025"}),
    ("survey_my_list.html", "one", {"items": [NS(title=USER_TEXT, deadline=MOMENT)], "tz": TZ}),
    ("survey_guest_consent.html", "plain", {"title": USER_TEXT}),
    (
        "survey_launch_confirm.html",
        "anonymous public",
        {
            "title": USER_TEXT,
            "count": 25000,
            "deadline": "04.03.2025",
            "anonymous": True,
            "public": True,
        },
    ),
    (
        "survey_launch_confirm.html",
        "named",
        {
            "title": USER_TEXT,
            "count": 3,
            "deadline": "04.03.2025",
            "anonymous": False,
            "public": False,
        },
    ),
]


def _survey_screen(kind: str, **fields: Any) -> NS:
    base = {
        "scenario_title": USER_TEXT,
        "section_title": "Предметные компетенции",
        "position": 7,
        "total": 48,
        "text": USER_TEXT,
        "hint": "",
        "type": kind,
        "low": None,
        "high": None,
        "required": True,
        "answer": None,
    }
    return NS(**(base | fields))


_SURVEY_QUESTION_CASES: list[tuple[str, dict[str, Any]]] = [
    ("scale answered", {"screen": _survey_screen("scale", answer="3 — Часто"), "changed": 0}),
    ("number", {"screen": _survey_screen("number", low=0, high=60, hint=USER_TEXT), "changed": 2}),
    ("text optional", {"screen": _survey_screen("text", high=500, required=False), "changed": 0}),
    ("date", {"screen": _survey_screen("date", answer="01.09.2020"), "changed": 0}),
    ("multi", {"screen": _survey_screen("multi", answer="Курсы; Семинар"), "changed": 0}),
    ("all answered", {"screen": None, "changed": 0}),
]


def _self_check_cases() -> list[tuple[str, str, dict[str, Any]]]:
    from bot.services.self_check import (
        BlockResult,
        Change,
        CheckResult,
        Overview,
        Result,
        RouteBlock,
        RouteEntry,
        RouteEvent,
    )
    from storage.models import CheckStage, RouteItemKind

    blocks = [
        BlockResult("subject", "Предметные компетенции", 45.5, "deficit"),
        BlockResult("methodical", USER_TEXT, 80.0, "none"),
    ]
    check = CheckResult(1, CheckStage.FINAL, MOMENT, blocks)

    def entry(kind: RouteItemKind, **changes: Any) -> RouteEntry:
        values: dict[str, Any] = {
            "id": 1,
            "kind": kind,
            "title": USER_TEXT,
            "url": None,
            "done": False,
            "by_tutor": False,
            "any_community": False,
        }
        return RouteEntry(**(values | changes))

    route = [
        RouteBlock(
            "subject",
            "Предметные компетенции",
            "deficit",
            [
                entry(RouteItemKind.COMMUNITY, any_community=True),
                entry(RouteItemKind.MATERIAL, url="https://example.org/?a=1&b=2", done=True),
                entry(RouteItemKind.TUTOR_TOPIC),
            ],
        ),
        RouteBlock(None, "", None, [entry(RouteItemKind.TUTOR_NOTE, by_tutor=True)]),
        RouteBlock(
            "methodical",
            "Методические компетенции",
            "partial",
            [],
            [RouteEvent(7, USER_TEXT, MOMENT, TZ)],
        ),
    ]
    result = Result(check, Change(check, check, True, ["Предметные", "Методические"]), route, "С")
    plain = Result(CheckResult(2, CheckStage.ENTRY, MOMENT, blocks[1:]), None, [], "С")
    unknown = Result(check, Change(check, check, None, ["Предметные"]), route, "С")
    summary = NS(
        municipality=NS(name=USER_TEXT),
        program_year=2026,
        teachers=10,
        passed=4,
        not_passed=6,
        passed_percent=40.0,
        passed_target=100.0,
        subjects=[
            NS(subject="Математика", passed=2, teachers=3, percent=66.7, called_out=True),
            NS(subject=USER_TEXT, passed=0, teachers=1, percent=0.0, called_out=False),
        ],
        rechecked=3,
        positive=2,
        positive_percent=66.7,
        dynamics_target=70.0,
        dynamics_blocks=["Предметные", "Методические"],
    )
    empty_summary = NS(**(vars(summary) | {"subjects": [], "dynamics_blocks": []}))
    teacher = NS(full_name=USER_TEXT)
    lines = [
        NS(person=teacher, school="СОШ № 2", last=check),
        NS(person=NS(full_name="Петрова"), school=None, last=None),
    ]
    missing = NS(
        municipality=NS(name=USER_TEXT),
        rows=[NS(full_name=USER_TEXT, school_id=1), NS(full_name=None, school_id=None)],
        schools={1: "СОШ № 2"},
        total=2,
        page=0,
        pages=1,
    )
    overview = Overview(USER_TEXT, USER_TEXT, 44, check, 7, 44)
    return [
        ("self_check_overview.html", "with result", {"overview": overview}),
        (
            "self_check_overview.html",
            "never",
            {"overview": Overview("Самодиагностика", "", 44, None, None, None)},
        ),
        (
            "self_check_result.html",
            "final",
            {"result": result, "stage": "итоговая", "date": "04.03.2025", "teacher": None},
        ),
        (
            "self_check_result.html",
            "entry",
            {"result": plain, "stage": "входная", "date": "", "teacher": teacher},
        ),
        (
            "self_check_result.html",
            "unknown",
            {"result": unknown, "stage": "", "date": "", "teacher": None},
        ),
        ("self_check_route.html", "full", {"route": route}),
        ("self_check_route.html", "empty of teacher", {"route": [], "teacher": teacher}),
        ("self_check_teachers.html", "some", {"lines": lines}),
        ("self_check_teachers.html", "none", {"lines": []}),
        ("self_check_summary.html", "full", {"summary": summary}),
        ("self_check_summary.html", "empty", {"summary": empty_summary}),
        ("self_check_missing.html", "some", {"found": missing}),
        ("self_check_missing.html", "none", {"found": NS(**(vars(missing) | {"rows": []}))}),
    ]


def _event_card(**changes: Any) -> Any:
    from bot.services.event_cards import EventCard, SessionLine
    from storage.models import EventForm, EventScope, EventStatus, SessionKind

    part = SessionLine(
        id=1,
        kind=SessionKind.MASTER_CLASS,
        title=USER_TEXT,
        presenter=USER_TEXT,
        starts_at=MOMENT,
        ends_at=MOMENT + timedelta(hours=1),
        place=USER_TEXT,
        capacity=20,
        seats_left=3,
    )
    values: dict[str, Any] = {
        "id": 7,
        "type_id": "desant",
        "title": USER_TEXT,
        "description": USER_TEXT,
        "scope": EventScope.MUNICIPAL,
        "form": EventForm.IN_PERSON,
        "starts_at": MOMENT,
        "ends_at": MOMENT + timedelta(hours=6),
        "duration_hours": 6.0,
        "host_school": USER_TEXT,
        "address": USER_TEXT,
        "online_url": "https://example.org/w?a=1&b=2",
        "organiser": USER_TEXT,
        "capacity": 300,
        "seats_left": 12,
        "waiting": 4,
        "registration_deadline": MOMENT - timedelta(days=1),
        "status": EventStatus.PUBLISHED,
        "sessions": (part, part),
    }
    values.update(changes)
    return EventCard(**values)


def _cancelled() -> Any:
    from storage.models import EventStatus

    return EventStatus.CANCELLED


_EVENT_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "event_card.html",
        "desant",
        {"card": _event_card(), "tz": TZ, "kind": "К", "show_link": True},
    ),
    (
        "event_card.html",
        "webinar cancelled, link hidden, over two days",
        {
            "card": _event_card(
                status=_cancelled(),
                ends_at=MOMENT + timedelta(days=2),
                sessions=(),
                capacity=None,
                seats_left=None,
                host_school=None,
                address=None,
                organiser=None,
                description=None,
                registration_deadline=None,
            ),
            "tz": TZ,
            "kind": "В",
            "show_link": False,
        },
    ),
]


def _event_admin_cases() -> list[tuple[str, str, dict[str, Any]]]:
    from bot.services.events import EventLine, Shelf
    from storage.models import EventStatus

    line = EventLine(7, "webinar", USER_TEXT, MOMENT, EventStatus.PUBLISHED, 12, 300)
    unlimited = EventLine(8, "desant", USER_TEXT, MOMENT, EventStatus.DRAFT, 0, None)
    shelf = Shelf("upcoming", [line, unlimited], 0, 3, 20)
    part = {
        "n": 1,
        "kind": "Мастер-класс",
        "title": USER_TEXT,
        "presenter": USER_TEXT,
        "time": "10:00–11:30",
        "capacity": 15,
        "place": USER_TEXT,
    }
    bare = {**part, "presenter": None, "place": None, "capacity": None}
    return [
        (
            "event_admin_list.html",
            "two, paged",
            {"shelf": shelf, "lines": [(line, "Вебинар"), (unlimited, "Десант")], "tz": TZ},
        ),
        (
            "event_admin_list.html",
            "empty",
            {"shelf": Shelf("drafts", [], 0, 1, 0), "lines": [], "tz": TZ},
        ),
        (
            "event_admin_card.html",
            "published",
            {
                "event": NS(status=EventStatus.PUBLISHED, seats_taken=288),
                "card": _event_card(),
                "tz": TZ,
                "kind": "К",
                "show_link": True,
            },
        ),
        (
            "event_admin_card.html",
            "draft",
            {
                "event": NS(status=EventStatus.DRAFT, seats_taken=0),
                "card": _event_card(status=EventStatus.DRAFT, waiting=0),
                "tz": TZ,
                "kind": "К",
                "show_link": True,
            },
        ),
        (
            "event_admin_place.html",
            "all",
            {
                "school": USER_TEXT,
                "address": USER_TEXT,
                "url": "https://a.org/?a=1&b=2",
                "online": False,
            },
        ),
        (
            "event_admin_place.html",
            "none, online",
            {"school": None, "address": None, "url": None, "online": True},
        ),
        ("event_admin_program.html", "two", {"parts": [part, bare]}),
        ("event_admin_program.html", "empty", {"parts": []}),
        (
            "event_admin_preview.html",
            "card",
            {"card_text": Markup("<b>Вебинар</b>"), "problem": "", "count": 1240},
        ),
        (
            "event_admin_preview.html",
            "nobody",
            {"card_text": Markup("<b>Вебинар</b>"), "problem": "", "count": 0},
        ),
        (
            "event_admin_preview.html",
            "problem",
            {"card_text": "", "problem": USER_TEXT, "count": 0},
        ),
        (
            "event_admin_changed.html",
            "two",
            {
                "title": USER_TEXT,
                "lines": [("Начало", "04.03 09:30", "05.03 10:00"), ("Адрес", USER_TEXT, "—")],
            },
        ),
        (
            "event_admin_cancelled.html",
            "one",
            {"title": USER_TEXT, "start": "04.03.2025 09:30"},
        ),
    ]


def _evattend_cases() -> list[tuple[str, str, dict[str, Any]]]:
    from bot.services.event_attendance import AttendancePage, CodeView
    from bot.services.event_reports import (
        District,
        EventNumbers,
        RuleCheck,
        SchoolGap,
        SessionNumbers,
        TargetLine,
        TypeCount,
        YearReport,
    )
    from storage.models import EventForm, EventScope, EventStatus
    from storage.repositories.event_attendance import ListedPerson

    page = AttendancePage(
        7, USER_TEXT, 3, USER_TEXT, [ListedPerson(1, USER_TEXT, True, True)], 1, 3, 25, 12, None,
        [(3, USER_TEXT)],
    )  # fmt: skip
    numbers = EventNumbers(
        event_id=7, title=USER_TEXT, type_id="desant", scope=EventScope.MUNICIPAL,
        form=EventForm.IN_PERSON, status=EventStatus.HELD, starts_at=MOMENT,
        ends_at=MOMENT + timedelta(hours=6), timezone="Europe/Moscow", year=2025, hours=6.5,
        host_school_id=1, host_school=USER_TEXT, registered=1240, waiting=3, attended=1100,
        no_shows=140, walk_ins=12,
        districts=(District(1, USER_TEXT, 1000), District(None, None, 100)),
        responses=40, average_rating=4.35, comments=(USER_TEXT,),
        sessions=(SessionNumbers(3, USER_TEXT, MOMENT, 20),),
    )  # fmt: skip
    bare = EventNumbers(**(vars(numbers) | {
        "host_school": None, "districts": (), "responses": 0, "average_rating": None,
        "comments": (), "sessions": (),
    }))  # fmt: skip
    year = YearReport(
        year=2025, programs=(USER_TEXT, "002"), events=(numbers,), upcoming=2,
        by_type=(TypeCount("desant", EventScope.MUNICIPAL, 3, 1100, 18.0),),
        targets=(
            TargetLine("EV-DESANT", "000", USER_TEXT, 4, 3, "000 L267", False),
            TargetLine("EV-WEBINAR", "000", "Вебинары", 9, 9, "000 L268", False),
            TargetLine("EV-PER-SCHOOL", "002", "Каждая школа", 12, 10, "002 L334", True),
        ),
        checks=(RuleCheck("EV-SEM-INTERMUN", 7, USER_TEXT, 41, 2, 40, 2),),
        participating_schools=12, per_school_hours=4.0,
        schools_without=(SchoolGap(1, USER_TEXT, USER_TEXT),),
        districts=(District(1, USER_TEXT, 1000),),
    )  # fmt: skip
    empty_year = YearReport(**(vars(year) | {
        "events": (), "upcoming": 0, "by_type": (), "checks": (), "participating_schools": 0,
        "per_school_hours": None, "schools_without": (), "districts": (),
    }))  # fmt: skip
    code = CodeView(7, 0, USER_TEXT, None, "042517", MOMENT, MOMENT + timedelta(hours=4))
    return [
        ("event_attendance_list.html", "page of a session", {"page": page}),
        (
            "event_attendance_list.html",
            "search found nobody",
            {"page": AttendancePage(**(vars(page) | {"people": [], "search": USER_TEXT}))},
        ),
        (
            "event_attendance_list.html",
            "nobody registered",
            {"page": AttendancePage(**(vars(page) | {"people": [], "pages": 1}))},
        ),
        ("event_checkin_code.html", "renewed", {"view": code, "tz": TZ, "renewed": True}),
        ("event_checkin_code.html", "first", {"view": code, "tz": TZ, "renewed": False}),
        (
            "event_report.html",
            "full",
            {"n": numbers, "tz": TZ, "kind": "К", "comments_shown": 20},
        ),
        ("event_report.html", "bare", {"n": bare, "tz": TZ, "kind": "К", "comments_shown": 20}),
        ("event_year_report.html", "full", {"r": year, "kinds": {"desant": "Десант"}}),
        ("event_year_report.html", "empty", {"r": empty_year, "kinds": {}}),
        ("event_report_schools.html", "some", {"r": year}),
        ("event_report_schools.html", "none", {"r": empty_year}),
    ]


_EVATTEND_CASES = _evattend_cases()


def _event_view(status: str | None, **changes: Any) -> Any:
    from bot.services.event_views import CardView, SessionChoice
    from storage.models import RegistrationStatus

    own = RegistrationStatus(status) if status else None
    values: dict[str, Any] = {
        "card": _event_card(),
        "status": own,
        "place": 3 if status == "waiting" else None,
        "offer_expires_at": MOMENT if status == "offered" else None,
        "open": True,
        "sessions": (
            SessionChoice(1, USER_TEXT, RegistrationStatus.REGISTERED, False),
            SessionChoice(2, USER_TEXT, RegistrationStatus.WAITING, True),
            SessionChoice(3, USER_TEXT, None, False),
        ),
    }
    values.update(changes)
    return CardView(**values)


def _event_view_case(label: str, view: Any) -> tuple[str, str, dict[str, Any]]:
    context = {"card": view.card, "view": view, "tz": TZ, "kind": "Д", "show_link": True}
    return ("event_view.html", label, context)


def _event_lists() -> list[tuple[str, str, dict[str, Any]]]:
    from bot.services.event_views import ListItem, MyItem
    from storage.models import EventStatus, RegistrationStatus

    items = [
        ListItem(1, USER_TEXT, "webinar", MOMENT, 12, None, False, False),
        ListItem(2, USER_TEXT, "desant", MOMENT, None, RegistrationStatus.WAITING, False, False),
        ListItem(3, USER_TEXT, "webinar", MOMENT, 0, RegistrationStatus.REGISTERED, True, False),
        ListItem(4, USER_TEXT, "webinar", MOMENT, None, None, True, True),
    ]
    kinds = {1: "В", 2: "Д", 3: "В", 4: "В"}
    mine = [
        MyItem(1, USER_TEXT, MOMENT, RegistrationStatus.REGISTERED, EventStatus.PUBLISHED, None,
               None),
        MyItem(2, USER_TEXT, MOMENT, RegistrationStatus.WAITING, EventStatus.PUBLISHED, 2, None),
        MyItem(3, USER_TEXT, MOMENT, RegistrationStatus.OFFERED, EventStatus.PUBLISHED, None,
               MOMENT),
        MyItem(4, USER_TEXT, MOMENT, RegistrationStatus.OFFERED, EventStatus.PUBLISHED, None,
               None),
        MyItem(5, USER_TEXT, MOMENT, RegistrationStatus.REGISTERED, EventStatus.CANCELLED, None,
               None),
    ]  # fmt: skip
    return [
        (
            "event_list.html",
            "pages",
            {"items": items, "kinds": kinds, "tz": TZ, "page": 2, "pages": 3},
        ),
        (
            "event_list.html",
            "one page",
            {"items": items[:1], "kinds": kinds, "tz": TZ, "page": 1, "pages": 1},
        ),
        ("my_events.html", "every status", {"items": mine, "tz": TZ}),
        ("my_events.html", "none", {"items": [], "tz": TZ}),
    ]


_EVENT_REGISTRATION_CASES: list[tuple[str, str, dict[str, Any]]] = [
    _event_view_case("registered", _event_view("registered")),
    _event_view_case("waiting", _event_view("waiting")),
    _event_view_case("offered", _event_view("offered")),
    _event_view_case("offered, no limit", _event_view("offered", offer_expires_at=None)),
    _event_view_case("declined", _event_view("declined", sessions=())),
    _event_view_case("expired", _event_view("expired", sessions=())),
    _event_view_case("nothing yet, closed", _event_view(None, open=False)),
    *_event_lists(),
]


def _event_reminder_cases() -> list[tuple[str, str, dict[str, Any]]]:
    card = _event_card()
    part = card.sessions[0]
    common = {"tz": TZ, "kind": "К", "starts_at": MOMENT}
    return [
        (
            "event_reminder.html",
            label,
            common | {"card": card, "part": p, "place": place, "offset": offset},
        )
        for label, p, place, offset in [
            ("a day before, the whole event", None, USER_TEXT, 1440),
            ("an hour before, a part of a «десант»", part, part.place, 60),
            ("90 minutes before, online only", None, None, 90),
        ]
    ]


_SELF_CHECK_CASES = _self_check_cases()


CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "admin_municipalities.html",
        "some",
        {"lines": [NS(municipality=NS(name=USER_TEXT), schools=12, people=1240)]},
    ),
    ("admin_municipalities.html", "none", {"lines": []}),
    (
        "broadcast_audience.html",
        "chosen",
        {
            "labels": {"mun": ["Кировский"], "school": [], "role": ["Педагог", "Наставник"]},
            "count": 1240,
        },
    ),
    ("broadcast_audience.html", "everyone", {"labels": {"mun": []}, "count": 0}),
    (
        "broadcast_history.html",
        "two",
        {
            "items": [
                (
                    NS(
                        id=3,
                        created_at=MOMENT,
                        status=BroadcastStatus.DONE,
                        text="<b>Совещание</b> завтра в 15:00 в актовом зале, не опаздывайте",
                    ),
                    _progress(sent=1200, blocked=30, failed=10),
                ),
                (
                    NS(id=4, created_at=MOMENT, status=BroadcastStatus.SCHEDULED, text="Коротко"),
                    _progress(sent=5, total=5, blocked=0, failed=0),
                ),
            ],
            "tz": TZ,
        },
    ),
    ("broadcast_progress.html", "sending", {"broadcast": NS(id=3), "p": _progress()}),
    (
        "broadcast_progress.html",
        "finished",
        {
            "broadcast": NS(id=3),
            "p": _progress(finished=True, blocked=0, failed=0, unknown=0, cancelled=0),
        },
    ),
    ("broadcast_preview.html", "some", {"count": 1240, "unjoined": 0}),
    ("broadcast_preview.html", "some not joined", {"count": 1240, "unjoined": 17}),
    ("broadcast_preview.html", "nobody joined", {"count": 0, "unjoined": 3}),
    (
        "broadcast_report.html",
        "problems",
        {"broadcast": NS(id=3), "p": _progress(), "unjoined": 17},
    ),
    (
        "broadcast_report.html",
        "all sent",
        {"broadcast": NS(id=3), "p": _progress(sent=1240, cancelled=0), "unjoined": 0},
    ),
    (
        "broadcast_scheduled.html",
        "one",
        {"broadcast": NS(id=3, scheduled_at=MOMENT, recipients=1240), "tz": TZ},
    ),
    (
        "communities.html",
        "some",
        {
            "views": [
                NS(
                    community=NS(name="Инфомир", description=USER_TEXT),
                    members=12,
                    is_member=True,
                ),
                NS(community=NS(name="Матрица", description=None), members=1, is_member=False),
            ]
        },
    ),
    ("communities.html", "none", {"views": []}),
    (
        "communities_manage.html",
        "two municipalities",
        {
            "views": [
                NS(
                    community=NS(name=USER_TEXT, municipality_id=1, is_active=False),
                    members=3,
                ),
                NS(community=NS(name="Матрица", municipality_id=2, is_active=True), members=0),
            ],
            "municipalities": {1: "Кировский", 2: "Слободской"},
        },
    ),
    (
        "communities_manage.html",
        "one municipality",
        {
            "views": [
                NS(community=NS(name="Инфомир", municipality_id=1, is_active=True), members=21)
            ],
            "municipalities": {1: "Кировский"},
        },
    ),
    ("communities_manage.html", "none", {"views": [], "municipalities": {}}),
    ("consent.html", "url", {"policy_url": "https://example.org/privacy?a=1&b=2"}),
    ("consultation_entry.html", "teachers", {"view": _entry()}),
    (
        "consultation_entry.html",
        "whole school",
        {"view": NS(**(vars(_entry(whole_school=True, outcome=None)) | {"school": None}))},
    ),
    (
        "consultation_month.html",
        "full",
        {"views": [_entry(), _entry(whole_school=True)], "month": DAY, "limit": 2, "edit_days": 7},
    ),
    (
        "consultation_month.html",
        "some",
        {"views": [_entry()], "month": DAY, "limit": 30, "edit_days": 1},
    ),
    ("consultation_month.html", "none", {"views": [], "month": DAY, "limit": 30, "edit_days": 7}),
    (
        "consultation_no_schools.html",
        "some",
        {"schools": [NS(name=USER_TEXT), NS(name="Школа № 2")], "since": DAY, "until": DAY},
    ),
    ("consultation_no_schools.html", "none", {"schools": [], "since": DAY, "until": DAY}),
    ("consultation_report.html", "filtered", {"report": _consultation_report()}),
    (
        "consultation_report.html",
        "all time",
        {
            "report": _consultation_report(
                filter=NS(period="all"),
                since=None,
                until=None,
                school=None,
                tutor=None,
                count=0,
                by_format=[],
                by_block=[],
            )
        },
    ),
    (
        "consultation_summary.html",
        "check",
        {
            "draft": NS(
                whole_school=False,
                held_on_date=DAY,
                format="video",
                block="psychological",
                topic=USER_TEXT,
                duration=45,
                outcome=None,
            ),
            "school": NS(name="Школа № 1"),
            "teachers": ["Иванова И. И.", USER_TEXT],
            "from_thread": False,
        },
    ),
    (
        "consultation_summary.html",
        "empty",
        {
            "draft": NS(
                whole_school=True,
                held_on_date=None,
                format=None,
                block=None,
                topic=None,
                duration=None,
                outcome="Готово",
            ),
            "school": None,
            "teachers": [],
            "from_thread": False,
        },
    ),
    (
        "consultation_summary.html",
        "from a question",
        {
            "draft": NS(
                whole_school=False,
                held_on_date=DAY,
                format="online",
                block=None,
                topic=None,
                duration=None,
                outcome=None,
            ),
            "school": NS(name="Школа № 1"),
            "teachers": [],
            "from_thread": True,
        },
    ),
    (
        "consultation_teacher.html",
        "full",
        {"views": [_entry(), _entry(whole_school=True, outcome=None)], "limit": 2},
    ),
    (
        "consultation_teacher.html",
        "no tutor",
        {"views": [NS(**(vars(_entry()) | {"tutor": None}))], "limit": 20},
    ),
    ("consultation_teacher.html", "none", {"views": [], "limit": 20}),
    (
        "demo_summary.html",
        "created",
        {
            "result": NS(
                changed=True,
                municipality="Демо-район",
                region="Демо-область",
                created=NS(
                    municipalities=1, schools=3, people=12, assignments=4, communities=2, members=6
                ),
                links=[
                    NS(name="Иванова И. И.", role=Role.TEACHER, code="abc"),
                    NS(name=USER_TEXT, role=Role.COORDINATOR, code="def"),
                ],
                expires="01.09.2025",
            )
        },
    ),
    (
        "demo_summary.html",
        "created without links",
        {
            "result": NS(
                changed=True,
                municipality="Демо-район",
                region="Демо-область",
                created=NS(
                    municipalities=0, schools=0, people=1, assignments=0, communities=0, members=0
                ),
                links=[],
                expires="01.09.2025",
            )
        },
    ),
    (
        "demo_summary.html",
        "already there",
        {"result": NS(changed=False, municipality="Демо-район", region="Демо-область", links=[])},
    ),
    ("help.html", "every role", {"roles": sorted(Role)}),
    ("help.html", "no role", {"roles": []}),
    (
        "invite_link.html",
        "teacher",
        {
            "whom": USER_TEXT,
            "role": Role.TEACHER,
            "link": "https://t.me/nastavnik_bot?start=abc&x=1",
            "expires": "01.09.2025",
        },
    ),
    (
        "join_request.html",
        "full",
        {
            "request": NS(id=7, full_name=USER_TEXT, subject="Математика"),
            "school": NS(label="Школа № 1"),
        },
    ),
    (
        "join_request.html",
        "bare",
        {"request": NS(id=7, full_name="Иванова", subject=None), "school": None},
    ),
    (
        "menu.html",
        "greeting",
        {"greeting": True, "person": NS(full_name=USER_TEXT), "roles": [Role.TEACHER, Role.TUTOR]},
    ),
    ("menu.html", "nameless", {"greeting": True, "person": NS(full_name=None), "roles": []}),
    ("menu.html", "plain", {"greeting": False, "person": NS(full_name="А"), "roles": [Role.ADMIN]}),
    (
        "municipality_settings.html",
        "changed",
        {"view": _SETTINGS_VIEW, "zone": "Москва (UTC+3)", "quiet": ("21:00", "08:00")},
    ),
    (
        "municipality_settings.html",
        "defaults",
        {"view": _SETTINGS_DEFAULTS, "zone": "Europe/Kirov", "quiet": None},
    ),
    *PROGRAM_YEAR_CASES,
    (
        "my_teachers.html",
        "some",
        {
            "assigned": NS(schools=[NS(id=1, name=USER_TEXT)], school_teachers={1: [1, 2]}),
            "teachers": [
                NS(full_name=USER_TEXT, school_id=1, subject_names=["Математика", "Физика"]),
                NS(full_name=None, school_id=9, subject_names=[]),
            ],
            "hidden": 3,
            "total": 5,
            "schools": {1: NS(label="Школа № 1")},
        },
    ),
    (
        "my_teachers.html",
        "a school without teachers",
        {
            "assigned": NS(schools=[NS(id=1, name="Школа № 1")], school_teachers={1: []}),
            "teachers": [],
            "hidden": 0,
            "total": 0,
            "schools": {},
        },
    ),
    (
        "my_teachers.html",
        "no one",
        {
            "assigned": NS(schools=[], school_teachers={}),
            "teachers": [],
            "hidden": 0,
            "total": 0,
            "schools": {},
        },
    ),
    (
        "my_tutor.html",
        "one",
        {
            "tutors": [NS(tutor=NS(full_name=USER_TEXT), school=NS(name="Школа № 1"))],
            "coordinators": [],
        },
    ),
    (
        "my_tutor.html",
        "two",
        {
            "tutors": [
                NS(tutor=NS(full_name="Сидорова"), school=None),
                NS(tutor=NS(full_name="Петров"), school=NS(name="Школа № 2")),
            ],
            "coordinators": [],
        },
    ),
    (
        "my_tutor.html",
        "coordinators",
        {"tutors": [], "coordinators": [NS(full_name=USER_TEXT), NS(full_name="Петров")]},
    ),
    ("my_tutor.html", "nobody", {"tutors": [], "coordinators": []}),
    ("privacy.html", "url", {"policy_url": "https://example.org/privacy?a=1&b=2"}),
    (
        "profile.html",
        "full",
        {
            "profile": NS(
                person=NS(
                    full_name=USER_TEXT,
                    role_set={Role.TEACHER, Role.TUTOR},
                    subject_names=["Математика", "Физика"],
                ),
                municipality=NS(name="Кировский район"),
                school=NS(name="Школа № 1"),
                tutors=[
                    NS(tutor=NS(full_name="Сидорова"), school=NS(label="Школа № 1")),
                    NS(tutor=NS(full_name="Петров"), school=None),
                ],
                communities=["Инфомир", USER_TEXT],
            )
        },
    ),
    (
        "profile.html",
        "empty",
        {
            "profile": NS(
                person=NS(full_name=None, role_set=set(), subject_names=[]),
                municipality=None,
                school=None,
                tutors=[],
                communities=[],
            )
        },
    ),
    (
        "mydata.html",
        "full",
        {
            "data": {
                "person": {
                    "full_name": USER_TEXT,
                    "phone": "+79181112233",
                    "telegram_id": 3001,
                    "locale": "ru",
                    "status": "active",
                    "consent_at": "2026-09-01T10:00:00+00:00",
                },
                "deadline_tasks": [
                    {
                        "item": USER_TEXT,
                        "due_on": "2027-03-31",
                        "status": "done",
                        "comment": USER_TEXT,
                        "evidence": "акт.pdf",
                        "help_requested_at": None,
                    },
                    {
                        "item": "Сдать план",
                        "due_on": "2027-04-30",
                        "status": "pending",
                        "comment": None,
                        "evidence": None,
                        "help_requested_at": "2027-04-02T09:00:00+00:00",
                    },
                ],
                "municipality": "Кировский район",
                "school": "Школа № 1",
                "subjects": ["Математика"],
                "responses": [
                    {
                        "scenario": "Самодиагностика",
                        "stage": "entry",
                        "status": "submitted",
                        "submitted_at": "2026-09-05T10:00:00+00:00",
                        "started_at": "2026-09-05T09:50:00+00:00",
                        "blocks": [{"section": "Предметные", "percent": 45.5, "level": "deficit"}],
                    },
                    {
                        "scenario": USER_TEXT,
                        "stage": None,
                        "status": "in_progress",
                        "submitted_at": None,
                        "started_at": "2026-09-06T09:50:00+00:00",
                        "blocks": [],
                    },
                ],
                "route": [
                    {
                        "title": USER_TEXT,
                        "url": "https://example.org/a?b=1&c=2",
                        "done_at": "2026-09-07T10:00:00+00:00",
                        "added_by_tutor": True,
                    },
                    {"title": "Матрица", "url": None, "done_at": None, "added_by_tutor": False},
                ],
                "roles": [{"role": "teacher", "municipality": None}],
                "community_memberships": [
                    {"community": USER_TEXT, "joined_at": "2026-09-02T10:00:00+00:00"}
                ],
                "questions": [
                    {
                        "id": 5,
                        "created_at": "2026-09-03T10:00:00+00:00",
                        "status": "closed",
                        "rating": 4,
                        "rating_comment": USER_TEXT,
                    }
                ],
                "consultations": [
                    {
                        "held_on": "2026-09-04",
                        "topic": USER_TEXT,
                        "format": "online",
                        "block": "methodical",
                        "duration_minutes": 45,
                    }
                ],
                "join_requests": [
                    {
                        "created_at": "2026-08-30T10:00:00+00:00",
                        "full_name": USER_TEXT,
                        "subject": "Физика",
                        "status": "approved",
                    }
                ],
                "messages_to_me": [{"created_at": "2026-09-03T10:05:00+00:00", "status": "sent"}],
                "invites_for_me": [],
                "invites_created": [],
                "invites_used": [{}],
                "background_jobs": [],
                "dialog_state": [],
            },
            "profile": NS(tutors=[NS(tutor=NS(full_name="Сидорова"), school=None)]),
        },
    ),
    (
        "mydata.html",
        "empty",
        {
            "data": {
                "person": {
                    "full_name": None,
                    "phone": None,
                    "telegram_id": None,
                    "locale": None,
                    "status": "blocked_bot",
                    "consent_at": None,
                },
                "municipality": None,
                "school": None,
                "subjects": [],
                "responses": [],
                "route": [],
                "roles": [],
                "community_memberships": [],
                "questions": [],
                "consultations": [],
                "join_requests": [],
                "messages_to_me": [],
                "invites_for_me": [],
                "invites_created": [],
                "invites_used": [],
                "background_jobs": [],
                "dialog_state": [],
            },
            "profile": NS(tutors=[]),
        },
    ),
    (
        "question_history.html",
        "rated",
        {
            "thread": NS(
                id=5,
                status=ThreadStatus.ANSWERED,
                created_at=MOMENT,
                rating=4,
                rating_comment=USER_TEXT,
            ),
            "lines": [
                NS(from_teacher=True, at=MOMENT, author=USER_TEXT, kind="photo"),
                NS(from_teacher=False, at=MOMENT, author="Сидорова", kind="text"),
            ],
            "tz": TZ,
        },
    ),
    (
        "question_history.html",
        "rated without comment",
        {
            "thread": NS(
                id=5, status=ThreadStatus.CLOSED, created_at=MOMENT, rating=5, rating_comment=None
            ),
            "lines": [NS(from_teacher=True, at=MOMENT, author="Иванова", kind="voice")],
            "tz": TZ,
        },
    ),
    (
        "question_history.html",
        "empty",
        {
            "thread": NS(
                id=5, status=ThreadStatus.OPEN, created_at=MOMENT, rating=None, rating_comment=None
            ),
            "lines": [],
            "tz": TZ,
        },
    ),
    (
        "question_overview.html",
        "busy",
        {
            "overview": NS(
                counts={ThreadStatus.OPEN: 3, ThreadStatus.ANSWERED: 2},
                overdue=[
                    NS(thread=NS(id=5), teacher_name=USER_TEXT, tutor_name=None, waited_hours=30)
                ],
                unassigned=[NS(thread=NS(id=6), teacher_name="Иванова", waited_hours=2)],
                tutors=[
                    NS(
                        name=USER_TEXT,
                        median_first_answer_hours=3.5,
                        answered=4,
                        rating_average=4.5,
                        ratings=1,
                    ),
                    NS(
                        name="Петров",
                        median_first_answer_hours=None,
                        answered=0,
                        rating_average=None,
                        ratings=0,
                    ),
                ],
            )
        },
    ),
    (
        "question_overview.html",
        "quiet",
        {"overview": NS(counts={}, overdue=[], unassigned=[], tutors=[])},
    ),
    (
        "question_tutor_list.html",
        "away",
        {
            "lines": [
                NS(
                    thread=NS(id=5, status=ThreadStatus.OPEN, waiting_since=MOMENT),
                    teacher_name=USER_TEXT,
                ),
                NS(
                    thread=NS(id=6, status=ThreadStatus.ANSWERED, waiting_since=None),
                    teacher_name="Иванова",
                ),
            ],
            "away": (NS(full_name=USER_TEXT), DAY),
            "tz": TZ,
        },
    ),
    (
        "question_tutor_list.html",
        "nothing open",
        {"lines": [], "away": (NS(full_name=None), DAY), "tz": TZ},
    ),
    ("question_tutor_list.html", "plain", {"lines": [], "away": None, "tz": TZ}),
    ("roster_help.html", "limit", {"max_mb": 5}),
    *[("survey_question.html", label, context) for label, context in _SURVEY_QUESTION_CASES],
    (
        "survey_summary.html",
        "changed, skipped and missing",
        {
            "summary": NS(scenario_title=USER_TEXT, missing=2),
            "changed": 3,
            "items": [
                NS(position=1, text=USER_TEXT * 20, answer="4 — Всегда"),
                NS(position=2, text="Есть ли наставник?", answer=None),
                NS(position=3, text="Формы", answer=USER_TEXT * 30),
            ],
            "page": 1,
            "pages": 6,
        },
    ),
    *_SELF_CHECK_CASES,
    *[("roster_report.html", label, context) for label, context in _ROSTER_CASES],
    *[("roster_report.txt", label, context) for label, context in _ROSTER_CASES],
    *[(name, label, context) for name, label, context in _SURVEY_CASES],
    *_EVENT_CASES,
    *_event_admin_cases(),
    *_EVATTEND_CASES,
    *_EVENT_REGISTRATION_CASES,
    *_event_reminder_cases(),
]


@pytest.fixture(scope="module")
def rendering() -> Iterator[tuple[Texts, Templates]]:
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    templates = Templates(LOCALES_DIR, texts.available_locales)
    with texts.context():
        yield texts, templates


def test_every_template_has_a_case() -> None:
    screens = {p.name for p in (LOCALES_DIR / "templates").iterdir() if not p.name.startswith("_")}
    assert screens ^ {name for name, _, _ in CASES} == set()


@functools.cache
def _key_pattern() -> re.Pattern[str]:
    sections = {
        (m.id if isinstance(m.id, str) else m.id[0]).split(".")[0]
        for m in read_catalog(LOCALES_DIR / "ru")
        if m.id
    }
    return re.compile(rf"\b(?:{'|'.join(sorted(sections))})\.[a-z0-9_.]+")


@pytest.mark.parametrize(
    ("name", "label", "context"), CASES, ids=[f"{n}:{lb}" for n, lb, _ in CASES]
)
def test_template_renders_in_every_language(
    rendering: tuple[Texts, Templates], name: str, label: str, context: dict[str, Any]
) -> None:
    _, templates = rendering
    rendered = {locale: templates.render(name, locale, **context) for locale in LOCALES}
    for locale, text in rendered.items():
        assert text, (locale, label)
        # A key with no text renders as the key itself.
        assert _key_pattern().findall(text) == [], (locale, label)
        # User text arrives escaped, never as markup.
        assert '<b>"Ко"</b>' not in text
    assert rendered["ru"] != rendered["en"]
