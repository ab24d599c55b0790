#!/usr/bin/env bash
# `make smoke` (the last step of `make test`): the README's quick-start,
# run against the service binaries themselves. A new database is created
# and migrated by `api-gateway migrate`, the gateway, the worker and the
# scheduler start as `make run` starts them (embedded defaults), a demo
# tenant posts a lead with curl, and the lead must come back scored with
# its email in /dev/outbox within a few seconds. The Rust tests drive the
# same code in-process; this catches what only the binaries do (their
# runtimes, their configuration, their start-up order).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
# shellcheck source=infrastructure/scripts/lib.sh
source infrastructure/scripts/lib.sh
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug
LOGS=$(mktemp -d)

say() { printf '[smoke] %s\n' "$*"; }
# A port nothing listens on, so a running `make run` or bench is no obstacle.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 10000))
    port_open "$p" || { echo "$p"; return; }
  done
}

cargo build -q --bins -p api-gateway -p worker -p scheduler

DB=gos_smoke_$(date +%s)_$$
export DATABASE_URL=${TEST_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}/$DB
export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
export REDIS_KEY_PREFIX=$DB
export APP_ENV=development PAYMENT_MODE=manual RUST_LOG=${RUST_LOG:-warn}

pids=()
cleanup() {
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  redis-cli -u "$REDIS_URL" --scan --pattern "$DB*" 2>/dev/null | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null 2>&1 || true
  rm -rf "$LOGS"
}
trap cleanup EXIT
fail() {
  say "FAILED: $*"
  for f in "$LOGS"/*.log; do echo "--- $f"; tail -n 20 "$f"; done
  exit 1
}

"$BIN/api-gateway" migrate >"$LOGS/migrate.log" 2>&1 || fail "api-gateway migrate"

GW=$(free_port)
PORT=$GW "$BIN/api-gateway" >"$LOGS/api-gateway.log" 2>&1 & pids+=($!)
WK=$(free_port)
PORT=$WK "$BIN/worker" >"$LOGS/worker.log" 2>&1 & pids+=($!)
SC=$(free_port)
PORT=$SC "$BIN/scheduler" >"$LOGS/scheduler.log" 2>&1 & pids+=($!)
for port in "$GW" "$WK" "$SC"; do
  wait_http "http://127.0.0.1:$port/ready" || fail "127.0.0.1:$port/ready does not answer 200"
done

API=http://127.0.0.1:$GW
TOKEN=$(curl -fs -X POST "$API/dev/bootstrap" | sed -E 's/.*"token":"([^"]+)".*/\1/') || fail "POST /dev/bootstrap"
LEAD=$(curl -fs -X POST "$API/api/leads" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' \
  -d '{"name":"Sam Lee","email":"sam@acme-dental.com","source":"referral","metadata":{"jobTitle":"Owner","companySize":12,"intent":"need a quote this week","timeline":"this week"}}') \
  || fail "POST /api/leads"
ID=$(sed -E 's/.*"lead":\{[^}]*"id":"([^"]+)".*/\1/' <<<"$LEAD")

for _ in $(seq 1 100); do
  OUTBOX=$(curl -fs "$API/dev/outbox")
  grep -q "\"leadId\":\"$ID\"" <<<"$OUTBOX" && break
  sleep 0.1
done
grep -q "\"leadId\":\"$ID\"" <<<"$OUTBOX" || fail "no email for lead $ID in /dev/outbox after 10 s: $OUTBOX"
grep -q '"to":"sam@acme-dental.com"' <<<"$OUTBOX" || fail "the email is not addressed to the lead: $OUTBOX"
SHOWN=$(curl -fs "$API/api/leads/$ID" -H "Authorization: Bearer $TOKEN") || fail "GET /api/leads/$ID"
grep -Eq '"score":[0-9]+' <<<"$SHOWN" || fail "the lead has no score: $SHOWN"
grep -q '"firstActionAt":"' <<<"$SHOWN" || fail "the lead has no first action: $SHOWN"
say "ok: lead $ID scored and emailed through the gateway, worker and scheduler binaries"
