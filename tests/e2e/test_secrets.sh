#!/bin/bash
# No secret leaks (issue 9, section 4): the ASA1/ASA2 tunnel with every debug level at 255 on
# both gateways (from the start and again by `debug crypto ikev2 ... 255`), a monitor session,
# every show command, clear and re-establishment, a wrong pre-shared key, and a configuration
# reload; then every log, debug line and show output is searched for the pre-shared keys and
# the password used (as text, hex in any spelling, base64). Each run uses keys of its own, so a
# finding cannot be a coincidence. Also: a configuration file with keys that other users can read
# is refused by `run` and `config reload` with a message naming the file and the chmod, and
# `config check` only warns; the control socket is the owner's only (mode 0600).
#
# Usage: test_secrets.sh path/to/ikegate   (as root)
set -u
source "$(dirname "$0")/lib/prelude.sh"
source tests/e2e/lib/asa_l2l.sh
trap topo_down EXIT INT TERM
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: needs Debian's python3"; exit 77; }

received() { ping_from "$1" "$2" "$3" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
no_ike_sa() { ! gw "$1" show crypto ikev2 sa | grep -q READY; }
ready() { gw "$1" show crypto ikev2 sa | grep -q READY; }

# Keys of this run: printable, distinctive, never seen before.
rnd() { od -An -N6 -tx1 /dev/urandom | tr -d ' \n'; }
PSK="Tk-$(rnd)"
WRONG="Wk-$(rnd)"
PASSWORD="Pw-$(rnd)"
OUT=$RUN_DIR/out
mkdir -p "$OUT"
CFG=tests/e2e/configs
for n in asa1 asa2; do
  sed "s/cisco123/$PSK/g" "$CFG/$n.cfg" >"$RUN_DIR/$n.cfg"
  echo "username admin password $PASSWORD privilege 15" >>"$RUN_DIR/$n.cfg"
done
sed "s/ikev2 local-authentication pre-shared-key $PSK/ikev2 local-authentication pre-shared-key $WRONG/" \
  "$RUN_DIR/asa2.cfg" >"$RUN_DIR/asa2-wrong.cfg"

# 1. World-readable configurations with keys.
cp "$RUN_DIR/asa1.cfg" "$RUN_DIR/open.cfg"
chmod 644 "$RUN_DIR/open.cfg"
topo_up
refused=$(ip netns exec "$NS_ASA1" timeout 10 "$IKEGATE" run --config "$RUN_DIR/open.cfg" \
  --socket "$RUN_DIR/open.sock" 2>&1)
status=$?
echo "$refused" >"$OUT/refused.txt"
check "run refuses a world-readable file with keys (exit 1)" test "$status" = 1
check "... with one line naming the file, its mode and the chmod" \
  test "$refused" = "ikegate: $RUN_DIR/open.cfg: holds pre-shared keys or passwords and is readable by every user (mode 0644); restrict it with \`chmod 600 $RUN_DIR/open.cfg\` (or 640 to let a group read it)"
checked=$("$IKEGATE" config check "$RUN_DIR/open.cfg" 2>&1)
status=$?
echo "$checked" >"$OUT/checked.txt"
check "config check only warns (exit 0)" test "$status" = 0
check "... with the same words" contains "$checked" "open.cfg: warning: holds pre-shared keys or passwords and is readable by every user (mode 0644)"
chmod 640 "$RUN_DIR/open.cfg"
check "mode 0640 is accepted by config check without the warning" \
  test -z "$("$IKEGATE" config check "$RUN_DIR/open.cfg" 2>&1 | grep 'every user')"

# 2. The tunnel with everything at 255.
check "ASA1 starts (debug 255)" gw_start asa1 "$NS_ASA1" "$RUN_DIR/asa1.cfg" --debug-protocol 255 --debug-platform 255
check "ASA2 starts (debug 255)" gw_start asa2 "$NS_ASA2" "$RUN_DIR/asa2.cfg" --debug-protocol 255 --debug-platform 255
check "the control socket is for its owner only (0600)" test "$(stat -c %a "$RUN_DIR/asa1.sock")" = 600
check "no core file can carry keys to disk (core limit 0)" \
  grep -Eq '^Max core file size +0 +0 ' "/proc/${GW_PID[asa1]}/limits"
for n in asa1 asa2; do
  gw $n debug crypto ikev2 protocol 255 >/dev/null
  gw $n debug crypto ikev2 platform 255 >/dev/null
done
timeout 30 "$IKEGATE" --socket "$RUN_DIR/asa1.sock" monitor >"$OUT/monitor-asa1.txt" 2>&1 &
MON=$!
check "ping through the tunnel" test "$(received 192.168.1.1 192.168.2.99 4)" = 4
check "and from the second host" test "$(received 192.168.1.12 192.168.2.99 2)" = 2
show_all() {  # show_all TAG: every show command of both gateways into OUT
  local n c i=0
  for n in asa1 asa2; do
    for c in "show crypto ikev2 sa" "show crypto ikev2 sa detail" "show crypto ikev2 stats" \
      "show crypto isakmp sa" "show crypto isakmp sa detail" "show crypto ipsec sa" \
      "show crypto ipsec sa peer 10.0.0.2" "show crypto ipsec sa peer 10.0.0.1" \
      "show running-config" "show debug"; do
      i=$((i + 1))
      # shellcheck disable=SC2086
      gw $n $c >"$OUT/$1-$n-$i.txt" 2>&1
    done
  done
}
show_all up
check "show running-config masks keys and password" \
  test "$(grep -c '\*\*\*\*\*' "$OUT"/up-asa1-9.txt)" -ge 3
check "show crypto ikev2 sa detail shows the SA" grep -q "Local spi" "$OUT/up-asa1-2.txt"
gw asa1 clear crypto ikev2 sa >/dev/null
check "clear: ASA2 follows" wait_for 5 no_ike_sa asa2
check "traffic brings it back" test "$(received 192.168.1.1 192.168.2.99 3)" = 3
gw asa1 clear crypto ipsec sa >/dev/null
check "traffic after clear crypto ipsec sa" test "$(received 192.168.1.1 192.168.2.99 3)" -ge 2
show_all again

# 3. config reload: refused while world-readable (the running configuration stays), then fine.
chmod 644 "$RUN_DIR/asa1.cfg"
reload=$(gw asa1 config reload 2>&1)
echo "$reload" >"$OUT/reload-refused.txt"
check "config reload refuses the world-readable file and names it" \
  contains "$reload" "Configuration not reloaded: $RUN_DIR/asa1.cfg: holds pre-shared keys or passwords and is readable by every user (mode 0644)"
check "the tunnel still works after the refused reload" test "$(received 192.168.1.1 192.168.2.99 2)" = 2
kill -HUP "${GW_PID[asa1]}"
sleep 1
check "SIGHUP: refused too, said in the log" grep -q "reload failed: $RUN_DIR/asa1.cfg: holds pre-shared keys" "$RUN_DIR/asa1.log"
chmod 600 "$RUN_DIR/asa1.cfg"
check "config reload of the protected file succeeds" gw asa1 config reload
check "debugging stays on across a reload" contains "$(gw asa1 show debug)" "debug crypto ikev2 protocol 255"

# 4. A wrong key at debug 255.
gw_stop asa2
gw asa1 clear crypto ikev2 sa >/dev/null
check "ASA2 starts with a wrong key" gw_start asa2 "$NS_ASA2" "$RUN_DIR/asa2-wrong.cfg" --debug-protocol 255 --debug-platform 255
check "wrong key: pings fail" test "$(received 192.168.1.1 192.168.2.99 2)" = 0
sleep 1
check "wrong key: ASA1 reports the failed AUTH" grep -q "AUTH payload does not match the pre-shared key" "$RUN_DIR/asa1.log"
show_all wrong
kill "$MON" 2>/dev/null
wait "$MON" 2>/dev/null

# 5. Nothing printed anywhere holds a key or the password.
check "the monitor session saw the debug output" test "$(grep -c 'IKEv2-PROTO' "$OUT/monitor-asa1.txt")" -gt 20
check "the logs hold the 255-level debug output" test "$(grep -c 'IKEv2-PLAT' "$RUN_DIR/asa1.log")" -gt 20
files=("$RUN_DIR"/*.log "$OUT"/*)
echo "     | scanning ${#files[@]} files, $(cat "${files[@]}" | wc -l) lines"
check "no pre-shared key or password in any log, debug or show output" \
  "$PY" tests/e2e/hostile/secret_scan.py --secret "$PSK" --secret "$WRONG" --secret "$PASSWORD" "${files[@]}"
check "no sanitizer report" test -z "$(grep -l 'ERROR: AddressSanitizer\|runtime error:' "$RUN_DIR"/*.log)"
check_summary
