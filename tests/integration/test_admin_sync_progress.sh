#!/usr/bin/env bash
# `sluice sync` on a terminal shows what is actually transferred: files already in the store are not
# counted as fetched, and a large throttled download shows its bytes while it arrives (not only when it
# completes). Run under script(1) for a real terminal; every redraw of the line is checked.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/syncd_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup
command -v script >/dev/null || sl_skip "script(1) missing (bsdutils)"

MiB=1048576
sl_start_upstream '{}'
up=$SL_UPSTREAM_ROOT
syncd_deb tiny 3000
syncd_deb small 5000
mkdir -p "$SL_TMP/keep"
cp "$APT_DEBS"/*.deb "$SL_TMP/keep/"
syncd_repo "$up/r"
state=$SL_TMP/state conf=$SL_TMP/sluice.conf
syncd_conf "$conf" "$state" "bandwidth = 1M"
syncd_source "$conf" r "http://127.0.0.1:$SL_UPSTREAM_PORT/r/" "tiny small huge"
sed -i 's/^packages = .*/packages = tiny small/' "$conf"
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
S sync r >/dev/null 2>&1 || sl_fail "first sync failed"

# The same two files (already in the store) and a new large one.
cp "$SL_TMP/keep/"*.deb "$APT_DEBS/"
syncd_deb huge $((3 * MiB))
sleep 1   # a Release Date later than the first one
syncd_repo "$up/r"
sed -i 's/^packages = .*/packages = tiny small huge/' "$conf"
log_before=$(wc -l <"$SL_UPSTREAM_LOG")
script -qefc "'$SL_ADMIN' -c '$conf' sync r" "$SL_TMP/tty.log" >/dev/null 2>&1 ||
	sl_fail "sync on a terminal failed: $(tr '\r' '\n' <"$SL_TMP/tty.log")"
python3 - "$SL_TMP/tty.log" "$SL_UPSTREAM_LOG" "$log_before" <<'PY' || sl_fail "progress display: see above"
import json, re, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
frames = [f.replace("\x1b[K", "").strip() for f in re.split(r"[\r\n]+", raw)]
frames = [f for f in frames if re.match(r"(pool: .*; )?fetched ", f)]
print("\n".join(frames[-6:]))
# While the large file arrives, its own progress is shown: several partial sizes, each below the whole.
partial = {m.group(1) for f in frames for m in [re.search(r"huge_1\.0_all\.deb ([0-9.]+ [KM]iB)/3 MiB", f)] if m}
partial.discard("3 MiB")
assert len(partial) >= 3, f"the large download's progress was not shown while it arrived: {sorted(partial)}"
# What was transferred, as the upstream saw it: the two files already in the store were not requested
# and are not counted; every file body that was downloaded (the index and the large file) is.
reqs = [json.loads(l) for l in open(sys.argv[2]).readlines()[int(sys.argv[3]):]]
bodies = [r["path"] for r in reqs if r["method"] == "GET" and not re.search(r"/(In)?Release(\.gpg)?$", r["path"])]
assert not [p for p in bodies if "/tiny/" in p or "/small/" in p], bodies
last = frames[-1]
want = f"pool: 3 files needed; fetched {len(bodies)} file{'' if len(bodies) == 1 else 's'}, "
assert last.startswith(want), f"final counts: {last!r}, want {want!r} ({bodies})"
m = re.search(r"fetched \d+ files?, ([0-9.]+) ([KM]iB)", last)
assert m and m.group(2) == "MiB" and 3.0 <= float(m.group(1)) < 3.2, f"bytes received: {last!r}"
assert not re.search(r"\b3/3 files\b", raw), "files in the store counted as done"
PY
echo "admin sync progress: ok"
