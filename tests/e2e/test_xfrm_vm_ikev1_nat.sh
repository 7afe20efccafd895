#!/bin/bash
# End to end, in the VM of scripts/vm (Debian's stock kernel under qemu, which has ESP), two
# scenarios in one boot:
#  - IKEv1 on the kernel XFRM data plane (tests/e2e/vm/xfrm_ikev1.sh): two ikegate daemons with
#    the seed's tunnel in the ASA's IKEv1 configuration form, and a crypto ACL line that covers
#    the gateways' own addresses (their IKE must bypass ikegate's policies);
#  - NAT traversal (RFC 3948) on the XFRM data plane (tests/e2e/vm/xfrm_nat.sh): ASA1 behind a
#    port-rewriting NAT, both daemons on `--dataplane xfrm`, the kernel encapsulating ESP in
#    UDP 4500 to the NAT's rewritten port; nftables counters on the NAT see no raw ESP.
#
# Usage: test_xfrm_vm_ikev1_nat.sh path/to/ikegate   (as root). Exit 77 (skipped) only when qemu
# cannot run here or the VM's packages cannot be fetched.
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/vm/host.sh
trap vm_cleanup EXIT INT TERM
vm_prepare
CASE=vm-ikev1-nat
status=0
vm_guest_several 270 xfrm_ikev1.sh xfrm_nat.sh || status=$?
[ "$status" = 77 ] && { echo "SKIP: qemu cannot run here"; exit 77; }
check "IKEv1 with the IKE bypass, and NAT traversal, on the xfrm backend pass in the VM (guest status $status)" \
  test "$status" = 0
check_summary
