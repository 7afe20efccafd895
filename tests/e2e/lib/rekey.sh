# Continuous traffic across rekeys: a ping every 100 ms through the tunnel, run in the
# background while the SAs are rekeyed, then its loss. Source after the topology library.
#
#   ping_start NS SRC DST SECONDS   starts `ping -i 0.1` for SECONDS (bounded by -w)
#   ping_wait                       waits for it (call it directly, not in $(...))
#   ping_result                     prints "transmitted received" of the finished ping
#   ping_lost_seqs                  the icmp_seq numbers whose reply was late (>100 ms) or lost
#
# The ping runs with -O (report outstanding replies) so lost sequence numbers are listed, and
# -W 1 so a reply later than a second counts as lost.

PING_PID=""
PING_OUT=""

ping_start() {
  local ns=$1 src=$2 dst=$3 secs=$4
  PING_OUT=$(mktemp -p "${RUN_DIR:-/tmp}" ping.XXXXXX)
  ip netns exec "$ns" ping -n -O -i 0.1 -W 1 -c $((secs * 10)) -w $((secs + 5)) -I "$src" "$dst" \
    >"$PING_OUT" 2>&1 &
  PING_PID=$!
}

ping_wait() {
  [ -n "$PING_PID" ] && wait "$PING_PID" 2>/dev/null
  PING_PID=""
}

ping_result() {
  sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$PING_OUT"
}

ping_lost_seqs() {
  sed -n 's/^no answer yet for icmp_seq=\([0-9]*\)/\1/p' "$PING_OUT" | tr '\n' ' '
}

ping_stop() {
  [ -n "$PING_PID" ] && kill "$PING_PID" 2>/dev/null && wait "$PING_PID" 2>/dev/null
  PING_PID=""
}
