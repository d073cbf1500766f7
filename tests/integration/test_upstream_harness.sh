#!/bin/bash
# test_upstream_harness: lib.sh, nginx and upstream.py start, serve what the other tests rely on (ETag,
# Range, scripted statuses, the request log), and are cleaned up on success, failure and SIGTERM.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || sl_skip "curl is not installed"
C=(curl -sS --noproxy '*' --max-time 10)

# ---- nginx ----
mkdir -p "$SL_TMP/www/dists"
head -c 100000 /dev/urandom >"$SL_TMP/www/dists/Release"
sl_start_nginx "$SL_TMP/www"
url=http://127.0.0.1:$SL_NGINX_PORT/dists/Release
"${C[@]}" -o "$SL_TMP/got" "$url"
cmp "$SL_TMP/got" "$SL_TMP/www/dists/Release" || sl_fail "nginx served different bytes"
etag=$("${C[@]}" -D - -o /dev/null "$url" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
[ -n "$etag" ] || sl_fail "nginx sent no ETag"
code=$("${C[@]}" -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url")
[ "$code" = 304 ] || sl_fail "conditional request gave $code, not 304"
code=$("${C[@]}" -o "$SL_TMP/part" -w '%{http_code}' -r 99000- "$url")
[ "$code" = 206 ] && [ "$(stat -c %s "$SL_TMP/part")" = 1000 ] || sl_fail "Range gave $code"
[ -s "$SL_NGINX_DIR/access.log" ] || sl_fail "nginx access log is empty"

# ---- upstream.py ----
sl_start_upstream '{"/busy": {"status": 503, "retry_after": "120"},
                    "/flaky": {"sequence": [{"status": 500}, {}]}}'
echo hello >"$SL_UPSTREAM_ROOT/flaky"
base=http://127.0.0.1:$SL_UPSTREAM_PORT
hdr=$("${C[@]}" -D - -o /dev/null "$base/busy" | tr -d '\r')
grep -q '^HTTP/1.1 503' <<<"$hdr" || sl_fail "scripted 503 missing: $hdr"
grep -qi '^Retry-After: 120$' <<<"$hdr" || sl_fail "Retry-After missing: $hdr"
[ "$("${C[@]}" -o /dev/null -w '%{http_code}' "$base/flaky")" = 500 ] || sl_fail "sequence step 1"
[ "$("${C[@]}" "$base/flaky")" = hello ] || sl_fail "sequence step 2"
[ "$("${C[@]}" -o /dev/null -w '%{http_code}' "$base/flaky?status=429")" = 429 ] || sl_fail "query override"
# A truncated body is an error for the client.
head -c 50000 /dev/urandom >"$SL_UPSTREAM_ROOT/big"
if "${C[@]}" -o /dev/null "$base/big?truncate_after=1000" 2>/dev/null; then
	sl_fail "truncated body was not noticed"
fi
[ "$(sl_upstream_count /flaky)" = 3 ] || sl_fail "request log has $(sl_upstream_count /flaky) /flaky entries"
sl_upstream_script '{"/busy": {}}'
echo ok >"$SL_UPSTREAM_ROOT/busy"
[ "$("${C[@]}" "$base/busy")" = ok ] || sl_fail "script was not reloaded"

port=$(sl_free_port)
[[ "$port" =~ ^[0-9]+$ ]] || sl_fail "sl_free_port printed '$port'"

# ---- cleanup, also when a test fails or is killed ----
inner=$SL_TMP/inner.sh
cat >"$inner" <<EOF
. "$SL_LIB_DIR/lib.sh"
mkdir -p "\$SL_TMP/w"
sl_start_nginx "\$SL_TMP/w"
sl_start_upstream
{ echo "\$SL_TMP"; echo "\${SL_PIDS[@]}"; ps -o pid= --ppid "\${SL_PIDS[0]}"; } >"$SL_TMP/inner.\$1"
[ "\$1" = fail ] && sl_fail "failing on purpose"
sleep 60 &
wait \$!
EOF
check_gone() {
	local what=$1 dir pids
	dir=$(sed -n 1p "$SL_TMP/inner.$what")
	pids=$(sed -n '2,$p' "$SL_TMP/inner.$what")
	[ ! -e "$dir" ] || sl_fail "$what: temp dir $dir left behind"
	for p in $pids; do
		! kill -0 "$p" 2>/dev/null || sl_fail "$what: process $p still running"
	done
}
rc=0
SL_TEST_NAME=inner bash "$inner" fail 2>/dev/null || rc=$?
[ "$rc" = 1 ] || sl_fail "inner failing test exited $rc"
check_gone fail

bash "$inner" term 2>/dev/null &
ipid=$!
for _ in $(seq 200); do
	[ -s "$SL_TMP/inner.term" ] && break
	sleep 0.05
done
[ -s "$SL_TMP/inner.term" ] || sl_fail "inner test did not start its servers"
kill -TERM "$ipid"
rc=0
wait "$ipid" || rc=$?
[ "$rc" = 143 ] || sl_fail "inner test killed by TERM exited $rc"
check_gone term
sl_log "ok"
