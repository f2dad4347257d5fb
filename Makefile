# Two commands set everything up on a fresh machine:
#   make run    create .venv, install the project, run configs/default.yaml on the bundled sample
#   make test   install the test extras, run the accuracy gates (the sample page and the
#               development set in ../shared/gold/dev) and the whole test suite
#   make notebook   install JupyterLab and matplotlib (the [notebook] extra), open notebooks/explore.ipynb
PYTHON ?= python3
DEV_GOLD ?= ../shared/gold/dev
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test install install-test notebook clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	bash scripts/install-chromium.sh
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/extract run configs/default.yaml

test: install-test
	$(BIN)/extract eval configs/default.yaml --gold data/gold --baseline configs/accuracy-baseline.json
	$(BIN)/extract eval configs/default.yaml --gold $(DEV_GOLD) --baseline configs/accuracy-baseline-dev.json
	$(BIN)/python -m pytest -q

# JupyterLab and matplotlib, the sample run's tables (if out/ has none yet), then the notebook
notebook: install
	$(BIN)/python -m pip install -q -e ".[notebook]"
	test -f out/manifest.json || $(BIN)/extract run configs/default.yaml
	$(BIN)/jupyter lab notebooks/explore.ipynb

clean:
	rm -rf out .pytest_cache build *.egg-info
