#!/bin/bash
# Tunnel benchmarks on the ASA1/ASA2 namespaces (h1 -- asa1 == asa2 -- h2):
#
#  1. Trigger latency: the round trip of a single ping (ping -c 1) whose echo request is the
#     packet that starts the negotiation, for TUNNELS tunnels, in two series:
#       full  - `clear crypto ikev2 sa`, then the ping: IKE_SA_INIT + IKE_AUTH (first CHILD SA)
#               + the queued request and its reply through the new tunnel;
#       child - TUNNELS host pairs (h1 192.168.1.101.. -> h2 192.168.2.99), one crypto ACL line
#               each: the first ping sets up the IKE SA, every later one a CHILD SA by
#               CREATE_CHILD_SA under it.
#     Reported: p50/p99 of ping's rtt and how many pings of count 1 got their reply (that is,
#     the triggering packet was queued and delivered, not dropped).
#  2. Throughput: iperf3 TCP h1 -> h2 (-P 1 and -P 4) through one tunnel with AES-GCM-128 and
#     with AES-CBC-256/HMAC-SHA1, for ikegate, for strongSwan's charon with its userspace data
#     plane (kernel-libipsec) in the same two gateway namespaces, and for plain routing without
#     IPsec; ROUNDS alternating rounds (the order rotates every round), medians reported.
#
# Usage (as root):  bench/tunnel_bench.sh [path/to/ikegate [path/to/ikegate-before]]
#                   (default build/ikegate; a second binary joins the throughput alternation as
#                   "before", for before/after figures measured in the same run)
# Environment:      ROUNDS=3 DURATION=10 TUNNELS=100 RESULTS=DIR (kept; default a new temp dir)
#                   LATENCY=0  throughput only (skips the trigger-latency series)
#                   PERF=1  also records `perf record -g` of the initiator's ikegate during one
#                           extra AES-GCM -P 1 run (perf.data and a report in RESULTS)
# Builds nothing; installs iperf3 and strongSwan with scripts/deps.sh when missing.
set -u
[ "$(id -u)" = 0 ] || { echo "tunnel_bench: needs root" >&2; exit 1; }
cd "$(dirname "$0")/.."
IKEGATE_ARG=${1:-build/ikegate}
[ -x "$IKEGATE_ARG" ] || { echo "tunnel_bench: no ikegate binary at $IKEGATE_ARG" >&2; exit 1; }
IKEGATE=$(cd "$(dirname "$IKEGATE_ARG")" && pwd)/$(basename "$IKEGATE_ARG")
IKEGATE_AFTER=$IKEGATE
IKEGATE_BEFORE=""
if [ -n "${2:-}" ]; then
  [ -x "$2" ] || { echo "tunnel_bench: no ikegate binary at $2" >&2; exit 1; }
  IKEGATE_BEFORE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
fi
LATENCY=${LATENCY:-1}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
TUNNELS=${TUNNELS:-100}
RESULTS=${RESULTS:-$(mktemp -d /tmp/tunnel-bench.XXXXXX)}
mkdir -p "$RESULTS"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

IKEGATE_DEPS_EXTRA="iperf3 jq strongswan-charon strongswan-swanctl libcharon-extra-plugins \
libstrongswan-standard-plugins" bash scripts/deps.sh || exit 1

source tests/e2e/lib/asa_l2l.sh
source tests/interop/lib/strongswan.sh
IPERF_PID=""
PERF_PID=""

cleanup() {
  local pid
  for pid in $PERF_PID $IPERF_PID; do
    kill -INT "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  sw_stop_all
  topo_down
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date +%T)] $*" >&2; }

# ---- Configurations ----

SEED=tests/e2e/configs
# asa_cfg SEED_CFG OUT ENC INTEG ACL_FILE: the seed's configuration with another ESP proposal and
# other crypto ACL lines (IKE SA: the seed's AES-256/SHA-1/group 2).
asa_cfg() {
  awk -v enc="$3" -v integ="$4" -v acl="$5" '
    /^access-list l2l_list / { if (!done) { while ((getline l < acl) > 0) print l; done = 1 } next }
    /^ protocol esp encryption / { print " protocol esp encryption " enc; next }
    /^ protocol esp integrity / { print " protocol esp integrity " integ; next }
    { print }' "$1" >"$2"
}

CFG=$RESULTS/cfg
mkdir -p "$CFG"
echo "access-list l2l_list extended permit ip 192.168.1.0 255.255.255.0 192.168.2.0 255.255.255.0" >"$CFG/acl1-net"
echo "access-list l2l_list extended permit ip 192.168.2.0 255.255.255.0 192.168.1.0 255.255.255.0" >"$CFG/acl2-net"
: >"$CFG/acl1-hosts"
: >"$CFG/acl2-hosts"
for i in $(seq "$TUNNELS"); do
  echo "access-list l2l_list extended permit ip host 192.168.1.$((100 + i)) host 192.168.2.99" >>"$CFG/acl1-hosts"
  echo "access-list l2l_list extended permit ip host 192.168.2.99 host 192.168.1.$((100 + i))" >>"$CFG/acl2-hosts"
done
for side in 1 2; do
  asa_cfg "$SEED/asa$side.cfg" "$CFG/asa$side-gcm.cfg" aes-gcm null "$CFG/acl$side-net"
  asa_cfg "$SEED/asa$side.cfg" "$CFG/asa$side-cbc.cfg" aes-256 sha-1 "$CFG/acl$side-net"
  asa_cfg "$SEED/asa$side.cfg" "$CFG/asa$side-hosts.cfg" aes-256 sha-1 "$CFG/acl$side-hosts"
done
declare -A SW_ESP=([gcm]=aes128gcm16 [cbc]=aes256-sha1)

# sw_conf DIR SIDE CIPHER: strongswan.conf and swanctl.conf for charon + kernel-libipsec.
sw_conf() {
  local dir=$1 side=$2 cipher=$3 me peer lnet rnet
  if [ "$side" = 1 ]; then me=10.0.0.1 peer=10.0.0.2 lnet=192.168.1.0/24 rnet=192.168.2.0/24
  else me=10.0.0.2 peer=10.0.0.1 lnet=192.168.2.0/24 rnet=192.168.1.0/24; fi
  sw_write_strongswan_conf "$dir" "ike 1, cfg 1, knl 1, net 1, chd 1, esp 1, enc 1, lib 1"
  cat >"$dir/swanctl.conf" <<EOF
connections {
  bench {
    version = 2
    local_addrs = $me
    remote_addrs = $peer
    proposals = aes256-sha1-modp1024
    local {
      auth = psk
      id = $me
    }
    remote {
      auth = psk
      id = $peer
    }
    children {
      bench {
        local_ts = $lnet
        remote_ts = $rnet
        esp_proposals = ${SW_ESP[$cipher]}
        mode = tunnel
      }
    }
  }
}
secrets {
  ike-bench {
    id-1 = 10.0.0.1
    id-2 = 10.0.0.2
    secret = cisco123
  }
}
EOF
}

# ---- Helpers ----

# cpu_ticks PID...: user+system clock ticks of the processes (all threads).
cpu_ticks() {
  local t=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$t"
}
# median: the median of the numbers on stdin (empty if none).
median() {
  sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) exit
    if (NR % 2) printf "%s\n", v[(NR + 1) / 2]; else printf "%s\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# percentile P: nearest-rank percentile of the numbers on stdin.
percentile() {
  sort -g | awk -v p="$1" '{v[NR] = $1} END {
    if (NR == 0) exit
    k = int((p / 100) * NR + 0.999999); if (k < 1) k = 1; if (k > NR) k = NR; print v[k] }'
}
# ping1 SRC DST: one echo request; prints its rtt in ms, or "lost".
ping1() {
  local out
  out=$(timeout 10 ip netns exec "$NS_H1" ping -n -c 1 -W 5 -I "$1" "$2" 2>&1)
  sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$out" | head -1 | grep . || echo lost
}
no_ike_sa() { ! gw "$1" show crypto ikev2 sa 2>/dev/null | grep -q READY; }
wait_no_sa() {  # both gateways without an IKE SA (bounded, 5 s)
  local i
  for i in $(seq 100); do
    no_ike_sa asa1 && no_ike_sa asa2 && return 0
    sleep 0.05
  done
  return 1
}

# ---- The topology ----

topo_up
for i in $(seq "$TUNNELS"); do ip -n "$NS_H1" addr add "192.168.1.$((100 + i))/24" dev in1; done
ip netns exec "$NS_H2" iperf3 -s -B 192.168.2.99 >"$RESULTS/iperf3-server.log" 2>&1 &
IPERF_PID=$!

# ---- 1. Trigger latency ----

if [ "$LATENCY" = 1 ]; then
log "trigger latency: $TUNNELS x (clear crypto ikev2 sa; ping -c 1)"
gw_start asa1 "$NS_ASA1" "$SEED/asa1.cfg" || exit 1
gw_start asa2 "$NS_ASA2" "$SEED/asa2.cfg" || exit 1
: >"$RESULTS/latency-full.txt"
for i in $(seq "$TUNNELS"); do
  gw asa1 clear crypto ikev2 sa >/dev/null 2>&1
  wait_no_sa || log "  round $i: an IKE SA survived the clear"
  ping1 192.168.1.1 192.168.2.99 >>"$RESULTS/latency-full.txt"
done
gw asa1 show crypto ipsec sa >"$RESULTS/latency-full-ipsec-sa.txt" 2>&1
gw_stop asa1
gw_stop asa2

log "trigger latency: $TUNNELS host pairs, one CHILD SA each under one IKE SA"
gw_start asa1 "$NS_ASA1" "$CFG/asa1-hosts.cfg" || exit 1
gw_start asa2 "$NS_ASA2" "$CFG/asa2-hosts.cfg" || exit 1
: >"$RESULTS/latency-child.txt"
for i in $(seq "$TUNNELS"); do
  ping1 "192.168.1.$((100 + i))" 192.168.2.99 >>"$RESULTS/latency-child.txt"
done
gw asa1 show crypto ikev2 sa >"$RESULTS/latency-child-ikev2-sa.txt" 2>&1
gw_stop asa1
gw_stop asa2
fi

# ---- 2. Throughput ----

# iperf_run IMPL CIPHER P ROUND PIDS...: one iperf3 client run h1 -> h2; appends a line
#   impl cipher streams round bits_per_second retransmits gateway_cpu_percent
# to throughput.tsv (gateway CPU: both gateways' processes together, percent of one core).
iperf_run() {
  local impl=$1 cipher=$2 p=$3 round=$4
  shift 4
  local json=$RESULTS/iperf-$impl-$cipher-P$p-r$round.json t0 t1 w0 w1 bps retr cpu
  t0=$(cpu_ticks "$@")
  w0=$(date +%s%N)
  timeout $((DURATION + 30)) ip netns exec "$NS_H1" \
    iperf3 -c 192.168.2.99 -B 192.168.1.1 -t "$DURATION" -O 1 -P "$p" -J >"$json" 2>&1
  w1=$(date +%s%N)
  t1=$(cpu_ticks "$@")
  bps=$(jq -r '.end.sum_received.bits_per_second // empty' "$json" 2>/dev/null)
  retr=$(jq -r '.end.sum_sent.retransmits // empty' "$json" 2>/dev/null)
  cpu=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v w="$((w1 - w0))" \
    'BEGIN {printf "%.0f", 100 * (t / hz) / (w / 1e9)}')
  [ $# -gt 0 ] || cpu=-
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$impl" "$cipher" "$p" "$round" "${bps:-0}" "${retr:--}" "$cpu" \
    >>"$RESULTS/throughput.tsv"
  log "  $impl $cipher -P $p round $round: $(awk -v b="${bps:-0}" 'BEGIN {printf "%.0f", b / 1e6}') Mbit/s, retr ${retr:--}, gateway CPU ${cpu}%"
}

run_plain() {  # run_plain CIPHER ROUND: plain routing between the gateways, no IPsec
  ip -n "$NS_ASA1" route add 192.168.2.0/24 via 10.0.0.2
  ip -n "$NS_ASA2" route add 192.168.1.0/24 via 10.0.0.1
  local p
  for p in 1 4; do iperf_run none "$1" "$p" "$2"; done
  ip -n "$NS_ASA1" route del 192.168.2.0/24 via 10.0.0.2
  ip -n "$NS_ASA2" route del 192.168.1.0/24 via 10.0.0.1
}

run_ikegate() {  # run_ikegate CIPHER ROUND [LABEL]
  local p impl=${3:-ikegate}
  if gw_start asa1 "$NS_ASA1" "$CFG/asa1-$1.cfg" && gw_start asa2 "$NS_ASA2" "$CFG/asa2-$1.cfg" &&
    [ "$(ping1 192.168.1.1 192.168.2.99)" != lost ]; then
    for p in 1 4; do iperf_run "$impl" "$1" "$p" "$2" "${GW_PID[asa1]}" "${GW_PID[asa2]}"; done
    gw asa1 show crypto ipsec sa >"$RESULTS/$impl-$1-r$2-ipsec-sa.txt" 2>&1
  else
    log "  $impl $1: no tunnel"
  fi
  gw_stop asa1
  gw_stop asa2
}

run_before() {  # run_before CIPHER ROUND: the same with the "before" binary
  IKEGATE=$IKEGATE_BEFORE
  run_ikegate "$1" "$2" ikegate-before
  IKEGATE=$IKEGATE_AFTER
}

run_strongswan() {  # run_strongswan CIPHER ROUND
  local p d1=$RESULTS/sw-$1-r$2-asa1 d2=$RESULTS/sw-$1-r$2-asa2
  sw_conf "$d1" 1 "$1"
  sw_conf "$d2" 2 "$1"
  if sw_start asa1 "$NS_ASA1" "$d1" && sw_start asa2 "$NS_ASA2" "$d2" && sw_load asa1 && sw_load asa2 &&
    sw_initiate asa1 bench >"$d1/initiate.out" 2>&1 &&
    [ "$(ping1 192.168.1.1 192.168.2.99)" != lost ]; then
    for p in 1 4; do iperf_run strongswan "$1" "$p" "$2" "${SW_PID[asa1]}" "${SW_PID[asa2]}"; done
    sw_list_sas asa1 >"$d1/list-sas.out" 2>&1
  else
    log "  strongswan $1: no tunnel (see $d1)"
  fi
  sw_stop asa1
  sw_stop asa2
}

: >"$RESULTS/throughput.tsv"
impls=(ikegate strongswan plain)
[ -n "$IKEGATE_BEFORE" ] && impls+=(before)
for round in $(seq "$ROUNDS"); do
  for cipher in gcm cbc; do
    for k in $(seq 0 $((${#impls[@]} - 1))); do
      impl=${impls[$(((k + round - 1) % ${#impls[@]}))]}
      log "round $round, $cipher: $impl"
      "run_$impl" "$cipher" "$round"
    done
  done
done

if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
  log "perf: ikegate asa1 (initiator side, sends the iperf3 data) during AES-GCM -P 1"
  if gw_start asa1 "$NS_ASA1" "$CFG/asa1-gcm.cfg" && gw_start asa2 "$NS_ASA2" "$CFG/asa2-gcm.cfg" &&
    [ "$(ping1 192.168.1.1 192.168.2.99)" != lost ]; then
    perf record -g -o "$RESULTS/perf-asa1.data" -p "${GW_PID[asa1]}" >"$RESULTS/perf-record.log" 2>&1 &
    PERF_PID=$!
    perf stat -p "${GW_PID[asa2]}" -o "$RESULTS/perf-stat-asa2.txt" sleep "$((DURATION + 2))" &
    local_stat=$!
    iperf_run ikegate-perf gcm 1 0 "${GW_PID[asa1]}" "${GW_PID[asa2]}"
    kill -INT "$PERF_PID" 2>/dev/null
    wait "$PERF_PID" 2>/dev/null
    PERF_PID=""
    wait "$local_stat" 2>/dev/null
    perf report -i "$RESULTS/perf-asa1.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
      grep -v '^$' | head -60 >"$RESULTS/perf-asa1-report.txt"
  fi
  gw_stop asa1
  gw_stop asa2
fi

# ---- Report ----

lat_line() {  # lat_line FILE LABEL
  local f=$1 ok n
  n=$(wc -l <"$f")
  ok=$(grep -vc lost "$f")
  printf '| %s | %s | %s | %s | %s/%s |\n' "$2" "$(grep -v lost "$f" | percentile 50)" \
    "$(grep -v lost "$f" | percentile 99)" "$(grep -v lost "$f" | percentile 100)" "$ok" "$n"
}
thr() {  # thr IMPL CIPHER P FIELD: median of a column (5 bit/s, 6 retransmits, 7 CPU %,
  #   8 gateway CPU seconds per Gbit carried)
  awk -F'\t' -v i="$1" -v c="$2" -v p="$3" -v f="$4" '$1 == i && $2 == c && $3 == p {
      if (f == 8) { if ($7 != "-" && $5 > 0) printf "%.2f\n", ($7 / 100) / ($5 / 1e9) }
      else print $f }' "$RESULTS/throughput.tsv" | grep -v '^-$' | median
}
dash() { local v; v=$(cat); echo "${v:--}"; }
ratio() {  # ratio A B CIPHER P: median throughput of A over that of B
  awk -v a="$(thr "$1" "$3" "$4" 5)" -v b="$(thr "$2" "$3" "$4" 5)" \
    'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f\n", a / b }'
}
mbit() { awk -v b="$1" 'BEGIN { if (b == "") print "-"; else printf "%.0f", b / 1e6 }'; }
{
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //');"
  echo "kernel $(uname -r); repository at $(git rev-parse --short HEAD 2>/dev/null); $(sw_version);"
  echo "iperf3 -t $DURATION -O 1, $ROUNDS rounds, medians; load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  if [ "$LATENCY" = 1 ]; then
    echo "| trigger latency (ping rtt of the triggering packet) | p50 ms | p99 ms | max ms | delivered |"
    echo "|---|---:|---:|---:|---:|"
    lat_line "$RESULTS/latency-full.txt" "new IKE SA + CHILD SA (clear, then ping)"
    lat_line "$RESULTS/latency-child.txt" "new CHILD SA by CREATE_CHILD_SA (1st: IKE SA too)"
    echo
  fi
  echo "| data plane | streams | AES-GCM-128 Mbit/s | CPU % | CPU s/Gbit | AES-CBC-256/SHA1 Mbit/s | CPU % | CPU s/Gbit |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for impl in none ikegate strongswan $([ -n "$IKEGATE_BEFORE" ] && echo ikegate-before); do
    for p in 1 4; do
      printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$impl" "$p" \
        "$(mbit "$(thr "$impl" gcm "$p" 5)")" "$(thr "$impl" gcm "$p" 7 | dash)" "$(thr "$impl" gcm "$p" 8 | dash)" \
        "$(mbit "$(thr "$impl" cbc "$p" 5)")" "$(thr "$impl" cbc "$p" 7 | dash)" "$(thr "$impl" cbc "$p" 8 | dash)"
    done
  done
  echo
  echo "| ratio of medians | streams | AES-GCM-128 | AES-CBC-256/SHA1 |"
  echo "|---|---:|---:|---:|"
  pairs=("ikegate strongswan" "ikegate none")
  [ -n "$IKEGATE_BEFORE" ] && pairs+=("ikegate ikegate-before")
  for pair in "${pairs[@]}"; do
    read -r a b <<<"$pair"
    for p in 1 4; do
      printf '| %s / %s | %s | %s | %s |\n' "$a" "$b" "$p" "$(ratio "$a" "$b" gcm "$p")" "$(ratio "$a" "$b" cbc "$p")"
    done
  done
} | tee "$RESULTS/summary.md"
log "raw results in $RESULTS"
