#!/bin/bash
# Liveness and deletion against a real strongSwan (the ios-strongswan-ikev1-ikev2 pair): DPD in
# both directions, recovery of a peer restarted after kill -9 (INITIAL_CONTACT removes the
# stale SA), and Delete notifications honoured and sent.
#   a. kill -9 ikegate and restart it at once: its new IKE SA carries INITIAL_CONTACT and
#      strongSwan drops the stale one (one IKE SA left, new SPIs, traffic flows)
#   b. kill -9 ikegate for good: strongSwan's DPD (dpd_delay 5 s, 3 retransmissions in about
#      7 s) removes the SA within its bound
#   c. kill -9 strongSwan and restart it at once: ikegate drops the stale SA on INITIAL_CONTACT
#   d. kill -9 strongSwan for good: ikegate's DPD (10 s idle, then 5 retransmissions 2 s apart)
#      removes the SA within 10-25 s, and says so in its log
#   e. Delete notifications: swanctl --terminate of the CHILD SA and of the IKE SA removes them
#      on ikegate; ikegate's `clear crypto ipsec sa` and `clear crypto ikev2 sa` remove them on
#      strongSwan
#
# Usage: test_dpd_strongswan.sh path/to/ikegate   (as root; skips without strongSwan)
set -u
PRELUDE_NEEDS=strongswan source "$(dirname "$0")/lib/prelude.sh"
trap topo_down EXIT INT TERM
SW=$RUN_DIR/sw
GWLOG=$RUN_DIR/r1.log

r1() { gw r1 "$@"; }
r1_start() { gw_start r1 "$NS_R1" tests/interop/configs/ios-ikev2.cfg --debug-protocol 3 --debug-platform 3; }
sw_up() { sw_start sw "$NS_SW" "$SW" && sw_load sw; }
r1_ike_count() { r1 show crypto ikev2 sa | grep -c 'READY'; }
r1_no_ike() { test "$(r1_ike_count)" = 0; }
r1_one_ike() { test "$(r1_ike_count)" = 1; }
r1_children() { r1 show crypto ipsec sa | grep -c '^ *spi: 0x'; }
r1_ike_spi() { r1 show crypto ikev2 sa detailed | sed -n 's/.*Local spi: *\([0-9A-F]*\).*/\1/p'; }
sw_ike_count() { sw_list_sas sw | grep -c 'ESTABLISHED'; }
sw_no_ike() { test "$(sw_ike_count)" = 0; }
sw_one_ike() { test "$(sw_ike_count)" = 1; }
sw_children() { sw_list_sas sw | grep -c 'INSTALLED'; }
sw_no_child() { test "$(sw_children)" = 0; }
sw_ike_spis() { sw_list_sas sw | awk '/ESTABLISHED/ { print $4, $5 }'; }
tunnel_up() {  # traffic from 192.168.1.10 brings it up (ikegate initiates); both see it
  test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" -ge 2 && wait_for 5 sw_one_ike && wait_for 5 r1_one_ike
}
pings() { test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" = 3; }

topo_up || { echo "FAIL: topology"; exit 1; }
mkdir -p "$SW"
sw_write_strongswan_conf "$SW" "ike 2, cfg 1, chd 1, knl 1, net 1, enc 1, esp 1"
sw_conf "$SW" conn_extra="dpd_delay = 5s" child_extra="dpd_action = clear"
CASE=setup
check "ikegate starts" r1_start
check "strongSwan starts" sw_up
check "traffic brings the tunnel up" tunnel_up

# (a) ikegate restarted after kill -9.
CASE=a-ikegate-restarted
old=$(sw_ike_spis)
gw_stop r1 KILL
check "ikegate restarts after kill -9" r1_start
check "traffic brings a new tunnel up" test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" -ge 2
check "strongSwan: exactly one IKE SA, with new SPIs ($old -> $(sw_ike_spis))" \
  wait_for 5 eval 'sw_one_ike && [ "$(sw_ike_spis)" != "$old" ]'
check "strongSwan: one CHILD SA (the stale one gone with its IKE SA)" test "$(sw_children)" = 1
check "charon's log: the stale IKE SA destroyed on INITIAL_CONTACT" \
  grep -q "destroying duplicate IKE_SA for peer '172.16.10.1', received INITIAL_CONTACT" "$SW/charon.log"
check "pings pass on the new SA" pings

# (b) ikegate killed for good: strongSwan's DPD.
CASE=b-strongswan-dpd
gw_stop r1 KILL
t=$(elapsed_until 25 sw_no_ike)
echo "     | strongSwan removed the dead peer's IKE SA after ${t:-more than 25} s"
check "strongSwan's DPD removes the SA within 4-16 s of the kill (${t:-none})" between "$t" 4 16
check "charon's log: DPD retransmissions given up" \
  grep -q "giving up after [0-9]* retransmits" "$SW/charon.log"
check "ikegate restarts" r1_start
check "the tunnel comes back" tunnel_up

# (c) strongSwan restarted after kill -9: its new IKE SA carries INITIAL_CONTACT.
CASE=c-strongswan-restarted
old=$(r1_ike_spi)
sw_stop_kill() { kill -KILL "${SW_PID[sw]}"; wait "${SW_PID[sw]}" 2>/dev/null; unset "SW_PID[sw]"; }
sw_stop_kill
check "strongSwan restarts after kill -9" sw_up
check "swanctl --initiate succeeds" sw_initiate sw ciscoios >/dev/null
check "ikegate: exactly one IKE SA, with a new SPI ($old -> $(r1_ike_spi))" \
  wait_for 5 eval 'r1_one_ike && [ "$(r1_ike_spi)" != "$old" ]'
check "ikegate: one CHILD SA pair" test "$(r1_children)" = 2
check "ikegate's log: the stale SA removed on INITIAL_CONTACT" grep -q "removed: INITIAL_CONTACT from the peer" "$GWLOG"
check "pings pass on the new SA" pings

# (d) strongSwan killed for good: ikegate's DPD.
CASE=d-ikegate-dpd
sw_stop_kill
t=$(elapsed_until 35 r1_no_ike)
echo "     | ikegate removed the dead peer's IKE SA after ${t:-more than 35} s"
check "ikegate's DPD removes the SA within 10-25 s of the kill (${t:-none})" between "$t" 10 25
check "ikegate's log: DPD: peer 172.16.10.2 did not answer" \
  grep -q "DPD: peer 172.16.10.2 did not answer" "$GWLOG"
check "ikegate: no CHILD SA left" test "$(r1_children)" = 0

# (e) Delete notifications, both ways.
CASE=e-delete
check "strongSwan restarts" sw_up
check "the tunnel comes back" tunnel_up
sw sw --terminate --child ciscoios --timeout 5 >/dev/null 2>&1
check "swanctl --terminate --child: ikegate removes the CHILD SA" wait_for 5 eval 'test "$(r1_children)" = 0'
check "... and keeps the IKE SA" r1_one_ike
sw_initiate sw ciscoios >/dev/null 2>&1
check "a new CHILD SA on the same IKE SA" wait_for 5 eval 'test "$(r1_children)" = 2 && r1_one_ike'
r1 clear crypto ipsec sa >/dev/null
check "ikegate's clear crypto ipsec sa: strongSwan removes the CHILD SA" wait_for 5 sw_no_child
check "... and keeps the IKE SA" sw_one_ike
check "traffic brings a CHILD SA back" \
  eval 'test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" -ge 2 && wait_for 5 eval "test \$(sw_children) = 1"'
r1 clear crypto ikev2 sa >/dev/null
check "ikegate's clear crypto ikev2 sa: strongSwan removes the IKE SA" wait_for 5 sw_no_ike
check "charon's log: the peer's Delete was received" grep -q "received DELETE for IKE_SA" "$SW/charon.log"
check "traffic brings the tunnel back" tunnel_up
sw sw --terminate --ike ciscoios --timeout 5 >/dev/null 2>&1
check "swanctl --terminate --ike: ikegate removes the IKE SA" wait_for 5 r1_no_ike
check "... and its CHILD SAs" test "$(r1_children)" = 0

[ "$FAILS" -ne 0 ] && dump_logs "$GWLOG" "$SW/charon.log" 100
# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
