#!/bin/bash
# Faults (issue 9, section 3): the peer's address changes while its tunnel is up. ASA1 dies
# (kill -9: no Delete reaches ASA2), its outside address 10.0.0.1 is replaced by 10.0.0.51 and
# it comes back with that address; ASA2 accepts both addresses (`set peer 10.0.0.1 10.0.0.51`,
# a tunnel-group for each). Checked, over IKEv2 and then over IKEv1: ASA1's traffic brings up a
# new SA from 10.0.0.51 and passes again; ASA2 finds the old SA with 10.0.0.1 dead within the
# DPD bound (35 s), says so in one log line and removes it from `show` and from the data plane;
# afterwards ASA2 holds exactly one IKE SA, one pair of ESP SAs and the rules it had before.
#
# Usage: test_peer_address_change.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
trap topo_down EXIT INT TERM

received() { ping_from 192.168.1.1 192.168.2.99 "$1" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
passes() { test "$(received 1)" = 1; }
rules() { ip -n "$NS_ASA2" rule show | grep 'lookup 4500' | sort; }
esp_sas() { gw asa2 show crypto ipsec sa | grep -c 'spi: 0x'; }

# ASA2 knows ASA1 by either address.
asa2_config() {  # SOURCE-CONFIG: the copy of ASA2's configuration that accepts 10.0.0.51 too
  local out=$RUN_DIR/asa2-$(basename "$1")
  sed 's/^crypto map outside_map 1 set peer 10.0.0.1$/crypto map outside_map 1 set peer 10.0.0.1 10.0.0.51/' "$1" >"$out"
  sed -n '/^tunnel-group 10.0.0.1 /,$p' "$1" | sed 's/^tunnel-group 10.0.0.1 /tunnel-group 10.0.0.51 /' >>"$out"
  echo "$out"
}

# run_case VERSION ASA1-CONFIG ASA2-CONFIG SHOW-SA-COMMAND PEER-PATTERN-OLD PEER-PATTERN-NEW
run_case() {
  CASE=$1
  local cfg1=$2 cfg2 show=$4 old=$5 new=$6
  cfg2=$(asa2_config "$3")
  ip -n "$NS_ASA1" addr flush dev gi0-0
  ip -n "$NS_ASA1" addr add 10.0.0.1/24 dev gi0-0
  check "ASA1 starts on 10.0.0.1" gw_start asa1 "$NS_ASA1" "$cfg1"
  check "ASA2 starts (it accepts 10.0.0.1 and 10.0.0.51)" gw_start asa2 "$NS_ASA2" "$cfg2"
  check "the tunnel comes up" wait_for 10 passes
  check "ASA2 has the SA with 10.0.0.1" contains "$(gw asa2 $show)" "$old"
  local rules_before
  rules_before=$(rules)

  # ASA1 dies without a word and comes back as 10.0.0.51.
  gw_stop asa1 KILL
  ip -n "$NS_ASA1" addr flush dev gi0-0
  ip -n "$NS_ASA1" addr add 10.0.0.51/24 dev gi0-0
  sed 's/ ip address 10.0.0.1 255.255.255.0/ ip address 10.0.0.51 255.255.255.0/' "$cfg1" >"$RUN_DIR/asa1-new.cfg"
  local t0=$SECONDS
  check "ASA1 starts on 10.0.0.51" gw_start asa1 "$NS_ASA1" "$RUN_DIR/asa1-new.cfg"
  check "traffic brings up the new SA and passes again within 20 s" wait_for 20 passes
  echo "     | traffic again after $((SECONDS - t0)) s"
  check "ASA2 has an SA with 10.0.0.51" contains "$(gw asa2 $show)" "$new"
  gone() { ! contains "$(gw asa2 $show)" "$old"; }
  check "ASA2 finds the old SA dead and removes it within 35 s" wait_for 35 gone
  echo "     | old SA gone after $((SECONDS - t0)) s"
  check "ASA2 logs why" grep -Eq "DPD.*10\.0\.0\.1[^0-9]|10\.0\.0\.1[^0-9].*DPD" "$RUN_DIR/asa2.log"
  check "then every ping passes" test "$(received 5)" = 5
  check "nothing stale: one pair of ESP SAs ($(esp_sas) SAs)" test "$(esp_sas)" = 2
  check "nothing stale: ASA2's rules are the ones it had" test "$(rules)" = "$rules_before"
  check "no sanitizer report" test -z "$(grep -l 'ERROR: AddressSanitizer\|runtime error:' "$RUN_DIR"/*.log)"
  gw_stop asa1
  gw_stop asa2
  mv "$RUN_DIR/asa2.log" "$RUN_DIR/asa2-$CASE.log"
  mv "$RUN_DIR/asa1.log" "$RUN_DIR/asa1-$CASE.log"
}

topo_up
run_case ikev2 tests/e2e/configs/asa1.cfg tests/e2e/configs/asa2.cfg "show crypto ikev2 sa" \
  "10.0.0.2/500 *10.0.0.1/500 *READY" "10.0.0.2/500 *10.0.0.51/500 *READY"
run_case ikev1 tests/e2e/configs/asa1-ikev1.cfg tests/e2e/configs/asa2-ikev1.cfg "show crypto isakmp sa" \
  "IKE Peer: 10.0.0.1$" "IKE Peer: 10.0.0.51$"
check_summary
