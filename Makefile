# The two commands a newcomer needs: `make run` (with BOT_TOKEN set) and `make test`.
# Both create .venv on first use and reinstall when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(PY) -m bot run --migrate

test: $(VENV)/.installed
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: $(VENV)/.installed
	$(PY) -m bench.roster_import
	$(PY) -m bench.outbox
	$(PY) -m bench.update_path
	$(PY) -m bench.surveys
	$(PY) -m bench.events
	$(PY) -m bench.charts
	$(PY) -m bench.event_reminders
	$(PY) -m bench.kpi
	$(PY) -m bench.status_board
