#!/usr/bin/env bash
# Run one user sync from cron: environment from a private env file, one run at a time, a log file per run
# (the last USER_UPDATER_KEEP_LOGS kept), and the run's own exit status.
#
# Crontab line (every hour at minute 7; see docs/scheduling.md):
#   7 * * * * /opt/user-updater/scripts/cron/user-updater-cron.sh
#
# Settings, from the environment (all optional):
#   USER_UPDATER_HOME      the checkout                           (default: two levels above this script)
#   USER_UPDATER_VENV      the environment with the connector and the SDK of the server's line
#                                                                 (default: $USER_UPDATER_HOME/.venv)
#   USER_UPDATER_CONFIG    the workflow file                      (default: $USER_UPDATER_HOME/user_updater.yaml)
#   USER_UPDATER_ENV_FILE  KEY=value lines, e.g. OPENMETADATA_JWT_TOKEN=...; must not be readable by group or
#                          others (chmod 600)                     (default: /etc/user-updater/env, skipped if absent)
#   USER_UPDATER_LOG_DIR   where run logs go                      (default: $USER_UPDATER_HOME/logs)
#   USER_UPDATER_KEEP_LOGS how many run logs to keep              (default: 30)
#   USER_UPDATER_LOCK      the lock file                          (default: $USER_UPDATER_LOG_DIR/user-updater.lock)
#
# Exit status: the status of `metadata ingest` (0 = synced, 1 = the run failed or a user failed);
# 75 when another run still holds the lock (EX_TEMPFAIL); 78 when this wrapper's own settings are wrong (EX_CONFIG).
set -uo pipefail

readonly EX_TEMPFAIL=75 EX_CONFIG=78

fail_config() {
    echo "user-updater-cron: $*" >&2
    exit "$EX_CONFIG"
}

home=${USER_UPDATER_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
config=${USER_UPDATER_CONFIG:-$home/user_updater.yaml}
env_file=${USER_UPDATER_ENV_FILE:-/etc/user-updater/env}
log_dir=${USER_UPDATER_LOG_DIR:-$home/logs}
keep=${USER_UPDATER_KEEP_LOGS:-30}
lock=${USER_UPDATER_LOCK:-$log_dir/user-updater.lock}
venv=${USER_UPDATER_VENV:-$home/.venv}
metadata=$venv/bin/metadata

[[ -x $metadata ]] || fail_config "$metadata not found: install the connector in $home (make install OM=<your line>)"
[[ -r $config ]] || fail_config "cannot read the workflow file $config"
[[ $keep =~ ^[1-9][0-9]*$ ]] || fail_config "USER_UPDATER_KEEP_LOGS must be a positive number"
mkdir -p "$log_dir" || fail_config "cannot create the log directory $log_dir"

if [[ -e $env_file ]]; then
    # The file holds tokens: refuse one that group or others may read, as ssh does with a private key.
    mode=$(stat -c %a "$env_file") || fail_config "cannot stat $env_file"
    (( (8#$mode & 8#077) == 0 )) || fail_config "$env_file has mode $mode; make it private: chmod 600 $env_file"
    set -a
    # shellcheck source=/dev/null
    . "$env_file" || fail_config "cannot read $env_file"
    set +a
fi

# The lock is held by this process's file descriptor 9 until it exits, so a crashed run never leaves it stale.
exec 9>>"$lock" || fail_config "cannot open the lock file $lock"
if ! flock --nonblock 9; then
    echo "user-updater-cron: another run holds $lock; not starting a second one" >&2
    exit "$EX_TEMPFAIL"
fi

log=$log_dir/user-updater-$(date -u +%Y%m%dT%H%M%SZ)-$$.log
echo "user-updater-cron: $(date -u +%FT%TZ) running $metadata ingest -c $config" >"$log"
"$metadata" ingest -c "$config" >>"$log" 2>&1
status=$?
echo "user-updater-cron: $(date -u +%FT%TZ) exit status $status" >>"$log"

# Keep the newest $keep run logs (names sort by time).
mapfile -t logs < <(find "$log_dir" -maxdepth 1 -name 'user-updater-*.log' -type f | sort -r)
for old in "${logs[@]:keep}"; do
    rm -f -- "$old"
done

if (( status != 0 )); then
    # cron mails what a job prints: say where to look.
    echo "user-updater-cron: the sync failed with exit status $status; log: $log" >&2
fi
exit "$status"
