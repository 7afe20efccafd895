# The seed's ASA1/ASA2 topology with ASA1 moved behind a NAT router that masquerades it as
# 10.0.0.1 (the address ASA2's configuration knows) and rewrites UDP source ports (lib/nat.sh).
# Source it after lib/asa_l2l.sh (whose topo_up/topo_down it replaces) and lib/nat.sh.
#
#   h1 -- asa1 (inside 192.168.1.2, outside 192.168.100.1)
#          -- nat (192.168.100.254 | 10.0.0.1, nftables masquerade) --
#   asa2 (outside 10.0.0.2, inside 192.168.2.1) -- h2
#
# nat_config SRC DEST: ASA1's configuration SRC with its outside address moved to 192.168.100.1.

NS_NAT=ike-nat-$TAG

topo_up() {
  local n
  for n in $NS_H1 $NS_ASA1 $NS_NAT $NS_ASA2 $NS_H2; do
    ip netns add "$n" || return 1
    ip -n "$n" link set lo up
  done
  ip link add in1 netns "$NS_H1" type veth peer name gi0-2 netns "$NS_ASA1"
  ip link add gi0-0 netns "$NS_ASA1" type veth peer name priv netns "$NS_NAT"
  ip link add pub netns "$NS_NAT" type veth peer name gi0-1 netns "$NS_ASA2"
  ip link add gi0-2 netns "$NS_ASA2" type veth peer name in2 netns "$NS_H2"
  ip -n "$NS_H1" addr add 192.168.1.1/24 dev in1
  ip -n "$NS_ASA1" addr add 192.168.1.2/24 dev gi0-2
  ip -n "$NS_ASA1" addr add 192.168.100.1/24 dev gi0-0
  ip -n "$NS_NAT" addr add 192.168.100.254/24 dev priv
  ip -n "$NS_NAT" addr add 10.0.0.1/24 dev pub
  ip -n "$NS_ASA2" addr add 10.0.0.2/24 dev gi0-1
  ip -n "$NS_ASA2" addr add 192.168.2.1/24 dev gi0-2
  ip -n "$NS_H2" addr add 192.168.2.99/24 dev in2
  local pair
  for pair in "$NS_H1 in1" "$NS_ASA1 gi0-2" "$NS_ASA1 gi0-0" "$NS_NAT priv" "$NS_NAT pub" \
    "$NS_ASA2 gi0-1" "$NS_ASA2 gi0-2" "$NS_H2 in2"; do
    # shellcheck disable=SC2086
    ip -n ${pair% *} link set ${pair#* } up
  done
  ip -n "$NS_H1" route add default via 192.168.1.2
  ip -n "$NS_H2" route add default via 192.168.2.1
  # ASA1 reaches the world through the NAT; ASA2 knows nothing behind it.
  ip -n "$NS_ASA1" route add default via 192.168.100.254
  for n in $NS_ASA1 $NS_ASA2; do
    ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
      net.ipv4.conf.default.rp_filter=0
  done
  nat_box "$NS_NAT" priv pub
}

topo_down() {
  cap_stop
  local name
  for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
  local n
  for n in $NS_H1 $NS_ASA1 $NS_NAT $NS_ASA2 $NS_H2; do ip netns del "$n" 2>/dev/null; done
  keep_logs
  rm -rf "$RUN_DIR"
}

nat_config() {
  sed 's/^ ip address 10.0.0.1 255.255.255.0/ ip address 192.168.100.1 255.255.255.0/' "$1" >"$2"
}
