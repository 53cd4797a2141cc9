#!/usr/bin/env bash
# Every test: installs dependencies, then builds and runs
#   1. the whole suite (RelWithDebInfo),
#   2. the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. the concurrency tests under ThreadSanitizer,
#   4. an outside program built against the *installed* package.
# Exits non-zero on the first failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)

"$root/scripts/install-deps.sh"

step() { printf '\n==== %s ====\n' "$*"; }

run_preset() {  # preset, extra ctest args...
  local preset=$1
  shift
  step "build: $preset"
  cmake --preset "$preset" -DINCURSA_REQUIRE_BROWSER_TEST=ON >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  step "test: $preset"
  ctest --preset "$preset" -j "$jobs" "$@"
}

run_preset default
run_preset asan
# TSan needs a fixed address layout; setarch -R turns off ASLR for the test run only.
step "build: tsan"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs"
step "test: tsan (concurrency label)"
setarch "$(uname -m)" -R ctest --preset tsan -j "$jobs"

step "install + outside consumer"
"$root/tests/install/check_install.sh" "$root/build/default"

step "quickstart"
"$root/build/default/examples/quickstart" >/dev/null
echo "all test stages passed"
