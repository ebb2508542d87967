#!/bin/sh
# AutoWatch agent installer (docs/agent.md). The server serves this file at /downloads/install.sh with its
# own address written into `server=` below, so one line installs an agent:
#   curl -fsSL http://SERVER/downloads/install.sh | sudo sh -s -- --token TOKEN
# It downloads the agent bundle from that server, checks its SHA-256, puts it in PREFIX, makes the state
# folder (0700), enrolls with the token, and writes and starts the systemd unit autowatch-agent.service.
# Run again, it upgrades in place: the state folder, and so the agent's identity, is kept.
set -eu

server=''
prefix=/opt/autowatch-agent
state_dir=/var/lib/autowatch-agent
run_user=root
token=''
agent_args=''
node_bin=''
service=1
uninstall=''
purge=''
unit_name=autowatch-agent.service
unit_file=/etc/systemd/system/$unit_name

usage() {
  cat <<'EOF'
usage: install.sh [--token TOKEN] [options]
  --token TOKEN        enrollment token (Settings > Make token); needed the first time only
  --server URL         the AutoWatch server, http(s)://HOST:PORT (written in when served)
  --prefix DIR         where the agent goes (default /opt/autowatch-agent)
  --state-dir DIR      the agent's identity and spool, mode 0700 (default /var/lib/autowatch-agent)
  --user USER          run the service as USER (default root: tasks may need it, see docs/agent.md)
  --agent-args 'ARGS'  more agent flags for the service, e.g. '--refuse-remote-exec'
  --node PATH          the Node.js (>= 20) to run the agent with (default: node on PATH)
  --no-service         only install; print the command that runs the agent
  --uninstall          stop and remove the service and PREFIX (the state folder stays)
  --purge              with --uninstall: remove the state folder too (the agent's identity)
EOF
}

say() { printf 'autowatch-agent: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --token) token=${2?--token needs a value}; shift 2 ;;
    --server) server=${2?--server needs a value}; shift 2 ;;
    --prefix) prefix=${2?--prefix needs a value}; shift 2 ;;
    --state-dir) state_dir=${2?--state-dir needs a value}; shift 2 ;;
    --user) run_user=${2?--user needs a value}; shift 2 ;;
    --agent-args) agent_args=${2?--agent-args needs a value}; shift 2 ;;
    --node) node_bin=${2?--node needs a value}; shift 2 ;;
    --no-service) service=''; shift ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

# Paths go into a unit file and a printed command: keep them to characters that need no quoting.
for path in "$prefix" "$state_dir"; do
  case "$path" in
    /*) ;;
    *) die "$path: give an absolute path" ;;
  esac
  case "$path" in
    *[!A-Za-z0-9._/-]*) die "$path: only letters, digits and . _ / - please" ;;
  esac
done

need_root() {
  [ "$(id -u)" = 0 ] || die "$1 needs root: run it with sudo"
}

if [ -n "$uninstall" ]; then
  if [ -f "$unit_file" ]; then
    need_root "removing the service"
    systemctl disable --now "$unit_name" >/dev/null 2>&1 || true
    rm -f "$unit_file"
    systemctl daemon-reload || true
  fi
  rm -f "$prefix/autowatch-agent.mjs" "$prefix"/.autowatch-agent.*
  rmdir "$prefix" 2>/dev/null || true
  if [ -n "$purge" ]; then
    rm -rf "$state_dir"
    say "removed the agent, its service and its state ($state_dir); revoke it on the server (Agents) if it is still listed"
  else
    say "removed the agent and its service; its identity stays in $state_dir (--purge removes it)"
  fi
  exit 0
fi

[ -n "$server" ] || die "no server address: pass --server http://HOST:PORT (or fetch this script from the server's /downloads/install.sh)"
server=${server%/}
case "$server" in
  http://*) ws_url="ws://${server#http://}/agent" ;;
  https://*) ws_url="wss://${server#https://}/agent" ;;
  *) die "--server must start with http:// or https://, not $server" ;;
esac

# --- Node.js >= 20 ------------------------------------------------------------------------------------
[ -n "$node_bin" ] || node_bin=$(command -v node || true)
node_help="Install Node.js 20 or later: Debian 13 / Ubuntu 24.04: apt-get install nodejs; older Debian and Ubuntu, RHEL, Fedora: https://github.com/nodesource/distributions; others: https://nodejs.org/en/download. Then run this again (or pass --node /path/to/node)."
if [ -z "$node_bin" ] || [ ! -x "$node_bin" ]; then die "Node.js not found. $node_help"; fi
node_version=$("$node_bin" -p 'process.versions.node' 2>/dev/null) || die "$node_bin does not run. $node_help"
[ "${node_version%%.*}" -ge 20 ] 2>/dev/null || die "Node.js $node_version is too old: the agent needs 20 or later. $node_help"
case "$node_bin" in
  /*) ;;
  *) node_bin=$(cd "$(dirname "$node_bin")" && pwd)/$(basename "$node_bin") ;;
esac

# --- download and check -------------------------------------------------------------------------------
fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    die "neither curl nor wget is installed: install one of them"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    "$node_bin" -e 'const h = require("crypto").createHash("sha256"); h.update(require("fs").readFileSync(process.argv[1])); console.log(h.digest("hex"))' "$1"
  fi
}

[ -z "$service" ] || need_root "installing the service (or pass --no-service)"
mkdir -p "$prefix"
# The bundle is downloaded beside its final place, so the rename over the old one is atomic.
new="$prefix/.autowatch-agent.$$.mjs"
trap 'rm -f "$new" "$new.sha256"' EXIT
trap 'exit 130' INT TERM
fetch "$server/downloads/autowatch-agent.mjs.sha256" "$new.sha256" || die "cannot download $server/downloads/autowatch-agent.mjs.sha256"
fetch "$server/downloads/autowatch-agent.mjs" "$new" || die "cannot download $server/downloads/autowatch-agent.mjs"
want=$(cut -d ' ' -f 1 "$new.sha256")
have=$(sha256_of "$new")
if [ -z "$want" ] || [ "$want" != "$have" ]; then die "the downloaded agent has SHA-256 $have, the server says $want: not installed"; fi
version=$("$node_bin" "$new" --version) || die "the downloaded agent does not run with $node_bin"
chmod 0755 "$new"
mv -f "$new" "$prefix/autowatch-agent.mjs"
say "installed autowatch-agent $version in $prefix (sha256 $have)"

# --- state folder -------------------------------------------------------------------------------------
mkdir -p "$state_dir"
chmod 0700 "$state_dir"
if [ "$run_user" != root ] && [ "$(id -u)" = 0 ]; then
  id "$run_user" >/dev/null 2>&1 || die "user $run_user does not exist"
  chown -R "$run_user" "$state_dir"
  # The agent replaces its own file when upgraded (agent-upgrade tasks): the folder must be its.
  chown "$run_user" "$prefix" "$prefix/autowatch-agent.mjs"
fi

agent_cmd="$node_bin $prefix/autowatch-agent.mjs --server $ws_url --state-dir $state_dir"
if [ -z "$service" ]; then
  if [ -f "$state_dir/identity.json" ]; then
    run_cmd="$agent_cmd"
  elif [ -n "$token" ]; then
    run_cmd="$agent_cmd --token $token"
  else
    run_cmd="$agent_cmd --token TOKEN"
  fi
  say "not installing a service (--no-service); run the agent with:"
  printf '%s\n' "$run_cmd${agent_args:+ $agent_args}"
  exit 0
fi

# --- enroll, then the service -------------------------------------------------------------------------
command -v systemctl >/dev/null 2>&1 || die "systemctl not found: this host has no systemd; install with --no-service and start the printed command with your service manager"
as_user() {
  if [ "$run_user" = root ]; then "$@"; else runuser -u "$run_user" -- "$@"; fi
}
if [ ! -f "$state_dir/identity.json" ]; then
  [ -n "$token" ] || die "this host is not enrolled yet: pass --token (Settings > Make token)"
  # shellcheck disable=SC2086 # agent_cmd is words on purpose: its paths hold no blanks (checked above)
  as_user $agent_cmd --token "$token" --enroll-only || die "enrollment failed (see above); nothing was started"
fi

cat >"$unit_file" <<EOF
# Written by the AutoWatch installer ($server/downloads/install.sh); running it again rewrites this file.
[Unit]
Description=AutoWatch agent
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=$run_user
# Tells the agent that systemd restarts it: after an upgrade it exits 75 to be started on the new file.
Environment=AW_AGENT_SUPERVISED=systemd
ExecStart=$agent_cmd${agent_args:+ $agent_args}
Restart=on-failure
RestartSec=5
RestartForceExitStatus=75
# 2: bad flags or not enrolled, 3: revoked or unknown to the server; restarting cannot mend either.
RestartPreventExitStatus=2 3

[Install]
WantedBy=multi-user.target
EOF
systemctl daemon-reload
systemctl enable "$unit_name" >/dev/null 2>&1
systemctl restart "$unit_name"
say "started $unit_name (systemctl status $unit_name; journalctl -u $unit_name)"
