# Two commands for a newcomer: `make run` and `make test`.
VENV    := .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app app
STAMP   := $(VENV)/.installed-stamp
CATALOGS := $(wildcard lecko/translations/*/LC_MESSAGES/messages.po)
# `make run PORT=5001` beside another one.
PORT    ?= 5000

.PHONY: run test test-postgres install translations lint messages clean lock

run: install translations
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	FLASK_LOG_LEVEL=$${FLASK_LOG_LEVEL:-INFO} $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install translations
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The same suite (browser tests aside) on a throwaway PostgreSQL server, started and
# stopped by the script: needs the Debian/Ubuntu `postgresql` package, nothing running.
test-postgres: install translations
	scripts/pg-test-cluster.sh $(PY) -m pytest -q --ignore=tests/browser $(PYTEST_ARGS)

install: $(STAMP)

# The exact versions of requirements-dev.lock (the production install uses
# requirements.lock, the same versions without the test tools), then the blog itself.
$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

# After changing the dependencies in pyproject.toml, or to take security releases: the
# newest versions pyproject.toml allows, with their hashes (docs/operations.md, updates).
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" -q --extra postgres
lock: $(STAMP)
	$(PY) -m pip install -q uv
	$(LOCK) --upgrade -o requirements.lock
	$(LOCK) --extra dev --upgrade -c requirements.lock -o requirements-dev.lock

# The compiled catalogues are committed beside their .po files, so that every way of
# installing (make run, pip install ., the systemd unit) serves the French site; after
# editing a .po, run this and commit both (tests/test_install.py checks they agree).
translations: $(STAMP)
	@for po in $(CATALOGS); do $(VENV)/bin/pybabel -q compile -i $$po -o $${po%.po}.mo; done

# Re-extract the strings after changing templates or code, then translate messages.po.
messages: $(STAMP)
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -o lecko/translations/messages.pot .
	$(VENV)/bin/pybabel -q update -i lecko/translations/messages.pot -d lecko/translations

lint: $(STAMP)
	$(VENV)/bin/ruff check lecko tests bench app.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts

# Benchmarks against a minimal Flask app measured in the same run (bench/run.py; not part
# of `make test`): about 15 minutes, writes bench/RESULTS.md. BENCH_ARGS=--small-only…
.PHONY: bench
bench: install translations
	$(PY) bench/run.py $(BENCH_ARGS)
