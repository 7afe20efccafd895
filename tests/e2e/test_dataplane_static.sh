#!/bin/bash
# End-to-end test of the userspace ESP data plane with static SAs (no IKE): the seed's ASA
# topology in network namespaces, pings from 192.168.1.1 (behind gw1) to 192.168.2.99 (behind
# gw2) through raw ESP and ESP-in-UDP, AES-GCM-128 and AES-CBC-256/HMAC-SHA1, then a 4 MiB TCP
# transfer (TSO super-packets read from the TUN device are segmented, received segments are
# coalesced: the data must arrive intact and the SA counters count wire-size packets); a key mismatch
# must fail with auth failures counted; an Acquire must be raised and the first packet queued,
# not dropped; rules must be gone after SIGTERM, and a killed instance's rules cleaned up.
#
# Usage: test_dataplane_static.sh path/to/build/ikegate   (run as root)
set -u
BUILD=$(cd "$(dirname "$1")" && pwd)
TOOL=$BUILD/dp_static
[ -x "$TOOL" ] || { echo "SKIP: $TOOL not built"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

S=$$
H1=dph1-$S; GW1=dpgw1-$S; GW2=dpgw2-$S; H2=dph2-$S
LOG=$(mktemp -d)
PIDS=()
FAILS=0

cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
  for n in $H1 $GW1 $GW2 $H2; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$LOG"
}
trap cleanup EXIT INT TERM

check() {  # check "description" command...
  local what=$1; shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; FAILS=$((FAILS + 1)); fi
}

for n in $H1 $GW1 $GW2 $H2; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip link add in1 netns "$H1" type veth peer name in1 netns "$GW1"
ip link add out1 netns "$GW1" type veth peer name out2 netns "$GW2"
ip link add in2 netns "$GW2" type veth peer name in2 netns "$H2"
ip -n "$H1" addr add 192.168.1.1/24 dev in1;  ip -n "$H1" link set in1 up
ip -n "$H1" route add default via 192.168.1.254
ip -n "$GW1" addr add 192.168.1.254/24 dev in1; ip -n "$GW1" link set in1 up
ip -n "$GW1" addr add 10.0.0.1/24 dev out1;     ip -n "$GW1" link set out1 up
ip -n "$GW2" addr add 10.0.0.2/24 dev out2;     ip -n "$GW2" link set out2 up
ip -n "$GW2" addr add 192.168.2.254/24 dev in2; ip -n "$GW2" link set in2 up
ip -n "$H2" addr add 192.168.2.99/24 dev in2;  ip -n "$H2" link set in2 up
ip -n "$H2" route add default via 192.168.2.254
for g in $GW1 $GW2; do
  ip netns exec "$g" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
# Note: the gateways have no route to each other's inside networks: only the tunnel carries them.

start() {  # start NAME NETNS args...  -> sets LAST_PID; waits for "ready"
  local name=$1 ns=$2; shift 2
  ip netns exec "$ns" "$TOOL" "$@" >"$LOG/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  for _ in $(seq 50); do grep -q '^ready' "$LOG/$name.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "tool $name did not start:"; cat "$LOG/$name.log"; return 1
}

stop() {  # stop PID: SIGTERM, bounded wait
  kill -TERM "$1" 2>/dev/null
  timeout 5 tail --pid="$1" -f /dev/null
  kill -KILL "$1" 2>/dev/null
  return 0
}

gw_args() {  # gw_args 1|2 suite secret extra...
  local side=$1 suite=$2 secret=$3; shift 3
  if [ "$side" = 1 ]; then
    echo --local 10.0.0.1 --remote 10.0.0.2 --src 192.168.1.1/32 --dst 192.168.2.99/32 \
      --out-spi 0x1001 --in-spi 0x2002 --suite "$suite" --secret "$secret" "$@"
  else
    echo --local 10.0.0.2 --remote 10.0.0.1 --src 192.168.2.99/32 --dst 192.168.1.1/32 \
      --out-spi 0x2002 --in-spi 0x1001 --suite "$suite" --secret "$secret" "$@"
  fi
}

inbound_field() {  # inbound_field LOGNAME FIELD -> last value printed for the inbound SA
  grep ' inbound:' "$LOG/$1.log" | tail -1 | sed -n "s/.*$2: \([0-9]*\).*/\1/p"
}

outbound_field() {  # outbound_field LOGNAME FIELD -> last value printed for the outbound SA
  grep ' outbound:' "$LOG/$1.log" | tail -1 | sed -n "s/.*$2: \([0-9]*\).*/\1/p"
}

in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }  # in_range N MIN MAX

our_rules() { ip -n "$1" rule show | grep -c 'lookup 4500'; }

BULK=4194304
head -c $BULK /dev/urandom >"$LOG/bulk.bin"
BULK_SUM=$(sha256sum <"$LOG/bulk.bin" | cut -d' ' -f1)
# tcp_bulk: sends bulk.bin from 192.168.1.1 to 192.168.2.99:5001; true if the SHA-256 of what
# h2 received matches (bounded: 30 s each side; the client retries until the sink listens).
tcp_bulk() {
  rm -f "$LOG/sink.out"
  ip netns exec "$H2" timeout 30 python3 -c '
import hashlib, socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.168.2.99", 5001)); s.listen(1); c, _ = s.accept(); h = hashlib.sha256()
while True:
    b = c.recv(1 << 16)
    if not b: break
    h.update(b)
print(h.hexdigest())' >"$LOG/sink.out" 2>&1 &
  local sink=$!
  ip netns exec "$H1" timeout 30 python3 -c '
import socket, sys, time
data = open(sys.argv[1], "rb").read()
for _ in range(100):
    try:
        c = socket.create_connection(("192.168.2.99", 5001), timeout=10, source_address=("192.168.1.1", 0)); break
    except OSError:
        time.sleep(0.1)
c.sendall(data); c.close()' "$LOG/bulk.bin"
  wait "$sink"
  [ "$(cat "$LOG/sink.out")" = "$BULK_SUM" ]
}

for suite in aes-gcm-128 aes-cbc-256-sha1; do
  for mode in esp udp; do
    extra=(); [ $mode = udp ] && extra=(--udp 4500)
    tag=$suite-$mode
    # shellcheck disable=SC2046
    start "gw1-$tag" "$GW1" $(gw_args 1 $suite s3cret "${extra[@]}") || exit 1
    p1=$LAST_PID
    # shellcheck disable=SC2046
    start "gw2-$tag" "$GW2" $(gw_args 2 $suite s3cret "${extra[@]}") || exit 1
    p2=$LAST_PID
    check "$tag: rule steers only the protected pair" [ "$(our_rules "$GW1")" = 1 ]
    check "$tag: ping -c 5 192.168.1.1 -> 192.168.2.99" \
      ip netns exec "$H1" ping -q -c 5 -i 0.2 -W 2 -I 192.168.1.1 192.168.2.99
    check "$tag: unprotected host 192.168.1.254 is not tunnelled" \
      bash -c "! ip netns exec $GW1 ping -q -c 1 -W 1 192.168.2.99 >/dev/null"
    kill -USR1 "$p1" "$p2"; sleep 0.3
    check "$tag: gw2 decapsulated 5 packets" [ "$(inbound_field "gw2-$tag" '#pkts decaps')" = 5 ]
    check "$tag: gw1 decapsulated 5 replies" [ "$(inbound_field "gw1-$tag" '#pkts decaps')" = 5 ]
    check "$tag: 4 MiB over TCP arrive intact" tcp_bulk
    stop "$p1"; stop "$p2"
    enc=$(outbound_field "gw1-$tag" '#pkts encaps'); dec=$(inbound_field "gw2-$tag" '#pkts decaps')
    # Counted per wire-size packet (TUN MTU 1400), not per super-packet (~70 of them); never
    # more than sent, but for the one or two packets (the last ACKs) that gw1 may still encrypt
    # after printing its counters on SIGTERM.
    check "$tag: $dec of $enc TCP packets decapsulated, each at most MTU-sized" \
      in_range "${dec:-0}" $((BULK / 1400)) $((${enc:-0} + 2))
    check "$tag: no auth failures" [ "$(inbound_field "gw2-$tag" 'auth failures')" = 0 ]
    check "$tag: rules removed on SIGTERM" [ "$(our_rules "$GW1")" = 0 ]
    check "$tag: TUN device removed" bash -c "! ip -n $GW1 link show ikegate0 >/dev/null 2>&1"
  done
done

# A wrong key on one side: the pings fail and gw2 counts auth failures.
for suite in aes-gcm-128 aes-cbc-256-sha1; do
  # shellcheck disable=SC2046
  start "gw1-bad-$suite" "$GW1" $(gw_args 1 $suite s3cret) || exit 1
  p1=$LAST_PID
  # shellcheck disable=SC2046
  start "gw2-bad-$suite" "$GW2" $(gw_args 2 $suite wrong) || exit 1
  p2=$LAST_PID
  check "$suite wrong key: ping fails" bash -c "! ip netns exec $H1 ping -q -c 3 -i 0.2 -W 1 192.168.2.99 >/dev/null"
  kill -USR1 "$p2"; sleep 0.3
  stop "$p1"; stop "$p2"
  check "$suite wrong key: auth failures counted" [ "$(inbound_field "gw2-bad-$suite" 'auth failures')" -ge 3 ]
  check "$suite wrong key: nothing decapsulated" [ "$(inbound_field "gw2-bad-$suite" '#pkts decaps')" = 0 ]
done

# No outbound SA on gw1: the first packet raises Acquire and waits in the queue; the tool
# installs the SAs on Acquire, and that very packet must arrive (ping -c 1 succeeds).
start gw2-acq "$GW2" $(gw_args 2 aes-gcm-128 s3cret) || exit 1
p2=$LAST_PID
start gw1-acq "$GW1" $(gw_args 1 aes-gcm-128 s3cret --sa-on-acquire) || exit 1
p1=$LAST_PID
check "acquire: first packet queued and delivered" ip netns exec "$H1" ping -q -c 1 -W 3 192.168.2.99
check "acquire: event reported with the packet's addresses" \
  grep -q 'event acquire reqid=1 .* 192.168.1.1 -> 192.168.2.99 proto 1' "$LOG/gw1-acq.log"
# A killed instance leaves its rules (not its TUN device); the next start cleans them up.
kill -KILL "$p1"; timeout 5 tail --pid="$p1" -f /dev/null
check "kill -9 leaves rules behind" [ "$(our_rules "$GW1")" -ge 1 ]
check "kill -9 leaves no TUN device" bash -c "! ip -n $GW1 link show ikegate0 >/dev/null 2>&1"
start gw1-noSA "$GW1" $(gw_args 1 aes-gcm-128 s3cret --no-sa) || exit 1
p1=$LAST_PID
check "restart cleaned stale rules" [ "$(our_rules "$GW1")" = 1 ]
ip netns exec "$H1" ping -q -c 1 -W 1 192.168.2.99 >/dev/null
check "no SA: acquire raised" grep -q 'event acquire reqid=1' "$LOG/gw1-noSA.log"
stop "$p1"; stop "$p2"

if [ $FAILS -ne 0 ]; then
  echo "$FAILS check(s) failed; logs:"; for f in "$LOG"/*.log; do echo "== $f"; cat "$f"; done
  exit 1
fi
echo "all data plane checks passed"
