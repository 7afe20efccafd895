#!/bin/bash
# NAT traversal between two ikegate daemons (RFC 7296 2.23, RFC 3948): the seed's ASA1/ASA2
# tunnel with ASA1 moved behind a NAT router that masquerades it as 10.0.0.1 (the address
# ASA2's configuration knows) and rewrites UDP source ports:
#
#   h1 -- asa1 (inside 192.168.1.2, outside 192.168.100.1)
#          -- nat (192.168.100.254 | 10.0.0.1, nftables masquerade) --
#   asa2 (outside 10.0.0.2, inside 192.168.2.1) -- h2
#
# ASA1 is the gateway behind the NAT, ASA2 the one whose peer is behind it. Checked: both
# detect the NAT (show: "NAT-T is detected inside" on ASA1, "outside" on ASA2), IKE moves from
# 500 to 4500 after IKE_SA_INIT, ESP travels in UDP 4500 (never as IP protocol 50), ASA2 follows
# the NAT's rewritten ports, pings pass both ways with counters equal to them, and ASA1 sends
# NAT keepalives (every 20 s) that keep the mapping open. Then the NAT forgets its mappings
# and picks new ports: ASA2 follows ASA1's next authenticated message, IKE and ESP alike.
#
# Usage: test_nat_traversal_ikegate.sh path/to/ikegate   (as root; skips without tshark)
set -u
source "$(dirname "$0")/lib/prelude.sh"
command -v tshark >/dev/null || { echo "SKIP: tshark is not installed (scripts/deps.sh installs it)"; exit 77; }
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/nat.sh
source tests/e2e/lib/asa_l2l_nat.sh
CASE=asa1-behind-nat

trap topo_down EXIT INT TERM

received() { ip netns exec "$1" ping -n -q -c "$4" -i 0.2 -W 2 -I "$2" "$3" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
counters() {  # "encaps decaps" summed over a gateway's CHILD SAs
  gw "$1" show crypto ipsec sa | awk '
    /#pkts encaps:/ { gsub(",", ""); e += $3 } /#pkts decaps:/ { gsub(",", ""); d += $3 }
    END { print e + 0, d + 0 }'
}
ready() { gw "$1" show crypto ikev2 sa | grep -q READY; }

topo_up || { echo "FAIL: topology"; exit 1; }
nat_config tests/e2e/configs/asa1.cfg "$RUN_DIR/asa1-nat.cfg"
CAP=$RUN_DIR/nat-public.pcap
check "capture on the NAT's public side starts" cap_start "$NS_NAT" pub "$CAP"
check "ASA1 (behind the NAT) starts" gw_start asa1 "$NS_ASA1" "$RUN_DIR/asa1-nat.cfg" --debug-protocol 3
check "ASA2 starts with the seed's configuration" gw_start asa2 "$NS_ASA2" tests/e2e/configs/asa2.cfg --debug-protocol 3
UP_AT=$SECONDS

check "ping 192.168.1.1 -> 192.168.2.99 through the NAT (brings the tunnel up)" \
  test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 5)" = 5
check "ASA1: IKE SA READY" wait_for 5 ready asa1
check "ASA2: IKE SA READY" wait_for 5 ready asa2
check "ping 192.168.2.99 -> 192.168.1.1 (ASA2 sends to the NAT's mapping)" \
  test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 5)" = 5
read -r e1 d1 <<<"$(counters asa1)"
read -r e2 d2 <<<"$(counters asa2)"
check "ASA1 counters: encaps $e1 = decaps $d1 = 10 (the pings both ways)" test "$e1 $d1" = "10 10"
check "ASA2 counters: encaps $e2 = decaps $d2 = 10" test "$e2 $d2" = "10 10"

det1=$(gw asa1 show crypto ikev2 sa detail)
det2=$(gw asa2 show crypto ikev2 sa detail)
sa2=$(gw asa2 show crypto ikev2 sa)
ipsec1=$(gw asa1 show crypto ipsec sa)
ipsec2=$(gw asa2 show crypto ipsec sa)
echo "$sa2" | sed 's/^/     | /'
check "ASA1 (behind the NAT): NAT-T is detected inside" contains "$det1" "NAT-T is detected inside"
check "ASA2 (peer behind the NAT): NAT-T is detected outside" contains "$det2" "NAT-T is detected outside"
check "ASA1: the IKE SA runs on 192.168.100.1/4500 -> 10.0.0.2/4500" \
  contains "$(gw asa1 show crypto ikev2 sa)" "192.168.100.1/4500 *10.0.0.2/4500 *READY"
# The NAT rewrote ASA1's source ports: ASA2 talks to 10.0.0.1 on a port from 20000-29999.
peer_port=$(sed -n 's/.* 10.0.0.2\/4500 *10.0.0.1\/\([0-9]*\) *READY.*/\1/p' <<<"$sa2")
check "ASA2: the IKE SA follows the NAT's port (10.0.0.1/$peer_port, not 500 or 4500)" \
  test -n "$peer_port" -a "${peer_port:-0}" -ge 20000 -a "${peer_port:-0}" -le 29999
check "ASA1: the CHILD SAs are NAT-T-Encaps" \
  test "$(grep -c 'in use settings ={L2L, Tunnel, NAT-T-Encaps, }' <<<"$ipsec1")" -ge 2
check "ASA2: the CHILD SAs are NAT-T-Encaps" \
  test "$(grep -c 'in use settings ={L2L, Tunnel, NAT-T-Encaps, }' <<<"$ipsec2")" -ge 2
check "ASA2: remote crypto endpoint is the NAT's mapping 10.0.0.1/$peer_port" \
  contains "$ipsec2" "remote crypto endpt.: 10.0.0.1/$peer_port"

# NAT keepalives: ASA1 (behind the NAT) sends one every 20 s once the SA is up.
sleep $((UP_AT + 23 - SECONDS > 0 ? UP_AT + 23 - SECONDS : 0))
check "ping after the keepalive interval still passes (mapping kept open)" \
  test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 2)" = 2

# The NAT loses its mappings (conntrack flushed) and maps ASA1 to new ports (30000-39999).
# ASA2's ESP to the old mapping is dropped by the NAT; ASA1 hears nothing and its DPD goes out
# from the new mapping; ASA2 follows that authenticated message with the IKE SA and the CHILD
# SAs' ESP (RFC 7296 2.23), with no new negotiation.
CASE=nat-mapping-changed
spi_before=$(gw asa2 show crypto ikev2 sa detail | sed -n 's/.*Local spi: *\([0-9A-F]*\).*/\1/p' | head -1)
if command -v conntrack >/dev/null; then
  ip netns exec "$NS_NAT" nft -f - <<'EOF2'
flush chain ip natbox postrouting
add rule ip natbox postrouting oifname "pub" meta l4proto udp masquerade to :30000-39999
EOF2
  ip netns exec "$NS_NAT" conntrack -D -p udp >/dev/null 2>&1
  new_port() { gw asa2 show crypto ikev2 sa | sed -n 's/.* 10.0.0.2\/4500 *10.0.0.1\/\([0-9]*\) *READY.*/\1/p'; }
  moved() { p=$(new_port); test -n "$p" && test "$p" -ge 30000 -a "$p" -le 39999; }
  pings_back() { test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 1)" = 1; }
  t0=$SECONDS
  # ASA1's traffic keeps the new mapping busy; its DPD fires when nothing comes back.
  for i in $(seq 40); do received "$NS_H1" 192.168.1.1 192.168.2.99 1 >/dev/null; moved && break; sleep 0.5; done
  check "ASA2's IKE SA follows the new mapping (10.0.0.1/$(new_port)) within 40 s" moved
  echo "     | followed after $((SECONDS - t0)) s"
  check "ASA2 logs it" grep -q "NAT mapping changed" "$RUN_DIR/asa2.log"
  check "ping 192.168.2.99 -> 192.168.1.1 passes again" wait_for 10 pings_back
  check "then every ping passes both ways" \
    test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 3)$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" = 33
  check "ASA2: the CHILD SAs' remote crypto endpoint is the new mapping" \
    contains "$(gw asa2 show crypto ipsec sa)" "remote crypto endpt.: 10.0.0.1/$(new_port)"
  check "the same IKE SA (no new negotiation)" \
    test "$(gw asa2 show crypto ikev2 sa detail | sed -n 's/.*Local spi: *\([0-9A-F]*\).*/\1/p' | head -1)" = "$spi_before"
else
  echo "SKIP - $CASE: needs conntrack (scripts/deps.sh installs it)"
fi
CASE=capture
cap_stop

# What crossed the NAT's public side, as tshark decodes it.
init500=$(cap_count "$CAP" 'udp.dstport == 500 && isakmp.exchangetype == 34')
auth4500=$(cap_count "$CAP" 'udp.dstport == 4500 && isakmp.exchangetype == 35')
auth500=$(cap_count "$CAP" 'udp.dstport == 500 && isakmp.exchangetype == 35')
esp_udp=$(cap_count "$CAP" 'udp.port == 4500 && esp')
esp_raw=$(cap_count "$CAP" 'ip.proto == 50')
keepalives=$(cap_count "$CAP" 'ip.src == 10.0.0.1 && udp.dstport == 4500 && udpencap.nat_keepalive')
echo "     | capture: IKE_SA_INIT to 500: $init500, IKE_AUTH to 4500: $auth4500 (to 500: $auth500), ESP in UDP 4500: $esp_udp, raw ESP: $esp_raw, keepalives from the NAT: $keepalives"
check "IKE_SA_INIT on port 500" test "$init500" -ge 1
check "IKE_AUTH moved to port 4500 (none on 500)" test "$auth4500" -ge 1 -a "$auth500" = 0
check "ESP in UDP 4500: the 10 pings and their replies at least" test "$esp_udp" -ge 20
check "no ESP as IP protocol 50" test "$esp_raw" = 0
check "NAT keepalives (one 0xFF octet, RFC 3948 2.3) from ASA1 through the NAT" test "$keepalives" -ge 1
check "ASA2 never sends keepalives (it is not behind a NAT)" \
  test "$(cap_count "$CAP" 'ip.src == 10.0.0.2 && udpencap.nat_keepalive')" = 0

if [ "$FAILS" -ne 0 ]; then
  echo "--- ASA1 log"; tail -n 60 "$RUN_DIR/asa1.log"
  echo "--- ASA2 log"; tail -n 60 "$RUN_DIR/asa2.log"
  tshark -n -r "$CAP" 2>/dev/null | head -40
fi
# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
