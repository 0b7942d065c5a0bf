"""FSM states of the consultation log: the tutor's «record a consultation» dialog and the
one-field edit of an entry. The answers live in the FSM data (see `Draft`), so a dialog
interrupted by a call or a restart resumes where it stopped."""

from aiogram.fsm.state import State, StatesGroup


class LogConsultation(StatesGroup):
    school = State()
    teachers = State()
    held_on = State()
    format = State()
    block = State()
    topic = State()
    duration = State()
    outcome = State()
    confirm = State()


class EditConsultation(StatesGroup):
    value = State()
