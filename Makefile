# Alizé: local development.
#
#   make run    start the platform with demo data on http://127.0.0.1:$(PORT)/ (DEBUG=1: debug pages)
#   make test   run the whole test suite (pytest arguments via ARGS="-k committee")
#   make bench  seed the national-scale bench database and measure (ARGS="--requests 200")
#   make backup / make restore BACKUP=backups/alize-…   (README "Production": backups)
#
# Only Python 3.11+ is needed: PostgreSQL and Redis come from wheels and start on demand
# (data in .local/). Set DATABASE_URL / REDIS_URL to use servers of your own instead.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
ARGS ?=
RUN_ARGS ?=
DEBUG ?=
export PORT DEBUG

PYTHON_BOOT := $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
UV ?=
UV_BOOT := .local/bootstrap
SYSTEM_PACKAGES := chromium chromium-driver docker-compose libharfbuzz-subset0 gettext poppler-utils

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_ROOT_USER_ACTION := ignore

.PHONY: help venv system-deps run test bench services stop lock clean-data messages backup restore

help:
	@echo "make run          start the platform with demo data (PORT=$(PORT))"
	@echo "make test         run the test suite (ARGS=\"...\" goes to pytest)"
	@echo "make bench        seed the bench database and measure against the floor"
	@echo "make backup       back the database and documents up into backups/ (ARGS=\"--keep 5\")"
	@echo "make restore      restore BACKUP=backups/alize-… into an empty database"
	@echo "make services     start only PostgreSQL and Redis and print their URLs"
	@echo "make stop         stop servers left running by an interrupted session"
	@echo "make venv         create .venv from requirements-dev.lock (runtime + dev tools)"
	@echo "make system-deps  install the Debian packages the browser and PDF tests need"
	@echo "make lock         regenerate requirements.lock and requirements-dev.lock"
	@echo "make messages     extract new strings into locale/en/LC_MESSAGES/django.po"
	@echo "make clean-data   delete the local database, Redis data and logs (.local/)"

venv: $(STAMP)

# Packages install with uv from the lock when it can be had (seconds instead of a minute of
# pip): UV=/path/to/uv, else the uv on PATH, else one that the system Python's pip installs
# from the registry into .local/bootstrap/; with none of them (or UV=none), or when uv
# fails, pip installs the same lock into a virtualenv of its own. Both write the packages'
# bytecode (pip does by default, uv when asked): every Python process of the stack and the
# tests then reads it instead of compiling its modules again, as it must where
# PYTHONDONTWRITEBYTECODE is set (about 8 s per Django start on this machine).
FIND_UV := if [ "$(UV)" = none ]; then :; \
	elif [ -n "$(UV)" ]; then command -v "$(UV)"; \
	elif command -v uv >/dev/null 2>&1; then command -v uv; \
	else \
		test -x $(UV_BOOT)/bin/uv || $(PYTHON_BOOT) -m pip install -q --target $(UV_BOOT) uv \
			>/dev/null 2>&1 || rm -rf $(UV_BOOT); \
		if [ -x $(UV_BOOT)/bin/uv ]; then echo $(UV_BOOT)/bin/uv; fi; \
	fi

$(STAMP): requirements-dev.lock
	@test -n "$(PYTHON_BOOT)" || { echo "Python 3.11 or newer is required (python3.11 or python3)."; exit 1; }
	@$(PYTHON_BOOT) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "$(PYTHON_BOOT) is older than Python 3.11; install Python 3.11."; exit 1; }
	@echo "==> Installing Python packages into $(VENV)/ (requirements-dev.lock)"
	@uv="$$($(FIND_UV))"; \
	if [ -n "$$uv" ]; then \
		echo "    with uv ($$uv)"; \
		{ test -x $(PY) || "$$uv" venv -q --seed --python "$(PYTHON_BOOT)" $(VENV); } \
			&& "$$uv" pip install -q --compile-bytecode --python $(PY) -r requirements-dev.lock \
			&& exit 0; \
		echo "    uv could not install the lock: installing with pip"; \
	fi; \
	if ! $(PY) -m pip --version >/dev/null 2>&1; then \
		rm -rf $(VENV); $(PYTHON_BOOT) -m venv $(VENV) \
			|| { echo "Could not create $(VENV) (on Debian/Ubuntu: apt install python3-venv)."; exit 1; }; \
	fi; \
	$(PY) -m pip install -q -r requirements-dev.lock
	@touch $@

system-deps:
	@missing=""; \
	for pkg in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" \
			|| missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> Installing system packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "Note: the browser, PDF and compose tests need these system packages:$$missing"; \
		echo "      install them with: sudo apt-get install --no-install-recommends$$missing"; \
	fi

run: venv
	@$(PY) devstack/stack.py run $(RUN_ARGS)

test: venv system-deps
	@$(PY) devstack/stack.py test $(ARGS)

bench: venv
	@$(PY) devstack/stack.py bench $(ARGS)

# The production commands (manage.py backup / restore) on the local servers; a restore needs
# an empty database: `make clean-data` first (backups/ is not in .local/, it stays).
backup: venv
	@$(PY) devstack/stack.py manage backup $(ARGS)

restore: venv
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/alize-YYYYMMDDTHHMMSSZ"; exit 2; }
	@$(PY) devstack/stack.py manage restore "$(BACKUP)" $(ARGS)

services: venv
	@$(PY) devstack/stack.py services

stop:
	@if [ -x $(PY) ]; then $(PY) devstack/stack.py stop; fi

# Two locks from one scratch virtualenv: the runtime tree first (requirements.in: what the
# production image installs), then the development tools on top of it, held to the runtime
# pins, so both files agree on every package they share.
lock:
	@test -n "$(PYTHON_BOOT)" || { echo "Python 3.11 or newer is required."; exit 1; }
	@rm -rf .local/lock-venv
	@echo "==> Resolving requirements.in in a scratch virtualenv"
	@$(PYTHON_BOOT) -m venv .local/lock-venv
	@.local/lock-venv/bin/python -m pip install -q -r requirements.in
	@set -o pipefail; .local/lock-venv/bin/python -m pip freeze --exclude-editable \
		| LC_ALL=C sort -f > .local/requirements.lock.new
	@echo "==> Resolving requirements-dev.in on top of it"
	@.local/lock-venv/bin/python -m pip install -q -r requirements-dev.in \
		-c .local/requirements.lock.new
	@set -o pipefail; .local/lock-venv/bin/python -m pip freeze --exclude-editable \
		| LC_ALL=C sort -f > .local/requirements-dev.lock.new
	@mv .local/requirements.lock.new requirements.lock
	@mv .local/requirements-dev.lock.new requirements-dev.lock
	@rm -rf .local/lock-venv
	@echo "==> requirements.lock and requirements-dev.lock updated; run \`make venv\` to install"

clean-data: stop
	@rm -rf .local
	@echo "==> Removed .local/ (database, Redis data, logs)"

messages: venv
	@$(PY) manage.py makemessages -l en --no-obsolete --no-location \
		--ignore=.venv --ignore=.local --ignore=staticfiles --ignore=tests
	@$(PY) manage.py sync_french_plurals
	@$(PY) manage.py compile_translations

# Longer OpenAPI fuzzing than `make test` runs: new random examples on every run.
FUZZ_EXAMPLES ?= 200
.PHONY: fuzz
fuzz: venv
	@FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RANDOM=1 $(PY) devstack/stack.py test tests/test_api_fuzz.py $(ARGS)
