#!/bin/bash
# Runs inside the test VM (Debian's stock kernel, which has ESP), started by
# tests/e2e/test_xfrm_vm_strongswan.sh: ikegate on `--dataplane xfrm` against a real strongSwan
# (Debian's charon) on its normal kernel data plane (kernel-netlink, no kernel-libipsec), IKEv2
# and IKEv1, each side initiating (the cases of tests/e2e/vm/interop.sh).
# Prints ok/FAIL lines; the exit status is the number of failures.
set -u
# shellcheck disable=SC1091
source "$VM_RESULTS/env"
cd "$(dirname "$0")/../../.."
# Temporary files not under /run (the guest's TMPDIR): charon gets a /run of its own, which
# would hide them from it.
export TMPDIR=/dev/shm
source tests/interop/lib/strongswan.sh
# charon's own kernel data plane: XFRM netlink (kernel-netlink), no kernel-libipsec.
SW_PLUGINS="random nonce openssl pem pkcs1 x509 pubkey curve25519 aes sha1 sha2 hmac gcm kdf \
kernel-netlink socket-default vici"
source tests/interop/lib/ios_strongswan_topo.sh
source tests/interop/lib/ios_strongswan_conf.sh
source tests/e2e/lib/check.sh
PEER=strongSwan
peer_start() {  # CASE VERSION
  local dir=$RUN_DIR/sw-${1%%-*}
  mkdir -p "$dir"
  sw_write_strongswan_conf "$dir" "ike 1, cfg 1, chd 1, knl 2, net 1, enc 0"
  # Emulation is slow: more patience before charon gives up on a request than on a host.
  sed -i -e 's/retransmit_tries = .*/retransmit_tries = 5/' -e 's/retransmit_timeout = .*/retransmit_timeout = 3.0/' \
    "$dir/strongswan.conf"
  sw_conf "$dir" && sed -i "s/version = 2/version = $2/" "$dir/swanctl.conf" &&
    sw_start sw "$NS_SW" "$dir" && sw_load sw
}
peer_initiate() { sw_initiate sw ciscoios; }
peer_up() {
  local sas
  sas=$(sw_list_sas sw)
  grep -q "ESTABLISHED, IKEv$1" <<<"$sas" && grep -q "INSTALLED, TUNNEL" <<<"$sas"
}
peer_stop() { sw_stop_all; }
peer_log() { echo "$RUN_DIR/sw-${1%%-*}/charon.log"; }
source tests/e2e/vm/interop.sh
trap topo_down EXIT INT TERM
echo "peer: $(sw_version)"

run_all_cases
