# The two commands of the README: `make report` (quarterly report on the demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MPLCONFIGDIR := $(CURDIR)/.mplconfig
export PYTHONHASHSEED := 0

.PHONY: report test lint demo-data bench bench-engine lab clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m ipykernel install --prefix $(CURDIR)/$(VENV) --name python3 --display-name "Python 3 (cxlab)" >/dev/null
	@touch $(STAMP)

## Quarterly report on the demo data into reports/<quarter>/ (latest complete quarter; rebuilt if present)
report: $(STAMP)
	$(VENV)/bin/cxlab report --data data/demo --out reports --force

## Test suite (pytest's "no tests collected" exit code 5 counts as a failure of set-up, not a pass)
test: $(STAMP)
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check cxlab tests benchmarks docs

## Regenerate data/demo/ from the seeded generator (identical files)
demo-data: $(STAMP)
	$(PY) -m cxlab.synth --out data/demo

## Benchmarks: timings and peak memory per demo size, saved under benchmarks/results/
bench: $(STAMP)
	$(PY) benchmarks/run.py

## Engine benchmark: the 1M-customer world (written in chunks once) with pandas, DuckDB and Spark
ENGINE_WORLD := benchmarks/.cache/chunked-n1000000-k250000-s20240601-t0.07-c3/data
bench-engine: $(STAMP)
	test -f $(ENGINE_WORLD)/meta.json || $(PY) benchmarks/chunked_worlds.py 1000000
	for way in pandas duckdb spark; do $(PY) benchmarks/engine_aggregates.py $(ENGINE_WORLD) --way $$way; done

## JupyterLab on the notebooks
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) .mplconfig .pytest_cache
