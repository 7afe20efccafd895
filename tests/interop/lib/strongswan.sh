# A real strongSwan (Debian's charon + swanctl) as a peer in a network namespace.
#
# Source it; every instance lives in a directory of its own:
#   DIR/strongswan.conf   written by sw_write_strongswan_conf (or by the caller)
#   DIR/swanctl.conf      the connections and secrets (swanctl syntax), written by the caller
#   DIR/run/              bind-mounted over /run for charon only, so its compiled-in pid file and
#                         vici socket (/run/charon.pid, /run/charon.vici) never meet another
#                         charon's; swanctl reaches the socket through its real path
#   DIR/charon.log        charon's file log
#
#   sw_write_strongswan_conf DIR [LOGLEVELS]   e.g. "ike 4, enc 4"; default "ike 2, cfg 2, ..."
#   sw_start NAME NETNS DIR    start charon, wait (bounded) until vici answers
#   sw_start_starter NAME NETNS DIR   the same through ipsec starter with DIR/ipsec.conf and
#                              DIR/ipsec.secrets (bind-mounted over /etc's for it only; the
#                              stroke plugin loads them) instead of swanctl.conf
#   sw NAME SWANCTL-ARGS...    swanctl against that instance (command first, then --uri)
#   sw_load NAME               swanctl --load-all --file DIR/swanctl.conf
#   sw_initiate NAME CHILD     swanctl --initiate --child CHILD (bounded)
#   sw_list_sas NAME           swanctl --list-sas
#   sw_stop NAME               SIGTERM by PID, bounded wait, then SIGKILL
#   sw_stop_all                every instance this shell started (for an EXIT trap)
#
# On these kernels (no ESP in the kernel) the only data plane charon has is kernel-libipsec:
# ESP in user space through a TUN device ipsec0, always UDP-encapsulated on port 4500 (it makes
# the peer believe there is a NAT), routes in table 220. It must be loaded before
# kernel-netlink. The route it installs takes its source address from the local traffic
# selector, so the gateway must own an address inside its local subnet.

source "$(dirname "${BASH_SOURCE[0]}")/../../e2e/lib/proc.sh"
SW_CHARON=${SW_CHARON:-/usr/lib/ipsec/charon}
SW_SWANCTL=${SW_SWANCTL:-swanctl}
declare -A SW_PID=() SW_DIR=()

# The plugins charon needs here, in load order (kernel-libipsec before kernel-netlink).
SW_PLUGINS="random nonce openssl pem pkcs1 x509 pubkey curve25519 aes sha1 sha2 hmac gcm kdf \
kernel-libipsec kernel-netlink socket-default vici"

sw_available() {
  [ -x "$SW_CHARON" ] && command -v "$SW_SWANCTL" >/dev/null 2>&1 &&
    [ -n "$(find /usr/lib/ipsec/plugins -name 'libstrongswan-kernel-libipsec.so' 2>/dev/null)" ]
}

sw_version() {
  echo "$("$SW_CHARON" --version 2>/dev/null | head -1) (Debian package strongswan-charon $(dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null))"
}

sw_write_strongswan_conf() {
  local dir=$1 levels=${2:-"ike 2, cfg 2, knl 2, net 2, chd 2, esp 1, enc 1, lib 1"}
  local lv out=""
  local IFS=,
  for lv in $levels; do
    lv=${lv# }
    out+="          ${lv%% *} = ${lv##* }"$'\n'
  done
  unset IFS
  mkdir -p "$dir/run"
  cat >"$dir/strongswan.conf" <<EOF
charon {
  load_modular = no
  load = $SW_PLUGINS
  # Bounded retransmissions: a test never waits for the default ~165 s.
  retransmit_tries = 2
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  install_routes = yes
  routing_table = 220
  plugins {
    vici {
      socket = unix://$dir/run/charon.vici
    }
  }
  filelog {
    charon {
      path = $dir/charon.log
      time_format = %T
      append = yes
      flush_line = yes
      ike_name = yes
      default = 1
$out    }
  }
}
EOF
}

sw_start() {
  local name=$1 ns=$2 dir=$3
  SW_DIR[$name]=$dir
  mkdir -p "$dir/run"
  # ip netns exec gives the command a mount namespace of its own (with slave propagation), so
  # the bind mount over /run stays private to this charon. exec keeps one PID throughout.
  ip netns exec "$ns" bash -c 'mount --bind "$1" /run && exec env STRONGSWAN_CONF="$2" "$3"' \
    _ "$dir/run" "$dir/strongswan.conf" "$SW_CHARON" >>"$dir/charon.stderr" 2>&1 &
  SW_PID[$name]=$!
  sw_wait_vici "$name"
}

sw_start_starter() {
  local name=$1 ns=$2 dir=$3
  SW_DIR[$name]=$dir
  mkdir -p "$dir/run"
  # starter and the charon it runs read /etc/ipsec.conf and /etc/ipsec.secrets (compiled-in
  # paths): this instance's files are mounted over them in its private mount namespace.
  ip netns exec "$ns" bash -c 'mount --bind "$1/run" /run && mount --bind "$1/ipsec.conf" /etc/ipsec.conf &&
    mount --bind "$1/ipsec.secrets" /etc/ipsec.secrets && exec env STRONGSWAN_CONF="$1/strongswan.conf" "$2" --nofork' \
    _ "$dir" "$(dirname "$SW_CHARON")/starter" >>"$dir/charon.stderr" 2>&1 &
  SW_PID[$name]=$!
  sw_wait_vici "$name"
}

# sw_wait_vici NAME: bounded wait until the instance's vici socket answers.
sw_wait_vici() {
  local name=$1 dir=${SW_DIR[$1]} i
  for i in $(seq 100); do
    if [ -S "$dir/run/charon.vici" ] && sw "$name" --stats >/dev/null 2>&1; then return 0; fi
    kill -0 "${SW_PID[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "charon $name did not start:" >&2
  tail -n 30 "$dir/charon.stderr" "$dir/charon.log" >&2 2>/dev/null
  return 1
}

sw() {
  local name=$1
  shift
  timeout 20 "$SW_SWANCTL" "$@" --uri "unix://${SW_DIR[$name]}/run/charon.vici"
}

sw_load() {
  local name=$1 dir=${SW_DIR[$1]} d
  # swanctl also scans the credential directories next to swanctl.conf; PSKs need none.
  for d in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
    mkdir -p "$dir/$d"
  done
  sw "$name" --load-all --noprompt --file "$dir/swanctl.conf" >"$dir/load.out" 2>&1 ||
    { cat "$dir/load.out" >&2; return 1; }
}

sw_initiate() {
  sw "$1" --initiate --child "$2" --timeout 15
}

sw_list_sas() { sw "$1" --list-sas; }

sw_stop() {
  local name=$1 pid=${SW_PID[$1]:-}
  [ -n "$pid" ] || return 0
  stop_pid "$pid" TERM
  unset "SW_PID[$name]"
  return 0
}

sw_stop_all() {
  local name
  for name in "${!SW_PID[@]}"; do sw_stop "$name"; done
}
