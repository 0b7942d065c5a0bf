"""The tables of «Наставник», one module a responsibility.

- `base`: the declarative base, aware UTC datetimes, enums stored as strings
- `places`: regions, municipalities (and their settings), schools
- `people`: people, their roles and subjects, tutor assignments
- `joining`: invite links and join requests
- `communities`: professional communities and their members
- `roster`: roster files between their check and their application
- `fsm`: dialog state that survives a restart
- `inbox`: updates from Telegram, stored before they are handled
- `delivery`: broadcasts and the delivery queue (outbox)
- `questions`: teachers' questions to tutors, relayed messages, substitutes
- `consultations`: consultations as the municipal report counts them
- `jobs`: background jobs
- `surveys`: surveys, self-checks, their answers and scores, individual routes (ИОМ)
- `deadlines`: program years and participating schools, deadlines (monitoring stages,
  plan-graph items, own items) and their tasks, reminders, plan templates, weekly digests
- `events`: events and «десант» sessions, registrations and the waiting list, reminders,
  attendance

Import from here (`from storage.models import Person`): this package names every table, so
Alembic and the mappers see them all.
"""

from storage.models.base import NAMING_CONVENTION, Base, UtcDateTime
from storage.models.communities import Community, CommunityMembership
from storage.models.consultations import (
    CompetenceBlock,
    Consultation,
    ConsultationFormat,
    ConsultationTeacher,
)
from storage.models.deadlines import (
    Deadline,
    DeadlineKind,
    DeadlineReminder,
    DeadlineTask,
    DigestSent,
    DoneBy,
    MonitoringStage,
    PlanTemplate,
    ProgramLevel,
    Recurrence,
    Responsible,
    SchoolParticipation,
    TaskStatus,
    YearKind,
)
from storage.models.delivery import Broadcast, BroadcastStatus, Delivery, DeliveryStatus
from storage.models.events import (
    SEAT_HOLDING,
    AttendanceMethod,
    CheckinAttempt,
    Event,
    EventAttendance,
    EventForm,
    EventRegistration,
    EventReminder,
    EventScope,
    EventSession,
    EventStatus,
    RegistrationStatus,
    SessionKind,
)
from storage.models.fsm import FsmRecord
from storage.models.inbox import InboxStatus, InboxUpdate
from storage.models.jobs import BackgroundJob, JobStatus
from storage.models.joining import Invite, InviteKind, JoinRequest, JoinRequestStatus
from storage.models.people import (
    Person,
    PersonRole,
    PersonStatus,
    PersonSubject,
    Role,
    TutorAssignment,
)
from storage.models.places import Municipality, Region, School
from storage.models.questions import (
    MessageDirection,
    Thread,
    ThreadMessage,
    ThreadStatus,
    TutorSubstitute,
)
from storage.models.roster import RosterUpload
from storage.models.surveys import (
    Answer,
    CheckStage,
    Response,
    ResponseStatus,
    RouteItem,
    RouteItemKind,
    SectionScore,
    Survey,
    SurveyInvitee,
    SurveyStatus,
)

__all__ = [
    "NAMING_CONVENTION",
    "SEAT_HOLDING",
    "Answer",
    "AttendanceMethod",
    "BackgroundJob",
    "Base",
    "Broadcast",
    "BroadcastStatus",
    "CheckStage",
    "CheckinAttempt",
    "Community",
    "CommunityMembership",
    "CompetenceBlock",
    "Consultation",
    "ConsultationFormat",
    "ConsultationTeacher",
    "Deadline",
    "DeadlineKind",
    "DeadlineReminder",
    "DeadlineTask",
    "Delivery",
    "DeliveryStatus",
    "DigestSent",
    "DoneBy",
    "Event",
    "EventAttendance",
    "EventForm",
    "EventRegistration",
    "EventReminder",
    "EventScope",
    "EventSession",
    "EventStatus",
    "FsmRecord",
    "InboxStatus",
    "InboxUpdate",
    "Invite",
    "InviteKind",
    "JobStatus",
    "JoinRequest",
    "JoinRequestStatus",
    "MessageDirection",
    "MonitoringStage",
    "Municipality",
    "Person",
    "PersonRole",
    "PersonStatus",
    "PersonSubject",
    "PlanTemplate",
    "ProgramLevel",
    "Recurrence",
    "Region",
    "RegistrationStatus",
    "Response",
    "ResponseStatus",
    "Responsible",
    "Role",
    "RosterUpload",
    "RouteItem",
    "RouteItemKind",
    "School",
    "SchoolParticipation",
    "SectionScore",
    "SessionKind",
    "Survey",
    "SurveyInvitee",
    "SurveyStatus",
    "TaskStatus",
    "Thread",
    "ThreadMessage",
    "ThreadStatus",
    "TutorAssignment",
    "TutorSubstitute",
    "UtcDateTime",
    "YearKind",
]
