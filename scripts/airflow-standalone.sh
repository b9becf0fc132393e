#!/usr/bin/env bash
# `airflow standalone` for a person who wants the UI: the project's dags/, the demo
# data as a folder source, a warehouse and a landing zone, all under build/airflow
# (gitignored), the web UI on http://127.0.0.1:${AIRFLOW_PORT:-8080} only.
#
# Needs the airflow extra: .venv/bin/pip install -c requirements.lock -e '.[airflow]'
# AIRFLOW_HOME may be set to use another folder. Stop with Ctrl-C (it stops every part).
# Airflow's own log servers (ports 8793, 8794) listen on all interfaces whatever is set
# here; they answer only requests signed with this instance's secret key.
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

echo "airflow-standalone: UI on http://127.0.0.1:$port (the admin password is printed below," \
  "and kept in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)"
exec "$airflow" standalone
