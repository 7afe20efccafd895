#!/bin/bash
# Faults (issue 9, section 3): the network between ASA1 and ASA2 partitioned (every packet
# between 10.0.0.1 and 10.0.0.2 dropped in both directions, IKE and ESP) for 45 s, then healed.
# Both gateways' DPD (10 s, retry 2 s) detects the dead peer, says so in one log line, counts it
# in `show crypto ikev2 stats` and removes the SAs; after the heal, traffic re-establishes the
# tunnel with exactly one IKE SA and one CHILD SA pair on each side, and nothing stale is left
# (no SA, no extra TUN device or policy rule).
#
# Usage: test_hostile_partition.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
command -v nft >/dev/null || { echo "SKIP: needs nft (nftables)"; exit 77; }
trap topo_down EXIT INT TERM

received() { ping_from "$1" "$2" "$3" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
no_ike_sa() { ! gw "$1" show crypto ikev2 sa | grep -q READY; }
stat_of() { gw "$1" show crypto ikev2 stats | sed -n "s/^ *$2: *\([0-9][0-9]*\)$/\1/p"; }
stale_state() {  # what an ikegate may hold in its namespace: TUN devices and policy rules
  ip -n "$1" -o link show | grep -c 'ikegate'
  ip -n "$1" rule show | grep -c 'lookup 4500' || true
}

topo_up
check "ASA1 starts" gw_start asa1 "$NS_ASA1" tests/e2e/configs/asa1.cfg
check "ASA2 starts" gw_start asa2 "$NS_ASA2" tests/e2e/configs/asa2.cfg
check "the tunnel comes up" test "$(received 192.168.1.1 192.168.2.99 3)" = 3
state1=$(stale_state "$NS_ASA1")
state2=$(stale_state "$NS_ASA2")
spi_before=$(gw asa1 show crypto ikev2 sa detail | sed -n 's/.*Local spi: *\([0-9A-F]*\).*/\1/p' | head -1)
dpd1=$(stat_of asa1 "DPD Timeouts")
dpd2=$(stat_of asa2 "DPD Timeouts")

CASE=partition
ip netns exec "$NS_ASA2" nft -f - <<'EOF'
table inet partition {
  chain in { type filter hook input priority -10; ip saddr 10.0.0.1 drop; }
  chain out { type filter hook output priority -10; ip daddr 10.0.0.1 drop; }
}
EOF
t0=$SECONDS
check "pings fail while partitioned" test "$(received 192.168.1.1 192.168.2.99 2)" = 0
check "ASA1's DPD removes the SA within 35 s" wait_for 35 no_ike_sa asa1
check "ASA2's DPD removes the SA within 35 s" wait_for 35 no_ike_sa asa2
echo "     | both SAs gone after $((SECONDS - t0)) s"
check "ASA1 logs why" grep -q "DPD: peer 10.0.0.2 did not answer" "$RUN_DIR/asa1.log"
check "ASA2 logs why" grep -q "DPD: peer 10.0.0.1 did not answer" "$RUN_DIR/asa2.log"
check "ASA1 counts a DPD timeout" test "$(stat_of asa1 "DPD Timeouts")" -gt "$dpd1"
check "ASA2 counts a DPD timeout" test "$(stat_of asa2 "DPD Timeouts")" -gt "$dpd2"
check "no CHILD SA left on ASA1" test -z "$(gw asa1 show crypto ipsec sa | grep 'spi:')"
check "no CHILD SA left on ASA2" test -z "$(gw asa2 show crypto ipsec sa | grep 'spi:')"
# The partition lasts 45 s in all; traffic meanwhile keeps asking for a tunnel that cannot come.
while [ $((SECONDS - t0)) -lt 45 ]; do received 192.168.1.1 192.168.2.99 1 >/dev/null; sleep 1; done

CASE=healed
ip netns exec "$NS_ASA2" nft delete table inet partition
one_echo() { test "$(received 192.168.1.1 192.168.2.99 1)" = 1; }
check "traffic re-establishes the tunnel after the heal" wait_for 15 one_echo
check "then every ping passes" test "$(received 192.168.1.1 192.168.2.99 5)" = 5
sa1=$(gw asa1 show crypto ikev2 sa)
sa2=$(gw asa2 show crypto ikev2 sa)
check "ASA1: exactly one IKE SA with one CHILD SA" contains "$sa1" "IKE count:1, CHILD count:1"
check "ASA2: exactly one IKE SA with one CHILD SA" contains "$sa2" "IKE count:1, CHILD count:1"
spi_after=$(gw asa1 show crypto ikev2 sa detail | sed -n 's/.*Local spi: *\([0-9A-F]*\).*/\1/p' | head -1)
check "it is a new IKE SA" test -n "$spi_after" -a "$spi_after" != "$spi_before"
check "ASA1: one inbound and one outbound ESP SA" \
  test "$(gw asa1 show crypto ipsec sa | grep -c 'spi: 0x')" = 2
check "nothing stale on ASA1 (TUN devices, rules as before)" test "$(stale_state "$NS_ASA1")" = "$state1"
check "nothing stale on ASA2 (TUN devices, rules as before)" test "$(stale_state "$NS_ASA2")" = "$state2"
check "no sanitizer report" test -z "$(grep -l 'ERROR: AddressSanitizer\|runtime error:' "$RUN_DIR"/*.log)"
check_summary
