#!/usr/bin/env bash
# The whole suite, once: installs the dependencies, builds the default preset
# and runs every test in it -- the library on every store (a real SQLite file, a
# real PostgreSQL the tests start), fault injection, opsctl, opsd over HTTP, the
# dashboard in headless Chromium, its unit tests and lint -- but the 2-minute
# soak, which scripts/test-deep.sh runs. The README gives its time on 2 cores.
# Exits non-zero on the first failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)

"$root/scripts/install-deps.sh"

printf '\n==== build: default ====\n'
cmake --preset default -DINCURSA_REQUIRE_BROWSER_TEST=ON >/dev/null
cmake --build --preset default -j "$jobs"
printf '\n==== test: default ====\n'
ctest --preset default -j "$jobs" -LE soak
echo "the whole suite passed"
