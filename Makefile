# ChannelHub: `make run` starts everything on the embedded defaults; `make test` is CI.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_PARTNERS ?= 300

# The test suite runs on the real PostgreSQL and Redis (override to point elsewhere).
TEST_ENV := DEBUG=0 SECRET_KEY=test-secret-key-not-for-production \
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/channelhub} \
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
	SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 STATIC_MANIFEST=0 \
	EMAIL_URL=consolemail://

.PHONY: run test lint typecheck migrations-check pytest messages bench clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

.env:
	@printf 'DEBUG=1\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "Wrote .env for local development (DEBUG=1, a random SECRET_KEY)."

run: install .env
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --partners $(DEMO_PARTNERS) --seed 1 \
	  --sales-lines $$(( $(DEMO_PARTNERS) * 100 )) --interactions $$(( $(DEMO_PARTNERS) * 10 ))
	@echo ""
	@echo "  ChannelHub is starting on http://127.0.0.1:$(PORT)/"
	@echo "  Demo logins (password demo12345): vp, manager1, manager2, specialist1, support1, partner1"
	@echo "  Admin: admin / demo12345    API docs: http://127.0.0.1:$(PORT)/api/docs/"
	@echo ""
	PORT=$(PORT) $(BIN)/honcho start -f Procfile.dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(TEST_ENV) $(BIN)/mypy .

migrations-check: install
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

pytest: install
	$(TEST_ENV) $(BIN)/pytest --create-db $(PYTEST_ARGS)

test: lint typecheck migrations-check pytest

# The benchmarks (not part of `make test`): a scale database of 100 000 partners and
# 10 000 000 sales lines is built once (about 10 minutes), then reused.
bench: install
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	DEBUG=0 SECRET_KEY=bench STATIC_MANIFEST=0 SECURE_SSL_REDIRECT=0 LOG_LEVEL=WARNING \
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/channelhub_bench} \
	CHANNELHUB_ENV_FILE=/nonexistent bash -c '\
	  psql "$$DATABASE_URL" -c "select 1" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres channelhub_bench; \
	  $(BIN)/python manage.py migrate --no-input -v0 && $(BIN)/python -m tests.bench.run'

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --no-location --ignore=.venv --ignore=var --ignore=static --ignore=staticfiles --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles .mypy_cache .ruff_cache
