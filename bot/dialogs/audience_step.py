"""The broadcast composer's audience picker as a step of another form (the event editor, the
survey launch): its two windows — the audience so far with a button per kind of segment, and the
choices of one kind — on the form's own states, with the form's own buttons and reply.

The form's states group must name its choices state `choices` (the picker's `on_kind` goes
there), and its dialog data may hold `allowed_roles` and `no_segments` (see the composer).
"""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State
from aiogram_dialog import Window
from aiogram_dialog.widgets.kbd import Button, Column, SwitchTo

from bot.dialogs import broadcast_composer as picker
from bot.dialogs.common import choices, paged_choices, waits_for_buttons
from bot.dialogs.widgets import T, Template


def audience_windows(
    audience: State,
    choices_state: State,
    *buttons: Any,
    back_key: str,
    use_buttons_key: str,
) -> list[Window]:
    """The audience window (the picker, then `buttons`: the form's way on, back and out) and the
    choices window, whose «back» (`back_key`) returns to the audience window."""
    return [
        Window(
            Template("broadcast_audience.html"),
            Column(choices("kind", "kinds", picker.on_kind)),
            Button(T("broadcast.audience_reset"), id="reset", on_click=picker.on_reset),
            *buttons,
            waits_for_buttons(use_buttons_key),
            getter=picker.audience_getter,
            state=audience,
        ),
        Window(
            Template("broadcast_audience.html"),
            paged_choices(
                "options",
                "choice",
                "options",
                picker.on_choice,
                per_page=picker.CHOICES_PER_PAGE,
                numbers=True,
            ),
            SwitchTo(T(back_key), id="to_audience", state=audience),
            waits_for_buttons(use_buttons_key),
            getter=picker.audience_getter,
            state=choices_state,
        ),
    ]
