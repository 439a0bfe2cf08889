#!/usr/bin/env bash
# Property-based API test: schemathesis (PyPI) generates requests from /openapi.json and sends
# them to a live `athlos serve` (the debug binary, SQLite in a temporary directory, a token
# minted with `athlos token`). It fails on any 5xx, on any response whose status code,
# content type, headers or body the document does not describe, and on a request that breaks
# the document (a negative case) being accepted.
#
# Usage: athlos-http/scripts/schemathesis.sh [max examples per operation, default 50]
#   ATHLOS_SCHEMATHESIS_VENV  the virtualenv to install schemathesis in (default .venv, the
#                             test command's)
#
# Bounds: at most 50 examples per operation and phase (coverage, fuzzing, stateful) over the
# 74 operations: about 5,600 requests, about 4 minutes on a 2-core machine once
# schemathesis is installed — most of it the three endless event streams, each request of
# which is read until the 10 s request timeout. The seed is fixed, so a run is reproducible;
# the server listens on a free port of 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."

examples="${1:-50}"
venv="${ATHLOS_SCHEMATHESIS_VENV:-.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# One exact version: with the fixed seed, the same requests on every machine.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==4.32.5"
venv="$(cd "$venv" && pwd)"
cargo build --quiet --locked --bin athlos
bin="$PWD/target/debug/athlos"

work="$(mktemp -d)"
export ATHLOS_JWT_SECRET="schemathesis-$$-$RANDOM"
"$bin" serve --address 127.0.0.1:0 --database "sqlite://$work/athlos.db" \
    --log-format json >"$work/serve.out" 2>"$work/serve.log" &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
base=""
for _ in $(seq 1 100); do
    base="$(sed -n 's/^athlos listening on //p' "$work/serve.out" 2>/dev/null || true)"
    [ -n "$base" ] && curl -fsS "$base/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
if [ -z "$base" ] || ! curl -fsS "$base/ready" >/dev/null; then
    echo "athlos serve did not start:" >&2
    cat "$work/serve.out" "$work/serve.log" >&2
    exit 1
fi
token="$("$bin" token --sub schemathesis --role admin)"

# Fixtures, so that generated requests also reach real events, divisions, tournaments and
# drafts in every lifecycle state instead of only 404s: the config below hands their ids to the
# path parameters most of the time.
call() {
    local method="$1" path="$2" body="${3:-null}" status
    status="$(curl -sS -o "$work/fixture.json" -w '%{http_code}' -X "$method" \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data "$body" "$base$path")"
    case "$status" in
        2*) ;;
        *) echo "fixture $method $path: $status $(cat "$work/fixture.json")" >&2; exit 1 ;;
    esac
}
players='[{"id":"p1","name":"P1","club":"A"},{"id":"p2","name":"P2","club":"B"},
          {"id":"p3","name":"P3","club":"A"},{"id":"p4","name":"P4","club":"C"},
          {"id":"p5","name":"P5","club":"B"}]'
call POST /v1/events '{"id":"st-open","name":"Schemathesis Open"}'
for division in st-u73 st-u81 st-u90; do
    call POST /v1/events/st-open/divisions \
        "{\"id\":\"$division\",\"name\":\"$division\",\"rules\":{\"format\":\"single_elimination\"},\"seed\":7}"
done
for division in st-u81 st-u90; do
    call POST "/v1/events/st-open/divisions/$division/participants" "$players"
    call POST "/v1/events/st-open/divisions/$division/generate"
done
call POST /v1/events/st-open/divisions/st-u90/lock-bracket
rules='{"options":{"format":"single_elimination"},"min_entries":2,"seed":3}'
for tournament in st-draft st-open st-live; do
    call POST /v1/tournaments "{\"id\":\"$tournament\",\"name\":\"$tournament\",\"rules\":$rules}"
done
for tournament in st-open st-live; do
    call POST "/v1/tournaments/$tournament/publish"
    for n in 1 2 3 4; do
        call POST "/v1/tournaments/$tournament/register" "{\"id\":\"p$n\",\"name\":\"P$n\"}"
    done
done
call POST /v1/tournaments/st-open/teams '{"id":"st-team","name":"ST Team","members":["schemathesis"]}'
call POST /v1/tournaments/st-open/chat '{"text":"Welcome to <b>ST Open</b>"}'
call POST /v1/tournaments/st-live/start
pool='[{"id":"g1","position":"GK","rank":1},{"id":"g2","position":"GK","rank":2},
       {"id":"f1","position":"FW","rank":3},{"id":"f2","position":"FW","rank":4},
       {"id":"f3","position":"FW","rank":5}]'
roster='[{"position":"GK","starters":1,"max":1},{"position":"FW","starters":1}]'
for draft in st-sched st-drafting st-done; do
    teams=2
    [ "$draft" = st-done ] && teams=1
    call POST /v1/drafts "{\"id\":\"$draft\",\"teams\":$teams,\"rounds\":2,\"order\":\"snake\",
        \"seconds_per_pick\":86400,\"roster\":$roster,\"pool\":$pool}"
done
for draft in st-drafting st-done; do
    call POST "/v1/drafts/$draft/start"
    call POST "/v1/drafts/$draft/picks" '{"pick":1,"team":0,"player":"g1"}'
done
call POST /v1/drafts/st-done/picks '{"pick":2,"team":0,"player":"f1"}'

cat >"$work/schemathesis.toml" <<'EOF'
[dictionaries.events]
values = ["st-open"]
[dictionaries.divisions]
values = ["st-u73", "st-u81", "st-u90"]
[dictionaries.tournaments]
values = ["st-draft", "st-open", "st-live"]
[dictionaries.drafts]
values = ["st-sched", "st-drafting", "st-done"]
[dictionaries.teams]
values = ["st-team", "p1"]

[parameters]
"path.event_id" = { dictionary = "events", probability = 0.8 }
"path.division_id" = { dictionary = "divisions", probability = 0.8 }
"path.tournament_id" = { dictionary = "tournaments", probability = 0.8 }
"path.draft_id" = { dictionary = "drafts", probability = 0.8 }
"path.team_id" = { dictionary = "teams", probability = 0.8 }

# A failed precondition is a rejection too: the server evaluates `If-Match` before it reads
# the content (as RFC 9110, 13.2.1 lets it), so a request whose `If-Match` names no current
# version (an empty one names none) is 412 whatever its body holds.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx"]

# A user's notification stream is the one secured (bearer or session cookie) operation with a
# header parameter; for it alone schemathesis sends an unknown header and wants a refusal.
# Unknown header fields are ignored, as HTTP asks of a recipient (RFC 9110, 5.1): browsers
# send many. Unknown query parameters are still refused there (400), as everywhere.
[[operations]]
include-path = "/v1/users/{id}/notifications/stream"
generation.allow-extra-parameters = false
EOF

# Run from the temporary directory so that schemathesis keeps its files out of the work tree.
hooks="$PWD/athlos-http/scripts/schemathesis_hooks.py"
cd "$work"
SCHEMATHESIS_HOOKS="$hooks" "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
    --checks negative_data_rejection,not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --header "Authorization: Bearer $token" \
    --max-examples "$examples" \
    --seed 2026 \
    --workers 2 \
    --request-timeout 10 \
    --no-color
