#!/bin/bash
# IKEv2 fragmentation (RFC 7383) against a real strongSwan on the ios-strongswan-ikev1-ikev2
# pair. ikegate runs with `crypto ikev2 fragmentation mtu 200`, strongSwan with
# `fragmentation = yes` and fragment_size 400, and strongSwan proposes 40 local traffic
# selectors, so its IKE_AUTH request is well above both sizes:
#   a. strongSwan initiates: its fragmented IKE_AUTH is reassembled by ikegate, which narrows
#      the selectors to its ACL and answers in fragments of at most 200 octets
#   b. ikegate initiates: its IKE_AUTH request goes out in fragments, strongSwan reassembles it
# Checked: IKEV2_FRAGMENTATION_SUPPORTED in both IKE_SA_INIT messages, SKF payloads (type 53)
# on the wire in both directions with no IP datagram above the configured sizes, charon's log of
# the fragments it sent and reassembled, the SA up and pings through it.
#
# Usage: test_fragmentation_strongswan.sh path/to/ikegate   (as root; skips without strongSwan
# or tshark)
set -u
PRELUDE_NEEDS=strongswan source "$(dirname "$0")/lib/prelude.sh"
command -v tshark >/dev/null || { echo "SKIP: tshark is not installed (scripts/deps.sh installs it)"; exit 77; }
source tests/e2e/lib/nat.sh
trap 'cap_stop; topo_down' EXIT INT TERM

r1() { gw "r1-$CASE" "$@"; }
ike_ready() { r1 show crypto ikev2 sa | grep -q READY; }
sw_established() { sw_list_sas sw | grep -q ESTABLISHED && sw_list_sas sw | grep -q INSTALLED; }
# 40 selectors: the real inside network first, then 39 networks that exist nowhere.
many_ts() {
  local out=192.168.2.0/24 i
  for i in $(seq 1 39); do out+=",10.$i.0.0/16"; done
  echo "$out"
}

# run_case NAME INITIATOR(sw|r1)
run_case() {
  local name=$1 who=$2
  CASE=$name
  local sw=$RUN_DIR/sw-$name cap=$RUN_DIR/$name.pcap cfg=$RUN_DIR/r1-$name.cfg log=$RUN_DIR/r1-$name.log
  mkdir -p "$sw"
  sw_write_strongswan_conf "$sw" "ike 2, cfg 1, chd 1, knl 1, net 2, enc 2, esp 1"
  # A second charon section merges into the first: strongSwan's own fragment size.
  printf 'charon {\n  fragment_size = 400\n}\n' >>"$sw/strongswan.conf"
  sw_conf "$sw" local_ts="$(many_ts)" conn_extra="fragmentation = yes"
  ios_conf "$cfg" '$a crypto ikev2 fragmentation mtu 200'
  check "capture between the gateways starts" cap_start "$NS_SW" out "$cap"
  check "ikegate starts with 'crypto ikev2 fragmentation mtu 200'" \
    gw_start "r1-$name" "$NS_R1" "$cfg" --debug-protocol 127
  sw_start sw "$NS_SW" "$sw" && sw_load sw
  if [ "$who" = sw ]; then
    check "swanctl --initiate with 40 local selectors succeeds" sw_initiate sw ciscoios >/dev/null
  else
    check "traffic from 192.168.1.10 brings the tunnel up" \
      test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" -ge 2
  fi
  check "ikegate: IKE SA READY" wait_for 5 ike_ready
  check "strongSwan: IKE SA ESTABLISHED, CHILD SA INSTALLED" wait_for 5 sw_established
  check "ping 192.168.1.10 -> 192.168.2.10" test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" = 3
  check "ping 192.168.2.10 -> 192.168.1.10" test "$(ping_h "$NS_H2" 192.168.2.10 192.168.1.10 3)" = 3
  check "ikegate: Fragmentation configured." contains "$(r1 show crypto ikev2 sa detailed)" "Fragmentation configured."
  cap_stop
  local sup_i sup_r skf_from_r1 skf_from_sw big_r1 big_sw
  sup_i=$(cap_count "$cap" 'isakmp.exchangetype == 34 && isakmp.notify.msgtype == 16430 && isakmp.flag_r == 0')
  sup_r=$(cap_count "$cap" 'isakmp.exchangetype == 34 && isakmp.notify.msgtype == 16430 && isakmp.flag_r == 1')
  skf_from_r1=$(cap_count "$cap" 'ip.src == 172.16.10.1 && isakmp.nextpayload == 53')
  skf_from_sw=$(cap_count "$cap" 'ip.src == 172.16.10.2 && isakmp.nextpayload == 53')
  big_r1=$(cap_count "$cap" 'ip.src == 172.16.10.1 && isakmp.nextpayload == 53 && ip.len > 200')
  big_sw=$(cap_count "$cap" 'ip.src == 172.16.10.2 && isakmp.nextpayload == 53 && ip.len > 400')
  echo "     | capture: FRAGMENTATION_SUPPORTED request/response $sup_i/$sup_r; SKF datagrams from ikegate $skf_from_r1 (above 200: $big_r1), from strongSwan $skf_from_sw (above 400: $big_sw)"
  check "IKEV2_FRAGMENTATION_SUPPORTED in both IKE_SA_INIT messages" test "$sup_i" -ge 1 -a "$sup_r" -ge 1
  check "ikegate sent its IKE_AUTH message in fragments (SKF, type 53)" test "$skf_from_r1" -ge 2
  check "ikegate's fragments fit the configured 200 octets" test "$big_r1" = 0
  if [ "$who" = sw ]; then
    check "strongSwan sent its IKE_AUTH request in fragments" test "$skf_from_sw" -ge 2
    check "charon's log: it split its IKE_AUTH request" \
      grep -q "splitting IKE message (.*) into [0-9]* fragments" "$sw/charon.log"
    check "charon's log: it reassembled ikegate's fragmented response" \
      grep -q "reassembled fragmented IKE message" "$sw/charon.log"
    check "ikegate narrowed the 40 selectors to its ACL" \
      contains "$(r1 show crypto ipsec sa)" "remote ident (addr/mask/prot/port): (192.168.2.0/255.255.255.0/0/0)"
  else
    check "charon's log: it reassembled ikegate's fragmented request" \
      grep -q "reassembled fragmented IKE message" "$sw/charon.log"
  fi
  if [[ " $FAILED_CASES " == *" $name "* ]]; then
    dump_logs "$log" "$sw/charon.log" 80
    tshark -n -r "$cap" 2>/dev/null | grep -v ICMPv6 | head -30
  fi
  gw_stop "r1-$name"
  sw_stop sw
}

topo_up || { echo "FAIL: topology"; exit 1; }
run_case a-strongswan-initiates sw
run_case b-ikegate-initiates r1
# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
