#!/usr/bin/env bash
# Set up everything cuebridge needs on a fresh Debian machine: a virtualenv with the package
# and its development tools. Idempotent: re-running only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "cuebridge needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian's system Python ships venv separately.
    rm -rf .venv
    if command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    fi
    "$PYTHON" -m venv .venv
  fi
fi
stamp=.venv/.cuebridge-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  touch "$stamp"
fi

# The web panel's browser-side libraries come from npm (package-lock.json) and are served by the
# daemon itself: a venue has no internet.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if ! command -v npm >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq npm >/dev/null
  fi
  npm ci --no-audit --no-fund --loglevel=error
fi
