#!/usr/bin/env bash
# Run a command inside a fresh network namespace that holds only loopback, so nothing a
# test starts (transmission, opentracker, libtorrent DHT nodes) can reach past 127.0.0.1.
# Needs root (as in CI). Usage: scripts/isolated.sh .venv/bin/python -m pytest ...
set -euo pipefail
if [ "${TORRENTWATCH_ISOLATED:-}" = 1 ]; then
  exec "$@"
fi
exec unshare --net -- env TORRENTWATCH_ISOLATED=1 \
  sh -c 'ip link set lo up && exec "$@"' isolated "$@"
