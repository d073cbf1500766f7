#!/bin/bash
# test_served: the real sluice-served binary on a free loopback port with a temporary config and state
# dir: routes checked with curl, SIGHUP log reopening, SIGTERM exit, then 500 concurrent keep-alive
# connections for 10 s with wrk, which must see no socket error and no non-2xx answer.
set -euo pipefail

BUILD=${SL_BUILD_DIR:?SL_BUILD_DIR not set}
BIN=$BUILD/served/sluice-served
[ -x "$BIN" ] || { echo "SKIP: $BIN not built"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
command -v wrk >/dev/null || { echo "SKIP: wrk missing"; exit 77; }

TMP=$(mktemp -d /tmp/sl-served-it-XXXXXX)
PID=
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$TMP/served.err" ] && tail -n 20 "$TMP/served.err" >&2; exit 1; }

# A free port: bind 0, read it back, release it (the server binds it right after).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- published tree, laid out as the publisher does --------------------------------------------------
STATE=$TMP/state
GEN=$STATE/public/.gen/apt-deb-1
mkdir -p "$GEN/dists/bookworm/main/binary-amd64" "$GEN/pool/main/h/hello" "$STATE/public/apt" \
	"$STATE/public/clamav" "$STATE/public/.gen/clamav-av-1" "$STATE/public/keys" "$TMP/log"
printf 'Origin: sluice-test\nSuite: bookworm\n' >"$GEN/dists/bookworm/InRelease"
head -c 100000 /dev/urandom >"$GEN/pool/main/h/hello/hello_1.0_amd64.deb"
head -c 4096 /dev/urandom >"$STATE/public/.gen/clamav-av-1/daily.cvd"
printf 'secret\n' >"$GEN/.hidden"
printf 'SECRET\n' >"$STATE/outside.txt"
printf -- '-----BEGIN PGP PUBLIC KEY BLOCK-----\n' >"$STATE/public/keys/sluice.asc"
ln -s ../.gen/apt-deb-1 "$STATE/public/apt/deb"
ln -s ../.gen/clamav-av-1 "$STATE/public/clamav/av"
: >"$TMP/keyring.gpg"

PORT=$(free_port)
USER_LINE=
if [ "$(id -u)" = 0 ]; then
	# served refuses to run as root: it binds, then drops to this user, who must read the tree.
	USER_LINE="user = nobody"
	chmod 0755 "$TMP"
	chmod -R a+rX "$STATE" "$TMP/keyring.gpg"
	chmod 1777 "$TMP/log"
fi
cat >"$TMP/sluice.conf" <<EOF
[sluice]
state_dir = $STATE

[served]
listen = 127.0.0.1:$PORT
threads = 2
max_connections = 2000
max_connections_per_ip = 1000
access_log = $TMP/log/access.log
$USER_LINE

[source deb]
type = apt
url = http://127.0.0.1:9/debian
suites = bookworm
keyring = $TMP/keyring.gpg

[source av]
type = clamav
url = http://127.0.0.1:9/clamav
EOF

# --- -n: configuration check ---------------------------------------------------------------------------
"$BIN" -c "$TMP/sluice.conf" -n >/dev/null || fail "-n rejects a valid config: $("$BIN" -c "$TMP/sluice.conf" -n 2>&1)"
printf '[served]\nlisten = 127.0.0.1:%s\nbogus = 1\n' "$PORT" >"$TMP/bad.conf"
if out=$("$BIN" -c "$TMP/bad.conf" -n 2>&1); then fail "-n accepted an unknown key"; fi
echo "$out" | grep -q "bad.conf:3" || fail "-n message lacks file:line: $out"

if [ "$(id -u)" = 0 ]; then
	grep -v '^user = ' "$TMP/sluice.conf" >"$TMP/root.conf"
	if out=$("$BIN" -c "$TMP/root.conf" -f 2>&1 </dev/null); then fail "served ran as root without [served] user"; fi
	echo "$out" | grep -q "refusing to serve as root" || fail "root refusal message: $out"
fi

# --- start ---------------------------------------------------------------------------------------------
"$BIN" -c "$TMP/sluice.conf" -f >"$TMP/served.out" 2>"$TMP/served.err" &
PID=$!
for _ in $(seq 100); do
	grep -q '^serving on ' "$TMP/served.out" 2>/dev/null && break
	kill -0 "$PID" 2>/dev/null || fail "sluice-served exited at start"
	sleep 0.1
done
grep -q "^serving on http://127.0.0.1:$PORT/\$" "$TMP/served.out" || fail "no 'serving on' line"
BASE=http://127.0.0.1:$PORT

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

[ "$(code "$BASE/apt/deb/dists/bookworm/InRelease")" = 200 ] || fail "InRelease"
# Bodies are read whole before grep: `curl | grep -q` under pipefail fails when grep exits on its match
# before curl's last write (SIGPIPE, curl exits 23), a flake once the body spans several writes.
body() { curl -s "$1" >"$TMP/body" || true; }
body "$BASE/apt/deb/dists/bookworm/InRelease"
grep -q '^Suite: bookworm$' "$TMP/body" || fail "InRelease body"
curl -s "$BASE/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb" | cmp -s - "$GEN/pool/main/h/hello/hello_1.0_amd64.deb" ||
	fail "deb bytes differ"
hdrs=$(curl -s -D - -o /dev/null "$BASE/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb")
echo "$hdrs" | grep -qi '^content-type: application/vnd.debian.binary-package' || fail "deb content type"
echo "$hdrs" | grep -qi '^cache-control: public, max-age=31536000, immutable' || fail "deb cache-control"
[ "$(code -r 0-99 "$BASE/clamav/av/daily.cvd")" = 206 ] || fail "range"
[ "$(curl -s -r 0-99 "$BASE/clamav/av/daily.cvd" | wc -c)" = 100 ] || fail "range length"
[ "$(code "$BASE/keys/sluice.asc")" = 200 ] || fail "key"
[ "$(code "$BASE/apt/deb/missing")" = 404 ] || fail "missing file"
[ "$(code --path-as-is "$BASE/apt/deb/../../../outside.txt")" = 400 ] || fail "traversal"
[ "$(code --path-as-is "$BASE/apt/deb/%2e%2e/%2e%2e/%2e%2e/outside.txt")" = 400 ] || fail "encoded traversal"
[ "$(code "$BASE/apt/deb/.hidden")" = 400 ] || fail "dot file"
[ "$(code -X POST "$BASE/apt/deb/dists/bookworm/InRelease")" = 405 ] || fail "POST"
[ "$(code -I "$BASE/apt/deb/dists/bookworm/InRelease")" = 200 ] || fail "HEAD"
h=$(code "$BASE/healthz")
[ "$h" = 200 ] || [ "$h" = 503 ] || fail "healthz answered $h"
body "$BASE/"
grep -q "deb \[signed-by=/etc/apt/keyrings/sluice.asc\] $BASE/apt/deb bookworm main" "$TMP/body" ||
	fail "status page snippet"
body "$BASE/metrics"
grep -q '^sluice_http_requests_total{route="apt",code="200"} [1-9]' "$TMP/body" || fail "metrics"

# --- SIGHUP reopens the access log ---------------------------------------------------------------------
grep -q '"GET /apt/deb/dists/bookworm/InRelease HTTP/1.1" 200 ' "$TMP/log/access.log" || fail "access log line"
mv "$TMP/log/access.log" "$TMP/log/access.log.1"
kill -HUP "$PID"
for _ in $(seq 50); do
	curl -s -o /dev/null "$BASE/keys/sluice.asc"
	[ -s "$TMP/log/access.log" ] && break
	sleep 0.1
done
grep -q '"GET /keys/sluice.asc HTTP/1.1" 200 ' "$TMP/log/access.log" || fail "no log after SIGHUP"
kill -0 "$PID" || fail "SIGHUP killed the server"

# --- 500 concurrent keep-alive connections ---------------------------------------------------------------
[ "$(ulimit -n)" -ge 4096 ] || ulimit -n 4096 2>/dev/null || { echo "SKIP: ulimit -n too low for 500 connections"; exit 77; }
# No rate threshold: a loaded 2-core CI machine may be slow, but never wrong. wrk's own 2 s per-request
# timeout would count a slow answer as a socket error, so it gets the server's idle timeout instead.
wrk -c 500 -t 2 -d 10s --timeout 30s "$BASE/apt/deb/dists/bookworm/InRelease" >"$TMP/wrk.out" 2>&1 &
wait $! || fail "wrk failed: $(cat "$TMP/wrk.out")"
cat "$TMP/wrk.out"
if grep -q 'Socket errors' "$TMP/wrk.out"; then fail "wrk saw socket errors"; fi
if grep -q 'Non-2xx or 3xx responses' "$TMP/wrk.out"; then
	grep -v '" 200 ' "$TMP/log/access.log" | tail -n 5 >&2 || true
	fail "wrk saw non-2xx answers"
fi
rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.out")
total=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
[ -n "$rps" ] && [ "${total:-0}" -gt 0 ] || fail "cannot parse wrk output"
echo "served: $total requests, $rps requests/s with 500 keep-alive connections"
kill -0 "$PID" || fail "server died under load"

# --- SIGTERM: clean exit -------------------------------------------------------------------------------
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
echo "1 passed, 0 failed"
