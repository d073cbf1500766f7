#!/usr/bin/env bash
# `sluice sync` and Ctrl-C: the exit status says what was reported. A SIGINT that lands after a sync
# finished (here: while its approve = auto publication runs) changes nothing that was reported, so the
# exit status is 0; a SIGINT that keeps sources from starting names them and exits 1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/syncd_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup

sl_start_upstream '{}'
up=$SL_UPSTREAM_ROOT
syncd_deb small 5000
syncd_repo "$up/r"
syncd_deb other 2000
syncd_repo "$up/o"
state=$SL_TMP/state conf=$SL_TMP/sluice.conf
syncd_conf "$conf" "$state"
syncd_source "$conf" r "http://127.0.0.1:$SL_UPSTREAM_PORT/r/" "small"
sed -i 's/^approve = manual$/approve = auto/' "$conf"
syncd_source "$conf" o "http://127.0.0.1:$SL_UPSTREAM_PORT/o/" "other"
"$SL_ADMIN" -c "$conf" init >/dev/null

# SIGINT as soon as the sync of r logs its verdict, before `sluice sync r o` goes on.
# interrupt_after_verdict ARGS... -> prints "EXIT-STATUS" and leaves stdout/stderr in $SL_TMP/out, err
interrupt_after_verdict() {
	python3 - "$SL_ADMIN" -c "$conf" "$@" <<'PY'
import os, signal, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=open(os.environ["SL_TMP"] + "/out", "w"), stderr=subprocess.PIPE, text=True)
err = open(os.environ["SL_TMP"] + "/err", "w")
sent = False
for line in p.stderr:
    err.write(line)
    if not sent and "sync ok: snapshot" in line:
        p.send_signal(signal.SIGINT)
        sent = True
print(p.wait())
PY
}

rc=$(interrupt_after_verdict sync r)
grep -q "snapshot 1 auto-approved (approve = auto) and published" "$SL_TMP/out" ||
	sl_fail "precondition: the sync was reported as published: $(cat "$SL_TMP/out" "$SL_TMP/err")"
[ "$rc" = 0 ] || sl_fail "Ctrl-C after the sync finished: reported ok and published, but exit $rc"

# Now the stop keeps o from starting: that is said, and the exit status is 1.
syncd_deb small 6000
syncd_repo "$up/r"
rc=$(interrupt_after_verdict sync r o)
[ "$rc" = 1 ] || sl_fail "Ctrl-C before o started: exit $rc, want 1: $(cat "$SL_TMP/out" "$SL_TMP/err")"
grep -q "interrupted; not synced: o" "$SL_TMP/err" || sl_fail "the sources not synced are not named: $(cat "$SL_TMP/err")"
"$SL_ADMIN" -c "$conf" --json sources | python3 -c '
import json, sys
o = [s for s in json.load(sys.stdin) if s["name"] == "o"][0]
assert o["last_run_at"] == 0, o' || sl_fail "o was synced although the stop came first"
echo "admin sync interrupt: ok"
