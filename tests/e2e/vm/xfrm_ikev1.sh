#!/bin/bash
# Runs inside the test VM (tests/e2e/test_xfrm_vm_ikev1.sh): the seed's ASA1/ASA2 tunnel in the
# ASA's IKEv1 configuration form (crypto ikev1 policy, ikev1 transform-set, tunnel-group
# `ikev1 pre-shared-key`) with two ikegate daemons on the kernel XFRM data plane: Main Mode and
# Quick Mode raised by ACQUIRE, ESP SAs and counters, rekey under traffic with the kernel's
# time lifetimes, `clear crypto ipsec sa` / `clear crypto isakmp sa`, SIGTERM. The crypto ACL
# also covers the gateways' own addresses (host 10.0.0.1 -> host 10.0.0.2, which includes
# their IKE on UDP 500): IKE must bypass ikegate's own policies, the gateways' pings go in ESP.
set -u
# shellcheck disable=SC1091
source "$VM_RESULTS/env"
cd "$(dirname "$0")/../../.."
source tests/e2e/lib/asa_l2l.sh
source tests/e2e/lib/check.sh
source tests/e2e/vm/lib.sh
trap topo_down EXIT INT TERM

# v1_config ASA1|ASA2 OUT: the seed's configuration turned into the IKEv1 form.
v1_config() {
  local me=$1 peer local_net remote_net my_addr
  if [ "$me" = ASA1 ]; then
    peer=10.0.0.2 my_addr=10.0.0.1 local_net="host 192.168.1.1" remote_net="host 192.168.2.99"
    sed -n '/^hostname/,/^ ip address 192.168.1.2/p' tests/e2e/configs/asa1.cfg >"$2"
  else
    peer=10.0.0.1 my_addr=10.0.0.2 local_net="host 192.168.2.99" remote_net="host 192.168.1.1"
    sed -n '/^hostname/,/^ ip address 192.168.2.1/p' tests/e2e/configs/asa2.cfg >"$2"
  fi
  cat >>"$2" <<CFG
crypto ipsec ikev1 transform-set TS esp-aes-256 esp-sha-hmac
access-list l2l_list extended permit ip $local_net $remote_net
access-list l2l_list extended permit ip host $my_addr host $peer
crypto map outside_map 1 match address l2l_list
crypto map outside_map 1 set peer $peer
crypto map outside_map 1 set ikev1 transform-set TS
crypto map outside_map interface outside
crypto ikev1 policy 10
 authentication pre-share
 encryption aes-256
 hash sha
 group 2
 lifetime 86400
crypto ikev1 enable outside
tunnel-group $peer type ipsec-l2l
tunnel-group $peer ipsec-attributes
 ikev1 pre-shared-key cisco123
CFG
}
# gw_sa_packets NETNS SRC DST: kernel packet count of ikegate's ESP state SRC -> DST
gw_sa_packets() {
  local spi
  spi=$(ip -n "$1" xfrm state | awk -v s="$2" -v d="$3" '$1 == "src" { hit = ($2 == s && $4 == d) }
    hit && $1 == "proto" && $2 == "esp" && $6 >= 1229389824 && $6 < 1229455360 { print $4 }' | tail -1)
  [ -n "$spi" ] && kernel_packets "$1" "${spi#0x}"
}
show_spis() { gw "$1" show crypto ipsec sa | awk '/current outbound spi:/ { print $4 }' | sort | tr '\n' ' '; }

topo_up
v1_config ASA1 "$RUN_DIR/asa1-v1.cfg"
v1_config ASA2 "$RUN_DIR/asa2-v1.cfg"

CASE=v1-start
check "ASA1 starts (IKEv1 configuration)" gw_start asa1 "$NS_ASA1" "$RUN_DIR/asa1-v1.cfg"
check "ASA2 starts (IKEv1 configuration)" gw_start asa2 "$NS_ASA2" "$RUN_DIR/asa2-v1.cfg"
check "ASA1 runs the xfrm data plane" grep -q "data plane xfrm" "$RUN_DIR/asa1.log"
check "the IKEv1 crypto map policies are in the kernel (2 ACL lines x out/in/fwd)" \
  test "$(our_policies "$NS_ASA1")" = 6

CASE=v1-traffic
check "ping 192.168.1.1 -> 192.168.2.99 sets the tunnel up (Main Mode + Quick Mode on ACQUIRE)" \
  within 30 'test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 3)" -ge 2'
check "ping 192.168.2.99 -> 192.168.1.1 from the other side" test "$(received "$NS_H2" 192.168.2.99 192.168.1.1 3)" = 3
check "ASA1: one IKEv1 SA" contains "$(gw asa1 show crypto isakmp sa)" "Active SA: 1"
ipsec1=$(gw asa1 show crypto ipsec sa)
echo "$ipsec1" | sed -n '1,30p'
check "show crypto ipsec sa names the xfrm backend" contains "$ipsec1" "data plane: xfrm"
check "ESP SAs are in the kernel (ip xfrm state: 2 on ASA1)" test "$(our_sas "$NS_ASA1")" = 2
check "ASA1: show counters equal ip -s xfrm state" counters_match asa1 "$NS_ASA1"
check "ASA2: show counters equal ip -s xfrm state" counters_match asa2 "$NS_ASA2"

# The ACL's second line covers the gateways themselves, IKE on UDP 500 included: the tunnel
# came up, so IKE bypassed the policies. Their own pings now travel in ESP, and no IKE
# packet is counted on that SA.
CASE=v1-ike-bypass
check "ping 10.0.0.1 -> 10.0.0.2 (the gateways) raises a CHILD SA for them" \
  within 20 'test "$(received "$NS_ASA1" 10.0.0.1 10.0.0.2 2)" = 2'
check "the gateways' SA is in the kernel (4 ESP SAs on ASA1)" test "$(our_sas "$NS_ASA1")" = 4
before=$(gw_sa_packets "$NS_ASA1" 10.0.0.1 10.0.0.2)
gw asa1 clear crypto ipsec sa peer 10.0.0.2 >/dev/null  # a new Quick Mode on the next packets
check "cleared: the next ping renegotiates (IKE on UDP 500 between the gateways)" \
  within 30 'test "$(received "$NS_ASA1" 10.0.0.1 10.0.0.2 3)" = 3'
after=$(gw_sa_packets "$NS_ASA1" 10.0.0.1 10.0.0.2)
echo "   gateways' outbound SA: $before packets before, $after on the new SA"
check "the new gateways' SA counted only pings (<= 3 packets), no IKE" test -n "$after" -a "${after:-99}" -le 3
check "show counters still equal ip -s xfrm state" wait_for 10 counters_match asa1 "$NS_ASA1"

CASE=v1-rekey
gw_stop asa1 TERM
check "SIGTERM: no state or policy of ASA1's is left" test -z "$(ours "$NS_ASA1")"
check "ASA2 removed its SAs on ASA1's Deletes" within 10 'test "$(our_sas "$NS_ASA2")" = 0'
check "ASA1 starts with --ipsec-lifetime 10" gw_start asa1 "$NS_ASA1" "$RUN_DIR/asa1-v1.cfg" --ipsec-lifetime 10
check "tunnel up" within 20 'test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 2)" = 2'
check "the kernel has the time lifetimes: soft 12 s, hard 15 s (lifetime 10 s)" \
  contains "$(ip -n "$NS_ASA1" -s xfrm state list nokeys)" "expire add: soft 12(sec), hard 15(sec)"
spis_before=$(show_spis asa1)
check "60 pings over 24 s across the Quick Mode rekeys: none lost" \
  test "$(ip netns exec "$NS_H1" ping -n -q -c 60 -i 0.4 -W 3 -I 192.168.1.1 192.168.2.99 2>/dev/null |
    sed -n 's/.* \([0-9]*\) received.*/\1/p')" = 60
spis_after=$(show_spis asa1)
echo "   outbound SPIs before: $spis_before after: $spis_after"
check "the IPsec SA was rekeyed (new outbound SPI)" test -n "$spis_after" -a "$spis_before" != "$spis_after"
check "rekeyed SAs were removed from the kernel (at most one overlapping pair)" within 15 'test "$(our_sas "$NS_ASA1")" -le 4'
check "show counters equal ip -s xfrm state after the rekeys" wait_for 10 counters_match asa1 "$NS_ASA1"

CASE=v1-clear
foreign_add "$NS_ASA1"
check "a foreign state and policy (reqid 7) are installed" test "$(foreign_count "$NS_ASA1")" = "1 1"
# The SPIs of ikegate's ESP states in a namespace. A Quick Mode the peer started just before
# the clear may still complete and install a new pair, so the checks follow the cleared SPIs.
our_spis() { ip -n "$1" xfrm state | grep 'proto esp spi 0x' | ikegate_lines | grep -v 'spi 0x00000000' | sed -n 's/.*spi \(0x[0-9a-f]*\).*/\1/p' | sort -u; }
# none_left NS SPI...: none of the SPIs is in the namespace's kernel any more
none_left() { local ns=$1; shift; test -z "$(our_spis "$ns" | grep -Fx -f <(printf '%s\n' "$@"))"; }
spis1=$(our_spis "$NS_ASA1" | tr '\n' ' ')
spis2=$(our_spis "$NS_ASA2" | tr '\n' ' ')
check "before the clear: ASA1 has ESP SAs ($spis1)" test -n "$spis1"
gw asa1 clear crypto ipsec sa >/dev/null
check "clear crypto ipsec sa: ASA1's ESP SAs are gone" within 10 'none_left "$NS_ASA1" $spis1'
check "clear crypto ipsec sa: ASA2's too (ASA1 sent Deletes)" within 10 'none_left "$NS_ASA2" $spis2'
check "clear crypto ipsec sa: the crypto map policies stay (6)" test "$(our_policies "$NS_ASA1")" = 6
check "clear crypto ipsec sa: the foreign state and policy stay" test "$(foreign_count "$NS_ASA1")" = "1 1"
check "clear crypto ipsec sa: traffic sets up a new IPsec SA" within 20 'test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 2)" = 2'
gw asa1 clear crypto isakmp sa >/dev/null
check "clear crypto isakmp sa: no IKEv1 SA on ASA1" within 10 'contains "$(gw asa1 show crypto isakmp sa)" "There are no IKEv1 SAs"'
check "clear crypto isakmp sa: ASA2 removed its IKEv1 SA (the Delete)" \
  within 10 'contains "$(gw asa2 show crypto isakmp sa)" "There are no IKEv1 SAs"'
check "clear crypto isakmp sa: the foreign state and policy stay" test "$(foreign_count "$NS_ASA1")" = "1 1"
check "clear crypto isakmp sa: traffic still flows" within 20 'test "$(received "$NS_H1" 192.168.1.1 192.168.2.99 2)" = 2'

CASE=v1-stop
gw_stop asa1 TERM
gw_stop asa2 TERM
check "both stopped: nothing of ikegate's left in either namespace" test -z "$(ours "$NS_ASA1")$(ours "$NS_ASA2")"
check "both stopped: the foreign state and policy stay" test "$(foreign_count "$NS_ASA1")" = "1 1"

guest_finish
