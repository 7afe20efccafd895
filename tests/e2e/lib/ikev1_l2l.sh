# Helpers of the IKEv1 tests between two ikegate daemons in the ASA1/ASA2 topology
# (lib/asa_l2l.sh, IKEv1 configurations tests/e2e/configs/asa{1,2}-ikev1.cfg). Source after it.
#
#   received NS SRC DST COUNT   echo replies a ping from a namespace got
#   isakmp_count GW / active_count GW   ISAKMP SAs in show crypto isakmp sa (all / MM_ACTIVE)
#   ipsec_count GW              IPsec SAs (both directions) in show crypto ipsec sa
#   in_spi GW                   the first inbound ESP SPI
#   log_count GW PATTERN        lines of the gateway's log that match
#   dump_on_failure             both sides' show crypto isakmp sa and log, if CASE failed

received() { ip netns exec "$1" ping -n -q -c "$4" -i 0.2 -W 2 -I "$2" "$3" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
isakmp_count() { gw "$1" show crypto isakmp sa | grep -c 'IKE Peer:'; }
active_count() { gw "$1" show crypto isakmp sa | grep -c 'MM_ACTIVE'; }
ipsec_count() { gw "$1" show crypto ipsec sa | grep -c '^ *spi: 0x'; }
in_spi() { gw "$1" show crypto ipsec sa | awk '/inbound esp sas:/ { d = 1 } /^ *spi: 0x/ && d { s = $2; sub(/\(.*/, "", s); print s; exit }'; }
log_count() { grep -c -- "$2" "$RUN_DIR/$1.log"; }
dump_on_failure() {
  [[ " $FAILED_CASES " == *" $CASE "* ]] || return 0
  local n
  for n in asa1 asa2; do
    echo "--- $n: show crypto isakmp sa"; gw "$n" show crypto isakmp sa 2>&1
    echo "--- $n log, last 40 lines"; tail -n 40 "$RUN_DIR/$n.log"
  done
}
