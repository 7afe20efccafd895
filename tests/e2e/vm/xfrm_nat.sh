#!/bin/bash
# Runs inside the test VM (tests/e2e/test_xfrm_vm_nat.sh): the NAT traversal end-to-end test with
# both daemons on `--dataplane xfrm` (the wrapper in $VM_RESULTS forces it, so a daemon that
# cannot run the kernel data plane fails to start instead of falling back).
set -u
# shellcheck disable=SC1091
source "$VM_RESULTS/env"
cd "$(dirname "$0")/../../.."
timeout 220 bash tests/e2e/test_nat_traversal_ikegate.sh "$VM_RESULTS/ikegate-xfrm"
