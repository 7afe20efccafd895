# Assertions shared by the end-to-end scripts. Source it; set CASE to name the current case.
#
#   check "what" command...    runs the command: "ok   - CASE: what" or "FAIL - CASE: what"
#   contains TEXT PATTERN      grep -q PATTERN in TEXT
#   wait_for SECONDS command...  polls every 0.2 s until the command succeeds (bounded)
#   check_summary              prints the result line; returns 1 if any check failed
#
# FAILED_CASES lists (once each) the cases with a failing check, so a script can print both
# sides' logs for exactly those.

FAILS=0
PASSES=0
CASE=${CASE:-main}
FAILED_CASES=""

check() {
  local what=$1
  shift
  if "$@"; then
    echo "ok   - $CASE: $what"
    PASSES=$((PASSES + 1))
  else
    echo "FAIL - $CASE: $what"
    FAILS=$((FAILS + 1))
    case " $FAILED_CASES " in *" $CASE "*) ;; *) FAILED_CASES+=" $CASE" ;; esac
  fi
}

contains() { grep -q -- "$2" <<<"$1"; }

wait_for() {
  local limit=$1
  shift
  local i
  for i in $(seq $((limit * 5))); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}

check_summary() {
  echo "runtime: ${SECONDS} s"
  if [ "$FAILS" -ne 0 ]; then
    echo "$PASSES passed, $FAILS failed"
    return 1
  fi
  echo "all checks passed ($PASSES)"
  return 0
}

# elapsed_until SECONDS command...: polls every 0.2 s; prints the seconds (one decimal) it took
# until the command succeeded, or nothing if it did not within SECONDS.
elapsed_until() {
  local limit=$1 start=$EPOCHREALTIME
  shift
  local i
  for i in $(seq $((limit * 5))); do
    if "$@"; then
      awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", b - a }'
      return 0
    fi
    sleep 0.2
  done
  return 1
}

# between VALUE LOW HIGH: LOW <= VALUE <= HIGH (decimals allowed); false for an empty VALUE.
between() { [ -n "$1" ] && awk -v v="$1" -v l="$2" -v h="$3" 'BEGIN { exit !(v >= l && v <= h) }'; }

# no_sanitizer_report FILE...: no ASan/LSan/UBSan report in the daemons' logs. Check it after the
# daemons have exited: LeakSanitizer reports at exit.
no_sanitizer_report() {
  ! grep -q -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$@" 2>/dev/null
}
