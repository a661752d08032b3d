#!/usr/bin/env bash
# The C++ unit tests under AddressSanitizer + UndefinedBehaviorSanitizer, then under
# ThreadSanitizer (the stage tests run their work on 1, 2 and 3 threads); any report fails.
# Expects the tools from scripts/setup.sh (run-tests.sh calls this after it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
cmake -S . -B build/sanitize -G Ninja -DZOGY_BUILD_PYTHON=OFF -DZOGY_BUILD_TESTS=ON \
    -DZOGY_SANITIZE=ON -DSKBUILD_PROJECT_VERSION=0.0.0 -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/sanitize
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build/sanitize --output-on-failure
cmake -S . -B build/tsan -G Ninja -DZOGY_BUILD_PYTHON=OFF -DZOGY_BUILD_TESTS=ON \
    -DZOGY_TSAN=ON -DSKBUILD_PROJECT_VERSION=0.0.0 -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/tsan
TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build/tsan --output-on-failure
