#!/usr/bin/env bash
# `make demo`: start the OpenMetadata sandbox (:8585) and the directory server (:4000), sync twice, stop both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DEMO=.demo
OM=http://localhost:8585/api
mkdir -p "$DEMO"
rm -f "$DEMO"/sandbox.db*   # a fresh catalog each time, so the first sync always has work to do

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_for() {  # wait_for NAME URL LOG
  for _ in $(seq 1 120); do
    if "$BIN/python" -c "import requests,sys; requests.get(sys.argv[1], timeout=1)" "$2" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "$1 did not start; its log ($3):" >&2; cat "$3" >&2; exit 1
}

echo "== Starting the OpenMetadata sandbox on :8585 and the directory server on :4000 (logs in $DEMO/)"
"$BIN/openmetadata-sandbox" serve --port 8585 --db "$DEMO/sandbox.db" --demo > "$DEMO/sandbox.log" 2>&1 &
pids+=($!)
"$BIN/directory-server" --port 4000 > "$DEMO/directory.log" 2>&1 &
pids+=($!)
wait_for "The sandbox" "$OM/v1/system/version" "$DEMO/sandbox.log"
wait_for "The directory server" "http://localhost:4000/graphql" "$DEMO/directory.log"

# The sync runs as `user-sync`, a non-bot service user whose role may edit users (bots may not edit display names).
OPENMETADATA_JWT_TOKEN="$("$BIN/openmetadata-sandbox" token user-sync --db "$DEMO/sandbox.db")"
export OPENMETADATA_JWT_TOKEN

"$BIN/python" scripts/show_users.py "$OM" "OpenMetadata users before the sync (* = inherited from a team)"
echo
echo "== First sync: metadata ingest -c user_updater.yaml"
"$BIN/metadata" ingest -c user_updater.yaml 2>&1 | grep -v -e FutureWarning -e "warnings.warn" | tee "$DEMO/run1.log"
"$BIN/python" scripts/show_users.py "$OM" "OpenMetadata users after the sync (teams and roles untouched)"
echo
echo "== Second sync: the directory has not changed, so nothing is written"
"$BIN/metadata" ingest -c user_updater.yaml 2>&1 | grep -v -e FutureWarning -e "warnings.warn" | tee "$DEMO/run2.log"
echo
grep -h "User sync summary" "$DEMO/run1.log" | sed 's/.*User sync summary: /first run:  /'
grep -h "User sync summary" "$DEMO/run2.log" | sed 's/.*User sync summary: /second run: /'
echo "== Done; stopping the servers"
