#!/usr/bin/env bash
# The HTTP server benchmark of BENCHMARKS.md ("HTTP server (`athlos serve`)"): one release
# `athlos serve` process on SQLite (a temporary file) or PostgreSQL (a fresh database, dropped
# afterwards). For each of RUNS fresh databases, the bench_serve example loads an event of 50
# divisions x 64 judoka and a started 64-entry knockout, and times generate-all-brackets until
# the last bracket is ready; after the last run, wrk loads a division's bracket and the
# knockout's standings, the bracket again revalidated with its ETag (304 answers), and — the
# yardstick — a bare axum server (the bare_bytes example) answering the bracket's bytes, in
# the same run. Prints each result with the load average before and after.
#
# Usage: athlos-http/scripts/bench_serve.sh sqlite|postgres [wrk seconds, default 20] [runs, default 3]
#   ATHLOS_BENCH_DATABASE_URL  the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test)
#   ATHLOS_BENCH_CONNECTIONS   wrk connections (default 32); wrk runs one thread
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/../.."

backend="${1:?usage: bench_serve.sh sqlite|postgres [seconds] [runs]}"
seconds="${2:-20}"
runs="${3:-3}"
connections="${ATHLOS_BENCH_CONNECTIONS:-32}"
admin="${ATHLOS_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }

cargo build --quiet --release --locked -p athlos-http --bin athlos --example bench_serve --example bare_bytes
bin="$PWD/target/release/athlos"
example="$PWD/target/release/examples/bench_serve"
bare_bin="$PWD/target/release/examples/bare_bytes"
bare=""
work="$(mktemp -d)"
export ATHLOS_JWT_SECRET="bench-$$-$RANDOM"
export RUST_LOG=warn
server=""
database=""

stop_server() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=""
    fi
    if [ -n "$database" ]; then
        psql "$admin" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null
        database=""
    fi
}
cleanup() {
    stop_server
    if [ -n "$bare" ]; then kill "$bare" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

start_server() {
    local run="$1" url
    case "$backend" in
        sqlite) url="sqlite://$work/bench-$run.db" ;;
        postgres)
            database="athlos_bench_$$_$run"
            psql "$admin" -qc "CREATE DATABASE $database" >/dev/null
            url="${admin%/*}/$database"
            ;;
        *) echo "unknown backend $backend (sqlite or postgres)" >&2; exit 2 ;;
    esac
    "$bin" serve --address 127.0.0.1:0 --database "$url" --workers 2 \
        >"$work/serve.out" 2>"$work/serve.log" &
    server=$!
    base=""
    for _ in $(seq 1 100); do
        base="$(sed -n 's/^athlos listening on //p' "$work/serve.out" 2>/dev/null || true)"
        [ -n "$base" ] && curl -fsS "$base/ready" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "athlos serve did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) backend=$backend nproc=$(nproc) cpu=$(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1)"
for run in $(seq 1 "$runs"); do
    start_server "$run"
    echo "# load before run $run: $(cut -d' ' -f1-3 /proc/loadavg)"
    "$example" --base "$base" --divisions 50 --entries 64 | tee "$work/result.json"
    echo "# load after run $run: $(cut -d' ' -f1-3 /proc/loadavg)"
    if [ "$run" -lt "$runs" ]; then
        stop_server
    fi
done

load() {
    local label="$1"
    shift
    echo "# $label: wrk -t1 -c$connections -d${seconds}s $*; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    wrk -t1 -c"$connections" -d"${seconds}s" --latency "$@"
    echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

bracket=/v1/events/bench/divisions/d01/bracket
curl -fsS -D "$work/bracket.head" -o "$work/bracket.json" "$base$bracket"
tag="$(sed -n 's/^etag: *//Ip' "$work/bracket.head" | tr -d '\r')"
echo "# $bracket: $(wc -c <"$work/bracket.json") bytes, ETag $tag"
load "athlos bracket" "$base$bracket"
load "athlos standings ($(curl -fsS "$base/v1/tournaments/bench-cup/standings" | wc -c) bytes)" \
    "$base/v1/tournaments/bench-cup/standings"
load "athlos bracket, If-None-Match (304)" -H "If-None-Match: $tag" "$base$bracket"
"$bare_bin" "$work/bracket.json" >"$work/bare.out" &
bare=$!
bare_base=""
for _ in $(seq 1 50); do
    bare_base="$(sed -n 's/^bare listening on //p' "$work/bare.out" 2>/dev/null || true)"
    [ -n "$bare_base" ] && break
    sleep 0.1
done
load "bare axum, the bracket's bytes" "$bare_base$bracket"
curl -fsS "$base/metrics" | grep '^athlos_read_cache' || true
