# Two entry points on a fresh Debian machine (as root):
#   make run   - set up (including Chromium, which renders report charts), then serve the dashboard on the embedded demo store at http://127.0.0.1:8050
#   make test  - set up (including Debian's chromium and chromium-driver), then run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install chromium run test bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# Browser tests and chart images need Debian's Chromium and its WebDriver; PDF reports
# are set in DejaVu Sans (Unicode), which fpdf2 does not ship.
FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
chromium:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! test -f $(FONT); then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-dejavu-core; \
	fi

run: install chromium
	$(BIN)/gunicorn --workers 1 --threads 32 --timeout 300 --bind 127.0.0.1:8050 app:server

# PostgreSQL (127.0.0.1:5432, trust auth) and Redis (127.0.0.1:6379) must answer: the suite
# runs on DuckDB and on PostgreSQL; scripts/services.sh installs and starts them if not.
test: install chromium
	scripts/services.sh
	$(BIN)/pytest --headless

bench: install
	$(BIN)/python bench/queries.py
