# Sourced first thing, without arguments, by the test scripts that start servers (the caller
# sets `needs`, the programs it cannot run without, e.g. `needs=(Orthanc)`).
#
# The calling script runs again inside a private network namespace with only loopback
# (`unshare -rn`), so nothing it starts listens beyond loopback and fixed ports cannot collide;
# it exits 77 ("skipped") when a program of `needs` or the namespace is missing. It then has
#   work   a fresh folder, removed on exit;
#   pids   the processes it starts (append with `pids+=($!)`), stopped on exit;
#   fail   `fail MESSAGE`: prints the message and the end of every log in $work, exits 1.

if [ -z "${DICOMLAKE_IN_NETNS:-}" ]; then
  for program in "${needs[@]}"; do
    command -v "$program" >/dev/null || { echo "$program is not installed"; exit 77; }
  done
  unshare -rn true 2>/dev/null || { echo "no private network namespace (unshare -rn)"; exit 77; }
  exec unshare -rn env DICOMLAKE_IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do echo "--- $f"; tail -30 "$f"; done; exit 1; }
