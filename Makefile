# One command set for people and CI: .ci/run calls `make test` with CI=true.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8888
APP_PORT ?= 8866
# pre-heated Voila kernels for `make app` (scripts/serve.sh POOL; 0: none)
APP_POOL ?= 2
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help setup sysdeps test lint fix lab app bench leaderboard sample clean

help:
	@echo "make lab          set up and open the notebooks in JupyterLab (中文界面; prints the login URL)"
	@echo "make test         set up and run every test (ruff, pytest, doctests, notebooks, browser)"
	@echo "make app          serve the evaluation app (Voila; prints the login URL)"
	@echo "make bench        run the benchmark suite"
	@echo "make leaderboard  publish the sample leaderboard into build/"
	@echo "make sample       regenerate data/sample from evaltools.datasets.make_sample"

$(STAMP): pyproject.toml constraints.txt Makefile jupyter/overrides.json
	@$(PYTHON) scripts/check_python.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[notebook,dev,bench]"
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json  # 中文界面; no news/update pop-ups (offline)
	touch $(STAMP)

setup: $(STAMP)

sysdeps:
	@bash scripts/sysdeps.sh

lint: setup
	$(VENV)/bin/ruff check evaltools tests benchmarks scripts
	PYTHONPATH=$(CURDIR) $(VENV)/bin/lint-imports  # the layers of docs/architecture.md
	$(VENV)/bin/mypy  # py.typed is honest: evaltools/ type-checks ([tool.mypy] in pyproject)

fix: setup
	$(VENV)/bin/ruff check --fix evaltools tests benchmarks scripts
	$(VENV)/bin/ruff format evaltools tests benchmarks scripts

test: setup sysdeps lint
	$(VENV)/bin/python -m pytest -q --nbval --nbval-sanitize-with notebooks/sanitize.cfg; \
	  rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treat as failure"; exit 1; fi; exit $$rc

lab: setup
	@bash scripts/sysdeps.sh fonts  # CJK fonts for the charts' PNG export
	@VENV=$(VENV) HOST=$(HOST) PORT=$(PORT) bash scripts/serve.sh lab

app: setup
	@bash scripts/sysdeps.sh fonts  # CJK fonts for the published PNG charts and poster
	@VENV=$(VENV) HOST=$(HOST) PORT=$(APP_PORT) POOL=$(APP_POOL) bash scripts/serve.sh app

bench: setup
	$(PY) -m benchmarks

leaderboard: setup
	$(VENV)/bin/evaltools publish data/sample --out build

sample: setup
	$(PY) -c "from evaltools.datasets import make_sample; make_sample(out='data/sample')"

clean:
	rm -rf $(VENV) build .pytest_cache
