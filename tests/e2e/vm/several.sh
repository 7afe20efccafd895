#!/bin/bash
# Runs inside the test VM: the guest scripts named in $VM_RESULTS/plan (one per line, relative
# to tests/e2e/vm), one after the other in one boot (a boot costs 15-30 s of emulation). The
# exit status is the sum of theirs (capped at 125: 126 and above mean something else).
set -u
cd "$(dirname "$0")"
total=0
while read -r script; do
  [ -n "$script" ] || continue
  echo "==== $script"
  start=$SECONDS
  status=0
  bash "./$script" || status=$?
  echo "==== $script: status $status, $((SECONDS - start)) s"
  total=$((total + status))
done <"$VM_RESULTS/plan"
[ "$total" -le 125 ] || total=125
exit "$total"
