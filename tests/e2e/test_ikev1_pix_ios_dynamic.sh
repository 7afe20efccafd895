#!/bin/bash
# The scenario of pix-ios-ikev1-dynamic-map-nat between two ikegate daemons, each with its side's
# configuration from the seed (tests/data/configs/pix-dynamic-l2l.cfg and ios-dynamic-map-nat.cfg):
#
#   h1 (10.1.1.10) -- pix (inside 10.1.1.2, outside 172.16.1.N from "DHCP", default 172.16.1.2)
#       -- isp (172.16.1.2 | 192.168.1.1, a plain router: no NAT and no route to either LAN) --
#   ios (Ethernet0/0 192.168.1.2, FastEthernet1/0 10.2.1.1, default 192.168.1.1) -- h2 (10.2.1.10)
#
# The PIX's outside address is `ip address dhcp`: this run picks N at random and puts the address
# on the device ikegate is told to use (--map outside=DEVICE). The IOS router knows no peer: a
# wildcard `crypto isakmp key cisco123 address 0.0.0.0 0.0.0.0` and a dynamic crypto map, so only
# the PIX can initiate. As in the seed there is no NAT between the peers (its NAT is the routers'
# PAT towards the Internet, which the VPN traffic is exempt from): IKE stays on UDP 500.
#   a. the IOS side has nothing to initiate: traffic from h2 before the tunnel exists gets no
#      answer and brings nothing up (no ISAKMP SA on either side, nothing sent by the IOS side)
#   b. traffic from h1 brings the tunnel up (DES/MD5/group 1 of the seed); pings both ways
#   c. show crypto isakmp sa / show crypto ipsec sa on both sides in the seed's form, with the
#      random address where the seed has 172.16.1.1; neither log holds the pre-shared key
#
# Usage: test_ikev1_pix_ios_dynamic.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
NS_ISP=ike-isp-$TAG
NS_PIX=ike-pix-$TAG
NS_IOS=ike-ios-$TAG
PIX_OCTET=$((10 + RANDOM % 240))
PIX_OUT=172.16.1.$PIX_OCTET
PSK=cisco123

topo_up() {
  local n
  for n in $NS_H1 $NS_PIX $NS_ISP $NS_IOS $NS_H2; do
    ip netns add "$n" || return 1
    ip -n "$n" link set lo up
  done
  ip link add in1 netns "$NS_H1" type veth peer name eth1 netns "$NS_PIX"
  ip link add eth0 netns "$NS_PIX" type veth peer name pix netns "$NS_ISP"
  ip link add ios netns "$NS_ISP" type veth peer name e0-0 netns "$NS_IOS"
  ip link add fa1-0 netns "$NS_IOS" type veth peer name in2 netns "$NS_H2"
  ip -n "$NS_H1" addr add 10.1.1.10/24 dev in1
  ip -n "$NS_PIX" addr add 10.1.1.2/24 dev eth1
  ip -n "$NS_PIX" addr add "$PIX_OUT/24" dev eth0
  ip -n "$NS_ISP" addr add 172.16.1.2/24 dev pix
  ip -n "$NS_ISP" addr add 192.168.1.1/24 dev ios
  ip -n "$NS_IOS" addr add 192.168.1.2/24 dev e0-0
  ip -n "$NS_IOS" addr add 10.2.1.1/24 dev fa1-0
  ip -n "$NS_H2" addr add 10.2.1.10/24 dev in2
  local pair
  for pair in "$NS_H1 in1" "$NS_PIX eth1" "$NS_PIX eth0" "$NS_ISP pix" "$NS_ISP ios" \
    "$NS_IOS e0-0" "$NS_IOS fa1-0" "$NS_H2 in2"; do
    # shellcheck disable=SC2086
    ip -n ${pair% *} link set ${pair#* } up
  done
  ip -n "$NS_H1" route add default via 10.1.1.2
  ip -n "$NS_H2" route add default via 10.2.1.1
  # What DHCP would give the PIX (the seed's `route outside 0.0.0.0 0.0.0.0 172.16.1.2`), and
  # the IOS router's `ip route 0.0.0.0 0.0.0.0 192.168.1.1`.
  ip -n "$NS_PIX" route add default via 172.16.1.2
  ip -n "$NS_IOS" route add default via 192.168.1.1
  for n in $NS_PIX $NS_ISP $NS_IOS; do
    ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
      net.ipv4.conf.default.rp_filter=0
  done
}
topo_down() {
  local name
  for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
  local n
  for n in $NS_H1 $NS_PIX $NS_ISP $NS_IOS $NS_H2; do ip netns del "$n" 2>/dev/null; done
  keep_logs
  rm -rf "$RUN_DIR"
}
trap topo_down EXIT INT TERM

received() { ip netns exec "$1" ping -n -q -c "$4" -i 0.2 -W 2 -I "$2" "$3" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
isakmp_up() { gw "$1" show crypto isakmp sa | grep -q "$2"; }

topo_up || { echo "FAIL: topology"; exit 1; }
echo "     | the PIX's outside address this run: $PIX_OUT"
# The seed prints the PIX's tunnel-group key as `pre-shared-key *`; the IOS side's is cisco123.
sed "s/^ pre-shared-key \*$/ pre-shared-key $PSK/" tests/data/configs/pix-dynamic-l2l.cfg >"$RUN_DIR/pix.cfg"
CASE=start
check "the PIX config got the seed's key" grep -q "^ pre-shared-key $PSK$" "$RUN_DIR/pix.cfg"
check "IOS router starts with the seed's configuration" \
  gw_start ios "$NS_IOS" tests/data/configs/ios-dynamic-map-nat.cfg --debug-protocol 5
check "PIX starts with the seed's configuration (outside = eth0, address from \"DHCP\")" \
  gw_start pix "$NS_PIX" "$RUN_DIR/pix.cfg" --map outside=eth0 --debug-protocol 5

CASE=a-ios-cannot-initiate
check "traffic from h2 (10.2.1.10 -> 10.1.1.10) before the tunnel exists is not answered" \
  test "$(received "$NS_H2" 10.2.1.10 10.1.1.10 3)" = 0
sleep 1
check "... and brought no ISAKMP SA up on the IOS side" bash -c "! grep -q 'QM_IDLE\|MM_' <<<\"\$1\"" _ \
  "$(gw ios show crypto isakmp sa)"
check "... nor on the PIX" bash -c "! grep -q 'IKE Peer' <<<\"\$1\"" _ "$(gw pix show crypto isakmp sa)"
check "the IOS side sent no IKE message (its log has no sending packet)" \
  bash -c "! grep -q 'sending packet' '$RUN_DIR/ios.log'"
check "the PIX received none" bash -c "! grep -q 'IKE_DECODE RECEIVED' '$RUN_DIR/pix.log'"

CASE=b-pix-initiates
check "traffic from h1 (10.1.1.10 -> 10.2.1.10) brings the tunnel up (>= 3 of 5 answered)" \
  test "$(received "$NS_H1" 10.1.1.10 10.2.1.10 5)" -ge 3
check "PIX: IKE Peer 192.168.1.2 in MM_ACTIVE" wait_for 5 isakmp_up pix MM_ACTIVE
check "IOS: the PIX's random address in QM_IDLE" wait_for 5 isakmp_up ios "$PIX_OUT"
check "PIX log: PHASE 1 COMPLETED, PHASE 2 COMPLETED" \
  bash -c "grep -q 'PHASE 1 COMPLETED' '$RUN_DIR/pix.log' && grep -q 'PHASE 2 COMPLETED' '$RUN_DIR/pix.log'"
check "IOS log: the IOS responder went IKE_R_MM4 -> IKE_R_MM5" \
  grep -q "Old State = IKE_R_MM4 *New State = IKE_R_MM5" "$RUN_DIR/ios.log"
# The seed: the IOS router's IPsec lifetime (3600 s) is shorter than the PIX's (28800 s).
check "IOS log: Responder forcing change of IPSec rekeying duration from 28800 to 3600 seconds" \
  grep -q "Responder forcing change of IPSec rekeying duration from 28800 to 3600 seconds" "$RUN_DIR/ios.log"
check "PIX log (the seed's line): Responder forcing change of IPSec rekeying duration from 28800 to 3600 seconds" \
  grep -q "Group = 192.168.1.2, IP = 192.168.1.2, Responder forcing change of IPSec rekeying duration from 28800 to 3600 seconds" "$RUN_DIR/pix.log"
check "ping 10.1.1.10 -> 10.2.1.10 (5)" test "$(received "$NS_H1" 10.1.1.10 10.2.1.10 5)" = 5
check "ping 10.2.1.10 -> 10.1.1.10 (5, now the tunnel is up)" test "$(received "$NS_H2" 10.2.1.10 10.1.1.10 5)" = 5

CASE=c-show
pix_isakmp=$(gw pix show crypto isakmp sa)
ios_isakmp=$(gw ios show crypto isakmp sa)
pix_ipsec=$(gw pix show crypto ipsec sa)
ios_ipsec=$(gw ios show crypto ipsec sa)
echo "$pix_isakmp" | sed 's/^/     | pix# /'
echo "$ios_isakmp" | sed 's/^/     | Router# /'
check "PIX show crypto isakmp sa: 1 IKE Peer: 192.168.1.2" grep -Eq "^ *1 +IKE Peer: 192.168.1.2" <<<"$pix_isakmp"
check "PIX show crypto isakmp sa: Type : L2L, Role : initiator" grep -Eq "Type *: L2L +Role *: initiator$" <<<"$pix_isakmp"
check "PIX show crypto isakmp sa: Rekey : no, State : MM_ACTIVE" grep -Eq "Rekey *: no +State *: MM_ACTIVE$" <<<"$pix_isakmp"
# IOS 12.4 (the seed) has a slot column that IOS 15 dropped; ikegate prints the IOS 15 table.
check "IOS show crypto isakmp sa: the dst src state conn-id [slot] status header" \
  grep -Eq "^dst +src +state +conn-id +(slot +)?status$" <<<"$ios_isakmp"
check "IOS show crypto isakmp sa: 192.168.1.2 $PIX_OUT QM_IDLE ... ACTIVE" \
  grep -Eq "^192\.168\.1\.2 +${PIX_OUT//./\\.} +QM_IDLE +[0-9]+ +([0-9]+ +)?ACTIVE$" <<<"$ios_isakmp"
check "PIX show crypto ipsec sa: interface outside, map IPSEC seq 10, local addr $PIX_OUT" \
  contains "$pix_ipsec" "Crypto map tag: IPSEC, seq num: 10, local addr: $PIX_OUT"
check "PIX show crypto ipsec sa: the seed's idents 10.1.1.0/24 -> 10.2.1.0/24" \
  contains "$pix_ipsec" "local ident (addr/mask/prot/port): (10.1.1.0/255.255.255.0/0/0)"
check "PIX show crypto ipsec sa: current_peer: 192.168.1.2" contains "$pix_ipsec" "current_peer: 192.168.1.2"
# PIX 7.2 prints the endpoints without a port, later ASA versions with one.
check "PIX show crypto ipsec sa: crypto endpoints $PIX_OUT, 192.168.1.2" \
  grep -Eq "local crypto endpt\.: ${PIX_OUT//./\\.}(/[0-9]+)?, remote crypto endpt\.: 192\.168\.1\.2(/[0-9]+)?$" <<<"$pix_ipsec"
check "PIX show crypto ipsec sa: transform esp-des esp-md5-hmac" contains "$pix_ipsec" "transform: esp-des esp-md5-hmac"
check "IOS show crypto ipsec sa: Crypto map tag: IPSEC, local addr 192.168.1.2" \
  contains "$ios_ipsec" "Crypto map tag: IPSEC, local addr 192.168.1.2"
check "IOS show crypto ipsec sa: local ident 10.2.1.0/24" \
  grep -Eq "local +ident \(addr/mask/prot/port\): \(10\.2\.1\.0/255\.255\.255\.0/0/0\)" <<<"$ios_ipsec"
check "IOS show crypto ipsec sa: remote ident 10.1.1.0/24" \
  contains "$ios_ipsec" "remote ident (addr/mask/prot/port): (10.1.1.0/255.255.255.0/0/0)"
check "IOS show crypto ipsec sa: current_peer $PIX_OUT port 500 (no NAT between the peers)" \
  contains "$ios_ipsec" "current_peer $PIX_OUT port 500"
check "IOS show crypto ipsec sa: crypto endpoints 192.168.1.2, $PIX_OUT" \
  contains "$ios_ipsec" "local crypto endpt.: 192.168.1.2, remote crypto endpt.: $PIX_OUT"
counters() {  # "encaps decaps" from a show crypto ipsec sa
  awk '/#pkts encaps:/ { gsub(",", ""); e += $3 } /#pkts decaps:/ { gsub(",", ""); d += $3 } END { print e + 0, d + 0 }' <<<"$1"
}
read -r pe pd <<<"$(counters "$pix_ipsec")"
read -r ie id <<<"$(counters "$ios_ipsec")"
check "counters: PIX encaps $pe = IOS decaps $id, IOS encaps $ie = PIX decaps $pd, each >= 10 (the pings)" \
  test "$pe" = "$id" -a "$ie" = "$pd" -a "$pe" -ge 10 -a "$ie" -ge 10
# Each side's inbound SPI is the other's outbound one.
spis() {  # spis GW: "in out" SPIs (hex, upper case) from show crypto ipsec sa
  awk '/inbound esp sas:/ { d = "in" } /outbound esp sas:/ { d = "out" }
    /^ *spi: 0x/ && d != "" { s = $2; sub(/\(.*/, "", s); v[d] = toupper(s); d = "" }
    END { print v["in"], v["out"] }' <<<"$(gw "$1" show crypto ipsec sa)"
}
read -r pin pout <<<"$(spis pix)"
read -r iin iout <<<"$(spis ios)"
check "PIX inbound SPI $pin = IOS outbound, PIX outbound $pout = IOS inbound" \
  test -n "$pin" -a "$pin" = "$iout" -a "$pout" = "$iin"
check "neither log holds the pre-shared key" bash -c "! grep -q '$PSK' '$RUN_DIR/pix.log' '$RUN_DIR/ios.log'"

if [ "$FAILS" -ne 0 ]; then
  echo "$pix_ipsec" | sed 's/^/     | pix# /'
  echo "$ios_ipsec" | sed 's/^/     | Router# /'
  echo "--- PIX log"; tail -n 60 "$RUN_DIR/pix.log"
  echo "--- IOS log"; tail -n 60 "$RUN_DIR/ios.log"
fi
# Sanitizer builds report leaks when a daemon exits: stop them all, then read every log.
for name in "${!GW_PID[@]}"; do gw_stop "$name"; done
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log
check_summary
