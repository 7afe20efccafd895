#!/bin/bash
# The two data planes side by side in the VM of scripts/vm (Debian's stock kernel under qemu
# with TCG emulation, one emulated CPU): the userspace ESP backend (TUN device + ikegate's own
# ESP) and the kernel's ESP programmed over XFRM, each in the seed's ASA1/ASA2 tunnel
# (AES-256-CBC / HMAC-SHA1-96, IKEv2 with MODP-1024) between h1 and h2:
#
#  1. Set-up latency: `clear crypto ikev2 sa` on both gateways, then one ping whose echo
#     request triggers the negotiation (ACQUIRE on xfrm, the TUN's queue on userspace); its
#     round-trip time is IKE_SA_INIT + IKE_AUTH + the queued request and its reply. SETUPS runs,
#     median and max.
#  2. Throughput: iperf3 TCP h1 -> h2 for DURATION seconds, ROUNDS runs, median; and a
#     bounded ping flood (ping -f -c FLOOD -s 1400) for the packet rate and loss.
#
# Everything runs inside one emulated CPU, so only the ratio between the backends means
# something: absolute numbers are tens of times below the host's (bench/README.md).
#
# Usage (as root):  bench/xfrm_vm_bench.sh [path/to/ikegate]      (default build/ikegate)
# Environment:      SETUPS=5 ROUNDS=3 DURATION=8 FLOOD=2000 RESULTS=DIR (kept)
set -u
[ "$(id -u)" = 0 ] || { echo "xfrm_vm_bench: needs root" >&2; exit 1; }
cd "$(dirname "$0")/.."
IKEGATE_ARG=${1:-build/ikegate}
[ -x "$IKEGATE_ARG" ] || { echo "xfrm_vm_bench: no ikegate binary at $IKEGATE_ARG" >&2; exit 1; }
IKEGATE=$(cd "$(dirname "$IKEGATE_ARG")" && pwd)/$(basename "$IKEGATE_ARG")
export SETUPS=${SETUPS:-5} ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-8} FLOOD=${FLOOD:-2000}
IKEGATE_DEPS_EXTRA="iperf3" bash scripts/deps.sh || exit 1
source tests/e2e/vm/host.sh
vm_prepare
keep=${RESULTS:-}
printf 'SETUPS=%s\nROUNDS=%s\nDURATION=%s\nFLOOD=%s\n' "$SETUPS" "$ROUNDS" "$DURATION" "$FLOOD" >>"$VM_RESULTS/env"
status=0
bash scripts/vm/run.sh --timeout 900 --vm-dir "$VM_DIR" "$(pwd)/bench/vm_backends.sh" "$VM_RESULTS" || status=$?
cat "$VM_RESULTS/guest.log"
if [ -n "$keep" ]; then mkdir -p "$keep" && cp -r "$VM_RESULTS"/. "$keep"/; fi
vm_cleanup
exit "$status"
