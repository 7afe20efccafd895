#!/bin/bash
# NAT traversal against a real strongSwan (the ios-strongswan-ikev1-ikev2 pair) with an
# nftables masquerade router between the gateways that also rewrites UDP source ports:
#   a. ikegate behind the NAT: r1 (192.168.100.1) -- nat (masquerades as 172.16.10.1) --
#      strongSwan (172.16.10.2); ikegate initiates on traffic from 192.168.1.10
#   b. strongSwan behind the NAT: r1 (172.16.10.1) -- nat (masquerades as 172.16.10.2) --
#      strongSwan (192.168.101.2); strongSwan initiates
# Checked: ikegate's IOS show says NAT-T is detected inside (a) / outside (b), strongSwan's log
# says which host is behind the NAT, IKE moves from 500 to 4500, ESP only in UDP 4500, pings
# both ways with counters equal on both sides, and in (a) ikegate's NAT keepalives.
#
# Usage: test_nat_traversal_strongswan.sh path/to/ikegate   (as root; skips without strongSwan
# or tshark)
set -u
PRELUDE_NEEDS=strongswan source "$(dirname "$0")/lib/prelude.sh"
command -v tshark >/dev/null || { echo "SKIP: tshark is not installed (scripts/deps.sh installs it)"; exit 77; }
source tests/e2e/lib/nat.sh
NS_NAT=ios-nat-$TAG

# topo NAT_SIDE (r1|sw): the seed's topology with the NAT router on one side.
topo() {
  local side=$1 n
  for n in $NS_H1 $NS_R1 $NS_NAT $NS_SW $NS_H2; do
    ip netns add "$n" || return 1
    ip -n "$n" link set lo up
  done
  for n in $NS_R1 $NS_SW; do
    ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
      net.ipv4.conf.default.rp_filter=0
  done
  ip link add in1 netns "$NS_H1" type veth peer name e0-1 netns "$NS_R1"
  ip link add in netns "$NS_SW" type veth peer name in2 netns "$NS_H2"
  if [ "$side" = r1 ]; then
    ip link add e0-0 netns "$NS_R1" type veth peer name priv netns "$NS_NAT"
    ip link add pub netns "$NS_NAT" type veth peer name out netns "$NS_SW"
    ip -n "$NS_R1" addr add 192.168.100.1/24 dev e0-0
    ip -n "$NS_NAT" addr add 192.168.100.254/24 dev priv
    ip -n "$NS_NAT" addr add 172.16.10.1/24 dev pub
    ip -n "$NS_SW" addr add 172.16.10.2/24 dev out
  else
    ip link add e0-0 netns "$NS_R1" type veth peer name pub netns "$NS_NAT"
    ip link add priv netns "$NS_NAT" type veth peer name out netns "$NS_SW"
    ip -n "$NS_R1" addr add 172.16.10.1/24 dev e0-0
    ip -n "$NS_NAT" addr add 172.16.10.2/24 dev pub
    ip -n "$NS_NAT" addr add 192.168.101.254/24 dev priv
    ip -n "$NS_SW" addr add 192.168.101.2/24 dev out
  fi
  ip -n "$NS_H1" addr add 192.168.1.10/24 dev in1
  ip -n "$NS_R1" addr add 192.168.1.1/24 dev e0-1
  ip -n "$NS_SW" addr add 192.168.2.1/24 dev in
  ip -n "$NS_H2" addr add 192.168.2.10/24 dev in2
  local pair
  for pair in "$NS_H1 in1" "$NS_R1 e0-1" "$NS_R1 e0-0" "$NS_NAT priv" "$NS_NAT pub" \
    "$NS_SW out" "$NS_SW in" "$NS_H2 in2"; do
    # shellcheck disable=SC2086
    ip -n ${pair% *} link set ${pair#* } up
  done
  ip -n "$NS_H1" route add default via 192.168.1.1
  ip -n "$NS_H2" route add default via 192.168.2.1
  if [ "$side" = r1 ]; then
    ip -n "$NS_R1" route add default via 192.168.100.254
  else
    ip -n "$NS_SW" route add default via 192.168.101.254
  fi
  nat_box "$NS_NAT" priv pub
}
untopo() {
  cap_stop
  local name
  for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
  sw_stop_all
  local n
  for n in $NS_H1 $NS_R1 $NS_NAT $NS_SW $NS_H2; do ip netns del "$n" 2>/dev/null; done
}
trap 'untopo; keep_logs; rm -rf "$RUN_DIR"' EXIT INT TERM

r1() { gw "r1-$CASE" "$@"; }
counters() {  # ikegate "encaps decaps"
  r1 show crypto ipsec sa | awk '/#pkts encaps:/ { gsub(",", ""); e = $3 } /#pkts decaps:/ { gsub(",", ""); d = $3 } END { print e + 0, d + 0 }'
}
sw_counters() {  # strongSwan "in out" packets
  sw_list_sas sw | awk '$1 == "in" { for (i = 1; i <= NF; i++) if ($i ~ /^packets/) a = $(i - 1) } $1 == "out" { for (i = 1; i <= NF; i++) if ($i ~ /^packets/) b = $(i - 1) } END { print a + 0, b + 0 }'
}
ike_ready() { r1 show crypto ikev2 sa | grep -q READY; }

# run_case NAME NAT_SIDE PUBLIC_OF_NATTED_SIDE: one topology, one tunnel, the checks.
run_case() {
  local name=$1 side=$2 natted=$3
  CASE=$name
  topo "$side" || { check "topology" false; return; }
  local sw=$RUN_DIR/sw-$name cfg=$RUN_DIR/r1-$name.cfg cap=$RUN_DIR/$name.pcap
  mkdir -p "$sw"
  sw_write_strongswan_conf "$sw" "ike 2, cfg 1, chd 1, knl 1, net 1, enc 1, esp 1"
  if [ "$side" = r1 ]; then
    # ikegate's address is private: it authenticates as itself (192.168.100.1); strongSwan
    # reaches it only as the NAT's 172.16.10.1.
    ios_conf "$cfg" 's/^ ip address 172.16.10.1 255.255.255.0/ ip address 192.168.100.1 255.255.255.0/'
    sw_conf "$sw" remote_id=192.168.100.1
  else
    ios_conf "$cfg"
    sw_conf "$sw" local_addrs=192.168.101.2
  fi
  check "capture on the NAT's public side starts" cap_start "$NS_NAT" pub "$cap"
  check "ikegate starts" gw_start "r1-$name" "$NS_R1" "$cfg" --debug-protocol 3
  sw_start sw "$NS_SW" "$sw" && sw_load sw
  local up=$SECONDS
  if [ "$side" = r1 ]; then
    check "ping 192.168.1.10 -> 192.168.2.10 through the NAT (ikegate initiates)" \
      test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 5)" -ge 4
  else
    check "swanctl --initiate from behind the NAT succeeds" sw_initiate sw ciscoios >/dev/null
    check "ping 192.168.2.10 -> 192.168.1.10 through the NAT" \
      test "$(ping_h "$NS_H2" 192.168.2.10 192.168.1.10 5)" = 5
  fi
  check "ikegate: IKE SA READY" wait_for 5 ike_ready
  local before after
  before=$(counters)
  check "ping 192.168.1.10 -> 192.168.2.10 (5)" test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 5)" = 5
  check "ping 192.168.2.10 -> 192.168.1.10 (5)" test "$(ping_h "$NS_H2" 192.168.2.10 192.168.1.10 5)" = 5
  after=$(counters)
  check "ikegate: encaps and decaps grew by 10 each" \
    test "$(echo "$before $after" | awk '{ print $3 - $1, $4 - $2 }')" = "10 10"
  check "strongSwan's in/out packets = ikegate's encaps/decaps" test "$(sw_counters)" = "$after"
  local det sess ipsec
  det=$(r1 show crypto ikev2 sa detailed)
  sess=$(r1 show crypto session detail)
  ipsec=$(r1 show crypto ipsec sa)
  echo "$det" | grep -E 'Tunnel-id|READY|NAT-T' | sed 's/^/     | /'
  if [ "$side" = r1 ]; then
    check "ikegate (behind the NAT): NAT-T is detected inside" contains "$det" "NAT-T is detected inside"
    check "charon: the remote host is behind a NAT" grep -q "remote host is behind NAT" "$sw/charon.log"
    check "ikegate: IKE SA on 192.168.100.1/4500 -> 172.16.10.2/4500" \
      contains "$det" "192.168.100.1/4500 *172.16.10.2/4500 *none/none *READY"
  else
    check "ikegate (peer behind the NAT): NAT-T is detected outside" contains "$det" "NAT-T is detected outside"
    check "charon: the local host is behind a NAT" grep -q "local host is behind NAT" "$sw/charon.log"
    local port
    port=$(sed -n 's/.*172.16.10.1\/4500 *172.16.10.2\/\([0-9]*\) .*READY.*/\1/p' <<<"$det")
    check "ikegate follows the NAT's port for strongSwan (172.16.10.2/$port)" \
      test -n "$port" -a "${port:-0}" -ge 20000 -a "${port:-0}" -le 29999
    check "ikegate's session detail: Peer: 172.16.10.2 port $port" \
      contains "$sess" "^Peer: 172.16.10.2 port $port fvrf"
  fi
  check "ikegate's session detail: the N (NAT-traversal) capability" contains "$sess" "Capabilities:[A-Z]*N"
  check "ikegate's ipsec sa: in use settings ={Tunnel UDP-Encaps, }" \
    test "$(grep -c 'in use settings ={Tunnel UDP-Encaps, }' <<<"$ipsec")" = 2
  if [ "$side" = r1 ]; then
    # ikegate's keepalives: one every 20 s from the side behind the NAT.
    sleep $((up + 22 - SECONDS > 0 ? up + 22 - SECONDS : 0))
    check "ping after the keepalive interval still passes" \
      test "$(ping_h "$NS_H2" 192.168.2.10 192.168.1.10 2)" = 2
  fi
  cap_stop
  local init500 auth4500 auth500 esp_udp esp_raw ka
  init500=$(cap_count "$cap" 'udp.dstport == 500 && isakmp.exchangetype == 34')
  auth4500=$(cap_count "$cap" 'udp.dstport == 4500 && isakmp.exchangetype == 35')
  auth500=$(cap_count "$cap" 'udp.dstport == 500 && isakmp.exchangetype == 35')
  esp_udp=$(cap_count "$cap" 'udp.port == 4500 && esp')
  esp_raw=$(cap_count "$cap" 'ip.proto == 50')
  ka=$(cap_count "$cap" "ip.src == $natted && udpencap.nat_keepalive")
  echo "     | capture: IKE_SA_INIT to 500: $init500, IKE_AUTH to 4500: $auth4500 (to 500: $auth500), ESP in UDP: $esp_udp, raw ESP: $esp_raw, keepalives from $natted: $ka"
  check "IKE_SA_INIT on port 500, IKE_AUTH on 4500 (none on 500)" \
    test "$init500" -ge 1 -a "$auth4500" -ge 1 -a "$auth500" = 0
  check "ESP in UDP 4500 (the pings), never IP protocol 50" test "$esp_udp" -ge 20 -a "$esp_raw" = 0
  if [ "$side" = r1 ]; then
    check "ikegate's NAT keepalives cross the NAT" test "$ka" -ge 1
  fi
  if [[ " $FAILED_CASES " == *" $name "* ]]; then
    dump_logs "$RUN_DIR/r1-$name.log" "$sw/charon.log" 60
    tshark -n -r "$cap" 2>/dev/null | grep -v ICMPv6 | head -30
  fi
  untopo
}

run_case a-ikegate-behind-nat r1 172.16.10.1
run_case b-strongswan-behind-nat sw 172.16.10.2
# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
