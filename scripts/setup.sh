#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: system packages the checks and tests drive,
# the local services the tests talk to, a virtualenv with golive and examples/storefront.
# Fast when everything is already in place (a few dpkg queries and a hash comparison).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(prometheus prometheus-alertmanager chromium nginx wrk curl)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The machine's own services (PostgreSQL, Redis, NATS) are normally running; start any that
# stopped, so that tests find them. Best effort: a machine without them skips those tests.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if [ -d /etc/postgresql ]; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
if command -v redis-server >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
fi
if [ -x /usr/sbin/nats-server ] && ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server || true
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.golive-setup
want=$(cat pyproject.toml examples/storefront/pyproject.toml 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
  targets=(-e ".[dev]")
  [ -f examples/storefront/pyproject.toml ] && targets+=(-e "examples/storefront[dev]")
  .venv/bin/pip install -q --disable-pip-version-check "${targets[@]}"
  echo "$want" >"$stamp"
fi

# semgrep and checkov pin versions of shared libraries (opentelemetry, packaging) that clash
# with golive's and storefront's own; each gets a virtualenv of its own, linked beside
# golive's interpreter where the security checks look for their tools first.
SEMGREP_VERSION="1.185.0"
CHECKOV_VERSION="3.3.30"
install_tool() {
  local name="$1" version="$2"
  local dir=".venv/opt/$name"
  if [ "$("$dir/bin/python" -c "import importlib.metadata as m; print(m.version('$name'))" 2>/dev/null)" != "$version" ]; then
    echo "setup: installing $name $version into $dir"
    "$PYTHON" -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check "$name==$version"
  fi
  ln -sf "../opt/$name/bin/$name" ".venv/bin/$name"
}
install_tool semgrep "$SEMGREP_VERSION"
install_tool checkov "$CHECKOV_VERSION"
