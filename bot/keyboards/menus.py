"""Main menu (reply keyboard) and command list per role."""

from __future__ import annotations

from aiogram.types import BotCommand, KeyboardButton, ReplyKeyboardMarkup

from bot.texts import t
from storage.models import Role

# Menu buttons per role, in the order they appear; a person with several roles gets them all.
MENU_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.TEACHER: (
        "menu.ask_tutor",
        "menu.my_tutor",
        "menu.my_consultations",
        "menu.communities",
        "menu.self_check",
        "menu.my_surveys",
        "menu.events",
    ),
    Role.SCHOOL_LEADER: ("menu.my_surveys", "menu.events", "menu.my_tasks"),
    Role.TUTOR: (
        "menu.tutor_questions",
        "menu.tutor_consultations",
        "menu.my_teachers",
        "menu.teacher_profiles",
        "menu.my_surveys",
        "menu.events",
        "menu.my_tasks",
    ),
    Role.COORDINATOR: (
        "menu.questions_overview",
        "menu.consultations_report",
        "menu.broadcasts",
        "menu.surveys",
        "menu.events_admin",
        "menu.roster",
        "menu.invites",
        "menu.join_requests",
        "menu.manage_communities",
        "menu.self_check_summary",
        # The year's six screens behind one button (bot/handlers/program_year.py).
        "menu.program_year",
        "menu.my_tasks",
    ),
    Role.ADMIN: (
        "menu.broadcasts",
        "menu.surveys",
        "menu.events_admin",
        "menu.municipalities",
        "menu.self_check_summary",
        "menu.program_year",
    ),
}
COMMON_MENU = ("menu.profile", "menu.help")

COMMANDS_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.TEACHER: ("ask", "communities", "selfcheck", "events", "checkin"),
    Role.SCHOOL_LEADER: ("events", "checkin", "mytasks"),
    Role.TUTOR: ("questions", "consult", "teachers", "events", "checkin", "mytasks"),
    Role.COORDINATOR: (
        "broadcast",
        "roster",
        "invite",
        "requests",
        "deadlines",
        "eventreport",
        "programschools",
        "board",
        "monitoring",
        "plan",
        "duedates",
        "mytasks",
        "kpi",
    ),
    Role.ADMIN: (
        "broadcast",
        "municipalities",
        "deadlines",
        "eventreport",
        "programschools",
        "board",
        "monitoring",
        "plan",
        "duedates",
        "kpi",
    ),
}
COMMON_COMMANDS = ("menu", "mydata", "privacy", "language", "forget", "help")
GUEST_COMMANDS = ("start", "privacy", "help")


def menu_keys(roles: frozenset[Role]) -> list[str]:
    keys: list[str] = []
    for role in Role:
        if role in roles:
            keys.extend(k for k in MENU_BY_ROLE[role] if k not in keys)
    return keys + list(COMMON_MENU)


def main_menu(roles: frozenset[Role]) -> ReplyKeyboardMarkup:
    keys = menu_keys(roles)
    rows = [
        [KeyboardButton(text=t(key)) for key in keys[i : i + 2]] for i in range(0, len(keys), 2)
    ]
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)


def command_list(roles: frozenset[Role], locale: str) -> list[BotCommand]:
    names: list[str] = []
    if roles:
        for role in Role:
            if role in roles:
                names.extend(n for n in COMMANDS_BY_ROLE[role] if n not in names)
        names.extend(COMMON_COMMANDS)
    else:
        names.extend(GUEST_COMMANDS)
    return [
        BotCommand(command=name, description=t(f"command.{name}", locale=locale)) for name in names
    ]
