#!/usr/bin/env bash
# The main job: installs dependencies, builds, and runs the quickstart example.
#   scripts/run.sh [STORE_URI]      default store: memory:
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
cmake --preset default -S "$root" >/dev/null
cmake --build --preset default --target quickstart
"$root/build/default/examples/quickstart" "$@"
