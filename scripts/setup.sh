#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: system packages (FFTW, Random123, doctest,
# pkg-config) through apt, then a virtual environment in .venv with the package installed
# (non-editable, so tests run against what a user gets) plus the extras named in $1.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-test}"

packages=(libfftw3-dev librandom123-dev doctest-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    echo "setup: installing ${missing[*]} with apt-get" >&2
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
# cmake and ninja for the C++ test build come from PyPI, so the machine needs only gcc.
.venv/bin/python -m pip install -q --disable-pip-version-check cmake ninja pybind11 \
    scikit-build-core
.venv/bin/python -m pip install -q --disable-pip-version-check ".[${extras}]"
