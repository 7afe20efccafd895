# The interoperability cases of the VM tests, shared by the guest scripts of each real peer
# (tests/e2e/vm/interop_strongswan.sh, interop_libreswan.sh). Source it after the peer's
# library, tests/interop/lib/ios_strongswan_topo.sh and tests/e2e/lib/check.sh, then call
# run_all_cases (it exits with the number of failed checks).
#
# ikegate is the IOS router R1 of ios-strongswan-ikev1-ikev2 on `--dataplane xfrm` (the seed's
# IOS configuration for the IKE version), the peer is the other gateway on its own kernel data
# plane, so both sides' ESP SAs are the kernel's. In each case: the chosen side initiates, the
# hosts behind the gateways ping each other, ESP is plain (no NAT, so no UDP encapsulation),
# and the counters of `show crypto ipsec sa` equal `ip -s xfrm state` on ikegate's side and the
# peer's kernel SAs (ikegate's outbound SA is the peer's inbound one and the other way round).
#
# The peer's script defines:
#   peer_start CASE VERSION    start a fresh peer (in $NS_SW) with the seed's connection; it
#                              serves every case of that IKE version
#   peer_initiate              make the peer initiate the connection
#   peer_up VERSION            the peer has the IKE SA of that version and the CHILD SA
#   peer_stop                  stop it
#   peer_log CASE              its log file (of the peer that served that case)
#   PEER                       its name in the check lines (also in the case names, lowercase)
#   PEER_PER_CASE=1            a fresh peer for every case, not one per IKE version

source tests/e2e/vm/kernel_sa.sh
IKEGATE=$VM_RESULTS/ikegate-xfrm
GW=""

# start_pair CASE VERSION: a fresh ikegate; a fresh peer when the IKE version changes (its
# start is the slow part under emulation). ikegate's predecessor deleted its SAs on SIGTERM,
# so the peer must have none left.
PEER_VERSION=""
start_pair() {
  local name=$1 version=$2 cfg=tests/interop/configs/ios-ikev2.cfg
  [ "$version" = 1 ] && cfg=tests/data/configs/ios-strongswan-ikev1.cfg
  [ -n "$GW" ] && gw_stop "$GW"
  CASE=$name
  GW=r1-$name
  if [ "$PEER_VERSION" != "$version" ] || [ "${PEER_PER_CASE:-0}" = 1 ]; then
    peer_stop
    PEER_VERSION=""
    peer_start "$name" "$version" || return 1
    PEER_VERSION=$version
  else
    wait_for 20 no_esp_states "$NS_SW" || ip -n "$NS_SW" xfrm state list nokeys | sed 's/^/   | /'
    check "the previous ikegate's Delete removed the peer's SAs" no_esp_states "$NS_SW"
  fi
  gw_start "$GW" "$NS_R1" "$cfg"
}
ike_up() {  # ike_up VERSION: ikegate's IKE SA with the peer is established
  if [ "$1" = 2 ]; then
    gw "$GW" show crypto ikev2 sa | grep -q "172.16.10.2/[0-9]* .*READY"
  else
    gw "$GW" show crypto isakmp sa | grep -q "172.16.10.[12] .*QM_IDLE"
  fi
}
initiator_is() {  # initiator_is VERSION WHO(r1|peer)
  if [ "$1" = 2 ]; then
    local want=No
    [ "$2" = r1 ] && want=Yes
    contains "$(gw "$GW" show crypto ikev2 sa detailed)" "Initiator of SA : $want"
  else
    # show crypto isakmp sa lists dst before src: the responder's address first.
    local dst=172.16.10.1
    [ "$2" = r1 ] && dst=172.16.10.2
    grep -Eq "^$dst +[0-9.]+ +QM_IDLE " <<<"$(gw "$GW" show crypto isakmp sa)"
  fi
}
esp_states() { ip -n "$1" xfrm state | grep -c '^src '; }
no_esp_states() { test "$(esp_states "$1")" = 0; }

# run_case CASE VERSION INITIATOR(peer|r1)
run_case() {
  local version=$2 who=$3 n=5 start=$SECONDS
  start_pair "$1" "$version" || { check "both gateways start" false; return; }
  if [ "$who" = peer ]; then
    check "$PEER initiates" peer_initiate
  else
    # One echo request raises the ACQUIRE. (The kernel holds it until the SAs are in, but under
    # emulation a peer may take longer than the kernel holds it: its answer is not required.)
    ip netns exec "$NS_H1" ping -n -q -c 1 -W 30 -I 192.168.1.10 192.168.2.10 >/dev/null
  fi
  check "ikegate: IKEv$version SA up" wait_for 60 ike_up "$version"
  check "$PEER: IKEv$version SA and CHILD SA up" wait_for 30 peer_up "$version"
  check "the $([ "$who" = r1 ] && echo ikegate || echo "$PEER") side initiated" initiator_is "$version" "$who"
  local in0 out0 enc0 dec0
  read -r in0 out0 enc0 dec0 <<<"$(ios_child_sa "$GW")"
  check "ping 192.168.1.10 -> 192.168.2.10 ($n)" test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 $n)" = $n
  check "ping 192.168.2.10 -> 192.168.1.10 ($n)" test "$(ping_h "$NS_H2" 192.168.2.10 192.168.1.10 $n)" = $n
  local ipsec in out enc dec
  ipsec=$(gw "$GW" show crypto ipsec sa)
  read -r in out enc dec <<<"$(ios_child_sa "$GW")"
  echo "   ikegate: inbound $in outbound $out, encaps $enc decaps $dec"
  ip -n "$NS_R1" -s xfrm state list nokeys | sed 's/^/   | /'
  check "show crypto ipsec sa: both SAs carried by the xfrm backend" \
    test "$(grep -c 'data plane: xfrm' <<<"$ipsec")" = 2
  check "the kernel holds ikegate's two ESP SAs and the peer's two" \
    test "$(esp_states "$NS_R1") $(esp_states "$NS_SW")" = "2 2"
  check "plain ESP: no UDP encapsulation (no NAT between the gateways)" \
    test -z "$(ip -n "$NS_R1" xfrm state | grep encap)"
  check "encaps and decaps grew by $((2 * n)) each (the pings)" \
    test "$((enc - enc0)) $((dec - dec0))" = "$((2 * n)) $((2 * n))"
  check "ikegate's kernel: outbound SA $out counted the encaps ($enc)" \
    test "$(kernel_packets "$NS_R1" "$out")" = "$enc"
  check "ikegate's kernel: inbound SA $in counted the decaps ($dec)" \
    test "$(kernel_packets "$NS_R1" "$in")" = "$dec"
  check "$PEER's kernel: its inbound SA is ikegate's outbound $out, same count" \
    test "$(kernel_packets "$NS_SW" "$out")" = "$enc"
  check "$PEER's kernel: its outbound SA is ikegate's inbound $in, same count" \
    test "$(kernel_packets "$NS_SW" "$in")" = "$dec"
  echo "   case $1: $((SECONDS - start)) s"
}

# finish: stops both, checks nothing is left in either kernel, prints the failing cases' logs.
finish() {
  [ -n "$GW" ] && gw_stop "$GW"
  peer_stop
  CASE=cleanup
  check "both stopped: no ESP SA left in either gateway's kernel" \
    test -z "$(ip -n "$NS_R1" xfrm state)$(ip -n "$NS_SW" xfrm state)"
  local c
  for c in $FAILED_CASES; do
    echo "---- $c: ikegate log (tail)"
    tail -n 40 "$RUN_DIR/r1-$c.log" 2>/dev/null
    echo "---- $c: $PEER log (tail)"
    tail -n 40 "$(peer_log "$c")" 2>/dev/null
  done
  check_summary
}

# run_all_cases: the topology, IKEv2 and IKEv1 with each side initiating, the clean-up; exits
# with the number of failed checks. ikegate initiates first: a peer that initiated itself may
# bring its connection back up when ikegate's SIGTERM deletes it (Libreswan does), and would
# then race the next case.
run_all_cases() {
  local peer=${PEER,,}
  topo_up || { echo "FAIL: topology"; exit 1; }
  run_case ikev2-ikegate-initiates 2 r1
  run_case "ikev2-$peer-initiates" 2 peer
  run_case ikev1-ikegate-initiates 1 r1
  run_case "ikev1-$peer-initiates" 1 peer
  finish
  exit "$FAILS"
}
