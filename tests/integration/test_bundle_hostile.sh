#!/usr/bin/env bash
# Hostile transfer bundles get a clear error (exit 3) and leave the inside's catalogue and published tree
# unchanged: member names absolute or with "..", symlinks, hard links, devices, duplicate members, members
# not in the manifest, an object whose bytes do not match its name, a truncated volume (mid-object, and at a
# member boundary without END), an oversized manifest, a malformed manifest (signed by the real exporter),
# an expired bundle, one dated in the future, one older than [import] max_age, a bundle from an untrusted
# exporter. `export --check` refuses each too. Then a signed manifest whose entries do not add up to a
# source's content digest: refused at landing, recorded in the audit log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
. "$here/bundle_fixture.sh"
bundle_setup
admin_sync >/dev/null
vol=$(bundle_export fix --to "$SL_TMP/b")
apt_fixture_key attacker
stop_agents() { gpgconf --homedir "$state/keys" --kill all 2>/dev/null || true; }
sl_on_cleanup stop_agents
# The hostile manifests are signed with the exporter's real key: only the parser stands in the way.
cp -a "$state/keys" "$SL_TMP/dmzkeys"

audit_imports() { I --json audit | python3 -c "import json,sys; print(sum(e['action'] == 'import' for e in json.load(sys.stdin)))"; }

check_case() {   # MODE REGEX [valid-elsewhere: export --check, under another policy, accepts it]
	local mode=$1 re=$2 elsewhere=${3:-} home=
	case $mode in
	malformed | expired | old | future | digest) home=$SL_TMP/dmzkeys ;;
	untrusted) home=$APT_KEYS/attacker ;;
	esac
	python3 "$here/bundle_craft.py" "$mode" "$vol" "$SL_TMP/$mode.tar" $home || sl_fail "crafting $mode"
	local rc=0
	I import "$SL_TMP/$mode.tar" >"$SL_TMP/$mode.out" 2>&1 || rc=$?
	[ $rc = 3 ] || { cat "$SL_TMP/$mode.out"; sl_fail "$mode: import exit $rc, want 3"; }
	grep -Eq "$re" "$SL_TMP/$mode.out" || { cat "$SL_TMP/$mode.out"; sl_fail "$mode: no clear error /$re/"; }
	[ "$(in_count)" = 0 ] || sl_fail "$mode: a snapshot was made"
	[ "$(audit_imports)" = 0 ] || sl_fail "$mode: the audit log records an import"
	I --json import --status | python3 -c "import json,sys; assert json.load(sys.stdin) == []" ||
		[ "$mode" = extra ] || [ "$mode" = corrupt ] || [ "$mode" = noend ] || [ "$mode" = truncate ] ||
		[ "$mode" = duplicate ] || sl_fail "$mode: the catalogue recorded the bundle"
	rc=0
	S export --check "$SL_TMP/$mode.tar" --keyring "$SL_TMP/dmz.asc" >/dev/null 2>&1 || rc=$?
	if [ -n "$elsewhere" ]; then
		[ $rc = 0 ] || sl_fail "$mode: export --check (no max_age) exit $rc, want 0"
	else
		[ $rc = 3 ] || sl_fail "$mode: export --check exit $rc, want 3"
	fi
	sl_log "$mode: refused: $(grep -E "$re" "$SL_TMP/$mode.out" | head -1)"
}

check_case absolute 'absolute member name'
check_case dotdot "member name with '\.\.'"
check_case symlink 'is a symbolic link'
check_case hardlink 'is a hard link'
check_case device 'not a regular file'
check_case duplicate 'duplicate or out-of-order member'
check_case extra 'is not in the manifest'
check_case corrupt 'bytes do not match its name'
check_case truncate 'damaged or truncated volume'
check_case noend 'truncated volume 1 of bundle [0-9]+: no END member'
check_case bigmanifest "member 'MANIFEST' is larger than"
check_case malformed 'malformed manifest: manifest line [0-9]+: path out of order'
check_case expired 'bundle [0-9]+ expired'
check_case untrusted 'not signed by a trusted exporter'
check_case future 'bundle [0-9]+ is dated in the future'
# [import] max_age: a bundle made 2 hours ago, still valid by its own valid-until, is too old for 1h.
sed -i 's/^\[import\]$/[import]\nmax_age = 1h/' "$in_conf"
check_case old 'older than \[import\] max_age' valid-elsewhere

# Without [import] keyring nothing is trusted.
grep -v '^keyring = .*dmz.asc' "$in_conf" >"$SL_TMP/nokeys.conf"
rc=0; "$SL_ADMIN" -c "$SL_TMP/nokeys.conf" import "$vol" >/dev/null 2>"$SL_TMP/err" || rc=$?
[ $rc = 2 ] && grep -q "no \[import\] keyring configured" "$SL_TMP/err" || sl_fail "import without [import] keyring: exit $rc"

# Nothing was published, nothing is pending; the genuine volume still imports cleanly afterwards.
[ "$(curl -s -o /dev/null -w '%{http_code}' "$in_base/apt/fix/dists/stable/InRelease")" = 404 ] || sl_fail "something got published"
I import "$vol" >/dev/null || sl_fail "the genuine bundle failed after the hostile ones"
[ -n "$(in_pending)" ] || sl_fail "the genuine bundle made no pending snapshot"

# A manifest whose source entries do not add up to the content digest the (trusted) exporter signed: the
# candidate is rolled back, nothing new is pending, and the audit log keeps the refusal as evidence.
python3 "$here/bundle_craft.py" digest "$vol" "$SL_TMP/digest.tar" "$SL_TMP/dmzkeys" || sl_fail "crafting digest"
n=$(in_count)
rc=0; I import "$SL_TMP/digest.tar" >"$SL_TMP/digest.out" 2>&1 || rc=$?
[ $rc = 3 ] && grep -q "fix: refused: the entries do not match the manifest's content digest" "$SL_TMP/digest.out" ||
	{ cat "$SL_TMP/digest.out"; sl_fail "digest: import exit $rc"; }
[ "$(in_count)" = "$n" ] || sl_fail "digest: a snapshot was made"
I --json audit | python3 -c "
import json, sys
assert any(e['action'] == 'import' and 'refused' in e['reason'] for e in json.load(sys.stdin))" ||
	sl_fail "digest: the refusal is not in the audit log"
echo "bundle hostile: ok"
