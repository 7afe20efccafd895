#!/bin/bash
# IKEv1 NAT traversal between two ikegate daemons (RFC 3947, RFC 3948): ASA1 and ASA2 with static
# IKEv1 crypto maps (tests/e2e/configs/asa{1,2}-ikev1.cfg), ASA1 behind a NAT router that
# masquerades it as 10.0.0.1 and rewrites UDP source ports (lib/asa_l2l_nat.sh).
# Checked: Main Mode starts on 500 and moves to 4500 at MM5 (RFC 3947 4: once NAT-D shows a NAT),
# Quick Mode runs on 4500 only, ESP travels in UDP 4500 (never as IP protocol 50), ASA2 follows
# the NAT's rewritten port, pings pass both ways with equal counters on both sides, the CHILD SAs
# are NAT-T-encapsulated, and ASA1 (behind the NAT) sends NAT keepalives (RFC 3948 2.3), ASA2 none.
#
# Usage: test_ikev1_nat_traversal_ikegate.sh path/to/ikegate   (as root; skips without tshark)
set -u
source "$(dirname "$0")/lib/prelude.sh"
command -v tshark >/dev/null || { echo "SKIP: tshark is not installed (scripts/deps.sh installs it)"; exit 77; }
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/nat.sh
source tests/e2e/lib/asa_l2l_nat.sh
trap topo_down EXIT INT TERM
CASE=asa1-behind-nat

received() { ip netns exec "$1" ping -n -q -c "$4" -i 0.2 -W 2 -I "$2" "$3" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
counters() {  # "encaps decaps" summed over a gateway's IPsec SAs
  gw "$1" show crypto ipsec sa | awk '
    /#pkts encaps:/ { gsub(",", ""); e += $3 } /#pkts decaps:/ { gsub(",", ""); d += $3 }
    END { print e + 0, d + 0 }'
}
active() { gw "$1" show crypto isakmp sa | grep -q MM_ACTIVE; }

topo_up || { echo "FAIL: topology"; exit 1; }
nat_config tests/e2e/configs/asa1-ikev1.cfg "$RUN_DIR/asa1-nat.cfg"
CAP=$RUN_DIR/nat-public.pcap
check "capture on the NAT's public side starts" cap_start "$NS_NAT" pub "$CAP"
check "ASA1 (behind the NAT) starts" gw_start asa1 "$NS_ASA1" "$RUN_DIR/asa1-nat.cfg" --debug-protocol 5
check "ASA2 starts" gw_start asa2 "$NS_ASA2" tests/e2e/configs/asa2-ikev1.cfg --debug-protocol 5
UP_AT=$SECONDS

check "ping 192.168.1.1 -> 192.168.2.99 through the NAT brings the tunnel up (>= 4 of 5)" \
  test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 5)" -ge 4
check "ASA1: MM_ACTIVE" wait_for 5 active asa1
check "ASA2: MM_ACTIVE" wait_for 5 active asa2
read -r e1 d1 <<<"$(counters asa1)"
read -r e2 d2 <<<"$(counters asa2)"
check "ping 192.168.2.99 -> 192.168.1.1 (ASA2 sends to the NAT's mapping)" \
  test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 5)" = 5
read -r e1b d1b <<<"$(counters asa1)"
read -r e2b d2b <<<"$(counters asa2)"
check "the 5 pings from h2 and their replies: ASA2 encaps +5 ($e2 -> $e2b), ASA1 decaps +5, encaps +5" \
  test $((e2b - e2)) = 5 -a $((d1b - d1)) = 5 -a $((e1b - e1)) = 5 -a $((d2b - d2)) = 5
check "each side decapsulated what the other encapsulated ($e1b/$d2b, $e2b/$d1b)" \
  test "$e1b" = "$d2b" -a "$e2b" = "$d1b"

ipsec1=$(gw asa1 show crypto ipsec sa)
ipsec2=$(gw asa2 show crypto ipsec sa)
check "ASA1: the IPsec SAs are NAT-T-Encaps" contains "$ipsec1" "NAT-T-Encaps"
check "ASA2: the IPsec SAs are NAT-T-Encaps" contains "$ipsec2" "NAT-T-Encaps"
peer_port=$(sed -n 's/.*remote crypto endpt\.: 10\.0\.0\.1\/\([0-9]*\).*/\1/p' <<<"$ipsec2" | head -1)
check "ASA2: remote crypto endpoint is the NAT's mapping 10.0.0.1/$peer_port (20000-29999)" \
  test -n "$peer_port" -a "${peer_port:-0}" -ge 20000 -a "${peer_port:-0}" -le 29999
check "ASA1: local crypto endpoint 192.168.100.1/4500 (its own address, not the NAT's)" \
  contains "$ipsec1" "local crypto endpt.: 192.168.100.1/4500"

# NAT keepalives: ASA1 (behind the NAT) sends one every 20 s once the SA is up.
sleep $((UP_AT + 23 - SECONDS > 0 ? UP_AT + 23 - SECONDS : 0))
check "ping after the keepalive interval still passes (mapping kept open)" \
  test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 2)" = 2
cap_stop

# What crossed the NAT's public side, as tshark decodes it (exchange types: 2 Main Mode,
# 32 Quick Mode).
# The NAT rewrites ASA1's source ports, so each message has 500 or 4500 on one side only.
mm500=$(cap_count "$CAP" 'udp.port == 500 && isakmp.version == 0x10 && isakmp.exchangetype == 2')
mm4500=$(cap_count "$CAP" 'udp.port == 4500 && isakmp.version == 0x10 && isakmp.exchangetype == 2')
qm500=$(cap_count "$CAP" 'udp.port == 500 && isakmp.exchangetype == 32')
qm4500=$(cap_count "$CAP" 'udp.port == 4500 && isakmp.exchangetype == 32')
esp_udp=$(cap_count "$CAP" 'udp.port == 4500 && esp')
esp_raw=$(cap_count "$CAP" 'ip.proto == 50')
keepalives=$(cap_count "$CAP" 'ip.src == 10.0.0.1 && udp.dstport == 4500 && udpencap.nat_keepalive')
echo "     | capture: Main Mode on 500: $mm500, on 4500: $mm4500; Quick Mode on 500: $qm500, on 4500: $qm4500;" \
  "ESP in UDP 4500: $esp_udp, raw ESP: $esp_raw, keepalives from the NAT: $keepalives"
check "Main Mode 1-4 on port 500 (4 messages)" test "$mm500" = 4
check "Main Mode 5-6 on port 4500 (2 messages)" test "$mm4500" = 2
check "one Quick Mode (3 messages), only on 4500" test "$qm4500" = 3 -a "$qm500" = 0
check "ESP in UDP 4500: the pings and their replies" test "$esp_udp" -ge 20
check "no ESP as IP protocol 50" test "$esp_raw" = 0
check "NAT keepalives (one 0xFF octet) from ASA1 through the NAT" test "$keepalives" -ge 1
check "ASA2 never sends keepalives (it is not behind a NAT)" \
  test "$(cap_count "$CAP" 'ip.src == 10.0.0.2 && udpencap.nat_keepalive')" = 0

if [ "$FAILS" -ne 0 ]; then
  echo "$ipsec1" | sed 's/^/     | asa1# /'
  echo "$ipsec2" | sed 's/^/     | asa2# /'
  echo "--- ASA1 log"; tail -n 60 "$RUN_DIR/asa1.log"
  echo "--- ASA2 log"; tail -n 60 "$RUN_DIR/asa2.log"
  tshark -n -r "$CAP" 2>/dev/null | head -40
fi
# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
