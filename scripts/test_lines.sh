#!/usr/bin/env bash
# Run the tests marked `lines` against each OpenMetadata line given (e.g. `1.9 2.0`), each line in its own
# environment .venv-om-X.Y synced from uv.lock with the line's extra (a no-op when already in step). Every line
# runs even when an earlier one fails; the summary gives each line's SDK, result and time.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
UV=${UV:-uv}
# pytest-xdist: the e2e runs are dominated by `metadata ingest` subprocesses; two workers suit 2 cores.
WORKERS=${TEST_LINES_WORKERS:-2}
summary=()
failed=0
for line in "$@"; do
    venv=".venv-om-${line}"
    started=$(date +%s)
    echo "=== OpenMetadata ${line} (${venv})"
    if UV_PROJECT_ENVIRONMENT="$venv" UV_PYTHON_DOWNLOADS=never "$UV" sync --frozen --quiet \
        --extra "om-${line//./-}" --python "$PYTHON" \
        && sdk=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("openmetadata-ingestion"))') \
        && "$venv/bin/pytest" -q -m lines -n "$WORKERS" -p no:cacheprovider; then
        result=passed
    else
        result=FAILED
        failed=1
    fi
    summary+=("OpenMetadata ${line}: SDK ${sdk:-?} ${result} in $(($(date +%s) - started)) s")
    unset sdk
done
printf '%s\n' "${summary[@]}"
exit "$failed"
