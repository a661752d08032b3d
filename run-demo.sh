#!/usr/bin/env bash
# The main job on built-in simulated data: installs what it needs, then runs `zogy demo`.
# Extra arguments go to `zogy demo` (see `zogy demo --help`).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh study
exec .venv/bin/zogy demo "$@"
