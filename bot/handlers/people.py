"""(filled in by the feature that owns it)"""

from aiogram import Router

router = Router(name=__name__)
