#!/bin/bash
# Rekeying under traffic between two ikegate daemons (the seed's ASA1/ASA2 tunnel, two CHILD
# SAs, one per host pair): a ping every 100 ms from 192.168.1.1 to 192.168.2.99 runs while the
# IKE SA and both CHILD SAs are rekeyed at least three times each, and not one echo may be lost.
#   a. ASA1 (the tunnel's initiator) rekeys: IKE lifetime 15 s, IPsec lifetime 13 s (rekey at
#      90 %), `set pfs group14` on both maps, so every CHILD rekey carries a KE
#   b. ASA2 (the tunnel's responder) rekeys, no PFS
#   c. both sides with the same short lifetimes and PFS: whichever side comes due first rekeys,
#      the other takes the new SA over (or, when two rekeys cross, RFC 7296 2.8.1 keeps the one
#      with the lowest nonce and deletes the redundant one); still no echo lost and one SA of
#      each left. The number of crossings seen is printed, not asserted: it depends on timing
# After each run: both logs count the rekeys, one IKE SA and two CHILD SA pairs are left on each
# side (the old ones deleted), and each side's inbound SPIs are the other's outbound SPIs.
#
# Usage: test_rekey_ikegate.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/rekey.sh
trap 'ping_stop; topo_down' EXIT INT TERM
PING_SECONDS=${PING_SECONDS:-44}
CFG=tests/e2e/configs

ready() { gw "$1" show crypto ikev2 sa | grep -q READY; }
ike_count() { gw "$1" show crypto ikev2 sa | grep -c 'READY'; }
esp_spis() {  # esp_spis GW in|out: that direction's ESP SPIs, sorted, on one line
  gw "$1" show crypto ipsec sa | awk -v want="$2" '
    /inbound esp sas:/ { dir = "in" } /outbound esp sas:/ { dir = "out" }
    /^ *spi: 0x/ && dir == want { s = $2; sub(/\(.*/, "", s); print s; dir = "" }' | sort | tr '\n' ' '
}
child_pairs() { gw "$1" show crypto ipsec sa | grep -c '^ *spi: 0x'; }
log_count() { grep -c -- "$2" "$RUN_DIR/$1.log"; }

# run_case NAME REKEYER PFS [both]: ASA1 and ASA2 fresh, the rekeying side (or both) with
# short lifetimes.
run_case() {
  local name=$1 rekeyer=$2 pfs=$3 both=0 other
  [ "${4:-}" = both ] && both=1
  CASE=$name
  other=$([ "$rekeyer" = asa1 ] && echo asa2 || echo asa1)
  local n
  for n in asa1 asa2; do
    if [ -n "$pfs" ]; then
      sed "/^crypto map outside_map 1 set ikev2 ipsec-proposal/a crypto map outside_map 1 set pfs $pfs" \
        "$CFG/$n.cfg" >"$RUN_DIR/$n-$name.cfg"
    else
      cp "$CFG/$n.cfg" "$RUN_DIR/$n-$name.cfg"
    fi
    : >"$RUN_DIR/$n.log"
  done
  local short=(--ike-lifetime 15 --ipsec-lifetime 13)
  check "$rekeyer starts with 15 s / 13 s lifetimes" gw_start "$rekeyer" "$(gw_ns "$rekeyer")" \
    "$RUN_DIR/$rekeyer-$name.cfg" --debug-protocol 127 "${short[@]}"
  if [ "$both" = 1 ]; then
    check "$other starts with the same lifetimes" gw_start "$other" "$(gw_ns "$other")" \
      "$RUN_DIR/$other-$name.cfg" --debug-protocol 127 "${short[@]}"
  else
    check "$other starts with the configured lifetimes" gw_start "$other" "$(gw_ns "$other")" \
      "$RUN_DIR/$other-$name.cfg" --debug-protocol 127
  fi
  # Both host pairs bring up their CHILD SA; ASA1 initiates.
  check "the tunnel comes up (both host pairs)" \
    test "$(ping_from 192.168.1.1 192.168.2.99 2 2>/dev/null | grep -c ' 0% packet loss')$(ping_from 192.168.1.12 192.168.2.99 2 2>/dev/null | grep -c ' 0% packet loss')" = 11
  local spi0
  spi0=$(esp_spis asa1 in)
  ping_start "$NS_H1" 192.168.1.1 192.168.2.99 "$PING_SECONDS"
  ping_wait
  local res
  res=$(ping_result)
  echo "     | ping (transmitted received): $res"
  check "ping every 100 ms for ${PING_SECONDS} s: every echo answered, at least 80% of them sent ($res; late or lost icmp_seq: $(ping_lost_seqs))" \
    test -n "$res" -a "${res% *}" = "${res#* }" -a "${res% *}" -ge $((PING_SECONDS * 8))
  if [ "$both" = 1 ]; then
    local started collisions
    started=$(( $(log_count asa1 'Rekeying the IKE SA') + $(log_count asa2 'Rekeying the IKE SA') ))
    collisions=$(( $(log_count asa1 'Simultaneous') + $(log_count asa2 'Simultaneous') ))
    echo "     | IKE rekeys started by either side: $started; lines about simultaneous rekeys: $collisions"
    check "both logs: at least three IKE SA rekeys completed on each side" \
      test "$(log_count asa1 'IKE SA rekeyed: new SPIs')" -ge 3 -a "$(log_count asa2 'IKE SA rekeyed: new SPIs')" -ge 3
    check "both sides started rekeys" \
      test "$(log_count asa1 'Rekeying')" -ge 1 -a "$(log_count asa2 'Rekeying')" -ge 1
  else
    check "$rekeyer's log: at least three IKE SA rekeys it started ($(log_count "$rekeyer" 'Rekeying the IKE SA'))" \
      test "$(log_count "$rekeyer" 'Rekeying the IKE SA')" -ge 3
    check "$rekeyer's log: at least six CHILD SA rekeys it started, three per host pair ($(log_count "$rekeyer" 'Rekeying CHILD SA'))" \
      test "$(log_count "$rekeyer" 'Rekeying CHILD SA')" -ge 6
    check "$other's log: at least three IKE SA rekeys answered ($(log_count "$other" 'IKE SA rekeyed: new SPIs'))" \
      test "$(log_count "$other" 'IKE SA rekeyed: new SPIs')" -ge 3
    check "$other never started a rekey (its lifetimes are long)" \
      test "$(log_count "$other" 'Rekeying')" = 0
  fi
  one_ike() { test "$(ike_count asa1) $(ike_count asa2)" = "1 1"; }
  two_pairs() { test "$(child_pairs asa1) $(child_pairs asa2)" = "4 4"; }
  check "one IKE SA left on each side (the old ones deleted)" wait_for 8 one_ike
  check "two CHILD SA pairs left on each side" wait_for 8 two_pairs
  # The short lifetimes keep rekeying after the ping: compare SPIs between two rekeys.
  spis_agree() { test "$(esp_spis asa1 in)" = "$(esp_spis asa2 out)" -a "$(esp_spis asa2 in)" = "$(esp_spis asa1 out)"; }
  check "ASA1's inbound SPIs are ASA2's outbound ones, and the other way round" wait_for 8 spis_agree
  check "the ESP SPIs changed ($spi0-> $(esp_spis asa1 in))" test "$(esp_spis asa1 in)" != "$spi0"
  # The payload dumps (debug level 127) of received messages show each KE payload's group:
  # group 14 only in CHILD exchanges with PFS (the IKE SA itself uses group 2). The side that
  # answers the rekeys receives one KE per rekey request.
  local ke14
  ke14=$(log_count "$other" 'DH group: 14, Reserved')
  if [ -n "$pfs" ]; then
    check "PFS: $other received a group 14 KE in every CHILD rekey request ($ke14)" test "$ke14" -ge 6
  else
    check "no PFS: no group 14 KE payload in any exchange ($ke14)" test "$ke14" = 0
  fi
  if [[ " $FAILED_CASES " == *" $name "* ]]; then
    for n in asa1 asa2; do
      echo "--- $n: show crypto ikev2 sa / ipsec sa"
      gw "$n" show crypto ikev2 sa
      gw "$n" show crypto ipsec sa | grep -E 'spi: |ident'
      echo "--- $n log, last 80 lines"
      tail -n 80 "$RUN_DIR/$n.log"
    done
  fi
  gw_stop asa1
  gw_stop asa2
  for n in asa1 asa2; do cp "$RUN_DIR/$n.log" "$RUN_DIR/$n-$name.log"; done
}

CASE=options
refused() {  # refused OPTION VALUE: `run` exits 2 and names the option, the range and the value
  local out rc
  out=$("$IKEGATE" run --config "$CFG/asa1.cfg" "$1" "$2" 2>&1)
  rc=$?
  test "$rc" = 2 -a "$out" = "ikegate: $1 wants seconds from 10 to 2147483647, got '$2'"
}
check "run --ipsec-lifetime 5 is refused with the accepted range" refused --ipsec-lifetime 5
check "run --ike-lifetime 30s is refused with the accepted range" refused --ike-lifetime 30s

topo_up
run_case a-asa1-rekeys-pfs asa1 group14
run_case b-asa2-rekeys-nopfs asa2 ""
run_case c-both-rekey-pfs asa1 group14 both
# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
