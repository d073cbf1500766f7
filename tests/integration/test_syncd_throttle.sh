#!/usr/bin/env bash
# syncd throttling, measured at the upstream: the global bandwidth cap held by one sync (±10 % over a 20 MiB
# transfer at 4 MiB/s, the issue's figure) and by two syncs running in parallel in two processes (their
# sum), a per-source cap, and request_interval between every two requests to one host, also when two
# sources on that host are synced by two processes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/syncd_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup

MiB=1048576
sl_start_upstream '{}'
up=$SL_UPSTREAM_ROOT
syncd_deb big $((20 * MiB))
syncd_repo "$up/one"
syncd_deb biga $((10 * MiB))
syncd_repo "$up/a"
syncd_deb bigb $((10 * MiB))
syncd_repo "$up/b"
syncd_deb small1 2000
syncd_deb small2 2000
syncd_deb small3 2000
syncd_repo "$up/s"

# Prints the time (Unix s, float) at which every object named on the command line is in the store.
objects_done() {
	python3 - "$1/store/objects" "${@:2}" <<'EOF'
import os, sys, time
root, pending, last = sys.argv[1], set(sys.argv[2:]), 0.0
deadline = time.time() + 120
while pending and time.time() < deadline:
    for s in list(pending):
        if os.path.exists(os.path.join(root, s[:2], s)):
            last = time.time()
            pending.discard(s)
    time.sleep(0.005)
print(last if not pending else 0)
EOF
}

# First arrival time of a GET for PATH at upstream.py.
arrival() {
	python3 - "$SL_UPSTREAM_LOG" "$1" <<'EOF'
import json, sys
ts = [json.loads(l)["t"] for l in open(sys.argv[1]) if json.loads(l)["path"] == sys.argv[2]]
print(min(ts) if ts else 0)
EOF
}

# check_rate WHAT BYTES T0 T1 CAP: the average rate over [T0, T1] within ±10 % of CAP.
check_rate() {
	python3 - "$@" <<'EOF'
import sys
what, size, t0, t1, cap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
assert t0 > 0 and t1 > t0, f"{what}: no measurement (t0={t0}, t1={t1})"
rate = size / (t1 - t0)
print(f"{what}: {size} bytes in {t1 - t0:.2f} s = {rate / 1048576:.2f} MiB/s (cap {cap / 1048576:.2f} MiB/s)")
assert 0.9 * cap <= rate <= 1.1 * cap, f"{what}: rate {rate:.0f} B/s is not within 10 % of {cap} B/s"
EOF
}

# ---- one source, global cap 4 MiB/s, a 20 MiB file.
state=$SL_TMP/state1 conf=$SL_TMP/one.conf
syncd_conf "$conf" "$state" "bandwidth = 4M"
syncd_source "$conf" one "http://127.0.0.1:$SL_UPSTREAM_PORT/one/" big
deb=$(syncd_deb_path "$up/one" big)
sha=$(syncd_sha "$up/one/$deb")
size=$(stat -c %s "$up/one/$deb")
objects_done "$state" "$sha" >"$SL_TMP/t1" &
poller=$!
"$SL_ADMIN" -c "$conf" sync one
wait "$poller"
check_rate "global cap, one sync" "$size" "$(arrival "/one/$deb")" "$(cat "$SL_TMP/t1")" $((4 * MiB))

# ---- two sources on two hosts (127.0.0.1 and localhost), run in parallel by the daemon in two processes:
# together they hold the global cap.
state=$SL_TMP/state2 conf=$SL_TMP/two.conf
syncd_conf "$conf" "$state" "bandwidth = 4M
max_parallel_sources = 2"
syncd_source "$conf" a "http://127.0.0.1:$SL_UPSTREAM_PORT/a/" biga
syncd_source "$conf" b "http://localhost:$SL_UPSTREAM_PORT/b/" bigb
deba=$(syncd_deb_path "$up/a" biga) debb=$(syncd_deb_path "$up/b" bigb)
sizea=$(stat -c %s "$up/a/$deba") sizeb=$(stat -c %s "$up/b/$debb")
objects_done "$state" "$(syncd_sha "$up/a/$deba")" >"$SL_TMP/ta" &
pa=$!
objects_done "$state" "$(syncd_sha "$up/b/$debb")" >"$SL_TMP/tb" &
pb=$!
"$SL_SYNCD" -c "$conf" --once 2>"$SL_TMP/two.log" || { cat "$SL_TMP/two.log"; sl_fail "syncd --once failed"; }
wait "$pa" "$pb"
ta0=$(arrival "/a/$deba") tb0=$(arrival "/b/$debb") ta1=$(cat "$SL_TMP/ta") tb1=$(cat "$SL_TMP/tb")
python3 - "$ta0" "$ta1" "$tb0" "$tb1" <<'EOF' || sl_fail "the two syncs did not overlap: nothing measured"
import sys
a0, a1, b0, b1 = map(float, sys.argv[1:])
assert a0 < b1 and b0 < a1, (a0, a1, b0, b1)
EOF
t0=$(python3 -c "print(min($ta0, $tb0))") t1=$(python3 -c "print(max($ta1, $tb1))")
check_rate "global cap, two syncs in parallel" $((sizea + sizeb)) "$t0" "$t1" $((4 * MiB))

# ---- a per-source cap (2 MiB/s) under no global cap.
state=$SL_TMP/state3 conf=$SL_TMP/src.conf
syncd_conf "$conf" "$state" ""
syncd_source "$conf" a "http://127.0.0.1:$SL_UPSTREAM_PORT/a/" biga "bandwidth = 2M"
: >"$SL_UPSTREAM_LOG"
objects_done "$state" "$(syncd_sha "$up/a/$deba")" >"$SL_TMP/tc" &
pc=$!
"$SL_ADMIN" -c "$conf" sync a
wait "$pc"
check_rate "per-source cap" "$sizea" "$(arrival "/a/$deba")" "$(cat "$SL_TMP/tc")" $((2 * MiB))

# ---- request_interval = 1s: two sources on one host, started together by the daemon, never send two
# requests less than a second apart (one process after the other, the interval handed over).
state=$SL_TMP/state4 conf=$SL_TMP/iv.conf
syncd_conf "$conf" "$state" "request_interval = 1s
max_parallel_sources = 2"
syncd_source "$conf" s1 "http://127.0.0.1:$SL_UPSTREAM_PORT/s/" "small1 small2"
syncd_source "$conf" s2 "http://127.0.0.1:$SL_UPSTREAM_PORT/s/" "small3"
: >"$SL_UPSTREAM_LOG"
"$SL_SYNCD" -c "$conf" --once 2>"$SL_TMP/iv.log" || { cat "$SL_TMP/iv.log"; sl_fail "syncd --once failed"; }
"$SL_ADMIN" -c "$conf" --json pending | python3 -c '
import json, sys
assert len(json.load(sys.stdin)) == 2, "both sources should have a pending snapshot"'
python3 - "$SL_UPSTREAM_LOG" <<'EOF'
import json, sys
ts = sorted(json.loads(l)["t"] for l in open(sys.argv[1]))
assert len(ts) >= 6, f"only {len(ts)} requests"
gaps = [b - a for a, b in zip(ts, ts[1:])]
print(f"{len(ts)} requests, smallest gap {min(gaps):.3f} s")
# The interval runs from the moment a request is sent; the server stamps arrival when its handler thread
# runs, which a loaded machine delays by tens of ms. Without the interval these gaps are milliseconds.
assert min(gaps) >= 0.8, f"requests {min(gaps):.3f} s apart under request_interval = 1s"
EOF
echo "syncd throttle: ok"
