#!/usr/bin/env bash
# Builds the test VM from Debian 12 packages: the stock kernel (linux-image-amd64, which has
# ESP as modules) as an uncompressed ELF vmlinux (qemu boots it about twice as fast as the
# compressed bzImage under TCG) and an initramfs with a static busybox as init and the kernel
# modules the XFRM tests need, loaded in dependency order.
#
#   scripts/vm/build.sh [OUTDIR]      (default: $IKEGATE_VM_DIR or build-vm/ at the top)
#
# OUTDIR/libreswan gets Debian's Libreswan unpacked (scripts/vm/libreswan.sh), a peer for the
# interoperability tests in the guest.
#
# Prints OUTDIR. The result is cached: a second run with the same kernel package and the same
# scripts does nothing. Nothing here is committed; it is rebuilt from the packages.
# Exit status 77: the packages cannot be downloaded (no apt lists, no network).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-${IKEGATE_VM_DIR:-$top/build-vm}}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Modules the guest loads (each with its dependencies): ESP and its crypto, netlink XFRM,
# veth, nftables NAT for a NAT namespace, TUN for the userspace backend, 9p for the host's
# file system.
modules=(drbg esp4 esp6 xfrm_user xfrm_interface veth tun aesni_intel gcm ctr ghash_generic
  ghash_clmulni_intel authenc echainiv seqiv cbc hmac md5 sha1_ssse3 sha256_ssse3 sha512_ssse3 des3_ede_x86_64
  des_generic crc32c_generic crc32c_intel nft_ct nft_nat nft_masq nft_chain_nat nf_tables af_packet 9p 9pnet_virtio virtio_pci)

log() { echo "vm-build: $*" >&2; }

pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
  log "apt does not know linux-image-amd64 (run apt-get update)"
  exit 77
fi
# The peers the interoperability tests run in the guest next to ikegate (it sees this directory
# through the shared file system): Libreswan, which cannot be installed next to strongSwan.
"$here/libreswan.sh" "$out/libreswan" || exit $?

stamp="$pkg $(cat "$here/build.sh" "$here/init" | sha256sum | cut -c1-16)"
if [ -f "$out/vmlinux" ] && [ -f "$out/initramfs.cpio.gz" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$out"
  exit 0
fi

work=$out/work
rm -rf "$work"
mkdir -p "$work/debs"
(
  cd "$work/debs"
  # apt-get download runs as _apt when it can; a root-owned directory it cannot write into
  # only produces a warning, so allow it explicitly.
  chmod 0777 .
  apt-get download -q "$pkg" busybox-static >/dev/null
) || {
  log "apt-get download $pkg busybox-static failed"
  exit 77
}
dpkg-deb -x "$work"/debs/linux-image-*.deb "$work/kernel"
dpkg-deb -x "$work"/debs/busybox-static_*.deb "$work/busybox"
kver=$(ls "$work/kernel/lib/modules")
vmlinuz=$work/kernel/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || { log "no $vmlinuz in $pkg"; exit 1; }

# ---- vmlinux: find the compressed payload inside the bzImage and decompress it ----
# (the logic of the kernel's scripts/extract-vmlinux: try each compressor's magic at every
# offset where it occurs until one yields an ELF file).
extract() {
  local magic=$1 cmd=$2 off
  for off in $(LC_ALL=C grep -obUaP "$magic" "$vmlinuz" | cut -d: -f1); do
    tail -c +$((off + 1)) "$vmlinuz" | $cmd >"$work/vmlinux" 2>/dev/null || true
    if [ "$(head -c 4 "$work/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then return 0; fi
  done
  return 1
}
extract '\xfd\x37\x7a\x58\x5a\x00' 'xz -dc' ||
  extract '\x28\xb5\x2f\xfd' 'zstd -dc' ||
  extract '\x1f\x8b\x08' 'gzip -dc' || {
  log "no xz, zstd or gzip payload in $vmlinuz"
  exit 1
}

# ---- initramfs ----
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,host,lib/modules}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 0755 "$here/init" "$root/init"

moddir=$work/kernel/lib/modules/$kver
declare -A path_of=() done_mod=()
while IFS= read -r f; do
  n=$(basename "$f")
  n=${n%%.ko*}
  path_of[${n//-/_}]=$f
done < <(find "$moddir" -name '*.ko*')
builtin() { grep -q "/${1//_/[_-]}.ko\$" "$moddir/modules.builtin" 2>/dev/null; }
order=()
visit() {
  local m=${1//-/_} f deps d
  [ -n "${done_mod[$m]:-}" ] && return 0
  done_mod[$m]=1
  f=${path_of[$m]:-}
  if [ -z "$f" ]; then
    builtin "$m" || log "module $m is neither a module nor built in; skipped"
    return 0
  fi
  local ko=$root/lib/modules/$m.ko
  case $f in
    *.ko.xz) xz -dc "$f" >"$ko" ;;
    *.ko.zst) zstd -dcq "$f" >"$ko" ;;
    *) cp "$f" "$ko" ;;
  esac
  deps=$(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | head -1 | tr ',' ' ')
  for d in $deps; do visit "$d"; done
  order+=("$m")
}
for m in "${modules[@]}"; do visit "$m"; done
printf '%s\n' "${order[@]}" >"$root/lib/modules/load.order"

bb=$work/busybox/bin/busybox
(cd "$root" && find . | LC_ALL=C sort | "$bb" cpio -o -H newc 2>/dev/null) | gzip -1 >"$work/initramfs.cpio.gz"
mv "$work/vmlinux" "$out/vmlinux"
mv "$work/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
echo "$kver" >"$out/kernel-version"
echo "$stamp" >"$out/stamp"
rm -rf "$work"
log "kernel $kver, ${#order[@]} modules"
echo "$out"
