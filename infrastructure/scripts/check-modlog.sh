#!/usr/bin/env bash
# Fails when a past row of system_logs/modification_log.csv was changed or
# removed since BASE (a commit; default HEAD): the file may only grow at its
# end. CI passes the pull request's base or the push's previous commit;
# `make lint` compares the working tree with HEAD.
#   infrastructure/scripts/check-modlog.sh [BASE]
# Runs in the git repository of the current directory.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
LOG=system_logs/modification_log.csv
BASE=${1:-HEAD}

if [[ -z "$BASE" || "$BASE" =~ ^0+$ ]]; then
  echo "[modlog] no base commit (new branch): nothing to compare"; exit 0
fi
if ! git cat-file -e "$BASE^{commit}" 2>/dev/null; then
  echo "[modlog] base $BASE is not in this clone (check out with fetch-depth: 0)" >&2; exit 1
fi
if ! git cat-file -e "$BASE:$LOG" 2>/dev/null; then
  echo "[modlog] $LOG is new since $BASE"; exit 0
fi
if [ ! -f "$LOG" ]; then
  echo "[modlog] $LOG was removed; it is append-only" >&2; exit 1
fi

old=$(mktemp)
trap 'rm -f "$old"' EXIT
git cat-file blob "$BASE:$LOG" >"$old"
old_size=$(wc -c <"$old")
new_size=$(wc -c <"$LOG")
if [ "$new_size" -ge "$old_size" ] && cmp -s -n "$old_size" "$old" "$LOG"; then
  added=$(tail -c +"$((old_size + 1))" "$LOG" | grep -c '' || true)
  echo "[modlog] $LOG: past rows intact since $(git rev-parse --short "$BASE"), $added line(s) appended"
  exit 0
fi
echo "[modlog] $LOG: a past row was changed or removed since $BASE; rows may only be appended." >&2
echo "[modlog] first difference:" >&2
diff <(cat "$old") <(head -c "$old_size" "$LOG") | head -n 20 >&2 || true
exit 1
