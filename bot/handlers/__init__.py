"""Routers in the order they are asked: specific first, the catch-all last."""

from __future__ import annotations

from aiogram import Router


def get_routers() -> list[Router]:
    from bot.handlers import (
        admin,
        broadcasts,
        communities,
        consultations,
        errors,
        fallback,
        invites,
        join_requests,
        menu,
        municipality_settings,
        navigation,
        people,
        privacy,
        questions,
        roster,
        start,
    )

    routers = [
        errors.router,
        navigation.router,  # /cancel and /menu leave any dialog
        privacy.router,  # /privacy, /mydata and /forget work in any state, even mid-dialog
        start.router,
        join_requests.router,
        broadcasts.router,  # its dialog takes documents before the roster upload does
        questions.router,  # replies to relayed questions, before anything else takes them
        consultations.router,
        roster.router,
        invites.router,
        admin.router,
        municipality_settings.router,
        communities.router,
        people.router,
        menu.router,
        fallback.router,
    ]
    for router in routers:
        # Routers are module singletons; a second dispatcher in the same process (every test
        # builds one) takes them over from the first instead of failing.
        router._parent_router = None
    return routers
