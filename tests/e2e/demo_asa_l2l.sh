#!/bin/bash
# The demo: the seed's ASA1/ASA2 IKEv2 site-to-site scenario (asa-ikev2-l2l-psk-debug) live on
# Linux. Two ikegate daemons run the seed's configurations in network namespaces; the hosts
# behind ASA1 ping 192.168.2.99 through the tunnel; both sides print what the seed shows.
# Everything is removed on exit.
#
# Usage: demo_asa_l2l.sh path/to/ikegate   (as root)
set -u
IKEGATE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ "$(id -u)" = 0 ] || { echo "the demo needs root (network namespaces)"; exit 1; }
cd "$(dirname "$0")/../.."
source tests/e2e/lib/asa_l2l.sh
trap topo_down EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

topo_up
say "ASA1 (10.0.0.1, inside 192.168.1.0/24) and ASA2 (10.0.0.2, inside 192.168.2.0/24)"
gw_start asa1 "$NS_ASA1" tests/e2e/configs/asa1.cfg || exit 1
gw_start asa2 "$NS_ASA2" tests/e2e/configs/asa2.cfg || exit 1
gw asa1 debug crypto ikev2 protocol 127 >/dev/null
gw asa1 debug crypto ikev2 platform 127 >/dev/null

say "ASA1# show running-config (keys masked as the ASA prints them)"
gw asa1 show running-config

say "host 192.168.1.1: ping 192.168.2.99 (the first packet matches the crypto ACL and brings the tunnel up)"
ip netns exec "$NS_H1" ping -n -c 4 -i 0.3 -W 2 -I 192.168.1.1 192.168.2.99
say "host 192.168.1.12: ping 192.168.2.99 (second ACL line: a second CHILD SA by CREATE_CHILD_SA)"
ip netns exec "$NS_H1" ping -n -c 4 -i 0.3 -W 2 -I 192.168.1.12 192.168.2.99

say "ASA1: debug crypto ikev2 protocol 127 / platform 127 (the first exchange)"
sed -n '/IKEv2-P/p' "$RUN_DIR/asa1.log" | head -n 60
echo "... ($(grep -c 'IKEv2-P' "$RUN_DIR/asa1.log") debug lines in all)"

for g in asa1 asa2; do
  say "${g^^}# show crypto ikev2 sa detail"
  gw "$g" show crypto ikev2 sa detail
  say "${g^^}# show crypto ipsec sa"
  gw "$g" show crypto ipsec sa
done
say "ASA1# show crypto isakmp sa detail"
gw asa1 show crypto isakmp sa detail
say "done: cleaning up namespaces and daemons"
