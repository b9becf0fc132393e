#!/usr/bin/env bash
# Prepare an Airflow metadata database for torrentwatch's DAGs (dags/, docs/airflow.md):
# migrate it, create the one-slot pool `torrentwatch_duckdb` that every DuckDB-writing
# task runs in (writers queue instead of failing on the warehouse's single-writer lock),
# and set the Variables that point the DAGs at the files the CLI reads.
#
# Usage: AIRFLOW_HOME=... scripts/airflow-setup.sh [--sources FILE] [--db FILE]
#          [--packs JSON-LIST] [--export-dir DIR] [--export-targets JSON-OBJECT]
#          [--hash-lists JSON-OBJECT]
# Each option sets the Variable torrentwatch_<name>; options not given leave it as it is.
# The airflow command is $AIRFLOW_BIN, else .venv/bin/airflow, else `airflow` on PATH.
# Safe to run again: the migration, the pool and the Variables are all set idempotently.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
variables=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sources | --db | --packs | --export-dir | --export-targets | --hash-lists)
      [ $# -ge 2 ] || { echo "airflow-setup: $1 needs a value" >&2; exit 2; }
      name="${1#--}"
      variables+=("torrentwatch_${name//-/_}" "$2")
      shift 2
      ;;
    *)
      echo "airflow-setup: unknown option $1 (see the comment at the top of $0)" >&2
      exit 2
      ;;
  esac
done

if [ -n "${AIRFLOW_BIN:-}" ]; then
  airflow="$AIRFLOW_BIN"
elif [ -x "$repo/.venv/bin/airflow" ]; then
  airflow="$repo/.venv/bin/airflow"
else
  airflow="airflow"
fi
if ! command -v "$airflow" >/dev/null; then
  echo "airflow-setup: no airflow command; install the extra: pip install -e '.[airflow]'" >&2
  exit 2
fi
: "${AIRFLOW_HOME:?airflow-setup: set AIRFLOW_HOME (the folder for airflow.cfg and its database)}"

"$airflow" db migrate >/dev/null
"$airflow" pools set torrentwatch_duckdb 1 \
  "torrentwatch: one DuckDB writer at a time (load, flag, export, hash lists)" >/dev/null
if [ ${#variables[@]} -gt 0 ]; then
  # One import for all of them (each airflow command takes seconds to start).
  file="$(mktemp --suffix=.json)"
  trap 'rm -f "$file"' EXIT
  python3 -c 'import json, sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
    "${variables[@]}" >"$file"
  "$airflow" variables import --action-on-existing-key overwrite "$file" >/dev/null
fi
echo "airflow-setup: database at $AIRFLOW_HOME ready; pool torrentwatch_duckdb has 1 slot"
