# The course's single entry point. Two commands are all a new user needs:
#   make lab    create the environment (first time only) and open JupyterLab
#   make test   create the environment (first time only) and run every test
SHELL := /bin/bash
# Python 3.11 where it is found, else the newest supported one (3.13, 3.12).
# `command -v` alone is not enough: a pyenv shim exists for versions that are
# installed but not selected, and fails when run.
SUPPORTED_PYTHONS := 3.11 3.13 3.12
ifndef PYTHON
PYTHON := $(shell for v in $(SUPPORTED_PYTHONS); do \
            p=$$(command -v python$$v) && $$p -c '' 2>/dev/null && { echo $$p; exit; }; done; \
            command -v python3)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MNIST_DIR ?= $(if $(wildcard ../shared/data/mnist),$(abspath ../shared/data/mnist),)
# PyPI's Linux torch wheels are CUDA builds of several GB; the CPU build of the
# same release comes from PyTorch's own index when it can be reached.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
# An older x86 CPU, emulated: no AVX-512 kernels in NumPy, torch or MKL. Every
# lecture and solution notebook must give the same verdicts under it.
OLD_X86 := NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" ATEN_CPU_CAPABILITY=avx2 \
           MKL_ENABLE_INSTRUCTIONS=AVX2

# The suite runs on every core (pytest-xdist); --dist loadscope keeps each
# notebook's cells in one worker, in order, as nbval needs. TEST_WORKERS=0 runs
# it in one process (easier to debug).
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

.PHONY: lab test test-portable setup exercises check-exercises grade bench calibrate lock clean site

$(STAMP): requirements/lock.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null || \
	  { echo "The course needs Python 3.11, 3.12 or 3.13 (found: $(PYTHON) $$($(PYTHON) --version 2>&1))."; \
	    echo "Install one, or run: make PYTHON=/path/to/python3.11 ..."; exit 1; }
	@echo "Setting up .venv with $$($(PYTHON) --version) ($(PYTHON))"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@extra=; if [ -n "$(TORCH_CPU_INDEX)" ] && curl -fsS -m 5 -o /dev/null "$(TORCH_CPU_INDEX)/torch/" 2>/dev/null; then \
	  extra="--extra-index-url $(TORCH_CPU_INDEX)"; echo "torch: CPU build from $(TORCH_CPU_INDEX)"; fi; \
	  echo "$(BIN)/python -m pip install --quiet $$extra -r requirements/lock.txt"; \
	  $(BIN)/python -m pip install --quiet $$extra -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP)

lab: $(STAMP)
	@echo "Opening the course. On a machine without a screen, open the http://127.0.0.1:8888/lab?token=... address printed below."
	$(BIN)/jupyter lab --ip 127.0.0.1 --notebook-dir . $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) notebooks/01_ravine.ipynb

test: $(STAMP)
	@echo "Python used: $$($(BIN)/python --version)"
	$(PYTEST) $(PYTEST_ARGS)
	@echo "Portability: every lecture and solution notebook again, as on an older x86 CPU (no AVX-512)"
	$(OLD_X86) $(PYTEST) notebooks solutions $(PYTEST_ARGS)

test-portable: $(STAMP)
	$(OLD_X86) $(PYTEST) notebooks solutions $(PYTEST_ARGS)

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
	$(BIN)/python benchmarks/grading.py

# Notebook 06's claims under perturbation (seeds, threads, 1-ulp nudge, old
# x86) and under mutation; about half an hour. See benchmarks/calibrate_06.py.
calibrate: $(STAMP)
	$(BIN)/python benchmarks/calibrate_06.py --mutations

lock:
	rm -rf /tmp/course-lock-venv && $(PYTHON) -m venv /tmp/course-lock-venv
	/tmp/course-lock-venv/bin/pip install --quiet --upgrade pip
	/tmp/course-lock-venv/bin/pip install --quiet ".[test]"
	{ head -3 requirements/lock.txt; /tmp/course-lock-venv/bin/pip freeze --all --exclude optimizers-course --exclude pip | sed 's/+cpu$$//'; } > requirements/lock.new
	mv requirements/lock.new requirements/lock.txt
	@echo "requirements/lock.txt updated; now update environment.yml to match (make test checks)."

clean:
	rm -rf $(VENV) test-artifacts site

# Lectures 01-04's claims under perturbation (seeds, old x86): value, spread and
# margin of each. See benchmarks/calibrate_lectures.py.
.PHONY: calibrate-lectures
calibrate-lectures: $(STAMP)
	$(BIN)/python benchmarks/calibrate_lectures.py
