#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang + ASan + UBSan, into build/fuzz) and
# runs each one for SECONDS (default 60), two at a time, over a copy of its
# committed corpus (fuzz/corpus/<target>), so a run never grows the committed
# corpus. Fails if any target finds a crash, a leak, a timeout or an
# out-of-memory; the reproducer is kept under build/fuzz/run/<target>/.
#
#   scripts/fuzz.sh               # every target, 60 s each (CI: 20 s, scripts/test-deep.sh)
#   scripts/fuzz.sh 600           # longer, on demand
#   scripts/fuzz.sh 60 fuzz_ids fuzz_import   # only these
#
# Environment: FUZZ_CXX (default clang++-14), FUZZ_JOBS (targets at a time, default 2),
# FUZZ_BUILD_DIR (default build/fuzz). See docs/fuzzing.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET="${1:-60}"
shift || true
BUILD="${FUZZ_BUILD_DIR:-$ROOT/build/fuzz}"
JOBS="${FUZZ_JOBS:-2}"
CXX_BIN="${FUZZ_CXX:-clang++-14}"

if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TARGET" -lt 1 ]; then
  echo "usage: $0 [SECONDS] [TARGET...]" >&2
  exit 2
fi
if ! command -v "$CXX_BIN" >/dev/null; then
  echo "fuzz.sh: $CXX_BIN not found (install clang-14 and libclang-rt-14-dev)" >&2
  exit 2
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT/fuzz" -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_BIN" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$BUILD" -j"$JOBS"

if [ "$#" -gt 0 ]; then
  TARGETS=("$@")
else
  mapfile -t TARGETS < <(grep -v '^$' "$BUILD/fuzz_targets.txt")
fi

RUN="$BUILD/run"
rm -rf "$RUN"
mkdir -p "$RUN"

# Longest input per target: data JSON must be able to cross its 64 KiB limit;
# whole requests and import files need room; the rest are short strings.
max_len_for() {
  case "$1" in
    fuzz_data_json) echo 70000 ;;
    fuzz_import | fuzz_opsd_request) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

run_one() {
  local target="$1" dir="$RUN/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  if [ -d "$ROOT/fuzz/corpus/$target" ]; then
    cp -R "$ROOT/fuzz/corpus/$target/." "$dir/corpus/"
  fi
  local args=(-max_total_time="$SECONDS_PER_TARGET" -timeout=25 -rss_limit_mb=2048
              -max_len="$(max_len_for "$target")" -print_final_stats=1
              -artifact_prefix="$dir/artifacts/")
  if [ -f "$ROOT/fuzz/dict/$target.dict" ]; then
    args+=(-dict="$ROOT/fuzz/dict/$target.dict")
  fi
  local rc=0
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$BUILD/$target" "${args[@]}" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/rc"
}

echo "fuzz.sh: ${#TARGETS[@]} targets, ${SECONDS_PER_TARGET}s each, $JOBS at a time; logs in $RUN"
running=0
for target in "${TARGETS[@]}"; do
  if [ ! -x "$BUILD/$target" ]; then
    echo "fuzz.sh: no such target: $target" >&2
    exit 2
  fi
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=0
for target in "${TARGETS[@]}"; do
  dir="$RUN/$target"
  rc="$(cat "$dir/rc" 2>/dev/null || echo missing)"
  # The last status line: "#N DONE cov: C ft: F corp: ... exec/s: E ...".
  stats="$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$dir/log" | tail -n 1 || true)"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)"
  cov="$(echo "$stats" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')"
  artifacts="$(find "$dir/artifacts" -type f | head -n 5)"
  if [ "$rc" != "0" ] || [ -n "$artifacts" ]; then
    failed=1
    printf 'FAIL %-26s rc=%s\n' "$target" "$rc"
    grep -E 'ERROR: |FUZZ_CHECK failed|runtime error|SUMMARY' "$dir/log" | head -n 5 | sed 's/^/     /'
    for a in $artifacts; do echo "     reproduce: $BUILD/$target $a"; done
    echo "     log: $dir/log"
  else
    printf 'ok   %-26s runs=%s exec/s=%s cov=%s\n' "$target" "${runs:-?}" "${speed:-?}" "${cov:-?}"
  fi
done

if [ "$failed" -ne 0 ]; then
  echo "fuzz.sh: FAILED (see docs/fuzzing.md: turn each reproducer into a test in tests/unit)" >&2
  exit 1
fi
echo "fuzz.sh: all targets ran clean"
