#!/bin/bash
# Interoperability over IKEv1: `ikegate run` as the IOS router R1 of ios-strongswan-ikev1-ikev2
# (IKEv1 half, the seed's configuration tests/data/configs/ios-strongswan-ikev1.cfg) against a
# real strongSwan (Debian's charon, swanctl, kernel-libipsec) in network namespaces. The daemon
# hands IKE datagrams with ISAKMP version 1.0 to the IKEv1 engine; hosts behind each gateway
# ping each other through the tunnel (userspace ESP data plane, UDP-encapsulated: strongSwan's
# kernel-libipsec always claims a NAT). strongSwan runs as the seed has it: ipsec starter with the
# document's /etc/ipsec.conf and /etc/ipsec.secrets (tests/interop/configs/ipsec-ikev1.{conf,secrets},
# conn ciscoios, esp=aes128-sha1, auto=add), read by the stroke plugin, with one line changed: the
# document's `ike=aes128-md5-modp1536` matches no policy of its own IOS configuration (policy 10 is
# AES-128, SHA, group 5; IOS's default policies apply only without configured ones), and its
# `show crypto isakmp sa detail` shows aes/sha/psk/5: the test offers aes128-sha1-modp1536, as the
# document's IKEv2 half does.
#   a. strongSwan initiates Main Mode + Quick Mode; pings both ways; show crypto isakmp sa (QM_IDLE),
#      show crypto ipsec sa (the pings' counters), show crypto session detail
#   b. ikegate initiates on traffic from the host behind it; pings both ways; clear crypto
#      isakmp sa deletes the SA on both sides
#
# Usage: test_ikev1_interop_strongswan.sh path/to/ikegate   (as root; skips without strongSwan)
# KEEP_RUN_DIR=1 keeps the logs of a run.
set -u
PRELUDE_NEEDS=strongswan source "$(dirname "$0")/lib/prelude.sh"
[ -x "$(dirname "$SW_CHARON")/starter" ] && [ -n "$(find /usr/lib/ipsec/plugins -name 'libstrongswan-stroke.so' 2>/dev/null)" ] ||
  { echo "SKIP: strongSwan's ipsec starter and stroke plugin are not installed (scripts/deps.sh installs strongswan-starter)"; exit 77; }
trap topo_down EXIT INT TERM
IOS_CFG=tests/data/configs/ios-strongswan-ikev1.cfg
CASE=""

start_pair() {  # NAME
  [ -n "$CASE" ] && gw_stop "r1-$CASE"
  sw_stop_all
  CASE=$1
  SW=$RUN_DIR/sw-$1
  mkdir -p "$SW"
  SW_PLUGINS="$SW_PLUGINS stroke" sw_write_strongswan_conf "$SW" "ike 2, cfg 2, chd 2, knl 1, net 1, enc 1, esp 1"
  sed 's/^\( *ike=\)aes128-md5-modp1536/\1aes128-sha1-modp1536/' tests/interop/configs/ipsec-ikev1.conf >"$SW/ipsec.conf"
  install -m 600 tests/interop/configs/ipsec-ikev1.secrets "$SW/ipsec.secrets"
  gw_start "r1-$1" "$NS_R1" "$IOS_CFG" --debug-protocol 5 && sw_start_starter sw "$NS_SW" "$SW" && sw_conn_loaded
}
# The stroke plugin has loaded conn ciscoios from the seed's ipsec.conf (bounded wait: starter
# hands it over after charon is up).
sw_conn_loaded() { wait_for 10 eval 'sw sw --list-conns 2>/dev/null | grep -q "^ciscoios: IKEv1"'; }
sw_established() { sw_list_sas sw | grep -q "ESTABLISHED, IKEv1" && sw_list_sas sw | grep -q "INSTALLED"; }
pings() {  # NS SRC DST COUNT: replies received
  ping_h "$@"
}

topo_up || { echo "FAIL: topology"; exit 1; }

start_pair a-sw-initiates || check "both gateways start" false
check "charon loaded the seed's ipsec.secrets (the key for 172.16.10.2 172.16.10.1)" \
  grep -q "loaded IKE secret for 172.16.10.2 172.16.10.1" "$SW/charon.log"
check "swanctl --initiate succeeds" sw_initiate sw ciscoios
check "strongSwan: IKEv1 SA ESTABLISHED, CHILD SA INSTALLED" sw_established
check "ikegate: PHASE 1 and PHASE 2 COMPLETED" bash -c "grep -q 'PHASE 1 COMPLETED' '$RUN_DIR/r1-$CASE.log' && grep -q 'PHASE 2 COMPLETED' '$RUN_DIR/r1-$CASE.log'"
check "ping 192.168.2.10 -> 192.168.1.10 (5)" test "$(pings "$NS_H2" 192.168.2.10 192.168.1.10 5)" = 5
check "ping 192.168.1.10 -> 192.168.2.10 (5)" test "$(pings "$NS_H1" 192.168.1.10 192.168.2.10 5)" = 5
# The operator's view of the tunnel: strongSwan (172.16.10.2) initiated, so dst is R1.
isakmp=$(gw "r1-$CASE" show crypto isakmp sa)
check "show crypto isakmp sa: the peer in QM_IDLE, ACTIVE" \
  grep -Eq "^172\.16\.10\.1 +172\.16\.10\.2 +QM_IDLE +[0-9]+ ACTIVE$" <<<"$isakmp"
ipsec=$(gw "r1-$CASE" show crypto ipsec sa)
check "show crypto ipsec sa: current_peer 172.16.10.2" contains "$ipsec" "current_peer 172.16.10.2 port"
# The two pings of 5 crossed R1 as 10 packets each way (requests and replies).
check "show crypto ipsec sa: 10 packets encrypted" \
  contains "$ipsec" "#pkts encaps: 10, #pkts encrypt: 10, #pkts digest: 10"
check "show crypto ipsec sa: 10 packets decrypted" \
  contains "$ipsec" "#pkts decaps: 10, #pkts decrypt: 10, #pkts verify: 10"
check "show crypto session detail: the IKEv1 SA" \
  contains "$(gw "r1-$CASE" show crypto session detail)" "IKEv1 SA: local 172.16.10.1/"

start_pair b-ikegate-initiates || check "both gateways start" false
got=$(pings "$NS_H1" 192.168.1.10 192.168.2.10 10)
check "traffic from h1 brings the tunnel up (>= 7 of 10 pings answered: $got)" test "${got:-0}" -ge 7
check "strongSwan: IKEv1 SA ESTABLISHED, CHILD SA INSTALLED" sw_established
check "ikegate was the initiator (IKE_I_MM5)" grep -q "New State = IKE_I_MM5" "$RUN_DIR/r1-$CASE.log"
check "ping 192.168.2.10 -> 192.168.1.10 (5)" test "$(pings "$NS_H2" 192.168.2.10 192.168.1.10 5)" = 5
check "show crypto isakmp sa: R1 initiated (dst is the peer)" \
  grep -Eq "^172\.16\.10\.2 +172\.16\.10\.1 +QM_IDLE " <<<"$(gw "r1-$CASE" show crypto isakmp sa)"
gw "r1-$CASE" clear crypto isakmp sa >/dev/null
check "clear crypto isakmp sa: the table is empty" bash -c \
  "grep -q 'IPv4 Crypto ISAKMP SA' <<<\"\$1\" && ! grep -q '172\.16\.10\.2' <<<\"\$1\"" _ \
  "$(gw "r1-$CASE" show crypto isakmp sa)"
sw_no_ike() { ! sw_list_sas sw | grep -q "ESTABLISHED, IKEv1"; }
check "clear crypto isakmp sa: strongSwan got the DELETE" wait_for 5 sw_no_ike

for c in $FAILED_CASES; do
  echo "--- $c: ikegate"
  tail -n 50 "$RUN_DIR/r1-$c.log" 2>/dev/null
  echo "--- $c: charon"
  tail -n 50 "$RUN_DIR/sw-$c/charon.log" 2>/dev/null
done
check_summary
