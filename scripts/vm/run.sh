#!/usr/bin/env bash
# Boots the test VM (scripts/vm/build.sh) under qemu with TCG emulation and runs one guest
# script in it, chrooted into this machine's / (shared read-only over 9p), then powers off.
#
#   scripts/vm/run.sh [--timeout SECONDS] [--vm-dir DIR] SCRIPT RESULTS_DIR
#
# SCRIPT is an absolute path on this machine; RESULTS_DIR (created if needed) is shared
# writable: the guest script sees it at the same path and as $VM_RESULTS, its stdout/stderr go
# to RESULTS_DIR/guest.log, the serial console to RESULTS_DIR/console.log. Exit status: the
# guest script's, 124 when the VM did not finish in time, 77 when qemu cannot run here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
limit=240
vmdir=
while [ $# -gt 2 ]; do
  case $1 in
    --timeout) limit=$2; shift 2 ;;
    --vm-dir) vmdir=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || { echo "usage: run.sh [--timeout S] [--vm-dir DIR] SCRIPT RESULTS_DIR" >&2; exit 2; }
script=$1
results=$2
case $script in /*) ;; *) echo "run.sh: SCRIPT must be an absolute path" >&2; exit 2 ;; esac
command -v qemu-system-x86_64 >/dev/null || { echo "run.sh: qemu-system-x86_64 is not installed" >&2; exit 77; }
if [ -z "$vmdir" ]; then
  vmdir=$("$here/build.sh")
fi
mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results/rc"

status=0
timeout --kill-after=10 "$limit" qemu-system-x86_64 \
  -M pc -accel tcg,tb-size=64 -cpu max -m 256 -smp 1 \
  -nographic -no-reboot -nic none -monitor none -serial stdio \
  -kernel "$vmdir/vmlinux" -initrd "$vmdir/initramfs.cpio.gz" \
  -append "console=ttyS0 quiet loglevel=4 panic=-1 vmscript=$script vmresults=$results" \
  -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$results,mount_tag=results,security_model=none" \
  </dev/null >"$results/console.log" 2>&1 || status=$?
if [ -f "$results/rc" ]; then
  exit "$(cat "$results/rc")"
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "run.sh: the VM did not finish within ${limit}s" >&2
  exit 124
fi
echo "run.sh: the VM stopped without a result (qemu status $status); console:" >&2
tail -n 30 "$results/console.log" >&2
exit 1
