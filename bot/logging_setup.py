"""Logging set-up. Phone numbers never reach a log line, whoever wrote it."""

from __future__ import annotations

import logging
import re

# Runs of 10+ digits, with the separators people write phones with.
PHONE_PATTERN = re.compile(r"\+?\d[\d\s()\-]{8,}\d")


class PhoneMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = PHONE_PATTERN.sub(_mask, message)
        if masked != message:
            record.msg, record.args = masked, None
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
