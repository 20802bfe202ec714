# The README's two commands: `make demo` and `make test`. Everything installs from the lock (uv.lock).
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin

# The supported OpenMetadata lines; OM picks the one installed into .venv (`make install OM=1.9`). Each line's
# SDK release is pinned by its extra in pyproject.toml (om-1-9, ..., om-2-0) and locked in uv.lock.
SUPPORTED_LINES := 1.9 1.10 1.11 1.12 1.13 2.0
OM ?= 2.0
ifeq ($(filter $(OM),$(SUPPORTED_LINES)),)
$(error OM=$(OM) is not a supported OpenMetadata line; choose one of: $(SUPPORTED_LINES))
endif
# The lines `make test-lines` runs (all unless given, e.g. LINES="1.9 2.0").
LINES ?= $(SUPPORTED_LINES)
extra = om-$(subst .,-,$(1))
# Records which line .venv holds, so that switching lines re-syncs and staying on one does not.
STAMP := $(VENV)/.openmetadata-line-$(OM)

.PHONY: install demo test test-lines lint typecheck unit e2e bench clean airflow-check check-install

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(STAMP): uv.lock pyproject.toml devtools/pyproject.toml | $(UV)
	rm -f $(VENV)/.openmetadata-line-*
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --extra $(call extra,$(OM)) --python $(PYTHON)
	@touch $@

install: $(STAMP)

demo: install
	bash scripts/demo.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# UV: tests/packaging builds the wheel with it.
unit: install
	UV=$(UV) $(BIN)/pytest tests/unit tests/packaging -q

# pytest-xdist workers: the suite's time is mostly `metadata ingest` subprocesses and servers on free ports in
# per-test directories, so tests run side by side; two suit the two-core CI machine.
TEST_WORKERS ?= 2
test: lint typecheck
	UV=$(UV) $(BIN)/pytest -q -n $(TEST_WORKERS)

# The end-to-end suite with the sandbox imitating RELEASE (default: the installed SDK's release), e.g. `make e2e
# RELEASE=2.0.6`; CI runs it on 2.0.6, the last 2.0 release before EditDomains (tests/support/releases.py).
RELEASE ?=
e2e: install
	SANDBOX_VERSION=$(RELEASE) $(BIN)/pytest -q -n $(TEST_WORKERS) -p no:cacheprovider tests/e2e

# The tests marked `lines` (end-to-end suite, workflow schema, the sandbox's line differences) against every
# line, each in its own cached environment .venv-om-X.Y; `make test-lines LINES="1.9 2.0"` picks lines.
test-lines: | $(UV)
	PYTHON=$(PYTHON) UV=$(UV) bash scripts/test_lines.sh $(LINES)

# The install line of docs/install.md (the Dockerfile's) in an environment holding only the SDK of each line given,
# then a sync of the demo through it and the Airflow example's task there (scripts/check_install.py); CI runs it on
# the oldest and the newest line, side by side.
INSTALL_LINES ?= 1.9 2.0
check-install: install
	UV=$(UV) $(BIN)/python -m scripts.check_install lines $(INSTALL_LINES)

# The example DAG under real Airflow, in a throwaway environment (.airflow-check/), the connector installed with the
# same line; not part of `make test` (CI runs the same import path in `make check-install`).
airflow-check: install
	UV=$(UV) bash examples/airflow/check-with-airflow.sh

# `make bench` (N=1,10000,100000; add 1000000 on request, e.g. `make bench N=1,10000,100000,1000000`): see
# benchmarks/RESULTS.md. It installs the `bench` dependency group (matplotlib) for the plot.
N ?= 1,10000,100000
BACKFILL ?= 1000
bench: install
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --extra $(call extra,$(OM)) --python $(PYTHON) --group bench
	$(BIN)/python -m benchmarks.run --people $(N) --backfill $(BACKFILL) \
		--markdown benchmarks/RESULTS.md --json benchmarks/results.json --plot benchmarks/scale.png

clean:
	rm -rf $(VENV) .venv-om-* .tools .demo .airflow-check .check-install .mypy_cache .ruff_cache .pytest_cache
