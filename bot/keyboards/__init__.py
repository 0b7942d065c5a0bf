"""Keyboards are pure functions of what they show."""

# Telegram shows a button's text on one line; long names are cut so the button stays readable.
BUTTON_NAME_MAX = 40


def short_label(name: str) -> str:
    """A person's or a school's name as a button shows it."""
    return name if len(name) <= BUTTON_NAME_MAX else name[: BUTTON_NAME_MAX - 1] + "…"
