#!/bin/bash
# Inside the VM (bench/xfrm_vm_bench.sh): set-up latency and throughput of the userspace and
# the xfrm data planes in the seed's ASA1/ASA2 tunnel. Prints one table row per backend.
set -u
# shellcheck disable=SC1091
source "$VM_RESULTS/env"
cd "$(dirname "$0")/.."
source tests/e2e/lib/asa_l2l.sh
trap topo_down EXIT INT TERM

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
max() { sort -n | tail -1; }
rtt_of_first() {  # one ping from h1, its rtt in ms (empty: no reply)
  ip netns exec "$NS_H1" ping -n -c 1 -W 20 -I 192.168.1.1 192.168.2.99 2>/dev/null | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p'
}

rows=()
for dp in userspace xfrm; do
  topo_up
  gw_start asa1 "$NS_ASA1" tests/e2e/configs/asa1.cfg --dataplane "$dp" || exit 1
  gw_start asa2 "$NS_ASA2" tests/e2e/configs/asa2.cfg --dataplane "$dp" || exit 1
  setups=()
  for i in $(seq "$SETUPS"); do
    gw asa1 clear crypto ikev2 sa >/dev/null
    gw asa2 clear crypto ikev2 sa >/dev/null
    sleep 1
    r=$(rtt_of_first)
    echo "$dp set-up $i: ${r:-lost} ms"
    [ -n "$r" ] && setups+=("$r")
  done
  tput=()
  for i in $(seq "$ROUNDS"); do
    ip netns exec "$NS_H2" iperf3 -s -1 -B 192.168.2.99 >/dev/null 2>&1 &
    srv=$!
    sleep 1
    m=$(ip netns exec "$NS_H1" iperf3 -c 192.168.2.99 -B 192.168.1.1 -t "$DURATION" -f m 2>/dev/null |
      awk '/receiver/ { print $(NF-2) }')
    stop_pid "$srv" TERM 30
    echo "$dp iperf3 $i: ${m:-failed} Mbit/s"
    [ -n "$m" ] && tput+=("$m")
  done
  flood=$(ip netns exec "$NS_H1" timeout 120 ping -n -q -f -c "$FLOOD" -s 1400 -I 192.168.1.1 192.168.2.99 2>/dev/null)
  echo "$flood" | tail -2
  fl_recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$flood")
  fl_ms=$(sed -n 's/.* time \([0-9]*\)ms.*/\1/p' <<<"$flood")
  fl_rate=$(awk -v n="${fl_recv:-0}" -v t="${fl_ms:-0}" 'BEGIN { if (t > 0) printf "%.0f", n * 1000 / t; else print "-" }')
  gw_stop asa1 TERM
  gw_stop asa2 TERM
  topo_down
  rows+=("| $dp | $(printf '%s\n' "${setups[@]}" | median) | $(printf '%s\n' "${setups[@]}" | max) | $(printf '%s\n' "${tput[@]}" | median) | $fl_rate | ${fl_recv:-0}/$FLOOD |")
  RUN_DIR=$(mktemp -d)
done
echo
echo "| data plane | set-up median (ms) | set-up max (ms) | iperf3 TCP median (Mbit/s) | ping -f 1400 B (replies/s) | ping -f replies |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
