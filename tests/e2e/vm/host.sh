# Host side of the VM tests. Source it from the top of the tree after tests/e2e/lib/check.sh.
#
#   vm_prepare        builds (or reuses) the VM; exits 77 when qemu or the packages are missing
#   vm_guest SCRIPT [TIMEOUT]   runs tests/e2e/vm/SCRIPT in the VM with IKEGATE (and
#                     $VM_RESULTS/ikegate-xfrm, a wrapper that forces `run --dataplane xfrm`)
#                     in $VM_RESULTS/env; prints the guest's output; returns its status
#                     (77: qemu cannot run here)
#   vm_check SCRIPT TIMEOUT WHAT   vm_guest, then check "WHAT" passed; exits 77 when qemu cannot run
#   vm_guest_several TIMEOUT SCRIPT...   runs several guest scripts one after the other in one
#                     boot (tests/e2e/vm/several.sh); returns the sum of their statuses
#   vm_cleanup        removes the results directory (call it from the EXIT trap)

VM_RESULTS=$(mktemp -d)
VM_DIR=

vm_prepare() {
  if ! command -v qemu-system-x86_64 >/dev/null; then
    echo "SKIP: qemu-system-x86_64 is not installed (scripts/deps.sh installs qemu-system-x86)"
    exit 77
  fi
  local status=0
  VM_DIR=$(bash scripts/vm/build.sh) || status=$?
  if [ "$status" = 77 ]; then
    echo "SKIP: the VM's Debian packages cannot be downloaded here"
    exit 77
  fi
  [ "$status" = 0 ] || { echo "FAIL - building the VM (scripts/vm/build.sh: status $status)"; exit 1; }
  echo "VM: kernel $(cat "$VM_DIR/kernel-version")"
  cat >"$VM_RESULTS/ikegate-xfrm" <<WRAP
#!/bin/bash
if [ "\${1:-}" = run ]; then shift; exec "$IKEGATE" run --dataplane xfrm "\$@"; fi
exec "$IKEGATE" "\$@"
WRAP
  chmod 755 "$VM_RESULTS/ikegate-xfrm"
  # The guest scripts read it: the binary under test, and the peers the VM directory holds.
  printf 'IKEGATE=%s\nLS_ROOT=%s\n' "$IKEGATE" "$VM_DIR/libreswan" >"$VM_RESULTS/env"
}

vm_guest() {
  local script=$1 limit=${2:-240} start=$SECONDS status=0
  bash scripts/vm/run.sh --timeout "$limit" --vm-dir "$VM_DIR" "$(pwd)/tests/e2e/vm/$script" "$VM_RESULTS" ||
    status=$?
  echo "VM run ($script): $((SECONDS - start)) s, status $status"
  sed 's/^/  | /' "$VM_RESULTS/guest.log" 2>/dev/null
  [ "$status" = 0 ] || [ "$status" = 77 ] || tail -n 20 "$VM_RESULTS/console.log" 2>/dev/null
  return "$status"
}

vm_check() {
  local status=0
  vm_guest "$1" "$2" || status=$?
  [ "$status" = 77 ] && { echo "SKIP: qemu cannot run here"; exit 77; }
  check "$3 (guest status $status)" test "$status" = 0
}

vm_guest_several() {
  local limit=$1
  shift
  printf '%s\n' "$@" >"$VM_RESULTS/plan"
  vm_guest several.sh "$limit"
}

vm_cleanup() { rm -rf "$VM_RESULTS"; }
