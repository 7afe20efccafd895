#!/bin/bash
# IKE set-up cost and memory, ikegate vs strongSwan, with one load generator (`ikegate loadgen`).
#
#   sudo bench/ike_bench.sh BUILD/ikegate [BUILD/bench_crypto]
#
# Topology: namespace LG (10.9.0.1, the load generator) -- veth -- namespace RS (10.9.0.2, the
# responder under test). Each run starts a fresh responder, reads its CPU time (user + system,
# all threads, /proc/PID/stat) and resident memory (VmRSS) before and after `ikegate loadgen`
# established N IKE SAs with their first CHILD SA (PSK), and stops it. ikegate and strongSwan
# alternate run by run (A B, then B A) so that machine noise falls on both; medians per cell.
#
# Responders:
#   ikegate    `ikegate run --dataplane none` (IKE only: SPIs allocated, nothing installed)
#   strongSwan Debian's charon with kernel-libipsec (its userspace ESP: SAs are installed in
#              charon's own memory, no kernel state), install_routes = no, logging off,
#              DoS limits raised (block_threshold, cookie_threshold, init_limit_half_open) and
#              the IKE SA hash table sized for the load (ikesa_table_size 32768 instead of 1).
#
# Environment (defaults in brackets):
#   GROUPS_LIST ["31 19 14"]  SUITES ["gcm cbc"]   gcm = AES-GCM-128 (IKE prf SHA-256, ESP
#                                                  AES-GCM-128), cbc = AES-CBC-256 + SHA-256
#   ROUNDS [3]  N_SMALL [1000]  RUN_TIMEOUT [300] seconds per small run
#   N_LARGE [10000] for LARGE_SUITES ["31:gcm 14:cbc"], ROUNDS_LARGE [=ROUNDS] rounds
#   MEM_N ["10000 50000"] (memory: group 31, gcm, one run each; then IDLE_S [5] seconds idle
#   with every SA up, the responder's CPU over that time in idle_cpu_ms, the load
#   generator's in initiator_idle_cpu_ms; its set-up CPU in initiator_cpu_ms_per_sa)
#   LARGE_TIMEOUT [120] seconds for runs above N_SMALL (then the SAs established in that time
#   count: strongSwan slows down past a few thousand SAs)  SW_MAX_N [10000] larger N: ikegate only
#   WINDOW [64] negotiations in flight from the generator
#   SOURCES [8] source addresses of the generator (10.9.0.1, 10.9.0.11, ...), SAs round-robin
#   PERF [0] 1: extra runs under `perf record` (group 14 cbc, 31 gcm), perf-dso.txt per run
#   PLOT [unset] also copy the PNG there (e.g. bench/ike_bench.png)
#   IKEGATE_B [unset] another ikegate binary, run as a third responder ("ikegate_b")
#   SW_SHORT [0] 1: also strongSwan with short MODP exponents ("strongswan_short":
#              charon.dh_exponent_ansi_x9_42 = no, exponents sized to the group's strength as
#              OpenSSL does for the RFC 3526 groups), in the MODP runs (group 14) only
# Results: one line per run in RESULTS/runs.tsv, summary in RESULTS/summary.txt.
set -u
IKEGATE=$(readlink -f "${1:?usage: $0 BUILD/ikegate [BUILD/bench_crypto]}")
BENCH_CRYPTO=${2:-}
GROUPS_LIST=${GROUPS_LIST:-"31 19 14"}
SUITES=${SUITES:-"gcm cbc"}
ROUNDS=${ROUNDS:-3}
ROUNDS_LARGE=${ROUNDS_LARGE:-$ROUNDS}
N_SMALL=${N_SMALL:-1000}
N_LARGE=${N_LARGE-10000}
MEM_N=${MEM_N-"10000 50000"}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
LARGE_TIMEOUT=${LARGE_TIMEOUT:-120}
SW_MAX_N=${SW_MAX_N:-10000}
IDLE_S=${IDLE_S:-5}
LARGE_SUITES=${LARGE_SUITES-"31:gcm 14:cbc"}
WINDOW=${WINDOW:-64}
SOURCES=${SOURCES:-8}
# A second ikegate build as a third responder (before/after a change), same load generator.
IKEGATE_B=${IKEGATE_B:+$(readlink -f "$IKEGATE_B")}
CHARON=${CHARON:-/usr/lib/ipsec/charon}
source "$(dirname "$(readlink -f "$0")")/../tests/interop/lib/strongswan.sh"
SW_CHARON=$CHARON
TAG=$$
NS_LG=ikeb-lg-$TAG
NS_RS=ikeb-rs-$TAG
umask 077
RESULTS=$(mktemp -d /tmp/ike-bench.XXXXXX)
chmod 755 "$RESULTS"
RESP_PID=""
HZ=$(getconf CLK_TCK)

log() { echo "[$(date +%T)] $*" >&2; }

cleanup() {
  [ -n "$RESP_PID" ] && kill "$RESP_PID" 2>/dev/null && sleep 0.5 && kill -9 "$RESP_PID" 2>/dev/null
  ip netns del "$NS_LG" 2>/dev/null
  ip netns del "$NS_RS" 2>/dev/null
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 77; }
[ -x "$CHARON" ] || { echo "strongSwan's charon is missing: run scripts/deps.sh" >&2; exit 77; }

ip netns add "$NS_LG"
ip netns add "$NS_RS"
ip -n "$NS_LG" link set lo up
ip -n "$NS_RS" link set lo up
ip link add lg0 netns "$NS_LG" type veth peer name rs0 netns "$NS_RS"
ip -n "$NS_LG" addr add 10.9.0.1/24 dev lg0
# Load generator source addresses (each an IKE identity of its own): 10.9.0.1, 10.9.0.11, ...
LG_ADDRS="10.9.0.1"
LG_EXTRA=""
for i in $(seq 2 "$SOURCES"); do
  ip -n "$NS_LG" addr add "10.9.0.$((9 + i))/24" dev lg0
  LG_ADDRS+=" 10.9.0.$((9 + i))"
  LG_EXTRA+="${LG_EXTRA:+,}10.9.0.$((9 + i))"
done
ip -n "$NS_RS" addr add 10.9.0.2/24 dev rs0
# kernel-libipsec wants an address of its own inside the local traffic selector.
ip -n "$NS_RS" addr add 10.2.0.1/16 dev lo
ip -n "$NS_LG" link set lg0 up
ip -n "$NS_RS" link set rs0 up

# ---- configurations -----------------------------------------------------------------------
PSK=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

asa_cfg() {  # asa_cfg FILE LOCAL "PEER..." LOCAL_NET PEER_NET GROUP SUITE: one map entry per peer
  local f=$1 me=$2 peers=$3 lnet=$4 pnet=$5 group=$6 suite=$7 ike esp peer seq=0
  if [ "$suite" = gcm ]; then
    ike=$' encryption aes-gcm\n integrity null\n prf sha256'
    esp=$' protocol esp encryption aes-gcm\n protocol esp integrity null'
  else
    ike=$' encryption aes-256\n integrity sha256\n prf sha256'
    esp=$' protocol esp encryption aes-256\n protocol esp integrity sha-256'
  fi
  {
    cat <<EOF
hostname BENCH
interface GigabitEthernet0/0
 nameif outside
 security-level 0
 ip address $me 255.255.255.0
crypto ipsec ikev2 ipsec-proposal P
$esp
access-list L extended permit ip $lnet 255.255.0.0 $pnet 255.255.0.0
crypto ikev2 policy 1
$ike
 group $group
 lifetime seconds 86400
crypto ikev2 enable outside
EOF
    for peer in $peers; do
      seq=$((seq + 1))
      cat <<EOF
crypto map M $seq match address L
crypto map M $seq set peer $peer
crypto map M $seq set ikev2 ipsec-proposal P
tunnel-group $peer type ipsec-l2l
tunnel-group $peer ipsec-attributes
 ikev2 remote-authentication pre-shared-key $PSK
 ikev2 local-authentication pre-shared-key $PSK
 isakmp keepalive disable
EOF
    done
    echo "crypto map M interface outside"
  } >"$f"
}

sw_cfg() {  # sw_cfg DIR GROUP SUITE [ANSI_X9_42(yes|no)]
  local dir=$1 group=$2 suite=$3 x942=${4:-yes} g ike esp
  case $group in 31) g=curve25519 ;; 19) g=ecp256 ;; 14) g=modp2048 ;; esac
  if [ "$suite" = gcm ]; then ike=aes128gcm16-prfsha256-$g; esp=aes128gcm16; else ike=aes256-sha256-$g; esp=aes256-sha256; fi
  mkdir -p "$dir/run"
  cat >"$dir/strongswan.conf" <<EOF
charon {
  load_modular = no
  load = random nonce openssl pem pkcs1 x509 pubkey curve25519 aes sha1 sha2 hmac gcm kdf kernel-libipsec kernel-netlink socket-default vici
  install_routes = no
  dh_exponent_ansi_x9_42 = $x942
  block_threshold = 1000000
  cookie_threshold = 1000000
  init_limit_half_open = 0
  ikesa_table_size = 32768
  ikesa_table_segments = 16
  plugins {
    vici {
      socket = unix://$dir/run/charon.vici
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
  filelog {
    charon {
      path = $dir/charon.log
      default = 0
    }
  }
}
EOF
  cat >"$dir/swanctl.conf" <<EOF
connections {
  lg {
    version = 2
    local_addrs = 10.9.0.2
    remote_addrs = 10.9.0.0/24
    proposals = $ike
    dpd_delay = 0
    local { auth = psk
      id = 10.9.0.2 }
    remote { auth = psk }
    children {
      c { local_ts = 10.2.0.0/16
        remote_ts = 10.1.0.0/16
        esp_proposals = $esp
        mode = tunnel }
    }
  }
}
secrets {
  ike-lg { secret = $PSK }
}
EOF
}

# ---- responders ---------------------------------------------------------------------------
start_responder() {  # start_responder IMPL GROUP SUITE DIR -> RESP_PID
  local impl=$1 group=$2 suite=$3 dir=$4 i
  mkdir -p "$dir"
  if [ "${impl#strongswan}" = "$impl" ]; then
    local bin=$IKEGATE
    [ "$impl" = ikegate_b ] && bin=$IKEGATE_B
    asa_cfg "$dir/resp.cfg" 10.9.0.2 "$LG_ADDRS" 10.2.0.0 10.1.0.0 "$group" "$suite"
    ip netns exec "$NS_RS" "$bin" run --config "$dir/resp.cfg" --dataplane none --socket "$dir/ctl" \
      >"$dir/resp.log" 2>&1 &
    RESP_PID=$!
    for i in $(seq 100); do
      [ -S "$dir/ctl" ] && "$IKEGATE" --socket "$dir/ctl" show crypto ikev2 sa >/dev/null 2>&1 && return 0
      kill -0 "$RESP_PID" 2>/dev/null || break
      sleep 0.1
    done
  else
    sw_cfg "$dir" "$group" "$suite" "$([ "$impl" = strongswan_short ] && echo no || echo yes)"
    if sw_start "$impl" "$NS_RS" "$dir" && sw_load "$impl"; then
      RESP_PID=${SW_PID[$impl]}
      return 0
    fi
    RESP_PID=${SW_PID[$impl]:-}
  fi
  log "responder $impl did not start:"
  tail -n 20 "$dir/resp.log" "$dir/load.out" >&2 2>/dev/null
  return 1
}

stop_responder() {
  [ -n "$RESP_PID" ] || return
  kill "$RESP_PID" 2>/dev/null
  local i
  for i in $(seq 50); do kill -0 "$RESP_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$RESP_PID" 2>/dev/null
  wait "$RESP_PID" 2>/dev/null
  RESP_PID=""
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# run_one IMPL GROUP SUITE N MODE(cpu|mem) ROUND: one line in runs.tsv.
run_one() {
  local impl=$1 group=$2 suite=$3 n=$4 mode=$5 round=$6
  local dir=$RESULTS/$impl-g$group-$suite-n$n-$mode-r$round
  start_responder "$impl" "$group" "$suite" "$dir" || { stop_responder; return 1; }
  asa_cfg "$dir/lg.cfg" 10.9.0.1 10.9.0.2 10.1.0.0 10.2.0.0 "$group" "$suite"
  sleep 0.3
  local c0 r0 c1 r1 out=$dir/loadgen.out lgcpu line limit=$RUN_TIMEOUT idle=NA lgidle=NA
  [ "$n" -gt "$N_SMALL" ] && limit=$LARGE_TIMEOUT
  c0=$(cpu_ticks "$RESP_PID")
  r0=$(rss_kb "$RESP_PID")
  local perf_pid=""
  if [ "$mode" = perf ]; then
    perf record -F 999 -g -p "$RESP_PID" -o "$dir/perf.data" >/dev/null 2>"$dir/perf.err" &
    perf_pid=$!
    sleep 0.5
  fi
  if [ "$mode" != mem ]; then
    TIMEFORMAT='%U %S'
    { time timeout $((limit + 10)) ip netns exec "$NS_LG" "$IKEGATE" loadgen --config "$dir/lg.cfg" ${LG_EXTRA:+--source "$LG_EXTRA"} \
        --count "$n" --window "$WINDOW" --time-limit "$limit" >"$out" 2>"$dir/loadgen.err"; } 2>"$dir/loadgen.time"
    c1=$(cpu_ticks "$RESP_PID")
    r1=$(rss_kb "$RESP_PID")
    lgcpu=$(awk '{print $1 + $2}' "$dir/loadgen.time")
    if [ -n "$perf_pid" ]; then
      kill -INT "$perf_pid"
      wait "$perf_pid"
      perf report -i "$dir/perf.data" --no-children --sort dso -g none 2>/dev/null | grep '%' >"$dir/perf-dso.txt"
      perf report -i "$dir/perf.data" --no-children --sort dso,sym -g none 2>/dev/null | grep '%' | head -40 >"$dir/perf-sym.txt"
      log "perf, $impl: $(head -4 "$dir/perf-dso.txt" | tr -s ' ' | tr '\n' ';')"
    fi
  else
    ip netns exec "$NS_LG" "$IKEGATE" loadgen --config "$dir/lg.cfg" ${LG_EXTRA:+--source "$LG_EXTRA"} --count "$n" \
      --window "$WINDOW" --time-limit "$limit" --hold >"$out" 2>"$dir/loadgen.err" &
    local lg=$! i
    for i in $(seq $((limit * 10 + 20))); do
      grep -q established= "$out" 2>/dev/null && break
      kill -0 "$lg" 2>/dev/null || break
      sleep 0.1
    done
    sleep 1  # the responder's last answers are out; let its allocator settle
    c1=$(cpu_ticks "$RESP_PID")
    r1=$(rss_kb "$RESP_PID")
    # `ip netns exec` execs the load generator: $lg is its PID.
    local l1
    l1=$(cpu_ticks "$lg" 2>/dev/null || echo 0)
    lgcpu=$(awk -v t="$l1" -v hz="$HZ" 'BEGIN { print t / hz }')
    # Idle with every SA up: timers that scanned all SAs would show here (both sides).
    sleep "$IDLE_S"
    idle=$((($(cpu_ticks "$RESP_PID") - c1) * 1000 / HZ))
    lgidle=$((($(cpu_ticks "$lg" 2>/dev/null || echo "$l1") - l1) * 1000 / HZ))
    kill "$lg" 2>/dev/null
    wait "$lg" 2>/dev/null
  fi
  stop_responder
  line=$(grep established= "$out" | tail -1)
  local est elapsed
  est=$(sed -n 's/.*established=\([0-9]*\).*/\1/p' <<<"$line")
  elapsed=$(sed -n 's/.*elapsed=\([0-9.]*\).*/\1/p' <<<"$line")
  [ -n "$est" ] || { est=0; elapsed=NA; }
  awk -v impl="$impl" -v g="$group" -v s="$suite" -v n="$n" -v m="$mode" -v r="$round" -v est="$est" \
    -v el="$elapsed" -v dc="$((c1 - c0))" -v hz="$HZ" -v dr="$((r1 - r0))" -v r1="$r1" -v lg="$lgcpu" -v idle="$idle" -v lgidle="$lgidle" 'BEGIN {
      cps = est > 0 ? dc / hz / est * 1000 : "NA"; sps = (el != "NA" && el > 0) ? est / el : "NA"
      rps = est > 0 ? dr * 1024 / est : "NA"; lps = (lg != "NA" && est > 0) ? lg / est * 1000 : "NA"
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", impl, g, s, n, m, r, est, el, cps, sps, rps, r1, lps, idle, lgidle }' \
    >>"$RESULTS/runs.tsv"
  log "$(tail -1 "$RESULTS/runs.tsv")"
}

printf "impl\tgroup\tsuite\tn\tmode\tround\testablished\telapsed_s\tresp_cpu_ms_per_sa\tsa_per_s\trss_bytes_per_sa\trss_kb_after\tinitiator_cpu_ms_per_sa\tidle_cpu_ms\tinitiator_idle_cpu_ms\n" \
  >"$RESULTS/runs.tsv"
log "results in $RESULTS; ikegate $($IKEGATE --help >/dev/null 2>&1; echo "$IKEGATE"), $("$CHARON" --version 2>&1 | head -1)"
uptime >"$RESULTS/uptime-start.txt"

IMPLS="ikegate strongswan"
[ -n "$IKEGATE_B" ] && IMPLS+=" ikegate_b"
[ "${SW_SHORT:-0}" = 1 ] && IMPLS+=" strongswan_short"
pair() {  # pair ROUND ARGS...: every responder once, the order rotating with the round
  local round=$1 impls i
  shift
  read -ra impls <<<"$IMPLS"
  local n=$3 impl
  for i in "${!impls[@]}"; do
    impl=${impls[$(((i + round - 1) % ${#impls[@]}))]}
    # The before/after binary only in the small runs; strongSwan only up to SW_MAX_N.
    [ "$impl" = ikegate_b ] && [ "$n" != "$N_SMALL" ] && continue
    [ "${impl#strongswan}" != "$impl" ] && [ "$n" -gt "$SW_MAX_N" ] && continue
    # The exponent length only matters for the MODP groups.
    [ "$impl" = strongswan_short ] && [ "$1" != 14 ] && continue
    run_one "$impl" "$@" "$round"
  done
}

for round in $(seq "$ROUNDS"); do
  for group in $GROUPS_LIST; do
    for suite in $SUITES; do
      pair "$round" "$group" "$suite" "$N_SMALL" cpu
    done
  done
done
if [ -n "$N_LARGE" ]; then
  for round in $(seq "$ROUNDS_LARGE"); do
    for gs in $LARGE_SUITES; do
      pair "$round" "${gs%%:*}" "${gs##*:}" "$N_LARGE" cpu
    done
  done
fi
for n in $MEM_N; do
  pair 1 31 gcm "$n" mem
done
# Profiles (extra runs, not in the medians): where each responder's time goes.
if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
  pair 1 14 cbc "$N_SMALL" perf
  pair 1 31 gcm "$N_SMALL" perf
fi
uptime >"$RESULTS/uptime-end.txt"

# The bounds: DH + key schedule per SA from the crypto micro-benchmarks (CPU time).
if [ -n "$BENCH_CRYPTO" ] && [ -x "$BENCH_CRYPTO" ]; then
  "$BENCH_CRYPTO" --benchmark_filter='BM_DhKeygen|BM_IkeSaKeySchedule|BM_SkSeal|BM_SkOpen|BM_AesGcm128Seal1400' \
    --benchmark_min_time=0.3 >"$RESULTS/bench_crypto.txt" 2>&1
fi

# Medians per (impl, group, suite, n, mode).
python3 - "$RESULTS/runs.tsv" "$IDLE_S" >"$RESULTS/summary.txt" <<'EOF'
import csv, statistics, sys
IDLE = sys.argv[2]
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
cells = {}
for r in rows:
    cells.setdefault((r["group"], r["suite"], r["n"], r["mode"], r["impl"]), []).append(r)
def med(rs, k):
    v = [float(r[k]) for r in rs if r[k] not in ("NA", "")]
    return statistics.median(v) if v else float("nan")
print("group suite n mode | ikegate: est cpu_ms/SA SA/s rss_B/SA init_cpu_ms/SA | strongSwan: est cpu_ms/SA SA/s rss_B/SA | ratio cpu rss")
for key in sorted({k[:4] for k in cells}, key=lambda k: (k[3], int(k[2]), k[0], k[1])):
    a, b, c = cells.get(key + ("ikegate",), []), cells.get(key + ("strongswan",), []), cells.get(key + ("ikegate_b",), [])
    d = cells.get(key + ("strongswan_short",), [])
    ea, eb = med(a, "established"), med(b, "established")
    ca, cb = med(a, "resp_cpu_ms_per_sa"), med(b, "resp_cpu_ms_per_sa")
    ma, mb = med(a, "rss_bytes_per_sa"), med(b, "rss_bytes_per_sa")
    print(f"{key[0]} {key[1]} {key[2]} {key[3]} | {ea:.0f} {ca:.3f} {med(a,'sa_per_s'):.0f} {ma:.0f} {med(a,'initiator_cpu_ms_per_sa'):.3f}"
          f" | {eb:.0f} {cb:.3f} {med(b,'sa_per_s'):.0f} {mb:.0f} | {ca/cb if cb else float('nan'):.2f} {ma/mb if mb else float('nan'):.2f}"
          f"  (runs {len(a)}/{len(b)})" + (f" | ikegate_b cpu_ms/SA {med(c,'resp_cpu_ms_per_sa'):.3f} rss_B/SA {med(c,'rss_bytes_per_sa'):.0f}" if c else "")
          + (f" | strongSwan short exponents: est {med(d,'established'):.0f} cpu_ms/SA {med(d,'resp_cpu_ms_per_sa'):.3f}"
             f" SA/s {med(d,'sa_per_s'):.0f} ratio cpu {ca/med(d,'resp_cpu_ms_per_sa'):.2f} (runs {len(d)})" if d else "")
          + (f" | idle {IDLE} s cpu ms: ikegate {med(a,'idle_cpu_ms'):.0f} strongSwan {med(b,'idle_cpu_ms'):.0f}"
             f" load generator {med(a,'initiator_idle_cpu_ms'):.0f}" if key[3] == "mem" else ""))
EOF
cat "$RESULTS/summary.txt"

# The plot: responder CPU per SA (N_SMALL) per group and suite.
python3 - "$RESULTS/runs.tsv" "$N_SMALL" >"$RESULTS/plot.dat" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(impl, g, s):
    v = [float(r["resp_cpu_ms_per_sa"]) for r in rows if r["impl"] == impl and r["group"] == g and r["suite"] == s
         and r["n"] == sys.argv[2] and r["mode"] == "cpu" and r["resp_cpu_ms_per_sa"] != "NA"]
    return statistics.median(v) if v else 0
for g in ("31", "19", "14"):
    for s in ("gcm", "cbc"):
        a, b = med("ikegate", g, s), med("strongswan", g, s)
        if a or b:
            print(f'"g{g} {s}" {a:.4f} {b:.4f}')
EOF
if command -v gnuplot >/dev/null; then
  gnuplot <<EOF
set terminal pngcairo size 900,480 font "DejaVu Sans,10"
set output "$RESULTS/ike_bench.png"
set title "Responder CPU per established IKE SA + CHILD SA (N = $N_SMALL, median of $ROUNDS runs)"
set ylabel "CPU ms per SA (user + system)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set key top left
plot "$RESULTS/plot.dat" using 2:xtic(1) title "ikegate", '' using 3 title "strongSwan 5.9.8 (libipsec)"
EOF
  [ -n "${PLOT:-}" ] && cp "$RESULTS/ike_bench.png" "$PLOT"
else
  log "gnuplot is not installed (apt-get install gnuplot-nox): no plot"
fi
log "done: $RESULTS"
