#!/bin/bash
# A hostile peer against a live tunnel (issue 9, section 2). ASA1 and ASA2 run the seed's
# IKEv2 site-to-site tunnel with a ping every 100 ms through it; from the outside segment a
# hostile peer (tests/e2e/hostile/ikev2_hostile.py, addresses 10.0.0.100-163 and a spoofed
# 10.0.0.1) sends ASA2 malformed, misdirected, replayed and forged IKE and ESP packets, an
# IKE_SA_INIT flood and IKE_AUTH exchanges with a wrong key. For each case: the RFC's reaction
# (the notify it prescribes, or no answer at all), the counter of `show crypto ikev2 stats` or
# `show crypto ipsec sa` that says so, ASA2 still running with the same IKE SA, no sanitizer
# report, resident memory bounded; and at the end the ping lost nothing.
#
# Usage: test_hostile_ikev2.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
PY=/usr/bin/python3
"$PY" -c 'import cryptography' 2>/dev/null || { echo "SKIP: needs Debian's python3 with python3-cryptography"; exit 77; }
CAP_PID="" PING_PID=""
cleanup() {
  [ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null
  [ -n "$PING_PID" ] && kill "$PING_PID" 2>/dev/null
  topo_down
}
trap cleanup EXIT INT TERM

received() { ping_from "$1" "$2" "$3" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
stat_of() {  # stat_of NAME: a counter of ASA2's `show crypto ikev2 stats`
  gw asa2 show crypto ikev2 stats | sed -n "s/^ *$1: *\([0-9][0-9]*\)$/\1/p"
}
recv_errors() {  # ASA2's `#recv errors` summed over its CHILD SAs
  gw asa2 show crypto ipsec sa | sed -n 's/.*#recv errors: \([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}'
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/${GW_PID[asa2]}/status" 2>/dev/null; }
ike_spis() { gw asa2 show crypto ikev2 sa detail | sed -n 's/.*Local spi: *\([0-9A-F]*\) *Remote spi: *\([0-9A-F]*\).*/\1 \2/p' | head -1; }
alive() { kill -0 "${GW_PID[asa2]}" 2>/dev/null; }
no_sanitizer() { ! grep -q 'ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer' "$RUN_DIR/asa2.log"; }
hostile() {  # hostile CASE [args]: the tool from the hostile peer's namespace; prints its JSON
  ip netns exec "$NS_ASA1" timeout 120 "$PY" tests/e2e/hostile/ikev2_hostile.py "$1" --target 10.0.0.2 "${@:2}"
}
answers() { sed -n 's/.*"answers": \(\[[^]]*\]\).*/\1/p' <<<"$1"; }
mid_now() {  # the Message ID ASA2 expects next from ASA1 (DPD moves it on)
  gw asa2 show crypto ikev2 sa detail | sed -n 's/.*Remote req mess id: *\([0-9]*\).*/\1/p' | head -1
}
# Where ikegate does not yet do what the RFC says, the check reports XFAIL (and the bug is
# filed) instead of failing; once fixed it reports XPASS, and the case should leave this list.
KNOWN_BUGS=" "
rfc_check() {  # rfc_check "what" command...
  local what=$1
  shift
  case $KNOWN_BUGS in
    *" $CASE "*) if "$@"; then echo "XPASS - $CASE: $what"; else echo "XFAIL - $CASE: $what (known bug)"; fi ;;
    *) check "$what" "$@" ;;
  esac
}

topo_up
for i in $(seq 100 163); do ip -n "$NS_ASA1" addr add "10.0.0.$i/24" dev gi0-0; done
ATTACKER=10.0.0.100
check "ASA1 starts" gw_start asa1 "$NS_ASA1" tests/e2e/configs/asa1.cfg
check "ASA2 starts" gw_start asa2 "$NS_ASA2" tests/e2e/configs/asa2.cfg
# The last request ASA1 sends ASA2, kept for the replay case.
ip netns exec "$NS_ASA2" timeout 200 "$PY" tests/e2e/hostile/ikev2_hostile.py capture --target 10.0.0.2 \
  --source 10.0.0.1 --device gi0-1 --replay "$RUN_DIR/last-request" --count 190 &
CAP_PID=$!
sleep 0.5
check "the tunnel comes up" test "$(received 192.168.1.1 192.168.2.99 3)" = 3
read -r SPI_R SPI_I <<<"$(ike_spis)"  # ASA2 is the responder: its local SPI is SPIr
check "ASA2 has the IKE SA (SPIs $SPI_I/$SPI_R)" test -n "$SPI_I" -a -n "$SPI_R"
MID=$(mid_now)
ESP_SPI=$(gw asa2 show crypto ipsec sa | sed -n 's/.*current inbound spi : *\([0-9A-F]*\).*/\1/p' | head -1)
ip netns exec "$NS_H1" ping -n -q -c 1100 -i 0.1 -W 2 -I 192.168.1.1 192.168.2.99 >"$RUN_DIR/ping.txt" 2>&1 &
PING_PID=$!
RSS0=$(rss_kb)
echo "     | ASA2: IKE SA $SPI_I/$SPI_R, next request Message ID $MID, inbound ESP SPI $ESP_SPI, RSS ${RSS0} kB"

# run_case NAME COUNTER EXPECTED_ANSWERS TOOL-ARGS...: runs one case and checks it.
#   COUNTER  the stats row that must move ("-" for none), or "recv" for ESP's #recv errors
#   EXPECTED an extended regular expression the tool's answers list must match whole
#            ('\[\]': no answer at all)
run_case() {
  local name=$1 counter=$2 expect=$3
  shift 3
  CASE=$name
  local before after out
  if [ "$counter" = recv ]; then before=$(recv_errors); elif [ "$counter" != - ]; then before=$(stat_of "$counter"); fi
  echo "     | ikev2_hostile.py $*"
  out=$(hostile "$@")
  echo "     | $out"
  rfc_check "answers match ^$expect\$" grep -Eq "^$expect\$" <<<"$(answers "$out")"
  sleep 0.3
  if [ "$counter" = recv ]; then
    after=$(recv_errors)
    check "#recv errors of the CHILD SA moved ($before -> $after)" test "${after:-0}" -gt "${before:-0}"
  elif [ "$counter" != - ]; then
    after=$(stat_of "$counter")
    check "'$counter' moved ($before -> $after)" test "${after:-0}" -gt "${before:-0}"
  fi
  check "ASA2 still runs" alive
  check "the IKE SA is the same" test "$(ike_spis)" = "$SPI_R $SPI_I"
  check "no sanitizer report" no_sanitizer
  LAST_OUT=$out
}

NONE='\[\]'
run_case truncated "Decode Errors" "$NONE" truncated --source $ATTACKER
run_case overlong "Decode Errors" "$NONE" overlong --source $ATTACKER
run_case bad-lengths "Decode Errors" "$NONE" bad-lengths --source $ATTACKER
# A chain that parses but lacks a payload IKE_SA_INIT needs may get INVALID_SYNTAX; never an SA.
run_case broken-chain "Decode Errors" '\[("notify:INVALID_SYNTAX")?\]' broken-chain --source $ATTACKER
run_case garbage "Decode Errors" "$NONE" garbage --source $ATTACKER
# RFC 7296 2.5: an unrecognized critical payload MUST be answered with UNSUPPORTED_CRITICAL_PAYLOAD.
run_case critical "Decode Errors" '\["notify:UNSUPPORTED_CRITICAL_PAYLOAD"\]' critical --source $ATTACKER
check "the same payload without the critical bit is skipped: a normal answer" contains "$LAST_OUT" '"noncritical": \[[^]]*"init"'
run_case unknown-spi "Invalid SPI" "$NONE" unknown-spi --source $ATTACKER --count 200
run_case out-of-window-mid "Invalid Message ID" "$NONE" bad-mid --source $ATTACKER --spi-i "$SPI_I" --spi-r "$SPI_R" --mid "$(mid_now)"
run_case response-without-request "Invalid Message ID" "$NONE" response --source $ATTACKER --spi-i "$SPI_I" --spi-r "$SPI_R"
run_case reflected "Invalid SPI" "$NONE" reflected --source $ATTACKER --spi-i "$SPI_I" --spi-r "$SPI_R" --mid "$(mid_now)"
run_case bad-icv "Integrity Check Failures" "$NONE" bad-icv --source $ATTACKER --spi-i "$SPI_I" --spi-r "$SPI_R" --mid "$(mid_now)" --count 300
refused() {  # every way a forged fragment can be refused and counted
  echo $(( $(stat_of "Decode Errors") + $(stat_of "Integrity Check Failures") + $(stat_of "Invalid Message ID") + $(stat_of "Duplicate Requests") + $(stat_of "Invalid Retransmissions") ))
}
frag0=$(refused)
run_case fragments - "$NONE" fragments --source $ATTACKER --spi-i "$SPI_I" --spi-r "$SPI_R" --mid "$(mid_now)" --count 2000
frag1=$(refused)
check "every fragment was refused and counted ($((frag1 - frag0)))" \
  test $((frag1 - frag0)) -ge "$(sed -n 's/.*"sent": \([0-9]*\).*/\1/p' <<<"$LAST_OUT")"
if [ -s "$RUN_DIR/last-request" ]; then
  run_case replay "Duplicate Requests" "$NONE" replay --source 10.0.0.1 --replay "$RUN_DIR/last-request"
else
  CASE=replay check "a request of the live SA was captured to replay" false
fi
if [ -n "$ESP_SPI" ]; then
  run_case esp-bad-icv recv "$NONE" esp-bad-icv --source 10.0.0.1 --esp-spi "$ESP_SPI" --count 500
else
  CASE=esp-bad-icv check "ASA2 shows its inbound ESP SPI" false
fi
run_case wrong-psk "Authentication Failures" '\["auth:AUTHENTICATION_FAILED"\]' wrong-psk --source 10.0.0.1 --psk not-the-key --count 40
check "each of the 40 exchanges got AUTHENTICATION_FAILED" contains "$LAST_OUT" '"count": 40'
sources=()
for i in $(seq 100 163); do sources+=(--source "10.0.0.$i"); done
run_case init-flood "Cookie Challenges Sent" '\[.*"init".*"notify:COOKIE".*\]' init-flood "${sources[@]}" --count 12
check "cookies were demanded" contains "$LAST_OUT" '"cookies": [1-9]'
check "a peer that returns the cookie is answered" contains "$LAST_OUT" '"with_cookie": \[[^]]*"init"'
half_open=$(stat_of "Half-open SAs")
check "half-open SAs stay bounded by the cookie threshold ($half_open <= 520)" test "${half_open:-99999}" -le 520

CASE=end
RSS1=$(rss_kb)
echo "     | ASA2 RSS ${RSS0} kB -> ${RSS1} kB"
check "resident memory grew by less than 64 MB" test $((RSS1 - RSS0)) -lt 65536
check "ASA2 still runs" alive
check "no sanitizer report in ASA2's log" no_sanitizer
for i in $(seq 300); do kill -0 "$PING_PID" 2>/dev/null || break; sleep 0.5; done
wait "$PING_PID" 2>/dev/null
PING_PID=""
ping_res=$(grep 'packets transmitted' "$RUN_DIR/ping.txt")
echo "     | ping through the tunnel during all of it: $ping_res"
check "the established tunnel lost no ping (1100 sent, 1100 received)" contains "$ping_res" "1100 packets transmitted, 1100 received"
check_summary
