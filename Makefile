# Entry points for developers and CI. On a fresh clone `make test` needs only python3.11, Java 17,
# Maven and (as root, for PostgreSQL) apt-get: the venv, the Kafka jars, the Keycloak distribution
# and the PostgreSQL server binaries are set up on the way, each step quick once done.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: help venv kafka-jars keycloak-dist infra test test-unit test-integration demo lint format

help:
	@echo "make venv              create $(VENV) from requirements.lock (skipped when up to date)"
	@echo "make infra             fetch the Kafka jars and Keycloak (Maven, once) and make sure PostgreSQL is installed"
	@echo "make test              all tests: unit, integration (real Kafka, PostgreSQL, Keycloak), e2e"
	@echo "make test-unit         unit and handler tests (no broker, no database server)"
	@echo "make test-integration  integration tests only"
	@echo "make demo              the whole case flow on SQLite, then the annual report in out/ (DEMO_ARGS='--duration 120 --rate 5')"
	@echo "make lint              ruff check, format check, mypy --strict on shared/, services/, caseflow/, devinfra/ and tools/demo/"
	@echo "Pass extra pytest arguments with PYTEST_ARGS='-x -k kafka'."

venv: $(VENV)/.stamp

# The stamp is newer than the lock and pyproject.toml once they are installed, so a second run
# does nothing. The lock's own "-e <path>" line names the tree it was made in: we install this
# tree instead.
$(VENV)/.stamp: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	grep -v '^-e ' requirements.lock > $(VENV)/requirements.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check -r $(VENV)/requirements.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	# pycanon (the k-anonymity checker of the export tests) pins exact versions that conflict with
	# FastStream's; its anonymity module needs only pandas and numpy, which the lock has.
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps pycanon==1.3.6
	touch $@

kafka-jars: venv
	$(BIN)/python -m devinfra.kafka fetch

# The OpenID Connect provider of the sign-in tests: Keycloak's server zip (~160 MB, once).
keycloak-dist: venv
	$(BIN)/python -m devinfra.keycloak fetch

# Everything the tests need: the broker jars, Keycloak, PostgreSQL, Prometheus (promtool), headless Chromium.
infra: venv kafka-jars keycloak-dist
	$(BIN)/python -m devinfra.postgres ensure-installed
	$(BIN)/python -m devinfra.prometheus ensure-installed
	$(BIN)/python -m devinfra.browser ensure-installed

test: venv infra
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-unit: venv
	$(BIN)/pytest -q tests/unit tests/handlers $(PYTEST_ARGS)

test-integration: venv infra
	$(BIN)/pytest -q tests/integration $(PYTEST_ARGS)

# The demo needs only the broker jars: it runs on SQLite.
demo: venv kafka-jars
	$(BIN)/caseflow demo $(DEMO_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services caseflow devinfra tools/demo

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
