"""FSM states of questions (обращения)."""

from aiogram.fsm.state import State, StatesGroup


class QuestionFlow(StatesGroup):
    # The teacher's messages are questions to their tutor until they leave with a menu button.
    asking = State()
    # The tutor pressed «Ответить»: their next message is the answer (data: thread_id).
    answering = State()
    # The teacher rated a closed thread and may add a comment (data: thread_id).
    rating_comment = State()
    # The tutor picked a substitute and types the last day of their absence (data: substitute_id).
    away_until = State()
