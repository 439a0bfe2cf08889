#!/usr/bin/env bash
# The web pages benchmark of BENCHMARKS.md ("Web pages"): one release `athlos serve` on a
# temporary SQLite file; the bench_pages example loads a 1,000-player Swiss with three
# rounds decided and a started 1,000-entry knockout, then asks every page one request at a
# time and prints its size and latency p50 / p99 / max.
#
# Usage: athlos-http/scripts/bench_pages.sh [entries, default 1000] [requests a page, default 200]
set -euo pipefail
cd "$(dirname "$0")/../.."

entries="${1:-1000}"
requests="${2:-200}"
cargo build --quiet --release --locked -p athlos-http --bin athlos --example bench_pages
work="$(mktemp -d)"
export ATHLOS_JWT_SECRET="bench-$$-$RANDOM"
export RUST_LOG=warn
"$PWD/target/release/athlos" serve --address 127.0.0.1:0 --database "sqlite://$work/pages.db" \
    >"$work/serve.out" 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
base=""
for _ in $(seq 1 100); do
    base="$(sed -n 's/^athlos listening on //p' "$work/serve.out" 2>/dev/null || true)"
    [ -n "$base" ] && curl -fsS "$base/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
[ -n "$base" ] || { echo "athlos serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) nproc=$(nproc) cpu=$(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1)"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PWD/target/release/examples/bench_pages" --base "$base" --entries "$entries" --requests "$requests"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
