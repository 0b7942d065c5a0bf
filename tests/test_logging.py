from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from typing import cast

import pytest
from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.logging_setup import PhoneMaskingFilter, setup_logging
from storage.models import Person


@pytest.mark.parametrize(
    "phone", ["+79181234567", "8 (918) 123-45-67", "7 918 123 45 67", "89181234567"]
)
def test_phones_never_reach_the_log(phone: str) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "contact %s shared", (phone,), None)

    PhoneMaskingFilter().filter(record)

    message = record.getMessage()
    assert "1234567" not in message and "123-45-67" not in message
    assert message.startswith("contact +***")


def test_other_numbers_are_left_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "update %s failed", (123456,), None)
    PhoneMaskingFilter().filter(record)
    assert record.getMessage() == "update 123456 failed"


@pytest.fixture
def real_logging() -> Iterator[Callable[[], str]]:
    """The application's logging set-up, its handler writing to a buffer instead of stderr;
    pytest's own handlers come back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    setup_logging("INFO")
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer.getvalue
    root.handlers[:] = handlers
    root.setLevel(level)


def test_phones_in_a_traceback_are_masked(real_logging: Callable[[], str]) -> None:
    try:
        raise ValueError("Key (municipality_id, phone)=(1, +79181234567) already exists")
    except ValueError:
        logging.getLogger("bot.jobs").exception("job %s failed", 7)

    logged = real_logging()
    assert "job 7 failed" in logged and "ValueError" in logged
    assert "1234567" not in logged
    assert "+***67" in logged


async def test_a_failed_statement_logs_no_phone(
    engine: AsyncEngine, real_logging: Callable[[], str]
) -> None:
    """A roster row that fails (here: its municipality is gone) must not put the row's phone
    in the error: not in the log line, not in the text kept as the job's error."""
    people = cast(Table, Person.__table__)
    with pytest.raises(IntegrityError) as failure:
        async with engine.begin() as connection:
            await connection.execute(
                insert(people),
                [{"full_name": "Петрова Анна", "phone": "+79181234567", "municipality_id": 999}],
            )
    try:
        raise failure.value
    except IntegrityError:
        logging.getLogger("bot.jobs").exception("job 8 failed")

    logged = real_logging()
    assert "IntegrityError" in logged and "job 8 failed" in logged
    assert "1234567" not in logged and "1234567" not in str(failure.value)
    assert "Петрова" not in str(failure.value)
