#!/bin/bash
# test_served_hardening: sluice-served's HTTP edge against hostile clients (issue 17 items 1-6), with the
# real binary on a free loopback port and raw-socket clients (served_edge.py): oversized-cookie requests
# leave nothing in flight, slow heads are cut at header_timeout, a server full of downloads answers 503,
# one full of slow heads makes room, oversized and malformed heads get 431/400, and the access log says
# why. Also --help, --version and the root checks of -n and of a syslog start.
set -euo pipefail

BUILD=${SL_BUILD_DIR:?SL_BUILD_DIR not set}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$BUILD/served/sluice-served
[ -x "$BIN" ] || { echo "SKIP: $BIN not built"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

TMP=$(mktemp -d /tmp/sl-served-edge-XXXXXX)
PID=
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

FAILED=0
fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

STATE=$TMP/state
GEN=$STATE/public/.gen/apt-deb-1
mkdir -p "$GEN/dists/stable" "$STATE/public/apt" "$TMP/log"
printf 'Origin: sluice-test\nSuite: stable\n' >"$GEN/dists/stable/InRelease"
mkdir -p "$GEN/pool"
# Beyond loopback socket buffers: a client that does not read keeps its download in progress.
head -c $((64 << 20)) /dev/zero >"$GEN/pool/big.deb"
ln -s ../.gen/apt-deb-1 "$STATE/public/apt/deb"
: >"$TMP/keyring.gpg"

PORT=$(free_port)
USER_LINE=
if [ "$(id -u)" = 0 ]; then
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
max_connections = 8
max_connections_per_ip = 1000
connection_timeout = 30s
header_timeout = 3s
access_log = $TMP/log/access.log
$USER_LINE

[source deb]
type = apt
url = http://127.0.0.1:9/debian
suites = stable
keyring = $TMP/keyring.gpg
EOF

# --- item 6: --help, --version, root checks ------------------------------------------------------------
out=$("$BIN" --help 2>&1) || fail "6: --help exits non-zero: $out"
echo "$out" | grep -q '^usage: sluice-served' || fail "6: --help prints no usage: $out"
out=$("$BIN" --version 2>&1) || fail "6: --version exits non-zero: $out"
echo "$out" | grep -Eq '^sluice-served [0-9]' || fail "6: --version prints '$out'"
if [ "$(id -u)" = 0 ]; then
	grep -v '^user = ' "$TMP/sluice.conf" >"$TMP/root.conf"
	if out=$("$BIN" -c "$TMP/root.conf" -n 2>&1); then fail "6: -n as root without [served] user says ok: $out"; fi
	echo "$out" | grep -q "refusing to serve as root" || fail "6: -n as root: '$out'"
	# Without -f the daemon logs to syslog; the refusal must reach the terminal too.
	if out=$("$BIN" -c "$TMP/root.conf" 2>&1 </dev/null); then fail "6: started as root without [served] user"; fi
	echo "$out" | grep -q "refusing to serve as root" || fail "6: syslog start as root: nothing on stderr: '$out'"
else
	echo "note: not root, the root checks of item 6 are skipped"
fi

# --- the server ----------------------------------------------------------------------------------------
"$BIN" -c "$TMP/sluice.conf" -f >"$TMP/served.out" 2>"$TMP/served.err" &
PID=$!
for _ in $(seq 100); do
	grep -q '^serving on ' "$TMP/served.out" 2>/dev/null && break
	kill -0 "$PID" 2>/dev/null || { cat "$TMP/served.err" >&2; echo "FAIL: sluice-served exited at start"; exit 1; }
	sleep 0.1
done

# Items 1-5, one check at a time so that a failing one does not hide the next.
for check in leak slow reserve oversize strict; do
	python3 "$HERE/served_edge.py" "$PORT" "$TMP/log/access.log" "$check" || FAILED=$((FAILED + 1))
	kill -0 "$PID" 2>/dev/null || { fail "sluice-served died during '$check'"; PID=; break; }
done
if [ -n "$PID" ]; then
	python3 "$HERE/served_edge.py" "$PORT" "$TMP/log/access.log" log gauge || FAILED=$((FAILED + 1))
	kill -TERM "$PID"
	rc=0
	wait "$PID" || rc=$?
	PID=
	[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
	if grep -q "requests still in flight" "$TMP/served.err"; then fail "1: SIGTERM found requests still in flight"; fi
fi

if [ "$FAILED" -gt 0 ]; then
	echo "--- access log (last 15 lines)" >&2
	tail -n 15 "$TMP/log/access.log" >&2 || true
	echo "$FAILED check(s) failed"
	exit 1
fi
echo "1 passed, 0 failed"
