#!/usr/bin/env bash
# Unpacks Debian 12's Libreswan into a directory of its own, for the interoperability tests in
# the VM (tests/interop/lib/libreswan.sh runs pluto from there). The package conflicts with
# strongSwan's, so it is fetched with apt-get download and unpacked with dpkg-deb -x instead of
# being installed; its runtime libraries and NSS's certutil are ordinary packages that
# scripts/deps.sh installs.
#
#   scripts/vm/libreswan.sh DIR
#
# Cached: nothing is done when DIR already holds the version apt offers.
# Exit status 77: the package cannot be downloaded (no apt lists, no network).
set -euo pipefail

dir=$1
log() { echo "vm-libreswan: $*" >&2; }

version=$(apt-cache policy libreswan 2>/dev/null | awk '/Candidate:/ { print $2 }')
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  log "apt does not know libreswan (run apt-get update)"
  exit 77
fi
if [ -x "$dir/usr/libexec/ipsec/pluto" ] && [ "$(cat "$dir/version" 2>/dev/null)" = "$version" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download runs as _apt when it can: let it write into the directory.
chmod 0777 "$work"
(cd "$work" && apt-get download -q "libreswan=$version" >/dev/null) || {
  log "apt-get download libreswan=$version failed"
  exit 77
}
rm -rf "$dir"
mkdir -p "$dir"
dpkg-deb -x "$work"/libreswan_*.deb "$dir"
echo "$version" >"$dir/version"
log "libreswan $version in $dir"
