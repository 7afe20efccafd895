#!/usr/bin/env bash
# Demo placeholder until the tunnel lands: checks and prints the seeds' configurations.
set -euo pipefail
bin=${1:?usage: demo_asa_l2l.sh path/to/ikegate}
cd "$(dirname "$0")/../.."
for f in tests/data/configs/asa1-l2l.cfg tests/data/configs/asa2-l2l.cfg; do
  echo "== ikegate config check $f"
  "$bin" config check "$f"
  echo "== ikegate config show $f"
  "$bin" config show "$f"
done
