#!/usr/bin/env bash
# The approval workflow end to end, with a real apt-get against sluice-served: unapproved content is
# invisible; a rejected snapshot is never visible; an approved one is, byte for byte; rollback serves the
# earlier package set again under a freshly dated InRelease signed by sluice (and apt accepts it after
# having seen a newer one); two administrators approving one snapshot at once give one publication and
# exit 4 (or 5, when the second looked only after the first had decided) with a clear message for the
# second; deciding a snapshot decided before exits 5 (not pending); reasons are required and never empty.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
admin_setup
. "$here/apt_golden.sh"
SUITE=$ADMIN_FIXTURE_SUITE
pool_alpha1=pool/main/a/alpha/alpha_1.0-1_all.deb

audit_count() {   # ACTION SNAPSHOT
	S --json audit | python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin) if e['action'] == '$1' and e['snapshot'] == $2))"
}
generations() { find "$state/public" -path '*/.gen/apt-fix-*' -prune -print | wc -l; }

# ---- pending is invisible; reasons are required; reject keeps it invisible for good
snap1=$(admin_sync)
apt_golden_record "snap1"
[ "$(served_code "dists/$SUITE/InRelease")" = 404 ] || sl_fail "pending snapshot $snap1 is visible"
[ "$(served_code "$pool_alpha1")" = 404 ] || sl_fail "pending pool file is visible"
for bad in "" "   " "$(printf '\t')"; do
	rc=0; S reject "$snap1" --reason "$bad" 2>"$SL_TMP/err" || rc=$?
	[ $rc = 2 ] || sl_fail "reject with reason '$bad': exit $rc, want 2"
	grep -q 'reason must not be empty' "$SL_TMP/err" || sl_fail "no clear message for an empty reason"
	rc=0; S approve "$snap1" --reason="$bad" 2>/dev/null || rc=$?
	[ $rc = 2 ] || sl_fail "approve with reason '$bad': exit $rc, want 2"
done
rc=0; S approve "$snap1" 2>"$SL_TMP/err" || rc=$?
[ $rc = 2 ] && grep -q -- '--reason' "$SL_TMP/err" || sl_fail "approve without --reason: exit $rc"
rc=0; S approve "$snap1" --reason 2>/dev/null || rc=$?
[ $rc = 2 ] || sl_fail "approve --reason without its value: exit $rc"
n=$(S --json audit | python3 -c "import json,sys; print(len(json.load(sys.stdin)))"); [ "$n" = 1 ] ||
	sl_fail "a refused command wrote to the audit log (only key-create expected)"

S reject "$snap1" --reason "CHG-1: not reviewed" >/dev/null
[ "$(served_code "dists/$SUITE/InRelease")" = 404 ] || sl_fail "rejected snapshot is visible"
rc=0; S approve "$snap1" --reason "changed my mind" 2>"$SL_TMP/err" || rc=$?
[ $rc = 5 ] || sl_fail "approving a rejected snapshot: exit $rc, want 5 (not pending)"
grep -q "rejected by .* CHG-1: not reviewed" "$SL_TMP/err" || sl_fail "no 'rejected by WHO: WHY': $(cat "$SL_TMP/err")"
rc=0; S reject "$snap1" --reason "twice" 2>/dev/null || rc=$?
[ $rc = 5 ] || sl_fail "rejecting twice: exit $rc, want 5 (not pending)"
rc=0; S approve 999 --reason x 2>"$SL_TMP/err" || rc=$?
[ $rc = 1 ] && grep -q 'snapshot 999' "$SL_TMP/err" || sl_fail "approve of an unknown snapshot: exit $rc"
[ "$(served_code "dists/$SUITE/InRelease")" = 404 ] || sl_fail "rejected snapshot became visible"
[ "$(generations)" = 0 ] || sl_fail "a generation was built for a rejected snapshot"

# ---- approve: visible, and a real apt-get gets the upstream's bytes
ADMIN_FIXTURE_T=$((ADMIN_FIXTURE_T + 60))
apt_fixture_release "$up" stable "$(apt_date $((ADMIN_FIXTURE_T - 7200)))"
apt_fixture_sign "$up" stable upstream
snap2=$(admin_sync)
apt_golden_record "snap2"
S approve "$snap2" --reason "CHG-2 reviewed" | grep -q "snapshot $snap2 of fix published" || sl_fail "approve output"
[ "$(served_code "dists/$SUITE/InRelease")" = 200 ] || sl_fail "approved snapshot is not visible"
client=$SL_TMP/client
apt_fixture_client "$client"
curl -sf -o "$client/keyrings/sluice.asc" "$base/keys/sluice.asc"
[ "$(id -u)" -eq 0 ] && chown nobody "$client/keyrings/sluice.asc"
echo "deb [signed-by=$client/keyrings/sluice.asc] $base/apt/fix stable main" >"$client/etc/sources.list"
apt_client_run "$client" update >/dev/null
apt_client_run "$client" download alpha echo >/dev/null
cmp "$client/dl/alpha_1.0-1_all.deb" "$up/$pool_alpha1" || sl_fail "alpha from sluice differs from upstream"
# Every file of snapshot 2, as served now: the reference for the rollback.
S --json show "$snap2" | python3 -c '
import json, sys
for e in json.load(sys.stdin)["entries"]:
    if e["role"] == "pool": print(e["path"], e["sha256"])' >"$SL_TMP/snap2.files"
[ -s "$SL_TMP/snap2.files" ] || sl_fail "snapshot $snap2 has no pool files"
while read -r path sha; do
	[ "$(curl -sf "$base/apt/fix/$path" | sha256sum | cut -d' ' -f1)" = "$sha" ] || sl_fail "$path served wrong"
done <"$SL_TMP/snap2.files"

# ---- a new package set, approved; then rolled back
admin_fixture_repo "$up" v2
snap3=$(admin_sync)
apt_golden_record "snap3"
S approve "$snap3" --reason "CHG-3 point release" >/dev/null
apt_client_run "$client" update >/dev/null
apt_client_run "$client" download foxtrot >/dev/null
[ "$(served_code "$pool_alpha1")" = 404 ] || sl_fail "superseded pool file still served"
date3=$(curl -sf "$base/apt/fix/dists/$SUITE/InRelease" | sed -n 's/^Date: //p')
sleep 1   # Release dates have one-second resolution; the rollback's must be later

rc=0; S rollback fix --to "$snap3" --reason x 2>"$SL_TMP/err" || rc=$?
[ $rc = 1 ] && grep -q 'publishes now' "$SL_TMP/err" || sl_fail "rollback to the published snapshot: exit $rc"
rc=0; S rollback fix --to "$snap1" --reason x 2>"$SL_TMP/err" || rc=$?
[ $rc = 1 ] && grep -q 'rejected' "$SL_TMP/err" || sl_fail "rollback to a rejected snapshot: exit $rc"
rc=0; S rollback fix 2>/dev/null || rc=$?
[ $rc = 2 ] || sl_fail "rollback without a reason: exit $rc"
S --json rollback fix --reason "CHG-4 regression in alpha" >"$SL_TMP/rb.json"
python3 -c "import json,sys; d=json.load(open('$SL_TMP/rb.json')); assert d['result']=='published' and d['snapshot']==$snap2, d"

# The earlier files byte for byte, the later ones gone, under a newer Date signed by sluice's key.
while read -r path sha; do
	[ "$(curl -sf "$base/apt/fix/$path" | sha256sum | cut -d' ' -f1)" = "$sha" ] || sl_fail "$path not restored"
done <"$SL_TMP/snap2.files"
[ "$(served_code pool/main/f/foxtrot/foxtrot_1.0-1_all.deb)" = 404 ] || sl_fail "foxtrot still served after rollback"
curl -sf -o "$SL_TMP/InRelease" "$base/apt/fix/dists/$SUITE/InRelease"
date4=$(sed -n 's/^Date: //p' "$SL_TMP/InRelease")
[ "$(date -d "$date4" +%s)" -gt "$(date -d "$date3" +%s)" ] || sl_fail "rollback Date $date4 is not after $date3"
gpg --dearmor <"$client/keyrings/sluice.asc" >"$SL_TMP/sluice.gpg"
gpgv --keyring "$SL_TMP/sluice.gpg" "$SL_TMP/InRelease" 2>/dev/null || sl_fail "rolled-back InRelease is not signed by sluice"
apt_client_run "$client" update >/dev/null   # apt refuses a Release older than one it has seen
rm -f "$client/dl/"*.deb
apt_client_run "$client" download echo >/dev/null
apt_client_run "$client" download foxtrot >/dev/null 2>&1 && sl_fail "apt still gets foxtrot after rollback"
S history fix | grep -q "rollback .*snapshot $snap2" || sl_fail "rollback missing from history"

# ---- two administrators approve one snapshot at the same moment
ADMIN_FIXTURE_T=$((ADMIN_FIXTURE_T + 60))
admin_fixture_repo "$up" v3
snap5=$(admin_sync)
apt_golden_record "snap5"
gen_before=$(S --json sources | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["published_snapshot"])')
[ "$gen_before" = "$snap2" ] || sl_fail "published is $gen_before, want $snap2"
( r=0; S approve "$snap5" --reason "admin A" >"$SL_TMP/a.out" 2>&1 || r=$?; echo $r >"$SL_TMP/a.rc" ) &
pa=$!
( r=0; S approve "$snap5" --reason "admin B" >"$SL_TMP/b.out" 2>&1 || r=$?; echo $r >"$SL_TMP/b.rc" ) &
pb=$!
wait $pa $pb
codes=$(sort "$SL_TMP/a.rc" "$SL_TMP/b.rc" | tr '\n' ' ')
case $codes in "0 4 " | "0 5 ") ;; *) cat "$SL_TMP/a.out" "$SL_TMP/b.out"; sl_fail "concurrent approvals exited $codes, want 0 and 4";; esac
loser=$SL_TMP/a.out; [ "$(cat "$SL_TMP/a.rc")" != 0 ] || loser=$SL_TMP/b.out
grep -Eq "approved by .*: admin [AB]" "$loser" || { cat "$SL_TMP/a.out" "$SL_TMP/b.out" "$SL_TMP/a.rc" "$SL_TMP/b.rc"; sl_fail "the second admin is not told who decided first"; }
[ "$(audit_count approve "$snap5")" = 1 ] || sl_fail "two approve entries for one snapshot"
ls "$state/public/.gen" | grep -q '^\.build-' && sl_fail "a half-built generation was left behind"
[ "$(served_code pool/main/f/foxtrot/foxtrot_1.0-1_all.deb)" = 200 ] || sl_fail "the approved snapshot is not served"

# ---- a crash between the catalogue commit and the symlink switch is repaired by the next publication
ln -sfn "../.gen/$(ls "$state/public/.gen" | grep '^apt-fix-' | sort -t- -k3 -n | head -1)" "$state/public/apt/fix"
S reject "$snap5" --reason x 2>/dev/null && sl_fail "rejecting a published snapshot succeeded"
S rollback fix --reason "CHG-5 back again" >/dev/null
S --json sources | python3 -c "import json,sys; assert json.load(sys.stdin)[0]['published_snapshot'] == $snap3"
[ "$(served_code pool/main/f/foxtrot/foxtrot_1.0-1_all.deb)" = 200 ] || sl_fail "rollback to $snap3 not served"
S audit --verify >/dev/null || sl_fail "audit chain broken by the workflow"
# The same checks, in the same words, as the golden records (see apt_golden.sh for the normalisation).
apt_golden_compare apt_admin_workflow.golden
echo "admin workflow: ok"
