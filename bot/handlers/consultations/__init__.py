"""The consultation log, one router per audience:

- `log`: the tutor's form «Записать консультацию» (its steps, save, cancel);
- `tutor`: the tutor's «Консультации» — the way in, this month's entries, change and delete;
- `teacher`: the teacher's «🗒 Мои консультации»;
- `report`: the coordinator's «📊 Консультации: отчёт», its filters and the .xlsx export.

The form is asked first: its steps take typed answers before any other handler could. Each
sub-router carries its own role filter; the parent has none, because a parent whose filter
fails hides all its sub-routers.
"""

from __future__ import annotations

from aiogram import Router

from bot.handlers.consultations import log, report, teacher, tutor


def build_router() -> Router:
    """A fresh router tree on each call: every dispatcher gets its own."""
    consultations = Router(name=__name__)
    consultations.include_routers(log.router(), tutor.router(), teacher.router(), report.router())
    return consultations
