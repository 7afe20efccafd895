# The start of every end-to-end script: source it first, as
#   source "$(dirname "$0")/lib/prelude.sh" [strongswan]
# IKEGATE becomes the absolute path of the ikegate given as the script's first argument, the
# script skips (exit 77) unless it runs as root (and, with "strongswan", unless strongSwan is
# installed), and the working directory becomes the repository's root.
IKEGATE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$(dirname "${BASH_SOURCE[0]}")/../../.." || exit 1
if [ "${PRELUDE_NEEDS:-}" = strongswan ]; then
  source tests/interop/lib/strongswan.sh
  sw_available || { echo "SKIP: strongSwan is not installed (scripts/deps.sh installs it)"; exit 77; }
  source tests/interop/lib/ios_strongswan_topo.sh
  source tests/interop/lib/ios_strongswan_conf.sh
  echo "peer: $(sw_version)"
fi
source tests/e2e/lib/check.sh
