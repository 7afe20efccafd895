#!/bin/bash
# Runs inside the test VM (tests/e2e/test_xfrm_vm_nat.sh): NAT traversal (RFC 7296 2.23,
# RFC 3948) on the kernel XFRM data plane, both daemons forced onto `--dataplane xfrm`: the
# seed's tunnel with ASA1 behind a port-rewriting NAT (tests/e2e/lib/asa_l2l_nat.sh). The kernel
# encapsulates ESP in UDP from the daemon's 4500 socket (UDP_ENCAP_ESPINUDP) to the NAT's
# rewritten port (the SA's encap template) and decapsulates what arrives on it. What crosses
# the NAT is counted by nftables counters in the NAT namespace (not a capture: tshark loads
# every dissector first, which takes most of a minute per run in the emulated guest; the
# capture-based checks, keepalives included, run on the host's own kernel in
# test_nat_traversal_ikegate.sh). Prints ok/FAIL lines; the exit status is the number of failures.
set -u
# shellcheck disable=SC1091
source "$VM_RESULTS/env"
cd "$(dirname "$0")/../../.."
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/check.sh
source tests/e2e/lib/nat.sh
source tests/e2e/vm/lib.sh
source tests/e2e/lib/asa_l2l_nat.sh
trap topo_down EXIT INT TERM
nat_count() {  # nat_count NAME: packets the NAT's counting rules commented NAME saw (summed)
  ip netns exec "$NS_NAT" nft list chain ip vmcount forward |
    awk -v n="\"$1\"" '$0 ~ "comment " n { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}
encap_of() {  # encap_of NETNS: the encap lines of ikegate's ESP states
  ip -n "$1" xfrm state list nokeys | grep -A12 'reqid 12293' | grep 'encap type' | sort -u
}

CASE=vm-nat
check "topology with a NAT between the gateways" topo_up
# What crosses the NAT in either direction: raw ESP (IP protocol 50) and UDP to/from 4500
# (rule counters: named counter objects need a module the VM does not load).
ip netns exec "$NS_NAT" nft -f - <<'NFT'
table ip vmcount {
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    meta l4proto esp counter comment "esp_raw"
    udp dport 4500 counter comment "udp4500"
    udp sport 4500 counter comment "udp4500"
  }
}
NFT
nat_config tests/e2e/configs/asa1.cfg "$RUN_DIR/asa1-nat.cfg"
check "ASA1 (behind the NAT) starts on --dataplane xfrm" gw_start asa1 "$NS_ASA1" "$RUN_DIR/asa1-nat.cfg" --dataplane xfrm
check "ASA2 starts on --dataplane xfrm" gw_start asa2 "$NS_ASA2" tests/e2e/configs/asa2.cfg --dataplane xfrm
check "ping 192.168.1.1 -> 192.168.2.99 through the NAT (brings the tunnel up)" \
  within 30 'test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" = 3'
check "ping 192.168.2.99 -> 192.168.1.1 (ASA2 sends to the NAT's mapping)" \
  test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 5)" = 5
check "ASA1 (behind the NAT): NAT-T is detected inside" \
  contains "$(gw asa1 show crypto ikev2 sa detail)" "NAT-T is detected inside"
check "ASA2 (peer behind the NAT): NAT-T is detected outside" \
  contains "$(gw asa2 show crypto ikev2 sa detail)" "NAT-T is detected outside"
sa2=$(gw asa2 show crypto ikev2 sa)
peer_port=$(sed -n 's/.* 10.0.0.2\/4500 *10.0.0.1\/\([0-9]*\) *READY.*/\1/p' <<<"$sa2")
check "ASA2: the IKE SA follows the NAT's port (10.0.0.1/$peer_port)" \
  test -n "$peer_port" -a "${peer_port:-0}" -ge 20000 -a "${peer_port:-0}" -le 29999
enc1=$(encap_of "$NS_ASA1")
enc2=$(encap_of "$NS_ASA2")
echo "   ASA1: $enc1"
echo "   ASA2: $enc2"
check "ASA1's kernel SAs are ESP-in-UDP 4500 <-> 4500" contains "$enc1" "encap type espinudp sport 4500 dport 4500"
check "ASA2's kernel SAs go to the NAT's rewritten port $peer_port" \
  contains "$enc2" "encap type espinudp sport 4500 dport $peer_port"
check "ASA2's kernel SAs come from it too" contains "$enc2" "encap type espinudp sport $peer_port dport 4500"
check "ASA1: show counters equal ip -s xfrm state" counters_match asa1 "$NS_ASA1"
check "ASA2: show counters equal ip -s xfrm state" counters_match asa2 "$NS_ASA2"
esp_raw=$(nat_count esp_raw)
udp=$(nat_count udp4500)
echo "   across the NAT: raw ESP $esp_raw, UDP 4500 $udp"
check "no ESP as IP protocol 50 crossed the NAT" test "$esp_raw" = 0
check "ESP in UDP 4500 crossed it: the 8 pings and their replies at least" test "$udp" -ge 16
gw_stop asa1 TERM
gw_stop asa2 TERM
check "both stopped: nothing of ikegate's left" test -z "$(ours "$NS_ASA1")$(ours "$NS_ASA2")"

guest_finish
