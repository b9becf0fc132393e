#!/usr/bin/env bash
# `airflow standalone` for a person who wants the UI: the project's dags/, the demo
# data as a folder source, a warehouse and a landing zone, all under build/airflow
# (gitignored), the web UI on http://127.0.0.1:${AIRFLOW_PORT:-8080} only.
#
# Needs the airflow extra: .venv/bin/pip install -c requirements.lock -e '.[airflow]'
# AIRFLOW_HOME may be set to use another folder.
#
# Stop with one Ctrl-C (or SIGTERM): Airflow runs in a session of its own, and on the
# signal this script sends SIGTERM to every process in that session, waits up to
# ${AIRFLOW_STOP_GRACE:-5} seconds, then SIGKILLs whatever is left (a triggerer that
# ignores SIGTERM, say); it exits once no process of the session remains.
#
# Once the DAGs are parsed it unpauses torrent_flag and hotline_export, which start only
# when torrent_ingest's load (or a hash-list import) updates their Asset: an Asset event
# that reaches a paused DAG starts nothing, even after it is unpaused. torrent_ingest and
# hashlist_sync stay paused: trigger torrent_ingest from the UI (docs/airflow.md).
#
# Airflow's own log servers (ports 8793, 8794) listen on all interfaces whatever is set
# here (Airflow 3.3.2 has no setting for their address); they answer only requests
# signed with this instance's secret key. Run this inside scripts/isolated.sh if nothing
# should listen beyond loopback.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$repo/build/airflow}"
port="${AIRFLOW_PORT:-8080}"
if [ -z "${AIRFLOW_BIN:-}" ] && [ -x "$repo/.venv/bin/airflow" ]; then
  export AIRFLOW_BIN="$repo/.venv/bin/airflow"
fi
airflow="${AIRFLOW_BIN:-airflow}"
# standalone starts its scheduler, API server, ... as `airflow` found on PATH.
if [ "$airflow" != airflow ]; then
  PATH="$(cd "$(dirname "$airflow")" && pwd):$PATH"
  export PATH
fi

export AIRFLOW__CORE__DAGS_FOLDER="$repo/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# LocalExecutor starts one worker process per slot of parallelism (32 by default).
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT="$port"
export AIRFLOW__API__BASE_URL="http://127.0.0.1:$port"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$port/execution/"

# Which of torrent_flag and hotline_export are not parsed yet or still paused.
still_paused() {
  "$airflow" dags list --output json 2>/dev/null | tail -n 1 | python3 -c '
import json, sys
try:
    state = {d["dag_id"]: str(d["is_paused"]) for d in json.load(sys.stdin)}
except ValueError:
    state = {}
print(*[d for d in sys.argv[1:] if state.get(d) != "False"])
' torrent_flag hotline_export
}

# Inside the session the script starts (below): standalone, and the unpausing, which
# waits for the DAG processor (`dags unpause` exits 0 also for a DAG not parsed yet).
if [ "${1:-}" = --in-session ]; then
  "$airflow" standalone &
  for _ in $(seq 1 60); do
    "$airflow" dags unpause torrent_flag >/dev/null 2>&1 || true
    "$airflow" dags unpause hotline_export >/dev/null 2>&1 || true
    if [ -z "$(still_paused)" ]; then
      echo "airflow-standalone: unpaused torrent_flag and hotline_export"
      break
    fi
    sleep 5
  done
  wait
  exit 0
fi

# The demo config: the bundled benign demo torrents as one folder source.
demo="$AIRFLOW_HOME/demo"
mkdir -p "$demo"
cat >"$demo/sources.yaml" <<YAML
# Written by scripts/airflow-standalone.sh: the bundled demo data as a folder source.
landing: landing
sources:
  - name: demo
    kind: folder
    settings:
      path: $repo/torrentwatch/demo
YAML

bash "$repo/scripts/airflow-setup.sh" \
  --sources "$demo/sources.yaml" \
  --db "$demo/torrentwatch.duckdb" \
  --export-dir "$demo/exports" \
  --export-targets '{"demo-hotline": "csv"}'

# The pids of every live process in session $1, from /proc (procps may be missing).
session_pids() {
  local stat line rest pid
  for stat in /proc/[0-9]*/stat; do
    { read -r line <"$stat"; } 2>/dev/null || continue # a process that just ended
    rest="${line##*) }" # after the command name, which may hold spaces and parentheses
    set -- "$1" $rest   # then $2 state, $3 ppid, $4 process group, $5 session
    if [ "${5:-}" = "$1" ] && [ "$2" != Z ]; then
      pid="${stat#/proc/}"
      echo "${pid%/stat}"
    fi
    set -- "$1"
  done
}

sid=""
stop() { # $1: the exit code
  trap '' INT TERM
  echo "airflow-standalone: stopping every Airflow process (session $sid) ..." >&2
  local pids grace="${AIRFLOW_STOP_GRACE:-5}" waited=0
  pids="$(session_pids "$sid")"
  [ -n "$pids" ] && kill -TERM $pids 2>/dev/null
  while [ -n "$(session_pids "$sid")" ] && [ "$waited" -lt $((grace * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  pids="$(session_pids "$sid")"
  if [ -n "$pids" ]; then
    echo "airflow-standalone: killing what did not stop within ${grace}s: $(echo $pids)" >&2
    kill -KILL $pids 2>/dev/null
    for _ in $(seq 1 50); do
      [ -z "$(session_pids "$sid")" ] && break
      sleep 0.1
    done
  fi
  pids="$(session_pids "$sid")"
  if [ -n "$pids" ]; then
    echo "airflow-standalone: processes $(echo $pids) did not stop" >&2
    exit 1
  fi
  echo "airflow-standalone: stopped; no Airflow process is left" >&2
  exit "$1"
}
trap "stop 130" INT TERM

echo "airflow-standalone: UI on http://127.0.0.1:$port (the admin password is printed below," \
  "and kept in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)"
echo "airflow-standalone: for the airflow CLI in another shell, first run:"
echo "  export AIRFLOW_HOME=$AIRFLOW_HOME"
echo "airflow-standalone: stop with one Ctrl-C; it stops every part within seconds"
# setsid: a session of its own, so the stop reaches every process Airflow starts (task
# processes make their own process groups, but stay in the session), and the terminal's
# Ctrl-C reaches only this script, which then stops them all.
# The unpausing runs in that session too, so a stop also ends an unpause in flight:
# this script again, with --in-session.
setsid bash "$0" --in-session &
sid=$!
while kill -0 "$sid" 2>/dev/null; do
  wait "$sid" || true
done
echo "airflow-standalone: airflow standalone exited" >&2
stop 1
