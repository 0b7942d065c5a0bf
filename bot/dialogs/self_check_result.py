"""What a teacher sees after sending a self-check: each block's percent and level.

(The profile chart and the individual route are added by the self-check views.)
"""

from __future__ import annotations

from aiogram_dialog import DialogManager

from bot.dialogs.common import tell
from bot.services import survey_runner
from bot.texts import t


async def send_self_check_result(manager: DialogManager, response_id: int) -> None:
    data = manager.middleware_data
    locale = str(data["i18n"].current_locale)
    blocks = await survey_runner.results(data["session"], data["person"], response_id, locale)
    lines = [
        t(
            "surveys.result_block",
            title=block.title,
            percent=round(block.percent),
            level=t(f"surveys.level.{block.level}"),
        )
        for block in blocks
    ]
    await tell(manager, "\n".join([t("surveys.result_title"), *lines]))
