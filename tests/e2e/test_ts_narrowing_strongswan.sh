#!/bin/bash
# Traffic-selector narrowing (RFC 7296 2.9) against a real strongSwan, both directions, on the
# ios-strongswan-ikev1-ikev2 pair:
#   a. strongSwan proposes wider selectors (192.168.2.0/23 <-> 192.168.0.0/22) than ikegate's
#      crypto ACL (the seed's 192.168.1.0/24 <-> 192.168.2.0/24): ikegate narrows to its ACL
#   b. ikegate's ACL is wider (192.168.0.0/23 <-> 192.168.2.0/23) than strongSwan's
#      configuration (the seed's /24s): strongSwan narrows what ikegate proposes
#   c. ikegate's ACL permits only ICMP: strongSwan's all-protocol proposal is narrowed to ICMP
#   d. disjoint selectors: TS_UNACCEPTABLE, said clearly on both sides, no CHILD SA
# Each time the installed selectors are read on both sides (ikegate's `show crypto ipsec sa`
# local/remote ident, swanctl --list-sas) and traffic inside the narrowed selectors passes.
#
# Usage: test_ts_narrowing_strongswan.sh path/to/ikegate   (as root; skips without strongSwan)
set -u
PRELUDE_NEEDS=strongswan source "$(dirname "$0")/lib/prelude.sh"
trap topo_down EXIT INT TERM

r1() { gw "r1-$CASE" "$@"; }
ike_ready() { r1 show crypto ikev2 sa | grep -q READY; }
sw_ts() {  # strongSwan's installed "local remote" selectors of the CHILD SA
  sw_list_sas sw | awk '$1 == "local" && NF == 2 { l = $2 } $1 == "remote" && NF == 2 { r = $2 } END { print l, r }'
}
idents() {  # ikegate's "local remote" idents, e.g. "192.168.1.0/255.255.255.0/0/0 192.168.2.0/255.255.255.0/0/0"
  r1 show crypto ipsec sa | sed -n 's/.*local  *ident (addr\/mask\/prot\/port): (\(.*\))$/\1/p; s/.*remote ident (addr\/mask\/prot\/port): (\(.*\))$/\1/p' | tr '\n' ' ' | sed 's/ $//'
}

# start CASE ACL_LINE SW_CONF_ARGS...: fresh ikegate (the seed with another crypto ACL line) and
# charon.
start() {
  local name=$1 acl=$2
  shift 2
  [ -n "${CASE:-}" ] && gw_stop "r1-$CASE"
  sw_stop sw
  CASE=$name
  SW=$RUN_DIR/sw-$name
  mkdir -p "$SW"
  sw_write_strongswan_conf "$SW" "ike 2, cfg 2, chd 2, knl 1, net 1, enc 1, esp 1"
  sw_conf "$SW" "$@"
  ios_conf "$RUN_DIR/r1-$name.cfg" "s|^ permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255\$| $acl|"
  check "ikegate starts with '$acl'" gw_start "r1-$name" "$NS_R1" "$RUN_DIR/r1-$name.cfg" --debug-protocol 3
  sw_start sw "$NS_SW" "$SW" && sw_load sw
}
show_both() {
  echo "     | ikegate: $(idents)"
  echo "     | strongSwan: $(sw_ts)"
}

topo_up || { echo "FAIL: topology"; exit 1; }

# (a) strongSwan wider, ikegate narrows.
start a-ikegate-narrows "permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255" \
  local_ts=192.168.2.0/23 remote_ts=192.168.0.0/22
check "swanctl --initiate with 192.168.2.0/23 === 192.168.0.0/22 succeeds" sw_initiate sw ciscoios >/dev/null
show_both
check "charon's log: ikegate's answer narrowed its 192.168.2.0/23 to 192.168.2.0/24" \
  grep -q "config: 192.168.2.0/23, received: 192.168.2.0/24 => match: 192.168.2.0/24" "$SW/charon.log"
check "charon's log: ... and its 192.168.0.0/22 to 192.168.1.0/24" \
  grep -q "config: 192.168.0.0/22, received: 192.168.1.0/24 => match: 192.168.1.0/24" "$SW/charon.log"
check "ikegate installed its ACL: 192.168.1.0/24 <-> 192.168.2.0/24" \
  test "$(idents)" = "192.168.1.0/255.255.255.0/0/0 192.168.2.0/255.255.255.0/0/0"
check "strongSwan accepted the narrowed selectors: 192.168.2.0/24 === 192.168.1.0/24" \
  test "$(sw_ts)" = "192.168.2.0/24 192.168.1.0/24"
check "ping 192.168.2.10 -> 192.168.1.10 inside the narrowed selectors" \
  test "$(ping_h "$NS_H2" 192.168.2.10 192.168.1.10 3)" = 3
check "ping 192.168.1.10 -> 192.168.2.10" test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" = 3

# (b) ikegate wider, strongSwan narrows.
start b-strongswan-narrows "permit ip 192.168.0.0 0.0.1.255 192.168.2.0 0.0.1.255"
check "traffic from 192.168.1.10 brings the tunnel up" \
  test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" -ge 2
check "ikegate: IKE SA READY" wait_for 5 ike_ready
show_both
check "charon's log: it narrowed ikegate's 192.168.2.0/23 to its 192.168.2.0/24" \
  grep -q "config: 192.168.2.0/24, received: 192.168.2.0/23 => match: 192.168.2.0/24" "$SW/charon.log"
check "charon's log: ... and ikegate's 192.168.0.0/23 to its 192.168.1.0/24" \
  grep -q "config: 192.168.1.0/24, received: 192.168.0.0/23 => match: 192.168.1.0/24" "$SW/charon.log"
check "strongSwan installed its configuration: 192.168.2.0/24 === 192.168.1.0/24" \
  test "$(sw_ts)" = "192.168.2.0/24 192.168.1.0/24"
check "ikegate installed the narrowed selectors: 192.168.1.0/24 <-> 192.168.2.0/24" \
  test "$(idents)" = "192.168.1.0/255.255.255.0/0/0 192.168.2.0/255.255.255.0/0/0"
check "ping 192.168.1.10 -> 192.168.2.10 inside the narrowed selectors" \
  test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" = 3
check "ping 192.168.2.10 -> 192.168.1.10" test "$(ping_h "$NS_H2" 192.168.2.10 192.168.1.10 3)" = 3

# (c) protocol narrowing: ikegate protects only ICMP.
start c-icmp-only "permit icmp 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255"
check "swanctl --initiate (all protocols) succeeds" sw_initiate sw ciscoios >/dev/null
show_both
check "ikegate installed ICMP only: .../1/0 both ways" \
  test "$(idents)" = "192.168.1.0/255.255.255.0/1/0 192.168.2.0/255.255.255.0/1/0"
check "strongSwan accepted ICMP only" test "$(sw_ts)" = "192.168.2.0/24[icmp] 192.168.1.0/24[icmp]"
check "ping (ICMP) 192.168.2.10 -> 192.168.1.10 passes" test "$(ping_h "$NS_H2" 192.168.2.10 192.168.1.10 3)" = 3

# (d) disjoint selectors: TS_UNACCEPTABLE.
start d-ts-unacceptable "permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255" \
  local_ts=192.168.2.0/24 remote_ts=192.168.7.0/24
check "swanctl --initiate fails" test "$(sw_initiate sw ciscoios >/dev/null 2>&1 && echo up)" = ""
check "ikegate logs TS_UNACCEPTABLE" wait_for 3 grep -q "TS_UNACCEPTABLE" "$RUN_DIR/r1-$CASE.log"
check "charon logs the TS_UNACCEPTABLE it received" \
  grep -q "received TS_UNACCEPTABLE notify, no CHILD_SA built" "$SW/charon.log"
check "ikegate: no CHILD SA" test "$(r1 show crypto ipsec sa | grep -c '^ *spi: 0x')" = 0

for c in $FAILED_CASES; do dump_logs "$RUN_DIR/r1-$c.log" "$RUN_DIR/sw-$c/charon.log" 60; done
# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
