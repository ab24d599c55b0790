#!/usr/bin/env bash
# `make run`: dependencies up, migrations applied, gateway + worker +
# scheduler and the three product web apps started with the embedded
# defaults (heuristic agents, outbox mailer, internal calendar, manual
# activation), then a quick-start to copy and paste.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
# shellcheck source=infrastructure/scripts/lib.sh
source infrastructure/scripts/lib.sh
LOGS=$ROOT/.data/logs
PROFILE=${PROFILE:-debug}

bash infrastructure/scripts/deps.sh up
if [ "$PROFILE" = release ]; then cargo build --release --bins -q; else cargo build --bins -q; fi
# Where cargo put the binaries: CARGO_TARGET_DIR when set.
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE
mkdir -p "$LOGS"

export APP_ENV=${APP_ENV:-development}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/growthos}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export PAYMENT_MODE=${PAYMENT_MODE:-manual}
export RUST_LOG=${RUST_LOG:-info}

"$BIN/api-gateway" migrate

pids=()
stop() {
  echo; echo "[run] stopping services"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop EXIT INT TERM

PORT=8080 "$BIN/api-gateway" >"$LOGS/api-gateway.log" 2>&1 & pids+=($!)
PORT=8081 "$BIN/worker" >"$LOGS/worker.log" 2>&1 & pids+=($!)
PORT=8082 "$BIN/scheduler" >"$LOGS/scheduler.log" 2>&1 & pids+=($!)
PORT=3001 "$BIN/saas-booker" >"$LOGS/saas-booker.log" 2>&1 & pids+=($!)
PORT=3002 "$BIN/saas-leadqualifier" >"$LOGS/saas-leadqualifier.log" 2>&1 & pids+=($!)
PORT=3003 "$BIN/saas-followup" >"$LOGS/saas-followup.log" 2>&1 & pids+=($!)

# Services answer /ready (dependencies checked); the apps /health.
for probe in 8080/ready 8081/ready 8082/ready 3001/health 3002/health 3003/health; do
  wait_http "http://127.0.0.1:$probe" || { echo "[run] http://127.0.0.1:$probe does not answer; see $LOGS"; exit 1; }
done

cat <<'QUICKSTART'

GrowthOS is running: api-gateway :8080, worker :8081, scheduler :8082 (logs in .data/logs/).
The product apps, in a browser (sign up, add a lead, watch the AI work):
  AI Booker          http://localhost:3001
  AI Lead Qualifier  http://localhost:3002
  AI FollowUp        http://localhost:3003

Or with curl, in another terminal:

  # 1. an active demo tenant (AI Booker) and its token
  TOKEN=$(curl -s -X POST localhost:8080/dev/bootstrap | sed -E 's/.*"token":"([^"]+)".*/\1/')

  # 2. a lead arrives
  curl -s -X POST localhost:8080/api/leads -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    -d '{"name":"Sam Lee","email":"sam@acme-dental.com","source":"referral","metadata":{"jobTitle":"Owner","companySize":12,"intent":"need a quote this week","timeline":"this week"}}'

  # 3. within a second: the lead is scored and its meeting invite is in the outbox
  curl -s localhost:8080/api/leads -H "Authorization: Bearer $TOKEN"
  curl -s localhost:8080/dev/outbox

Other products: POST /dev/bootstrap with {"product":"saas-leadqualifier"} or {"product":"saas-followup"}.
Press Ctrl-C to stop.
QUICKSTART
wait -n "${pids[@]}"
