#!/bin/bash
# Established traffic while new SAs are negotiated (issue 8, section 3).
#
#   sudo bench/load_traffic_bench.sh BUILD/ikegate
#
# Topology: the ASA1/ASA2 namespaces of the end-to-end tests (h1 -- asa1 == asa2 -- h2) with
# the load generator's namespace LG on asa2's outside segment (a bridge in asa2 joins asa1's
# link and LG's):
#
#   h1 192.168.1.1 -- asa1 10.0.0.1 ==+== 10.0.0.2 asa2 -- h2 192.168.2.99
#                         LG 10.0.0.11.. (SOURCES addresses) --+
#
# One tunnel h1 <-> h2 (the seed's configuration: IKE AES-256/SHA-1/MODP-1024, ESP AES-256/
# SHA-1) through the userspace data plane of both gateways carries a continuous ping (-i
# PING_INTERVAL). Phase "idle": BASE_S seconds of ping alone. Phase "load": `ikegate loadgen`
# starts RATE new IKE SAs per second, each with its first CHILD SA (X25519, AES-GCM-128),
# against asa2 for LOAD_S seconds while the same ping runs. Reported per phase: pings sent,
# lost, rtt p50/p99/max, and for the load the SAs the generator started and those established
# within LOAD_S + 10 s (it starts no more than RATE per second and keeps WINDOW in flight), the
# rate reached, and the responder's CPU (% of one core).
#
# Responders (RESPONDERS, default "ikegate strongswan"): ikegate on both gateways, or
# strongSwan (Debian's charon with kernel-libipsec, its userspace data plane) on both, the
# tunnel the same in both cases, same load generator. ROUNDS rounds alternate them.
#
# Environment: RATE [1000] LOAD_S [20] BASE_S [10] SOURCES [4] WINDOW [256] ROUNDS [1]
#              PING_INTERVAL [0.01] RESULTS [a new temporary directory, kept]
# Builds nothing; needs strongSwan from scripts/deps.sh for the strongSwan runs.
set -u
[ "$(id -u)" = 0 ] || { echo "load_traffic_bench: needs root" >&2; exit 77; }
cd "$(dirname "$0")/.."
IKEGATE_ARG=${1:-build/ikegate}
[ -x "$IKEGATE_ARG" ] || { echo "load_traffic_bench: no ikegate binary at $IKEGATE_ARG" >&2; exit 1; }
IKEGATE=$(cd "$(dirname "$IKEGATE_ARG")" && pwd)/$(basename "$IKEGATE_ARG")
RATE=${RATE:-1000}
LOAD_S=${LOAD_S:-20}
BASE_S=${BASE_S:-10}
SOURCES=${SOURCES:-4}
WINDOW=${WINDOW:-256}
ROUNDS=${ROUNDS:-1}
PING_INTERVAL=${PING_INTERVAL:-0.01}
RESPONDERS=${RESPONDERS:-"ikegate strongswan"}
RESULTS=${RESULTS:-$(mktemp -d /tmp/load-traffic-bench.XXXXXX)}
mkdir -p "$RESULTS"
chmod 700 "$RESULTS"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
HZ=$(getconf CLK_TCK)

source tests/e2e/lib/asa_l2l.sh
SW_CHARON=${CHARON:-/usr/lib/ipsec/charon}
source tests/interop/lib/strongswan.sh
NS_LG=ike-lg-$TAG
PING_PID=""
LG_PID=""

cleanup() {
  local pid
  for pid in $PING_PID $LG_PID; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  sw_stop_all
  topo_down
  ip netns del "$NS_LG" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date +%T)] $*" >&2; }

# ---- Topology ----
topo_up
ip netns add "$NS_LG"
ip -n "$NS_LG" link set lo up
ip -n "$NS_ASA2" link add br0 type bridge
ip -n "$NS_ASA2" addr del 10.0.0.2/24 dev gi0-1
ip -n "$NS_ASA2" link set gi0-1 master br0
ip link add lg0 netns "$NS_LG" type veth peer name gi0-3 netns "$NS_ASA2"
ip -n "$NS_ASA2" link set gi0-3 master br0
ip -n "$NS_ASA2" addr add 10.0.0.2/24 dev br0
ip -n "$NS_ASA2" link set gi0-3 up
ip -n "$NS_ASA2" link set br0 up
# kernel-libipsec wants an address of its own inside the local traffic selector.
ip -n "$NS_ASA2" addr add 10.2.0.1/16 dev lo
LG_ADDRS=""
LG_EXTRA=""
for i in $(seq "$SOURCES"); do
  ip -n "$NS_LG" addr add "10.0.0.$((10 + i))/24" dev lg0
  LG_ADDRS+=" 10.0.0.$((10 + i))"
  [ "$i" -gt 1 ] && LG_EXTRA+="${LG_EXTRA:+,}10.0.0.$((10 + i))"
done
ip -n "$NS_LG" link set lg0 up

# ---- Configurations ----
CFG=$RESULTS/cfg
mkdir -p "$CFG"
PSK=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
# The tunnel: the seed's configurations with the crypto ACL widened to the two inside /24s
# (strongSwan's libipsec needs a gateway address inside the local selector, see
# tunnel_bench.sh). asa2 also accepts the load generator's sources, one crypto map entry and
# tunnel group each (X25519, AES-GCM-128).
nets_acl() {  # nets_acl SEED_CFG LOCAL_NET PEER_NET: the seed's l2l_list replaced by one line
  awk -v l="$2" -v r="$3" '/^access-list l2l_list / { if (!done) print "access-list l2l_list extended permit ip " l " 255.255.255.0 " r " 255.255.255.0"; done = 1; next }
    { print }' "$1"
}
nets_acl tests/e2e/configs/asa1.cfg 192.168.1.0 192.168.2.0 >"$CFG/asa1.cfg"
nets_acl tests/e2e/configs/asa2.cfg 192.168.2.0 192.168.1.0 >"$CFG/asa2-tunnel.cfg"
{
  cat <<EOF
crypto ipsec ikev2 ipsec-proposal LGP
 protocol esp encryption aes-gcm
 protocol esp integrity null
access-list lg_list extended permit ip 10.2.0.0 255.255.0.0 10.1.0.0 255.255.0.0
EOF
  seq=10
  for a in $LG_ADDRS; do
    cat <<EOF
crypto map outside_map $seq match address lg_list
crypto map outside_map $seq set peer $a
crypto map outside_map $seq set ikev2 ipsec-proposal LGP
tunnel-group $a type ipsec-l2l
tunnel-group $a ipsec-attributes
 ikev2 remote-authentication pre-shared-key $PSK
 ikev2 local-authentication pre-shared-key $PSK
 isakmp keepalive disable
EOF
    seq=$((seq + 1))
  done
} >"$CFG/asa2-lg.part"
awk -v part="$CFG/asa2-lg.part" '/^crypto map outside_map interface outside/ { while ((getline l < part) > 0) print l }
  { print }
  END { print "crypto ikev2 policy 2\n encryption aes-gcm\n integrity null\n prf sha256\n group 31\n lifetime seconds 86400" }' \
  "$CFG/asa2-tunnel.cfg" >"$CFG/asa2.cfg"
first=${LG_ADDRS# }
first=${first%% *}
cat >"$CFG/lg.cfg" <<EOF
hostname LG
interface GigabitEthernet0/0
 nameif outside
 security-level 0
 ip address $first 255.255.255.0
crypto ipsec ikev2 ipsec-proposal P
 protocol esp encryption aes-gcm
 protocol esp integrity null
access-list L extended permit ip 10.1.0.0 255.255.0.0 10.2.0.0 255.255.0.0
crypto ikev2 policy 1
 encryption aes-gcm
 integrity null
 prf sha256
 group 31
 lifetime seconds 86400
crypto ikev2 enable outside
crypto map M 1 match address L
crypto map M 1 set peer 10.0.0.2
crypto map M 1 set ikev2 ipsec-proposal P
tunnel-group 10.0.0.2 type ipsec-l2l
tunnel-group 10.0.0.2 ipsec-attributes
 ikev2 remote-authentication pre-shared-key $PSK
 ikev2 local-authentication pre-shared-key $PSK
 isakmp keepalive disable
crypto map M interface outside
EOF

# sw_conf DIR SIDE: charon + kernel-libipsec, the same tunnel as the seed's (and on asa2 the
# load generator's connection, with DoS limits raised and logging off, as in ike_bench.sh).
sw_conf() {
  local dir=$1 side=$2 me peer lts rts
  if [ "$side" = 1 ]; then me=10.0.0.1 peer=10.0.0.2 lts=192.168.1.0/24 rts=192.168.2.0/24
  else me=10.0.0.2 peer=10.0.0.1 lts=192.168.2.0/24 rts=192.168.1.0/24; fi
  sw_write_strongswan_conf "$dir" "ike 0, cfg 0, knl 0, net 0, chd 0, esp 0, enc 0, lib 0"
  sed -i -e 's/^      default = 1$/      default = 0/' \
    -e 's/^  install_routes = yes$/  install_routes = yes\n  block_threshold = 1000000\n  cookie_threshold = 1000000\n  init_limit_half_open = 0\n  ikesa_table_size = 32768\n  ikesa_table_segments = 16/' \
    "$dir/strongswan.conf"
  {
    cat <<EOF
connections {
  tunnel {
    version = 2
    local_addrs = $me
    remote_addrs = $peer
    proposals = aes256-sha1-modp1024
    local { auth = psk
      id = $me }
    remote { auth = psk
      id = $peer }
    children {
      tunnel { local_ts = $lts
        remote_ts = $rts
        esp_proposals = aes256-sha1
        mode = tunnel }
    }
  }
EOF
    if [ "$side" = 2 ]; then
      cat <<EOF
  lg {
    version = 2
    local_addrs = 10.0.0.2
    remote_addrs = 10.0.0.11-10.0.0.$((10 + SOURCES))
    proposals = aes128gcm16-prfsha256-curve25519
    dpd_delay = 0
    local { auth = psk
      id = 10.0.0.2 }
    remote { auth = psk }
    children {
      c { local_ts = 10.2.0.0/16
        remote_ts = 10.1.0.0/16
        esp_proposals = aes128gcm16
        mode = tunnel }
    }
  }
EOF
    fi
    cat <<EOF
}
secrets {
  ike-tunnel {
    id-1 = 10.0.0.1
    id-2 = 10.0.0.2
    secret = cisco123
  }
  ike-lg { secret = $PSK }
}
EOF
  } >"$dir/swanctl.conf"
}

# ---- Helpers ----
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
percentile() {  # percentile P: nearest rank of the numbers on stdin
  sort -g | awk -v p="$1" '{v[NR] = $1} END {
    if (NR == 0) { print "-"; exit }
    k = int((p / 100) * NR + 0.999999); if (k < 1) k = 1; if (k > NR) k = NR; print v[k] }'
}
# ping_run SECONDS OUT: a ping every PING_INTERVAL from h1 to h2 for SECONDS, in the
# background (PING_PID); -O lists every request whose reply is late or missing.
ping_run() {
  local n
  n=$(awk -v s="$1" -v i="$PING_INTERVAL" 'BEGIN { printf "%d", s / i }')
  ip netns exec "$NS_H1" ping -n -O -i "$PING_INTERVAL" -W 1 -c "$n" -w $(($1 + 10)) -I 192.168.1.1 192.168.2.99 \
    >"$2" 2>&1 &
  PING_PID=$!
}
ping_summary() {  # ping_summary OUT: "sent lost p50 p99 max"
  local sent recv
  sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$1")
  recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1")
  echo "${sent:-0} $((${sent:-0} - ${recv:-0})) $(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$1" | percentile 50)" \
    "$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$1" | percentile 99)" \
    "$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$1" | percentile 100)"
}
tunnel_up() {  # bounded: the first pings may trigger or wait for the negotiation
  local i
  for i in $(seq 20); do
    ip netns exec "$NS_H1" ping -n -c 1 -W 1 -I 192.168.1.1 192.168.2.99 >/dev/null 2>&1 && return 0
  done
  return 1
}

start_pair() {  # start_pair IMPL ROUND -> RESP_PID (asa2's process)
  local impl=$1 round=$2
  if [ "$impl" = ikegate ]; then
    gw_start asa1 "$NS_ASA1" "$CFG/asa1.cfg" && gw_start asa2 "$NS_ASA2" "$CFG/asa2.cfg" || return 1
    RESP_PID=${GW_PID[asa2]}
  else
    local d1=$RESULTS/sw-r$round-asa1 d2=$RESULTS/sw-r$round-asa2
    sw_conf "$d1" 1
    sw_conf "$d2" 2
    sw_start asa1 "$NS_ASA1" "$d1" && sw_start asa2 "$NS_ASA2" "$d2" && sw_load asa1 && sw_load asa2 || return 1
    sw_initiate asa1 tunnel >"$d1/initiate.out" 2>&1 || return 1
    RESP_PID=${SW_PID[asa2]}
  fi
}

stop_pair() {
  if [ "$1" = ikegate ]; then
    gw_stop asa1
    gw_stop asa2
  else
    sw_stop asa1
    sw_stop asa2
  fi
}

# run_one IMPL ROUND: one line per phase in runs.tsv.
run_one() {
  local impl=$1 round=$2 dir=$RESULTS/$1-r$2
  mkdir -p "$dir"
  log "$impl round $round: bringing up the tunnel"
  if ! start_pair "$impl" "$round" || ! tunnel_up; then
    log "  $impl: no tunnel"
    stop_pair "$impl"
    return 1
  fi
  log "  idle: ping for $BASE_S s"
  ping_run "$BASE_S" "$dir/ping-idle.txt"
  wait "$PING_PID"
  PING_PID=""
  printf '%s\t%s\tidle\t%s\t-\t-\t-\t-\n' "$impl" "$round" "$(ping_summary "$dir/ping-idle.txt" | tr ' ' '\t')" \
    >>"$RESULTS/runs.tsv"
  log "  load: $RATE new SAs/s for $LOAD_S s from $SOURCES sources, ping alongside"
  local count=$((RATE * LOAD_S)) c0 c1 w0 w1
  c0=$(cpu_ticks "$RESP_PID")
  w0=$(date +%s%N)
  ip netns exec "$NS_LG" "$IKEGATE" loadgen --config "$CFG/lg.cfg" ${LG_EXTRA:+--source "$LG_EXTRA"} \
    --count "$count" --rate "$RATE" --window "$WINDOW" --time-limit $((LOAD_S + 10)) \
    >"$dir/loadgen.out" 2>"$dir/loadgen.err" &
  LG_PID=$!
  ping_run "$LOAD_S" "$dir/ping-load.txt"
  wait "$PING_PID"
  PING_PID=""
  wait "$LG_PID"
  LG_PID=""
  w1=$(date +%s%N)
  c1=$(cpu_ticks "$RESP_PID")
  local line est started elapsed
  line=$(grep established= "$dir/loadgen.out" | tail -1)
  est=$(sed -n 's/.*established=\([0-9]*\).*/\1/p' <<<"$line")
  started=$(sed -n 's/.*started=\([0-9]*\).*/\1/p' <<<"$line")
  elapsed=$(sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p' <<<"$line")
  printf '%s\t%s\tload\t%s\t%s\t%s\t%s\t%s\n' "$impl" "$round" "$(ping_summary "$dir/ping-load.txt" | tr ' ' '\t')" \
    "${started:-0}" "${est:-0}" \
    "$(awk -v e="${est:-0}" -v t="${elapsed:-0}" 'BEGIN { if (t > 0) printf "%.0f", e / t; else print "-" }')" \
    "$(awk -v t="$((c1 - c0))" -v hz="$HZ" -v w="$((w1 - w0))" 'BEGIN { printf "%.0f", 100 * (t / hz) / (w / 1e9) }')" \
    >>"$RESULTS/runs.tsv"
  log "  $(tail -2 "$RESULTS/runs.tsv" | tr '\t' ' ' | tr '\n' ';')"
  stop_pair "$impl"
}

printf 'impl\tround\tphase\tpings\tlost\tp50_ms\tp99_ms\tmax_ms\tsas_started\tsas_established\tsa_per_s\tresponder_cpu_pct\n' \
  >"$RESULTS/runs.tsv"
read -ra impls <<<"$RESPONDERS"
for round in $(seq "$ROUNDS"); do
  for k in "${!impls[@]}"; do
    impl=${impls[$(((k + round - 1) % ${#impls[@]}))]}
    if [ "$impl" = strongswan ] && ! sw_available; then
      log "strongSwan is not installed (scripts/deps.sh): skipped"
      continue
    fi
    run_one "$impl" "$round"
  done
done

{
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs; load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Ping every $PING_INTERVAL s; load: $RATE new SAs/s asked for $LOAD_S s from $SOURCES sources, window $WINDOW."
  echo
  echo "| responder | round | phase | pings | lost | rtt p50 ms | rtt p99 ms | rtt max ms | SAs started | SAs established | SA/s reached | responder CPU % |"
  echo "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  tail -n +2 "$RESULTS/runs.tsv" | awk -F'\t' -v OFS=' | ' '{ $1 = $1; print "| " $0 " |" }'
} | tee "$RESULTS/summary.md"
log "raw results in $RESULTS"
