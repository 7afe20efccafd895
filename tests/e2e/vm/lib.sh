# Helpers of the guest scripts (inside the VM), after tests/e2e/lib/asa_l2l.sh and check.sh.
#
#   received NETNS SRC DST COUNT   how many echo replies of COUNT pings came back
#   ours NETNS                     ikegate's XFRM states (with an SPI) and policies there
#   our_sas NETNS / our_policies NETNS   how many ESP states / policies of ikegate's there
#   kernel_packets NETNS SPI       the packet count `ip -s xfrm state` shows for that SPI
#   counters_match NAME NETNS      `show crypto ipsec sa` counters equal the kernel's
#   foreign_add NETNS / foreign_count NETNS   a state and a policy of someone else's (reqid 7)
#   step_clock +N|-N               steps the guest's wall clock by N hours (date -s)
#   within SECONDS 'EXPR'          evaluates the shell expression EXPR again (its $(...) too)
#                                  until it holds, for at most SECONDS of wall time
#   guest_finish                   the daemons' log tails if a check failed, the summary, and
#                                  exit with the number of failures

received() {
  ip netns exec "$1" ping -n -q -c "$4" -i 0.3 -W 3 -I "$2" "$3" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
# ikegate_lines: the lines of stdin with a reqid in ikegate's kernel range
# [0x49470000, 0x49480000) (IKEv2 reqids start at the base + 1, IKEv1's at the base + 0x4000).
ikegate_lines() {
  awk '{ for (i = 1; i < NF; i++) if ($i == "reqid" && $(i + 1) + 0 >= 1229389824 && $(i + 1) + 0 < 1229455360) { print; next } }'
}
ours() { { ip -n "$1" xfrm state; ip -n "$1" xfrm policy; } | ikegate_lines | grep -v 'spi 0x00000000' || true; }
# (SPI reservations carry the base reqid 1229389824 itself and are no SAs.)
our_sas() { ip -n "$1" xfrm state | grep 'proto esp spi 0x' | ikegate_lines | grep -v 'spi 0x00000000\|reqid 1229389824[ (]' | grep -c .; }
our_policies() { ip -n "$1" xfrm policy | ikegate_lines | grep -c .; }
kernel_packets() {
  ip -n "$1" -s xfrm state | awk -v spi="$(printf '0x%08x' "0x$2")" '
    $1 == "proto" && $2 == "esp" { cur = ($4 ~ "^" spi) }
    cur && /lifetime current:/ { getline; gsub(/[^0-9,]/, ""); split($0, a, ","); print a[2]; exit }'
}
# For every CHILD SA of `show crypto ipsec sa`, the current outbound SPI's encaps and the
# current inbound SPI's decaps equal the kernel's packet counters.
counters_match() {
  local show blocks=0 bad=0 out in enc dec
  show=$(gw "$1" show crypto ipsec sa)
  while read -r out in enc dec; do
    blocks=$((blocks + 1))
    local ko ki
    ko=$(kernel_packets "$2" "$out")
    ki=$(kernel_packets "$2" "$in")
    echo "   $1 SA out $out: show $enc, kernel $ko; in $in: show $dec, kernel $ki"
    [ "$ko" = "$enc" ] && [ "$ki" = "$dec" ] || bad=$((bad + 1))
  done < <(awk '
    /#pkts encaps:/ { gsub(",", ""); enc = $3 }
    /#pkts decaps:/ { gsub(",", ""); dec = $3 }
    /current outbound spi:/ { out = $4 }
    /current inbound spi :/ { print out, $5, enc, dec }' <<<"$show")
  [ "$blocks" -ge 1 ] && [ "$bad" = 0 ]
}
# Someone else's XFRM state and policy (reqid 7, as another IKE daemon would install them):
# nothing ikegate does may remove them.
foreign_add() {
  ip -n "$1" xfrm policy add src 172.31.0.0/24 dst 172.31.1.0/24 dir out \
    tmpl src 10.0.0.1 dst 10.0.0.9 proto esp mode tunnel reqid 7
  ip -n "$1" xfrm state add src 10.0.0.1 dst 10.0.0.9 proto esp spi 0x7777 reqid 7 mode tunnel \
    aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128
}
foreign_count() {  # "POLICIES STATES" of reqid 7
  echo "$(ip -n "$1" xfrm policy | grep -c 'reqid 7 ') $(ip -n "$1" xfrm state | grep -c 'spi 0x00007777 reqid 7 ')"
}
step_clock() { date -s "$1 hours" >/dev/null; }
guest_finish() {
  if [ "$FAILS" != 0 ]; then
    local name
    for name in asa1 asa2; do
      echo "---- $name log (tail)"
      tail -n 40 "$RUN_DIR/$name.log" 2>/dev/null
    done
  fi
  check_summary
  exit "$FAILS"
}
within() {
  local end=$((SECONDS + $1))
  while :; do
    eval "$2" && return 0
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.3
  done
}
