"""Callback data of every inline button, one class per purpose, each with a unique prefix.

Telegram allows 64 bytes of callback data; prefixes are two letters to leave room for ids.
"""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# Ids and numbers in buttons stay within what the databases store: a crafted button with a
# huge or negative number is simply not recognised (and gets the "old button" answer), never a
# crash. Every numeric field of a button holds a row id of a 32-bit Integer column (people,
# schools, municipalities, threads, consultations, broadcasts, uploads, requests, communities)
# or a small number (a page, a score, a flag's place), so all are RowId. A field that one day
# carries a Telegram user or chat id needs the 64-bit range of its BigInteger column instead.
INT32_MAX = 2**31 - 1
RowId = Annotated[int, Field(ge=0, le=INT32_MAX)]


class ConsentCb(CallbackData, prefix="cs"):
    agree: bool
    code: str = ""


class LanguageCb(CallbackData, prefix="lg"):
    locale: str


class JoinPickCb(CallbackData, prefix="jp"):
    """A step of the join-request dialog: `what` is municipality / school / page / skip."""

    what: str
    value: RowId = 0


class JoinDecisionCb(CallbackData, prefix="jd"):
    request_id: RowId
    approve: bool


class RosterCb(CallbackData, prefix="ro"):
    action: str
    upload_id: RowId = 0
    municipality_id: RowId = 0


class InviteCb(CallbackData, prefix="iv"):
    action: str
    value: RowId = 0
    extra: str = ""


class AdminCb(CallbackData, prefix="ad"):
    action: str
    value: RowId = 0


class CommunityCb(CallbackData, prefix="cm"):
    action: str
    community_id: RowId = 0


class PrivacyCb(CallbackData, prefix="pv"):
    action: str


class BroadcastCb(CallbackData, prefix="bc"):
    action: str
    value: RowId = 0


class QuestionCb(CallbackData, prefix="qu"):
    action: str
    thread_id: RowId = 0
    value: RowId = 0


class ConsultationCb(CallbackData, prefix="co"):
    action: str
    value: RowId = 0
    extra: str = ""


class MunicipalitySettingsCb(CallbackData, prefix="ms"):
    action: str
    municipality_id: RowId = 0
    value: str = ""


class SurveyCb(CallbackData, prefix="sv"):
    """Surveys: the coordinator's list and card, «Ответить», and a guest's consent by link
    (`code`: the link's code, 16 characters)."""

    action: str
    survey_id: RowId = 0
    code: str = ""


class SelfCheckCb(CallbackData, prefix="sc"):
    """The self-check screens: `value` is a route item, a teacher or a municipality."""

    action: str
    value: RowId = 0
    page: RowId = 0


class EventCb(CallbackData, prefix="ev"):
    """Events as participants see them: the list («Мероприятия», «Мои мероприятия»), a card
    («Подробнее»), «Записаться», «Не смогу», a seat offered from the waiting list, the .ics.
    `session_id` names a part of a «десант» with its own registration (0: the event)."""

    action: str
    event_id: RowId = 0
    session_id: RowId = 0
    page: RowId = 0


class EventAdminCb(CallbackData, prefix="ea"):
    """The organiser's events: their list, an event's card, publish, edit, cancel, copy."""

    action: str
    event_id: RowId = 0
    page: RowId = 0
    value: str = ""


class AttendanceCb(CallbackData, prefix="at"):
    """Who came: the registrant list to tick (paged, searchable), per event or per session,
    and the check-in code to show at the venue."""

    action: str
    event_id: RowId = 0
    session_id: RowId = 0
    person_id: RowId = 0
    page: RowId = 0


class EventReportCb(CallbackData, prefix="er"):
    """Event reports: one event's numbers, the program year by type against the targets,
    the schools that hosted nothing yet, and the .xlsx export."""

    action: str
    event_id: RowId = 0
    year: RowId = 0
    page: RowId = 0


class TaskCb(CallbackData, prefix="dt"):
    """A responsible person's answer to a deadline task: «Выполнено» (with a comment or a file
    when the item asks for one), «Нужна помощь», the task's card."""

    action: str
    task_id: RowId = 0


class DeadlineAdminCb(CallbackData, prefix="da"):
    """The coordinator's deadlines: list, card, removal, evidence download, adding an item,
    applying a plan-graph template to a year, the monitoring stages and their reports."""

    action: str
    deadline_id: RowId = 0
    task_id: RowId = 0
    year: RowId = 0
    page: RowId = 0
    value: str = ""


class BoardCb(CallbackData, prefix="bd"):
    """The status board: deadlines × schools or people, with a filter and paging; admins pick
    a municipality first; the grid as a picture."""

    action: str
    municipality_id: RowId = 0
    year: RowId = 0
    page: RowId = 0
    value: str = ""


class KpiCb(CallbackData, prefix="kp"):
    """The KPI report: a municipality (or the region) and a program year; the message, the
    chart, the .xlsx; admins' table by municipality."""

    action: str
    municipality_id: RowId = 0
    year: RowId = 0


class ProgramCb(CallbackData, prefix="pg"):
    """The program year's schools: the year kind, which schools take part in a year, their
    categories (НРО / НСУ) and program (regional / municipal)."""

    action: str
    school_id: RowId = 0
    year: RowId = 0
    page: RowId = 0
    value: str = ""
