# Two commands for learners: `make lab` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
# Extra JupyterLab flags, e.g. LAB_ARGS=--no-browser on a remote machine.
LAB_ARGS ?=
# JupyterLab refuses to run as root unless told; CI containers run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# `make notebooks NB="00 04"` rebuilds only those; FORCE=1 overwrites a notebook that has uncommitted edits.
NB ?=
FORCE ?=
# `make grade SUBMISSIONS=DIR`: DIR/<student>/NN_name.ipynb; seconds each notebook may take, and how many at once.
SUBMISSIONS ?=
GRADE_TIME_LIMIT ?= 300
GRADE_JOBS ?=

.PHONY: install lab test notebooks lint clean site slides student grade handouts

install: $(STAMP)

# The stamp is newer than requirements.txt once installed, so a second run installs nothing.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@# nbgrader is the lecturer's command-line tool here (make student, make grade): its server and JupyterLab
	@# extensions stay out of the learner's JupyterLab.
	$(BIN)/jupyter server extension disable --sys-prefix nbgrader.server_extensions.formgrader \
		nbgrader.server_extensions.validate_assignment nbgrader.server_extensions.assignment_list \
		nbgrader.server_extensions.course_list >/dev/null 2>&1
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null 2>&1
	touch $(STAMP)

# The learner's working copy my-notebooks/ (git-ignored): made from the student edition the first time; later runs
# only add notebooks it lacks and never overwrite, move or delete a file in it.
# Bound to 127.0.0.1; Jupyter generates a random token and prints the URL to open.
lab: $(STAMP)
	$(BIN)/python -m tools.student --working-copy my-notebooks
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) $(ROOT_FLAG) \
		--ServerApp.root_dir=$(CURDIR) $(LAB_ARGS) my-notebooks/00_start_here.ipynb

# Two pytest workers (pyproject.toml) run two notebooks at once on a 2-core machine. Torch's OpenMP threads
# spin while they wait for work, so two such processes slow each other down several-fold; waiting passively
# removes that (same numbers, only the waiting changes).
test: $(STAMP)
	TQDM_DISABLE=1 MPLBACKEND=Agg OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest

# Rebuild every notebook (or those in NB) from notebooks/src/*.py and execute it top to bottom in place. Refuses to
# overwrite a committed notebook with uncommitted edits (commit or discard them, or FORCE=1).
notebooks: $(STAMP)
	TQDM_DISABLE=1 $(BIN)/python -m tools.build_notebooks --keep-edits $(if $(FORCE),--force,) $(NB)

# The student edition (nbgrader: no reference solutions, no hidden tests, no outputs) in _student/.
student: $(STAMP)
	$(BIN)/python -m tools.student --out _student

# Autograde DIR/<student>/NN_name.ipynb with nbgrader, each notebook in its own kernel and time limit; writes grades.csv.
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=DIR  (DIR/<student>/NN_name.ipynb)"; exit 2; }
	TQDM_DISABLE=1 MPLBACKEND=Agg OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m tools.grade "$(SUBMISSIONS)" --out grades.csv \
		--time-limit $(GRADE_TIME_LIMIT) $(if $(GRADE_JOBS),--jobs $(GRADE_JOBS),)

# The course as static HTML in _site/ (sliders frozen at their saved state), from the committed notebooks;
# works offline, every script served from _site/assets/. Open _site/index.html in a browser.
site: $(STAMP)
	$(BIN)/python -m tools.build_site --out _site

# reveal.js lecture slides in _slides/ (a slide per ## heading), offline like the site.
slides: $(STAMP)
	$(BIN)/python -m tools.build_site --slides --out _slides

# One PDF per notebook in _handouts/ (figures in, reference solutions out), printed by Chromium.
handouts: $(STAMP)
	$(BIN)/python -m tools.build_handouts --out _handouts

lint: $(STAMP)
	$(BIN)/ruff check helpers tools tests notebooks/src

# Build outputs only: my-notebooks/ (the learner's work) and grades.csv (the lecturer's) are never removed.
clean:
	rm -rf $(VENV) _site _slides test-artifacts _student _handouts
