#!/usr/bin/env bash
# Installs the build tools Lab Portal needs, only when missing or at the wrong
# version, all at once in the background (logs in target/first-run/), with a
# progress line a minute. Nothing downloads a prebuilt binary from outside
# crates.io, npm and Debian's packages.
#
#   --for-run       only what scripts/run needs (not the test tools)
#   --with-browser  also Debian's chromium, for the browser tests
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/tools.sh"

mode=test
browser=no
for arg in "$@"; do
  case "$arg" in
    --for-run) mode=run ;;
    --with-browser) browser=yes ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

need_target=0
has_wasm_target || need_target=1
plan_tools "$mode" "$browser"
[ "$need_target" -eq 1 ] || [ "${#NEEDED[@]}" -gt 0 ] || exit 0

trap 'exit 130' INT TERM
trap jobs_stop EXIT
STEPS=$((need_target + ${#NEEDED[@]}))
estimate=$(needed_minutes)
say "Installing $STEPS missing build tools, about $estimate minutes on 2 cores (logs: $LOG_DIR/)."
if [ "$need_target" -eq 1 ]; then
  step "adding Rust's wasm32-unknown-unknown target (under a minute)"
  install_wasm_target
fi
start_needed_tools
jobs_wait "$estimate min"
say "Build tools installed in $(elapsed)."
