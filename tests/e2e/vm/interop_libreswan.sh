#!/bin/bash
# Runs inside the test VM (Debian's stock kernel, which has ESP), started by
# tests/e2e/test_xfrm_vm_libreswan.sh: ikegate on `--dataplane xfrm` against a real Libreswan
# (Debian's pluto, unpacked by scripts/vm/libreswan.sh) on its XFRM data plane, IKEv2 and
# IKEv1, each side initiating (the cases of tests/e2e/vm/interop.sh). On these machines'
# kernel Libreswan cannot install any SA, so this is the only place it is tested against.
# Prints ok/FAIL lines; the exit status is the number of failures.
set -u
# shellcheck disable=SC1091
source "$VM_RESULTS/env"
cd "$(dirname "$0")/../../.."
source tests/interop/lib/libreswan.sh
source tests/interop/lib/ios_strongswan_topo.sh
source tests/e2e/lib/check.sh
PEER=Libreswan
# One pluto per case: after ikegate's SIGTERM deleted the IKE SA, pluto 4.10 was seen keeping
# the CHILD SA's kernel states (as responder) or bringing the connection back up (as
# initiator), and the next case then raced it.
PEER_PER_CASE=1
peer_start() {  # CASE VERSION
  local dir=$RUN_DIR/ls-$1
  # The seed's suites (IKE: AES-128, SHA-1, group 5; ESP: AES-128, SHA-1, no PFS).
  ls_conf "$dir" version="$2" && ls_start ls "$NS_SW" "$dir"
}
peer_initiate() { ls_initiate ls ciscoios >"$RUN_DIR/initiate-$CASE.out" 2>&1; }
peer_up() {
  local states
  states=$(lsw ls --showstates)
  if [ "$1" = 2 ]; then
    grep -q STATE_V2_ESTABLISHED_IKE_SA <<<"$states" && grep -q STATE_V2_ESTABLISHED_CHILD_SA <<<"$states"
  else
    grep -Eq "STATE_MAIN_(I4|R3)" <<<"$states" && grep -Eq "STATE_QUICK_(I2|R2)" <<<"$states"
  fi
}
peer_stop() { ls_stop_all; }
peer_log() { echo "$RUN_DIR/ls-$1/pluto.log"; }
source tests/e2e/vm/interop.sh
trap 'ls_stop_all; topo_down' EXIT INT TERM
if ! ls_available; then
  echo "FAIL: Libreswan is not unpacked in $LS_ROOT (scripts/vm/libreswan.sh) or cannot run"
  exit 1
fi
echo "peer: $(ls_version | cut -d' ' -f1-2) (Debian package libreswan $(cat "$LS_ROOT/version"))"

run_all_cases
