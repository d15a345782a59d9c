# govhall — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup install lint typecheck pytest system-deps lock clean bench

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

## Set up everything (venv, packages, database, development keys, demo data) and run the platform.
run: install
	$(BIN)/python manage.py migrate --noinput
	HOST=$(HOST) PORT=$(PORT) bash scripts/run-dev.sh

## Set up the same way and run lint, type check and the whole test suite.
test: install system-deps lint typecheck pytest

system-deps:
	bash scripts/system-deps.sh

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

typecheck:
	$(BIN)/mypy src

pytest:
	$(BIN)/pytest

## Benchmarks at ten years of data on PostgreSQL (docs/benchmarks.md): the data once, every figure, a report.
BENCH_SIZE ?= full
bench: install system-deps
	GOVHALL_VAR_DIR=$${GOVHALL_VAR_DIR:-$(CURDIR)/var/bench} $(BIN)/python -m bench all --size $(BENCH_SIZE)

## Re-pin every dependency from pyproject.toml into requirements.lock.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^govhall' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
