#!/usr/bin/env bash
# What CI runs after scripts/test.sh (which it expects to have built
# build/default): the heavier stages.
#   1. the opsd soak (2 minutes of load, its memory and descriptors watched),
#      run while the ASan build compiles: the soak is paced, not CPU-bound;
#   2. the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the whole suite under ThreadSanitizer;
#   4. every libFuzzer target for FUZZ_SECONDS (default 20) seconds;
#   5. an outside program built against the *installed* package, and the quickstart.
# Exits non-zero on the first failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)

"$root/scripts/install-deps.sh"

step() { printf '\n==== %s ====\n' "$*"; }

# The soak measures opsd's memory, which ASan's shadow memory would swamp, so
# it runs on the default build. Its load is paced (so many lifecycles a
# second), which lets it share the machine with the ASan compile.
step "soak (default build, beside the asan build)"
soak_log="$root/build/default/soak.log"
ctest --preset default -L soak >"$soak_log" 2>&1 &
soak_pid=$!

# The dashboard's JavaScript unit tests and lint (label web) run no C++ and so
# ran once, in scripts/test.sh.
step "build: asan"
cmake --preset asan -DINCURSA_REQUIRE_BROWSER_TEST=ON >/dev/null
cmake --build --preset asan -j "$jobs"

step "soak: result"
soak_rc=0
wait "$soak_pid" || soak_rc=$?
cat "$soak_log"
if [ "$soak_rc" -ne 0 ]; then
  echo "soak failed (exit $soak_rc)" >&2
  exit "$soak_rc"
fi
step "test: asan (whole suite)"
ctest --preset asan -j "$jobs" -LE 'soak|web'

# TSan needs a fixed address layout; setarch -R turns off ASLR for the test run
# only. Left out: the soak (its RSS check means nothing under TSan's shadow
# memory), the browser test (a Chromium front end over the same opsd the API
# tests drive here) and the JavaScript tests (label web). tests/tsan.supp says
# why reports inside Debian's uninstrumented libcpp-httplib are suppressed.
step "build: tsan"
cmake --preset tsan -DINCURSA_REQUIRE_BROWSER_TEST=ON >/dev/null
cmake --build --preset tsan -j "$jobs"
step "test: tsan (whole suite)"
setarch "$(uname -m)" -R ctest --preset tsan -j "$jobs" -LE 'browser|soak|web'

seconds=${FUZZ_SECONDS:-20}
step "fuzz: every target, $seconds s each"
"$root/scripts/fuzz.sh" "$seconds"

step "install + outside consumer"
"$root/tests/install/check_install.sh" "$root/build/default"

step "quickstart"
"$root/build/default/examples/quickstart" >/dev/null
echo "all deep stages passed"
