# Everything runs from a local virtual environment made on first use; only python3 (3.11+) is needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SANDBOX_PORT ?= 8765

.PHONY: up serve test lint format clean

up: $(VENV)/.installed .env  ## migrate, load the demo, serve the admin and the sandboxes
	$(PY) manage.py demo --serve $(HOST):$(PORT) --sandbox-port $(SANDBOX_PORT)

# Production-like on this machine: DEBUG off, static files collected and served by WhiteNoise,
# gunicorn; plain http here, so the HTTPS-only settings are relaxed (never in production).
WEB_WORKERS ?= 2
serve: $(VENV)/.installed .env  ## migrate, collect static files, serve with gunicorn
	$(PY) manage.py migrate -v0
	$(PY) manage.py collectstatic --noinput -v0
	DEBUG=false SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false \
	  $(VENV)/bin/gunicorn edurpg.wsgi --bind $(HOST):$(PORT) --workers $(WEB_WORKERS) \
	  --access-logfile -

test: $(VENV)/.installed .env  ## the whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed  ## ruff, and the layers of the core ([tool.importlinter] in pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,celery]"
	touch $@

# A development .env with fresh random keys; never overwrites an existing one.
.env: | $(VENV)/.installed
	$(PY) -c "import secrets; from cryptography.fernet import Fernet; \
	print('DEBUG=true'); \
	print('SECRET_KEY=' + secrets.token_urlsafe(50)); \
	print('FIELD_ENCRYPTION_KEYS=' + Fernet.generate_key().decode()); \
	print('SYNC_ALLOW_INSECURE_URLS=true')" > $@
	@echo "wrote .env with new random keys (development settings)"

clean:
	rm -rf $(VENV) var .pytest_cache
