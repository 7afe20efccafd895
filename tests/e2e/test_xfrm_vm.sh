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
IKEGATE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$(dirname "$0")/../.."
top=$(pwd)
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/check.sh
RESULTS=$(mktemp -d)
cleanup() {
  topo_down
  rm -rf "$RESULTS"
}
trap cleanup EXIT INT TERM

if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "SKIP: qemu-system-x86_64 is not installed (scripts/deps.sh installs qemu-system-x86)"
  exit 77
fi
vmdir=$(bash scripts/vm/build.sh)
status=$?
if [ "$status" = 77 ]; then
  echo "SKIP: the VM's Debian packages cannot be downloaded here"
  exit 77
fi
[ "$status" = 0 ] || { echo "FAIL - building the VM (scripts/vm/build.sh: status $status)"; exit 1; }
echo "VM: kernel $(cat "$vmdir/kernel-version")"

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
echo "IKEGATE=$IKEGATE" >"$RESULTS/env"
start=$(date +%s)
bash scripts/vm/run.sh --timeout 240 --vm-dir "$vmdir" "$top/tests/e2e/vm/xfrm_asa_l2l.sh" "$RESULTS"
status=$?
echo "VM run: $(($(date +%s) - start)) s, status $status"
cat "$RESULTS/guest.log" 2>/dev/null
if [ "$status" = 77 ]; then
  echo "SKIP: qemu cannot run here"
  exit 77
fi
CASE=vm
check "the scenario in the VM passes (guest status $status)" test "$status" = 0
[ "$status" = 0 ] || tail -n 20 "$RESULTS/console.log" 2>/dev/null
check_summary
