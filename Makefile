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

.PHONY: install lab test notebooks lint clean site slides

install: $(STAMP)

# The stamp is newer than requirements.txt once installed, so a second run installs nothing.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Bound to 127.0.0.1; Jupyter generates a random token and prints the URL to open.
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) $(ROOT_FLAG) \
		--ServerApp.root_dir=$(CURDIR) $(LAB_ARGS) notebooks/00_start_here.ipynb

test: $(STAMP)
	TQDM_DISABLE=1 MPLBACKEND=Agg $(BIN)/python -m pytest

# Rebuild every notebook from notebooks/src/*.py and execute it top to bottom in place.
notebooks: $(STAMP)
	TQDM_DISABLE=1 $(BIN)/python -m tools.build_notebooks

# The course as static HTML in _site/ (sliders frozen at their saved state), from the committed notebooks;
# works offline, every script served from _site/assets/. Open _site/index.html in a browser.
site: $(STAMP)
	$(BIN)/python -m tools.build_site --out _site

# reveal.js lecture slides in _slides/ (a slide per ## heading), offline like the site.
slides: $(STAMP)
	$(BIN)/python -m tools.build_site --slides --out _slides

lint: $(STAMP)
	$(BIN)/ruff check helpers tools tests notebooks/src

clean:
	rm -rf $(VENV) _site _slides test-artifacts
