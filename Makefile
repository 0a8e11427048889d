# The two commands a new user types: `make run` and `make test`. Both set everything up themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint bench clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Billbot needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

# Without Slack credentials, `make run` opens the playground: everything local, in a browser.
run: $(INSTALLED)
ifeq ($(strip $(SLACK_BOT_TOKEN)$(SLACK_CLIENT_ID)),)
	$(BIN)/billbot playground
else
	$(BIN)/billbot db upgrade
	$(BIN)/billbot serve
endif

test: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n auto -q

bench: $(INSTALLED)
	for b in ack modal stripe_emulator invoices render sweep calendar_feed report help_eval edge_memory fuzz; do $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
