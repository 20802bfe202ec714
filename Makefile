# The README's two commands: `make demo` and `make test`. Everything installs from the lock (uv.lock).
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint typecheck unit e2e bench clean airflow-check

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(BIN)/metadata: uv.lock pyproject.toml | $(UV)
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(BIN)/metadata

demo: install
	bash scripts/demo.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest tests/unit -q

test: lint typecheck
	$(BIN)/pytest -q

# The example DAG under real Airflow, in a throwaway environment (.airflow-check/); not part of `make test`.
airflow-check: install
	bash examples/airflow/check-with-airflow.sh

# `make bench` (N=1,10000,100000; add 1000000 on request, e.g. `make bench N=1,10000,100000,1000000`): see
# benchmarks/RESULTS.md. It installs the `bench` dependency group (matplotlib) for the plot.
N ?= 1,10000,100000
BACKFILL ?= 1000
bench: install
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --python $(PYTHON) --group bench
	$(BIN)/python -m benchmarks.run --people $(N) --backfill $(BACKFILL) \
		--markdown benchmarks/RESULTS.md --json benchmarks/results.json --plot benchmarks/scale.png

clean:
	rm -rf $(VENV) .tools .demo .airflow-check .mypy_cache .ruff_cache .pytest_cache
