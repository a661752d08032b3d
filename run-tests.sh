#!/usr/bin/env bash
# Every test: C++ unit tests through ctest (plain, then under ASan + UBSan), then the pytest
# suite against the installed package. Installs what it needs first (scripts/setup.sh).
# Extra arguments go to pytest (e.g. -m slow for the slow tests).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh test
export PATH="$PWD/.venv/bin:$PATH"
cmake -S . -B build/cpp-tests -G Ninja -DZOGY_BUILD_PYTHON=OFF -DZOGY_BUILD_TESTS=ON \
    -DSKBUILD_PROJECT_VERSION=0.0.0 -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/cpp-tests
ctest --test-dir build/cpp-tests --output-on-failure
bash scripts/sanitize.sh  # the same C++ tests under ASan + UBSan
python -m pytest "$@"
