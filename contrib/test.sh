#!/usr/bin/env bash
# README command 2: install what is missing, build (warnings are errors), run the whole test suite
# (unit, fuzz-corpus replay, integration), then the unit tests again under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash contrib/install-deps.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Debug -DWERROR=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure --timeout 900 "$@"
# Optimised, so -O2-only warnings (format truncation) fail here as they would for contrib/run.sh.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASAN=ON -DWERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan -j"$jobs" -L 'unit|fuzz' --output-on-failure --timeout 900
