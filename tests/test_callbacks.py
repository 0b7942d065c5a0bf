from __future__ import annotations

import inspect

from aiogram.filters.callback_data import CallbackData

import bot.callbacks


def test_callback_prefixes_are_unique_and_short() -> None:
    classes = [
        cls
        for _, cls in inspect.getmembers(bot.callbacks, inspect.isclass)
        if issubclass(cls, CallbackData) and cls is not CallbackData
    ]
    prefixes = [cls.__prefix__ for cls in classes]
    assert len(prefixes) == len(set(prefixes)), prefixes
    assert all(len(p) <= 3 for p in prefixes)
