"""FSM states of every dialog, in one place so a newcomer sees them all at once.

What a dialog has collected so far lives in its FSM data, so a dialog interrupted by a call,
a lost connection or a restart resumes where it stopped."""

from aiogram.fsm.state import State, StatesGroup


class Joining(StatesGroup):
    identify = State()
    name = State()
    municipality = State()
    school = State()
    subject = State()
    request_name = State()


# The coordinator's broadcast composer (a form: bot/dialogs/broadcast_composer.py)
class Broadcasting(StatesGroup):
    compose = State()
    audience = State()
    choices = State()  # one kind of segment: its choices, to toggle
    preview = State()
    schedule = State()


# The coordinator's survey launch (a form: bot/dialogs/survey_launch.py). `audience` and
# `choices` are the broadcast composer's audience picker, shared.
class LaunchSurvey(StatesGroup):
    scenario = State()
    audience = State()
    choices = State()
    deadline = State()
    confirm = State()


# The coordinator's «add a community» dialog
class Communities(StatesGroup):
    name = State()
    description = State()


# The consultation log: recording a consultation and editing one field of an entry
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


# The invite and admin dialogs
class InviteFlow(StatesGroup):
    search = State()


class AdminFlow(StatesGroup):
    municipality_name = State()
    coordinator_name = State()
    school_name = State()
    school_flags = State()


# The deadlines screen (/deadlines)
class DeadlinesFlow(StatesGroup):
    # A deadline button was pressed: the next message is its number
    # (data: municipality_id, deadline).
    number = State()
    # The zone list is open: the person may type a zone name instead (data: municipality_id).
    zone = State()


# Questions (обращения)
class QuestionFlow(StatesGroup):
    # The teacher's messages are questions to their tutor until they leave with a menu button.
    asking = State()
    # The tutor pressed «Ответить»: their next message is the answer (data: thread_id).
    answering = State()
    # The teacher rated a closed thread and may add a comment (data: thread_id).
    rating_comment = State()
    # The tutor picked a substitute and types the last day of their absence (data: substitute_id).
    away_until = State()


# Answering a survey or a self-check (a form: bot/dialogs/survey_runner.py); where the person is
# lives in the database, the form keeps only the response's id.
class TakeSurvey(StatesGroup):
    question = State()
    summary = State()


# The self-check: the tutor typed a step of their teacher's route (data: teacher_id)
class SelfCheckFlow(StatesGroup):
    tutor_note = State()


# The organiser's event form (bot/dialogs/event_editor/): creating, and changing one field
class EventEditor(StatesGroup):
    kind = State()
    title = State()
    start = State()
    end = State()
    # A typed moment written back (weekday, day, time, zone) before it is taken.
    confirm_moment = State()
    hours = State()
    form = State()
    scope = State()
    place = State()
    school = State()
    address = State()
    url = State()
    capacity = State()
    deadline = State()
    # Reminders to registrants (changed from the card's «✏️ Изменить», not in the first pass).
    reminders = State()
    audience = State()
    choices = State()  # the audience picker's choices of one kind
    program = State()
    session_kind = State()
    session_title = State()
    session_presenter = State()
    session_time = State()
    session_capacity = State()
    session_place = State()
    description = State()
    organiser = State()
    topics = State()
    preview = State()


# Events: who came. The organiser typed «🔎 Найти» in the registrant list: their messages are
# parts of names until they leave (data: event_id, session_id, q); a participant's /checkin:
# the next message is the code shown at the venue (data: choices when two events share it).
class AttendanceFlow(StatesGroup):
    search = State()
    code = State()


# An admin sends the region's plan-graph template (.yaml) after «Загрузить шаблон»
class PlanTemplateFlow(StatesGroup):
    upload = State()


# A coordinator's own deadline item (a form: bot/dialogs/deadline_editor.py)
class DeadlineEditor(StatesGroup):
    title = State()
    description = State()
    responsible = State()
    person = State()
    start = State()
    due = State()
    reminders = State()
    recurrence = State()
    done_by = State()
    confirm = State()


# A responsible person answers a deadline task: «Выполнено» needs a comment or a file
# (data: task_id); /cancel leaves.
class TaskFlow(StatesGroup):
    comment = State()
    file = State()
