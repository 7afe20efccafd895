# stop_pid PID [SIGNAL [TENTHS]]: signals a process this shell started (by its PID, never by
# name), waits up to TENTHS tenths of a second (default 100) for it to exit, then SIGKILLs it
# and reaps it.
stop_pid() {
  local pid=$1 sig=${2:-TERM} tenths=${3:-100} i
  [ -n "$pid" ] || return 0
  kill -"$sig" "$pid" 2>/dev/null
  for i in $(seq "$tenths"); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}
