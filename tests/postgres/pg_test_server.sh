#!/usr/bin/env bash
# A private PostgreSQL server for the tests (docs/postgres.md, "Tests").
#
#   pg_test_server.sh start   STATE_DIR   initdb + start on a free port; writes STATE_DIR/uri
#   pg_test_server.sh restart STATE_DIR   pg_ctl restart -m fast (the restart test uses it)
#   pg_test_server.sh halt STATE_DIR      pg_ctl stop -m fast, keeping the data (tests/faults)
#   pg_test_server.sh resume STATE_DIR    pg_ctl start -w after a halt
#   pg_test_server.sh stop    STATE_DIR   stops the server and deletes its data directory
#   pg_test_server.sh status  STATE_DIR   exit 0 if it is running
#
# The server runs as the `postgres` OS user when we are root (via runuser), else as
# the current user, from a data directory inside STATE_DIR, listening on 127.0.0.1
# only with its unix socket inside the data directory. fsync stays on: the tests
# check that acknowledged writes survive a restart, which must mean what it says.
#
# Binaries: $INCURSA_PG_BIN, else Debian's /usr/lib/postgresql/15/bin, else the
# newest /usr/lib/postgresql/*/bin, else initdb/pg_ctl on PATH. When none exist,
# `start` prints a loud banner and writes STATE_DIR/unavailable; it then exits 77
# (CTest shows the fixture as skipped and the tests skip with a message) unless
# CI=true, where it exits 1 so that CI can never pass without PostgreSQL.
set -euo pipefail

cmd=${1:-}
state=${2:-}
if [[ -z $cmd || -z $state ]]; then
  echo "usage: $0 start|restart|halt|resume|stop|status STATE_DIR" >&2
  exit 2
fi
mkdir -p "$state"
state=$(cd "$state" && pwd)
data="$state/data"
log="$state/server.log"
# Where `start` put the data directory (and the log) if the postgres user cannot
# reach $state.
if [[ -f $state/data_dir ]]; then
  data=$(cat "$state/data_dir")
  log="$data.log"
fi
uri_file="$state/uri"

banner() {
  {
    echo "################################################################################"
    echo "# pg_test_server: $*"
    echo "################################################################################"
  } >&2
}

find_bin() {
  local d
  if [[ -n ${INCURSA_PG_BIN:-} ]]; then
    [[ -x $INCURSA_PG_BIN/initdb && -x $INCURSA_PG_BIN/pg_ctl && -x $INCURSA_PG_BIN/psql ]] || return 1
    echo "$INCURSA_PG_BIN"
    return 0
  fi
  for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4nr); do
    if [[ -x $d/initdb && -x $d/pg_ctl && -x $d/psql ]]; then
      echo "$d"
      return 0
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

# Runs a server binary as the user that owns the cluster.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running() {
  [[ -f $data/PG_VERSION ]] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

if ! bin=$(find_bin); then
  if [[ $cmd == start ]]; then
    echo "PostgreSQL server binaries not found" >"$state/unavailable"
    rm -f "$uri_file"
    if [[ ${CI:-} == true ]]; then
      banner "PostgreSQL server binaries not found, and CI=true: the PostgreSQL tests FAIL (install Debian's 'postgresql' package, or set INCURSA_PG_BIN)"
      exit 1
    fi
    banner "PostgreSQL server binaries not found: the PostgreSQL tests will SKIP (install Debian's 'postgresql' package, or set INCURSA_PG_BIN)"
    exit 77
  fi
  exit 0  # nothing can be running without binaries
fi

case $cmd in
  start)
    rm -f "$state/unavailable" "$uri_file"
    if running; then as_owner "$bin/pg_ctl" -D "$data" stop -m immediate -w >/dev/null 2>&1 || true; fi
    rm -rf "$data" "$state/data_dir"
    data="$state/data"
    if [[ $(id -u) -eq 0 ]]; then
      id postgres >/dev/null 2>&1 || { banner "user 'postgres' does not exist"; exit 1; }
      chown postgres: "$state"
      # A build tree under a private home directory is out of the postgres user's
      # reach: keep the data in /tmp then, and remember where.
      if ! runuser -u postgres -- test -w "$state"; then
        data=$(mktemp -d /tmp/incursa-pg-data.XXXXXX)
        log="$data.log"
        echo "$data" >"$state/data_dir"
      fi
      mkdir -p "$data"
      chown postgres: "$data"
      : >"$log"
      chown postgres: "$log"
    fi
    mkdir -p "$data"
    chmod 700 "$data"

    # Local socket access is trusted (the socket lives in the 0700 data
    # directory); TCP needs a password, so the tests connect the way a service
    # does: as an ordinary role (not a superuser) with scram-sha-256.
    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    as_owner "$bin/initdb" -D "$data" -U postgres --encoding=UTF8 --no-locale \
      --auth-local=trust --auth-host=scram-sha-256 >"$state/initdb.log" 2>&1 ||
      { cat "$state/initdb.log" >&2; banner "initdb failed"; exit 1; }

    # Unix socket paths are limited to 107 bytes: a deep build tree gets a
    # private directory under /tmp instead, removed again by `stop`.
    socket_dir="$data"
    if ((${#data} > 80)); then
      socket_dir=$(mktemp -d /tmp/incursa-pg.XXXXXX)
      if [[ $(id -u) -eq 0 ]]; then chown postgres: "$socket_dir"; fi
      echo "$socket_dir" >"$state/socket_dir"
    fi

    # A port derived from the state directory, so parallel build trees rarely
    # collide, then the next free one.
    port=$((55432 + $(printf '%s' "$state" | cksum | cut -d' ' -f1) % 2000))
    started=""
    for _ in $(seq 1 40); do
      if port_in_use "$port"; then
        port=$((port + 1))
        continue
      fi
      cat >"$data/postgresql.auto.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$socket_dir'
fsync = on
synchronous_commit = on
max_connections = 200
shared_buffers = '64MB'
logging_collector = off
log_min_messages = warning
EOF
      if as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >>"$state/pg_ctl.log" 2>&1; then
        started=yes
        break
      fi
      port=$((port + 1))  # lost a race for the port, or another failure: see the log
    done
    if [[ -z $started ]]; then
      cat "$log" >&2 || true
      banner "could not start PostgreSQL (see $log)"
      exit 1
    fi

    as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$port" -U postgres -d postgres \
      -c "CREATE ROLE incursa LOGIN PASSWORD '$password'" \
      -c "CREATE DATABASE incursa_test OWNER incursa" >/dev/null
    tmp="$uri_file.tmp"
    (umask 077 && printf 'postgresql://incursa:%s@127.0.0.1:%s/incursa_test\n' "$password" "$port" >"$tmp")
    mv "$tmp" "$uri_file"
    echo "pg_test_server: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $data"
    ;;
  restart)
    as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 restart -m fast >>"$state/pg_ctl.log" 2>&1 ||
      { tail -n 50 "$log" >&2; banner "restart failed"; exit 1; }
    ;;
  halt)
    as_owner "$bin/pg_ctl" -D "$data" -w -t 60 stop -m fast >>"$state/pg_ctl.log" 2>&1 ||
      { tail -n 50 "$log" >&2; banner "halt failed"; exit 1; }
    ;;
  resume)
    as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >>"$state/pg_ctl.log" 2>&1 ||
      { tail -n 50 "$log" >&2; banner "resume failed"; exit 1; }
    ;;
  stop)
    if running; then
      as_owner "$bin/pg_ctl" -D "$data" -w -t 60 stop -m fast >>"$state/pg_ctl.log" 2>&1 ||
        as_owner "$bin/pg_ctl" -D "$data" -w stop -m immediate >>"$state/pg_ctl.log" 2>&1 || true
    fi
    if [[ -f $state/socket_dir ]]; then
      rm -rf "$(cat "$state/socket_dir")" "$state/socket_dir"
    fi
    if [[ -f $state/data_dir ]]; then
      cp "$log" "$state/server.log" 2>/dev/null || true
      rm -f "$log"
    fi
    rm -rf "$data" "$uri_file" "$state/data_dir"
    ;;
  status)
    running
    ;;
  *)
    echo "unknown command: $cmd" >&2
    exit 2
    ;;
esac
