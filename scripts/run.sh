#!/usr/bin/env bash
# `make run`: one AutoWatch server and one local agent enrolled to it; Ctrl-C stops both.
# The embedded store (PGlite) is opened by one process at a time, so the local agent's enrollment
# token is made before the server starts.
set -euo pipefail
cd "$(dirname "$0")/.."

export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-8080}" DATA_DIR="${DATA_DIR:-./data}"
agent_dir="$DATA_DIR/agent"
token_args=()
if [ ! -f "$agent_dir/identity.json" ]; then
  token=$(node dist/server/cli/autowatch.js token create --uses 1 --ttl 1h --auto-approve --note "local agent (make run)" --json \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')
  token_args=(--token "$token")
fi

node dist/server/main.js &
server=$!
agent=""
stop() {
  trap - INT TERM EXIT
  [ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null || true
  kill -TERM "$server" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

until curl -fsS "http://$HOST:$PORT/api/v1/health" >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || { echo "server exited" >&2; exit 1; }
  sleep 0.5
done
# On every start, not only the first (which also printed the one-time login link above).
shown_host=$HOST
[ "$HOST" = 0.0.0.0 ] && shown_host=127.0.0.1
printf '\nAutoWatch dashboard: %s  (Ctrl-C stops the server and the local agent)\n\n' "${AW_PUBLIC_URL:-http://$shown_host:$PORT/}"

node dist/agent/main.js --server "ws://$HOST:$PORT/agent" --state-dir "$agent_dir" "${token_args[@]}" &
agent=$!
wait "$server"
