#!/usr/bin/env bash
# Makes PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) reachable for
# `make run`, `make test` and `make bench`:
#   1. already reachable        -> nothing to do
#   2. a working Docker engine  -> docker compose (infrastructure/docker-compose.yml)
#   3. otherwise                -> the local server binaries (installed from
#      Debian's packages when missing), data under .data/ in the project.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DATA=$ROOT/.data
PG_PORT=${DEPS_PG_PORT:-5432}
REDIS_PORT=${DEPS_REDIS_PORT:-6379}

say() { printf '[deps] %s\n' "$*"; }

# shellcheck source=infrastructure/scripts/lib.sh
source infrastructure/scripts/lib.sh

docker_works() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

wait_port() {
  for _ in $(seq 1 100); do port_open "$1" && return 0; sleep 0.1; done
  say "nothing is listening on port $1 after 10 s"; return 1
}

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    say "cannot install $*: no apt-get. Install PostgreSQL 15+ and Redis 7+ yourself."; exit 1
  fi
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing $* from Debian's packages"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

start_local_postgres() {
  [ -n "$(pg_bin)" ] || apt_install postgresql postgresql-contrib
  local bin; bin=$(pg_bin)
  local dir=$DATA/postgres
  # PostgreSQL refuses to run as root: run it as the postgres user then.
  local as=()
  if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); fi
  mkdir -p "$dir" "$DATA/run"
  [ "$(id -u)" -ne 0 ] || chown -R postgres:postgres "$dir" "$DATA/run"
  if [ ! -s "$dir/PG_VERSION" ]; then
    say "initialising a PostgreSQL cluster in .data/postgres"
    "${as[@]}" "$bin/initdb" -D "$dir" -U postgres --auth=trust >/dev/null
  fi
  say "starting PostgreSQL from .data/postgres"
  "${as[@]}" "$bin/pg_ctl" -D "$dir" -l "$DATA/run/postgres.log" -w \
    -o "-p $PG_PORT -k $DATA/run -c listen_addresses=127.0.0.1" start >/dev/null
}

start_local_redis() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  mkdir -p "$DATA/redis"
  say "starting Redis on 127.0.0.1:$REDIS_PORT (nothing persisted)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$DATA/redis" --logfile "$DATA/redis.log"
}

up() {
  local need_pg=1 need_redis=1
  port_open $PG_PORT && need_pg=0
  port_open $REDIS_PORT && need_redis=0
  if [ $need_pg -eq 0 ] && [ $need_redis -eq 0 ]; then say "PostgreSQL and Redis are reachable"; return; fi
  if docker_works; then
    local services=()
    [ $need_pg -eq 1 ] && services+=(postgres)
    [ $need_redis -eq 1 ] && services+=(redis)
    say "starting ${services[*]} with Docker Compose"
    docker compose -f infrastructure/docker-compose.yml up -d --wait "${services[@]}"
  else
    [ $need_pg -eq 1 ] && start_local_postgres
    [ $need_redis -eq 1 ] && start_local_redis
  fi
  wait_port $PG_PORT
  wait_port $REDIS_PORT
  say "PostgreSQL and Redis are up"
}

down() {
  local bin; bin=$(pg_bin || true)
  if [ -s "$DATA/postgres/postmaster.pid" ] && [ -n "$bin" ]; then
    local as=(); [ "$(id -u)" -ne 0 ] || as=(runuser -u postgres --)
    "${as[@]}" "$bin/pg_ctl" -D "$DATA/postgres" -m fast stop >/dev/null && say "stopped the local PostgreSQL"
  fi
  if docker_works; then docker compose -f infrastructure/docker-compose.yml down; fi
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 [up|down]"; exit 2 ;;
esac
