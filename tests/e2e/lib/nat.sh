# A NAT router between two gateways, and packet captures on its public side.
#
#   nat_box NS PRIV_DEV PUB_DEV   the namespace forwards and masquerades what leaves PUB_DEV
#                                 (nftables): UDP source ports are rewritten into 20000-29999,
#                                 so IKE (500) and NAT-T (4500) both arrive from other ports
#                                 and the peer must follow them (RFC 7296 2.23 port floating)
#   cap_start NS DEV FILE         tshark captures DEV into FILE (bounded wait until it runs)
#   cap_stop                      stops the capture (SIGINT by PID, bounded wait)
#   cap_fields FILE FILTER FIELD...   tshark -r FILE -Y FILTER -T fields -e FIELD...
#
# The addresses are the caller's; only namespaces the caller created are touched.

nat_box() {
  local ns=$1 priv=$2 pub=$3
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0
  ip netns exec "$ns" nft -f - <<EOF
table ip natbox {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$pub" meta l4proto udp masquerade to :20000-29999
    oifname "$pub" masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "$priv" oifname "$pub" accept
  }
}
EOF
}

CAP_PID=""
cap_start() {
  local ns=$1 dev=$2 file=$3
  ip netns exec "$ns" tshark -q -n -i "$dev" -w "$file" >"$file.log" 2>&1 &
  CAP_PID=$!
  local i
  # tshark loads every dissector before it captures: up to 30 s on a loaded machine.
  for i in $(seq 150); do
    grep -q "Capturing on" "$file.log" 2>/dev/null && return 0
    kill -0 "$CAP_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "tshark did not start:" >&2
  cat "$file.log" >&2
  return 1
}

cap_stop() {
  [ -n "$CAP_PID" ] || return 0
  sleep 1  # dumpcap writes in batches: let the last packets reach the file
  stop_pid "$CAP_PID" INT 50
  CAP_PID=""
}

cap_fields() {
  local file=$1 filter=$2
  shift 2
  local args=() f
  for f in "$@"; do args+=(-e "$f"); done
  tshark -n -r "$file" -Y "$filter" -T fields -E separator=' ' "${args[@]}" 2>/dev/null
}

cap_count() { cap_fields "$1" "$2" frame.number | grep -c .; }
