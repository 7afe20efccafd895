#!/bin/bash
# End to end, in the VM of scripts/vm (Debian's stock kernel under qemu, which has ESP): the
# seed's IKEv2 tunnel on the kernel XFRM data plane under operator commands and faults
# (tests/e2e/vm/xfrm_faults.sh): `clear crypto ipsec sa` and `clear crypto ikev2 sa` remove
# exactly ikegate's kernel state (a foreign state and policy stay); a kernel SA or policy
# deleted behind ikegate's back is noticed, logged and repaired, and traffic flows again; the
# kernel's hard time limit removes a stopped daemon's SAs.
#
# Usage: test_xfrm_vm_faults.sh path/to/ikegate   (as root). Exit 77 (skipped) only when qemu
# cannot run here or the VM's packages cannot be fetched.
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/vm/host.sh
trap vm_cleanup EXIT INT TERM
vm_prepare
CASE=vm-faults
status=0
vm_guest xfrm_faults.sh 250 || status=$?
[ "$status" = 77 ] && { echo "SKIP: qemu cannot run here"; exit 77; }
check "clear commands and faults on the xfrm backend pass in the VM (guest status $status)" test "$status" = 0
check_summary
