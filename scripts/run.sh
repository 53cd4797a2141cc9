#!/usr/bin/env bash
# The main job: installs dependencies, builds opsd and opsctl, and starts opsd
# with its demo workload on the SQLite default: operations start, progress, fail,
# stall and finish live on the dashboard at the printed URL. Ctrl-C stops it.
#   scripts/run.sh [STORE_URI]               default store: sqlite:./operations.db
#   OPSD_LISTEN=127.0.0.1:9090 scripts/run.sh    another address (default 127.0.0.1:8080)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
# Presets are read from the working directory; the store path stays relative to
# the caller's.
(cd "$root" && cmake --preset default >/dev/null && cmake --build --preset default --target opsd opsctl)
exec "$root/build/default/tools/opsd/opsd" --demo \
  --store "${1:-sqlite:./operations.db}" --listen "${OPSD_LISTEN:-127.0.0.1:8080}"
