# The README's two commands: `make demo` (set up, then the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup demo test clean system-packages

setup: system-packages $(STAMP)

# Debian's chromium draws the take-home report in a headless browser (tests/test_takehome.py).
# Installed when missing and this runs as root with apt-get; otherwise that one test is skipped.
system-packages:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; } || \
	    echo "note: apt-get could not install chromium; the report's browser test will be skipped"; \
	  else echo "note: chromium is not installed (apt-get install chromium); the report's browser test will be skipped"; fi; }

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/rnnkit demo

test: setup
	$(VENV)/bin/python -m pytest tests -q

clean:
	rm -rf $(VENV) build .rnnkit
