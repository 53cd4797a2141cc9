#!/usr/bin/env bash
# The dashboard's browser test (CTest: opsd.browser, label browser).
#   run-browser-test.sh OPSD_BINARY WORK_DIR
# Installs playwright-core (pinned in package-lock.json) into WORK_DIR with
# `npm ci` -- only when the lock file changed -- and drives Debian's chromium
# (no browser download). Screenshots land in WORK_DIR/screenshots.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
opsd=${1:?usage: run-browser-test.sh OPSD_BINARY WORK_DIR}
work=${2:?usage: run-browser-test.sh OPSD_BINARY WORK_DIR}
mkdir -p "$work"
work=$(cd "$work" && pwd)

if [[ -z "${CHROMIUM:-}" ]]; then
  CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
fi
if [[ -z "$CHROMIUM" ]]; then
  echo "run-browser-test: chromium is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
export CHROMIUM

if [[ ! -d "$work/node_modules/playwright-core" ]] ||
   ! cmp -s "$here/package-lock.json" "$work/package-lock.json"; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi

rm -rf "$work/screenshots"
exec node "$here/browser-test.mjs" "$opsd" "$work"
