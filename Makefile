# The book's commands. The README opens with the first two:
#
#   make book    build the website in full mode (trains every model once)
#   make test    build the quick-mode website and run the whole test suite
#
# Both create .venv with Python 3.11 and install requirements.txt into it first (again only
# when a requirements file or pyproject.toml changed). `make help` lists every target.
# Works with GNU make 3.81 or newer (the one macOS ships).

SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
# Extra options for `python -m venv`. CI sets --system-site-packages so that packages already
# installed in its image satisfy requirements.txt (pip still checks every pin and installs
# whatever is missing or at another version into .venv).
VENV_FLAGS ?=
# Where `make book` writes: the site is $(BOOK_OUT)/_build/html. It is kept apart from
# _build/html, which `make test` fills with the quick-mode site that the site tests read.
BOOK_OUT ?= _build/book
BOOK_MODE ?= full
# Set SYSTEM_PACKAGES=no to skip the optional Debian packages of apt.txt.
SYSTEM_PACKAGES ?= yes
# The first python3.11 on PATH (or python3 if that is 3.11); override with PYTHON=...
PYTHON ?= $(shell for candidate in python3.11 python3; do \
	command -v $$candidate >/dev/null 2>&1 && \
	$$candidate -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null && \
	{ command -v $$candidate; break; }; done)

export PIP_DISABLE_PIP_VERSION_CHECK := 1
# A venv made with --system-site-packages sees the base Python's packages but not their
# Jupyter data (share/jupyter), where JupyterLab's widget renderer lives; without it widgets
# show as text. Point JUPYTER_PATH there too, for such a venv only (read from pyvenv.cfg).
JUPYTER_ENV = $(shell grep -qs '^include-system-site-packages = true' $(VENV)/pyvenv.cfg && \
	$(BIN)/python -c 'import os, sys; \
	print("JUPYTER_PATH=" + os.pathsep.join(filter(None, [os.environ.get("JUPYTER_PATH"), \
	os.path.join(sys.base_prefix, "share", "jupyter")])))')
# Tools run as modules of the venv's Python, so they work whether their console scripts are in
# .venv/bin or (with --system-site-packages) elsewhere; jupyter-book has no `python -m`.
JUPYTER_BOOK := $(BIN)/python -c \
	'import sys; from jupyter_book.cli.main import main; sys.exit(main())'

.PHONY: help book test quick lab install system-packages repository memory clean distclean

help:
	@echo "make book        build the website in full mode into $(BOOK_OUT)/_build/html"
	@echo "                 (trains every model once: about 25 minutes on two cores; later"
	@echo "                 builds re-run only changed chapters). BOOK_MODE=quick for a preview."
	@echo "make test        build the quick-mode website (_build/html) and run pytest"
	@echo "make quick       only the quick-mode website, at _build/html (a few minutes)"
	@echo "make lab         open the chapters in JupyterLab (VAE_BOOK_MODE=quick make lab: quick)"
	@echo "make install     create $(VENV) with Python 3.11 and install requirements.txt"
	@echo "make system-packages  install the optional Debian packages of apt.txt that apt has"
	@echo "make repository URL=https://github.com/you/fork [BRANCH=main]"
	@echo "                 point the launch buttons and the chapters' Colab install at a fork"
	@echo "make memory      peak memory of every chapter in full mode (benchmarks/memory_chapters.py)"
	@echo "make clean       remove _build (built sites and executed-notebook caches)"
	@echo "make distclean   also remove $(VENV)"

# --- the Python environment ------------------------------------------------------------

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "make: Python 3.11 was not found (looked for python3.11, then python3)." >&2; \
	  echo "  Debian 12:      sudo apt-get install python3 python3-venv" >&2; \
	  echo "  Ubuntu:         sudo add-apt-repository ppa:deadsnakes/ppa &&" \
	       "sudo apt-get install python3.11 python3.11-venv" >&2; \
	  echo "  macOS:          brew install python@3.11" >&2; \
	  echo "  any system:     pyenv install 3.11, or https://www.python.org/downloads/" >&2; \
	  echo "  then run make again, or name it: make $(MAKECMDGOALS) PYTHON=/path/to/python3.11" >&2; \
	  exit 1; \
	fi
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; \
	  v >= (3, 11) or sys.exit("make: $(PYTHON) is Python %d.%d; the book needs 3.11" % v); \
	  v == (3, 11) or print("make: note: $(PYTHON) is Python %d.%d; tested with 3.11" % v)'
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "make: $(PYTHON) cannot create virtual environments (no ensurepip)." >&2; \
	  echo "  Debian/Ubuntu: sudo apt-get install python3.11-venv (or python3-venv)" >&2; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV_FLAGS) $(VENV)

$(VENV)/.installed: requirements.txt requirements-learners.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -r requirements.txt
	@touch $@

install: $(VENV)/.installed

# --- optional Debian packages -----------------------------------------------------------
# One at a time, only where apt has the package as a real .deb (on Ubuntu `chromium` is a
# snap: skipped with a message); a package that fails is reported and the rest go on.

system-packages:
	@if [ "$(SYSTEM_PACKAGES)" != yes ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "system-packages: no apt-get here; skipping the optional packages of apt.txt" \
	       "(offline Fashion-MNIST, Chromium for the browser tests, CJK fonts)"; exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	else SUDO=none; fi; \
	updated=no; \
	for package in $$(sed -e 's/#.*//' apt.txt); do \
	  if dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "ok installed"; then \
	    continue; fi; \
	  if [ "$$SUDO" = none ]; then \
	    echo "system-packages: optional $$package is not installed; to add it:" \
	         "sudo apt-get install $$package"; continue; fi; \
	  if [ $$updated = no ]; then $$SUDO apt-get update -qq || true; updated=yes; fi; \
	  candidate=$$(apt-cache policy "$$package" 2>/dev/null | sed -n 's/^ *Candidate: *//p'); \
	  if [ -z "$$candidate" ] || [ "$$candidate" = "(none)" ]; then \
	    echo "system-packages: apt has no $$package here; skipped"; continue; fi; \
	  if apt-cache show "$$package" 2>/dev/null | grep -qE '^(Pre-)?Depends:.*[ ,]snapd'; then \
	    echo "system-packages: $$package is a snap on this system; skipped" \
	         "(the browser tests skip without Chromium)"; continue; fi; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    "$$package" >/dev/null || echo "system-packages: installing $$package failed; skipped"; \
	done

# --- the website, the tests, JupyterLab -------------------------------------------------

book: install system-packages
	@start=$$(date +%s); \
	VAE_BOOK_MODE=$(BOOK_MODE) $(JUPYTER_BOOK) build . --path-output $(BOOK_OUT) \
	  -W -n --keep-going && \
	test -f $(BOOK_OUT)/_build/html/index.html && \
	echo "" && \
	echo "The website ($(BOOK_MODE) mode) is at $(abspath $(BOOK_OUT))/_build/html/index.html" && \
	echo "Built in $$(( $$(date +%s) - start )) s. Serve it with:" \
	     "$(BIN)/python -m http.server -d $(BOOK_OUT)/_build/html"

quick: install system-packages
	VAE_BOOK_MODE=quick $(JUPYTER_BOOK) build . -W -n --keep-going
	@test -f _build/html/index.html
	@echo "The quick-mode website is at $(abspath _build/html)/index.html"

test: quick
	$(JUPYTER_ENV) VAE_BOOK_MODE=quick $(BIN)/python -m pytest

lab: install
	$(JUPYTER_ENV) $(BIN)/python -m jupyterlab chapters/

memory: install
	$(BIN)/python benchmarks/memory_chapters.py --mode full

repository:
	@if [ -z "$(URL)" ]; then \
	  echo "usage: make repository URL=https://github.com/you/your-fork [BRANCH=main]" >&2; \
	  exit 1; fi
	$(if $(wildcard $(BIN)/python),$(BIN)/python,python3) tools/repository.py set $(URL) \
	  $(if $(BRANCH),--branch $(BRANCH))

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV)
