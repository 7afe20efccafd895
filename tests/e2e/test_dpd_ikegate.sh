#!/bin/bash
# Liveness and deletion between two ikegate daemons (the seed's ASA1/ASA2 tunnel, DPD at the
# ASA default of 10 s idle and 2 s retries):
#   a. ASA2 (the responder) killed with -9 and restarted at once; traffic from behind it makes
#      it initiate with INITIAL_CONTACT, and ASA1 drops the stale SA (one IKE SA, new SPI)
#   b. ASA1 killed for good: ASA2's DPD removes the SA within 10-25 s
#   c. Delete notifications: `clear crypto ipsec sa` on ASA2 removes the CHILD SAs on ASA1 and
#      keeps the IKE SA; `clear crypto ikev2 sa` on ASA1 removes everything on ASA2
#
# Usage: test_dpd_ikegate.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
trap topo_down EXIT INT TERM
CFG=tests/e2e/configs

start() { gw_start "$1" "$(gw_ns "$1")" "$CFG/$1.cfg" --debug-protocol 3 --debug-platform 3; }
ike_count() { gw "$1" show crypto ikev2 sa | grep -c 'READY'; }
no_ike() { test "$(ike_count "$1")" = 0; }
one_ike() { test "$(ike_count "$1")" = 1; }
children() { gw "$1" show crypto ipsec sa | grep -c '^ *spi: 0x'; }
ike_spi() { gw "$1" show crypto ikev2 sa detail | sed -n 's/.*Local spi: *\([0-9A-F]*\).*/\1/p' | head -1; }
received() { ip netns exec "$1" ping -n -q -c "$4" -i 0.2 -W 2 -I "$2" "$3" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }

topo_up
CASE=setup
check "ASA1 starts" start asa1
check "ASA2 starts" start asa2
check "traffic from 192.168.1.1 brings the tunnel up" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" = 3

CASE=a-asa2-restarted
old=$(ike_spi asa1)
gw_stop asa2 KILL
check "ASA2 restarts after kill -9" start asa2
check "traffic from 192.168.2.99 makes ASA2 initiate; the pings pass" \
  test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 4)" -ge 3
check "ASA1: exactly one IKE SA, with a new SPI ($old -> $(ike_spi asa1))" \
  wait_for 5 eval 'one_ike asa1 && [ "$(ike_spi asa1)" != "$old" ]'
check "ASA1's log: the stale SA removed on INITIAL_CONTACT" \
  grep -q "removed: INITIAL_CONTACT from the peer" "$RUN_DIR/asa1.log"
check "ASA1: one CHILD SA pair (the stale one gone)" test "$(children asa1)" = 2
check "pings from 192.168.1.1 pass on the new SA" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" = 3

CASE=b-asa2-dpd
gw_stop asa1 KILL
t=$(elapsed_until 35 no_ike asa2)
echo "     | ASA2 removed the dead peer's IKE SA after ${t:-more than 35} s"
check "ASA2's DPD removes the SA within 10-25 s of the kill (${t:-none})" between "$t" 10 25
check "ASA2's log: DPD: peer 10.0.0.1 did not answer" grep -q "DPD: peer 10.0.0.1 did not answer" "$RUN_DIR/asa2.log"
check "ASA2: no CHILD SA left" test "$(children asa2)" = 0

CASE=c-delete
check "ASA1 restarts" start asa1
check "both host pairs bring their CHILD SAs up" \
  test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 2)$(received "$NS_H1" 192.168.1.12 192.168.2.99 2)" = 22
check "two CHILD SA pairs on each side" test "$(children asa1) $(children asa2)" = "4 4"
gw asa2 clear crypto ipsec sa >/dev/null
check "ASA2's clear crypto ipsec sa: ASA1 removes both CHILD SAs" wait_for 5 eval 'test "$(children asa1)" = 0'
check "... and both keep the IKE SA" test "$(ike_count asa1) $(ike_count asa2)" = "1 1"
check "traffic brings a CHILD SA back on the same IKE SA" \
  test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" -ge 2 -a "$(ike_count asa1)" = 1
gw asa1 clear crypto ikev2 sa >/dev/null
check "ASA1's clear crypto ikev2 sa: ASA2 removes the IKE SA" wait_for 5 no_ike asa2
check "... and its CHILD SAs" test "$(children asa2)" = 0

if [ "$FAILS" -ne 0 ]; then
  echo "--- ASA1 log"; tail -n 60 "$RUN_DIR/asa1.log"
  echo "--- ASA2 log"; tail -n 60 "$RUN_DIR/asa2.log"
fi
# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
