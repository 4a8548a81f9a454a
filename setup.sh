#!/usr/bin/env bash
# Set up this machine for miniDC/OS and run the main job.
#
#   bash setup.sh              host set-up, then create the default cluster and show its status
#   bash setup.sh --host-only  host set-up only (the engine, the host packages, .venv)
#
# Host set-up is idempotent: it installs Debian's docker.io, debootstrap,
# python3-venv, nodejs and npm where they are missing, starts dockerd where no engine answers
# (an engine that already answers is used as it is), and installs the project
# into .venv. Must run as root on Debian 12.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
host_only=false
[ "${1:-}" = "--host-only" ] && host_only=true

log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo bash setup.sh): the engine, debootstrap and the nodes need it"

# --- host packages -------------------------------------------------------
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v xz >/dev/null || need+=(xz-utils)
command -v git >/dev/null || need+=(git)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
# The web UI (ui/) is bundled with Node.js when the installer is built.
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  log "installing host packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# --- the Docker engine ---------------------------------------------------
engine_answers() { timeout 10 docker info >/dev/null 2>&1; }
if engine_answers; then
  log "Docker engine answers: using it as it is"
else
  if [ -d /run/systemd/system ]; then
    log "starting docker.service"
    systemctl start docker || true
  fi
  if ! engine_answers; then
    log "starting dockerd (log: /var/log/minidcos-dockerd.log)"
    setsid nohup dockerd >/var/log/minidcos-dockerd.log 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do
    engine_answers && break
    sleep 1
  done
  engine_answers || die "dockerd did not answer within 60 s; see /var/log/minidcos-dockerd.log"
  log "Docker engine answers: $(docker version --format '{{.Server.Version}}')"
fi

# --- kernel limits -------------------------------------------------------
# Every node's systemd and journald take inotify instances from one per-user
# budget; Linux's default of 128 stops a cluster at about 20 nodes.
raise_sysctl() {
  local key=$1 want=$2 have
  have=$(sysctl -n "$key" 2>/dev/null || echo 0)
  if [ "$have" -lt "$want" ]; then
    log "raising $key from $have to $want (in /etc/sysctl.d/90-minidcos.conf)"
    sysctl -qw "$key=$want" || log "WARN: cannot set $key; large clusters may not boot"
    echo "$key = $want" >>/etc/sysctl.d/90-minidcos.conf
  fi
}
raise_sysctl fs.inotify.max_user_instances 8192
raise_sysctl fs.inotify.max_user_watches 524288

# --- the project ---------------------------------------------------------
stamp="$here/.venv/.installed-$(sha256sum "$here/pyproject.toml" | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  log "installing miniDC/OS into .venv"
  [ -x "$here/.venv/bin/python" ] || python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q --upgrade pip >/dev/null
  "$here/.venv/bin/pip" install -q -e "$here[dev]"
  rm -f "$here"/.venv/.installed-*
  touch "$stamp"
fi
ln -sf "$here/.venv/bin/minidcos" /usr/local/bin/minidcos

# The web UI's modules, from its lockfile (the installer build bundles them;
# the stamp is the one minidcos/installer/ui.py checks).
ui_stamp="$here/ui/node_modules/.minidcos-lock-$(sha256sum "$here/ui/package-lock.json" | cut -c1-16)"
if [ ! -e "$ui_stamp" ]; then
  log "installing the web UI's modules (npm ci in ui/)"
  (cd "$here/ui" && npm ci --no-audit --no-fund >/dev/null)
  touch "$ui_stamp"
fi

$host_only && exit 0

# --- the main job --------------------------------------------------------
minidcos=("$here/.venv/bin/minidcos")
"${minidcos[@]}" docker doctor
if "${minidcos[@]}" docker list | grep -qx default; then
  log "cluster 'default' exists; waiting for it instead of creating it again"
  "${minidcos[@]}" docker wait
else
  "${minidcos[@]}" docker create
fi
"${minidcos[@]}" docker status
