"""Repositories: queries by name. They take the update's session and never commit."""
