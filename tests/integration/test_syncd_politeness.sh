#!/usr/bin/env bash
# syncd politeness against a scripted upstream (upstream.py): a short Retry-After is waited out; 5xx are
# retried with backoff; a long 429 Retry-After becomes a cool-down that is persisted, shown by
# `sluice sources`, moves the next run, and is honoured after a daemon restart and by `sluice sync`; a
# permanent error (403 on a file the signed index promises) fails without a retry loop; a stalled upstream
# is cut by the low-speed timeout; proxies (global, per source, environment) and the User-Agent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/syncd_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY all_proxy ALL_PROXY

sl_start_upstream '{}'
up=$SL_UPSTREAM_ROOT
syncd_deb tiny 3000
syncd_deb mid 300000
syncd_repo "$up/p"
base=http://127.0.0.1:$SL_UPSTREAM_PORT/p/
mid=/p/$(syncd_deb_path "$up/p" mid)
inrel=/p/dists/stable/InRelease
n=0
# fresh [SYNCD_LINES] [SOURCE_LINES] [URL]: a new state dir and configuration -> $conf, $state
fresh() {
	n=$((n + 1))
	state=$SL_TMP/state$n conf=$SL_TMP/c$n.conf
	syncd_conf "$conf" "$state" "${1:-}"
	syncd_source "$conf" p "${3:-$base}" "tiny mid" "${2:-}"
	mark=$(wc -l <"$SL_UPSTREAM_LOG")
}
# upstream.py numbers a path's requests since it started, and sequences follow that number: pad a
# sequence with as many plain answers as PATH already had.
pad() {
	python3 - "$SL_UPSTREAM_LOG" "$1" <<'EOF'
import json, sys
k = sum(json.loads(l)["path"] == sys.argv[2] for l in open(sys.argv[1]))
print("{}, " * k)
EOF
}
since_mark() { tail -n +$((mark + 1)) "$SL_UPSTREAM_LOG"; }
# count PATH: requests for PATH since the last fresh
count() {
	since_mark | python3 -c 'import json,sys; print(sum(json.loads(l)["path"] == sys.argv[1] for l in sys.stdin))' "$1"
}
S() { "$SL_ADMIN" -c "$conf" "$@"; }
times() {   # PATH: arrival times of requests for PATH
	since_mark | python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["t"]) for l in sys.stdin if json.loads(l)["path"] == sys.argv[1]))' "$1"
}

# ---- 503 with Retry-After: 2 is waited out (inline), then the sync succeeds.
fresh
sl_upstream_script "{\"$inrel\": {\"sequence\": [$(pad "$inrel"){\"status\": 503, \"retry_after\": \"2\"}, {}]}}"
S sync p >"$SL_TMP/ra.out" 2>&1 || { cat "$SL_TMP/ra.out"; sl_fail "sync after a short Retry-After failed"; }
python3 - $(times "$inrel") <<'EOF'
import sys
t = list(map(float, sys.argv[1:]))
assert len(t) == 2, f"{len(t)} InRelease requests, expected 2"
assert t[1] - t[0] >= 1.95, f"retried after {t[1] - t[0]:.2f} s despite Retry-After: 2"
EOF

# ---- 500, 502 then 200: transient errors retried with backoff, the run succeeds.
fresh "retries = 3"
sl_upstream_script "{\"$mid\": {\"sequence\": [$(pad "$mid"){\"status\": 500}, {\"status\": 502}, {}]}}"
S sync p >"$SL_TMP/5xx.out" 2>&1 || { cat "$SL_TMP/5xx.out"; sl_fail "sync with transient 5xx failed"; }
[ "$(count "$mid")" = 3 ] || sl_fail "expected 3 requests for the flaky file, got $(count "$mid")"

# ---- 403 on a pool file is permanent for APT: the run fails with the reason, one request, no loop.
fresh "retries = 3"
sl_upstream_script "{\"$mid\": {\"status\": 403}}"
rc=0
S sync p >"$SL_TMP/403.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || sl_fail "sync succeeded despite a 403 on a promised file"
grep -q '403' "$SL_TMP/403.out" || { cat "$SL_TMP/403.out"; sl_fail "no 403 in the failure"; }
[ "$(count "$mid")" = 1 ] || sl_fail "a 403 was retried ($(count "$mid") requests)"

# ---- a stalled upstream: cut by the low-speed timeout (2 s), retried once, then the run fails.
fresh "low_speed_time = 2s
low_speed_limit = 1K
retries = 1"
sl_upstream_script "{\"$mid\": {\"stall_after\": 1000, \"stall\": 600}}"
rc=0
timeout 120 "$SL_ADMIN" -c "$conf" sync p >"$SL_TMP/stall.out" 2>&1 || rc=$?
[ $rc -ne 124 ] || sl_fail "the stalled transfer was not aborted (sync still running after 120 s)"
[ $rc -ne 0 ] || sl_fail "sync succeeded although the upstream stalled"
grep -Eqi 'timed? ?out|too slow|low.speed' "$SL_TMP/stall.out" || { cat "$SL_TMP/stall.out"; sl_fail "no timeout reason"; }
[ "$(count "$mid")" = 2 ] || sl_fail "expected 1 attempt + 1 retry, got $(count "$mid")"
[ "$(syncd_json "$conf" 's[0]["last_outcome"]')" = failed ] || sl_fail "run not recorded as failed"

# ---- 429 with Retry-After: 3600 -> cool-down of the host, persisted, visible, honoured after a restart.
fresh "" "every = 10m"
sl_upstream_script "{\"$inrel\": {\"status\": 429, \"retry_after\": \"3600\"}}"
syncd_start "$SL_TMP/d1.log" -c "$conf"
for _ in $(seq 200); do
	[ "$(syncd_json "$conf" 's[0]["last_outcome"]')" = failed ] && break
	sleep 0.1
done
[ "$(syncd_json "$conf" 's[0]["last_outcome"]')" = failed ] || { cat "$SL_TMP/d1.log"; sl_fail "no failed run after the 429"; }
now=$(date +%s)
cool=$(syncd_json "$conf" 's[0]["cooldown_until"]')
next=$(syncd_json "$conf" 's[0]["next_run_at"]')
[ "$cool" -ge $((now + 3500)) ] || sl_fail "cool-down until $cool, expected about now + 3600"
[ "$next" -gt "$cool" ] || sl_fail "next run ($next) is not after the cool-down ($cool)"
S sources | grep -q "cool-down   127.0.0.1 until" || { S sources; sl_fail "sluice sources does not show the cool-down"; }
before=$(wc -l <"$SL_UPSTREAM_LOG")
[ "$((before - mark))" = 1 ] || sl_fail "the 429 host got $((before - mark)) requests, expected 1"
kill -TERM "$SYNCD_PID"
wait "$SYNCD_PID" || sl_fail "syncd did not exit cleanly"
sl_upstream_script '{}'
# A restart must not contact the host, nor may `sluice sync`.
syncd_start "$SL_TMP/d2.log" -c "$conf"
sl_wait_for_line "$SL_TMP/d2.log" "started with"
rc=0
S sync p >"$SL_TMP/cool.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || sl_fail "sluice sync bypassed the cool-down"
grep -qi 'cool' "$SL_TMP/cool.out" || { cat "$SL_TMP/cool.out"; sl_fail "sluice sync does not say the host cools down"; }
sleep 6   # more than one scheduler tick of the restarted daemon
[ "$(wc -l <"$SL_UPSTREAM_LOG")" = "$before" ] || { cat "$SL_UPSTREAM_LOG"; sl_fail "the cooling host was contacted after a restart"; }
grep -q "sync started" "$SL_TMP/d2.log" && sl_fail "the restarted daemon started a sync during the cool-down"
kill -TERM "$SYNCD_PID"
wait "$SYNCD_PID" || true

# ---- 403 from a ClamAV upstream means a ban: a 24 h cool-down (as freshclam), persisted, never bypassed.
n=$((n + 1))
state=$SL_TMP/state$n conf=$SL_TMP/c$n.conf
syncd_conf "$conf" "$state" ""
cat >>"$conf" <<EOF
[source clam]
type = clamav
url = http://127.0.0.1:$SL_UPSTREAM_PORT/c
databases = test
every = 1h
EOF
mark=$(wc -l <"$SL_UPSTREAM_LOG")
sl_upstream_script '{"/c/test.cvd": {"status": 403}, "/c/test.cld": {"status": 403}}'
syncd_start "$SL_TMP/d3.log" -c "$conf"
for _ in $(seq 200); do
	[ "$(syncd_json "$conf" 's[0]["last_outcome"]')" = failed ] && break
	sleep 0.1
done
[ "$(syncd_json "$conf" 's[0]["last_outcome"]')" = failed ] || { cat "$SL_TMP/d3.log"; sl_fail "no failed run after the 403"; }
cool=$(syncd_json "$conf" 's[0]["cooldown_until"]')
[ "$cool" -ge $(($(date +%s) + 23 * 3600)) ] || sl_fail "403 cool-down until $cool, expected about a day"
syncd_json "$conf" 's[0]["cooldown_reason"]' | grep -q 403 || sl_fail "the cool-down does not name the 403"
[ "$(since_mark | wc -l)" = 1 ] || sl_fail "the banned host got $(since_mark | wc -l) requests, expected 1"
kill -TERM "$SYNCD_PID"
wait "$SYNCD_PID" || true
sl_upstream_script '{}'
syncd_start "$SL_TMP/d4.log" -c "$conf"
sl_wait_for_line "$SL_TMP/d4.log" "started with"
sleep 6   # more than one scheduler tick of the restarted daemon
[ "$(since_mark | wc -l)" = 1 ] || sl_fail "the banned host was contacted after a restart"
kill -TERM "$SYNCD_PID"
wait "$SYNCD_PID" || true

# ---- proxies: global, per source, environment; every request carries the User-Agent with the version.
fresh "proxy = http://127.0.0.1:$SL_UPSTREAM_PORT" "" "http://mirror.test.invalid/p/"
S sync p >"$SL_TMP/px1.out" 2>&1 || { cat "$SL_TMP/px1.out"; sl_fail "sync through [syncd] proxy failed"; }
fresh "" "proxy = http://127.0.0.1:$SL_UPSTREAM_PORT" "http://mirror.test.invalid/p/"
S sync p >"$SL_TMP/px2.out" 2>&1 || { cat "$SL_TMP/px2.out"; sl_fail "sync through the source's proxy failed"; }
fresh "" "" "http://mirror.test.invalid/p/"
http_proxy=http://127.0.0.1:$SL_UPSTREAM_PORT S sync p >"$SL_TMP/px3.out" 2>&1 ||
	{ cat "$SL_TMP/px3.out"; sl_fail "sync through http_proxy from the environment failed"; }
since_mark | python3 -c '
import json, sys
uas = {json.loads(l)["user_agent"] for l in sys.stdin}
assert uas and all(u and u.startswith("sluice/") for u in uas), uas
print("user agent:", uas)' 
echo "syncd politeness: ok"
