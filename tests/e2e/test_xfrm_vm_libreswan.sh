#!/bin/bash
# Interoperability on the kernel XFRM data plane, in the VM of scripts/vm (Debian's stock
# kernel under qemu, which has ESP): ikegate as the IOS router R1 of ios-strongswan-ikev1-ikev2
# on `--dataplane xfrm` against Debian's Libreswan (unpacked by scripts/vm/libreswan.sh, as it
# conflicts with strongSwan's packages; on these machines' kernel it cannot install any SA),
# IKEv2 and IKEv1, each side initiating: tests/e2e/vm/interop_libreswan.sh.
#
# Usage: IKEGATE_VM_LIBRESWAN=1 test_xfrm_vm_libreswan.sh path/to/ikegate   (as root).
# Opt-in: pluto starts slowly in the emulated guest (NSS and its self-tests), and with one pluto
# per case the VM run took 133 s at a load average of 9 and up to 296 s at 15 on 2 cores, too
# close to ctest's 300 s for a loaded CI machine.
# Run it directly (ctest stops e2e tests after 300 s). Without IKEGATE_VM_LIBRESWAN=1, and when
# qemu or the VM's packages are missing, it exits 77.
set -u
source "$(dirname "$0")/lib/prelude.sh"
[ "${IKEGATE_VM_LIBRESWAN:-}" = 1 ] || { echo "SKIP: set IKEGATE_VM_LIBRESWAN=1 to run the Libreswan interop in the VM"; exit 77; }
source tests/e2e/vm/host.sh
trap vm_cleanup EXIT INT TERM
vm_prepare
CASE=vm-libreswan
vm_check interop_libreswan.sh 590 "ikegate (xfrm) and Libreswan interoperate in the VM"
check_summary
