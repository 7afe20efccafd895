#!/usr/bin/env bash
# Installs everything ikegate needs to build, test, benchmark and run its demo on
# Debian 12. Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libssl-dev libfmt-dev libevent-dev libmnl-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang-16 libclang-rt-16-dev
  iproute2 iputils-ping nftables conntrack procps psmisc tshark python3 python3-cryptography
  strongswan-charon strongswan-swanctl strongswan-starter libcharon-extra-plugins libstrongswan-standard-plugins libstrongswan-extra-plugins
  qemu-system-x86 xz-utils zstd
  # Libreswan's runtime libraries and NSS's certutil: the package itself conflicts with
  # strongSwan's and is unpacked by scripts/vm/libreswan.sh instead.
  libnss3 libnss3-tools libnspr4 libldns3 libunbound8 libcurl3-nss libevent-core-2.1-7 libevent-pthreads-2.1-7 libcap-ng0 libaudit1 libpam0g libldap-2.5-0
)
if [ "${IKEGATE_DEPS_EXTRA:-}" != "" ]; then
  read -r -a extra <<<"$IKEGATE_DEPS_EXTRA"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
