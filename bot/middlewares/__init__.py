"""Outer middlewares on `dp.update`, in the order `bot.app` registers them."""
