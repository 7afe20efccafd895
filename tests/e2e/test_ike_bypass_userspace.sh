#!/bin/bash
# IKE and ESP bypass the userspace data plane's own policies: the crypto ACL of the seed's
# ASA1/ASA2 IKEv1 tunnel (tests/e2e/configs/asa{1,2}-ikev1.cfg) gets a second line that covers
# the gateways themselves (host 10.0.0.1 <-> host 10.0.0.2), so the policy rules would steer the
# daemon's own UDP 500/4500 and ESP packets into its TUN device. They carry the data plane's
# fwmark instead, which the bypass rule sends to the main table:
#   - Main Mode and Quick Mode complete, pings between the hosts pass both ways;
#   - a ping between the gateways raises a second IPsec SA pair and is carried in it;
#   - after `clear crypto ipsec sa` the next ping renegotiates (IKE between the gateways still
#     gets through) and the new gateways' SA counts only the pings.
#
# Usage: test_ike_bypass_userspace.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/ikev1_l2l.sh
trap topo_down EXIT INT TERM

# covering_config NAME PEER_SELF PEER_OTHER: the IKEv1 configuration with the gateways' line.
covering_config() {
  local name=$1 me=$2 peer=$3
  sed "/^access-list l2l_list /a access-list l2l_list extended permit ip host $me host $peer" \
    "tests/e2e/configs/$name-ikev1.cfg" >"$RUN_DIR/$name-cover.cfg"
}
# encaps_to NAME PEER: '#pkts encaps' of the SA pair whose remote ident is host PEER
encaps_to() {
  gw "$1" show crypto ipsec sa | awk -v p="$2/255.255.255.255" '
    /remote ident/ { mine = index($0, p) > 0 }
    mine && /#pkts encaps:/ { v = $3; sub(/,/, "", v); print v; exit }'
}

# pings_pass NS SRC DST COUNT: every echo answered
pings_pass() { test "$(received "$@")" = "$4"; }

topo_up
covering_config asa1 10.0.0.1 10.0.0.2
covering_config asa2 10.0.0.2 10.0.0.1

CASE=start
check "ASA1 starts (crypto ACL covers the gateways)" gw_start asa1 "$NS_ASA1" "$RUN_DIR/asa1-cover.cfg"
check "ASA2 starts (crypto ACL covers the gateways)" gw_start asa2 "$NS_ASA2" "$RUN_DIR/asa2-cover.cfg"
check "ASA1 runs the userspace data plane" grep -q "data plane userspace" "$RUN_DIR/asa1.log"

CASE=hosts
check "ping 192.168.1.1 -> 192.168.2.99 brings the tunnel up (IKE bypassed the policies)" \
  wait_for 30 pings_pass "$NS_H1" 192.168.1.1 192.168.2.99 2
check "ping 192.168.2.99 -> 192.168.1.1 from the other side" \
  test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 3)" = 3
check "ASA1: one ISAKMP SA in MM_ACTIVE" test "$(active_count asa1)" = 1

CASE=gateways
check "ping 10.0.0.1 -> 10.0.0.2 (the gateways) raises a second IPsec SA pair" \
  wait_for 30 pings_pass "$NS_ASA1" 10.0.0.1 10.0.0.2 2
check "ASA1: two IPsec SA pairs (hosts and gateways)" test "$(ipsec_count asa1)" = 4
check "ASA1: the gateways' pings were encapsulated in their SA" test "$(encaps_to asa1 10.0.0.2)" -ge 2
gw asa1 clear crypto ipsec sa peer 10.0.0.2 >/dev/null
check "cleared: the next pings renegotiate (IKE between the gateways gets through)" \
  wait_for 30 pings_pass "$NS_ASA1" 10.0.0.1 10.0.0.2 3
after=$(encaps_to asa1 10.0.0.2)
echo "     | the new gateways' outbound SA counted $after packets"
check "the new gateways' SA counted only pings (<= 3 packets), no IKE" test -n "$after" -a "${after:-99}" -le 3
check "traffic between the hosts still passes" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" = 3

check_summary || { tail -n 40 "$RUN_DIR/asa1.log" "$RUN_DIR/asa2.log"; exit 1; }
