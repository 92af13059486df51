# The two commands of the README: `make run` and `make test`. Each sets itself up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

install: $(INSTALLED)

# The simulator's seed example withdraws on a plain hash: open withdrawals, for the simulator only (the gateway
# refuses to start with them anywhere else, and logs them loudly where it does).
OPEN_WITHDRAWALS ?= $(if $(filter-out simulator,$(MPESA_ENV)),false,true)
# Likewise the server endpoints (HTTP push and withdraw, the read API) answer requests without an API key.
API_KEYS_OPTIONAL ?= $(if $(filter-out simulator,$(MPESA_ENV)),false,true)

# The demo page's Paybill tab needs the C2B hooks served: a fixed, published secret, for the simulator only.
C2B_HOOK_SECRET ?= $(if $(filter-out simulator,$(MPESA_ENV)),,simulator-demo-c2b-hook-secret-0123456789)

run: $(INSTALLED)
	$(BIN)/mpesa-gateway dev-cert
	OPEN_WITHDRAWALS=$(OPEN_WITHDRAWALS) API_KEYS_OPTIONAL=$(API_KEYS_OPTIONAL) \
		$(if $(C2B_HOOK_SECRET),C2B_HOOK_SECRET=$(C2B_HOOK_SECRET)) $(BIN)/mpesa-gateway serve

lint: $(INSTALLED)
	$(BIN)/ruff check src tests migrations
	$(BIN)/lint-imports
	$(BIN)/mypy

# The demo page's browser test drives Debian's Chromium (never a downloaded browser).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# The several-instances tests start their own redis-server (Debian's package; never the machine's Redis on 6379).
REDIS_SERVER := /usr/bin/redis-server
$(REDIS_SERVER):
	DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server)

test: lint $(CHROMIUM) $(REDIS_SERVER)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var build src/*.egg-info

# The load and latency bench (bench/README.md): the full run writes bench/results/latest.{json,md}; the smoke run
# (a small size of the same, also run by the test suite) writes bench/results/smoke.{json,md}.
.PHONY: bench bench-smoke

bench: $(INSTALLED)
	$(BIN)/python -m bench

bench-smoke: $(INSTALLED)
	$(BIN)/python -m bench --smoke
