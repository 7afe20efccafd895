#!/bin/bash
# Captures IKEv2 key-derivation vectors from a real exchange between two strongSwan charons
# (Debian packages) in network namespaces, for tests/unit/crypto/strongswan_vectors_test.cpp.
#
# charon logs, with the `ike`, `chd` and `enc` log levels at 4, the values that RFC 7296 2.14
# and 2.17 derive keys from and the keys themselves: the nonces and SPIs (in the payload
# dumps), "shared Diffie Hellman secret", "Sk_d secret" ... "Sk_pr secret", the CHILD SA's
# encryption/integrity keys, and the PSK AUTH computation ("octets = ..." and "AUTH = ...").
# This script reads them from the initiator's log and writes one file per suite:
#   OUTDIR/NAME.txt   "key = hex" lines (see tests/data/strongswan/README.md)
#
# Usage: capture_strongswan_keys.sh OUTDIR   (as root; needs the strongSwan packages)
set -u
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
cd "$(dirname "$0")/../../.."
source tests/interop/lib/strongswan.sh
sw_available || { echo "strongSwan (charon, swanctl, kernel-libipsec) not installed" >&2; exit 77; }

TAG=$$
NS_A=swkeys-a-$TAG
NS_B=swkeys-b-$TAG
WORK=$(mktemp -d)
cleanup() {
  sw_stop_all
  ip netns del "$NS_A" 2>/dev/null
  ip netns del "$NS_B" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ip netns add "$NS_A"
ip netns add "$NS_B"
ip -n "$NS_A" link set lo up
ip -n "$NS_B" link set lo up
ip link add out-a netns "$NS_A" type veth peer name out-b netns "$NS_B"
ip -n "$NS_A" addr add 172.16.10.1/24 dev out-a
ip -n "$NS_B" addr add 172.16.10.2/24 dev out-b
ip -n "$NS_A" link set out-a up
ip -n "$NS_B" link set out-b up
# kernel-libipsec wants an address of the gateway inside its local traffic selector.
ip -n "$NS_A" addr add 192.168.1.1/32 dev lo
ip -n "$NS_B" addr add 192.168.2.1/32 dev lo

write_swanctl() {  # DIR ME PEER MY_TS PEER_TS IKE_PROPOSAL ESP_PROPOSAL
  cat >"$1/swanctl.conf" <<EOF
connections {
  c {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = $6
    local {
      auth = psk
      id = $2
    }
    remote {
      auth = psk
      id = $3
    }
    children {
      c {
        local_ts = $4
        remote_ts = $5
        esp_proposals = $7
      }
    }
  }
}
secrets {
  ike-c {
    id-1 = $2
    id-2 = $3
    secret = cisco
  }
}
EOF
}

# extract LOG: prints "key = hex" lines for the first IKE SA in an initiator's log.
extract() {
  awk '
    function flush() { if (label != "" && !(label in val)) val[label] = buf; label = ""; buf = "" }
    # A dump line: "HH:MM:SS NN[XXX] <c|1>   16: 5F 82 ..."
    label != "" && match($0, /\] (<[^>]*> )? *[0-9]+: ([0-9A-F][0-9A-F] )+/) {
      line = substr($0, RSTART, RLENGTH)
      sub(/^\] (<[^>]*> )? *[0-9]+: /, "", line)
      gsub(/ /, "", line)
      buf = buf tolower(line)
      next
    }
    { flush() }
    /generating payload of type HEADER/ { inhdr = 1; hdr_rule = "" }
    inhdr && /generating rule 0 IKE_SPI/ { pending = "spi_i" }
    /parsing rule 1 IKE_SPI/ && !("spi_r" in val) { pending = "spi_r" }
    /generating payload of type NONCE/ { nonce = "ni" }
    /starting parsing a NONCE payload/ { nonce = "nr" }
    nonce != "" && /rule 10 CHUNK_DATA/ { pending = nonce; nonce = "" }
    / => [0-9]+ bytes @/ {
      name = ""
      if (pending != "") { name = pending; pending = ""; inhdr = 0 }
      else if ($0 ~ /shared Diffie Hellman secret =>/) name = "g_ir"
      else if ($0 ~ /SKEYSEED =>/) name = "skeyseed"
      else if (match($0, /Sk_[a-z]+ secret =>/)) name = tolower(substr($0, RSTART, RLENGTH - 10))
      else if ($0 ~ /octets = message \+ nonce/) name = "auth_octets_" ++octets
      else if ($0 ~ /AUTH = prf\(prf\(secret, keypad\), octets\) =>/) name = "auth_" ++auths
      else if (match($0, /(encryption|integrity) (initiator|responder) key =>/)) {
        split(substr($0, RSTART, RLENGTH), w, " ")
        name = "child_" (w[1] == "encryption" ? "encr" : "integ") "_" (w[2] == "initiator" ? "i" : "r")
      }
      if (name != "") { label = name; buf = "" }
      next
    }
    END {
      flush()
      n = split("spi_i spi_r ni nr g_ir skeyseed sk_d sk_ai sk_ar sk_ei sk_er sk_pi sk_pr auth_octets_1 auth_1 auth_octets_2 auth_2 child_encr_i child_integ_i child_encr_r child_integ_r", order, " ")
      for (i = 1; i <= n; i++) if (order[i] in val) print order[i] " = " val[order[i]]
    }
  ' "$1"
}

capture() {  # NAME IKE_PROPOSAL ESP_PROPOSAL
  local name=$1 ike=$2 esp=$3 a=$WORK/$1-a b=$WORK/$1-b
  mkdir -p "$a" "$b"
  sw_write_strongswan_conf "$a" "ike 4, chd 4, enc 4, cfg 2, knl 1, net 1"
  sw_write_strongswan_conf "$b" "ike 1, cfg 1"
  write_swanctl "$a" 172.16.10.1 172.16.10.2 192.168.1.0/24 192.168.2.0/24 "$ike" "$esp"
  write_swanctl "$b" 172.16.10.2 172.16.10.1 192.168.2.0/24 192.168.1.0/24 "$ike" "$esp"
  sw_start "a-$name" "$NS_A" "$a" && sw_start "b-$name" "$NS_B" "$b" &&
    sw_load "a-$name" && sw_load "b-$name" && sw_initiate "a-$name" c >/dev/null || {
    echo "capture $name failed" >&2
    tail -n 20 "$a/charon.log" >&2
    return 1
  }
  local selected
  selected=$(sed -n 's/.*selected proposal: IKE:\(.*\)$/\1/p' "$a/charon.log" | head -1)
  local esp_selected
  esp_selected=$(sed -n 's/.*selected proposal: ESP:\(.*\)$/\1/p' "$a/charon.log" | head -1)
  {
    echo "# $(sw_version), initiator's log; swanctl proposals = $ike, esp_proposals = $esp"
    echo "ike_proposal = $selected"
    echo "esp_proposal = $esp_selected"
    echo "psk = $(printf cisco | od -An -tx1 | tr -d ' \n')"
    extract "$a/charon.log"
  } >"$OUT/$name.txt"
  sw_stop "a-$name"
  sw_stop "b-$name"
  echo "captured $name: $selected / $esp_selected"
}

capture aes128-sha1-modp1536 aes128-sha1-modp1536 aes128-sha1
capture aes256-sha256-modp2048 aes256-sha256-modp2048 aes256-sha256
capture aes128gcm16-prfsha256-ecp256 aes128gcm16-prfsha256-ecp256 aes128gcm16
capture aes256gcm16-prfsha384-ecp384 aes256gcm16-prfsha384-ecp384 aes256gcm16
capture aes256-sha512-x25519 aes256-sha512-x25519 aes256-sha512
