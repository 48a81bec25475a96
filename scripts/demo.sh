#!/usr/bin/env bash
# Set up and run the bundled demo show (every device on 127.0.0.1). Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/cuebridge demo "$@"
