# RNN Lab. `make lab` opens the course; `make test` runs every test. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.rnnlab-installed
PORT   ?= 8888
# Jupyter refuses to run as root unless told; containers and CI often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# nbval runs every notebook on the course's own kernel (installed into the venv below).
NBVAL  := --nbval-lax --nbval-kernel-name rnnlab --nbval-cell-timeout 300
# The learner's own copies of the lessons (see rnnlab/workspace.py); never overwritten.
WORK   := $(or $(RNNLAB_WORKDIR),my-notebooks)
# Tests keep their quiz and exercise progress away from the learner's own (rnnlab/progress.py).
TESTENV := RNNLAB_STRICT=1 RNNLAB_DATA_DIR=$(CURDIR)/test-output/progress

.PHONY: setup chromium lab workspace update test unit nbval browser notebooks solutions student benchmark latency lint clean slides site
.PHONY: resources hub-setup rehearsal rehearsal-test

LAB_DEFAULTS := jupyter/lab/settings/overrides.d/rnnlab.json

$(STAMP): requirements.txt pyproject.toml $(LAB_DEFAULTS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name rnnlab --display-name "Python (RNN Lab)" >/dev/null
	install -D -m 644 $(LAB_DEFAULTS) $(VENV)/share/jupyter/lab/settings/overrides.d/rnnlab.json
	@touch $(STAMP)

setup: $(STAMP)

# The browser tests drive Debian's Chromium (never `playwright install`). Installed here when
# missing and apt-get can run (as root, or with password-less sudo); otherwise the browser tests
# skip with the reason locally, and fail in CI (CI=true).
chromium:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	  else echo "Chromium missing and no root: browser tests will skip (CI fails)"; exit 0; fi; \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# For course developers: lessons_src/ -> notebooks/ (the course as handed out) and
# rnnlab/solutions.json. Learners never need it: they work on copies (make lab).
notebooks: $(STAMP)
	$(PY) -m rnnlab.build notebooks

# For lecturers: solutions/ (worked solutions inline) and student/ (no solution hints), both
# built from lessons_src/, never from saved notebooks.
solutions: $(STAMP)
	$(PY) -m rnnlab.build solutions

student: $(STAMP)
	$(PY) -m rnnlab.build student

# For lecturers: slides/ (a reveal.js deck per lesson) and site/ (a read-only HTML copy of the
# course: lesson map, one page per lesson), both from the executed student version, plots as
# images and quizzes as text without answers. Both open from file:// with no network (MathJax
# and reveal.js are local copies). Executed notebooks are reused from build/executed/.
slides: $(STAMP)
	$(PY) -m rnnlab.export slides

site: $(STAMP)
	$(PY) -m rnnlab.export site

# The learner's copies: lessons missing from $(WORK) are copied in; none is ever overwritten.
workspace: $(STAMP)
	@$(PY) -m rnnlab.workspace prepare

# A newer version of a lesson replaces the learner's copy, which moves to $(WORK)/previous/.
update: $(STAMP)
	@$(PY) -m rnnlab.workspace update

lab: workspace
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	  --ServerApp.root_dir=$(WORK) --LabApp.default_url=/lab/tree/00_start_here.ipynb \
	  $(ROOT_FLAG) $(LAB_ARGS)

# Every test: unit tests, the worked-solutions version of every lesson under nbval (each
# exercise's check is asserted there), and the browser tests, which run the learner's version
# (notebooks/). Widget callbacks that raise fail the run (RNNLAB_STRICT). A committed notebook
# that differs from its source fails tests/test_build.py ("run make notebooks").
test: $(STAMP) chromium
	$(PY) -m rnnlab.build solutions test-output/solutions >/dev/null
	$(TESTENV) $(PY) -m pytest tests test-output/solutions $(NBVAL) $(PYTEST_ARGS)

unit: $(STAMP)
	$(TESTENV) $(PY) -m pytest tests -m "not browser" $(PYTEST_ARGS)

browser: $(STAMP) chromium
	$(TESTENV) $(PY) -m pytest tests/browser $(PYTEST_ARGS)

nbval: $(STAMP)
	$(PY) -m rnnlab.build solutions test-output/solutions >/dev/null
	$(TESTENV) $(PY) -m pytest test-output/solutions $(NBVAL) $(PYTEST_ARGS)

benchmark: $(STAMP)
	$(PY) benchmarks/course_runtime.py

latency: $(STAMP) chromium
	$(PY) benchmarks/widget_latency.py

# Sizing a class (docs/teaching.md): each lesson's peak kernel memory and CPU seconds, and a
# rehearsal on a real JupyterHub on loopback (N learners at once; packages for it only, from
# benchmarks/requirements-hub.txt, not the learner's requirements.txt).
resources: $(STAMP)
	$(PY) benchmarks/lesson_resources.py

hub-setup: $(STAMP)
	$(PY) -m pip install --quiet -r benchmarks/requirements-hub.txt

rehearsal: hub-setup
	$(PY) benchmarks/class_rehearsal.py --learners 1 4 8 $(REHEARSAL_ARGS)

rehearsal-test: hub-setup
	RNNLAB_HUB_TEST=1 $(TESTENV) $(PY) -m pytest tests/test_class_rehearsal.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check rnnlab tests benchmarks lessons_src

clean:
	rm -rf student solutions slides site test-output build *.egg-info
