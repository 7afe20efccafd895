#!/bin/bash
# Runs inside the test VM (Debian's stock kernel, which has ESP), started by
# tests/e2e/test_xfrm_vm.sh through scripts/vm/run.sh: the seed's ASA1/ASA2 scenario with two
# ikegate daemons on the kernel XFRM data plane. $VM_RESULTS/env names the ikegate binary.
# Also: the kernel's time lifetimes, and the guest's wall clock stepped by hours under traffic
# across rekeys. (Clear commands and faults: xfrm_faults.sh.) Prints ok/FAIL lines; the exit
# status is the number of failures.
set -u
# shellcheck disable=SC1091
source "$VM_RESULTS/env"
cd "$(dirname "$0")/../../.."
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/check.sh
source tests/e2e/vm/lib.sh
# The clock-step case moves the guest's wall clock; whatever happens, put it back.
CLOCK_STEPPED=0
finish() {
  [ "$CLOCK_STEPPED" = 0 ] || step_clock "$((-CLOCK_STEPPED))"
  topo_down
}
trap finish EXIT INT TERM

encaps_of() {  # encaps_of NAME HOST: #pkts encaps of the CHILD SA whose ACL line names HOST
  gw "$1" show crypto ipsec sa | awk -v h="host $2 " '
    /access-list/ { mine = index($0 " ", h) > 0 }
    mine && /#pkts encaps:/ { gsub(",", ""); print $3; exit }'
}

CFG=tests/e2e/configs
topo_up

# 0. `auto` (the default) takes the kernel's ESP here.
CASE=start
check "ASA1 starts" gw_start asa1 "$NS_ASA1" "$CFG/asa1.cfg"
check "ASA2 starts" gw_start asa2 "$NS_ASA2" "$CFG/asa2.cfg"
check "auto picks xfrm on this kernel (ASA1 log)" grep -q "data plane auto: xfrm" "$RUN_DIR/asa1.log"
check "ASA2 runs the xfrm data plane" grep -q "data plane xfrm" "$RUN_DIR/asa2.log"
check "ikegate holds the packets that raise an ACQUIRE (xfrm_larval_drop 0)" \
  test "$(ip netns exec "$NS_ASA1" cat /proc/sys/net/core/xfrm_larval_drop)" = 0
check "the crypto map policies are in the kernel (2 ACL lines x out/in/fwd)" \
  test "$(our_policies "$NS_ASA1")" = 6

# 1. Traffic brings the tunnel up, from both sides; each host pair has its CHILD SA.
CASE=traffic
check "ping 192.168.1.1 -> 192.168.2.99 sets the tunnel up (no packet lost)" \
  test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" = 3
check "ping 192.168.1.12 -> 192.168.2.99 (second CHILD SA)" \
  test "$(received "$NS_H1" 192.168.1.12 192.168.2.99 3)" = 3
check "ping 192.168.2.99 -> 192.168.1.1 from the other side" \
  test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 3)" = 3
sa1=$(gw asa1 show crypto ikev2 sa)
echo "$sa1"
check "ASA1: one IKE SA with two CHILD SAs" contains "$sa1" "IKE count:1, CHILD count:2"
ipsec1=$(gw asa1 show crypto ipsec sa)
echo "$ipsec1" | sed -n '1,40p'
check "show crypto ipsec sa names the xfrm backend for every SA" \
  test "$(grep -c 'data plane: xfrm' <<<"$ipsec1")" = 4
check "ESP SAs are in the kernel (ip xfrm state: 4 on ASA1)" \
  test "$(ip -n "$NS_ASA1" xfrm state | grep -c 'proto esp spi 0x[0-9a-f]* reqid 12293[89][0-9]*')" = 4
ip -n "$NS_ASA1" -s xfrm state list nokeys | sed -n "1,16p"
check "ASA1: show counters equal ip -s xfrm state" counters_match asa1 "$NS_ASA1"
check "ASA2: show counters equal ip -s xfrm state" counters_match asa2 "$NS_ASA2"
check "ASA1: 192.168.1.1's SA encapsulated its 3 requests and 3 replies" test "$(encaps_of asa1 192.168.1.1)" = 6
check "ASA1: 192.168.1.12's SA encapsulated its 3 requests" test "$(encaps_of asa1 192.168.1.12)" = 3

# 2. Rekey under a continuous ping: ASA1 with 10-second CHILD SAs rekeys about every 9 s;
# the kernel moves to the new SAs without losing a packet and the old ones are deleted.
CASE=rekey
gw_stop asa1 TERM
within 10 'test -z "$(ip -n "$NS_ASA2" xfrm state | grep "proto esp")"'
check "ASA1 starts with --ipsec-lifetime 10" gw_start asa1 "$NS_ASA1" "$CFG/asa1.cfg" --ipsec-lifetime 10
check "tunnel up" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 2)" = 2
spi_before=$(gw asa1 show crypto ipsec sa | awk '/current outbound spi:/ { print $4; exit }')
check "the kernel has the time lifetimes: soft 12 s, hard 15 s (lifetime 10 s)" \
  contains "$(ip -n "$NS_ASA1" -s xfrm state list nokeys)" "expire add: soft 12(sec), hard 15(sec)"
# The kernel measures add-time lifetimes against the wall clock; ikegate's timers are monotonic.
# Stepping the clock 3 hours ahead, then back, under traffic must expire nothing early.
step_clock +3
CLOCK_STEPPED=3
check "60 pings over 24 s across the rekeys, clock stepped 3 h ahead: none lost" \
  test "$(ip netns exec "$NS_H1" ping -n -q -c 60 -i 0.4 -W 3 -I 192.168.1.1 192.168.2.99 2>/dev/null |
    sed -n 's/.* \([0-9]*\) received.*/\1/p')" = 60
step_clock -3
CLOCK_STEPPED=0
check "35 pings over 14 s across a rekey, clock stepped back: none lost" \
  test "$(ip netns exec "$NS_H1" ping -n -q -c 35 -i 0.4 -W 3 -I 192.168.1.1 192.168.2.99 2>/dev/null |
    sed -n 's/.* \([0-9]*\) received.*/\1/p')" = 35
spi_after=$(gw asa1 show crypto ipsec sa | awk '/current outbound spi:/ { print $4; exit }')
echo "   outbound SPI before $spi_before, after $spi_after"
check "the CHILD SA was rekeyed (new outbound SPI)" test -n "$spi_after" -a "$spi_before" != "$spi_after"
check "rekeyed SAs were deleted from the kernel (at most one overlapping pair)" \
  test "$(ip -n "$NS_ASA1" xfrm state | grep -c 'proto esp')" -le 4
# (A rekey in progress shows two SAs per direction; compare once it has settled.)
check "ASA1: show counters equal ip -s xfrm state after the rekeys" wait_for 10 counters_match asa1 "$NS_ASA1"

# 3. SIGTERM removes exactly ikegate's state; a foreign state and policy survive.
CASE=sigterm
foreign_add "$NS_ASA1"
check "a foreign state and policy (reqid 7) are installed" test "$(foreign_count "$NS_ASA1")" = "1 1"
gw_stop asa1 TERM
check "SIGTERM: no state or policy of ASA1's is left" test -z "$(ours "$NS_ASA1")"
check "SIGTERM: the foreign state and policy (reqid 7) are still there" test "$(foreign_count "$NS_ASA1")" = "1 1"
check "ASA2 removed its SAs on ASA1's Delete" within 10 'test -z "$(ip -n "$NS_ASA2" xfrm state | grep "proto esp")"'

# 4. kill -9, then restart: the new instance removes what the killed one left, traffic flows.
CASE=kill-9
check "ASA1 starts again" gw_start asa1 "$NS_ASA1" "$CFG/asa1.cfg"
check "tunnel up again" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" = 3
old_spis=$(ip -n "$NS_ASA1" xfrm state | ikegate_lines | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\) .*/\1/p' | sort)
check "ASA1 has SAs before kill -9" test -n "$old_spis"
gw_stop asa1 KILL
check "kill -9 leaves the killed instance's state behind" test -n "$(ours "$NS_ASA1")"
check "ASA1 restarts after kill -9" gw_start asa1 "$NS_ASA1" "$CFG/asa1.cfg"
check "restart: the leftovers were removed (log)" grep -q "left by an earlier instance" "$RUN_DIR/asa1.log"
left=$(ip -n "$NS_ASA1" xfrm state | ikegate_lines | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\) .*/\1/p' | sort | comm -12 - <(echo "$old_spis"))
check "restart: none of the killed instance's SAs is left" test -z "$left"
check "restart: the foreign state and policy survived" test "$(foreign_count "$NS_ASA1")" = "1 1"
check "restart: traffic flows again" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" -ge 2

CASE=stop
gw_stop asa1 TERM
gw_stop asa2 TERM
check "both stopped: nothing of ikegate's left in either namespace" \
  test -z "$(ours "$NS_ASA1")$(ours "$NS_ASA2")"
check "both stopped: the foreign state and policy stay" test "$(foreign_count "$NS_ASA1")" = "1 1"

# 5. The backend's own kernel tests, where the kernel has ESP (probe, add_sa, counters).
CASE=unit
unit=$(dirname "$IKEGATE")/unit_dataplane
if [ -x "$unit" ]; then
  check "unit_dataplane XfrmKernel.* pass on a kernel with ESP" \
    timeout 60 "$unit" --gtest_filter='XfrmKernel.*' --gtest_brief=1
fi

guest_finish
