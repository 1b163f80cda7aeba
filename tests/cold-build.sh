#!/usr/bin/env bash
# Cold `cargo build` (dev profile) of each library crate, its TLS variants and the workspace, each in an empty target
# directory of its own, crates already downloaded (`cargo fetch`). Prints a Markdown table: wall time, crates
# compiled, and whether an HTTP stack (hyper), an async runtime (tokio) or a C crypto library (aws-lc-sys, ring) was
# among them. Run from the repository root: `bash tests/cold-build.sh` (about 15 minutes on 2 cores; set
# COLD_BUILD_DIR to keep the target directories elsewhere than /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${COLD_BUILD_DIR:-/tmp/mcpfleet-cold-build}
cargo fetch --locked >/dev/null

measure() { # measure LABEL CARGO-ARGS...
  local label=$1; shift
  local target="$dir/$(echo "$label" | tr -c 'a-zA-Z0-9' '_')"
  rm -rf "$target"
  local log; log=$(mktemp)
  local t0; t0=$(date +%s.%N)
  CARGO_TARGET_DIR="$target" cargo build --locked "$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
  local took; took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  local crates; crates=$(grep -c '^ *Compiling ' "$log" || true)
  local has=()
  for c in hyper tokio aws-lc-sys ring; do
    grep -q "^ *Compiling $c v" "$log" && has+=("$c")
  done
  printf '| `cargo build %s` | %s s | %s | %s |\n' "$*" "$took" "$crates" "${has[*]:-—}"
  rm -rf "$target" "$log"
}

echo "| build | wall | crates compiled | of which HTTP/async/C crypto |"
echo "|---|---|---|---|"
measure scope-audit -p mcpfleet-scope-audit
measure dockerfile-gen -p mcpfleet-dockerfile-gen
measure dockerfile-gen-k8s -p mcpfleet-dockerfile-gen --features kubernetes
measure gateway-client-aws-lc -p mcpfleet-gateway-client
measure gateway-client-ring -p mcpfleet-gateway-client --no-default-features --features tls-ring
measure registry -p mcpfleet-registry
measure registry-full -p mcpfleet-registry --features contextforge,preflight,container
measure workspace --workspace
