#!/usr/bin/env bash
# `ikegate config check` and `ikegate config show` as an operator runs them: exit codes, messages
# on stderr, and the running-config each seed configuration prints (tests/data/configs/show/).
set -euo pipefail
bin=${1:?usage: test_config_cli.sh path/to/ikegate}
cd "$(dirname "$0")/../data/configs"
fail() { echo "FAIL: $*" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Every seed configuration that is complete checks out (exit 0, warnings allowed).
for f in asa1-l2l.cfg asa2-l2l.cfg asa2-l2l.as-printed.cfg asa-ra-anyconnect.cfg asa-ra-anyconnect.as-printed.cfg \
         pix-dynamic-l2l.cfg pix-nonat.cfg ios-dynamic-map-nat.cfg ios-strongswan-ikev1.cfg ios-strongswan-ikev2.cfg \
         ios-ikev2-router1.cfg ios-ikev2-router2.fragments.cfg; do
  "$bin" config check "$f" 2>"$out/err" || fail "config check $f: exit $?: $(cat "$out/err")"
done

# A dangling reference: exit 1, the message on stderr, nothing on stdout.
set +e
"$bin" config check ios-ikev2-router1.fragments.cfg >"$out/stdout" 2>"$out/err"
status=$?
set -e
[ "$status" -eq 1 ] || fail "fragments: exit $status, expected 1"
[ ! -s "$out/stdout" ] || fail "fragments: something on stdout"
grep -qxF "ios-ikev2-router1.fragments.cfg:19: error: no ikev2 profile named 'IKEV2-SETUP'; expected a profile defined with 'crypto ikev2 profile IKEV2-SETUP'" "$out/err" \
  || fail "fragments: message: $(cat "$out/err")"

# Two gateways checked together: the document's typo in ASA2 leaves ASA1's entries unmirrored.
"$bin" config check asa1-l2l.cfg asa2-l2l.as-printed.cfg 2>"$out/err" || fail "pair: exit $?"
grep -qxF "asa1-l2l.cfg:17: warning: access-list 'l2l_list' entry has no mirror in asa2-l2l.as-printed.cfg (access-list 'l2l_list' of its peer); expected 'permit ip host 192.168.2.99 host 192.168.1.1' there" "$out/err" \
  || fail "pair: $(cat "$out/err")"
"$bin" config check asa1-l2l.cfg asa2-l2l.cfg 2>"$out/err" || fail "fixed pair: exit $?"
! grep -q "no mirror" "$out/err" || fail "fixed pair still reports: $(cat "$out/err")"

# --strict: an unknown command becomes an error; --dialect forces the reading.
printf 'hostname fw\nfrobnicate widgets\n' >"$out/unknown.cfg"
"$bin" config check "$out/unknown.cfg" 2>/dev/null || fail "unknown command without --strict must pass"
if "$bin" config check --strict "$out/unknown.cfg" 2>/dev/null; then fail "--strict must fail"; fi
"$bin" config check --strict pix-dynamic-l2l.cfg 2>/dev/null || fail "--strict on the PIX seed"
if "$bin" config check --dialect ios asa1-l2l.cfg --strict 2>/dev/null; then fail "ASA text read as IOS must fail under --strict"; fi

# show prints the canonical running-config, keys masked, exactly as recorded.
for f in asa1-l2l pix-dynamic-l2l asa-ra-anyconnect ios-strongswan-ikev2 ios-dynamic-map-nat; do
  "$bin" config show "$f.cfg" >"$out/$f.txt" 2>/dev/null || fail "config show $f: exit $?"
  diff -u "show/$f.txt" "$out/$f.txt" || fail "config show $f differs"
  # ... and what it prints loads back without errors.
  "$bin" config check "$out/$f.txt" 2>/dev/null || fail "the printed $f does not load"
done
! grep -q cisco "$out/ios-strongswan-ikev2.txt" || fail "a key was printed"
echo "config CLI: ok"
