# Two commands: `make run` and `make test`. Everything else is a step they use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck imports pytest browser tools install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/oncall db upgrade
	$(BIN)/oncall demo load --if-empty
	$(BIN)/oncall serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) browser
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

# The browser tests drive Debian's Chromium through Playwright (browser downloads are not
# possible). Without them the browser tests fail with a message saying what is missing.
CHROMIUM ?= /usr/bin/chromium
browser: $(STAMP)
	@$(BIN)/python -c 'import playwright' 2>/dev/null || $(BIN)/pip install --quiet 'playwright>=1.40'
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Chromium is missing at $(CHROMIUM) and this is not root: install Debian's chromium package, or the browser tests fail" >&2; fi; \
	fi

# The deployment tests also run `promtool check rules` and `nginx -t` on the files in deploy/.
# Neither runs as a service here: their binaries are unpacked from Debian's packages into
# .venv/tools (no install, nothing started). Without apt-get those two tests skip, saying why.
TOOLS := $(VENV)/tools
UNPACK = mkdir -p $(TOOLS)/debs && cd $(TOOLS)/debs && \
  { apt-get download -qq $(1) 2>/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get download -qq $(1) 2>/dev/null; }; } && \
  dpkg -x $(1)_*.deb .. && rm -f $(1)_*.deb || echo "could not unpack Debian's $(1): its deployment test will skip" >&2
tools: $(STAMP)
	@if ! command -v promtool >/dev/null && [ ! -x $(TOOLS)/usr/bin/promtool ] && command -v apt-get >/dev/null; then $(call UNPACK,prometheus); fi
	@if ! command -v nginx >/dev/null && [ ! -x $(TOOLS)/usr/sbin/nginx ] && command -v apt-get >/dev/null; then $(call UNPACK,nginx); fi

pytest: $(STAMP) browser tools
	PATH="$(CURDIR)/$(TOOLS)/usr/bin:$(CURDIR)/$(TOOLS)/usr/sbin:$$PATH" $(BIN)/pytest --durations=25

test: lint typecheck imports pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
