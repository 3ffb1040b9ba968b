# One command set for people and CI: .ci/run calls `make test` with CI=true.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8888
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help setup sysdeps test lint fix lab app bench leaderboard sample clean

help:
	@echo "make lab          set up and open the notebooks on the sample data (JupyterLab)"
	@echo "make test         set up and run every test (ruff, pytest, doctests, notebooks, browser)"
	@echo "make app          serve the weight explorer as a web app (Voila)"
	@echo "make bench        run the benchmark suite"
	@echo "make leaderboard  publish the sample leaderboard into build/"
	@echo "make sample       regenerate data/sample from evaltools.datasets.make_sample"

$(STAMP): pyproject.toml constraints.txt Makefile
	@$(PYTHON) scripts/check_python.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[notebook,dev,bench]"
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json  # no news/update pop-ups (offline)
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
	@echo "JupyterLab: http://$(HOST):$(PORT)/lab  (Ctrl-C to stop)"
	cd notebooks && ../$(VENV)/bin/jupyter lab --no-browser --ip=$(HOST) --port=$(PORT) $(ROOT_FLAG) \
	  --IdentityProvider.token='' --ServerApp.password='' --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

app: setup
	@echo "App: http://$(HOST):8866  (Ctrl-C to stop)"
	JUPYTER_PATH=$(CURDIR)/jupyter $(VENV)/bin/voila notebooks/04_权重调整与排名.ipynb --no-browser \
	  --Voila.ip=$(HOST) --port=8866 --template=evaltools  # no CDN links (jupyter/voila/templates)

bench: setup
	$(PY) -m benchmarks

leaderboard: setup
	$(VENV)/bin/evaltools publish data/sample --out build

sample: setup
	$(PY) -c "from evaltools.datasets import make_sample; make_sample(out='data/sample')"

clean:
	rm -rf $(VENV) build .pytest_cache
