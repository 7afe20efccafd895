#!/bin/bash
# Interoperability on the kernel XFRM data plane, in the VM of scripts/vm (Debian's stock
# kernel under qemu, which has ESP): ikegate as the IOS router R1 of ios-strongswan-ikev1-ikev2
# on `--dataplane xfrm` against Debian's strongSwan on its normal kernel data plane
# (kernel-netlink; on these machines' kernel it can only use kernel-libipsec), IKEv2 and
# IKEv1, each side initiating: tests/e2e/vm/interop_strongswan.sh.
#
# Usage: test_xfrm_vm_strongswan.sh path/to/ikegate   (as root). Exit 77 (skipped) when
# strongSwan or qemu is not installed or the VM's packages cannot be fetched.
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/interop/lib/strongswan.sh
if ! sw_available || [ ! -e /usr/lib/ipsec/plugins/libstrongswan-kernel-netlink.so ]; then
  echo "SKIP: strongSwan is not installed (scripts/deps.sh installs it)"
  exit 77
fi
source tests/e2e/vm/host.sh
trap vm_cleanup EXIT INT TERM
vm_prepare
CASE=vm-strongswan
vm_check interop_strongswan.sh 280 "ikegate (xfrm) and strongSwan (kernel-netlink) interoperate in the VM"
check_summary
