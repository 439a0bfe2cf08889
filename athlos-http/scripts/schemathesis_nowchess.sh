#!/usr/bin/env bash
# Property-based test of the NowChess tournament API: schemathesis (PyPI) generates requests
# from seed 004's OpenAPI document as the server serves it (/api/tournament/openapi.yaml, the
# seed's document byte for byte, not ours) and sends them to a live `athlos serve` (the debug
# binary, on SQLite in a temporary directory, or on a PostgreSQL database of its own). It fails on any 5xx and on any response whose
# status code, content type, headers or body the document does not describe, and on a
# request that breaks the document being accepted. The bot event stream
# (`GET /api/tournament/{id}/stream`) is left out.
#
# Usage: athlos-http/scripts/schemathesis_nowchess.sh [max examples per operation, default 50]
#   ATHLOS_SCHEMATHESIS_VENV  the virtualenv to install schemathesis in (default .venv)
#   ATHLOS_SCHEMATHESIS_POSTGRES  a PostgreSQL URL (e.g. postgres://postgres@127.0.0.1:5432/test):
#                             the server runs on a database created next to it for this run,
#                             dropped at the end; unset, on SQLite
#
# The calls carry a bot's token (`schemathesis`, role `bot`): it may create, join and
# withdraw; of the fixture tournaments it directs one (it may start or terminate it), another
# subject the others. Fixed seed: a run is reproducible.
set -euo pipefail
cd "$(dirname "$0")/../.."

examples="${1:-50}"
venv="${ATHLOS_SCHEMATHESIS_VENV:-.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==4.32.5"
venv="$(cd "$venv" && pwd)"
cargo build --quiet --locked --bin athlos
bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/athlos"
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac

work="$(mktemp -d)"
export ATHLOS_JWT_SECRET="schemathesis-$$-$RANDOM"
database="sqlite://$work/athlos.db"
admin="${ATHLOS_SCHEMATHESIS_POSTGRES:-}"
scratch=""
if [ -n "$admin" ]; then
    scratch="athlos_schemathesis_$$_$RANDOM"
    psql -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE $scratch" >/dev/null
    # The same server and credentials, the scratch database (any query string is kept).
    database="$(printf '%s' "$admin" | sed -E "s#^([a-z]+://[^/]*)/[^?]*#\1/$scratch#")"
fi
echo "schemathesis (NowChess profile) on ${database%%://*}"
"$bin" serve --address 127.0.0.1:0 --database "$database" \
    --log-format json >"$work/serve.out" 2>"$work/serve.log" &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    if [ -n "$scratch" ]; then
        psql -q "$admin" -c "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" >/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
base=""
for _ in $(seq 1 100); do
    # The server may not have opened its output yet: no address then, not an error.
    base="$(sed -n 's/^athlos listening on //p' "$work/serve.out" 2>/dev/null || true)"
    [ -n "$base" ] && curl -fsS "$base/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
if [ -z "$base" ] || ! curl -fsS "$base/ready" >/dev/null; then
    echo "athlos serve did not start:" >&2
    cat "$work/serve.out" "$work/serve.log" >&2
    exit 1
fi
token="$("$bin" token --sub schemathesis --role bot)"
director="$("$bin" token --sub st-director --role director)"

# Fixtures: a tournament in each status (created with two bots, started, finished), so that
# generated requests reach real tournaments and not only 404s.
call() {
    local method="$1" path="$2" auth="$3" type="$4" body="${5:-}" status
    status="$(curl -sS -o "$work/fixture.json" -w '%{http_code}' -X "$method" \
        -H "Authorization: Bearer $auth" -H "Content-Type: $type" \
        --data "$body" "$base$path")"
    case "$status" in
        2*) ;;
        *) echo "fixture $method $path: $status $(cat "$work/fixture.json")" >&2; exit 1 ;;
    esac
}
create() {
    call POST /api/tournament "${auth:-$director}" application/x-www-form-urlencoded \
        "name=ST+$1&nbRounds=$2&clockLimit=300&clockIncrement=3"
    sed -n 's/.*"id":"\([A-Za-z0-9]*\)".*/\1/p' "$work/fixture.json" | head -n 1
}
join_bots() {
    for n in $(seq 1 "$2"); do
        call POST "/api/tournament/$1/join" "$("$bin" token --sub "st-bot$n" --role bot)" \
            application/x-www-form-urlencoded
    done
}
# One the calls' own bot directs, with two bots in: it may start or terminate it.
own="$(auth="$token" create own 2)"
join_bots "$own" 2
created="$(create created 3)"
join_bots "$created" 2
started="$(create started 3)"
join_bots "$started" 3
call POST "/api/tournament/$started/start" "$director" application/x-www-form-urlencoded
finished="$(create finished 1)"
join_bots "$finished" 2
call POST "/api/tournament/$finished/start" "$director" application/x-www-form-urlencoded
game="$(curl -fsS "$base/api/tournament/$finished/round/1" | sed -n 's/.*"gameId":"\([^"]*\)".*/\1/p')"
white="$(curl -fsS "$base/api/tournament/$finished/round/1" | sed -n 's/.*"white":{"id":"\([^"]*\)".*/\1/p')"
call POST "/v1/tournaments/$finished/matches/$game/result" "$director" application/json \
    "{\"type\":\"win\",\"winner\":\"$white\"}"

cat >"$work/schemathesis.toml" <<TOML
[dictionaries.tournaments]
values = ["$own", "$created", "$started", "$finished"]

[parameters]
"path.id" = { dictionary = "tournaments", probability = 0.8 }

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "5xx"]
TOML

hooks="$PWD/athlos-http/scripts/schemathesis_nowchess_hooks.py"
cd "$work"
SCHEMATHESIS_HOOKS="$hooks" "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" \
    run "$base/api/tournament/openapi.yaml" \
    --url "$base" \
    --exclude-path "/api/tournament/{id}/stream" \
    --checks negative_data_rejection,not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --header "Authorization: Bearer $token" \
    --max-examples "$examples" \
    --seed 2026 \
    --workers 2 \
    --request-timeout 10 \
    --no-color
