#!/usr/bin/env bash
# What the tests need from outside npm, in one place; `make test` (and so .ci/run) runs the suite through it:
#   scripts/test-deps.sh COMMAND [ARG...]        e.g. scripts/test-deps.sh npx vitest run
# - Debian packages: chromium (dashboard and API-page tests), monitoring-plugins-basic (plugin tests),
#   openssl and curl (certificate check, the signed-request example), prometheus (its promtool is the real
#   client of the Prometheus-compatible API), shellcheck (scripts/install.sh is checked with it),
#   openjdk-17-jre-headless (only to run ../shared/questdb). As root with apt-get it installs what is
#   missing, quietly; otherwise it prints the command once, and the suites that need them are skipped with
#   the reason (test/support/requires.ts).
# - QuestDB: unless QUESTDB_URL is set, starts ../shared/questdb (when present) in .test-data/questdb, exports
#   QUESTDB_URL and QUESTDB_PG_URL (and METRICS_STORE=postgres unless set), and stops it when COMMAND ends.
# - Postgres and Redis only when DATABASE_URL / REDIS_URL name them: a local one that is down is started;
#   one that cannot be reached stops the run here (the variable asked for it: no quiet fallback).
# TEST_DEPS_REQUIRED=1 (CI) makes a Debian package or ../shared/questdb that cannot be had an error instead of
# a skip. Exits with COMMAND's status.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }

say() { echo "test-deps: $*" >&2; }
state=.test-data
mkdir -p "$state"
questdb_dir=../shared/questdb

# --- Debian packages ----------------------------------------------------------------------------------
# The packages missing here; CHROMIUM_PATH or MONITORING_PLUGINS_DIR set means the user chose their own.
absent_packages() {
  [ -n "${CHROMIUM_PATH:-}" ] || [ -x /usr/bin/chromium ] || echo chromium
  [ -n "${MONITORING_PLUGINS_DIR:-}" ] || [ -x /usr/lib/nagios/plugins/check_tcp ] || echo monitoring-plugins-basic
  command -v openssl >/dev/null || echo openssl
  command -v curl >/dev/null || echo curl
  command -v promtool >/dev/null || echo prometheus
  command -v shellcheck >/dev/null || echo shellcheck
  if [ -z "${QUESTDB_URL:-}" ] && [ -x "$questdb_dir/start.sh" ] && ! command -v java >/dev/null; then
    echo openjdk-17-jre-headless
  fi
}
mapfile -t wanted < <(absent_packages)
if [ ${#wanted[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${wanted[*]} (log: $state/apt.log)"
    # Another apt on the machine holds the lock for a while: wait for it rather than fail.
    if ! { apt-get -o DPkg::Lock::Timeout=300 update -qq &&
           DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${wanted[@]}"; } >"$state/apt.log" 2>&1; then
      tail -5 "$state/apt.log" >&2
      say "could not install ${wanted[*]}: the suites that need them are skipped"
    fi
  else
    sudo=$([ "$(id -u)" = 0 ] || echo 'sudo ')
    say "to run every suite: ${sudo}apt-get install -y ${wanted[*]}   (until then the suites that need them are skipped)"
  fi
fi

mapfile -t missing < <(absent_packages)

# --- Postgres and Redis, when named -------------------------------------------------------------------
# host and port of a URL, with the scheme's default port.
endpoint() { node -e 'const u = new URL(process.argv[1]); console.log(u.hostname.replace(/^\[|\]$/g, ""), u.port || process.argv[2])' "$1" "$2"; }
answers() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
is_local() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == ::1 ]]; }
wait_for() { for _ in $(seq 1 30); do answers "$1" "$2" && return 0; sleep 1; done; return 1; }

if [ -n "${DATABASE_URL:-}" ]; then
  read -r host port < <(endpoint "$DATABASE_URL" 5432)
  # A Debian cluster on that port that is down (pg_lsclusters: version name port status ...).
  cluster=$(is_local "$host" && command -v pg_lsclusters >/dev/null && pg_lsclusters -h | awk -v p="$port" '$3 == p && $4 == "down" { print $1, $2; exit }')
  if [ -n "$cluster" ] && ! answers "$host" "$port"; then
    say "starting the local Postgres ($cluster)"
    pg_ctlcluster --skip-systemctl-redirect $cluster start >&2 && wait_for "$host" "$port"
  fi
  answers "$host" "$port" || { say "DATABASE_URL names $host:$port, where no Postgres answers (unset it to test on the embedded PGlite)"; exit 1; }
fi
if [ -n "${REDIS_URL:-}" ]; then
  read -r host port < <(endpoint "$REDIS_URL" 6379)
  if ! answers "$host" "$port" && is_local "$host" && command -v redis-server >/dev/null; then
    say "starting the local Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no --dir /tmp --logfile "$PWD/$state/redis.log"
    wait_for "$host" "$port"
  fi
  answers "$host" "$port" || { say "REDIS_URL names $host:$port, where no Redis answers (unset it to skip the Redis suites)"; exit 1; }
fi

# --- QuestDB ------------------------------------------------------------------------------------------
started_questdb=
stop_questdb() {
  [ -n "$started_questdb" ] || return 0
  "$questdb_dir/stop.sh" "$state/questdb"
  rm -rf "$state/questdb"
}
trap stop_questdb EXIT
trap 'exit 130' INT TERM

# Without Java or curl (start.sh polls with it) the package is already in `missing`.
if [ -z "${QUESTDB_URL:-}" ] && [ -x "$questdb_dir/start.sh" ] && command -v java >/dev/null && command -v curl >/dev/null; then
  http=${QDB_HTTP_PORT:-9000} pg=${QDB_PG_PORT:-8812}
  questdb_up=
  if curl -fsS "http://127.0.0.1:$http/exec?query=select%201" >/dev/null 2>&1; then
    # Another checkout's QuestDB: shared, each test writes tables of its own.
    say "using the QuestDB already answering on 127.0.0.1:$http"
    questdb_up=1
  else
    rm -rf "$state/questdb"
    # Stopped at exit even when start.sh gives up waiting on a QuestDB it launched.
    started_questdb=1
    if "$questdb_dir/start.sh" "$state/questdb" >/dev/null 2>"$state/questdb-start.log"; then
      questdb_up=1
    else
      tail -5 "$state/questdb-start.log" >&2
      say "QuestDB did not start: its tests are skipped"
      missing+=(questdb)
    fi
  fi
  if [ -n "$questdb_up" ]; then
    export QUESTDB_URL="http://127.0.0.1:$http"
    # Credentials and database of QuestDB's Postgres wire (../shared/questdb/README.md).
    export QUESTDB_PG_URL="postgres://admin:quest@127.0.0.1:$pg/qdb"
  fi
fi
# QUESTDB_URL alone makes a server pick the QuestDB store: the servers tests start from this environment
# (restart, two nodes, fuzz) keep the default store unless METRICS_STORE says otherwise.
[ -z "${QUESTDB_URL:-}" ] || export METRICS_STORE="${METRICS_STORE:-postgres}"

if [ ${#missing[@]} -gt 0 ] && [ "${TEST_DEPS_REQUIRED:-}" = 1 ]; then
  say "TEST_DEPS_REQUIRED=1 and missing: ${missing[*]}"
  exit 1
fi

"$@"
