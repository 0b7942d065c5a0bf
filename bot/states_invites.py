"""FSM states of the invite and admin dialogs."""

from aiogram.fsm.state import State, StatesGroup


class InviteFlow(StatesGroup):
    search = State()


class AdminFlow(StatesGroup):
    municipality_name = State()
    coordinator_name = State()
    school_name = State()
    school_flags = State()
