# The topology of ios-strongswan-ikev1-ikev2 (IKEv2 half) in network namespaces: ikegate plays
# the IOS router R1, a real strongSwan the other gateway. Source it after
# tests/interop/lib/strongswan.sh, call topo_up; topo_down belongs in the EXIT trap.
#
#   h1 (192.168.1.10) -- r1/ikegate (Ethernet0/1 192.168.1.1, Ethernet0/0 172.16.10.1)
#       == 172.16.10.0/24 ==
#   strongSwan (172.16.10.2, inside 192.168.2.1) -- h2 (192.168.2.10)
#
# The protected networks are the seed's 192.168.1.0/24 and 192.168.2.0/24: both gateways own an
# address inside their local selector, which strongSwan's kernel-libipsec needs for its route.
# Every name carries this shell's PID; only what this run created is removed.

# ikegate control: gw_start NAME NETNS CONFIG [args...], gw NAME COMMAND..., gw_stop NAME, as in
# the ASA end-to-end tests (its topology functions are replaced below).
source "$(dirname "${BASH_SOURCE[0]}")/../../e2e/lib/asa_l2l.sh"
NS_H1=ios-h1-$TAG
NS_R1=ios-r1-$TAG
NS_SW=ios-sw-$TAG
NS_H2=ios-h2-$TAG

topo_up() {
  local n
  for n in $NS_H1 $NS_R1 $NS_SW $NS_H2; do
    ip netns add "$n" || return 1
    ip -n "$n" link set lo up
  done
  # Forwarding without reverse-path filtering, also on devices created later (ikegate0, ipsec0).
  for n in $NS_R1 $NS_SW; do
    ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
      net.ipv4.conf.default.rp_filter=0
  done
  ip link add in1 netns "$NS_H1" type veth peer name e0-1 netns "$NS_R1"
  ip link add e0-0 netns "$NS_R1" type veth peer name out netns "$NS_SW"
  ip link add in netns "$NS_SW" type veth peer name in2 netns "$NS_H2"
  ip -n "$NS_H1" addr add 192.168.1.10/24 dev in1
  ip -n "$NS_R1" addr add 192.168.1.1/24 dev e0-1
  ip -n "$NS_R1" addr add 172.16.10.1/24 dev e0-0
  ip -n "$NS_SW" addr add 172.16.10.2/24 dev out
  ip -n "$NS_SW" addr add 192.168.2.1/24 dev in
  ip -n "$NS_H2" addr add 192.168.2.10/24 dev in2
  ip -n "$NS_H1" link set in1 up
  ip -n "$NS_R1" link set e0-1 up
  ip -n "$NS_R1" link set e0-0 up
  ip -n "$NS_SW" link set out up
  ip -n "$NS_SW" link set in up
  ip -n "$NS_H2" link set in2 up
  ip -n "$NS_H1" route add default via 192.168.1.1
  ip -n "$NS_H2" route add default via 192.168.2.1
  # Neither gateway has a route to the other's inside network: only the tunnel carries it.
}

# ping_h NS SRC DST COUNT: echo replies received by a ping from a host namespace.
ping_h() {
  ip netns exec "$1" ping -n -q -c "$4" -i 0.2 -W 2 -I "$2" "$3" 2>/dev/null |
    sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

topo_down() {
  local name
  for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
  # (strongswan.sh is not sourced when another peer stands in for strongSwan.)
  declare -F sw_stop_all >/dev/null && sw_stop_all
  local n
  for n in $NS_H1 $NS_R1 $NS_SW $NS_H2; do ip netns del "$n" 2>/dev/null; done
  keep_logs
  [ -n "${KEEP_RUN_DIR:-}" ] && { echo "logs kept in $RUN_DIR"; return 0; }
  rm -rf "$RUN_DIR"
}
