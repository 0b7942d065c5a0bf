"""The callback-data classes of `bot/callbacks.py` and the values their buttons carry, read from
the code where it can be: which classes exist, and which actions the handlers' filters take
(`F.action == "x"`, `F.action.in_({...})`). `VALUES` lists them for the tests that press
every kind of button (tests/test_fuzz.py, tests/test_privacy_matrix.py); `uncovered()` names
what a handler takes that `VALUES` lacks, so a new class or action fails those tests."""

from __future__ import annotations

import inspect
import operator
from collections.abc import Iterator

from aiogram import Router
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter

import bot.callbacks
from bot.callbacks import (
    AdminCb,
    AttendanceCb,
    BoardCb,
    BroadcastCb,
    CommunityCb,
    ConsentCb,
    ConsultationCb,
    DeadlineAdminCb,
    EventAdminCb,
    EventCb,
    EventReportCb,
    InviteCb,
    JoinDecisionCb,
    JoinPickCb,
    KpiCb,
    LanguageCb,
    MunicipalitySettingsCb,
    PrivacyCb,
    ProgramCb,
    QuestionCb,
    RosterCb,
    SelfCheckCb,
    SurveyCb,
    TaskCb,
)

# For each class, the field that says what a button does, and every value a handler takes.
VALUES: dict[type[CallbackData], tuple[str, tuple[str, ...]]] = {
    ConsentCb: ("agree", ("1", "0")),
    LanguageCb: ("locale", ("ru", "en")),
    JoinPickCb: ("what", ("mun_page", "mun", "school_page", "school", "skip")),
    JoinDecisionCb: ("approve", ("1", "0")),
    RosterCb: ("action", ("template", "for", "apply", "cancel")),
    InviteCb: ("action", ("person", "pick", "prole", "school", "spage", "sch", "srole")),
    AdminCb: (
        "action",
        (
            "add_mun",
            "coord",
            "school",
            "coord_mun_page",
            "school_mun_page",
            "coord_mun",
            "school_mun",
            "flag",
            "save",
        ),
    ),
    CommunityCb: ("action", ("join", "leave", "activate", "deactivate", "add", "skip_description")),
    PrivacyCb: ("action", ("download", "forget", "forget_no", "forget_yes", "language")),
    BroadcastCb: ("action", ("new", "stop", "history", "report", "unjoined")),
    QuestionCb: (
        "action",
        (
            "answer",
            "close",
            "rate",
            "skip_comment",
            "open",
            "assign",
            "assign_to",
            "away",
            "substitute",
            "back",
        ),
    ),
    ConsultationCb: (
        "action",
        (
            "new",
            "from_thread",
            "mine",
            "edit",
            "edit_field",
            "delete",
            "delete_yes",
            "delete_no",
            "rep",
            "rep_schools",
            "rep_tutors",
            "no_cons",
            "xlsx",
        ),
    ),
    SurveyCb: (
        "action",
        ("list", "new", "card", "remind", "summary", "xlsx", "link", "close", "answer", "guest"),
    ),
    MunicipalitySettingsCb: (
        "action",
        ("list", "page", "show", "ask", "zones", "zone", "reset", "year_kind"),
    ),
    EventAdminCb: (
        "action",
        ("list", "new", "card", "publish", "edit", "field", "cancel", "cancel_yes", "copy"),
    ),
    AttendanceCb: (
        "action",
        ("list", "all", "toggle", "search", "code", "regen", "checkin", "pick"),
    ),
    EventReportCb: ("action", ("event", "year", "schools", "xlsx")),
    ProgramCb: ("action", ("muns", "year", "mark", "copy")),
    DeadlineAdminCb: (
        "action",
        (
            "tpl_list",
            "tpl_pick",
            "tpl_preview",
            "tpl_apply",
            "tpl_upload",
            "tpl_region",
            "tpl_get",
            "mon_year",
            "mon_report",
            "mon_xlsx",
            "list",
            "new",
            "card",
            "file",
            "remove",
            "remove_yes",
        ),
    ),
    KpiCb: ("action", ("places", "show", "chart", "xlsx")),
    EventCb: ("action", ("list", "mine", "card", "register", "confirm", "decline", "ics")),
    TaskCb: ("action", ("card", "done", "comment", "help", "stage")),
    SelfCheckCb: (
        "action",
        (
            "start",
            "profile",
            "route",
            "done",
            "topic",
            "teachers",
            "teacher",
            "note",
            "mun",
            "remind",
            "missing",
            "heat",
            "shares",
            "xlsx",
        ),
    ),
    # The status board and the monitoring stages (issue 12: board).
    BoardCb: ("action", ("open", "who", "muns", "png")),
}


def callback_classes() -> list[type[CallbackData]]:
    """Every CallbackData class of `bot/callbacks.py`, in a stable order."""
    return [
        cls
        for _, cls in inspect.getmembers(bot.callbacks, inspect.isclass)
        if issubclass(cls, CallbackData) and cls is not CallbackData
    ]


def fields_of(cls: type[CallbackData]) -> dict[str, tuple[str, ...]]:
    """The fields of a class in packing order, each with the values worth trying in it."""
    field, values = VALUES.get(cls, ("", ()))
    return {name: values if name == field else ("0", "1") for name in cls.model_fields}


def _routers(router: Router) -> Iterator[Router]:
    yield router
    for child in router.sub_routers:
        yield from _routers(child)


def handled_values() -> dict[type[CallbackData], dict[str, set[str]]]:
    """What the handlers' filters compare each class's fields with, read from the routers."""
    from bot.handlers import get_routers

    found: dict[type[CallbackData], dict[str, set[str]]] = {}
    for top in get_routers():
        for router in _routers(top):
            for handler in router.callback_query.handlers:
                for check in handler.filters or ():
                    if isinstance(check.callback, CallbackQueryFilter):
                        _read_rule(check.callback, found)
    return found


def _read_rule(
    check: CallbackQueryFilter, found: dict[type[CallbackData], dict[str, set[str]]]
) -> None:
    cls = check.callback_data
    values = found.setdefault(cls, {})
    operations = getattr(check.rule, "_operations", ()) if check.rule is not None else ()
    if len(operations) != 2:
        return
    name = getattr(operations[0], "name", None)
    if name is None:
        return
    right = getattr(operations[1], "right", None)
    if getattr(operations[1], "comparator", None) is operator.eq and isinstance(right, str):
        values.setdefault(name, set()).add(right)
    args = getattr(operations[1], "args", None)
    if args and isinstance(args[0], (set, frozenset, tuple, list)):
        values.setdefault(name, set()).update(str(a) for a in args[0])


def uncovered() -> list[str]:
    """Classes and handled values `VALUES` does not list."""
    missing = [f"{cls.__name__} (no entry)" for cls in callback_classes() if cls not in VALUES]
    for cls, fields in handled_values().items():
        field, listed = VALUES.get(cls, ("", ()))
        for name, values in fields.items():
            if name != field:
                missing.append(f"{cls.__name__}.{name} (VALUES names {field!r})")
                continue
            missing.extend(
                f"{cls.__name__}.{name} == {v!r}" for v in sorted(set(values) - set(listed))
            )
    return missing
