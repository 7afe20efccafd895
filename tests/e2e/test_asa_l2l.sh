#!/bin/bash
# End to end: the seed's ASA1/ASA2 IKEv2 site-to-site tunnel (asa-ikev2-l2l-psk-debug) with two
# ikegate daemons in network namespaces, real pings through the userspace ESP data plane, and
# what an operator would check: SAs in `show`, counters equal to the pings, clear errors for a
# wrong key and a proposal mismatch, DPD removing a dead peer, `clear` and kill -9 recovery.
#
# Usage: test_asa_l2l.sh path/to/ikegate   (as root)
set -u
IKEGATE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$(dirname "$0")/../.."
source tests/e2e/lib/asa_l2l.sh
trap topo_down EXIT INT TERM

FAILS=0
check() {  # check "what" command...
  local what=$1
  shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; FAILS=$((FAILS + 1)); fi
}
received() {  # received SRC DST COUNT: how many echo replies came back
  ping_from "$1" "$2" "$3" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
contains() { grep -q -- "$2" <<<"$1"; }
count_lines() { grep -c -- "$2" <<<"$1"; }
# wait_for SECONDS command...: polls (every 0.5 s) until the command succeeds.
wait_for() {
  local limit=$1
  shift
  local i
  for i in $(seq $((limit * 2))); do
    "$@" && return 0
    sleep 0.5
  done
  return 1
}
no_ike_sa() { ! gw "$1" show crypto ikev2 sa | grep -q READY; }
stale_state() {  # prints what an ikegate left in a namespace: TUN device and policy rules
  local ns=$1
  ip -n "$ns" link show ikegate0 2>/dev/null | head -1
  ip -n "$ns" rule show | grep -E 'lookup 4500' || true
}

CFG=tests/e2e/configs
topo_up
check "ASA1 starts" gw_start asa1 "$NS_ASA1" "$CFG/asa1.cfg"
check "ASA2 starts" gw_start asa2 "$NS_ASA2" "$CFG/asa2.cfg"

# 1. Traffic brings the tunnel up; both host pairs get their own CHILD SA.
check "ping 192.168.1.1 -> 192.168.2.99 through the tunnel (first packet included)" \
  test "$(received 192.168.1.1 192.168.2.99 4)" = 4
check "ping 192.168.1.12 -> 192.168.2.99 through the tunnel" \
  test "$(received 192.168.1.12 192.168.2.99 4)" = 4
sa1=$(gw asa1 show crypto ikev2 sa)
sa2=$(gw asa2 show crypto ikev2 sa)
echo "$sa1"
check "ASA1: one IKE SA, READY, INITIATOR" contains "$sa1" "READY *INITIATOR"
check "ASA2: one IKE SA, READY, RESPONDER" contains "$sa2" "READY *RESPONDER"
check "ASA1: two CHILD SAs under one IKE SA" contains "$sa1" "IKE count:1, CHILD count:2"
check "ASA2: two CHILD SAs under one IKE SA" contains "$sa2" "IKE count:1, CHILD count:2"
ipsec1=$(gw asa1 show crypto ipsec sa)
ipsec2=$(gw asa2 show crypto ipsec sa)
echo "$ipsec1" | head -20
check "ASA1: encaps counters equal the pings of each host pair" \
  test "$(count_lines "$ipsec1" '#pkts encaps: 4, #pkts encrypt: 4, #pkts digest: 4')" = 2
check "ASA1: decaps counters equal the replies" \
  test "$(count_lines "$ipsec1" '#pkts decaps: 4, #pkts decrypt: 4, #pkts verify: 4')" = 2
check "ASA2: decaps counters equal the requests" \
  test "$(count_lines "$ipsec2" '#pkts decaps: 4, #pkts decrypt: 4, #pkts verify: 4')" = 2
check "ASA1: the crypto ACL lines are shown" contains "$ipsec1" \
  "access-list l2l_list extended permit ip host 192.168.1.12 host 192.168.2.99"
detail=$(gw asa1 show crypto ikev2 sa detail)
check "detail: local and remote identities" contains "$detail" "Remote id: 10.0.0.2"
check "detail: DPD configured 10/2 as the seed prints" contains "$detail" "DPD configured for 10 seconds, retry 2"

running=$(gw asa1 show running-config)
check "show running-config masks the keys" contains "$running" "pre-shared-key \*\*\*\*\*"
check "show running-config never prints a key" test "$(grep -c cisco123 <<<"$running")" = 0

# 1b. A configuration reload (SIGHUP / `config reload`) leaves unaffected tunnels alone.
cp "$CFG/asa1.cfg" "$RUN_DIR/asa1-live.cfg"
gw_stop asa1 TERM
check "ASA1 restarts from a copy it can reload" gw_start asa1 "$NS_ASA1" "$RUN_DIR/asa1-live.cfg"
check "tunnel back after restart" test "$(received 192.168.1.1 192.168.2.99 2)" = 2
spi_before=$(gw asa1 show crypto ikev2 sa detail | sed -n 's/.*Local spi: *\([0-9A-F]*\).*/\1/p' | head -1)
echo "access-list unrelated extended permit ip host 192.168.1.77 host 192.168.2.77" >>"$RUN_DIR/asa1-live.cfg"
kill -HUP "${GW_PID[asa1]}"
sleep 1
spi_after=$(gw asa1 show crypto ikev2 sa detail | sed -n 's/.*Local spi: *\([0-9A-F]*\).*/\1/p' | head -1)
check "SIGHUP: the configuration is reloaded" grep -q "configuration reloaded" "$RUN_DIR/asa1.log"
check "SIGHUP: the IKE SA is untouched (same SPI)" test -n "$spi_before" -a "$spi_before" = "$spi_after"
check "SIGHUP: traffic keeps flowing" test "$(received 192.168.1.1 192.168.2.99 2)" = 2
printf 'crypto ikev2 policy 1\n encryption bogus-cipher\n' >>"$RUN_DIR/asa1-live.cfg"
reload_out=$(gw asa1 config reload)
check "config reload with an error keeps the running configuration and says where" \
  test -n "$(grep 'asa1-live.cfg:[0-9]*:' <<<"$reload_out")"
check "after a failed reload the tunnel still works" test "$(received 192.168.1.1 192.168.2.99 2)" = 2

# 2. clear crypto ikev2 sa tears down on both sides; traffic brings it back.
gw asa1 clear crypto ikev2 sa >/dev/null
check "clear: ASA1 has no IKE SA" no_ike_sa asa1
check "clear: ASA2 removed its SA on the Delete" wait_for 5 no_ike_sa asa2
check "traffic re-establishes the tunnel after clear" \
  test "$(received 192.168.1.1 192.168.2.99 3)" = 3

# 3. Debug output reads like the seed's trace.
gw asa1 debug crypto ikev2 protocol 127 >/dev/null
gw asa1 debug crypto ikev2 platform 127 >/dev/null
gw asa1 debug crypto ipsec 7 >/dev/null
gw asa1 clear crypto ikev2 sa >/dev/null
wait_for 5 no_ike_sa asa2
received 192.168.1.1 192.168.2.99 2 >/dev/null
log1=$(cat "$RUN_DIR/asa1.log")
check "debug: SM Trace with the seed's states" contains "$log1" \
  "IKEv2-PROTO-5: ([0-9]*): SM Trace-> SA: I_SPI=[0-9A-F]\{16\} R_SPI=0000000000000000 (I) MsgID = 00000000 CurState: IDLE Event: EV_INIT_SA"
check "debug: IKE_SA_INIT header dump" contains "$log1" "IKEv2-PROTO-4: Exchange type: IKE_SA_INIT, flags: INITIATOR"
check "debug: SENT PKT line" contains "$log1" "IKEv2-PLAT-4: SENT PKT \[IKE_SA_INIT\] \[10.0.0.1\]:500->\[10.0.0.2\]:500"
check "debug: tunnel-group mapping line" contains "$log1" "mapped to tunnel group 10.0.0.2 using peer IP"
check "debug crypto ipsec: the CHILD SA's embryonic SAs" contains "$log1" "IPSEC: New embryonic SA created @ 0x[0-9A-F]\{8\},"
check "debug crypto ipsec: the outbound encrypt rule with the crypto ACL's source" contains "$log1" \
  "IPSEC: New outbound encrypt rule, SPI 0x[0-9A-F]\{8\}"
check "debug crypto ipsec: the inbound decrypt rule from the peer" contains "$log1" "   Src addr: 10.0.0.2"
gw asa1 undebug all >/dev/null

# 4. A wrong pre-shared key: AUTHENTICATION_FAILED on both sides, a clear line, no SA.
gw_stop asa2
sed 's/ikev2 local-authentication pre-shared-key cisco123/ikev2 local-authentication pre-shared-key wrongkey/' \
  "$CFG/asa2.cfg" >"$RUN_DIR/asa2-wrong.cfg"
gw asa1 clear crypto ikev2 sa >/dev/null
check "ASA2 starts with a wrong key" gw_start asa2 "$NS_ASA2" "$RUN_DIR/asa2-wrong.cfg"
check "wrong key: pings fail" test "$(received 192.168.1.1 192.168.2.99 2)" = 0
sleep 1
check "wrong key: ASA1 says the peer's AUTH did not verify" \
  grep -q "Authentication of peer 10.0.0.2 failed: AUTH payload does not match the pre-shared key" "$RUN_DIR/asa1.log"
check "wrong key: ASA2 says the peer reported AUTHENTICATION_FAILED" \
  grep -q "reported AUTHENTICATION_FAILED" "$RUN_DIR/asa2.log"
check "wrong key: no IKE SA on ASA1" no_ike_sa asa1
check "wrong key: no IKE SA on ASA2" no_ike_sa asa2

# 5. A proposal mismatch: NO_PROPOSAL_CHOSEN.
gw_stop asa2
sed 's/^ encryption aes-256/ encryption aes-192/' "$CFG/asa2.cfg" >"$RUN_DIR/asa2-prop.cfg"
check "ASA2 starts with another IKE proposal" gw_start asa2 "$NS_ASA2" "$RUN_DIR/asa2-prop.cfg"
check "mismatch: pings fail" test "$(received 192.168.1.1 192.168.2.99 2)" = 0
sleep 1
check "mismatch: ASA2 logs NO_PROPOSAL_CHOSEN" grep -q "NO_PROPOSAL_CHOSEN" "$RUN_DIR/asa2.log"
check "mismatch: ASA1 logs NO_PROPOSAL_CHOSEN from the peer" grep -q "Received NO_PROPOSAL_CHOSEN" "$RUN_DIR/asa1.log"

# 6. A killed peer is detected by DPD (10 s, retry 2 s) and its SAs removed.
gw_stop asa2
check "ASA2 restarts with the good configuration" gw_start asa2 "$NS_ASA2" "$CFG/asa2.cfg"
check "tunnel up again" test "$(received 192.168.1.1 192.168.2.99 2)" = 2
gw_stop asa2 KILL
check "DPD: ASA1 removes the dead peer's SA within 35 s" wait_for 35 no_ike_sa asa1
check "DPD: ASA1's log says why" grep -q "DPD: peer 10.0.0.2 did not answer" "$RUN_DIR/asa1.log"

# 7. kill -9 and restart leaves nothing stale; SIGTERM removes everything.
check "ASA2 back" gw_start asa2 "$NS_ASA2" "$CFG/asa2.cfg"
gw_stop asa1 KILL
check "ASA1 restarts after kill -9" gw_start asa1 "$NS_ASA1" "$CFG/asa1.cfg"
check "after restart: one TUN device and no duplicated rules" \
  test "$(ip -n "$NS_ASA1" rule show | grep -c 'lookup 4500')" = 2
check "after restart: traffic flows (ASA2 accepts the new SA via INITIAL_CONTACT)" \
  test "$(received 192.168.1.1 192.168.2.99 3)" = 3

# 8. An outside interface with `ip address dhcp` (the PIX seed's case) is bound through --map.
gw_stop asa1 TERM
sed 's/^ ip address 10.0.0.1 255.255.255.0/ ip address dhcp/' "$CFG/asa1.cfg" >"$RUN_DIR/asa1-dhcp.cfg"
unmapped=$(ip netns exec "$NS_ASA1" timeout 5 "$IKEGATE" run --config "$RUN_DIR/asa1-dhcp.cfg" \
  --socket "$RUN_DIR/x.sock" 2>&1)
check "dhcp outside without --map: refuses to start and says how to map it" \
  test $? -ne 0 -a -n "$(grep 'map it to a Linux device with --map outside=DEVICE' <<<"$unmapped")"
check "ASA1 starts with --map outside=gi0-0" gw_start asa1 "$NS_ASA1" "$RUN_DIR/asa1-dhcp.cfg" --map outside=gi0-0
check "dhcp outside: traffic flows" test "$(received 192.168.1.12 192.168.2.99 3)" = 3

gw_stop asa1 TERM
gw_stop asa2 TERM
check "SIGTERM: no TUN device or rule left on ASA1" test -z "$(stale_state "$NS_ASA1")"
check "SIGTERM: no TUN device or rule left on ASA2" test -z "$(stale_state "$NS_ASA2")"

# Sanitizer builds report into the daemons' logs: any report fails the test.
check "no sanitizer report in the daemons' logs" \
  test -z "$(grep -l -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$RUN_DIR"/*.log)"

if [ "$FAILS" -ne 0 ]; then
  echo "--- ASA1 log"; tail -n 60 "$RUN_DIR/asa1.log"
  echo "--- ASA2 log"; tail -n 60 "$RUN_DIR/asa2.log"
  echo "$FAILS check(s) failed"
  exit 1
fi
echo "all checks passed"
