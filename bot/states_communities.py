"""FSM states of the coordinator's «add a community» dialog."""

from aiogram.fsm.state import State, StatesGroup


class Communities(StatesGroup):
    name = State()
    description = State()
