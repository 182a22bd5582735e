# The two commands of the README, and the tools behind them. Every target installs what it
# needs first (a venv in .venv with the CPU build of torch, then the project; `npm ci`).
VENV   ?= .venv
PY     := $(VENV)/bin/python
# The CPU wheel first: a plain `torch` requirement would pull several GB of CUDA packages.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed
NPM    := node_modules/.package-lock.json

.PHONY: serve check formulas build figures mutation benchmark clean

serve: $(STAMP) $(NPM)           ## install, then serve the site on http://127.0.0.1:8000
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve

check: $(STAMP) $(NPM)           ## install, then run both layers of checks (the browser needs chromium)
	$(PY) -m pytest checks/ --site -n auto

formulas: $(STAMP)               ## install, then run the formula layer alone, serially (`pytest checks/`)
	$(PY) -m pytest checks/

build: $(STAMP) $(NPM)           ## the strict build into site/
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

figures: $(STAMP)                ## regenerate every figure under docs/*/img/
	$(PY) -m figures

mutation: $(STAMP)               ## mutation score per snippet module; fails below the gate
	$(PY) .ci/mutation_gate.py

benchmark: $(STAMP) $(NPM)       ## measure the budgets of DESIGN.md on this machine
	$(PY) benchmarks/run.py

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet .
	touch $(STAMP)

$(NPM): package.json package-lock.json
	npm ci --no-audit --no-fund

clean:
	rm -rf $(VENV) node_modules site mutants build *.egg-info
