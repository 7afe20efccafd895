#!/usr/bin/env bash
# The demo: builds ikegate and runs the seed's ASA1/ASA2 IKEv2 site-to-site scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target ikegate
exec bash tests/e2e/demo_asa_l2l.sh build/ikegate
