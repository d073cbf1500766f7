#!/usr/bin/env bash
# `sluice sources` says whether a sluice-syncd runs for the state directory: without one, "next sync" is
# empty or a time that will pass, and nothing syncs on schedule — said, not left to guess. Checked with a
# real sluice-syncd started and stopped, and with the stale pid file it leaves behind.
# Also `sluice clients`: the client set-up text (the one the status page shows) for apt and freshclam.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/syncd_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup

sl_start_upstream '{}'
syncd_deb small 3000
syncd_repo "$SL_UPSTREAM_ROOT/r"
state=$SL_TMP/state conf=$SL_TMP/sluice.conf
syncd_conf "$conf" "$state"
syncd_source "$conf" r "http://127.0.0.1:$SL_UPSTREAM_PORT/r/" "small" "every = 1h"
printf '[source clam]\ntype = clamav\nurl = http://127.0.0.1:%s/clamav\n' "$SL_UPSTREAM_PORT" >>"$conf"
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null

# ---- never started
S sources >"$SL_TMP/s1.txt"
grep -q "^no sluice-syncd running for $state" "$SL_TMP/s1.txt" || sl_fail "no daemon, not said: $(cat "$SL_TMP/s1.txt")"
grep -q "next sync   none (no sluice-syncd running)" "$SL_TMP/s1.txt" || sl_fail "next sync does not say why: $(cat "$SL_TMP/s1.txt")"
[ "$(syncd_json "$conf" 's[0]["syncd"]')" = "not running" ] || sl_fail "--json sources: syncd not 'not running'"

# ---- running
syncd_start "$SL_TMP/d.log" -c "$conf"
for _ in $(seq 200); do
	[ "$(cat "$state/run/syncd.pid" 2>/dev/null)" = "$SYNCD_PID" ] && break
	sleep 0.05
done
S sources >"$SL_TMP/s2.txt"
grep -q "^sluice-syncd running (pid $SYNCD_PID)" "$SL_TMP/s2.txt" || sl_fail "running daemon not shown: $(cat "$SL_TMP/s2.txt")"
grep -q "no sluice-syncd running" "$SL_TMP/s2.txt" && sl_fail "says no daemon while one runs"
[ "$(syncd_json "$conf" 's[0]["syncd"]')" = "running" ] || sl_fail "--json sources: syncd not 'running'"

# ---- stopped: the pid file stays behind, naming a dead process
kill -TERM "$SYNCD_PID"
wait "$SYNCD_PID" || true
S sources >"$SL_TMP/s3.txt"
grep -q "^no sluice-syncd running" "$SL_TMP/s3.txt" || sl_fail "a stopped daemon still counts as running: $(cat "$SL_TMP/s3.txt")"
grep -q "next sync   .* (no sluice-syncd running)" "$SL_TMP/s3.txt" || sl_fail "next sync does not say why: $(cat "$SL_TMP/s3.txt")"
# ... and a pid file naming a live process that is not sluice-syncd (this shell)
echo $$ >"$state/run/syncd.pid"
[ "$(syncd_json "$conf" 's[0]["syncd"]')" = "not running" ] || sl_fail "a reused pid counts as sluice-syncd"

# ---- sluice clients: the one set-up text (also the status page's and run.sh's)
S clients --url http://mirror.example:8080/ >"$SL_TMP/clients.txt"
printf '%s\n' '== r (apt)' \
	'curl -fsSo /etc/apt/keyrings/sluice.asc http://mirror.example:8080/keys/sluice.asc' \
	'cat >/etc/apt/sources.list.d/sluice-r.list <<EOF' \
	'deb [signed-by=/etc/apt/keyrings/sluice.asc] http://mirror.example:8080/apt/r stable main' \
	'EOF' 'apt-get update' '' '== clam (clamav)' \
	'# /etc/clamav/freshclam.conf (remove its other DatabaseMirror lines)' \
	'DatabaseMirror http://mirror.example:8080/clamav/clam' 'DNSDatabaseInfo no' 'ScriptedUpdates yes' \
	>"$SL_TMP/want.txt"
diff -u "$SL_TMP/want.txt" "$SL_TMP/clients.txt" || sl_fail "sluice clients printed something else"
S clients clam | grep -q "^DatabaseMirror http://127.0.0.1:8080/clamav/clam$" || sl_fail "clients: default URL from [served] listen"
rc=0; S clients nosuch 2>/dev/null || rc=$?
[ $rc = 2 ] || sl_fail "clients of an unknown source: exit $rc"
# README's freshclam lines are that text, and run.sh's banner prints it rather than its own copy.
printf '[sluice]\nstate_dir = %s\n[source clamav]\ntype = clamav\nurl = http://127.0.0.1:9/\n' "$SL_TMP/s2" >"$SL_TMP/readme.conf"
"$SL_ADMIN" -c "$SL_TMP/readme.conf" clients clamav --url http://SLUICE:8080 | sed 1d >"$SL_TMP/fc.txt"
python3 - "$SL_SOURCE_DIR/README.md" "$SL_TMP/fc.txt" <<'PY' || sl_fail "README's freshclam snippet differs from sluice clients"
import sys
readme, want = open(sys.argv[1]).read(), open(sys.argv[2]).read()
assert "```\n" + want + "```" in readme, want
PY
grep -q 'sluice" -c "$conf" clients --url' "$SL_SOURCE_DIR/contrib/run.sh" || sl_fail "run.sh does not print sluice clients"
grep -Eq 'DatabaseMirror|PrivateMirror|deb \[signed-by' "$SL_SOURCE_DIR/contrib/run.sh" && sl_fail "run.sh keeps its own copy of a client snippet"
echo "admin syncd state: ok"
