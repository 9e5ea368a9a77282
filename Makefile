# Everything runs from a local virtual environment made on first use; only python3 (3.11+) is needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: up test lint format clean

up: $(VENV)/.installed .env  ## migrate, load the demo, serve the admin
	$(PY) manage.py demo --serve $(HOST):$(PORT)

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
