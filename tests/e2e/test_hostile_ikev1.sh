#!/bin/bash
# A hostile IKEv1 peer against a live IKEv1 tunnel (issue 9, section 2). ASA1 and ASA2 run the
# seed's site-to-site topology over IKEv1 (tests/e2e/configs/asa[12]-ikev1-group2.cfg) with a ping
# every 100 ms through the tunnel; from the outside segment a hostile peer
# (tests/e2e/hostile/ikev1_hostile.py, addresses 10.0.0.100-163, to which ASA2 has tunnel-groups,
# and a spoofed 10.0.0.1) sends ASA2 malformed Main Modes, encrypted messages for unknown
# cookies and with the wrong keys, answers nobody asked for, a replayed Quick Mode, Main Modes
# with a wrong pre-shared key and a Main Mode 1 flood. For each case: the RFC's reaction (no
# answer: RFC 2408/2409 have nothing authenticated to answer with), the counter of the ASA's
# `show crypto isakmp stats` that says so, ASA2 still running with the same IPsec SA, no
# sanitizer report, resident memory bounded; and at the end the ping lost nothing.
#
# Usage: test_hostile_ikev1.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
PY=/usr/bin/python3
"$PY" -c 'import cryptography' 2>/dev/null || { echo "SKIP: needs Debian's python3 with python3-cryptography"; exit 77; }
CAP_PID="" PING_PID=""
cleanup() {
  [ -n "$CAP_PID" ] && stop_pid "$CAP_PID"
  [ -n "$PING_PID" ] && stop_pid "$PING_PID"
  topo_down
}
trap cleanup EXIT INT TERM

stat_of() {  # stat_of NAME: a counter of the IKEv1 section of ASA2's `show crypto isakmp stats`
  gw asa2 show crypto isakmp stats | sed -n "s/^ *$1: *\([0-9][0-9]*\)$/\1/p" | head -1
}
stats_sum() {  # stats_sum NAME...: their sum
  local n s=0
  for n in "$@"; do s=$((s + $(stat_of "$n"))); done
  echo "$s"
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/${GW_PID[asa2]}/status" 2>/dev/null; }
inbound_spis() { gw asa2 show crypto ipsec sa | sed -n 's/.*current inbound spi : *\([0-9A-F]*\).*/\1/p' | sort | tr '\n' ' '; }
total_ike_sas() { gw asa2 show crypto isakmp sa | sed -n 's/^Total IKE SA: *\([0-9]*\).*/\1/p'; }
alive() { kill -0 "${GW_PID[asa2]}" 2>/dev/null; }
no_sanitizer() { ! grep -q 'ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer' "$RUN_DIR/asa2.log"; }
hostile() {  # hostile CASE [args]: the tool from the hostile peer's namespace; prints its JSON
  ip netns exec "$NS_ASA1" timeout 120 "$PY" tests/e2e/hostile/ikev1_hostile.py "$1" --target 10.0.0.2 "${@:2}"
}
answers() { sed -n 's/.*"answers": \(\[[^]]*\]\).*/\1/p' <<<"$1"; }

topo_up
for i in $(seq 100 163); do ip -n "$NS_ASA1" addr add "10.0.0.$i/24" dev gi0-0; done
ATTACKER=10.0.0.100
# ASA2 knows the hostile addresses as peers (tunnel-groups with a key), so their Main Modes
# get as far as a real peer's would: state is created and must stay bounded.
ASA2_CFG=$RUN_DIR/asa2-ikev1-group2.cfg
{
  cat tests/e2e/configs/asa2-ikev1-group2.cfg
  for i in $(seq 100 163); do
    printf 'tunnel-group 10.0.0.%s type ipsec-l2l\ntunnel-group 10.0.0.%s ipsec-attributes\n ikev1 pre-shared-key cisco123\n' "$i" "$i"
  done
} >"$ASA2_CFG"
check "ASA1 starts" gw_start asa1 "$NS_ASA1" tests/e2e/configs/asa1-ikev1-group2.cfg
check "ASA2 starts" gw_start asa2 "$NS_ASA2" "$ASA2_CFG"
# ASA1's Quick Mode 1, kept for the replay case, and the live SA's cookies with it.
ip netns exec "$NS_ASA2" timeout 250 "$PY" tests/e2e/hostile/ikev1_hostile.py capture --target 10.0.0.2 \
  --source 10.0.0.1 --device gi0-1 --replay "$RUN_DIR/qm1" --count 240 &
CAP_PID=$!
wait_for 30 test -e "$RUN_DIR/qm1.ready"
got=$(ping_from 192.168.1.1 192.168.2.99 5 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p')
check "the IKEv1 tunnel comes up (${got:-0} of 5 pings answered)" test "${got:-0}" -ge 3
T_UP=$SECONDS
check "ASA2: an ISAKMP SA with 10.0.0.1" contains "$(gw asa2 show crypto isakmp sa)" "IKE Peer: 10.0.0.1"
wait_for 10 test -s "$RUN_DIR/qm1.cookies"
CKY_I="" CKY_R=""
[ -s "$RUN_DIR/qm1.cookies" ] && read -r CKY_I CKY_R <"$RUN_DIR/qm1.cookies"
check "the live SA's cookies were seen on the wire (${CKY_I:-?}/${CKY_R:-?})" test -n "${CKY_I:-}" -a -n "${CKY_R:-}"
SPIS=$(inbound_spis)
check "ASA2 shows its inbound ESP SPI ($SPIS)" test -n "$SPIS"
ip netns exec "$NS_H1" ping -n -q -c 900 -i 0.1 -W 2 -I 192.168.1.1 192.168.2.99 >"$RUN_DIR/ping.txt" 2>&1 &
PING_PID=$!
RSS0=$(rss_kb)
echo "     | ASA2: ISAKMP SA $CKY_I/$CKY_R, inbound ESP SPI $SPIS, RSS ${RSS0} kB"

# run_case NAME "COUNTER[+COUNTER...]" EXPECTED_ANSWERS TOOL-ARGS...: runs one case and checks it.
#   COUNTER   the row(s) of `show crypto isakmp stats` whose sum must move
#   EXPECTED  an extended regular expression the tool's answers list must match whole
#             ('\[\]': no answer at all)
run_case() {
  local name=$1 counters=$2 expect=$3
  shift 3
  CASE=$name
  local before after out
  IFS=+ read -ra rows <<<"$counters"
  before=$(stats_sum "${rows[@]}")
  echo "     | ikev1_hostile.py $*"
  out=$(hostile "$@")
  echo "     | $out"
  check "answers match ^$expect\$" grep -Eq "^$expect\$" <<<"$(answers "$out")"
  sleep 0.3
  after=$(stats_sum "${rows[@]}")
  check "'$counters' moved ($before -> $after)" test "${after:-0}" -gt "${before:-0}"
  check "ASA2 still runs" alive
  check "the IPsec SA is the same" test "$(inbound_spis)" = "$SPIS"
  check "no sanitizer report" no_sanitizer
  LAST_OUT=$out
  LAST_DELTA=$((after - before))
}

NONE='\[\]'
DROPS="In Drop Packets"
run_case truncated "$DROPS" "$NONE" truncated --source $ATTACKER
run_case overlong "$DROPS" "$NONE" overlong --source $ATTACKER
run_case bad-lengths "$DROPS" "$NONE" bad-lengths --source $ATTACKER
run_case broken-chain "$DROPS" "$NONE" broken-chain --source $ATTACKER
run_case garbage "$DROPS" "$NONE" garbage --source $ATTACKER
run_case unknown-cookies "No Sa Fails" "$NONE" unknown-cookies --source $ATTACKER --count 200
check "every one of them was counted (${LAST_DELTA})" test "$LAST_DELTA" -ge 200
run_case bad-hash "Decrypt Fails+Hash Valid Fails" "$NONE" bad-hash --source $ATTACKER --cky-i "$CKY_I" --cky-r "$CKY_R" --count 300
check "every one of them was counted (${LAST_DELTA})" test "$LAST_DELTA" -ge 300
run_case response-without-request "$DROPS" "$NONE" response --source $ATTACKER --cky-i "$CKY_I" --cky-r "$CKY_R"
run_case wrong-psk "Decrypt Fails+Auth Fails" '\["no-answer"\]' wrong-psk --source $ATTACKER --psk not-the-key --count 40
check "all 40 Main Modes got to MM5 and none was answered" contains "$LAST_OUT" '"count": 40'
check "each was counted (${LAST_DELTA})" test "$LAST_DELTA" -ge 40
if [ -s "$RUN_DIR/qm1" ]; then
  # After the exchange's record is gone (30 s): its HASH(1) still verifies, but the Message ID
  # is spent.
  while [ $((SECONDS - T_UP)) -lt 35 ]; do sleep 1; done
  run_case replayed-quick-mode "In P2 Exchange Invalids" "$NONE" replay --source 10.0.0.1 --replay "$RUN_DIR/qm1"
else
  CASE=replayed-quick-mode check "a Quick Mode 1 of the live SA was captured to replay" false
fi
sources=()
for i in $(seq 100 163); do sources+=(--source "10.0.0.$i"); done
run_case mm1-flood "System Capacity Fails" '\[.*"MM2".*\]' mm1-flood "${sources[@]}" --count 20
mm2=$(sed -n 's/.*"mm2": \([0-9]*\).*/\1/p' <<<"$LAST_OUT")
total=$(total_ike_sas)
echo "     | 1280 Main Mode 1 sent, ${mm2:-?} answered; ASA2 holds ${total:-?} ISAKMP SAs"
check "half-open Main Modes stay bounded by the limit (${total:-?} SAs <= 1000 + the tunnel's)" test "${total:-99999}" -le 1002
check "no more answered than the limit allows (${mm2:-?} <= 1000)" test "${mm2:-99999}" -le 1000

CASE=end
RSS1=$(rss_kb)
echo "     | ASA2 RSS ${RSS0} kB -> ${RSS1} kB"
check "resident memory grew by less than 64 MB" test $((RSS1 - RSS0)) -lt 65536
check "ASA2 still runs" alive
check "no sanitizer report in ASA2's log" no_sanitizer
echo "     | $(gw asa2 show crypto isakmp stats | head -27 | tr -s ' ' | tr '\n' ';')"
for i in $(seq 300); do kill -0 "$PING_PID" 2>/dev/null || break; sleep 0.5; done
wait "$PING_PID" 2>/dev/null
PING_PID=""
ping_res=$(grep 'packets transmitted' "$RUN_DIR/ping.txt")
echo "     | ping through the tunnel during all of it: $ping_res"
check "the established tunnel lost no ping (900 sent, 900 received)" contains "$ping_res" "900 packets transmitted, 900 received"
check_summary
