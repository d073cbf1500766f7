#!/usr/bin/env bash
# The command line itself: every command has --help (and `sluice help CMD`) and a section in sluice(1);
# unknown commands and options, surplus arguments and options without their value exit 2 and do nothing
# (a mistyped `gc --dryrun` must not collect); --json of the listing commands parses and says what the
# human output says.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
man=$SL_SOURCE_DIR/contrib/man/sluice.1

"$SL_ADMIN" --help >"$SL_TMP/help.txt"
cmds=$(sed -n '/^commands:/,/^$/p' "$SL_TMP/help.txt" | awk 'NF && !/^commands:/ {print $1}')
[ "$(echo "$cmds" | wc -l)" -ge 15 ] || sl_fail "sluice --help lists too few commands: $cmds"
for c in $cmds; do
	"$SL_ADMIN" "$c" --help >"$SL_TMP/h" || sl_fail "$c --help failed"
	grep -q "^usage: sluice .*$c" "$SL_TMP/h" && grep -q 'exit status' "$SL_TMP/h" || sl_fail "$c --help: $(cat "$SL_TMP/h")"
	"$SL_ADMIN" help "$c" | cmp -s - "$SL_TMP/h" || sl_fail "sluice help $c differs from $c --help"
	grep -q "^\.SS \"\?${c//-/\\\\-}\b" "$man" || sl_fail "sluice(1) has no section for $c"
done
if command -v groff >/dev/null; then
	groff -man -ww -z "$man" 2>"$SL_TMP/groff.err"
	[ ! -s "$SL_TMP/groff.err" ] || sl_fail "sluice(1) has troff warnings: $(cat "$SL_TMP/groff.err")"
fi
rc=0; "$SL_ADMIN" frobnicate 2>/dev/null || rc=$?
[ $rc = 2 ] || sl_fail "unknown command: exit $rc, want 2"

admin_setup
snap1=$(admin_sync)
S approve "$snap1" --reason "CHG-30" >/dev/null
admin_fixture_repo "$up" v2
snap2=$(admin_sync)

# Usage errors: exit 2, a message naming the argument, nothing done.
objs=$(find "$state/store/objects" -type f | wc -l)
usage() {   # EXPECTED-MESSAGE ARGS...
	local re=$1 rc=0
	shift
	S "$@" >/dev/null 2>"$SL_TMP/u.err" || rc=$?
	[ $rc = 2 ] || sl_fail "sluice $*: exit $rc, want 2"
	grep -q -- "$re" "$SL_TMP/u.err" || sl_fail "sluice $*: message '$(cat "$SL_TMP/u.err")' lacks '$re'"
}
usage "unknown option '--dryrun'" gc --dryrun
usage "unknown option '--resaon'" approve "$snap2" --resaon x
usage "too many arguments" approve "$snap2" "$snap1" --reason x
usage "needs a value" rollback fix --to
usage "takes no value" verify --all=yes
usage "not a snapshot id" show twelve
usage "reason must not be empty" reject "$snap2" --reason=
[ "$(find "$state/store/objects" -type f | wc -l)" = "$objs" ] || sl_fail "a refused command changed the store"
S --json pending | python3 -c "import json,sys; assert [s['id'] for s in json.load(sys.stdin)] == [$snap2]"

# --json matches the human output (and parses).
S snapshots >"$SL_TMP/snaps.txt"
S --json snapshots >"$SL_TMP/snaps.json"
S pending fix --json >"$SL_TMP/pending.json"
S pending fix >"$SL_TMP/pending.txt"
python3 - "$SL_TMP" <<'PY'
import json, sys
d = sys.argv[1]
for name in ("snaps", "pending"):
    rows = [l.split() for l in open(f"{d}/{name}.txt").read().splitlines()[1:]]
    data = json.load(open(f"{d}/{name}.json"))
    assert [[int(r[0]), r[1], r[2], int(r[5])] for r in rows] == \
        [[s["id"], s["source"], s["state"], s["entries"]] for s in data], (rows, data)
PY
S show "$snap1" >"$SL_TMP/show.txt"
S --json show "$snap1" >"$SL_TMP/show.json"
python3 - "$SL_TMP/show.txt" "$SL_TMP/show.json" <<'PY'
import json, re, sys
txt = open(sys.argv[1]).read()
d = json.load(open(sys.argv[2]))
assert f"snapshot {d['id']} of {d['source']}: {d['state']} since" in txt
assert f"{d['entries'] if isinstance(d['entries'], int) else len(d['entries'])} entries" in txt
assert f"content digest {d['content_digest']}" in txt
lines = txt.split("verification:\n", 1)[1].splitlines()
checks = [l.split(None, 2) for l in lines if re.match(r"  (ok|FAIL) ", l)]
assert [(c[0] == "ok", c[1], c[2]) for c in checks] == \
    [(v["passed"], v["check"], v["subject"]) for v in d["verifications"]], (checks, d["verifications"])
fprs = {v["key_fingerprint"] for v in d["verifications"] if v["key_fingerprint"]}
assert fprs, "no verification record names the key that signed"
for f in fprs:
    assert f"key {f}" in txt, f
PY
S sources >"$SL_TMP/src.txt"
S --json sources >"$SL_TMP/src.json"
python3 - "$SL_TMP/src.txt" "$SL_TMP/src.json" <<'PY'
import json, sys
txt = open(sys.argv[1]).read()
for s in json.load(open(sys.argv[2])):
    assert f"{s['name']} ({s['type']}, every {s['every']}, approve {s['approve']})" in txt, s
    assert f"published   snapshot {s['published_snapshot']} " in txt
    assert f"pending     {s['pending']}" in txt
PY
S keys show >"$SL_TMP/keys.txt"
S --json keys show | python3 -c "
import json, sys
keys = json.load(sys.stdin)
assert [l.split()[0] for l in open('$SL_TMP/keys.txt')] == keys, keys"
S --json keys export | python3 -c "
import json, sys; assert '-----BEGIN PGP PUBLIC KEY BLOCK-----' in json.load(sys.stdin)['armor']"

# approve_within: a snapshot waiting longer is flagged in pending (human and JSON).
sed -i 's/^keep = 3$/keep = 3\napprove_within = 1s/' "$conf"
sleep 2
S pending | grep -q "WAITING LONGER THAN approve_within" || sl_fail "pending does not flag an overdue snapshot"
S --json pending | python3 -c "import json,sys; assert json.load(sys.stdin)[0]['approval_overdue'] is True"
echo "admin cli: ok"
