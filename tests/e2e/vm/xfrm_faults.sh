#!/bin/bash
# Runs inside the test VM (tests/e2e/test_xfrm_vm_faults.sh): the seed's ASA1/ASA2 IKEv2 tunnel
# on the kernel XFRM data plane, and what an operator or another program does to it:
# `clear crypto ipsec sa` / `clear crypto ikev2 sa` (exactly ikegate's kernel state goes, a
# foreign state and policy stay), a kernel SA or policy deleted behind ikegate's back with
# `ip xfrm` (noticed on XFRMNLGRP_SA/POLICY, logged, repaired, traffic flows again), and the
# kernel's own hard time limit removing the SAs of a daemon that is stopped (SIGSTOP).
# Prints ok/FAIL lines; the exit status is the number of failures.
set -u
# shellcheck disable=SC1091
source "$VM_RESULTS/env"
cd "$(dirname "$0")/../../.."
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/check.sh
source tests/e2e/vm/lib.sh
trap topo_down EXIT INT TERM

CFG=tests/e2e/configs
topo_up
CASE=start
check "ASA1 starts" gw_start asa1 "$NS_ASA1" "$CFG/asa1.cfg"
check "ASA2 starts" gw_start asa2 "$NS_ASA2" "$CFG/asa2.cfg"
check "ASA1 runs the xfrm data plane" grep -q "data plane xfrm" "$RUN_DIR/asa1.log"
foreign_add "$NS_ASA1"
check "a foreign state and policy (reqid 7) are installed" test "$(foreign_count "$NS_ASA1")" = "1 1"
check "tunnel up (192.168.1.1)" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" -ge 2

# clear crypto ...: exactly ikegate's SAs go (on both sides: the peer is told), the crypto
# map policies and the foreign state and policy stay, and traffic sets the tunnel up again.
CASE=clear
check "two CHILD SAs up" test "$(received "$NS_H1" 192.168.1.12 192.168.2.99 2)" = 2
check "ASA1 has 4 ESP SAs before clear" test "$(our_sas "$NS_ASA1")" = 4
gw asa1 clear crypto ipsec sa >/dev/null
check "clear crypto ipsec sa: ASA1's ESP SAs are gone" within 10 'test "$(our_sas "$NS_ASA1")" = 0'
check "clear crypto ipsec sa: ASA2's too (ASA1 sent Deletes)" within 10 'test "$(our_sas "$NS_ASA2")" = 0'
check "clear crypto ipsec sa: the crypto map policies stay (6)" test "$(our_policies "$NS_ASA1")" = 6
check "clear crypto ipsec sa: the foreign state and policy stay" test "$(foreign_count "$NS_ASA1")" = "1 1"
check "clear crypto ipsec sa: traffic sets up a new CHILD SA" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" -ge 2
gw asa1 clear crypto ikev2 sa >/dev/null
no_ike_sa() { ! gw "$1" show crypto ikev2 sa | grep -q READY; }
check "clear crypto ikev2 sa: no IKE SA on ASA1" wait_for 10 no_ike_sa asa1
check "clear crypto ikev2 sa: none on ASA2 (ASA1 sent a Delete)" wait_for 10 no_ike_sa asa2
check "clear crypto ikev2 sa: ASA1's ESP SAs are gone" within 10 'test "$(our_sas "$NS_ASA1")" = 0'
check "clear crypto ikev2 sa: ASA2's too" within 10 'test "$(our_sas "$NS_ASA2")" = 0'
check "clear crypto ikev2 sa: the foreign state and policy stay" test "$(foreign_count "$NS_ASA1")" = "1 1"
check "clear crypto ikev2 sa: traffic sets up new SAs" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" -ge 2

# Faults behind ikegate's back: a kernel SA or policy deleted with `ip xfrm`.
CASE=faults
spi_of() {  # spi_of NETNS SRC DST: the SPI of ikegate's ESP state SRC -> DST
  ip -n "$1" xfrm state | awk -v s="$2" -v d="$3" '$1 == "src" { hit = ($2 == s && $4 == d) }
    hit && $1 == "proto" && $2 == "esp" && $6 >= 1229389824 && $6 < 1229455360 { print $4; exit }'
}
out_spi=$(spi_of "$NS_ASA1" 10.0.0.1 10.0.0.2)
check "ASA1 has an outbound SA ($out_spi)" test -n "$out_spi"
ip -n "$NS_ASA1" xfrm state delete src 10.0.0.1 dst 10.0.0.2 proto esp spi "$out_spi"
check "outbound SA deleted behind ASA1's back: a clear log line" \
  wait_for 10 grep -q "outbound ESP SA $out_spi .* was deleted outside ikegate" "$RUN_DIR/asa1.log"
check "outbound SA deleted: traffic flows again within 20 s" within 20 'test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 2)" = 2'
check "outbound SA deleted: ASA2 was told (no SA of the lost pair left)" \
  within 10 'test -z "$(ip -n "$NS_ASA2" xfrm state | grep "spi $out_spi ")"'
in_spi=$(spi_of "$NS_ASA2" 10.0.0.1 10.0.0.2)
check "ASA2 has an inbound SA ($in_spi)" test -n "$in_spi"
ip -n "$NS_ASA2" xfrm state delete src 10.0.0.1 dst 10.0.0.2 proto esp spi "$in_spi"
check "inbound SA deleted behind ASA2's back: a clear log line" \
  wait_for 10 grep -q "inbound ESP SA $in_spi .* was deleted outside ikegate" "$RUN_DIR/asa2.log"
check "inbound SA deleted: traffic flows again within 20 s" within 20 'test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 2)" = 2'
ip -n "$NS_ASA1" xfrm policy delete src 192.168.1.1/32 dst 192.168.2.99/32 dir out
check "policy deleted behind ASA1's back: a clear log line" \
  wait_for 10 grep -q "a policy of reqid .* was deleted outside ikegate" "$RUN_DIR/asa1.log"
check "policy deleted: ASA1 installed it again (6 policies)" \
  within 10 'test "$(our_policies "$NS_ASA1")" = 6'
check "policy deleted: traffic still encrypted (encaps grow)" test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" = 3
check "after the faults: show counters equal ip -s xfrm state" wait_for 10 counters_match asa1 "$NS_ASA1"

# The kernel's hard time limit removes the SAs of a daemon that cannot (SIGSTOP); when it
# runs again, the HardExpire events remove the CHILD SAs, the peer is told, traffic sets up new
# ones.
CASE=kernel-expiry
gw_stop asa1 TERM
gw_stop asa2 TERM
check "both start with --ipsec-lifetime 10" \
  gw_start asa1 "$NS_ASA1" "$CFG/asa1.cfg" --ipsec-lifetime 10 && gw_start asa2 "$NS_ASA2" "$CFG/asa2.cfg" --ipsec-lifetime 10
check "tunnel up" within 20 'test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 2)" = 2'
check "the kernel has the time lifetimes: soft 12 s, hard 15 s (lifetime 10 s)" \
  contains "$(ip -n "$NS_ASA1" -s xfrm state list nokeys)" "expire add: soft 12(sec), hard 15(sec)"
# Both stopped (so neither declares the other dead): only the kernels' limits act.
kill -STOP "${GW_PID[asa1]}" "${GW_PID[asa2]}"
check "both stopped: the kernels remove the SAs by themselves (hard limit 15 s)" \
  within 40 'test "$(our_sas "$NS_ASA1") $(our_sas "$NS_ASA2")" = "0 0"'
kill -CONT "${GW_PID[asa1]}" "${GW_PID[asa2]}"
check "both continue: traffic sets up a new CHILD SA" within 40 'test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 2)" = 2'

CASE=stop
gw_stop asa1 TERM
gw_stop asa2 TERM
check "both stopped: nothing of ikegate's left in either namespace" test -z "$(ours "$NS_ASA1")$(ours "$NS_ASA2")"
check "both stopped: the foreign state and policy stay" test "$(foreign_count "$NS_ASA1")" = "1 1"

guest_finish
