"""Telegram-facing halves of features: sending, copying, editing; services decide, transport
talks.

A transport module takes what a service decided (plain data from `bot.services`), makes the
Bot API calls and renders the texts and buttons they carry, and hands back what Telegram
answered (message ids, refusals) as plain data for the service to record. Services never import
it, nor aiogram.
"""
