#!/usr/bin/env bash
# No tool shows a store's password: every opsctl command that takes a store, and
# opsd (start-up, its log, /v1/session, a failed start), run against the test
# PostgreSQL server, whose URI carries a password; their output, errors and
# logs must not contain it, raw or percent-decoded.
#   no_secrets_test.sh OPSCTL OPSD URI_FILE
set -euo pipefail
opsctl=${1:?usage: no_secrets_test.sh OPSCTL OPSD URI_FILE}
opsd=${2:?}
uri_file=${3:?}
if [[ ! -s "$uri_file" ]]; then
  echo "no_secrets_test: no test server URI in $uri_file" >&2
  exit 77  # skipped: the PostgreSQL fixture did not start
fi
uri=$(<"$uri_file")
password=$(sed -E 's|^[a-z]+://[^:/@]+:([^@]+)@.*$|\1|' <<<"$uri")
if [[ "$password" == "$uri" || ${#password} -lt 8 ]]; then
  echo "no_secrets_test: the test server's URI has no password to look for" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'kill "${opsd_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
schema="no_secrets_$$"
store="$uri?schema=$schema&application_name=no-secrets"
secret_param="$store&sslpassword=$password"
out="$work/out"
: >"$out"

run() {  # run CMD...: appends its stdout and stderr to $out, whatever its exit code
  local command="$*"
  echo "\$ ${command//"$password"/PASSWORD}" >>"$out"
  "$@" >>"$out" 2>&1 </dev/null || echo "(exit $?)" >>"$out"
}

run "$opsctl" migrate --store "$store"
run "$opsctl" migrate --store "$store" --json
run "$opsctl" demo --store "$store" --duration 2s
run "$opsctl" list --store "$store"
run "$opsctl" count --store "$store"
run "$opsctl" stalled --store "$store" --threshold 1s
run "$opsctl" watch --store "$store" --once
run "$opsctl" export --store "$store" -o "$work/export.jsonl"
run "$opsctl" import --store "$store" --skip-existing "$work/export.jsonl"
run "$opsctl" purge --store "$store" --keep 1s
run "$opsctl" backup --store "$store" "$work/backup.db"
run "$opsctl" list --store "$secret_param"
# Failures name the store too: an unreachable port, a wrong scheme.
unreachable=$(sed -E 's|@([^:/]+):[0-9]+/|@\1:1/|' <<<"$uri")
run "$opsctl" list --store "$unreachable"
run "$opsctl" list --store "postgresqlx${uri#postgresql}"
run "$opsd" --store "$unreachable" --listen 127.0.0.1:0

# opsd serving the store: its start-up lines, log and session. Its output comes
# through a pipe, so the first line is waited for by reading it.
exec 3< <(OPSD_TOKEN=no-secrets-token-0123456789 exec "$opsd" --store "$store" \
  --listen 127.0.0.1:0 --no-stall-monitor 2>"$work/opsd.err")
opsd_pid=$!
first=""
read -r -t 60 -u 3 first || true
url=${first#listening on }
if [[ "$url" == "$first" ]]; then
  echo "no_secrets_test: opsd did not start: $first" >&2
  cat "$work/opsd.err" >&2
  exit 1
fi
echo "$first" >>"$out"
curl -fsS -H "Authorization: Bearer no-secrets-token-0123456789" "$url/v1/session" >>"$out"
curl -fsS "$url/healthz" >>"$out"
kill "$opsd_pid"
cat <&3 >>"$out"
exec 3<&-
cat "$work/opsd.err" >>"$out"

decoded=$(printf '%b' "${password//%/\\x}")
status=0
for secret in "$password" "$decoded"; do
  if grep -nF -- "$secret" "$out" >&2; then
    echo "no_secrets_test: the password above was shown" >&2
    status=1
  fi
done
# The test would pass vacuously if nothing ran: each command must have said something.
for expect in "is up to date" "Demo finished" "postgresql://" "no-secrets" "\"status\":\"ok\""; do
  if ! grep -qF -- "$expect" "$out"; then
    echo "no_secrets_test: expected output missing: $expect" >&2
    status=1
  fi
done
if ((status != 0)); then
  echo "---- everything the tools printed ----" >&2
  cat "$out" >&2
fi
exit "$status"
