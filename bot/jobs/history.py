"""Copying a thread's history to its newly assigned tutor: one `copy_message` per message of the
teacher, at most one a second in the tutor's chat (Telegram's limit), each pair recorded as it
goes, so a resumed copy picks up where it stopped. The coordinator who assigned watches the
progress and gets the count."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter

from bot.errors import DomainError
from bot.jobs import JobRunContext, percent
from bot.services import question_assignment
from bot.texts import t
from storage.models import BackgroundJob, ThreadMessage

log = logging.getLogger(__name__)

# 429s in a row on one message before the job gives up for now (and is retried later).
RETRIES_PER_MESSAGE = 5


async def copy(context: JobRunContext, job: BackgroundJob) -> None:
    thread_id = int(job.payload["thread_id"])
    tutor_id = int(job.payload["tutor_id"])
    async with context.session_pool() as session:
        plan = await question_assignment.history_to_copy(
            session,
            thread_id,
            tutor_id,
            int(job.payload["receiver_id"]),
            int(job.payload["up_to"]),
        )
    if plan is None:
        log.info("history of thread %s not copied: the thread moved on", thread_id)
        return
    copied = plan.total - len(plan.left)
    for number, record in enumerate(plan.left, start=plan.total - len(plan.left)):
        await context.progress.update(
            t(
                "questions.history_progress",
                number=plan.thread_id,
                percent=percent(number, plan.total),
            )
        )
        async with context.session_pool() as session:
            wanted = await question_assignment.history_copy_wanted(
                session, thread_id, tutor_id, record.id
            )
        if not wanted:
            continue
        copied_id = await _copy_one(context, plan, record)
        if copied_id is None:
            continue
        async with context.session_pool.begin() as session:
            if await question_assignment.record_history_copy(
                session, record, plan.chat_id, copied_id
            ):
                copied += 1
    await context.progress.finish(
        t("questions.history_done", number=plan.thread_id, tutor=plan.tutor_name, count=copied)
    )


async def _copy_one(
    context: JobRunContext, plan: question_assignment.HistoryCopy, record: ThreadMessage
) -> int | None:
    """The copy's message id; None when Telegram cannot copy this one (the teacher deleted it,
    or the tutor does not accept its kind): the rest of the history still moves."""
    for retry in range(RETRIES_PER_MESSAGE + 1):
        await context.limiter.acquire(plan.chat_id)
        try:
            copied = await context.bot.copy_message(
                chat_id=plan.chat_id,
                from_chat_id=record.source_chat_id,
                message_id=record.source_message_id,
            )
        except TelegramRetryAfter as error:
            # Telegram throttles the whole bot: everybody waits, then this message again.
            await context.limiter.pause(error.retry_after)
            if retry == RETRIES_PER_MESSAGE:
                raise
        except TelegramBadRequest:
            log.info("history message %s not copied on assignment", record.id)
            return None
        except TelegramForbiddenError:
            raise DomainError("questions.tutor_unreachable", name=plan.tutor_name) from None
        else:
            return copied.message_id
    return None
