# The course's single entry point. Two commands are all a new user needs:
#   make lab    create the environment (first time only) and open JupyterLab
#   make test   create the environment (first time only) and run every test
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MNIST_DIR ?= $(if $(wildcard ../shared/data/mnist),$(abspath ../shared/data/mnist),)

.PHONY: lab test setup exercises check-exercises grade bench lock clean site

$(STAMP): requirements/lock.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "The course needs Python 3.11 (found $$($(PYTHON) --version)). Install it, or run: make PYTHON=/path/to/python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP)

lab: $(STAMP)
	@echo "Opening the course. On a machine without a screen, open the http://127.0.0.1:8888/lab?token=... address printed below."
	$(BIN)/jupyter lab --ip 127.0.0.1 --notebook-dir . $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) notebooks/01_ravine.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

exercises: $(STAMP)
	$(BIN)/python -m course_utils.authoring build

grade: $(STAMP)
	$(BIN)/python -m course_utils.authoring grade $(NOTEBOOKS)

# The executed lectures and exercises as a static website in site/ (no kernel, no network).
site: $(STAMP)
	$(BIN)/python tools/build_site.py --out site

bench: $(STAMP)
	$(BIN)/python benchmarks/sweep.py
	$(BIN)/python benchmarks/widgets.py
	$(BIN)/python benchmarks/browser_latency.py
	$(BIN)/python benchmarks/mnist_epoch.py

lock:
	rm -rf /tmp/course-lock-venv && $(PYTHON) -m venv /tmp/course-lock-venv
	/tmp/course-lock-venv/bin/pip install --quiet --upgrade pip
	/tmp/course-lock-venv/bin/pip install --quiet ".[test]"
	{ head -3 requirements/lock.txt; /tmp/course-lock-venv/bin/pip freeze --all --exclude optimizers-course --exclude pip | sed 's/+cpu$$//'; } > requirements/lock.new
	mv requirements/lock.new requirements/lock.txt
	@echo "requirements/lock.txt updated; now update environment.yml to match (make test checks)."

clean:
	rm -rf $(VENV) test-artifacts site
