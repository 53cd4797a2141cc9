#!/usr/bin/env bash
# ESLint over the dashboard's modules and the tests that drive them (CTest:
# opsd.web_lint, labels opsd;web).
#   run-web-lint.sh WORK_DIR
# Installs ESLint (pinned in package-lock.json) into WORK_DIR with `npm ci` --
# only when the lock file changed -- copies eslint.config.js beside it so its
# imports resolve there, and lints from the source root (ESLint takes the
# working directory as the base of the config's patterns when given -c).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=${1:?usage: run-web-lint.sh WORK_DIR}
mkdir -p "$work"
work=$(cd "$work" && pwd)

if [[ ! -d "$work/node_modules/eslint" ]] ||
   ! cmp -s "$here/package-lock.json" "$work/package-lock.json"; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp "$here/eslint.config.js" "$work/eslint.config.js"

cd "$root"
# --max-warnings 0: a file ESLint skips ("outside of base path") warns, and must fail.
exec node "$work/node_modules/eslint/bin/eslint.js" --config "$work/eslint.config.js" --max-warnings 0 \
  tools/opsd/web/ tests/opsd/web-unit/ tests/opsd/browser/
