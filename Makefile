# GrowthOS — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help run test smoke e2e deps migrate lint bench clean-deps

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## start PostgreSQL/Redis if needed, migrate, run gateway + worker + scheduler
	@bash infrastructure/scripts/run.sh

test: deps ## formatting, clippy -D warnings, every test (real PostgreSQL and Redis), then the smoke run
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace
	@bash infrastructure/scripts/smoke.sh

smoke: deps ## the quick-start against the service binaries: a lead in, scored and emailed
	@bash infrastructure/scripts/smoke.sh

e2e: deps ## the product apps in headless Chromium: journeys, screenshots, axe-core
	@bash infrastructure/scripts/e2e-deps.sh
	cargo clippy -p web-ui --features e2e --all-targets -- -D warnings
	cargo test -p web-ui --features e2e --test browser -- --test-threads=1

deps: ## make PostgreSQL and Redis reachable on 127.0.0.1
	@bash infrastructure/scripts/deps.sh up

migrate: deps ## apply pending migrations to DATABASE_URL
	cargo run -q -p api-gateway -- migrate

bench: deps ## throughput, latency, memory and CPU of the hot path (release build)
	@bash infrastructure/scripts/bench.sh

lint: ## validate the infrastructure files
	@bash infrastructure/scripts/lint.sh

clean-deps: ## stop the PostgreSQL/Redis that `make run` started itself
	@bash infrastructure/scripts/deps.sh down
