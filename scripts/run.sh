#!/usr/bin/env bash
# The main job: installs dependencies, builds opsctl and runs its demo live -- a
# simulated workload written into the store in real time while the watch view
# redraws it in place -- then prints what it wrote and commands to try.
#   scripts/run.sh [STORE_URI]          default store: sqlite:./operations.db
#   DEMO_DURATION=20s scripts/run.sh    a shorter demo (default 60s)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
cmake --preset default -S "$root" >/dev/null
cmake --build --preset default --target opsctl
"$root/build/default/tools/opsctl/opsctl" --store "${1:-sqlite:./operations.db}" \
  demo --duration "${DEMO_DURATION:-60s}" --watch
