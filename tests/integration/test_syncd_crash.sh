#!/usr/bin/env bash
# kill -9 in the middle of a large download, twice: first the daemon alone (its sync child must notice,
# stop cleanly and record the run as interrupted), then the daemon and its child together (power-cut
# style: the next daemon start records the run as interrupted). After each kill the catalogue passes
# SQLite's integrity check, every store object hashes to its name, nothing is pending; each restart
# resumes the partial download with an HTTP Range request; the final snapshot verifies.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/syncd_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup

MiB=1048576
sl_start_upstream '{}'
up=$SL_UPSTREAM_ROOT
syncd_deb huge $((20 * MiB))
syncd_deb tiny 3000
syncd_repo "$up/r"
deb=$(syncd_deb_path "$up/r" huge)
sha=$(syncd_sha "$up/r/$deb")
state=$SL_TMP/state conf=$SL_TMP/sluice.conf
syncd_conf "$conf" "$state" "bandwidth = 2M"
syncd_source "$conf" r "http://127.0.0.1:$SL_UPSTREAM_PORT/r/" "huge tiny" "every = 1h"
S() { "$SL_ADMIN" -c "$conf" "$@"; }
part=$state/store/partial/$sha.part

# wait_partial BYTES: until the resumable partial holds at least BYTES
wait_partial() {
	local i
	for i in $(seq 600); do
		[ -f "$part" ] && [ "$(stat -c %s "$part")" -ge "$1" ] && return 0
		sleep 0.05
	done
	sl_fail "the partial download never reached $1 bytes"
}

gone() {   # PID...: wait until every one has exited
	local p i
	for p in "$@"; do
		for i in $(seq 200); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$p" 2>/dev/null && sl_fail "process $p still alive"
	done
	return 0
}

consistent() {   # WHAT
	python3 - "$state" "$1" <<'EOF'
import hashlib, os, sqlite3, sys
state, what = sys.argv[1], sys.argv[2]
db = sqlite3.connect(os.path.join(state, "catalog.db"))
ok = db.execute("PRAGMA integrity_check").fetchone()[0]
assert ok == "ok", f"{what}: catalogue integrity: {ok}"
fk = db.execute("PRAGMA foreign_key_check").fetchall()
assert not fk, f"{what}: foreign keys: {fk}"
n = 0
for d, _, files in os.walk(os.path.join(state, "store", "objects")):
    for f in files:
        h = hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
        assert h == f, f"{what}: store object {f} holds {h}"
        n += 1
bad = db.execute("SELECT id, state FROM snapshots WHERE state IN ('verified', 'pending', 'published')").fetchall()
assert not bad, f"{what}: a snapshot counts as verified: {bad}"
print(f"{what}: catalogue ok, {n} store object(s) ok, nothing verified")
EOF
}

outcomes() {
	python3 -c 'import sqlite3,sys; print(" ".join(r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT outcome FROM sync_runs ORDER BY id")))' \
		"$state/catalog.db"
}

# ---- 1: kill -9 of the daemon alone, mid-transfer.
syncd_start "$SL_TMP/d1.log" -c "$conf"
wait_partial $((3 * MiB))
child=$(syncd_children "$SYNCD_PID")
[ -n "$child" ] || sl_fail "no sync child"
kill -KILL "$SYNCD_PID"
gone "$SYNCD_PID" $child
consistent "after kill -9 of the daemon"
[ "$(outcomes)" = interrupted ] || sl_fail "the orphaned child did not record its run as interrupted: $(outcomes)"
size1=$(stat -c %s "$part")

# ---- 2: restart; kill -9 of daemon and child at once, mid-transfer.
syncd_start "$SL_TMP/d2.log" -c "$conf"
wait_partial $((size1 + 3 * MiB))
child=$(syncd_children "$SYNCD_PID")
[ -n "$child" ] || sl_fail "no sync child"
kill -KILL "$SYNCD_PID" $child
gone "$SYNCD_PID" $child
consistent "after kill -9 of daemon and child"
[ "$(outcomes)" = "interrupted running" ] || sl_fail "unexpected runs after the second kill: $(outcomes)"
size2=$(stat -c %s "$part")

# ---- 3: restart: the dead run is recorded as interrupted, the download resumes and completes.
syncd_start "$SL_TMP/d3.log" -c "$conf"
for _ in $(seq 600); do
	[ "$(S --json pending 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] && break
	sleep 0.1
done
[ "$(S --json pending | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
	{ cat "$SL_TMP/d3.log"; sl_fail "no pending snapshot after the restart"; }
grep -q "interrupted (crash or kill)" "$SL_TMP/d3.log" || sl_fail "the restart did not report the interrupted run"
[ "$(outcomes)" = "interrupted interrupted ok" ] || sl_fail "unexpected runs: $(outcomes)"
python3 - "$SL_UPSTREAM_LOG" "/r/$deb" "$size1" "$size2" <<'EOF'
import json, sys
log, path, s1, s2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ranges = [json.loads(l)["range"] for l in open(log) if json.loads(l)["path"] == path]
print("requests for the large file:", ranges)
assert len(ranges) == 3 and ranges[0] is None, ranges
starts = [int(r.split("=")[1].rstrip("-")) for r in ranges[1:]]
# Each restart continued from the partial (the writer may keep less than was written: never more).
assert 0 < starts[0] <= s1 and s1 - starts[0] < 1048576, (starts, s1)
assert starts[0] < starts[1] <= s2 and s2 - starts[1] < 1048576, (starts, s2)
EOF
[ ! -e "$part" ] || sl_fail "the partial was not consumed"
[ "$(syncd_sha "$state/store/objects/${sha:0:2}/$sha")" = "$sha" ] || sl_fail "the resumed object is corrupt"
S verify --all
kill -TERM "$SYNCD_PID"
wait "$SYNCD_PID"
echo "syncd crash: ok"
