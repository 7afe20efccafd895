#!/bin/bash
# IKEv1 rekeying under traffic between two ikegate daemons (the seed's ASA1/ASA2 topology, static
# IKEv1 crypto maps: tests/e2e/configs/asa{1,2}-ikev1.cfg): a ping every 100 ms from one inside
# network to the other runs while phase 2 is rekeyed at least three times and phase 1 at least
# once, and not one echo may be lost.
#   a. ASA1 initiates the tunnel and rekeys: ISAKMP lifetime 20 s, IPsec lifetime 10 s (rekey at
#      90 %), ASA2 with the configured lifetimes accepts the shorter ones
#   b. ASA2 initiates the tunnel (traffic from behind it) and rekeys, with `set pfs group14` on
#      both maps, so every Quick Mode carries a KE
# After each run: the rekeyer's log counts the phase-1 and phase-2 negotiations, the other side
# never started one, one ISAKMP SA and one IPsec SA pair are left on each side (the old ones
# gone) and each side's inbound SPI is the other's outbound one.
#
# Usage: test_ikev1_rekey_ikegate.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/rekey.sh
trap 'ping_stop; topo_down' EXIT INT TERM
PING_SECONDS=${PING_SECONDS:-32}
CFG=tests/e2e/configs

active_count() { gw "$1" show crypto isakmp sa | grep -c 'MM_ACTIVE'; }
ipsec_count() { gw "$1" show crypto ipsec sa | grep -c '^ *spi: 0x'; }
spi() {  # spi GW in|out: that direction's ESP SPI
  gw "$1" show crypto ipsec sa | awk -v want="$2" '
    /inbound esp sas:/ { d = "in" } /outbound esp sas:/ { d = "out" }
    /^ *spi: 0x/ && d == want { s = $2; sub(/\(.*/, "", s); printf "%s ", s; d = "" }'
}
log_count() { grep -c -- "$2" "$RUN_DIR/$1.log"; }

# run_case NAME REKEYER SRC_NS SRC DST [PFS]: both gateways fresh, the rekeyer with short
# lifetimes; traffic from SRC (behind the rekeyer) brings the tunnel up.
run_case() {
  local name=$1 rekeyer=$2 ns=$3 src=$4 dst=$5 pfs=${6:-} other n
  CASE=$name
  other=$([ "$rekeyer" = asa1 ] && echo asa2 || echo asa1)
  for n in asa1 asa2; do
    if [ -n "$pfs" ]; then
      sed "/^crypto map outside_map 1 set ikev1 transform-set/a crypto map outside_map 1 set pfs $pfs" \
        "$CFG/$n-ikev1.cfg" >"$RUN_DIR/$n-$name.cfg"
    else
      cp "$CFG/$n-ikev1.cfg" "$RUN_DIR/$n-$name.cfg"
    fi
    : >"$RUN_DIR/$n.log"
  done
  check "$rekeyer starts with 20 s / 10 s lifetimes" gw_start "$rekeyer" "$(gw_ns "$rekeyer")" \
    "$RUN_DIR/$rekeyer-$name.cfg" --debug-protocol 5 --ike-lifetime 20 --ipsec-lifetime 10
  check "$other starts with the configured lifetimes" gw_start "$other" "$(gw_ns "$other")" \
    "$RUN_DIR/$other-$name.cfg" --debug-protocol 5
  check "traffic from $src brings the tunnel up" \
    test "$(ip netns exec "$ns" ping -n -q -c 3 -i 0.2 -W 2 -I "$src" "$dst" 2>/dev/null | grep -c ' 0% packet loss\| 33% packet loss')" = 1
  local spi0 p1_0 p2_0
  spi0=$(spi asa1 in)
  p1_0=$(log_count "$rekeyer" 'PHASE 1 COMPLETED')
  p2_0=$(log_count "$rekeyer" 'PHASE 2 COMPLETED')
  ping_start "$ns" "$src" "$dst" "$PING_SECONDS"
  ping_wait
  local res p1 p2
  res=$(ping_result)
  p1=$(( $(log_count "$rekeyer" 'PHASE 1 COMPLETED') - p1_0 ))
  p2=$(( $(log_count "$rekeyer" 'PHASE 2 COMPLETED') - p2_0 ))
  echo "     | ping (transmitted received): $res; phase-1 rekeys: $p1, phase-2 rekeys: $p2"
  # A loaded machine sends fewer than 10 a second, which is not loss.
  check "ping every 100 ms for ${PING_SECONDS} s: every echo answered, at least 80% of them sent ($res; late or lost icmp_seq: $(ping_lost_seqs))" \
    test -n "$res" -a "${res% *}" = "${res#* }" -a "${res% *}" -ge $((PING_SECONDS * 8))
  check "$rekeyer's log: at least one phase-1 rekey during the ping ($p1, 'Starting P1 rekey': $(log_count "$rekeyer" 'Starting P1 rekey'))" \
    test "$p1" -ge 1 -a "$(log_count "$rekeyer" 'Starting P1 rekey')" -ge 1
  check "$rekeyer's log: at least three phase-2 rekeys during the ping ($p2)" test "$p2" -ge 3
  check "$other never started a phase 1 (its lifetimes are long)" \
    test "$(log_count "$other" 'Starting P1 rekey') $(log_count "$other" 'IKE Initiator: New Phase 1')" = "0 0"
  # The IKE_DECODE lines of the Quick Modes the other side answered: with PFS each carries a KE.
  local qm_ke
  qm_ke=$(log_count "$other" 'IKE_DECODE RECEIVED Message (msgid=[0-9a-f]*) with payloads : HDR + HASH (8) + SA (1) + NONCE (10) + KE (4)')
  if [ -n "$pfs" ]; then
    check "PFS: every Quick Mode $other answered carried a KE ($qm_ke)" test "$qm_ke" -ge 4
  else
    check "no PFS: no Quick Mode with a KE ($qm_ke)" test "$qm_ke" = 0
  fi
  one_each() { test "$(active_count asa1) $(active_count asa2) $(ipsec_count asa1) $(ipsec_count asa2)" = "1 1 2 2"; }
  check "one ISAKMP SA and one IPsec SA pair left on each side (the old ones gone)" wait_for 10 one_each
  # The short lifetimes keep rekeying after the ping: compare SPIs between two rekeys.
  spis_agree() { test -n "$(spi asa1 in)" -a "$(spi asa1 in)" = "$(spi asa2 out)" -a "$(spi asa2 in)" = "$(spi asa1 out)"; }
  check "ASA1's inbound SPI is ASA2's outbound one, and the other way round" wait_for 8 spis_agree
  check "the ESP SPIs changed ($spi0-> $(spi asa1 in))" test "$(spi asa1 in)" != "$spi0"
  if [[ " $FAILED_CASES " == *" $name "* ]]; then
    for n in asa1 asa2; do
      echo "--- $n: show crypto isakmp sa / ipsec sa"
      gw "$n" show crypto isakmp sa
      gw "$n" show crypto ipsec sa | grep -E 'spi: |ident'
      echo "--- $n log, last 80 lines"
      tail -n 80 "$RUN_DIR/$n.log"
    done
  fi
  gw_stop asa1
  gw_stop asa2
  for n in asa1 asa2; do cp "$RUN_DIR/$n.log" "$RUN_DIR/$n-$name.log"; done
}

topo_up
run_case a-asa1-rekeys asa1 "$NS_H1" 192.168.1.1 192.168.2.99
run_case b-asa2-rekeys-pfs asa2 "$NS_H2" 192.168.2.99 192.168.1.1 group14
# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
