"""The one delivery path for everything the bot sends to people who did not just write to it.

`outbox.enqueue_*` writes rows in the caller's transaction (so a message exists exactly when
the change that caused it is committed); `sender.OutboxSender` sends them within Telegram's
limits, once.
"""
