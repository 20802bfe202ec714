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
#   USER_UPDATER_ENV_FILE  KEY=value lines, e.g. OPENMETADATA_JWT_TOKEN=..., read as data (never run as shell
#                          code); owned by you or root, not readable by group or others (chmod 600); a symlink is
#                          judged by its target                   (default: /etc/user-updater/env, skipped if absent)
#   USER_UPDATER_LOG_DIR   where run logs go, made 0700, logs 0600 (default: $USER_UPDATER_HOME/logs)
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
# Run logs hold people's names and emails: files 0600 in a 0700 directory, whatever cron's umask.
umask 077
mkdir -p -m 700 "$log_dir" || fail_config "cannot create the log directory $log_dir"
[[ -O $log_dir ]] || fail_config "the log directory $log_dir belongs to another user"
chmod 700 "$log_dir" || fail_config "cannot make the log directory $log_dir private"

if [[ -e $env_file ]]; then
    # The file holds tokens: refuse one that another user owns or that group or others may read, as ssh does with a
    # private key. -L: a secret mounted as a symlink (Kubernetes, Docker) is judged by the file it points to.
    read -r owner mode < <(stat -L -c '%u %a' "$env_file") || fail_config "cannot stat $env_file"
    (( owner == EUID || owner == 0 )) || fail_config "$env_file belongs to user $owner; it must be yours or root's"
    (( (8#$mode & 8#077) == 0 )) || fail_config "$env_file has mode $mode; make it private: chmod 600 $env_file"
    # KEY=value lines, read as data and never run: a value is taken literally (no $, `, quotes or ; are
    # interpreted), one pair of surrounding quotes removed. Blank lines and # comments are skipped.
    line_number=0
    while IFS= read -r line || [[ -n $line ]]; do
        line_number=$((line_number + 1))
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        # The message names the line, not its text, which may hold a secret.
        [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] ||
            fail_config "$env_file line $line_number is not KEY=value"
        key=${BASH_REMATCH[2]}
        value=${BASH_REMATCH[3]}
        if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then
            value=${BASH_REMATCH[1]}
        fi
        export "$key=$value"
    done <"$env_file" || fail_config "cannot read $env_file"
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
