# Two commands a newcomer needs: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app advisory
STAMP := $(VENV)/.installed
CATALOGS := $(wildcard advisory/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test lint typecheck venv build translations clean

# `make run` is a development configuration: plain http on loopback, demo commands on, and a
# made-up phone number for the line so its pages show one (ADVISORY_LINE_PHONE= for web only).
# `make run PORT=8080` serves on another port.
PORT ?= 5000
DEV = ADVISORY_ENV=$${ADVISORY_ENV:-development} ADVISORY_SECURE_COOKIES=$${ADVISORY_SECURE_COOKIES:-false} \
	ADVISORY_LINE_PHONE="$${ADVISORY_LINE_PHONE-+47 22 00 00 00}"

run: $(STAMP) $(COMPILED)
	$(DEV) $(FLASK) init --if-needed --demo
	$(if $(DEMO_SEED),$(DEV) $(FLASK) demo seed --if-empty)
	$(DEV) $(FLASK) serve --host 127.0.0.1 --port $(PORT)

# One test process per core (pytest-xdist); an idle process takes tests from the other's queue,
# so neither waits at the end. `make test TEST_WORKERS=0` runs everything in one process.
TEST_WORKERS ?= auto

test: $(STAMP) $(COMPILED) lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

venv: $(STAMP)

# What a server needs before it serves: the virtual environment and the compiled catalogues.
build: $(STAMP) $(COMPILED)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

# Refresh the catalogues after changing texts in code or templates.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --omit-header \
		-o advisory/translations/messages.pot .
	$(BIN)/pybabel update -i advisory/translations/messages.pot -d advisory/translations \
		--no-fuzzy-matching --ignore-obsolete --width 100

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
