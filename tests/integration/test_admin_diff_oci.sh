#!/usr/bin/env bash
# sluice diff on OCI tags against golden files (tests/data/diff/oci/): docker-registry seeded with images
# built here (oci_fixture.sh); a first sync adds every tag (one an index of two platforms), is approved;
# then test/app:latest moves to another image, test/app:v2 appears and test/app:old-1 is deleted upstream;
# the pending snapshot's diff shows moved, added and removed with their platforms, human and JSON alike.
# Image digests change with every build, so each is replaced by <digest-N> in order of first appearance
# (JSON first; the human output's 12-character prefixes map to the same N) before comparing, and the
# moved tag's old and new digests are checked against the registry separately.
# SL_UPDATE_GOLDEN=1 rewrites the golden files from this run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/oci_fixture.sh"
oci_fixture_require
golden=$SL_SOURCE_DIR/tests/data/diff/oci

lay=$SL_TMP/layout
oci_fixture_layout "$lay"
oci_fixture_image "$lay" old "an old release"
oci_fixture_registry basic
oci_push "oci:$lay:v1-amd64" test/app:v1
oci_push "oci:$lay:v1-amd64" test/app:latest
oci_push "oci:$lay:old" test/app:old-1
oci_push --all "oci:$lay:multi" test/multi:v1

state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[source hub]
type = oci
registry = http://$OCI_REG
images = test/app:* test/multi:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
pending_id() { S --json pending | python3 -c 'import json,sys; print([s["id"] for s in json.load(sys.stdin) if s["source"] == "hub"][0])'; }
S init >/dev/null

# NAME.txt NAME.json: normalise the digests of both outputs, then compare with (or rewrite) the golden files.
check_golden() {
	python3 - "$SL_TMP/$1" "$SL_TMP/$2" "$SL_TMP/norm-$1" "$SL_TMP/norm-$2" <<'PY'
import re, sys
human, js = open(sys.argv[1]).read(), open(sys.argv[2]).read()
names = {}
def name(hexd):
    return names.setdefault(hexd, "<digest-%d>" % (len(names) + 1))
js = re.sub(r"\b(?:sha256:)?([0-9a-f]{64})\b", lambda m: name(m.group(1)), js)
def short(m):
    full = [h for h in names if h.startswith(m.group(1))]
    assert len(full) == 1, f"human digest sha256:{m.group(1)} is not exactly one of the JSON's: {full}"
    return names[full[0]]
human = re.sub(r"\bsha256:([0-9a-f]{12})\b", short, human)
assert not re.search(r"[0-9a-f]{12}", human + js), "a digest was left unnormalised"
open(sys.argv[3], "w").write(human)
open(sys.argv[4], "w").write(js)
PY
	local f
	for f in "$1" "$2"; do
		if [ -n "${SL_UPDATE_GOLDEN:-}" ]; then
			cp "$SL_TMP/norm-$f" "$golden/$f"
			sl_log "updated $golden/$f"
		else
			diff -u "$golden/$f" "$SL_TMP/norm-$f" || sl_fail "$f: output differs from the golden file"
		fi
	done
}

S sync hub >"$SL_TMP/sync1.out" 2>&1 || { cat "$SL_TMP/sync1.out"; sl_fail "first sync failed"; }
snap1=$(pending_id)
S diff "$snap1" >"$SL_TMP/initial.txt"
S --json diff "$snap1" >"$SL_TMP/initial.json"
check_golden initial.txt initial.json
S approve "$snap1" --reason "CHG-1 initial images" >/dev/null

old=$(oci_digest test/app:latest)
oci_push "oci:$lay:v2-amd64" test/app:latest
oci_push "oci:$lay:v2-amd64" test/app:v2
skopeo delete --tls-verify=false --creds "$(oci_creds)" "docker://$OCI_REG/test/app:old-1" >/dev/null
new=$(oci_digest test/app:latest)
[ "$old" != "$new" ] || sl_fail "the fixture did not move test/app:latest (digest $old both times)"

S sync hub >"$SL_TMP/sync2.out" 2>&1 || { cat "$SL_TMP/sync2.out"; sl_fail "second sync failed"; }
snap2=$(pending_id)
[ "$snap2" != "$snap1" ] || sl_fail "the second sync made no new snapshot"
S diff "$snap2" >"$SL_TMP/diff.txt"
S --json diff "$snap2" >"$SL_TMP/diff.json"
check_golden diff.txt diff.json

# The placeholders hide the digests: the moved tag's must be the registry's, old != new.
python3 - "$SL_TMP/diff.json" "$SL_TMP/diff.txt" "$old" "$new" <<'PY'
import json, sys
d, human, old, new = json.load(open(sys.argv[1])), open(sys.argv[2]).read(), sys.argv[3], sys.argv[4]
c = [c for c in d["changes"] if c["path"] == "test/app:latest"]
assert len(c) == 1 and c[0]["change"] == "moved", d
assert (c[0]["old"], c[0]["new"]) == (old, new) and old != new, (c, old, new)
assert f"sha256:{old[:12]} -> sha256:{new[:12]}" in human, human
PY
echo "admin diff oci: ok"
