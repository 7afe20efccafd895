#!/bin/bash
# Interoperability of the IKEv1 engine with a real strongSwan (Debian's charon, swanctl,
# kernel-libipsec) in the topology of ios-strongswan-ikev1-ikev2, IKEv1 half: the engine plays
# the IOS router R1 with the seed's IOS configuration (tests/data/configs/ios-strongswan-ikev1.cfg:
# AES-128, SHA, pre-share, group 5; transform set esp-aes esp-sha-hmac) through ikev1_peer (the
# engine on UDP 500/4500 with the in-memory data plane: the daemon does not carry IKEv1 yet).
#   a. strongSwan initiates Main Mode and Quick Mode
#   b. the engine initiates
#   c. strongSwan proposes a suite the IOS policy lacks: NO-PROPOSAL-CHOSEN
#   d. Aggressive Mode, strongSwan initiating, then the engine initiating
#   e. strongSwan's DPD (R-U-THERE every 2 s) is answered; the tunnel stays up
# In each established case both sides must hold the same pair of ESP SPIs (each side's inbound
# is the other's outbound) and the same ESP keys (compared as SHA-256 digests of charon's logged
# keys, `chd 4`, and the engine's), and agree on UDP encapsulation (kernel-libipsec always pretends a NAT,
# so RFC 3947 NAT-T with encapsulation mode UDP-Encapsulated-Tunnel is exercised).
#
# Usage: test_ikev1_engine_strongswan.sh path/to/ikegate   (as root; skips without strongSwan)
set -u
PRELUDE_NEEDS=strongswan source "$(dirname "$0")/lib/prelude.sh"
PEER_TOOL=$(dirname "$IKEGATE")/ikev1_peer
[ -x "$PEER_TOOL" ] || { echo "SKIP: ikev1_peer is not built next to $IKEGATE"; exit 77; }
trap topo_down EXIT INT TERM
IOS_CFG=tests/data/configs/ios-strongswan-ikev1.cfg
TOOL_PID=""

topo_up || exit 1

# start_sw NAME [sw_conf key=value...]: a fresh charon with an IKEv1 connection.
start_sw() {
  local name=$1
  shift
  sw_stop_all
  SW=$RUN_DIR/sw-$name
  mkdir -p "$SW"
  sw_write_strongswan_conf "$SW" "ike 2, cfg 2, chd 4, knl 1, net 1, enc 1"
  [ -n "${SW_CONF_HOOK:-}" ] && "$SW_CONF_HOOK" "$SW"
  sw_conf "$SW" "$@" && sed -i 's/version = 2/version = 1/' "$SW/swanctl.conf" &&
    sw_start sw "$NS_SW" "$SW" && sw_load sw
}

# start_tool NAME ARGS...: ikev1_peer in R1's namespace, its output in $RUN_DIR/NAME.log.
start_tool() {
  local name=$1
  shift
  TOOL_LOG=$RUN_DIR/$name.log
  ip netns exec "$NS_R1" timeout 60 "$PEER_TOOL" "$IOS_CFG" "$@" >"$TOOL_LOG" 2>&1 &
  TOOL_PID=$!
  sleep 0.3  # bound before the peer speaks
}
wait_tool() {
  local rc=0
  wait "$TOOL_PID" || rc=$?
  TOOL_PID=""
  return $rc
}

# The SPIs both sides report: the tool's "IPSEC spi_in=.. spi_out=.." and charon's list-sas.
spis_agree() {
  local tool_in tool_out sas sw_in sw_out
  tool_in=$(sed -n 's/^IPSEC spi_in=\([0-9a-f]*\).*/\1/p' "$TOOL_LOG" | head -1)
  tool_out=$(sed -n 's/^IPSEC .*spi_out=\([0-9a-f]*\).*/\1/p' "$TOOL_LOG" | head -1)
  sas=$(sw_list_sas sw)
  sw_in=$(sed -n 's/.* in  *\([0-9a-f]\{8\}\).*/\1/p' <<<"$sas" | head -1)
  sw_out=$(sed -n 's/.* out *\([0-9a-f]\{8\}\).*/\1/p' <<<"$sas" | head -1)
  echo "  engine in/out $tool_in/$tool_out, strongSwan in/out $sw_in/$sw_out"
  [ -n "$tool_in" ] && [ "$tool_in" = "$sw_out" ] && [ "$tool_out" = "$sw_in" ]
}

# keys_agree ROLE: the engine's key digests against charon's "encryption/integrity initiator/
# responder key" dumps. charon's initiator keys protect what the Quick Mode initiator sends (the
# SA whose SPI the responder chose, RFC 2409 5.5). ROLE: who initiated Quick Mode.
sw_key_digest() {  # initiator|responder
  awk -v who="$1" '
    function flush() { if (label != "") val[label] = buf; label = ""; buf = "" }
    label != "" && match($0, /\] (<[^>]*> )? *[0-9]+: ([0-9A-F][0-9A-F] )+/) {
      line = substr($0, RSTART, RLENGTH); sub(/^\] (<[^>]*> )? *[0-9]+: /, "", line); gsub(/ /, "", line)
      buf = buf line; next
    }
    { flush() }
    match($0, /(encryption|integrity) (initiator|responder) key =>/) {
      split(substr($0, RSTART, RLENGTH), w, " ")
      if (w[2] == who && !((w[1]) in val)) { label = w[1]; buf = "" }
    }
    END { flush(); print val["encryption"] val["integrity"] }
  ' "$SW/charon.log" | xxd -r -p | sha256sum | cut -c1-16
}
keys_agree() {
  local role=$1 tool_in tool_out sw_i sw_r
  tool_in=$(sed -n 's/^IPSEC .*keys_in=\([0-9a-f]*\).*/\1/p' "$TOOL_LOG" | head -1)
  tool_out=$(sed -n 's/^IPSEC .*keys_out=\([0-9a-f]*\).*/\1/p' "$TOOL_LOG" | head -1)
  sw_i=$(sw_key_digest initiator)
  sw_r=$(sw_key_digest responder)
  echo "  engine in/out $tool_in/$tool_out, charon initiator/responder $sw_i/$sw_r"
  [ -n "$tool_in" ] || return 1
  if [ "$role" = engine ]; then
    [ "$tool_out" = "$sw_i" ] && [ "$tool_in" = "$sw_r" ]
  else
    [ "$tool_in" = "$sw_i" ] && [ "$tool_out" = "$sw_r" ]
  fi
}

sw_established() {
  local sas
  sas=$(sw_list_sas sw)
  contains "$sas" "ESTABLISHED, IKEv1" && contains "$sas" "INSTALLED"
}

CASE=a-strongswan-initiates
start_sw a || exit 1
start_tool a --seconds 30 --hold 4
sw_initiate sw ciscoios >"$RUN_DIR/a-initiate.out" 2>&1
check "charon has the IKEv1 SA and the CHILD SA" wait_for 10 sw_established
check "the engine completed phase 1 and phase 2" wait_tool
check "PHASE 1 COMPLETED in the engine's trace" grep -q "PHASE 1 COMPLETED" "$TOOL_LOG"
check "the IOS state machine went through IKE_R_MM5" grep -q "Old State = IKE_R_MM4 New State = IKE_R_MM5" "$TOOL_LOG"
check "the same ESP SPIs on both sides" spis_agree
check "NAT-T: the engine encapsulates (strongSwan's kernel-libipsec pretends a NAT)" grep -q "^IPSEC .*nat_t=1" "$TOOL_LOG"
check "charon's log: IKE_SA established" grep -q "IKE_SA ciscoios\[[0-9]*\] established" "$SW/charon.log"
check "the same ESP keys on both sides" keys_agree strongswan

CASE=b-engine-initiates
start_sw b || exit 1
start_tool b --initiate cmap 10 --seconds 30 --hold 4
check "charon has the IKEv1 SA and the CHILD SA" wait_for 15 sw_established
check "the engine completed phase 1 and phase 2" wait_tool
check "the IOS initiator states IKE_I_MM4 -> IKE_I_MM5" grep -q "Old State = IKE_I_MM4 New State = IKE_I_MM5" "$TOOL_LOG"
check "the same ESP SPIs on both sides" spis_agree
check "the same ESP keys on both sides" keys_agree engine

CASE=c-no-proposal-chosen
start_sw c ike=aes256-sha256-modp2048 || exit 1
start_tool c --seconds 8 --hold 1
sw_initiate sw ciscoios >"$RUN_DIR/c-initiate.out" 2>&1
wait_tool
check "the engine refused with NO-PROPOSAL-CHOSEN" grep -q "NO-PROPOSAL-CHOSEN" "$TOOL_LOG"
check "charon heard NO_PROPOSAL_CHOSEN" wait_for 5 grep -q "NO_PROPOSAL_CHOSEN" "$SW/charon.log"
check "charon has no SA" bash -c "! swanctl --list-sas --uri unix://$SW/run/charon.vici 2>/dev/null | grep -q ESTABLISHED"

CASE=d-aggressive-strongswan-initiates
start_sw d conn_extra="aggressive = yes" || exit 1
start_tool d --seconds 30 --hold 3
sw_initiate sw ciscoios >"$RUN_DIR/d-initiate.out" 2>&1
check "charon has the IKEv1 SA and the CHILD SA" wait_for 10 sw_established
check "the engine completed phase 1 and phase 2" wait_tool
check "charon ran Aggressive Mode" grep -q "AGGRESSIVE request 0" "$SW/charon.log"
check "the IOS responder states IKE_R_AM1 -> IKE_R_AM2" grep -q "Old State = IKE_R_AM1 New State = IKE_R_AM2" "$TOOL_LOG"
check "the same ESP SPIs on both sides" spis_agree
check "the same ESP keys on both sides" keys_agree strongswan

CASE=d-aggressive-engine-initiates
# charon answers Aggressive Mode with pre-shared keys only when told it may.
aggressive_responder() {
  sed -i 's/^charon {$/charon {\n  i_dont_care_about_security_and_use_aggressive_mode_psk = yes/' "$1/strongswan.conf"
}
SW_CONF_HOOK=aggressive_responder start_sw e conn_extra="aggressive = yes" || exit 1
start_tool e --initiate cmap 10 --aggressive --seconds 30 --hold 3
check "charon has the IKEv1 SA and the CHILD SA" wait_for 15 sw_established
check "the engine completed phase 1 and phase 2" wait_tool
check "the IOS initiator went IKE_I_AM1 -> IKE_P1_COMPLETE" grep -q "Old State = IKE_I_AM1 New State = IKE_P1_COMPLETE" "$TOOL_LOG"
check "the same ESP keys on both sides" keys_agree engine

CASE=e-dpd
start_sw f conn_extra="dpd_delay = 2s" || exit 1
start_tool f --seconds 30 --hold 12
sw_initiate sw ciscoios >"$RUN_DIR/f-initiate.out" 2>&1
check "established" wait_for 10 sw_established
check "the engine answered charon's R-U-THERE" wait_for 12 grep -q "R-U-THERE" "$TOOL_LOG"
check "the engine ran to the end" wait_tool
check "charon saw no DPD timeout" bash -c "! grep -q 'giving up after' '$SW/charon.log'"

for c in $FAILED_CASES; do
  echo "--- $c: engine"
  tail -n 60 "$RUN_DIR/${c:0:1}.log" 2>/dev/null
  echo "--- $c: charon"
  tail -n 60 "$RUN_DIR/sw-${c:0:1}/charon.log" 2>/dev/null | grep -v "^.*: [0-9A-F ]\{10,\}" | tail -n 40
done
check_summary
