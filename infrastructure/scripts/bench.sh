#!/usr/bin/env bash
# `make bench`: release binaries, then the hot-path benchmark driver
# (services/api-gateway/benches/hot_path.rs). Tunables: BENCH_LEADS,
# BENCH_CONCURRENCY, BENCH_PACED_RATE, BENCH_PACED_SECONDS,
# BENCH_OVERLOAD_LEADS, BENCH_OVERLOAD_CONCURRENCY, BENCH_PRODUCT,
# BENCH_SETTLE_SECONDS (pause before the paced phase, default 70),
# BENCH_POOL_SIZE, BENCH_DB_STATS=1 (busiest indexes), BENCH_TENANT_RATE_LIMIT
# (the gateway's RATE_LIMIT_TENANT_PER_MIN, default 100000000 so the one
# benchmark tenant is never throttled), BENCH_IMPATIENT_CLIENTS=1 (a client
# refused with 503 sends its next lead at once instead of waiting the
# Retry-After the API asks for).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --bins -q
BENCH_BIN_DIR="${CARGO_TARGET_DIR:-$PWD/target}/release" cargo bench -q -p api-gateway --bench hot_path
