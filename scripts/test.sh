#!/usr/bin/env bash
# Set up, then run every check CI runs: ruff, mypy --strict and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# Test-only Debian packages: Chromium for the panel's browser tests, liblo-tools (oscsend/oscdump)
# as a second, independent OSC implementation.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v oscsend >/dev/null || missing+=(liblo-tools)
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== ruff"
.venv/bin/python -m ruff check src tests bench
.venv/bin/python -m ruff format --check src tests bench
echo "== mypy --strict"
.venv/bin/python -m mypy src
echo "== pytest"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$status"
