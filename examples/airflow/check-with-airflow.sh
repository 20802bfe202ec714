#!/usr/bin/env bash
# `make airflow-check`: run the example DAG under real Airflow against the sandbox and the demo directory.
# Airflow is not in the project's lock, so it goes into a throwaway environment, .airflow-check/venv, next to the
# SDK of the lock's line: what an ingestion image holds. The connector goes in as into the image, with the install
# line of docs/install.md, which must leave every package of that environment as it was. Servers listen on free
# ports and are stopped on exit. CI runs the same import path without Airflow (`make check-install`).
set -euo pipefail
cd "$(dirname "$0")/../.."
UV=${UV:-$(command -v uv || echo .tools/bin/uv)}
AIRFLOW_VERSION=${AIRFLOW_VERSION:-3.1.8}
SDK_VERSION=$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("openmetadata-ingestion"))')
WORK=.airflow-check
rm -rf "$WORK/home" "$WORK/dags" "$WORK"/*.log "$WORK"/sandbox.db*
mkdir -p "$WORK/dags" "$WORK/home"

if [[ ! -x $WORK/venv/bin/airflow || ! -x $WORK/venv/bin/pip ]]; then
    echo "== Installing Airflow $AIRFLOW_VERSION next to openmetadata-ingestion $SDK_VERSION into $WORK/venv"
    rm -rf "$WORK/venv"
    "$UV" venv --quiet --seed --python .venv/bin/python "$WORK/venv"
    time "$UV" pip install --quiet --python "$WORK/venv/bin/python" "openmetadata-ingestion==$SDK_VERSION" \
        "dbt-core<1.12" cachetools "apache-airflow==$AIRFLOW_VERSION"
fi
UV=$UV .venv/bin/python -m scripts.check_install install "$WORK/venv"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start() {  # start VAR LOG COMMAND...: run a project server on a free port; VAR gets its base URL once it is READY
    local var=$1 log=$2
    shift 2
    "$@" >"$log" 2>&1 &
    pids+=($!)  # in this shell, not a $(...) subshell, so that cleanup can stop it
    for _ in $(seq 1 240); do
        if grep -q '^READY ' "$log"; then
            printf -v "$var" '%s' "$(sed -n 's/^READY //p' "$log" | head -1)"
            return 0
        fi
        sleep 0.5
    done
    echo "$* did not start; its log:" >&2; cat "$log" >&2; return 1
}

start om "$WORK/sandbox.log" .venv/bin/openmetadata-sandbox serve --port 0 --db "$WORK/sandbox.db" --demo
start directory "$WORK/directory.log" .venv/bin/directory-server --port 0
.venv/bin/python -c 'import sys; from pathlib import Path; from scripts.check_install import workflow_file
workflow_file(Path(sys.argv[1]), *sys.argv[2:])' "$WORK/dags" "$om" "$directory"
cp examples/airflow/user_updater_dag.py "$WORK/dags/"

export AIRFLOW_HOME=$PWD/$WORK/home AIRFLOW__CORE__DAGS_FOLDER=$PWD/$WORK/dags AIRFLOW__CORE__LOAD_EXAMPLES=False
OPENMETADATA_JWT_TOKEN=$(.venv/bin/openmetadata-sandbox token user-sync --db "$WORK/sandbox.db")
export OPENMETADATA_JWT_TOKEN
"$WORK/venv/bin/airflow" db migrate >"$WORK/migrate.log" 2>&1
echo "== DagBag import and dag.test() (log: $WORK/dag-test.log)"
# From $WORK, not the checkout: `python -` puts the working directory first on sys.path, and the checkout's
# connector/ would hide the installed one.
(cd "$WORK" && venv/bin/python - dags >dag-test.log 2>&1) <<'EOF'
import sys

from airflow.models.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
assert not bag.import_errors, bag.import_errors
run = bag.get_dag("openmetadata_user_updater").test()
print("DAG RUN STATE:", run.state)
sys.exit(0 if run.state == "success" else 1)
EOF
grep -E "User sync summary|DAG RUN STATE" "$WORK/dag-test.log"
.venv/bin/python scripts/show_users.py "$om/api" "OpenMetadata users after the DAG run"
