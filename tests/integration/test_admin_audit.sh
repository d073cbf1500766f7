#!/usr/bin/env bash
# The audit log: every decision and key change names who, when, why and what; `audit --verify` passes
# on an honest log and fails (exit 3, naming the first bad entry) after an attacker with the sqlite3
# shell drops the append-only triggers and edits, deletes or reorders an entry. history/audit --json
# say what the human output says. Key rotation: both keys sign during the overlap, retire ends it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
command -v sqlite3 >/dev/null || sl_skip "sqlite3 shell not installed"
admin_setup
db=$state/catalog.db

snap1=$(admin_sync)
S approve "$snap1" --reason "CHG-10 initial" >/dev/null
admin_fixture_repo "$up" v2
snap2=$(admin_sync)
S reject "$snap2" --reason "CHG-11 not yet" >/dev/null
S keys rotate >"$SL_TMP/rotate.out"
new_fpr=$(grep -o 'new signing key [0-9A-F]\{40\}' "$SL_TMP/rotate.out" | cut -d' ' -f4)
[ -n "$new_fpr" ] || sl_fail "keys rotate printed no fingerprint"
[ "$(S --json keys show | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
	sl_fail "two keys must sign during the rotation overlap"
old_fpr=$(S --json keys show | python3 -c "import json,sys; print([k for k in json.load(sys.stdin) if k != '$new_fpr'][0])")
S keys retire "$old_fpr" >/dev/null
[ "$(S --json keys show)" = "[
  \"$new_fpr\"
]" ] || sl_fail "retired key still listed"
rc=0; S keys retire "$new_fpr" 2>/dev/null || rc=$?
[ $rc = 1 ] || sl_fail "retiring the last key: exit $rc, want 1"

# Who, when, why, what: every decision and key change is there, in order.
S --json audit >"$SL_TMP/audit.json"
python3 - "$SL_TMP/audit.json" "$snap1" "$snap2" "$old_fpr" "$new_fpr" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
s1, s2, old, new = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
acts = [(e["action"], e["snapshot"]) for e in log]
assert acts == [("key-create", 0), ("approve", s1), ("reject", s2), ("key-rotate", 0), ("key-retire", 0)], acts
assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
for e in log:
    assert e["actor"] and e["at"] > 0 and e["reason"], e
assert log[1]["reason"] == "CHG-10 initial" and len(log[1]["content_digest"]) == 64
assert log[2]["reason"] == "CHG-11 not yet" and len(log[2]["content_digest"]) == 64
assert old in log[0]["reason"] and new in log[3]["reason"] and old in log[4]["reason"]
for a, b in zip(log, log[1:]):
    assert b["prev_hash"] == a["hash"]
PY

# Human and JSON agree: same entries, same order, same actors and reasons.
S audit >"$SL_TMP/audit.txt"
S history fix >"$SL_TMP/history.txt"
S --json history fix >"$SL_TMP/history.json"
python3 - "$SL_TMP/audit.txt" "$SL_TMP/audit.json" "$SL_TMP/history.txt" "$SL_TMP/history.json" <<'PY'
import json, re, sys
def heads(path):
    return [l.split() for l in open(path) if re.match(r"^\d+ ", l)]
def reasons(path):
    return [l.split("reason: ", 1)[1].rstrip("\n") for l in open(path) if l.startswith("      reason: ")]
for txt, js in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    data = json.load(open(js))
    h = heads(txt)
    assert [int(w[0]) for w in h] == [e["seq"] for e in data], (h, data)
    assert [w[3] for w in h] == [e["action"] for e in data]
    assert reasons(txt) == [e["reason"] for e in data]
hist = json.load(open(sys.argv[4]))
assert [e["action"] for e in hist] == ["approve", "reject"], hist
PY

S audit --verify >"$SL_TMP/v.out" || sl_fail "honest audit log does not verify"
grep -q 'intact: 5 entries' "$SL_TMP/v.out" || sl_fail "audit --verify output: $(cat "$SL_TMP/v.out")"
head_hash=$(python3 -c "import json; print(json.load(open('$SL_TMP/audit.json'))[-1]['hash'])")
grep -q "hash $head_hash" "$SL_TMP/v.out" || sl_fail "audit --verify does not print the chain head"

# The triggers refuse an honest-looking UPDATE; an attacker drops them first.
sqlite3 "$db" "UPDATE audit_log SET reason = 'x' WHERE seq = 2" 2>/dev/null && sl_fail "audit_log accepted an UPDATE"
sqlite3 "$db" ".backup $SL_TMP/good.db"
untrigger() {
	sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'" |
		while read -r t; do sqlite3 "$db" "DROP TRIGGER $t"; done
}
restore() { sqlite3 "$db" ".restore $SL_TMP/good.db"; S audit --verify >/dev/null || sl_fail "restore failed"; }
tampered() {   # WHAT FIRST-BAD-SEQ SQL [EXTRA-COMMAND]
	untrigger
	sqlite3 "$db" "$3" >/dev/null
	[ $# -lt 4 ] || "$4"
	local rc=0
	S audit --verify >/dev/null 2>"$SL_TMP/t.err" || rc=$?
	[ $rc = 3 ] || sl_fail "$1: audit --verify exit $rc, want 3"
	grep -q "BROKEN at entry $2" "$SL_TMP/t.err" || sl_fail "$1: $(cat "$SL_TMP/t.err")"
	rc=0
	S --json audit --verify >"$SL_TMP/t.json" 2>/dev/null || rc=$?
	[ $rc = 3 ] || sl_fail "$1: --json exit $rc"
	python3 -c "import json; d = json.load(open('$SL_TMP/t.json')); assert d['intact'] is False and d['first_bad_seq'] == $2, d"
	echo "detected: $1"
	restore
}
tampered "reason edited" 2 "UPDATE audit_log SET reason = 'CHG-10 approved by the CISO' WHERE seq = 2"
tampered "actor edited" 3 "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"
tampered "entry deleted (the gap shows at the next one)" 4 "DELETE FROM audit_log WHERE seq = 3"
tampered "entries reordered" 2 "CREATE TEMP TABLE t AS SELECT * FROM audit_log WHERE seq IN (2, 3);
	DELETE FROM audit_log WHERE seq IN (2, 3);
	INSERT INTO audit_log SELECT 5 - seq, at, actor, action, source, snapshot_id, content_digest, reason,
	prev_hash, hash FROM t"
# A careful attacker recomputes the edited entry's hash (the formula is public, schemas/README.md):
# the next entry's link to it breaks.
rehash() {
	python3 - "$db" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
def enc(v):
    if v is None: return b"-,"
    b = str(v).encode()
    return b"%d:%s," % (len(b), b)
row = db.execute("SELECT seq, at, actor, action, source, snapshot_id, content_digest, reason, prev_hash"
                 " FROM audit_log WHERE seq = 2").fetchone()
fields = list(row[:8])
fields[7] = "CHG-10 approved by the CISO"
h = hashlib.sha256(enc(row[8]) + b"".join(enc(f) for f in fields)).hexdigest()
db.execute("UPDATE audit_log SET reason = ?, hash = ? WHERE seq = 2", (fields[7], h))
db.commit()
PY
}
tampered "edited entry re-hashed" 3 "SELECT 1" rehash
echo "admin audit: ok"
