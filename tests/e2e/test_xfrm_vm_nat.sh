#!/bin/bash
# End to end: NAT traversal (RFC 3948) on the kernel XFRM data plane, in the VM of
# scripts/vm (Debian's stock kernel under qemu): tests/e2e/test_nat_traversal_ikegate.sh, the
# seed's tunnel with ASA1 behind a port-rewriting NAT, runs unchanged inside the VM with both
# daemons forced onto `--dataplane xfrm`. The kernel then encapsulates ESP in UDP from the
# daemon's 4500 socket (UDP_ENCAP_ESPINUDP) and to the NAT's rewritten port (the SA's encap
# template), and decapsulates what arrives on it; the capture checks that no raw ESP leaves.
#
# Usage: IKEGATE_VM_NAT=1 test_xfrm_vm_nat.sh path/to/ikegate   (as root). Opt-in: the NAT
# scenario runs about 100 s in the emulated guest on an idle machine and 170 s on a loaded one,
# where its 2-second ping timeouts for the first (tunnel-raising) packets get tight; without
# IKEGATE_VM_NAT=1, and when qemu or the VM's packages are missing, it exits 77 (skipped).
set -u
source "$(dirname "$0")/lib/prelude.sh"
[ "${IKEGATE_VM_NAT:-}" = 1 ] || { echo "SKIP: set IKEGATE_VM_NAT=1 to run NAT traversal in the VM"; exit 77; }
source tests/e2e/vm/host.sh
trap vm_cleanup EXIT INT TERM
vm_prepare
CASE=vm-nat
status=0
vm_guest xfrm_nat.sh 250 || status=$?
[ "$status" = 77 ] && { echo "SKIP: qemu cannot run here"; exit 77; }
check "NAT traversal on the xfrm backend passes in the VM (guest status $status)" test "$status" = 0
check_summary
