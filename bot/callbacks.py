"""Callback data of every inline button, one class per purpose, each with a unique prefix.

Telegram allows 64 bytes of callback data; prefixes are two letters to leave room for ids.
"""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# Ids and numbers in buttons stay within what the databases store: a crafted button with a
# huge number is simply not recognised (and gets the "old button" answer), never a crash.
Number = Annotated[int, Field(ge=-(2**53), le=2**53)]


class ConsentCb(CallbackData, prefix="cs"):
    agree: bool
    code: str = ""


class LanguageCb(CallbackData, prefix="lg"):
    locale: str


class JoinPickCb(CallbackData, prefix="jp"):
    """A step of the join-request dialog: `what` is municipality / school / page / skip."""

    what: str
    value: Number = 0


class JoinDecisionCb(CallbackData, prefix="jd"):
    request_id: Number
    approve: bool


class RosterCb(CallbackData, prefix="ro"):
    action: str
    upload_id: Number = 0
    municipality_id: Number = 0


class InviteCb(CallbackData, prefix="iv"):
    action: str
    value: Number = 0
    extra: str = ""


class AdminCb(CallbackData, prefix="ad"):
    action: str
    value: Number = 0


class CommunityCb(CallbackData, prefix="cm"):
    action: str
    community_id: Number = 0


class PrivacyCb(CallbackData, prefix="pv"):
    action: str


class BroadcastCb(CallbackData, prefix="bc"):
    action: str
    value: Number = 0


class QuestionCb(CallbackData, prefix="qu"):
    action: str
    thread_id: Number = 0
    value: Number = 0


class ConsultationCb(CallbackData, prefix="co"):
    action: str
    value: Number = 0
    extra: str = ""


class MunicipalitySettingsCb(CallbackData, prefix="ms"):
    action: str
    municipality_id: Number = 0
    value: str = ""
