#!/usr/bin/env bash
# Runs every test of ikegate: unit, simulation and end-to-end tests on a normal build,
# unit and simulation tests again under ASan+UBSan, then each libFuzzer target for a
# bounded time. Installs what it needs first (scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
jobs=$(nproc)
fuzz_seconds=${IKEGATE_FUZZ_SECONDS:-20}

echo "== build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
# The end-to-end tests leave their logs here (tests/e2e/lib/asa_l2l.sh): no key may be in them.
e2e_logs=$(mktemp -d)
IKEGATE_E2E_LOGS=$e2e_logs ctest --test-dir build --output-on-failure -j"$jobs"
echo "== no pre-shared key in any log or output of the end-to-end tests"
mapfile -t logs < <(find "$e2e_logs" -type f)
if [ ${#logs[@]} -gt 0 ]; then
  if ! /usr/bin/python3 tests/e2e/hostile/secret_scan.py --secret cisco123 --secret wrongkey --hex-only cisco \
    "${logs[@]}" | tail -n 20; then
    echo "a key was found in the logs above"
    exit 1
  fi
fi
rm -rf "$e2e_logs"

echo "== build (ASan+UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DIKEGATE_SANITIZE=ON -DIKEGATE_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -L 'unit|sim'

echo "== fuzz (${fuzz_seconds}s per target)"
CC=clang-16 CXX=clang++-16 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DIKEGATE_FUZZ=ON \
  -DIKEGATE_TESTS=OFF -DIKEGATE_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$jobs"
shopt -s nullglob
for target in build-fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus="fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  seeds=()
  [ -d "$corpus" ] && seeds=("$corpus")
  echo "-- $name"
  "$target" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/" "$work" "${seeds[@]}" 2>&1 | tail -n 2
  rm -rf "$work"
done
echo "== all tests passed"
