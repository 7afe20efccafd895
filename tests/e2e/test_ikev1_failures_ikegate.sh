#!/bin/bash
# IKEv1 failure cases between two ikegate daemons (the seed's ASA1/ASA2 topology, static IKEv1
# crypto maps: tests/e2e/configs/asa{1,2}-ikev1.cfg), as the IKEv2 suite has them:
#   a. wrong pre-shared key: each side logs a clear error, neither has an SA, no traffic passes,
#      and neither key appears in a log or a show output
#   b. phase-1 proposal mismatch (ASA2's policies share nothing with ASA1's, its 65535 included):
#      ASA2 refuses with NO-PROPOSAL-CHOSEN, ASA1 hears it; no SA
#   c. phase-2 proposal mismatch (ASA2's transform set differs): phase 1 completes, Quick Mode is
#      refused with NO-PROPOSAL-CHOSEN; no IPsec SA
# Restart and dead peer are in test_ikev1_dpd_ikegate.sh.
#
# Usage: test_ikev1_failures_ikegate.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/ikev1_l2l.sh
trap topo_down EXIT INT TERM
CFG=tests/e2e/configs
KEY=cisco123
WRONG=notcisco987

# start NAME CONFIG: a fresh gateway with an empty log.
start() {
  gw_stop "$1"
  : >"$RUN_DIR/$1.log"
  gw_start "$1" "$(gw_ns "$1")" "$2" --debug-protocol 5
}
variant() {  # variant NAME SED-EXPR...: ASA2's configuration edited
  local name=$1 args=() e
  shift
  for e in "$@"; do args+=(-e "$e"); done
  sed "${args[@]}" "$CFG/asa2-ikev1.cfg" >"$RUN_DIR/asa2-$name.cfg"
  echo "$RUN_DIR/asa2-$name.cfg"
}

topo_up

CASE=a-wrong-key
check "ASA1 starts" start asa1 "$CFG/asa1-ikev1.cfg"
check "ASA2 starts with another key" start asa2 "$(variant wrongkey "s/pre-shared-key $KEY/pre-shared-key $WRONG/")"
check "traffic from 192.168.1.1 gets no answer" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 4)" = 0
# ASA2 cannot decrypt Main Mode 5 (its keys come from another key) and cannot answer it;
# ASA1 retransmits it until it gives up (2+4+8+16+32 s: about a minute).
check "ASA2 (responder): problems decrypting Main Mode 5, probably due to mismatched pre-shared key" \
  wait_for 10 grep -q "probably due to mismatched pre-shared key" "$RUN_DIR/asa2.log"
check "ASA1 (initiator): PHASE 1 FAILED: no answer to Main Mode 5 (pre-shared key mismatch?)" \
  wait_for 75 grep -q "PHASE 1 FAILED: no answer from the peer to Main Mode 5 (pre-shared key mismatch?)" "$RUN_DIR/asa1.log"
check "no ISAKMP SA in MM_ACTIVE on either side" test "$(active_count asa1) $(active_count asa2)" = "0 0"
check "no IPsec SA on either side" test "$(ipsec_count asa1) $(ipsec_count asa2)" = "0 0"
shows="$(gw asa1 show crypto isakmp sa detail; gw asa2 show crypto isakmp sa detail; gw asa1 show running-config; gw asa2 show running-config)"
check "neither key in any log" bash -c "! grep -q -e '$KEY' -e '$WRONG' '$RUN_DIR/asa1.log' '$RUN_DIR/asa2.log'"
check "neither key in show crypto isakmp sa detail or show running-config" \
  bash -c "! grep -q -e '$KEY' -e '$WRONG' <<<\"\$1\"" _ "$shows"
grep -h -E "mismatch|FAILED" "$RUN_DIR/asa1.log" "$RUN_DIR/asa2.log" | sort -u | sed 's/^/     | /'
dump_on_failure

CASE=b-phase1-mismatch
# ASA2 offers and accepts only AES-128/SHA-256/group 5 (its own 65535 replaces the default one).
p1=$(variant p1 "s/^crypto ikev1 policy 10$/crypto ikev1 policy 65535/" "s/^ encryption aes-256$/ encryption aes/" \
  "s/^ hash sha$/ hash sha256/" "s/^ group 14$/ group 5/")
check "ASA1 restarts" start asa1 "$CFG/asa1-ikev1.cfg"
check "ASA2 starts with a disjoint isakmp policy" start asa2 "$p1"
check "traffic from 192.168.1.1 gets no answer" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" = 0
check "ASA2: All SA proposals found unacceptable: NO-PROPOSAL-CHOSEN" \
  wait_for 10 grep -q "NO-PROPOSAL-CHOSEN" "$RUN_DIR/asa2.log"
check "ASA1: the peer's NO-PROPOSAL-CHOSEN is logged" wait_for 10 grep -q "NO-PROPOSAL-CHOSEN" "$RUN_DIR/asa1.log"
check "no ISAKMP SA in MM_ACTIVE on either side" test "$(active_count asa1) $(active_count asa2)" = "0 0"
dump_on_failure

CASE=c-phase2-mismatch
p2=$(variant p2 "s/transform-set AES256-SHA esp-aes-256 esp-sha-hmac/transform-set AES256-SHA esp-3des esp-md5-hmac/")
check "ASA1 restarts" start asa1 "$CFG/asa1-ikev1.cfg"
check "ASA2 starts with another transform set" start asa2 "$p2"
check "traffic from 192.168.1.1 gets no answer" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" = 0
check "phase 1 completes on both sides" \
  wait_for 10 eval 'grep -q "PHASE 1 COMPLETED" "$RUN_DIR/asa1.log" && grep -q "PHASE 1 COMPLETED" "$RUN_DIR/asa2.log"'
check "ASA2 refuses Quick Mode: NO-PROPOSAL-CHOSEN" wait_for 10 grep -q "NO-PROPOSAL-CHOSEN" "$RUN_DIR/asa2.log"
check "ASA1: the peer's NO-PROPOSAL-CHOSEN is logged" wait_for 10 grep -q "NO-PROPOSAL-CHOSEN" "$RUN_DIR/asa1.log"
check "no PHASE 2 COMPLETED, no IPsec SA on either side" \
  test "$(log_count asa1 'PHASE 2 COMPLETED') $(log_count asa2 'PHASE 2 COMPLETED') $(ipsec_count asa1) $(ipsec_count asa2)" = "0 0 0 0"
dump_on_failure

# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
