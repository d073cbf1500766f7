#!/usr/bin/env bash
# sluice diff on known APT fixtures against golden files (tests/data/diff/apt/): everything new when
# nothing is published; then added, removed, upgraded and downgraded in dpkg version order (epochs,
# tildes, 1.10 > 1.9), the candidate version across suites, security changes marked. --json carries the
# same changes as the human output, and --against refuses a snapshot of another source.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
golden=$SL_SOURCE_DIR/tests/data/diff/apt
. "$golden/fixture.sh"

admin_setup "
[source other]
type = apt
url = http://127.0.0.1:1/
suites = stable
components = main
architectures = $APT_ARCH
keyring = @KEYS@/upstream.gpg"

# GOLDEN-NAME ACTUAL-FILE: compare, with the host architecture written as @ARCH@ in the golden file.
check_golden() {
	local want=$golden/$1 got=$2
	if [ -n "${SL_UPDATE_GOLDEN:-}" ]; then
		sed "s/\b$APT_ARCH\b/@ARCH@/g" "$got" >"$want"
		sl_log "updated $want"
		return 0
	fi
	diff -u <(sed "s/@ARCH@/$APT_ARCH/g" "$want") "$got" || sl_fail "$1: output differs from the golden file"
}

# Human and JSON must say the same: every JSON change appears as exactly the line the human output has.
same_changes() {   # HUMAN JSON
	python3 - "$1" "$2" <<'PY'
import json, sys
human = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:-1] if l.strip() != "(no changes)"]
data = json.load(open(sys.argv[2]))
assert len(human) == len(data["changes"]), (human, data["changes"])
for words, c in zip(human, data["changes"]):
    want = [c["change"], c["package"], c["arch"]]
    if c.get("old"): want.append(c["old"])
    if c.get("old") and c.get("new"): want.append("->")
    if c.get("new"): want.append(c["new"])
    want.append("[%s]" % c["suite"])
    if c["security"]: want.append("SECURITY")
    assert words == want, (words, want)
summary = open(sys.argv[1]).read().splitlines()[-1].split()[1:]
got = dict(zip(summary[::2], map(int, summary[1::2])))
assert got == data["summary"], (got, data["summary"])
PY
}

snap1=$(admin_sync)
S diff "$snap1" >"$SL_TMP/d1.txt"
S --json diff "$snap1" >"$SL_TMP/d1.json"
check_golden initial.txt "$SL_TMP/d1.txt"
check_golden initial.json "$SL_TMP/d1.json"
same_changes "$SL_TMP/d1.txt" "$SL_TMP/d1.json"
S approve "$snap1" --reason "initial import" >/dev/null

admin_fixture_repo "$up" v2
snap2=$(admin_sync)
S diff "$snap2" >"$SL_TMP/d2.txt"
S diff "$snap2" --json >"$SL_TMP/d2.json"
check_golden v1-v2.txt "$SL_TMP/d2.txt"
check_golden v1-v2.json "$SL_TMP/d2.json"
same_changes "$SL_TMP/d2.txt" "$SL_TMP/d2.json"

# --against the other way round: the inverse changes.
S diff "$snap1" --against "$snap2" >"$SL_TMP/d3.txt"
S --json diff "$snap1" --against "$snap2" >"$SL_TMP/d3.json"
check_golden v2-v1.txt "$SL_TMP/d3.txt"
same_changes "$SL_TMP/d3.txt" "$SL_TMP/d3.json"

# A snapshot against itself: no changes.
S diff "$snap2" --against "$snap2" | grep -q '(no changes)' || sl_fail "a snapshot differs from itself"

# Errors name the snapshot and say what to do; exit codes 1 (not found, wrong source), 2 (usage).
rc=0; S diff 999 2>"$SL_TMP/e1" || rc=$?
[ $rc = 1 ] && grep -q 'snapshot 999' "$SL_TMP/e1" && grep -q 'sluice snapshots' "$SL_TMP/e1" ||
	sl_fail "diff of an unknown snapshot: exit $rc, $(cat "$SL_TMP/e1")"
rc=0; S diff "$snap2" --against 998 2>"$SL_TMP/e2" || rc=$?
[ $rc = 1 ] && grep -q '998' "$SL_TMP/e2" || sl_fail "diff --against unknown: exit $rc"
rc=0; S diff abc 2>/dev/null || rc=$?
[ $rc = 2 ] || sl_fail "diff abc: exit $rc, want 2"
rc=0; S diff "$snap2" --againts 1 2>/dev/null || rc=$?
[ $rc = 2 ] || sl_fail "diff with a misspelt option: exit $rc, want 2"
echo "admin diff: ok"
