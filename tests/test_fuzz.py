"""Every dialog state, fed random input: nothing breaks and nobody is left without an answer.

The states are read from the code (`tests.reach.all_states`: `bot/states.py` and the forms'
state groups); a state `tests/reach.py` has no way into fails here, by name.

How it runs, and why this way: hypothesis does not drive async tests, and a sync `@given` test
building a fresh database per example would spend minutes on set-up. So each state is one
pytest test with one harness and one database: the person is brought into the state by real
presses and messages (`tests.reach.REACH`), their stored state (FSM state and data, and an
open form's stack and context) is snapshotted, and hypothesis runs in a worker thread, each
example handing its update to the test's event loop (`run_coroutine_threadsafe`) after the
snapshot is put back, so every example starts in the state under test. Examples are drawn,
shrunk and replayed by hypothesis as usual.

Profiles: `ci` (the default: few examples per state, derandomized, so every run is the same)
and `deep` (`HYPOTHESIS_PROFILE=deep`: many random examples, for local runs).

Properties, for every example: no ERROR in the log and no «something went wrong» answer; the
person gets at least one request to their chat or an answer to their button; no text over
4096 characters and no button answer over 200.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from aiogram.methods import AnswerCallbackQuery, CopyMessage, TelegramMethod
from aiogram.types import InlineKeyboardMarkup
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from bot.states import LogConsultation
from config.settings import Settings
from tests import reach
from tests.callback_classes import callback_classes, fields_of
from tests.factories import make_document_message, update_with
from tests.harness import Harness, chat_of

hypothesis_settings.register_profile(
    "ci",
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile(
    "deep",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

TEXT_LIMIT = 4096
CALLBACK_ANSWER_LIMIT = 200
SOMETHING_WENT_WRONG = (
    "Извините, что-то пошло не так",
    "Sorry, something went wrong",
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """One person sends many updates here: no flood pacing for them."""
    return settings.model_copy(update={"flood_messages": 10_000, "flood_abuse_per_minute": 100_000})


# --- what is fed --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    kind: str  # text, callback, document, contact
    text: str = ""  # the text, or the callback data
    file_name: str = ""
    content: bytes = b""
    declared_size: int | None = None
    phone: str = ""
    contact_owner: int | None = None

    def __repr__(self) -> str:
        shown = {k: v for k, v in vars(self).items() if v not in ("", b"", None)}
        for key in ("text", "content"):
            if key in shown and len(shown[key]) > 80:
                shown[key] = f"{shown[key][:60]!r}… ({len(shown[key])})"
        return f"Example({shown})"


UNICODE_DIGITS = "①²⁵٣৪௫໖"
CONTROL = "\x00\x01\x07\x0b\x1b\x7f\u200b\u202e"
HUGE_NUMBERS = [2**31, 2**31 - 1, 2**53, 2**53 + 1, 2**63, 10**20, -1, -(2**31), 0]
TRICKY_TEXTS = [
    "",
    " ",
    "\n\t ",
    "①",
    "²",
    "⁵",
    "12",
    "0",
    "-5",
    "9" * 400,
    "1e9",
    "31.02.2026",
    "01.01.2099",
    "29.02.2027",
    "<b>жирный</b>",
    "<script>alert(1)</script>",
    "a < b & c > d",
    '=HYPERLINK("http://x","Иван") Иван',
    "@SUM(1+1)",
    "👩‍🏫📚🔥",
    "Я" * 5000,
    "x" * 4097,
    "\x00NUL\x00",
    "Иванов\x0bИван",
    "/start",
    "/cancel",
    "/start " + "A" * 60,
    "Europe/Moscow",
    "UTC+3",
    "Петрова",
    "Ипатовский",
]

fuzz_text = st.one_of(
    st.sampled_from(TRICKY_TEXTS),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.sampled_from(HUGE_NUMBERS).map(str),
    st.text(alphabet=UNICODE_DIGITS + "0123456789 .:-", min_size=1, max_size=12),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
        min_size=1,
        max_size=60,
    ),
    st.text(alphabet=CONTROL + "абвгд <>&", min_size=1, max_size=20),
    st.integers(min_value=1, max_value=6000).map(lambda n: "Щ" * n),
)

# A field of a button's data: a valid-looking value, or a mangled one.
field_value = st.one_of(
    st.sampled_from(HUGE_NUMBERS).map(str),
    st.integers(min_value=-1000, max_value=1000).map(str),
    st.sampled_from(
        ["", "①", "²", "1.5", "abc", "true", "false", "1", "0", "None", "x" * 70, "🙂", "%3A", "\\"]
    ),
    st.text(alphabet=UNICODE_DIGITS + "0123456789:-", max_size=8),
)


@st.composite
def mangled_callback(draw: st.DrawFn, others: list[int], shown: list[str]) -> str:
    """A prefix of a real button class with fields mangled; or a button on the screen mangled."""
    if shown and draw(st.booleans()):
        data = draw(st.sampled_from(shown))
        how = draw(st.sampled_from(["as is", "digits", "cut", "append", "sep"]))
        if how == "digits":
            big = str(draw(st.sampled_from([*HUGE_NUMBERS, *others])))
            return "".join(big if c.isdigit() else c for c in data)[:200]
        if how == "cut":
            return data[: draw(st.integers(min_value=0, max_value=len(data)))]
        if how == "append":
            return data + draw(st.sampled_from([":", "::1", ":①", "\x1d", ":" + str(2**53)]))
        if how == "sep":
            return data.replace(":", draw(st.sampled_from(["::", "", ";"])))
        return data
    cls = draw(st.sampled_from(callback_classes()))
    fields = fields_of(cls)
    values = [
        draw(
            st.one_of(
                field_value, st.sampled_from([str(o) for o in others]), st.sampled_from(options)
            )
        )
        for options in fields.values()
    ]
    count = draw(
        st.sampled_from([len(values), len(values), max(0, len(values) - 1), len(values) + 1])
    )
    values = [*values, "1", "2"][:count]
    return ":".join([cls.__prefix__, *values])


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(";".join(row) for row in rows).encode()


def _xlsx(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ROSTER_HEADER = ["ФИО", "Телефон", "Школа", "Роль", "Предмет"]
cell = st.one_of(
    st.sampled_from(["Иванов Иван Иванович", "+79180000999", "СОШ № 2", "учитель", "Химия", ""]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30),
    st.sampled_from(['=HYPERLINK("http://x","Иван") Иван', "<b>", "①", str(10**20)]),
)
rows = st.lists(st.lists(cell, min_size=5, max_size=5), min_size=0, max_size=6)


@st.composite
def document(draw: st.DrawFn) -> Example:
    body = draw(rows)
    kind = draw(st.sampled_from(["csv", "xlsx", "garbage", "huge"]))
    if kind == "csv":
        return Example("document", file_name="список.csv", content=_csv([ROSTER_HEADER, *body]))
    if kind == "xlsx":
        return Example("document", file_name="список.xlsx", content=_xlsx([ROSTER_HEADER, *body]))
    if kind == "garbage":
        name = draw(st.sampled_from(["список.xlsx", "список.csv", "фото.jpg", "без расширения"]))
        content = draw(st.binary(min_size=0, max_size=300))
        return Example("document", file_name=name, content=content)
    size = draw(st.sampled_from([50 * 1024 * 1024, 2**31, 2**40]))
    return Example("document", file_name="список.xlsx", content=b"PK\x03\x04", declared_size=size)


@st.composite
def contact(draw: st.DrawFn, actor: int, others: list[int]) -> Example:
    phone = draw(
        st.sampled_from(
            ["+79180000101", reach.NAMELESS_PHONE, "+79189999999", "89180000002", "12", "①②③", ""]
        )
    )
    owner = draw(st.sampled_from([actor, *others]))
    return Example("contact", phone=phone or "+7", contact_owner=owner)


def examples(actor: int, others: list[int], shown: list[str]) -> st.SearchStrategy[Example]:
    return st.one_of(
        fuzz_text.map(lambda text: Example("text", text=text)),
        mangled_callback(others, shown).map(lambda data: Example("callback", text=data)),
        document(),
        contact(actor, others),
    )


# --- feeding one example and checking what came back ------------------------------------------


def _inline_buttons(harness: Harness, user_id: int) -> list[str]:
    shown: list[str] = []
    for request in harness.sent_to(user_id):
        markup = getattr(request, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            shown.extend(
                b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data
            )
    return sorted(set(shown))


async def _feed(harness: Harness, actor: int, example: Example) -> None:
    if example.kind == "text":
        await harness.send(actor, example.text)
    elif example.kind == "callback":
        await harness.callback(actor, example.text)
    elif example.kind == "document":
        await _upload(harness, actor, example)
    else:
        await harness.share_contact(actor, example.phone, owner_id=example.contact_owner)
    # What a document or a press queued (a roster check, an export) runs too.
    await harness.run_jobs()


async def _upload(harness: Harness, actor: int, example: Example) -> None:
    """A document whose declared size may be far from its content's."""
    file_id = f"fuzz-{len(harness.api.files)}"
    harness.api.files[file_id] = example.content
    size = example.declared_size if example.declared_size is not None else len(example.content)
    message = make_document_message(harness.user(actor), example.file_name, size, file_id=file_id)
    await harness.feed(update_with(message=message))


def _problems(
    requests: list[TelegramMethod[Any]], actor: int, example: Example, errors: list[str]
) -> list[str]:
    problems = [f"logged: {line}" for line in errors]
    answered = False
    for request in requests:
        if chat_of(request) == actor or isinstance(request, AnswerCallbackQuery):
            answered = True
        if isinstance(request, CopyMessage) and request.from_chat_id == actor:
            # A teacher's follow-up in a conversation goes to the tutor, as in any chat.
            answered = True
        for field in ("text", "caption"):
            value = getattr(request, field, None)
            if not isinstance(value, str):
                continue
            limit = (
                CALLBACK_ANSWER_LIMIT if isinstance(request, AnswerCallbackQuery) else TEXT_LIMIT
            )
            if field == "caption":
                limit = 1024
            if len(value) > limit:
                problems.append(f"{type(request).__name__}.{field} of {len(value)} > {limit}")
            if any(value.startswith(sorry) for sorry in SOMETHING_WENT_WRONG):
                problems.append("answered «something went wrong»")
    if not answered:
        problems.append("the person got no answer")
    return problems


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        self.lines.append(f"{record.getMessage()} {error!r}" if error else record.getMessage())


# --- the tests --------------------------------------------------------------------------------

STATES = reach.all_states()


def test_every_state_has_a_way_in() -> None:
    assert not reach.missing_ways(), (
        "states the fuzz test cannot reach; add a way in to tests/reach.py REACH: "
        + ", ".join(reach.missing_ways())
    )


@pytest.mark.parametrize("state", STATES)
async def test_random_input_in_every_state(
    harness: Harness, db: AsyncSession, settings: Settings, state: str
) -> None:
    way = reach.REACH.get(state)
    if way is None:
        pytest.fail(f"no way into {state}: add one to tests/reach.py REACH")
    world = await reach.arrange_world(db)
    await way.way(harness, world)
    assert await reach.current_state(harness, way.actor) == state, f"the way into {state} failed"
    snapshot = await reach.Snapshot.take(harness, way.actor)
    shown = _inline_buttons(harness, way.actor)
    others = sorted({*world.person_ids.values(), world.foreign_municipality, world.foreign_school})
    loop = asyncio.get_running_loop()
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)

    def run(coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

    async def one(example: Example) -> None:
        await snapshot.restore(harness)
        harness.clear()
        errors.lines.clear()
        await _feed(harness, way.actor, example)
        problems = _problems(harness.requests, way.actor, example, errors.lines)
        assert not problems, f"{state}, {example!r}: " + "; ".join(problems)

    @hypothesis_settings(hypothesis_settings.get_profile(PROFILE))
    @given(examples(way.actor, others, shown))
    def fuzz(example: Example) -> None:
        run(one(example))

    try:
        await asyncio.to_thread(fuzz)
    finally:
        logging.getLogger().removeHandler(errors)


# --- defects the fuzz test found, each kept found by a plain test ------------------------------


@pytest.mark.parametrize(
    ("state", "button", "mangle"),
    [
        # A form's number choice: aiogram-dialog ran int() on what followed the widget id.
        (LogConsultation.duration.state, "45 мин", lambda data: data + ":"),
        (LogConsultation.duration.state, "45 мин", lambda data: data.replace("45", "²")),
        (LogConsultation.school.state, "СОШ № 2", lambda data: data + "0" * 20),
        # A form's paging button with a page that is not a number.
        (
            LogConsultation.school.state,
            "СОШ № 2",
            lambda data: data.split("\x1d")[0] + "\x1dschools:①",
        ),
    ],
)
async def test_a_broken_number_in_a_form_button_is_an_old_button(
    harness: Harness,
    db: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    state: str,
    button: str,
    mangle: Callable[[str], str],
) -> None:
    world = await reach.arrange_world(db)
    await reach.REACH[state].way(harness, world)
    data = mangle(harness.button_data(reach.TUTOR, button))
    harness.clear()

    with caplog.at_level(logging.ERROR):
        await harness.callback(reach.TUTOR, data)

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("устарела" in text for text in harness.texts_to(reach.TUTOR))
    assert await reach.current_state(harness, reach.TUTOR) == state, "the form stays where it was"
