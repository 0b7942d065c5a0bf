"""FSM states of the deadlines screen (/deadlines)."""

from aiogram.fsm.state import State, StatesGroup


class DeadlinesFlow(StatesGroup):
    # A deadline button was pressed: the next message is its number
    # (data: municipality_id, deadline).
    number = State()
    # The zone list is open: the person may type a zone name instead (data: municipality_id).
    zone = State()
