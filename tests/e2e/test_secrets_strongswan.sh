#!/bin/bash
# No derived key leaks (issue 9, section 4): ikegate (the IOS router R1 of the seed's
# ios-strongswan pair) against a real strongSwan whose log levels (ike, chd and enc at 4) make it
# log every key both sides derive: SKEYSEED's outputs SK_d, SK_ai/ar, SK_ei/er, SK_pi/pr, the
# Diffie-Hellman shared secret, and the CHILD SA's ESP keys. ikegate runs with every debug level
# at 255; after both initiators, a rekey-free tunnel with traffic, `clear` and every show command,
# each of those keys (hex in any spelling, base64) is searched in all that ikegate printed, as is
# the pre-shared key. ikegate derives exactly the same keys, so none may be there.
#
# Usage: test_secrets_strongswan.sh path/to/ikegate   (as root; skips without strongSwan)
set -u
PRELUDE_NEEDS=strongswan source "$(dirname "$0")/lib/prelude.sh"
trap topo_down EXIT INT TERM
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: needs Debian's python3"; exit 77; }

r1() { gw r1 "$@"; }
ike_ready() { r1 show crypto ikev2 sa | grep -q "READY"; }
no_ike_sa() { ! r1 show crypto ikev2 sa | grep -q READY; }
OUT=$RUN_DIR/out
SW=$RUN_DIR/sw
mkdir -p "$OUT" "$SW"

topo_up
sw_write_strongswan_conf "$SW" "ike 4, enc 4, chd 4, cfg 2, knl 1, net 1, esp 1, lib 1"
sw_conf "$SW"
ios_conf "$RUN_DIR/r1.cfg"
check "ikegate starts (debug 255)" gw_start r1 "$NS_R1" "$RUN_DIR/r1.cfg" --debug-protocol 255 --debug-platform 255
check "strongSwan starts" sw_start sw "$NS_SW" "$SW"
check "strongSwan loads its configuration" sw_load sw
timeout 60 "$IKEGATE" --socket "$RUN_DIR/r1.sock" monitor >"$OUT/monitor.txt" 2>&1 &
MON=$!

show_all() {
  local c i=0
  for c in "show crypto ikev2 sa" "show crypto ikev2 sa detailed" "show crypto ikev2 stats" \
    "show crypto isakmp sa" "show crypto ipsec sa" "show crypto session" "show crypto session detail" \
    "show running-config" "show debugging"; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    r1 $c >"$OUT/$1-$i.txt" 2>&1
  done
}

CASE=sw-initiates
sw_initiate_quiet() { sw_initiate sw ciscoios >"$RUN_DIR/initiate.out" 2>&1; }
check "strongSwan initiates" sw_initiate_quiet
check "ikegate: IKE SA READY" wait_for 5 ike_ready
check "traffic passes" test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 3)" -ge 2
show_all a

CASE=ikegate-initiates
r1 clear crypto ikev2 sa >/dev/null
check "clear: the SA is gone" wait_for 5 no_ike_sa
check "traffic brings the tunnel up from ikegate" test "$(ping_h "$NS_H1" 192.168.1.10 192.168.2.10 4)" -ge 2
check "ikegate: IKE SA READY" wait_for 5 ike_ready
show_all b
kill "$MON" 2>/dev/null
wait "$MON" 2>/dev/null

CASE=scan
check "the monitor session saw the debug output" test "$(wc -l <"$OUT/monitor.txt")" -gt 20
nkeys=$(grep -cE '(Sk_[a-z]+ secret|shared Diffie Hellman secret|encryption (initiator|responder) key|integrity (initiator|responder) key) =>' "$SW/charon.log")
echo "     | charon logged $nkeys key values"
check "charon logged the keys of both IKE SAs and their CHILD SAs" test "$nkeys" -ge 16
files=("$RUN_DIR"/r1.log "$OUT"/*)
check "no derived key and no pre-shared key in anything ikegate printed" \
  "$PY" tests/e2e/hostile/secret_scan.py --charon-log "$SW/charon.log" --hex-only cisco "${files[@]}"
check "no sanitizer report" test -z "$(grep -l 'ERROR: AddressSanitizer\|runtime error:' "$RUN_DIR"/r1.log)"
check_summary
