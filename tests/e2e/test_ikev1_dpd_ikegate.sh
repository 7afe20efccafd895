#!/bin/bash
# IKEv1 liveness between two ikegate daemons (the seed's ASA1/ASA2 topology, static IKEv1 crypto
# maps: tests/e2e/configs/asa{1,2}-ikev1.cfg, DPD at the ASA default of 10 s idle, 2 s retries):
#   a. restart: ASA2 killed with -9 and started again; traffic from behind it makes it initiate
#      with INITIAL-CONTACT (RFC 2407 4.6.3.3); ASA1 drops the stale SAs (one ISAKMP SA, one
#      IPsec SA pair, new SPIs), pings pass both ways
#   b. dead peer: ASA2 killed with -9 for good; ASA1's DPD (RFC 3706: R-U-THERE, then retries)
#      removes the ISAKMP and IPsec SAs within 10-35 s, from show and from the data plane
#      (traffic from h1 then starts a new phase 1 instead of being encrypted on the dead SA)
#
# Usage: test_ikev1_dpd_ikegate.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/ikev1_l2l.sh
trap topo_down EXIT INT TERM
CFG=tests/e2e/configs

start() { gw_start "$1" "$(gw_ns "$1")" "$CFG/$1-ikev1.cfg" --debug-protocol 5; }

topo_up

CASE=a-restart
check "ASA1 starts" start asa1
check "ASA2 starts" start asa2
check "traffic from 192.168.1.1 brings the tunnel up" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 4)" -ge 3
old=$(in_spi asa1)
check "one ISAKMP SA, one IPsec SA pair on ASA1" test "$(active_count asa1) $(ipsec_count asa1)" = "1 2"
gw_stop asa2 KILL
check "ASA2 restarts after kill -9" start asa2
check "traffic from 192.168.2.99 makes ASA2 initiate; the pings pass" \
  test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 5)" -ge 3
check "ASA2 sent INITIAL-CONTACT; ASA1 removed the earlier incarnation's SAs" \
  wait_for 5 grep -q "Received INITIAL-CONTACT" "$RUN_DIR/asa1.log"
check "ASA1: exactly one ISAKMP SA and one IPsec SA pair, with a new inbound SPI ($old -> $(in_spi asa1))" \
  wait_for 5 eval 'test "$(isakmp_count asa1) $(ipsec_count asa1)" = "1 2" -a "$(in_spi asa1)" != "$old"'
check "pings 192.168.1.1 -> 192.168.2.99 pass on the new SAs" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 5)" = 5
check "pings 192.168.2.99 -> 192.168.1.1 pass" test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 3)" = 3
dump_on_failure

CASE=b-dead-peer
no_sa() { test "$(isakmp_count asa1) $(ipsec_count asa1)" = "0 0"; }
mm_before=$(log_count asa1 "IKE Initiator: New Phase 1")
# R-U-THERE is an Informational exchange: HASH + NOTIFY in the ASA's IKE_DECODE lines.
dpd_line='IKE_DECODE SENDING Message (msgid=[0-9a-f]*) with payloads : HDR + HASH (8) + NOTIFY (11)'
sent_before=$(grep -c "$dpd_line" "$RUN_DIR/asa1.log")
gw_stop asa2 KILL
t=$(elapsed_until 45 no_sa)
echo "     | ASA1 removed the dead peer's SAs after ${t:-more than 45} s"
check "ASA1's DPD removes the ISAKMP and IPsec SAs within 10-35 s of the kill (${t:-none})" between "$t" 10 35
check "ASA1's log: DPD: peer 10.0.0.2 not responding" grep -q "DPD: peer 10.0.0.2 not responding" "$RUN_DIR/asa1.log"
sent=$(( $(grep -c "$dpd_line" "$RUN_DIR/asa1.log") - sent_before ))
check "ASA1 sent R-U-THERE and its retries (4 unanswered: $sent) before giving up" test "$sent" -ge 4
ip netns exec "$NS_H1" ping -n -q -c 2 -W 1 -I 192.168.1.1 192.168.2.99 >/dev/null 2>&1
check "the data plane has no SA left: traffic from h1 starts a new phase 1" \
  wait_for 5 eval 'test "$(log_count asa1 "IKE Initiator: New Phase 1")" -gt "$mm_before"'
dump_on_failure

# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
