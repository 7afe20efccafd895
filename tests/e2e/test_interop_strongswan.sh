#!/bin/bash
# Interoperability: ikegate as the IOS router of ios-strongswan-ikev1-ikev2 (IKEv2 half)
# against a real strongSwan (Debian's charon with swanctl and kernel-libipsec) in network
# namespaces. Hosts behind each gateway ping each other through the tunnel.
#   a. strongSwan initiates (the seed's suite: AES-CBC-128, SHA1, group 5; ESP AES/SHA1)
#   b. ikegate initiates on traffic from the host behind it
#   c. other suites, both configurations rewritten: AES-GCM-128/PRF-SHA256/group 19,
#      AES-CBC-256/SHA-256/group 14 with `set pfs group14`, AES-GCM-256/PRF-SHA384/group 20,
#      AES-CBC-256/SHA-512/group 31 (Curve25519), AES-CBC-128/SHA-256/group 2 with `set pfs group2`
#   e. ikegate's IOS show output reads like the seed's (show crypto session detail, show crypto
#      ikev2 sa detailed, show crypto ipsec sa)
#   d. strongSwan proposes what ikegate refuses: NO_PROPOSAL_CHOSEN in both logs, for the
#      IKE SA (IKE_SA_INIT) and for the CHILD SA (IKE_AUTH)
#
# strongSwan's side uses swanctl.conf (not the seed's ipsec.conf): it is strongSwan's current
# configuration interface, loads from a file given on the command line and is driven over
# vici, so every instance runs with its own files and socket. The connection is the seed's
# "conn ciscoios" translated one to one (ikelifetime/keylife/rekeymargin become
# rekey_time/life_time; leftfirewall is left out: no iptables here).
#
# Usage: test_interop_strongswan.sh path/to/ikegate   (as root; skips without strongSwan)
# KEEP_RUN_DIR=1 keeps the logs of a run.
set -u
PRELUDE_NEEDS=strongswan source "$(dirname "$0")/lib/prelude.sh"
trap topo_down EXIT INT TERM
START=$SECONDS
CASE=""

IOS_CFG=tests/interop/configs/ios-ikev2.cfg

# ios_config FILE IKE_ENCR IKE_INTEG IKE_PRF GROUP TRANSFORMS [PFS]: the seed's configuration
# with another IKEv2 proposal and transform set ("-" leaves a line out).
ios_config() {
  local out=$1 encr=$2 integ=$3 prf=$4 group=$5 ts=$6 pfs=${7:-}
  awk -v encr="$encr" -v integ="$integ" -v prf="$prf" -v group="$group" -v ts="$ts" -v pfs="$pfs" '
    /^ encryption / { print " encryption " encr; next }
    /^ integrity / { if (integ != "-") print " integrity " integ; if (prf != "-") print " prf " prf; next }
    /^ group / { print " group " group; next }
    /^crypto ipsec transform-set TS / { print "crypto ipsec transform-set TS " ts; next }
    /^ set transform-set TS/ { print; if (pfs != "") print " set pfs " pfs; next }
    { print }
  ' "$IOS_CFG" >"$out"
}

# start_pair NAME IOS_CONFIG IKE_PROPOSALS ESP_PROPOSALS: fresh ikegate (debug 127) and charon.
start_pair() {
  local name=$1
  stop_pair
  CASE=$name
  SW=$RUN_DIR/sw-$name
  GWLOG=$RUN_DIR/r1-$name.log
  mkdir -p "$SW"
  sw_write_strongswan_conf "$SW" "ike 2, cfg 2, chd 2, knl 1, net 1, enc 1, esp 1"
  sw_conf "$SW" ike="$3" esp="$4"
  gw_start "r1-$name" "$NS_R1" "$2" --debug-protocol 127 --debug-platform 127 &&
    sw_start sw "$NS_SW" "$SW" && sw_load sw
}
CUR_GW=""
stop_pair() {
  [ -n "$CASE" ] && gw_stop "r1-$CASE"
  sw_stop sw
}
r1() { gw "r1-$CASE" "$@"; }
sw_initiate_quiet() { sw_initiate sw ciscoios >>"$SW/initiate.out" 2>&1; }

# Counters of the one CHILD SA, as "encaps decaps" on ikegate and "out in" packets on strongSwan.
r1_counters() {
  r1 show crypto ipsec sa | awk '
    /#pkts encaps:/ { gsub(",", ""); e = $3 }
    /#pkts decaps:/ { gsub(",", ""); d = $3 }
    END { print e + 0, d + 0 }'
}
sw_counters() {
  sw_list_sas sw | awk '
    $1 == "in" { for (i = 1; i <= NF; i++) if ($(i) ~ /^packets/) in_p = $(i - 1) }
    $1 == "out" { for (i = 1; i <= NF; i++) if ($(i) ~ /^packets/) out_p = $(i - 1) }
    END { print out_p + 0, in_p + 0 }'
}
# ESP SPIs: ikegate's inbound must be strongSwan's outbound and the other way round.
r1_spis() {  # "inbound outbound", lowercase hex without 0x
  r1 show crypto ipsec sa | awk '
    /inbound esp sas:/ { dir = "in" } /outbound esp sas:/ { dir = "out" }
    /spi: 0x/ && dir != "" { s = tolower($2); sub(/^0x/, "", s); sub(/\(.*/, "", s); sub(/^0+/, "", s); sp[dir] = s; dir = "" }
    END { print sp["in"], sp["out"] }'
}
sw_spis() {  # "inbound outbound"
  sw_list_sas sw | awk '
    $1 == "in" { i = $2; sub(",", "", i); sub(/^0+/, "", i) }
    $1 == "out" { o = $2; sub(",", "", o); sub(/^0+/, "", o) }
    END { print i, o }'
}
ike_ready() { r1 show crypto ikev2 sa | grep -q "172.16.10.2/[0-9]* .*READY"; }
sw_established() { sw_list_sas sw | grep -q "ESTABLISHED" && sw_list_sas sw | grep -q "INSTALLED"; }

# tunnel_checks H1_FIRST COUNT: pings both ways and the checks an operator would make.
tunnel_checks() {
  local h1_first=$1 n=$2 before after
  before=$(r1_counters)
  if [ "$h1_first" = 1 ]; then
    check "ping 192.168.1.10 -> 192.168.2.10 ($n)" test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 "$n")" = "$n"
    check "ping 192.168.2.10 -> 192.168.1.10 ($n)" test "$(ping_h "$NS_H2" 192.168.2.10 192.168.1.10 "$n")" = "$n"
  else
    check "ping 192.168.2.10 -> 192.168.1.10 ($n)" test "$(ping_h "$NS_H2" 192.168.2.10 192.168.1.10 "$n")" = "$n"
    check "ping 192.168.1.10 -> 192.168.2.10 ($n)" test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 "$n")" = "$n"
  fi
  local sa ipsec
  sa=$(r1 show crypto ikev2 sa)
  ipsec=$(r1 show crypto ipsec sa)
  echo "$sa" | sed 's/^/     | /'
  after=$(r1_counters)
  check "ikegate: IKE SA with 172.16.10.2 READY" ike_ready
  check "strongSwan: IKE SA ESTABLISHED, CHILD SA INSTALLED" sw_established
  check "ikegate: CHILD SA protects 192.168.1.0/24 <-> 192.168.2.0/24" \
    contains "$ipsec" "remote ident (addr/mask/prot/port): (192.168.2.0/255.255.255.0/0/0)"
  check "ikegate: encaps and decaps grew by $((2 * n)) each (the pings)" \
    test "$(echo "$before $after" | awk '{ print $3 - $1, $4 - $2 }')" = "$((2 * n)) $((2 * n))"
  check "strongSwan: out/in packets = ikegate's decaps/encaps" \
    test "$(sw_counters)" = "$(echo "$after" | awk '{ print $2, $1 }')"
  check "ESP SPIs agree (ikegate in = strongSwan out, and back)" \
    test "$(r1_spis)" = "$(sw_spis | awk '{ print $2, $1 }')"
}

topo_up || { echo "FAIL: topology"; exit 1; }

# (a) strongSwan initiates with the seed's configurations.
start_pair a-sw-initiates "$IOS_CFG" aes128-sha1-modp1536 aes128-sha1 ||
  check "both gateways start" false
check "swanctl --initiate succeeds" sw_initiate_quiet
tunnel_checks 0 5
check "ikegate's detail: not the initiator, the seed's algorithms" \
  contains "$(r1 show crypto ikev2 sa detailed)" "Initiator of SA : No"
check "ikegate's detail: AES-CBC 128, SHA96, group 5, PSK" \
  contains "$(r1 show crypto ikev2 sa detailed)" "Encr: AES-CBC, keysize: 128, .*Hash: SHA96, DH Grp:5, Auth sign: PSK, Auth verify: PSK"
check "strongSwan: the seed's IKE proposal" \
  contains "$(sw_list_sas sw)" "AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1536"
check "NAT-T: ESP in UDP 4500 (kernel-libipsec), ikegate saw the NAT" \
  contains "$(r1 show crypto ikev2 sa detailed)" "NAT-T is detected"
check "ikegate answers from port 4500 once strongSwan floated there (RFC 7296 2.11, 2.23)" \
  test -z "$(grep 'received packet: from 172.16.10.1\[500\] to 172.16.10.2\[4500\]' "$SW/charon.log")"

# (e) The IOS show output of this tunnel, line by line as the seed prints it (values from this
# run: counters, SPIs and identities cross-checked with strongSwan's view).
read -r enc dec <<<"$(r1_counters)"
sess=$(r1 show crypto session detail)
ikedet=$(r1 show crypto ikev2 sa detailed)
ipsec=$(r1 show crypto ipsec sa)
swsas=$(sw_list_sas sw)
check "session: Interface line" contains "$sess" "^Interface: Ethernet0/0$"
check "session: Session status: UP-ACTIVE" contains "$sess" "^Session status: UP-ACTIVE$"
check "session: Peer: 172.16.10.2 port N fvrf: (none) ivrf: (none)" \
  contains "$sess" "^Peer: 172.16.10.2 port [0-9]* fvrf: (none) ivrf: (none)$"
check "session: Phase1_id: 172.16.10.2" contains "$sess" "^ *Phase1_id: 172.16.10.2$"
check "session: IKEv2 SA: local 172.16.10.1/P remote 172.16.10.2/P Active" \
  contains "$sess" "^ *IKEv2 SA: local 172.16.10.1/[0-9]* remote 172.16.10.2/[0-9]* Active$"
check "session: connid and lifetime hh:mm:ss" contains "$sess" "connid:[0-9]* lifetime:2[34]:[0-5][0-9]:[0-5][0-9]$"
check "session: IPSEC FLOW: permit ip 192.168.1.0/255.255.255.0 192.168.2.0/255.255.255.0" \
  contains "$sess" "^ *IPSEC FLOW: permit ip 192.168.1.0/255.255.255.0 192.168.2.0/255.255.255.0$"
check "session: Active SAs: 2, origin: crypto map" contains "$sess" "^ *Active SAs: 2, origin: crypto map$"
check "session: Inbound #pkts dec'ed = decaps ($dec)" \
  contains "$sess" "^ *Inbound:  #pkts dec'ed $dec drop 0 life (KB/Sec) [0-9]*/[0-9]*$"
check "session: Outbound #pkts enc'ed = encaps ($enc)" \
  contains "$sess" "^ *Outbound: #pkts enc'ed $enc drop 0 life (KB/Sec) [0-9]*/[0-9]*$"
check "ikev2 sa detailed: the seed's header" contains "$ikedet" "^Tunnel-id Local  *Remote  *fvrf/ivrf  *Status$"
check "ikev2 sa detailed: tunnel line" \
  contains "$ikedet" "^1  *172.16.10.1/[0-9]*  *172.16.10.2/[0-9]*  *none/none  *READY$"
check "ikev2 sa detailed: Life/Active Time: 86400/N sec" contains "$ikedet" "Life/Active Time: 86400/[0-9]* sec$"
check "ikev2 sa detailed: Status Description: Negotiation done" contains "$ikedet" "Status Description: Negotiation done$"
sw_ispi=$(awk '/ESTABLISHED/ { for (i = 1; i <= NF; i++) if ($i ~ /_i\*?$/) { sub(/_i.*/, "", $i); print toupper($i) } }' <<<"$swsas")
sw_rspi=$(awk '/ESTABLISHED/ { for (i = 1; i <= NF; i++) if ($i ~ /_r\*?$/) { sub(/_r.*/, "", $i); print toupper($i) } }' <<<"$swsas")
check "ikev2 sa detailed: Local spi = strongSwan's responder SPI, Remote spi = its initiator SPI" \
  contains "$ikedet" "Local spi: $sw_rspi  *Remote spi: $sw_ispi$"
check "ikev2 sa detailed: Local id: 172.16.10.1" contains "$ikedet" "Local id: 172.16.10.1$"
check "ikev2 sa detailed: Remote id: 172.16.10.2" contains "$ikedet" "Remote id: 172.16.10.2$"
check "ikev2 sa detailed: message ids, queued and window lines" \
  test "$(grep -c -E 'Local (req msg id|next msg id|req queued|window): +[0-9]+ +Remote' <<<"$ikedet")" = 4
check "ikev2 sa detailed: Extended Authentication / Trust Security lines" \
  test "$(grep -c -E 'Extended Authentication not configured.|Cisco Trust Security SGT is disabled' <<<"$ikedet")" = 2
check "ipsec sa: crypto map tag" \
  contains "$ipsec" "^ *Crypto map tag: cmap, local addr 172.16.10.1$"
check "ipsec sa: interface line" contains "$ipsec" "^interface: Ethernet0/0$"
check "ipsec sa: protected vrf: (none)" contains "$ipsec" "^ *protected vrf: (none)$"
check "ipsec sa: local ident (the ACL's source)" \
  contains "$ipsec" "^ *local  *ident (addr/mask/prot/port): (192.168.1.0/255.255.255.0/0/0)$"
check "ipsec sa: current_peer 172.16.10.2" contains "$ipsec" "^ *current_peer 172.16.10.2 port [0-9]*$"
check "ipsec sa: PERMIT, flags={origin_is_acl,}" contains "$ipsec" "^ *PERMIT, flags={origin_is_acl,}$"
check "ipsec sa: #pkts encaps/decaps lines as IOS prints them" \
  contains "$ipsec" "^ *#pkts encaps: $enc, #pkts encrypt: $enc, #pkts digest: $enc$"
check "ipsec sa: crypto endpoints" \
  contains "$ipsec" "^ *local crypto endpt.: 172.16.10.1, remote crypto endpt.: 172.16.10.2$"
check "ipsec sa: plaintext mtu line" contains "$ipsec" "^ *plaintext mtu [0-9]*, path mtu 1500, ip mtu 1500, ip mtu idb Ethernet0/0$"
out_hex=$(sed -n 's/.*current outbound spi: 0x\([0-9A-F]*\)(\([0-9]*\)).*/\1 \2/p' <<<"$ipsec")
check "ipsec sa: current outbound spi 0xHEX(DECIMAL), the same number twice" \
  test -n "$out_hex" -a "$(( 16#${out_hex%% *} ))" = "${out_hex##* }"
check "ipsec sa: PFS (Y/N): N, DH group: none" contains "$ipsec" "^ *PFS (Y/N): N, DH group: none$"
check "ipsec sa: transform esp-aes esp-sha-hmac, both directions" \
  test "$(grep -c '^ *transform: esp-aes esp-sha-hmac ,$' <<<"$ipsec")" = 2
check "ipsec sa: in use settings ={Tunnel UDP-Encaps, } (kernel-libipsec always encapsulates)" \
  contains "$ipsec" "in use settings ={Tunnel UDP-Encaps, }"
check "ipsec sa: Status: ACTIVE(ACTIVE), both directions" \
  test "$(grep -c '^ *Status: ACTIVE(ACTIVE)$' <<<"$ipsec")" = 2
for blk in "inbound esp sas:" "inbound ah sas:" "outbound esp sas:" "outbound ah sas:"; do
  check "ipsec sa: '$blk' block" contains "$ipsec" "^ *$blk$"
done

# (b) ikegate initiates on traffic from the host behind it.
start_pair b-ikegate-initiates "$IOS_CFG" aes128-sha1-modp1536 aes128-sha1 ||
  check "both gateways start" false
check "traffic from 192.168.1.10 brings the tunnel up" \
  test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" -ge 2
check "ikegate: IKE SA READY" wait_for 5 ike_ready
tunnel_checks 1 5
check "ikegate's detail: initiator" contains "$(r1 show crypto ikev2 sa detailed)" "Initiator of SA : Yes"

# (c) other suites, both configurations rewritten; the initiator alternates.
# suite NAME INITIATOR(sw|r1) IOS: ENCR INTEG PRF GROUP TRANSFORMS PFS -- strongSwan: IKE ESP -- expected
suite() {
  local name=$1 who=$2 encr=$3 integ=$4 prf=$5 group=$6 ts=$7 pfs=$8 ike=$9 esp=${10} want_ike=${11} want_esp=${12}
  local cfg=$RUN_DIR/ios-$name.cfg
  ios_config "$cfg" "$encr" "$integ" "$prf" "$group" "$ts" "$pfs"
  start_pair "$name" "$cfg" "$ike" "$esp" || check "both gateways start" false
  if [ "$who" = sw ]; then
    check "swanctl --initiate succeeds" sw_initiate_quiet
  else
    check "traffic from 192.168.1.10 brings the tunnel up" \
      test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 2)" -ge 1
    wait_for 5 ike_ready
  fi
  tunnel_checks "$([ "$who" = sw ] && echo 0 || echo 1)" 3
  local sas
  sas=$(sw_list_sas sw)
  check "strongSwan: IKE $want_ike" contains "$sas" "$want_ike"
  check "strongSwan: ESP $want_esp" contains "$sas" "ESP:$want_esp"
  check "ikegate: DH Grp:$group" contains "$(r1 show crypto ikev2 sa)" "DH Grp:$group,"
}
suite c1-gcm128-g19 sw aes-gcm-128 - sha256 19 "esp-gcm 128" "" \
  aes128gcm16-prfsha256-ecp256 aes128gcm16 AES_GCM_16-128/PRF_HMAC_SHA2_256/ECP_256 AES_GCM_16-128
suite c2-cbc256-sha256-g14-pfs r1 aes-cbc-256 sha256 - 14 "esp-aes 256 esp-sha256-hmac" group14 \
  aes256-sha256-modp2048 aes256-sha256-modp2048 AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 AES_CBC-256/HMAC_SHA2_256_128
suite c3-gcm256-g20 sw aes-gcm-256 - sha384 20 "esp-gcm 256" "" \
  aes256gcm16-prfsha384-ecp384 aes256gcm16 AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384 AES_GCM_16-256
suite c4-cbc256-sha512-g31 r1 aes-cbc-256 sha512 - 31 "esp-aes 256 esp-sha512-hmac" "" \
  aes256-sha512-x25519 aes256-sha512 AES_CBC-256/HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/CURVE_25519 AES_CBC-256/HMAC_SHA2_512_256
suite c5-cbc128-sha256-g2-pfs sw aes-cbc-128 sha256 - 2 "esp-aes esp-sha256-hmac" group2 \
  aes128-sha256-modp1024 aes128-sha256-modp1024 AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024 AES_CBC-128/HMAC_SHA2_256_128

# (d) proposals one side refuses: NO_PROPOSAL_CHOSEN, said clearly on both sides.
no_ike_sa() { ! r1 show crypto ikev2 sa | grep -q READY; }
start_pair d1-ike-refused "$IOS_CFG" aes256-sha512-modp4096 aes128-sha1 || check "both gateways start" false
check "strongSwan's initiate fails" test "$(sw_initiate_quiet && echo up)" = ""
check "ikegate logs NO_PROPOSAL_CHOSEN for the IKE_SA_INIT" grep -q "NO_PROPOSAL_CHOSEN" "$GWLOG"
check "charon logs the NO_PROPOSAL_CHOSEN it received" \
  grep -q "received NO_PROPOSAL_CHOSEN notify error" "$SW/charon.log"
check "ikegate: no IKE SA" no_ike_sa

start_pair d2-esp-refused "$IOS_CFG" aes128-sha1-modp1536 aes256-sha512 || check "both gateways start" false
check "strongSwan's initiate fails" test "$(sw_initiate_quiet && echo up)" = ""
check "ikegate logs NO_PROPOSAL_CHOSEN for the CHILD SA (IKE_AUTH)" grep -q "NO_PROPOSAL_CHOSEN" "$GWLOG"
check "charon logs it received NO_PROPOSAL_CHOSEN and built no CHILD_SA" \
  grep -q "received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built" "$SW/charon.log"

start_pair d3-ikegate-refused "$IOS_CFG" aes128-sha1-modp2048 aes128-sha1 || check "both gateways start" false
ping_h "$NS_H1" 192.168.1.10 192.168.2.10 2 >/dev/null
check "charon refuses ikegate's group 5 proposal (N(NO_PROP))" \
  wait_for 5 grep -q "received proposals unacceptable" "$SW/charon.log"
check "ikegate logs the NO_PROPOSAL_CHOSEN it received" wait_for 5 grep -q "NO_PROPOSAL_CHOSEN" "$GWLOG"
check "ikegate: no IKE SA" no_ike_sa
stop_pair
CASE=all
# Sanitizer builds report leaks when a daemon exits: every ikegate has stopped by now.
check "no sanitizer report in ikegate's logs (read after exit)" no_sanitizer_report "$RUN_DIR"/*.log

echo "runtime: $((SECONDS - START)) s"
if [ "$FAILS" -ne 0 ]; then
  for c in $(tr ' ' '\n' <<<"$FAILED_CASES" | sort -u); do
    echo "--- ikegate log ($c), last lines"
    tail -n 60 "$RUN_DIR/r1-$c.log"
    echo "--- charon log ($c), last lines"
    tail -n 60 "$RUN_DIR/sw-$c/charon.log"
  done
  echo "$FAILS check(s) failed"
  exit 1
fi
echo "all checks passed"
