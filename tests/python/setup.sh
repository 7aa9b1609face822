#!/usr/bin/env bash
# Prepares the Python environment of Gatehouse's Python client test (tests/tests/python_client.rs):
# a virtualenv at ${GATEHOUSE_PYENV:-/var/tmp/gatehouse-pyenv} holding the official `kubernetes`
# client at a pinned version. Idempotent: returns at once when the pinned version is installed.
set -euo pipefail

KUBERNETES_VERSION="32.0.1"
PYENV="${GATEHOUSE_PYENV:-/var/tmp/gatehouse-pyenv}"
PY="$PYENV/bin/python"

installed() {
  [ -x "$PY" ] && "$PY" - "$KUBERNETES_VERSION" <<'PYEOF' 2>/dev/null
import sys
import kubernetes
sys.exit(0 if kubernetes.__version__ == sys.argv[1] else 1)
PYEOF
}

if installed; then
  echo "python kubernetes==$KUBERNETES_VERSION already in $PYENV"
  exit 0
fi

if [ ! -x "$PY" ]; then
  python3 -m venv "$PYENV"
fi
"$PY" -m pip install --quiet --disable-pip-version-check "kubernetes==$KUBERNETES_VERSION"

if ! installed; then
  echo "installing kubernetes==$KUBERNETES_VERSION into $PYENV failed" >&2
  exit 1
fi
echo "python kubernetes==$KUBERNETES_VERSION installed in $PYENV"
