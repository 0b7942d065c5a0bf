"""Domain rules: who may do what and what happens. No Telegram types where none are needed."""
