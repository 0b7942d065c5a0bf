"""Routers in the order they are asked: specific first, the catch-all last."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject


def get_routers() -> list[Router]:
    from bot.dialogs import build_router as build_forms_router
    from bot.handlers import (
        admin,
        broadcasts,
        communities,
        consultations,
        deadlines,
        errors,
        event_attendance,
        event_reports,
        events,
        events_admin,
        fallback,
        invites,
        join_requests,
        kpi,
        menu,
        municipality_settings,
        navigation,
        people,
        plan_templates,
        privacy,
        program_schools,
        program_year,
        questions,
        roster,
        self_check,
        start,
        status_board,
        surveys,
        surveys_taking,
    )

    routers = [
        errors.build_router(),
        navigation.build_router(),  # /cancel and /menu leave any dialog
        privacy.build_router(),  # /privacy, /mydata and /forget work in any state, even mid-dialog
        start.build_router(),
        join_requests.build_router(),
        broadcasts.build_router(),
        surveys.build_router(),
        events_admin.build_router(),
        events.build_router(),
        questions.build_router(),  # replies to relayed questions, before anything else takes them
        consultations.build_router(),
        surveys_taking.build_router(),
        # Who came (its search and /checkin modes) and the event reports.
        event_attendance.build_router(),
        event_reports.build_router(),
        status_board.build_router(),  # the status board and the monitoring stages
        # /plan; the admin's template upload mode takes its document before the roster does.
        plan_templates.build_router(),
        # Deadlines: the coordinator's items and the answers to tasks (its comment/file mode).
        deadlines.build_router(),
        # The forms: after the plain modes, whose state filters take their own text first; before
        # the roster upload, so a document sent to the broadcast composer is its attachment.
        build_forms_router(),
        roster.build_router(),
        invites.build_router(),
        admin.build_router(),
        municipality_settings.build_router(),
        program_schools.build_router(),
        program_year.build_router(),
        communities.build_router(),
        self_check.build_router(),
        kpi.build_router(),  # /kpi and its buttons
        people.build_router(),
        menu.build_router(),
        fallback.build_router(),
    ]
    for router in routers:
        _run_sync_filters_inline(router)
    return routers


def _run_sync_filters_inline(router: Router) -> None:
    """aiogram sends every synchronous filter (each `F.text == ...`) through a thread, a hop
    per filter per update; these filters are pure attribute checks, cheaper run in place."""
    for observer in router.observers.values():
        for handler in observer.handlers:
            for check in handler.filters or ():
                if not check.awaitable:
                    _inline(check)
    for child in router.sub_routers:
        _run_sync_filters_inline(child)


def _inline(check: FilterObject) -> None:
    sync = check.callback

    async def run_in_place(*args: Any, **kwargs: Any) -> Any:
        return sync(*args, **kwargs)

    # The parameters aiogram passes stay those of the synchronous filter (computed at creation).
    check.callback = run_in_place
    check.awaitable = True
