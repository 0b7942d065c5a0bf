"""FSM states of the dialogs, kept in one place so a newcomer sees every dialog at once."""

from aiogram.fsm.state import State, StatesGroup


class Joining(StatesGroup):
    identify = State()
    name = State()
    municipality = State()
    school = State()
    subject = State()
    request_name = State()


class Broadcasting(StatesGroup):
    compose = State()
    audience = State()
    schedule = State()
