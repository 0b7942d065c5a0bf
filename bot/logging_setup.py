"""Logging set-up. Phone numbers never reach a log line, whoever wrote it.

Not in the message, and not in a traceback either: a database error's text can carry a row's
values (PostgreSQL's «Key (phone)=(+7…) already exists», a value it could not convert), and
the root handler's filter masks the exception's formatted text before any formatter uses it.
"""

from __future__ import annotations

import logging
import re

# Runs of 10+ digits, with the separators people write phones with.
PHONE_PATTERN = re.compile(r"\+?\d[\d\s()\-]{8,}\d")


def mask_phones(text: str) -> str:
    """`text` with every phone-like run of digits masked to its last two digits."""
    return PHONE_PATTERN.sub(_mask, text)


class PhoneMaskingFilter(logging.Filter):
    """Masks phones in the message, the exception's traceback and the stack of a record."""

    # Formats tracebacks exactly as the handlers' formatters would (they reuse `exc_text`).
    _tracebacks = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Formatted once, here, so every handler's formatter uses the masked text.
            record.exc_text = self._tracebacks.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phones(record.stack_info)
        return True


def _mask(match: re.Match[str]) -> str:
    digits = [c for c in match.group(0) if c.isdigit()]
    return "+***" + "".join(digits[-2:]) if len(digits) >= 10 else match.group(0)


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PhoneMaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Migrations report every step at INFO; an operator needs only the one summary line.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
