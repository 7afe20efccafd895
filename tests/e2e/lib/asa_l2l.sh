# The seed's ASA1/ASA2 topology in network namespaces, shared by the demo and the tests.
# Source it, then call topo_up; topo_down runs from the EXIT trap the sourcing script sets.
#
#   h1 (192.168.1.1, 192.168.1.12) -- asa1 (inside 192.168.1.2, outside 10.0.0.1)
#       == 10.0.0.0/24 ==
#   asa2 (outside 10.0.0.2, inside 192.168.2.1) -- h2 (192.168.2.99)
#
# Every name carries this shell's PID, so two runs never collide, and only what this run
# created is removed.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$E2E_DIR/lib/proc.sh"
# ikegate refuses a configuration with keys that other users can read: what a run writes
# (edited copies of the configurations, logs) is for root only.
umask 077
TAG=$$
NS_H1=ike-h1-$TAG
NS_ASA1=ike-asa1-$TAG
NS_ASA2=ike-asa2-$TAG
NS_H2=ike-h2-$TAG
RUN_DIR=$(mktemp -d)
declare -A GW_PID=()

topo_up() {
  local n
  for n in $NS_H1 $NS_ASA1 $NS_ASA2 $NS_H2; do
    ip netns add "$n"
    ip -n "$n" link set lo up
  done
  ip link add in1 netns "$NS_H1" type veth peer name gi0-2 netns "$NS_ASA1"
  ip link add gi0-0 netns "$NS_ASA1" type veth peer name gi0-1 netns "$NS_ASA2"
  ip link add gi0-2 netns "$NS_ASA2" type veth peer name in2 netns "$NS_H2"
  ip -n "$NS_H1" addr add 192.168.1.1/24 dev in1
  ip -n "$NS_H1" addr add 192.168.1.12/24 dev in1
  ip -n "$NS_H1" link set in1 up
  ip -n "$NS_H1" route add default via 192.168.1.2
  ip -n "$NS_ASA1" addr add 192.168.1.2/24 dev gi0-2
  ip -n "$NS_ASA1" addr add 10.0.0.1/24 dev gi0-0
  ip -n "$NS_ASA1" link set gi0-2 up
  ip -n "$NS_ASA1" link set gi0-0 up
  ip -n "$NS_ASA2" addr add 10.0.0.2/24 dev gi0-1
  ip -n "$NS_ASA2" addr add 192.168.2.1/24 dev gi0-2
  ip -n "$NS_ASA2" link set gi0-1 up
  ip -n "$NS_ASA2" link set gi0-2 up
  ip -n "$NS_H2" addr add 192.168.2.99/24 dev in2
  ip -n "$NS_H2" link set in2 up
  ip -n "$NS_H2" route add default via 192.168.2.1
  for n in $NS_ASA1 $NS_ASA2; do
    ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
      net.ipv4.conf.default.rp_filter=0
  done
  # The gateways have no route to each other's inside networks: only the tunnel carries them.
}

# gw_start NAME NETNS CONFIG [extra args...]: runs `ikegate run` in the namespace and waits
# (bounded) until its control socket answers.
gw_start() {
  local name=$1 ns=$2 cfg=$3
  shift 3
  # A configuration from the tree (mode 0644 in a checkout) runs from a private copy.
  if [ -n "$(find "$cfg" -maxdepth 0 -perm /o+rw 2>/dev/null)" ]; then
    install -m 600 "$cfg" "$RUN_DIR/$name-$(basename "$cfg")"
    cfg=$RUN_DIR/$name-$(basename "$cfg")
  fi
  ip netns exec "$ns" "$IKEGATE" run --config "$cfg" --socket "$RUN_DIR/$name.sock" "$@" \
    >>"$RUN_DIR/$name.log" 2>&1 &
  GW_PID[$name]=$!
  local i
  for i in $(seq 100); do
    if [ -S "$RUN_DIR/$name.sock" ] && gw "$name" show debug >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "${GW_PID[$name]}" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "ikegate $name did not start:" >&2
  cat "$RUN_DIR/$name.log" >&2
  return 1
}

# gw NAME COMMAND...: an operator command to gateway NAME.
gw() {
  local name=$1
  shift
  timeout 10 "$IKEGATE" --socket "$RUN_DIR/$name.sock" "$@"
}

gw_ns() {
  case $1 in asa1) echo "$NS_ASA1" ;; asa2) echo "$NS_ASA2" ;; esac
}

# gw_stop NAME [SIGNAL]: signal the gateway and wait (bounded) for it to exit.
gw_stop() {
  local name=$1 sig=${2:-TERM} pid=${GW_PID[$1]:-}
  [ -n "$pid" ] || return 0
  stop_pid "$pid" "$sig"
  unset "GW_PID[$name]"
  return 0
}

# ping_from SRC DST COUNT: pings from host h1 with the given source address.
ping_from() {
  ip netns exec "$NS_H1" ping -n -q -c "$3" -i 0.2 -W 2 -I "$1" "$2"
}

# With IKEGATE_E2E_LOGS naming a directory (scripts/test.sh sets it), the logs and outputs of
# this run are copied there before RUN_DIR goes: the suite searches them all for leaked keys.
keep_logs() {
  [ -n "${IKEGATE_E2E_LOGS:-}" ] && [ -d "$IKEGATE_E2E_LOGS" ] || return 0
  local dest
  dest="$IKEGATE_E2E_LOGS/$(basename "$0" .sh)-$TAG"
  mkdir -p "$dest" &&
    find "$RUN_DIR" -type f \( -name '*.log' -o -name '*.txt' \) ! -name 'charon*' -exec cp --backup=numbered -t "$dest" {} + 2>/dev/null
  return 0
}

topo_down() {
  local name
  for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
  local n
  for n in $NS_H1 $NS_ASA1 $NS_ASA2 $NS_H2; do ip netns del "$n" 2>/dev/null; done
  keep_logs
  rm -rf "$RUN_DIR"
}
