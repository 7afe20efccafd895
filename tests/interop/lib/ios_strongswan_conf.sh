# Configurations for the ios-strongswan-ikev1-ikev2 pair, with the knobs the interop tests turn.
# Source it after strongswan.sh and ios_strongswan_topo.sh.
#
#   sw_conf DIR [key=value...]   writes DIR/swanctl.conf: the seed's "conn ciscoios" in swanctl
#                                syntax; keys (defaults from the seed):
#       ike=aes128-sha1-modp1536  esp=aes128-sha1
#       local_addrs=172.16.10.2  remote_addrs=172.16.10.1
#       local_id=172.16.10.2     remote_id=172.16.10.1
#       local_ts=192.168.2.0/24  remote_ts=192.168.1.0/24
#       ike_rekey=1437m          child_rekey=57m  child_life=60m
#       conn_extra=""            lines added to the connection (dpd_delay, fragmentation, ...)
#       child_extra=""           lines added to the CHILD (rand_time, start_action, ...)
#   ios_conf OUT [SED-EXPRESSION...]   the seed's IOS configuration of R1, edited with sed
#
# The secrets section names both identities, so it follows local_id/remote_id.

IOS_SEED_CFG=${IOS_SEED_CFG:-tests/interop/configs/ios-ikev2.cfg}

sw_conf() {
  local dir=$1
  shift
  local ike=aes128-sha1-modp1536 esp=aes128-sha1
  local local_addrs=172.16.10.2 remote_addrs=172.16.10.1
  local local_id=172.16.10.2 remote_id=172.16.10.1
  local local_ts=192.168.2.0/24 remote_ts=192.168.1.0/24
  local ike_rekey=1437m child_rekey=57m child_life=60m
  local conn_extra="" child_extra=""
  local kv
  for kv in "$@"; do
    case ${kv%%=*} in
      ike | esp | local_addrs | remote_addrs | local_id | remote_id | local_ts | remote_ts | \
        ike_rekey | child_rekey | child_life | conn_extra | child_extra)
        local "$kv" ;;
      *) echo "sw_conf: unknown key in '$kv'" >&2; return 1 ;;
    esac
  done
  mkdir -p "$dir"
  cat >"$dir/swanctl.conf" <<EOF
connections {
  ciscoios {
    version = 2
    local_addrs = $local_addrs
    remote_addrs = $remote_addrs
    proposals = $ike
    rekey_time = $ike_rekey
    keyingtries = 1
    $conn_extra
    local {
      auth = psk
      id = $local_id
    }
    remote {
      auth = psk
      id = $remote_id
    }
    children {
      ciscoios {
        local_ts = $local_ts
        remote_ts = $remote_ts
        esp_proposals = $esp
        rekey_time = $child_rekey
        life_time = $child_life
        mode = tunnel
        $child_extra
      }
    }
  }
}
secrets {
  ike-ciscoios {
    id-1 = $local_id
    id-2 = $remote_id
    secret = cisco
  }
}
EOF
}

ios_conf() {
  local out=$1
  shift
  local args=() e
  for e in "$@"; do args+=(-e "$e"); done
  if [ ${#args[@]} -eq 0 ]; then cp "$IOS_SEED_CFG" "$out"; else sed "${args[@]}" "$IOS_SEED_CFG" >"$out"; fi
}

# Both sides' logs, for a failing case: ikegate's and charon's, last lines of each.
dump_logs() {
  local gwlog=$1 swlog=$2 n=${3:-80}
  echo "--- ikegate log ($gwlog), last $n lines"
  tail -n "$n" "$gwlog" 2>/dev/null
  echo "--- charon log ($swlog), last $n lines"
  tail -n "$n" "$swlog" 2>/dev/null
}
