#!/usr/bin/env bash
# Decisions that must not happen silently, and what the exit status says about them:
#  - a pending snapshot made before the published one can no longer be approved (it would silently bring
#    back an older package set): exit 5 with a message naming rollback; `pending` flags it; reject clears
#    it; rollback still goes back to an earlier approved snapshot;
#  - approving or rejecting a snapshot decided before (rejected, published, superseded) exits 5 "not
#    pending", not 4, which is kept for a decision someone made while the command ran;
#  - the hint printed after a sync works when pasted as printed (it carries the -c the sync was given),
#    and a configuration that cannot be opened says how to name one (-c, $SLUICE_CONFIG).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
admin_setup
published() { S --json sources | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["published_snapshot"])'; }

snap1=$(admin_sync)
# ---- the hint after the sync, pasted as printed, from another directory and without $SLUICE_CONFIG
hint=$(sed -n 's/^fix: review with: \(.*\); then .*/\1/p' "$SL_TMP/sync.out")
[ -n "$hint" ] || sl_fail "no review hint: $(cat "$SL_TMP/sync.out")"
case $hint in *" -c "*) ;; *) sl_fail "the hint lacks the -c the sync was given: $hint" ;; esac
(cd / && env -u SLUICE_CONFIG PATH="$SL_BUILD_DIR/admin:$PATH" bash -c "$hint" >"$SL_TMP/hint.out" 2>&1) ||
	sl_fail "the hint '$hint' fails as printed: $(cat "$SL_TMP/hint.out")"
grep -q alpha "$SL_TMP/hint.out" || sl_fail "the pasted diff shows no packages: $(cat "$SL_TMP/hint.out")"
# ... and with $SLUICE_CONFIG (or the default) no -c is printed, since none is needed
SLUICE_CONFIG=$conf "$SL_ADMIN" sync fix >"$SL_TMP/sync-env.out" 2>&1 || true
grep -q "review with: sluice -c" "$SL_TMP/sync-env.out" && sl_fail "a -c in the hint of a sync run through \$SLUICE_CONFIG"
# ---- a configuration that cannot be opened says how to name one
rc=0; (cd "$SL_TMP" && env -u SLUICE_CONFIG "$SL_ADMIN" -c nosuch.conf pending) 2>"$SL_TMP/err" || rc=$?
[ $rc = 1 ] && grep -q 'nosuch.conf: cannot open' "$SL_TMP/err" && grep -q -- '-c FILE' "$SL_TMP/err" &&
	grep -q 'SLUICE_CONFIG' "$SL_TMP/err" || sl_fail "config cannot be opened: exit $rc: $(cat "$SL_TMP/err")"
rc=0; SLUICE_CONFIG=$SL_TMP/gone.conf "$SL_ADMIN" pending 2>"$SL_TMP/err" || rc=$?
[ $rc = 1 ] && grep -q 'from \$SLUICE_CONFIG' "$SL_TMP/err" || sl_fail "no origin for \$SLUICE_CONFIG: $(cat "$SL_TMP/err")"

S approve "$snap1" --reason "CHG-1" >/dev/null
# ---- two newer snapshots pending; the newer one is approved first
admin_fixture_repo "$up" v2
snapA=$(admin_sync)
admin_fixture_repo "$up" v3
snapB=$(admin_sync)
[ "$snapA" -lt "$snapB" ] || sl_fail "snapshot ids not increasing: $snapA $snapB"
S approve "$snapB" --reason "CHG-2 newest" >/dev/null
[ "$(published)" = "$snapB" ] || sl_fail "snapshot $snapB not published"
S pending fix | grep "^$snapA " | grep -q 'OLDER THAN PUBLISHED' || sl_fail "pending does not flag $snapA: $(S pending fix)"
[ "$(S --json pending fix | python3 -c 'import json,sys; print([s["older_than_published"] for s in json.load(sys.stdin)])')" = "[True]" ] ||
	sl_fail "--json pending lacks older_than_published"
rc=0; S approve "$snapA" --reason "CHG-3 the older one" 2>"$SL_TMP/err" || rc=$?
[ $rc = 5 ] || sl_fail "approving $snapA, made before the published $snapB: exit $rc, want 5: $(cat "$SL_TMP/err")"
grep -q "made before snapshot $snapB" "$SL_TMP/err" && grep -q 'sluice rollback fix' "$SL_TMP/err" ||
	sl_fail "the refusal does not explain itself or name rollback: $(cat "$SL_TMP/err")"
[ "$(published)" = "$snapB" ] || sl_fail "the refused approval changed what is published"
[ "$(S --json audit | python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin) if e['snapshot'] == $snapA))")" = 0 ] ||
	sl_fail "the refused approval wrote to the audit log"
# reject clears it from the pending list
S reject "$snapA" --reason "superseded by $snapB" >/dev/null
[ "$(S --json pending fix | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] || sl_fail "still pending"

# ---- not pending: 5, with who decided
rc=0; S approve "$snapA" --reason x 2>"$SL_TMP/err" || rc=$?
[ $rc = 5 ] && grep -q "rejected by .*superseded by $snapB" "$SL_TMP/err" || sl_fail "approve rejected: exit $rc: $(cat "$SL_TMP/err")"
rc=0; S reject "$snapA" --reason x 2>"$SL_TMP/err" || rc=$?
[ $rc = 5 ] || sl_fail "reject rejected: exit $rc: $(cat "$SL_TMP/err")"
rc=0; S approve "$snapB" --reason x 2>"$SL_TMP/err" || rc=$?
[ $rc = 5 ] && grep -q "is published: it was approved by .*CHG-2 newest" "$SL_TMP/err" || sl_fail "approve published: exit $rc: $(cat "$SL_TMP/err")"

# ---- rollback is the way back, and still works
S rollback fix --reason "CHG-4 back to v1" >/dev/null || sl_fail "rollback failed"
[ "$(published)" = "$snap1" ] || sl_fail "rollback did not publish $snap1"
[ "$(served_code pool/main/a/alpha/alpha_1.0-1_all.deb)" = 200 ] || sl_fail "v1 not served after rollback"
rc=0; S approve "$snapB" --reason x 2>/dev/null || rc=$?
[ $rc = 5 ] || sl_fail "approve superseded: exit $rc"
"$SL_ADMIN" help approve | grep -q 'exit 5' || sl_fail "sluice help approve does not document exit 5"
"$SL_ADMIN" --help | grep -q '5 not pending' || sl_fail "sluice --help does not document exit 5"
echo "admin decisions: ok"
