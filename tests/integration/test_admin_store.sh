#!/usr/bin/env bash
# The store's integrity and upkeep: `verify` re-hashes objects (never trusting their names) and exits 3
# naming a flipped byte or a missing object; `gc --dry-run` reports and removes nothing; `gc` removes
# exactly the objects no remaining snapshot references (keep = N dropped the old snapshot) and reports
# the bytes freed; --json says what the human output says.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
admin_setup
objects() { find "$state/store/objects" -type f | sort; }
obj_of() {   # SNAPSHOT PATH-SUFFIX -> store object file
	local sha
	sha=$(S --json show "$1" | python3 -c "
import json, sys
print([e['sha256'] for e in json.load(sys.stdin)['entries'] if e['path'].endswith('$2')][0])")
	echo "$state/store/objects/${sha:0:2}/$sha"
}

snap1=$(admin_sync)
S approve "$snap1" --reason "CHG-20" >/dev/null
admin_fixture_repo "$up" v2
snap2=$(admin_sync)
S approve "$snap2" --reason "CHG-21" >/dev/null

S verify >"$SL_TMP/v.txt" || sl_fail "intact store does not verify"
S --json verify >"$SL_TMP/v.json"
python3 - "$SL_TMP/v.txt" "$SL_TMP/v.json" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[2]))
m = re.match(r"(\d+) snapshot\(s\), (\d+) object\(s\), .* re-hashed: (\d+) missing, (\d+) corrupt", open(sys.argv[1]).read())
assert m, open(sys.argv[1]).read()
assert [int(x) for x in m.groups()] == [d["snapshots"], d["objects"], d["missing"], d["corrupt"]], (m.groups(), d)
assert d["snapshots"] == 1 and d["objects"] > 10 and d["problems"] == []
PY
S verify --all | grep -q '^2 snapshot(s)' || sl_fail "verify --all does not cover the superseded snapshot"

# A flipped byte: found by content, named with its path; exit 3 (human and --json).
victim=$(obj_of "$snap2" foxtrot_1.0-1_all.deb)
cp -p "$victim" "$SL_TMP/victim.bak"
chmod u+w "$victim"
python3 -c "
import sys
with open('$victim', 'r+b') as f:
    f.seek(100); b = f.read(1); f.seek(100); f.write(bytes([b[0] ^ 1]))"
chmod 0444 "$victim"
rc=0; S verify >"$SL_TMP/bad.txt" 2>"$SL_TMP/bad.err" || rc=$?
[ $rc = 3 ] || sl_fail "verify with a flipped byte: exit $rc, want 3"
grep -q "foxtrot_1.0-1_all.deb: .* is CORRUPT" "$SL_TMP/bad.txt" || sl_fail "corrupt object not named: $(cat "$SL_TMP/bad.txt")"
grep -q "1 corrupt" "$SL_TMP/bad.txt" && grep -q 'FAILED' "$SL_TMP/bad.err" || sl_fail "no verdict for corruption"
rc=0; S --json verify >"$SL_TMP/bad.json" 2>/dev/null || rc=$?
[ $rc = 3 ] || sl_fail "verify --json with a flipped byte: exit $rc"
python3 -c "
import json; d = json.load(open('$SL_TMP/bad.json'))
assert d['corrupt'] == 1 and d['missing'] == 0, d
assert d['problems'][0]['problem'] == 'corrupt' and d['problems'][0]['path'].endswith('foxtrot_1.0-1_all.deb'), d"
# The same corruption under a file name that looks right: a renamed intact copy is no cure either.
S verify "$snap1" >/dev/null || sl_fail "snapshot $snap1 does not contain foxtrot, it must verify"
rm -f "$victim"
cp -p "$SL_TMP/victim.bak" "$victim"
S verify >/dev/null || sl_fail "restored object does not verify"

# A missing object.
victim=$(obj_of "$snap1" echo_3.0-1_all.deb)
mv "$victim" "$SL_TMP/victim2.bak"
rc=0; S verify --all >"$SL_TMP/miss.txt" 2>/dev/null || rc=$?
[ $rc = 3 ] || sl_fail "verify --all with a missing object: exit $rc, want 3"
grep -q "snapshot $snap1: .*echo_3.0-1_all.deb: .* is MISSING" "$SL_TMP/miss.txt" || sl_fail "missing object not named"
S verify >/dev/null || sl_fail "the published snapshot does not reference echo; plain verify must pass"
mv "$SL_TMP/victim2.bak" "$victim"
rc=0; S verify 999 2>"$SL_TMP/e" || rc=$?
[ $rc = 1 ] && grep -q 'no snapshot 999' "$SL_TMP/e" || sl_fail "verify 999: exit $rc"
rc=0; S verify --all "$snap1" 2>/dev/null || rc=$?
[ $rc = 2 ] || sl_fail "verify --all SNAPSHOT: exit $rc, want 2"

# ---- gc
# keep = 1: the next publication drops snapshot 1 (superseded twice over) and its unique objects become garbage.
sed -i 's/^keep = 3$/keep = 1/' "$conf"
admin_fixture_repo "$up" v3
snap3=$(admin_sync)
S approve "$snap3" --reason "CHG-22" >/dev/null
S show "$snap1" >/dev/null 2>&1 && sl_fail "keep = 1 did not drop snapshot $snap1"
echo_obj=$victim
objects >"$SL_TMP/before"
S gc --dry-run >"$SL_TMP/dry.txt"
S --json gc --dry-run >"$SL_TMP/dry.json"
objects >"$SL_TMP/after-dry"
cmp -s "$SL_TMP/before" "$SL_TMP/after-dry" || sl_fail "gc --dry-run removed objects"
python3 - "$SL_TMP/dry.txt" "$SL_TMP/dry.json" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[2]))
m = re.match(r"dry run: (\d+) object\(s\) unreferenced, .* would be freed; (\d+) kept", open(sys.argv[1]).read())
assert m and [int(x) for x in m.groups()] == [d["removed"], d["kept"]], (open(sys.argv[1]).read(), d)
assert d["removed"] >= 6 and d["bytes_freed"] + d["bytes_held_by_generations"] > 0, d
PY
want_removed=$(python3 -c "import json; print(json.load(open('$SL_TMP/dry.json'))['removed'])")
S --json gc >"$SL_TMP/gc.json"
python3 -c "
import json; d = json.load(open('$SL_TMP/gc.json')); assert d['removed'] == $want_removed and not d['dry_run'], d"
objects >"$SL_TMP/after"
[ $(($(wc -l <"$SL_TMP/before") - $(wc -l <"$SL_TMP/after"))) = "$want_removed" ] || sl_fail "gc removed a different number"
[ ! -e "$echo_obj" ] || sl_fail "gc kept echo's object, referenced by no remaining snapshot"
S verify --all >/dev/null || sl_fail "gc removed an object a kept snapshot references"
S --json gc | python3 -c "import json,sys; d=json.load(sys.stdin); assert d['removed'] == 0, d"
[ "$(served_code pool/main/f/foxtrot/foxtrot_1.0-1_all.deb)" = 200 ] || sl_fail "published content damaged by gc"
echo "admin store: ok"
