"""Keyboards are pure functions of what they show."""
