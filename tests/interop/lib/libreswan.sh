# A real Libreswan (Debian's pluto, unpacked from its package) as a peer in a network namespace.
#
# Debian's libreswan conflicts with strongSwan, so it is not installed: scripts/vm/libreswan.sh
# unpacks the package (apt-get download + dpkg-deb -x) into a directory of its own, LS_ROOT
# (default: build-vm/libreswan), and pluto runs from there with every path it would take from
# /etc and /run given on its command line, so nothing of the system's is used or changed. Its
# runtime libraries and NSS's certutil are ordinary packages (scripts/deps.sh).
#
# Every instance lives in a directory of its own:
#   DIR/ipsec.conf      `config setup` and the connections, written by the caller (ls_conf)
#   DIR/ipsec.secrets   the PSKs
#   DIR/nss/            pluto's NSS database (empty: PSK only)
#   DIR/run/            pluto.ctl (whack's socket) and pluto.pid
#   DIR/updown          the updown script: routes the peer's subnet through the peer while a
#                       CHILD SA is up (Libreswan's own _updown.xfrm also wants iptables)
#   DIR/pluto.log       pluto's log
#
#   ls_available                 is the unpacked Libreswan there and can it run?
#   ls_conf DIR key=value...     writes DIR/ipsec.conf and DIR/ipsec.secrets (keys below)
#   ls_start NAME NETNS DIR      starts pluto, loads the connections, waits (bounded)
#   lsw NAME WHACK-ARGS...       whack against that instance (bounded)
#   ls_initiate NAME CONN        whack --initiate (bounded)
#   ls_stop NAME                 SIGTERM by PID, bounded wait, then SIGKILL
#   ls_stop_all                  every instance this shell started (for an EXIT trap)

source "$(dirname "${BASH_SOURCE[0]}")/../../e2e/lib/proc.sh"
LS_ROOT=${LS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/build-vm/libreswan}
LS_EXEC=$LS_ROOT/usr/libexec/ipsec
declare -A LS_PID=() LS_DIR=()

ls_available() {
  [ -x "$LS_EXEC/pluto" ] && [ -x "$LS_EXEC/whack" ] && [ -x "$LS_EXEC/addconn" ] &&
    command -v certutil >/dev/null 2>&1 && "$LS_EXEC/pluto" --version >/dev/null 2>&1
}

ls_version() { "$LS_EXEC/pluto" --version 2>&1 | head -1; }

# ls_conf DIR [key=value...]: the peer of the seed's IOS router R1 (172.16.10.1) in ipsec.conf
# syntax. Keys (defaults): version=2 (1: IKEv1, which needs ikev1-policy=accept),
# ike=aes128-sha1-modp1536 esp=aes128-sha1, left=172.16.10.2 right=172.16.10.1,
# leftsubnet=192.168.2.0/24 rightsubnet=192.168.1.0/24, leftsourceip=192.168.2.1.
ls_conf() {
  local dir=$1
  shift
  local version=2 ike=aes128-sha1-modp1536 esp=aes128-sha1
  local left=172.16.10.2 right=172.16.10.1
  local leftsubnet=192.168.2.0/24 rightsubnet=192.168.1.0/24 leftsourceip=192.168.2.1
  local kv
  for kv in "$@"; do
    case ${kv%%=*} in
      version | ike | esp | left | right | leftsubnet | rightsubnet | leftsourceip) local "$kv" ;;
      *) echo "ls_conf: unknown key in '$kv'" >&2; return 1 ;;
    esac
  done
  mkdir -p "$dir/nss" "$dir/run"
  cat >"$dir/ipsec.conf" <<EOF
config setup
  logfile=$dir/pluto.log
  logtime=yes
  logappend=yes
  plutodebug=none
  dnssec-enable=no
  # Libreswan drops every IKEv1 packet unless told otherwise.
  ikev1-policy=accept

conn ciscoios
  ikev2=$([ "$version" = 1 ] && echo no || echo yes)
  authby=secret
  left=$left
  leftid=$left
  leftsubnet=$leftsubnet
  leftsourceip=$leftsourceip
  leftupdown=$dir/updown
  right=$right
  rightid=$right
  rightsubnet=$rightsubnet
  ike=$ike
  esp=$esp
  type=tunnel
  pfs=no
  keyingtries=1
  auto=add
EOF
  # Libreswan refuses to read a secrets file others can read.
  printf '%s %s : PSK "cisco"\n' "$left" "$right" >"$dir/ipsec.secrets"
  chmod 600 "$dir/ipsec.secrets"
  cat >"$dir/updown" <<'EOF'
#!/bin/sh
# Called by pluto with PLUTO_VERB and the SA's addresses in the environment.
case $PLUTO_VERB in
  up-client) ip route replace "$PLUTO_PEER_CLIENT" via "$PLUTO_PEER" src "$PLUTO_MY_SOURCEIP" ;;
  down-client) ip route del "$PLUTO_PEER_CLIENT" via "$PLUTO_PEER" 2>/dev/null ;;
esac
exit 0
EOF
  chmod 755 "$dir/updown"
}

ls_start() {
  local name=$1 ns=$2 dir=$3
  LS_DIR[$name]=$dir
  rm -f "$dir/run/pluto.ctl" "$dir/run/pluto.pid"
  certutil -N -d "sql:$dir/nss" --empty-password >"$dir/certutil.out" 2>&1 ||
    { cat "$dir/certutil.out" >&2; return 1; }
  # pluto insists on finding its helpers in the compiled-in /usr/libexec/ipsec. ip netns exec
  # gives the command a mount namespace of its own, so the unpacked tree bind-mounted over
  # /usr/libexec stays private to this pluto (and its updown). exec keeps one PID throughout.
  ip netns exec "$ns" bash -c 'mount --bind "$1/usr/libexec" /usr/libexec && shift && exec "$@"' _ \
    "$LS_ROOT" "$LS_EXEC/pluto" --nofork --config "$dir/ipsec.conf" \
    --secretsfile "$dir/ipsec.secrets" --nssdir "$dir/nss" --ipsecdir "$dir" \
    --rundir "$dir/run" >>"$dir/pluto.stderr" 2>&1 &
  LS_PID[$name]=$!
  local i
  for i in $(seq 150); do
    if [ -S "$dir/run/pluto.ctl" ] && lsw "$name" --status >/dev/null 2>&1; then
      ip netns exec "$ns" "$LS_EXEC/addconn" --config "$dir/ipsec.conf" \
        --ctlsocket "$dir/run/pluto.ctl" --autoall >"$dir/addconn.out" 2>&1 && return 0
      cat "$dir/addconn.out" >&2
      return 1
    fi
    kill -0 "${LS_PID[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "pluto $name did not start:" >&2
  tail -n 30 "$dir/pluto.stderr" "$dir/pluto.log" >&2 2>/dev/null
  return 1
}

lsw() {
  local name=$1
  shift
  timeout 20 "$LS_EXEC/whack" --rundir "${LS_DIR[$name]}/run" "$@"
}

ls_initiate() { lsw "$1" --initiate --name "$2"; }

ls_stop() {
  local name=$1 pid=${LS_PID[$1]:-}
  [ -n "$pid" ] || return 0
  stop_pid "$pid" TERM
  unset "LS_PID[$name]"
  return 0
}

ls_stop_all() {
  local name
  for name in "${!LS_PID[@]}"; do ls_stop "$name"; done
}
