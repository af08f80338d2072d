# Rights Desk: `make run` for a local service with demo data, `make test` for the suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# The embedded default: SQLite in instance/, jobs inline, mail to the outbox table.
DEV_ENV := env -u DATABASE_URL -u REDIS_URL -u SMTP_URL RIGHTSDESK_ENV=development FLASK_APP=wsgi

.PHONY: install system-libs browser run test lint schemathesis bench clean

install: $(VENV)/.installed system-libs

# WeasyPrint (the response pack's PDF) needs Pango and HarfBuzz from the
# system; installed with apt when missing (needs root), otherwise say so.
SYSTEM_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0
system-libs:
	@ldconfig -p | grep -q libharfbuzz-subset.so.0 && ldconfig -p | grep -q libpangoft2-1.0.so.0 \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_LIBS)) \
		|| echo "Install $(SYSTEM_LIBS) for PDF rendering (see README)"

# The browser tests drive Debian's Chromium (browsers cannot be downloaded
# here) and inject axe-core from the npm registry. Without root or network
# this step says so and the browser tests skip (they fail in CI instead).
browser: node_modules/.installed
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "Chromium could not be installed: the browser tests will not run"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: install
	$(DEV_ENV) $(BIN)/flask db upgrade
	$(DEV_ENV) $(BIN)/flask demo seed --if-empty
	$(DEV_ENV) $(BIN)/flask demo login
	$(DEV_ENV) $(BIN)/flask run --host 127.0.0.1 --port 5000

test: install browser
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# The API under schemathesis on a running server (SQLite unless
# SCHEMATHESIS_ARGS="--postgres-admin-url URL"); see tests/schemathesis/run.py.
schemathesis: install
	$(BIN)/python -m tests.schemathesis.run $(SCHEMATHESIS_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
