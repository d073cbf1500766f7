#!/usr/bin/env bash
# ClamAV end to end with ClamAV's real test databases (../shared/fixtures/clamav, signed with ClamAV's
# production key): nginx advertises test.cvd version 6 with test-2..6.cdiff -> sluice syncs, verifies with
# the built-in key, auto-approves and publishes -> stock freshclam starting from test-1.cvd updates to 6
# through sluice-served with the cdiffs (DatabaseMirror), and by full download (PrivateMirror). sigtool
# agrees with sluice's parse of the header. An unchanged upstream costs one Range request. Then every
# tamper case is refused with a clear reason and nothing is published.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

fx=${SL_SOURCE_DIR:-$here/../..}/../shared/fixtures/clamav
[ -r "$fx/test-6.cvd" ] || sl_skip "no ClamAV fixtures at $fx (../shared/fixtures/clamav)"
command -v freshclam >/dev/null || sl_skip "freshclam is not installed (clamav-freshclam)"
command -v sigtool >/dev/null || sl_skip "sigtool is not installed (clamav)"
tamper=${SL_SOURCE_DIR:-$here/../..}/tests/data/clamav/tamper.py

up=$SL_TMP/upstream
mkdir -p "$up"
cp -f "$fx/test-6.cvd" "$up/test.cvd"
for k in 2 3 4 5 6; do cp -f "$fx/test-$k.cdiff" "$up/"; done
chmod -R u+w "$up"
sl_start_nginx "$up"
upurl=http://127.0.0.1:$SL_NGINX_PORT

state=$SL_TMP/state
port=$(sl_free_port)
conf=$SL_TMP/sluice.conf
served_user=$(sl_served_user_line)
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[served]
listen = 127.0.0.1:$port
access_log = $SL_TMP/served-access.log
$served_user
[source clam]
type = clamav
url = $upurl
databases = test
cdiffs = 30
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
# Golden verification records (tests/data/verify/clamav_*.golden): the checks a sync records, in the same
# words, whoever makes them (syncer or verifier). Compared sorted: which component records a check first
# is not part of the contract. Normalised with a documented sed: "snapshot <id>" -> "snapshot #" (ids
# depend on the run's history); key fingerprints are kept (ClamAV's production keys, fixed by the build).
# SL_UPDATE_GOLDEN=1 rewrites the files instead of comparing.
golden_dir=${SL_SOURCE_DIR:-$here/../..}/tests/data/verify
records() {   # SNAPSHOT-ID: "subject | check | ok/FAIL | key | reason" per record, sorted
	S --json show "$1" | python3 -c '
import json, sys
for v in json.load(sys.stdin)["verifications"]:
    print(" | ".join([v["subject"], v["check"], "ok" if v["passed"] else "FAIL",
                      v.get("key_fingerprint") or "-", v.get("reason") or ""]))' |
		sed -E 's/snapshot [0-9]+/snapshot #/g' | LC_ALL=C sort
}
check_golden() {   # NAME SOURCE: the newest snapshot of SOURCE against clamav_NAME.golden
	local id want=$golden_dir/clamav_$1.golden got=$SL_TMP/golden-$1.txt
	id=$(S --json snapshots "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
	records "$id" >"$got"
	if [ -n "${SL_UPDATE_GOLDEN:-}" ]; then
		mkdir -p "$golden_dir" && cp "$got" "$want"
		return
	fi
	diff -u "$want" "$got" || sl_fail "verification records of $1 differ from $want"
}
S init >/dev/null
[ "$(id -u)" -eq 0 ] && chmod 755 "$state"

S sync clam | tee "$SL_TMP/sync1.out"
grep -q 'auto-approved' "$SL_TMP/sync1.out" || sl_fail "approve = auto (the clamav default) did not publish"
snap=$(S --json snapshots clam | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
S --json show "$snap" >"$SL_TMP/show1.json"

# sigtool's view of the header is sluice's.
sigtool --info "$fx/test-6.cvd" >"$SL_TMP/sigtool.txt"
python3 - "$SL_TMP/show1.json" "$SL_TMP/sigtool.txt" "$state/catalog.db" "$snap" <<'PY'
import json, sqlite3, sys
s = json.load(open(sys.argv[1]))
info = dict(l.split(": ", 1) for l in open(sys.argv[2]).read().splitlines() if ": " in l)
paths = sorted(e["path"] for e in s["entries"])
assert paths == ["test-2.cdiff", "test-3.cdiff", "test-4.cdiff", "test-5.cdiff", "test-6.cdiff", "test.cvd"], paths
cvd = [e for e in s["entries"] if e["path"] == "test.cvd"][0]
assert cvd["role"] == "cvd", cvd
db = sqlite3.connect("file:" + sys.argv[3] + "?mode=ro", uri=True)
m = json.loads(db.execute("SELECT meta_json FROM snapshot_entries WHERE snapshot_id = ? AND path = 'test.cvd'",
                          (int(sys.argv[4]),)).fetchone()[0])
assert str(m["version"]) == info["Version"], (m, info)
assert str(m["sigs"]) == info["Signatures"], (m, info)
assert str(m["flevel"]) == info["Functionality level"], (m, info)
assert m["builder"] == info["Builder"] and m["md5"] == info["MD5"], (m, info)
assert m["time"] == info["Build time"], (m, info)
assert m["database"] == "test" and m["build_time"] == 1624412045, m
fails = [v for v in s["verifications"] if not v["passed"]]
assert not fails, fails
checks = {(v["subject"], v["check"]) for v in s["verifications"]}
for c in ("header", "version", "md5", "signature", "archive", "info", "cdiff chain"):
    assert ("test.cvd", c) in checks, f"no {c} record: {checks}"
for k in range(2, 7):
    assert (f"test-{k}.cdiff", "signature") in checks, checks
PY
check_golden happy clam
# Unchanged upstream: one Range request, nothing downloaded, no snapshot.
before=$(wc -l <"$SL_NGINX_DIR/access.log")
S sync clam | tee "$SL_TMP/sync2.out"
grep -q 'unchanged' "$SL_TMP/sync2.out" || sl_fail "second sync did not find the upstream unchanged"
new=$(tail -n +$((before + 1)) "$SL_NGINX_DIR/access.log")
[ "$(printf '%s\n' "$new" | grep -c .)" = 1 ] || sl_fail "an unchanged upstream cost more than one request: $new"
grep -q '"GET /test.cvd HTTP/1.1" 304' <<<"$new" || sl_fail "the probe was not a conditional request: $new"

sl_start_bg "$SL_TMP/served.log" "$SL_SERVED" -c "$conf" -f
sl_wait_for_line "$SL_TMP/served.log" "serving on"
base=http://127.0.0.1:$port/clamav/clam
for f in test.cvd test-2.cdiff test-6.cdiff; do
	cmp -s <(curl -sf "$base/$f") "$up/$f" || sl_fail "$f from sluice differs from upstream"
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/test.cld")" = 404 ] || sl_fail "test.cld is not a 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -r 0-511 "$base/test.cvd")" = 206 ] || sl_fail "no 206 for a Range"
lm=$(curl -sI "$base/test.cvd" | tr -d '\r' | sed -n 's/^Last-Modified: //Ip')
[ "$(date -d "$lm" +%s)" -ge 1624412045 ] || sl_fail "Last-Modified $lm is older than the CVD's build time"

# ---- stock freshclam, incrementally through the cdiffs, starting from version 1.
fc() {   # DIR MODE-LINE...
	local dir=$1
	shift
	mkdir -p "$dir/db"
	cat >"$dir/freshclam.conf" <<FC
DatabaseDirectory $dir/db
UpdateLogFile $dir/freshclam.log
DNSDatabaseInfo no
ScriptedUpdates yes
Foreground yes
MaxAttempts 1
ConnectTimeout 10
ReceiveTimeout 30
FC
	printf '%s\n' "$@" >>"$dir/freshclam.conf"
	if [ "$(id -u)" -eq 0 ]; then
		echo "DatabaseOwner nobody" >>"$dir/freshclam.conf"
		chown -R nobody "$dir"
		chmod 755 "$dir"
	fi
}
fcdir=$SL_TMP/fc-mirror
fc "$fcdir" "DatabaseMirror http://127.0.0.1:$port/clamav/clam"
cp -f "$fx/test-1.cvd" "$fcdir/db/test.cvd"
[ "$(id -u)" -eq 0 ] && chown -R nobody "$fcdir"
: >"$SL_TMP/served-access.log"
freshclam --config-file="$fcdir/freshclam.conf" --update-db=test >"$SL_TMP/fc1.out" 2>&1 ||
	{ cat "$SL_TMP/fc1.out"; sl_fail "freshclam (DatabaseMirror) failed"; }
cat "$SL_TMP/fc1.out"
db=$(ls "$fcdir"/db/test.c[lv]d | head -1)
info=$(sigtool --info "$db" 2>&1)
grep -q '^Version: 6$' <<<"$info" || { echo "$info"; sl_fail "freshclam did not reach version 6"; }
for k in 2 3 4 5 6; do
	grep -q "GET /clamav/clam/test-$k.cdiff" "$SL_TMP/served-access.log" ||
		sl_fail "freshclam did not fetch test-$k.cdiff from sluice: $(cat "$SL_TMP/served-access.log")"
done
grep -q 'GET /clamav/clam/test.cvd .* 200 ' "$SL_TMP/served-access.log" &&
	sl_fail "freshclam downloaded the whole test.cvd instead of the cdiffs"

# ---- PrivateMirror: full download.
pmdir=$SL_TMP/fc-private
fc "$pmdir" "PrivateMirror http://127.0.0.1:$port/clamav/clam"
freshclam --config-file="$pmdir/freshclam.conf" --update-db=test >"$SL_TMP/fc2.out" 2>&1 ||
	{ cat "$SL_TMP/fc2.out"; sl_fail "freshclam (PrivateMirror) failed"; }
cmp -s "$pmdir/db/test.cvd" "$fx/test-6.cvd" || sl_fail "PrivateMirror did not fetch test.cvd version 6 whole"

# ---- refusals: each sync fails with a clear reason; nothing new is pending or published.
published=$(curl -sf "$base/test.cvd" | sha256sum)
n=0
expect_refused() {   # SOURCE WHAT REASON-REGEX
	local src=$1 what=$2 re=$3 out=$SL_TMP/refused-$n.out rc=0
	n=$((n + 1))
	S sync "$src" >"$out" 2>&1 || rc=$?
	[ $rc -ne 0 ] || { cat "$out"; sl_fail "$what: sync succeeded"; }
	grep -Eqi "$re" "$out" || { cat "$out"; sl_fail "$what: no clear reason matching /$re/"; }
	[ "$(S --json pending | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
		sl_fail "$what: a pending snapshot was created"
	[ "$(curl -sf "$base/test.cvd" | sha256sum)" = "$published" ] || sl_fail "$what: the published tree changed"
	echo "refused as expected: $what"
}
failed_check() {   # SOURCE: "subject check: reason" of the newest snapshot's failed checks
	local id
	id=$(S --json snapshots "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
	S --json show "$id" | python3 -c '
import json, sys
for v in json.load(sys.stdin)["verifications"]:
    if not v["passed"]:
        print(v["subject"], v["check"] + ":", v["reason"])'
}
gone() {   # FILE: a refused download must not stay in the store
	local sha
	sha=$(sha256sum "$1" | cut -d' ' -f1)
	[ ! -e "$state/store/objects/${sha:0:2}/$sha" ] || sl_fail "refused $1 stayed in the store"
}

python3 "$tamper" setver "$fx/test-6.cvd" "$SL_TMP/v7.cvd" 7
python3 "$tamper" flip "$SL_TMP/v7.cvd" "$up/test.cvd"
expect_refused clam "one flipped byte in the body" "test.cvd refused"
grep -q '^test.cvd md5: MD5 of the body is' <<<"$(failed_check clam)" || sl_fail "the flipped byte was not reported by the md5 check"
check_golden flip clam
gone "$up/test.cvd"

cp -f "$SL_TMP/v7.cvd" "$up/test.cvd"
expect_refused clam "tampered header field (version 6 -> 7)" "test.cvd refused"
grep -q '^test.cvd info: the header does not match the signed .info' <<<"$(failed_check clam)" ||
	sl_fail "the tampered header was not caught by the .info check"
check_golden setver clam
gone "$up/test.cvd"

openssl genrsa -out "$SL_TMP/other.pem" 2048 2>/dev/null
python3 "$tamper" resign "$SL_TMP/v7.cvd" "$up/test.cvd" "$SL_TMP/other.pem"
expect_refused clam "signature from another key" "test.cvd refused"
grep -q '^test.cvd signature: dsig does not verify' <<<"$(failed_check clam)" || sl_fail "the foreign signature was not reported"
check_golden resign clam
gone "$up/test.cvd"

cp -f "$fx/test-5.cvd" "$up/test.cvd"
expect_refused clam "a version lower than the published one" "lower than 6"
check_golden rollback clam

python3 "$tamper" truncate "$SL_TMP/v7.cvd" "$up/test.cvd" 5000
expect_refused clam "a truncated download" "test.cvd refused"
grep -q '^test.cvd md5' <<<"$(failed_check clam)" || sl_fail "the truncated download was not reported by the md5 check"
check_golden truncate clam
gone "$up/test.cvd"
cp -f "$fx/test-6.cvd" "$up/test.cvd"

# A cdiff with a broken signature: a new source sees it on its first sync.
up2=$SL_TMP/upstream2
mkdir -p "$up2"
cp -f "$fx/test-6.cvd" "$up2/test.cvd"
for k in 2 3 4 5; do cp -f "$fx/test-$k.cdiff" "$up2/"; done
python3 "$tamper" breaksig "$fx/test-6.cdiff" "$up2/test-6.cdiff"
ln -s "$up2" "$up/two"
cat >>"$conf" <<CONF
[source clam2]
type = clamav
url = $upurl/two
databases = test
CONF
expect_refused clam2 "a cdiff with a broken signature" "test-6.cdiff refused"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/clamav/clam2/test.cvd")" = 404 ] ||
	sl_fail "clam2 published something"
check_golden cdiff_sig clam2

# The good upstream still syncs as unchanged afterwards (nothing refused was accepted).
S sync clam >"$SL_TMP/sync-last.out" 2>&1
grep -q 'unchanged' "$SL_TMP/sync-last.out" || sl_fail "after the refusals the source is not back to unchanged"
echo "clamav end to end: ok"
