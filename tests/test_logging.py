from __future__ import annotations

import logging

import pytest

from bot.logging_setup import PhoneMaskingFilter


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
