# The habits of this project, one target each. README's two commands are
# `make run` and `make test`; everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COHORT ?= work/cohort
MODEL ?= models/sarcoma-classifier
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run cohort model serve test test-fast lint format bench report mutation clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip "setuptools>=77"
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

## Build the default cohort and train the default model if missing, then serve it.
run: setup
	HOST=$(HOST) PORT=$(PORT) COHORT=$(COHORT) MODEL=$(MODEL) BIN=$(BIN) scripts/run.sh

cohort: setup
	$(BIN)/python -m training.synthetic --out $(COHORT)

model: setup
	$(BIN)/python -m training.train --cohort $(COHORT) --out $(MODEL) --replace --register sarcoma-classifier

serve: setup
	MODEL_PATH=$(MODEL) $(BIN)/uvicorn api.main:app --host $(HOST) --port $(PORT) --no-access-log

test: setup
	$(BIN)/pytest -q

## For daily work: the suite without the slow end-to-end and browser tests.
test-fast: setup
	$(BIN)/pytest -q -m "not slow and not browser"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy classifier training api
	$(BIN)/lint-imports --no-logo

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python benchmarks/bench_learners.py --cohort $(COHORT)
	$(BIN)/python benchmarks/bench_service.py --model-path $(MODEL)

## The evaluation report (docs/evaluation/): trains on the default cohort with the
## leave-classes-out, leave-array-out and leave-sites-out fits (four fits more than make model), then
## draws report.md and its figures.
REPORT ?= docs/evaluation
report: setup
	$(BIN)/python -m training.evaluation_report --cohort $(COHORT) --out $(REPORT) \
		--loco-every 8 --leave-array-out --leave-site-out-every 5

## Mutation testing of the metric, calibration, decision, OOD and conformal modules
## (mutmut; [tool.mutmut] in pyproject.toml). Slow: not part of make test.
mutation: setup
	$(BIN)/mutmut run --max-children 2 || true
	$(BIN)/python scripts/mutation_summary.py

clean:
	rm -rf $(VENV) work mlruns mlflow.db mlartifacts
