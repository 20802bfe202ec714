#!/usr/bin/env bash
# `make demo`: start the OpenMetadata sandbox (:8585) and the directory server (:4000), sync twice, stop both.
# DEMO_OM_PORT and DEMO_DIRECTORY_PORT move the two servers to other ports.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DEMO=.demo
OM_PORT=${DEMO_OM_PORT:-8585}
DIRECTORY_PORT=${DEMO_DIRECTORY_PORT:-4000}
OM=http://localhost:$OM_PORT/api
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

echo "== Starting the OpenMetadata sandbox on :$OM_PORT and the directory server on :$DIRECTORY_PORT (logs in $DEMO/)"
"$BIN/openmetadata-sandbox" serve --port "$OM_PORT" --db "$DEMO/sandbox.db" --demo > "$DEMO/sandbox.log" 2>&1 &
pids+=($!)
"$BIN/directory-server" --port "$DIRECTORY_PORT" > "$DEMO/directory.log" 2>&1 &
pids+=($!)
wait_for "The sandbox" "$OM/v1/system/version" "$DEMO/sandbox.log"
wait_for "The directory server" "http://localhost:$DIRECTORY_PORT/graphql" "$DEMO/directory.log"

# The shipped workflow, pointed at these ports, with its own safety limit: every demo user differs from the
# directory, but a run of so few changes is under minChangesForPercentLimit, so the share limit does not apply.
# `admin`, an OpenMetadata admin, is protected by default: reported as a warning and never changed.
CONFIG="$DEMO/user_updater.yaml"
"$BIN/python" - "$OM" "http://localhost:$DIRECTORY_PORT" "$CONFIG" <<'PY'
import sys, yaml
om, directory, target = sys.argv[1:]
config = yaml.safe_load(open("user_updater.yaml"))
options = config["source"]["serviceConnection"]["config"]["connectionOptions"]
options.update({"graphqlEndpoint": directory})
config["workflowConfig"]["openMetadataServerConfig"]["hostPort"] = om
yaml.safe_dump(config, open(target, "w"), sort_keys=False)
PY

# The sync runs as `user-sync`, a non-bot service user whose role may edit users (bots may not edit display names).
OPENMETADATA_JWT_TOKEN="$("$BIN/openmetadata-sandbox" token user-sync --db "$DEMO/sandbox.db")"
export OPENMETADATA_JWT_TOKEN

"$BIN/python" scripts/show_users.py "$OM" "OpenMetadata users before the sync (* = inherited from a team)"
echo
echo "== First sync: metadata ingest -c $CONFIG (the shipped user_updater.yaml, pointed at the demo's servers)"
"$BIN/metadata" ingest -c "$CONFIG" 2>&1 | grep -v -e FutureWarning -e "warnings.warn" | tee "$DEMO/run1.log"
"$BIN/python" scripts/show_users.py "$OM" "OpenMetadata users after the sync (teams and roles untouched)"
echo
echo "== Second sync: the directory has not changed, so nothing is written"
"$BIN/metadata" ingest -c "$CONFIG" 2>&1 | grep -v -e FutureWarning -e "warnings.warn" | tee "$DEMO/run2.log"
echo
grep -h "User sync summary" "$DEMO/run1.log" | sed 's/.*User sync summary: /first run:  /'
grep -h "User sync summary" "$DEMO/run2.log" | sed 's/.*User sync summary: /second run: /'
echo "== Done; stopping the servers"
