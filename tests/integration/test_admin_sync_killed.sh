#!/usr/bin/env bash
# kill -9 of `sluice sync` in the middle of a large download leaves its run 'running' and its snapshot
# 'syncing'. The next `sluice sync` of that source holds the source's lock, so it knows that run is dead:
# it records it as interrupted and fails the snapshot with reason "interrupted" — without waiting for a
# sluice-syncd start — and touches no other source.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/syncd_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup

MiB=1048576
sl_start_upstream '{}'
up=$SL_UPSTREAM_ROOT
syncd_deb big $((8 * MiB))
syncd_deb tiny 3000
syncd_repo "$up/r"
syncd_deb other 2000
syncd_repo "$up/o"
deb=$(syncd_deb_path "$up/r" big)
sha=$(syncd_sha "$up/r/$deb")
state=$SL_TMP/state conf=$SL_TMP/sluice.conf
syncd_conf "$conf" "$state" "bandwidth = 2M"
syncd_source "$conf" r "http://127.0.0.1:$SL_UPSTREAM_PORT/r/" "big tiny"
syncd_source "$conf" o "http://127.0.0.1:$SL_UPSTREAM_PORT/o/" "other"
S() { "$SL_ADMIN" -c "$conf" "$@"; }
part=$state/store/partial/$sha.part
db=$state/catalog.db
q() { python3 -c 'import sqlite3,sys; print("\n".join("|".join(str(c) for c in r) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])))' "$db" "$1"; }

S init >/dev/null
# A leftover of ANOTHER source, as a live sync elsewhere would have: it must stay untouched.
S sync o >/dev/null
python3 - "$db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
sid = db.execute("SELECT id FROM sources WHERE name = 'o'").fetchone()[0]
db.execute("INSERT INTO sync_runs(source_id, started_at) VALUES (?, ?)", (sid, int(time.time())))
db.commit()
PY

"$SL_ADMIN" -c "$conf" sync r >"$SL_TMP/sync1.out" 2>&1 &
pid=$!
for _ in $(seq 600); do
	[ -f "$part" ] && [ "$(stat -c %s "$part")" -ge $((2 * MiB)) ] && break
	sleep 0.05
done
[ -f "$part" ] || sl_fail "the large download never started: $(cat "$SL_TMP/sync1.out")"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
[ "$(q "SELECT r.outcome FROM sync_runs r JOIN sources s ON s.id = r.source_id WHERE s.name = 'r'")" = running ] ||
	sl_fail "precondition: the killed run is not 'running'"
old=$(q "SELECT id FROM snapshots WHERE state = 'syncing'")
[ -n "$old" ] || sl_fail "precondition: the killed sync left no 'syncing' snapshot"

S sync r >"$SL_TMP/sync2.out" 2>&1 || sl_fail "second sync failed: $(cat "$SL_TMP/sync2.out")"
runs=$(q "SELECT r.outcome FROM sync_runs r JOIN sources s ON s.id = r.source_id WHERE s.name = 'r' ORDER BY r.id" | tr '\n' ' ')
[ "$runs" = "interrupted ok " ] || sl_fail "runs of r after the second sync: '$runs' (want: interrupted ok)"
[ "$(q "SELECT state, reason FROM snapshots WHERE id = $old")" = "failed|interrupted" ] ||
	sl_fail "the killed sync's snapshot $old: $(q "SELECT state, reason FROM snapshots WHERE id = $old")"
S sources | grep -A1 '^r ' | grep -q 'ok' || sl_fail "sources does not show the last run ok: $(S sources)"
# The other source's live-looking run was not ours to settle.
[ "$(q "SELECT r.outcome FROM sync_runs r JOIN sources s ON s.id = r.source_id WHERE s.name = 'o' ORDER BY r.id" | tr '\n' ' ')" = "ok running " ] ||
	sl_fail "the other source's run was touched"
[ "$(S --json pending | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] || sl_fail "want 2 pending snapshots (r and o)"
echo "admin sync killed: ok"
