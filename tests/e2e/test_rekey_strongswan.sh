#!/bin/bash
# Rekeying under traffic against a real strongSwan (the ios-strongswan-ikev1-ikev2 pair): a
# ping every 100 ms from 192.168.1.10 to 192.168.2.10 runs through the tunnel while the IKE SA
# and the CHILD SA are rekeyed at least three times each, and not one echo may be lost.
#   a. strongSwan rekeys (IKE rekey_time 14 s, CHILD rekey_time 11 s), PFS group 5 on both
#      sides (CREATE_CHILD_SA with KE); ikegate is the responder of every rekey
#   b. ikegate rekeys (IKE lifetime 15 s, IPsec lifetime 13 s: rekey at 90 %), no PFS;
#      strongSwan never rekeys (rekey_time = 0), so ikegate initiates every rekey
#   c. ikegate rekeys as in b, with `set pfs group14` (CREATE_CHILD_SA with KE from ikegate)
# After each run: how many rekeys strongSwan counted (its IKE and CHILD unique ids), one IKE SA
# and one CHILD SA pair left on each side (the old ones deleted), and the same SPIs on both.
#
# Usage: test_rekey_strongswan.sh path/to/ikegate   (as root; skips without strongSwan)
set -u
PRELUDE_NEEDS=strongswan source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/rekey.sh
trap 'ping_stop; topo_down' EXIT INT TERM
PING_SECONDS=${PING_SECONDS:-44}

GWNAME=r1
r1() { gw "$GWNAME" "$@"; }
ike_ready() { r1 show crypto ikev2 sa | grep -q "172.16.10.2/[0-9]* .*READY"; }
# strongSwan's unique ids: "IKE CHILD" of the established SAs (the highest of each).
sw_ids() {
  sw_list_sas sw | awk '
    /^ciscoios: #[0-9]+, ESTABLISHED/ { v = $2; gsub(/[#,]/, "", v); if (v + 0 > ike) ike = v + 0 }
    /^  ciscoios: #[0-9]+, .*INSTALLED/ { v = $2; gsub(/[#,]/, "", v); if (v + 0 > child) child = v + 0 }
    END { print ike + 0, child + 0 }'
}
sw_count() { sw_list_sas sw | grep -c -- "$1"; }
# ESP SPIs, "inbound outbound" lowercase without leading zeros, on each side.
r1_spis() {
  r1 show crypto ipsec sa | awk '
    /inbound esp sas:/ { dir = "in" } /outbound esp sas:/ { dir = "out" }
    /spi: 0x/ && dir != "" { s = tolower($2); sub(/^0x/, "", s); sub(/\(.*/, "", s); sub(/^0+/, "", s); sp[dir] = sp[dir] s " "; dir = "" }
    END { print sp["in"] "/ " sp["out"] }'
}
sw_spis() {
  sw_list_sas sw | awk '
    $1 == "in" { i = $2; sub(",", "", i); sub(/^0+/, "", i); si = si i " " }
    $1 == "out" { o = $2; sub(",", "", o); sub(/^0+/, "", o); so = so o " " }
    END { print so "/ " si }'
}
r1_ike_spis() {  # "LOCAL REMOTE" of the one IKE SA
  r1 show crypto ikev2 sa detailed | sed -n 's/.*Local spi: *\([0-9A-F]*\) *Remote spi: *\([0-9A-F]*\).*/\1 \2/p' | tr 'A-F' 'a-f'
}
sw_ike_spis() {  # strongSwan's "remote local" so it reads like ikegate's "local remote"
  sw_list_sas sw | awk '/ESTABLISHED/ { for (i = 1; i <= NF; i++) if ($i ~ /_[ir]\*?$/) { s = $i; sub(/_.*/, "", s); if ($i ~ /\*/) mine = s; else theirs = s } } END { print theirs, mine }'
}

# run_case NAME IOS_SED GW_ARGS -- SW_CONF_ARGS...: one run of continuous pings across rekeys.
run_case() {
  local name=$1 ios_sed=$2 gw_args=$3
  shift 3
  CASE=$name
  SW=$RUN_DIR/sw-$name
  GWNAME=r1-$name
  GWLOG=$RUN_DIR/$GWNAME.log
  mkdir -p "$SW"
  sw_write_strongswan_conf "$SW" "ike 2, cfg 1, chd 2, knl 1, net 1, enc 1, esp 1"
  sw_conf "$SW" "$@"
  ios_conf "$RUN_DIR/r1-$name.cfg" "$ios_sed"
  # shellcheck disable=SC2086
  check "ikegate and strongSwan start" gw_start "$GWNAME" "$NS_R1" "$RUN_DIR/r1-$name.cfg" --debug-protocol 3 $gw_args
  sw_start sw "$NS_SW" "$SW" && sw_load sw
  check "the tunnel comes up (traffic from 192.168.1.10)" \
    test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" -ge 2
  check "ikegate: IKE SA READY" wait_for 5 ike_ready
  local ids0 spi0 ike0
  ids0=$(sw_ids)
  spi0=$(r1_spis)
  ike0=$(r1_ike_spis)
  echo "     | before: strongSwan ids (IKE CHILD) $ids0, ikegate ESP $spi0, IKE $ike0"
  ping_start "$NS_H1" 192.168.1.10 192.168.2.10 "$PING_SECONDS"
  ping_wait
  local res
  res=$(ping_result)
  local ids1 ike_rekeys child_rekeys
  ids1=$(sw_ids)
  ike_rekeys=$(( ${ids1% *} - ${ids0% *} ))
  child_rekeys=$(( ${ids1#* } - ${ids0#* } ))
  echo "     | ping (transmitted received): $res; rekeys seen by strongSwan: IKE $ike_rekeys, CHILD $child_rekeys"
  check "ping every 100 ms for ${PING_SECONDS} s: every echo answered, at least 80% of them sent ($res; late or lost icmp_seq: $(ping_lost_seqs))" \
    test -n "$res" -a "${res% *}" = "${res#* }" -a "${res% *}" -ge $((PING_SECONDS * 8))
  check "at least three IKE SA rekeys ($ike_rekeys)" test "$ike_rekeys" -ge 3
  check "at least three CHILD SA rekeys ($child_rekeys)" test "$child_rekeys" -ge 3
  # A rekey that has just started may still be finishing (old SAs linger until the Delete).
  r1_one_ike() { test "$(r1 show crypto ikev2 sa | grep -c 'READY')" = 1; }
  r1_one_child() { test "$(r1 show crypto ipsec sa | grep -c '^ *spi: 0x')" = 2; }
  sw_one_each() { test "$(sw_count ESTABLISHED) $(sw_count INSTALLED) $(sw_count 'DELETED\|REKEY')" = "1 1 0"; }
  check "ikegate: one IKE SA left (the old ones deleted)" wait_for 8 r1_one_ike
  check "ikegate: one CHILD SA pair left" wait_for 8 r1_one_child
  check "strongSwan: one IKE SA and one CHILD SA left" wait_for 8 sw_one_each
  # The short lifetimes keep rekeying after the ping: compare SPIs between two rekeys.
  esp_agree() { test "$(r1_spis)" = "$(sw_spis)" -a "$(r1_spis)" != "$spi0"; }
  ike_agree() { test "$(r1_ike_spis)" = "$(sw_ike_spis)" -a "$(r1_ike_spis)" != "$ike0"; }
  check "ESP SPIs changed and agree on both sides" wait_for 8 esp_agree
  check "IKE SPIs changed and agree on both sides" wait_for 8 ike_agree
  if [[ " $* " == *" esp="*modp* ]]; then
    check "PFS: strongSwan's current CHILD SA was keyed with a DH exchange (ESP:.../MODP_...)" \
      contains "$(sw_list_sas sw)" "INSTALLED, TUNNEL-in-UDP, ESP:.*/MODP_"
  fi
  check "ikegate's log: IKE SA rekeyed at least three times" \
    test "$(grep -c 'IKE SA rekeyed: new SPIs' "$GWLOG")" -ge 3
  check "charon's log: IKE_SA rekeyed at least three times" \
    test "$(grep -c 'IKE_SA ciscoios\[[0-9]*\] rekeyed between' "$SW/charon.log")" -ge 3
  check "charon's log: CHILD_SA rekeyed at least three times" \
    test "$(grep -c 'CHILD_SA ciscoios{[0-9]*} state change: REKEYING => REKEYED' "$SW/charon.log")" -ge 3
  if [[ " $FAILED_CASES " == *" $name "* ]]; then
    r1 show crypto ikev2 sa detailed
    r1 show crypto ipsec sa | grep -E 'spi:|ident|Status'
    sw_list_sas sw
    dump_logs "$GWLOG" "$SW/charon.log" 120
  fi
  gw_stop "$GWNAME"
  sw_stop sw
}

topo_up || { echo "FAIL: topology"; exit 1; }

run_case a-strongswan-rekeys-pfs '/^ set transform-set TS/a\ set pfs group5' "" \
  ike=aes128-sha1-modp1536 esp=aes128-sha1-modp1536 \
  ike_rekey=14s conn_extra="rand_time = 1s" child_rekey=11s child_life=20s child_extra="rand_time = 1s"

run_case b-ikegate-rekeys-nopfs "" "--ike-lifetime 15 --ipsec-lifetime 13" \
  ike=aes128-sha1-modp1536 esp=aes128-sha1 ike_rekey=0 child_rekey=0 child_life=60m

run_case c-ikegate-rekeys-pfs '/^ set transform-set TS/a\ set pfs group14' "--ike-lifetime 15 --ipsec-lifetime 13" \
  ike=aes128-sha1-modp1536 esp=aes128-sha1-modp2048 ike_rekey=0 child_rekey=0 child_life=60m

# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
