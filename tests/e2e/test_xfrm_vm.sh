#!/bin/bash
# End to end: the kernel XFRM data plane, proven in a VM. The machines this runs on may have a
# kernel without ESP, so the scenario runs in qemu (TCG emulation) with Debian's stock kernel
# (scripts/vm/build.sh), chrooted into this machine's file system shared read-only over 9p:
# the seed's ASA1/ASA2 tunnel with two ikegate daemons on the xfrm backend
# (tests/e2e/vm/xfrm_asa_l2l.sh). Here, on this machine's own kernel, `auto` must pick the
# backend this kernel can carry: xfrm if it accepts an ESP state, userspace if not.
#
# Usage: test_xfrm_vm.sh path/to/ikegate   (as root). Exit 77 (skipped) only when qemu cannot
# run here or the VM's packages cannot be fetched.
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/vm/host.sh
cleanup() {
  topo_down
  vm_cleanup
}
trap cleanup EXIT INT TERM
vm_prepare

# 1. On this machine's kernel: what does it take, and does `auto` agree?
CASE=host
scratch=ike-probe-$TAG
ip netns add "$scratch"
if ip -n "$scratch" xfrm state add src 127.0.0.1 dst 127.0.0.2 proto esp spi 0x100 mode tunnel \
  enc 'cbc(aes)' 0x00000000000000000000000000000000 auth-trunc 'hmac(sha1)' \
  0x0000000000000000000000000000000000000000 96 2>/dev/null; then
  expected=xfrm
else
  expected=userspace
fi
ip netns del "$scratch"
topo_up
check "ASA1 starts on this machine's kernel" gw_start asa1 "$NS_ASA1" tests/e2e/configs/asa1.cfg
check "auto picks $expected on this machine's kernel" grep -q "data plane auto: $expected" "$RUN_DIR/asa1.log"
grep "data plane auto" "$RUN_DIR/asa1.log"
gw_stop asa1 TERM
topo_down

# 2. In the VM.
status=0
vm_guest xfrm_asa_l2l.sh 240 || status=$?
[ "$status" = 77 ] && { echo "SKIP: qemu cannot run here"; exit 77; }
CASE=vm
check "the scenario in the VM passes (guest status $status)" test "$status" = 0
check_summary
