#!/bin/bash
# Faults (issue 9, section 3): the userspace data plane's kernel state deleted behind ikegate's
# back while the seed's ASA1/ASA2 IKEv2 tunnel is up. What ASA2 installed (its TUN device
# ikegate0, the default route of table 4500 into it, one policy-routing rule per crypto ACL
# line) is removed with `ip`, one piece at a time: a rule, the routes of the table, the device
# set down, the device deleted. Each time ASA2 hears of it from rtnetlink, says so in one log
# line, puts it back, and traffic passes again within 10 s; at the end ASA2 holds exactly what
# it held before (one device, the same rules and routes) and the IKE and IPsec SAs never changed.
#
# Usage: test_dataplane_repair.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
trap topo_down EXIT INT TERM

ns=$NS_ASA2
received() { ping_from 192.168.1.1 192.168.2.99 "$1" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
passes() { test "$(received 1)" = 1; }
kernel_state() {  # what ASA2 installed: its devices, the routes of its table, its rules
  ip -n "$ns" -o link show | grep -o 'ikegate[^:@]*' | sort
  ip -n "$ns" route show table 4500
  ip -n "$ns" rule show | grep 'lookup 4500' | sort
}
spis() { gw asa2 show crypto ipsec sa | sed -n 's/.*current inbound spi : *\([0-9A-F]*\).*/\1/p' | sort | tr '\n' ' '; }
log_count() { grep -c -- "$1" "$RUN_DIR/asa2.log"; }
logged_more() { test "$(log_count "$1")" -gt "$2"; }

topo_up
check "ASA1 starts" gw_start asa1 "$NS_ASA1" tests/e2e/configs/asa1.cfg
check "ASA2 starts" gw_start asa2 "$NS_ASA2" tests/e2e/configs/asa2.cfg
check "the tunnel comes up" test "$(received 3)" = 3
before=$(kernel_state)
spis_before=$(spis)
echo "     | ASA2's kernel state:"
sed 's/^/     |   /' <<<"$before"
check "ASA2 has its TUN device, a default route in table 4500 and a rule" \
  bash -c 'grep -q "^ikegate0$" <<<"$1" && grep -q "^default dev ikegate0" <<<"$1" && grep -q "lookup 4500" <<<"$1"' _ "$before"

# fault NAME "LOG LINE" COMMAND...: applies the fault in ASA2's namespace, then checks.
fault() {
  CASE=$1
  local line=$2
  shift 2
  local t0=$SECONDS n
  n=$(log_count "$line")
  ip netns exec "$ns" "$@"
  check "ASA2 logs it: '$line'" wait_for 10 logged_more "$line" "$n"
  check "traffic passes again within 10 s" wait_for 10 passes
  echo "     | recovered after $((SECONDS - t0)) s"
  check "then every ping passes" test "$(received 5)" = 5
  check "ASA2's kernel state is what it was" test "$(kernel_state)" = "$before"
  check "the IPsec SAs are the same" test "$(spis)" = "$spis_before"
  check "ASA2 still runs" kill -0 "${GW_PID[asa2]}"
}

rule=$(ip -n "$ns" rule show | grep 'lookup 4500' | head -1 | sed 's/^\([0-9]*\):\s*/pref \1 /')
# shellcheck disable=SC2086 # the rule's words are the arguments of `ip rule del`
fault rule-deleted "policy-routing rule(s) of table 4500 were deleted; restored them" ip rule del $rule
fault routes-flushed "its routes in table 4500 deleted; restored them" ip route flush table 4500
fault device-down "TUN device ikegate0 was set down" ip link set ikegate0 down
fault device-deleted "TUN device ikegate0 was deleted; re-created it" ip link del ikegate0

CASE=end
check "the tunnel is the one it was: one IKE SA, one CHILD SA" contains "$(gw asa2 show crypto ikev2 sa)" "IKE count:1, CHILD count:1"
check "no sanitizer report" test -z "$(grep -l 'ERROR: AddressSanitizer\|runtime error:' "$RUN_DIR"/*.log)"
check_summary
