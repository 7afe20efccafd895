#!/bin/bash
# Captures IKEv1 (Main Mode + Quick Mode, pre-shared key) vectors from a real exchange between
# two strongSwan charons (Debian packages) in network namespaces, for
# tests/unit/crypto/ikev1_strongswan_test.cpp.
#
# With the `ike`, `chd` and `enc` log levels at 4, charon's log holds every message it builds
# (before and after encryption) and parses (the datagram, then the decrypted body), and what
# RFC 2409 derives from them: g^xy, SKEYID, SKEYID_d/a/e, Ka, the initial IV, HASH_I/HASH_R with
# the octets they cover, the IV chain ("next IV for MID ..."), Quick Mode Hash(1)/(2)/(3), the
# KEYMAT seeds and the ESP keys. This script writes them from the initiator's log, one file per
# suite:
#   OUTDIR/ikev1-NAME.txt   "key = hex" lines (see tests/data/strongswan/README.md)
#
# Usage: capture_strongswan_ikev1_keys.sh OUTDIR   (as root; needs the strongSwan packages)
set -u
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
cd "$(dirname "$0")/../../.."
source tests/interop/lib/strongswan.sh
sw_available || { echo "strongSwan (charon, swanctl, kernel-libipsec) not installed" >&2; exit 77; }

TAG=$$
NS_A=swv1-a-$TAG
NS_B=swv1-b-$TAG
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
    version = 1
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

# extract LOG: "key = hex" lines for the first Main Mode and Quick Mode of an initiator's log.
extract() {
  awk '
    function flush() { if (label != "") { val[label] = buf; if (!(label in seen)) { seen[label] = 1; order[++n] = label } } label = ""; buf = "" }
    function take(name, keep_first) { if (keep_first && (name in val)) return; label = name; buf = "" }
    label != "" && match($0, /\] (<[^>]*> )? *[0-9]+: ([0-9A-F][0-9A-F] )+/) {
      line = substr($0, RSTART, RLENGTH)
      sub(/^\] (<[^>]*> )? *[0-9]+: /, "", line)
      gsub(/ /, "", line)
      buf = buf tolower(line)
      next
    }
    { flush() }
    /generating ID_PROT request 0 \[ SA / { ctx = "mm1"; reply = "mm2"; enc = 0 }
    /generating ID_PROT request 0 \[ KE / { ctx = "mm3"; reply = "mm4"; enc = 0 }
    /generating ID_PROT request 0 \[ ID HASH/ { ctx = "mm5"; reply = "mm6"; enc = 0 }
    /generating QUICK_MODE request [0-9]+ \[ HASH SA/ {
      ctx = "qm1"; reply = "qm2"; enc = 0
      if (!("mid" in val)) { m = $0; sub(/.*QUICK_MODE request /, "", m); sub(/ .*/, "", m); mid = m }
    }
    /generating QUICK_MODE request [0-9]+ \[ HASH \]/ { ctx = "qm3"; reply = ""; enc = 0 }
    /encrypting payloads:/ { enc = 1 }
    /decrypting payloads:/ { dec = 1 }
    / => [0-9]+ bytes @/ {
      if ($0 ~ /generated data of this generator/ && ctx != "") { take(ctx (enc ? "_wire" : (ctx ~ /^mm[1-4]$/ ? "_wire" : "_plain")), 0); waiting = reply; next }
      if ($0 ~ /parsing payload from/) {
        if (dec && replyctx != "") { take(replyctx "_plain", 1); dec = 0; replyctx = ""; next }
        if (waiting != "") { take(waiting "_wire", 1); replyctx = waiting; waiting = ""; ctx = ""; next }
        next
      }
      if ($0 ~ /shared Diffie Hellman secret =>/) take("g_xy", 1)
      else if ($0 ~ /> SKEYID =>/) take("skeyid", 1)
      else if ($0 ~ /SKEYID_d =>/) take("skeyid_d", 1)
      else if ($0 ~ /SKEYID_a =>/) take("skeyid_a", 1)
      else if ($0 ~ /SKEYID_e =>/) take("skeyid_e", 1)
      else if ($0 ~ /encryption key Ka =>/) take("ka", 1)
      else if ($0 ~ /initial IV =>/) take("iv_initial", 1)
      else if ($0 ~ /HASH_I data =>/) take("hash_i_data", 1)
      else if ($0 ~ /HASH_I =>/) take("hash_i", 1)
      else if ($0 ~ /HASH_R data =>/) take("hash_r_data", 1)
      else if ($0 ~ /HASH_R =>/) take("hash_r", 1)
      else if ($0 ~ /next IV for MID 0 =>/) take("iv_phase1_last", 0)
      else if ($0 ~ /Hash\(1\) =>/) take("qm_hash1", 1)
      else if ($0 ~ /Hash\(2\) =>/) take("qm_hash2", 1)
      else if ($0 ~ /Hash\(3\) =>/) take("qm_hash3", 1)
      else if ($0 ~ /\[CHD\].* DH secret =>/) take("qm_g_xy", 1)
      else if ($0 ~ /initiator SA seed =>/) take("seed_i", 1)
      else if ($0 ~ /responder SA seed =>/) take("seed_r", 1)
      else if (match($0, /(encryption|integrity) (initiator|responder) key =>/)) {
        split(substr($0, RSTART, RLENGTH), w, " ")
        take("child_" (w[1] == "encryption" ? "encr" : "integ") "_" (w[2] == "initiator" ? "i" : "r"), 1)
      }
      next
    }
    END {
      flush()
      print "qm_message_id = " mid
      for (i = 1; i <= n; i++) print order[i] " = " val[order[i]]
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
  local selected esp_selected
  selected=$(sed -n 's/.*selected proposal: IKE:\(.*\)$/\1/p' "$a/charon.log" | head -1)
  esp_selected=$(sed -n 's/.*selected proposal: ESP:\(.*\)$/\1/p' "$a/charon.log" | head -1)
  {
    echo "# $(sw_version), IKEv1 initiator's log; swanctl proposals = $ike, esp_proposals = $esp"
    echo "ike_proposal = $selected"
    echo "esp_proposal = $esp_selected"
    echo "psk = $(printf cisco | od -An -tx1 | tr -d ' \n')"
    extract "$a/charon.log"
  } >"$OUT/ikev1-$name.txt"
  sw_stop "a-$name"
  sw_stop "b-$name"
  echo "captured $name: $selected / $esp_selected"
}

capture aes128-sha1-modp1536-pfs aes128-sha1-modp1536 aes128-sha1-modp1536
capture aes256-sha1-modp2048 aes256-sha1-modp2048 aes256-sha1
capture 3des-md5-modp1024 3des-md5-modp1024 3des-md5
capture aes256-sha256-modp2048-pfs aes256-sha256-modp2048 aes256-sha256-modp2048
