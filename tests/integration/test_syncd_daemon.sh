#!/usr/bin/env bash
# sluice-syncd as a daemon: -n checks a configuration; a second daemon on one state dir is refused;
# sd_notify READY/RELOADING/STOPPING over a plain datagram socket; SIGHUP with a broken configuration keeps
# the old one, a good one is applied (a new source gets synced); SIGTERM in the middle of a transfer exits
# in under 5 s and leaves the source due; a run longer than its `timeout` is stopped, recorded and retried
# sooner; `approve = auto` publishes through `sluice auto-approve`. As root: [syncd] user drops
# privileges, the signing key is out of reach, and auto-approval goes through the request queue drained
# as the key's owner (the sluice-auto-approve.service command).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/syncd_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup

MiB=1048576
sl_start_upstream '{}'
up=$SL_UPSTREAM_ROOT
syncd_deb small 3000
syncd_repo "$up/s"
syncd_deb big $((20 * MiB))
syncd_repo "$up/b"
url_s=http://127.0.0.1:$SL_UPSTREAM_PORT/s/
url_b=http://localhost:$SL_UPSTREAM_PORT/b/
pending() { "$SL_ADMIN" -c "$1" --json pending | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
wait_pending() {   # CONF N LOG
	local i
	for i in $(seq 300); do
		[ "$(pending "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	cat "$3" >&2
	sl_fail "no $2 pending snapshot(s)"
}
outcome() { syncd_json "$1" "[x for x in s if x['name'] == '$2'][0]['last_outcome']"; }

# ---- -n
conf=$SL_TMP/a.conf state=$SL_TMP/sa
syncd_conf "$conf" "$state" ""
syncd_source "$conf" a "$url_s" small "every = 1h"
"$SL_SYNCD" -n -c "$conf" | grep -q "configuration ok" || sl_fail "-n refused a good configuration"
sed 's/^\[syncd\]$/[syncd]\nbogus_key = 1/' "$conf" >"$SL_TMP/bad.conf"
"$SL_SYNCD" -n -c "$SL_TMP/bad.conf" 2>"$SL_TMP/n.err" && sl_fail "-n accepted an unknown key"
grep -q "bad.conf:[0-9]*:.*bogus_key" "$SL_TMP/n.err" || { cat "$SL_TMP/n.err"; sl_fail "no FILE:LINE for the bad key"; }

# ---- notify socket, first daemon, second daemon refused
python3 - "$SL_TMP/notify.sock" "$SL_TMP/notify.log" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode() + "\n")
EOF
SL_PIDS+=("$!")
syncd_wait_file "$SL_TMP/notify.sock" 10
NOTIFY_SOCKET=$SL_TMP/notify.sock syncd_start "$SL_TMP/d1.log" -c "$conf"
first=$SYNCD_PID
sl_wait_for_line "$SL_TMP/notify.log" "^READY=1$"
wait_pending "$conf" 1 "$SL_TMP/d1.log"
rc=0
"$SL_SYNCD" -f -c "$conf" >"$SL_TMP/d2.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || sl_fail "a second daemon started on the same state dir"
grep -q "another sluice-syncd (pid $first) already uses" "$SL_TMP/d2.log" || { cat "$SL_TMP/d2.log"; sl_fail "unclear refusal"; }
kill -0 "$first" || sl_fail "the first daemon died"

# ---- SIGHUP: a broken file is refused and the old configuration kept; a good one is applied.
cp "$conf" "$SL_TMP/good.conf"
cp "$SL_TMP/bad.conf" "$conf"
kill -HUP "$first"
sl_wait_for_line "$SL_TMP/d1.log" "new configuration refused, keeping the old one: .*bogus_key"
kill -0 "$first" || sl_fail "the daemon died of a broken configuration"
cp "$SL_TMP/good.conf" "$conf"
syncd_source "$conf" a2 "$url_s" small "every = 1h"
kill -HUP "$first"
sl_wait_for_line "$SL_TMP/d1.log" "configuration reloaded from .* \(2 source\(s\)\)"
wait_pending "$conf" 2 "$SL_TMP/d1.log"
grep -q "^RELOADING=1$" "$SL_TMP/notify.log" || sl_fail "no RELOADING=1 notification"
kill -TERM "$first"
wait "$first" || sl_fail "daemon exit status $?"
sl_wait_for_line "$SL_TMP/notify.log" "^STOPPING=1$" 5

# ---- SIGTERM in the middle of a transfer: out in under 5 s; the source stays due and resumes next time.
conf=$SL_TMP/t.conf state=$SL_TMP/st
syncd_conf "$conf" "$state" "bandwidth = 1M"
syncd_source "$conf" big "$url_b" big "every = 1h"
sha=$(syncd_sha "$up/b/$(syncd_deb_path "$up/b" big)")
syncd_start "$SL_TMP/t.log" -c "$conf"
for _ in $(seq 400); do
	[ -f "$state/store/partial/$sha.part" ] && [ "$(stat -c %s "$state/store/partial/$sha.part")" -gt $MiB ] && break
	sleep 0.05
done
[ -f "$state/store/partial/$sha.part" ] || sl_fail "the transfer did not start"
t0=$(date +%s%N)
kill -TERM "$SYNCD_PID"
wait "$SYNCD_PID" || sl_fail "daemon exit status $? after SIGTERM"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "SIGTERM mid-transfer: exited in $ms ms"
[ "$ms" -lt 5000 ] || sl_fail "SIGTERM took $ms ms (limit 5 s)"
[ "$(outcome "$conf" big)" = interrupted ] || sl_fail "the stopped run is not recorded as interrupted"
[ "$(syncd_json "$conf" 's[0]["next_run_at"]')" -le "$(date +%s)" ] || sl_fail "a stopped run pushed the next run back"
[ -s "$state/store/partial/$sha.part" ] || sl_fail "the partial download was not kept"

# ---- timeout = 2s on a run that needs 20 s: stopped, recorded, retried sooner than `every`.
conf=$SL_TMP/to.conf state=$SL_TMP/sto
syncd_conf "$conf" "$state" "bandwidth = 1M"
syncd_source "$conf" big "$url_b" big "every = 1d
timeout = 2s"
syncd_start "$SL_TMP/to.log" -c "$conf"
sl_wait_for_line "$SL_TMP/to.log" "exceeded its timeout of 2 s" 30
sl_wait_for_line "$SL_TMP/to.log" "failed 1 time\(s\) in a row; next attempt" 10
[ "$(outcome "$conf" big)" = interrupted ] || sl_fail "the timed-out run is not recorded as interrupted"
[ "$(syncd_json "$conf" 's[0]["failures_in_a_row"]')" = 1 ] || sl_fail "failure not counted"
next=$(syncd_json "$conf" 's[0]["next_run_at"]') now=$(date +%s)
[ "$next" -gt "$now" ] && [ "$next" -le $((now + 400)) ] || sl_fail "retry not scheduled within minutes (next $next, now $now)"
kill -TERM "$SYNCD_PID"
wait "$SYNCD_PID" || true

# ---- approve = auto, daemon and key owned by the same user: published through sluice auto-approve.
conf=$SL_TMP/auto.conf state=$SL_TMP/sauto
syncd_conf "$conf" "$state" ""
syncd_source "$conf" auto "$url_s" small "every = 1h"
sed -i 's/^approve = manual$/approve = auto/' "$conf"
"$SL_ADMIN" -c "$conf" init >/dev/null
syncd_start "$SL_TMP/auto.log" -c "$conf"
sl_wait_for_line "$SL_TMP/auto.log" "auto-approved and published" 30
[ "$(syncd_json "$conf" 's[0]["published_snapshot"]')" -gt 0 ] || sl_fail "nothing published"
"$SL_ADMIN" -c "$conf" history auto | grep -q auto-approve || sl_fail "no auto-approve in the audit log"
kill -TERM "$SYNCD_PID"
wait "$SYNCD_PID" || true

# ---- as root: [syncd] user, key out of reach, auto-approval through the queue.
if [ "$(id -u)" -eq 0 ]; then
	conf=$SL_TMP/priv.conf state=$SL_TMP/spriv
	syncd_conf "$conf" "$state" "user = nobody"
	syncd_source "$conf" auto "$url_s" small "every = 1h"
	sed -i 's/^approve = manual$/approve = auto/' "$conf"
	"$SL_ADMIN" -c "$conf" init >/dev/null
	chmod 755 "$SL_TMP" "$APT_KEYS"
	chmod 644 "$conf" "$APT_KEYS/upstream.gpg"
	# The state directory is the daemon user's, the key home stays root's (0700).
	find "$state" -path "$state/keys" -prune -o -exec chown nobody: {} +
	syncd_start "$SL_TMP/priv.log" -c "$conf"
	sl_wait_for_line "$SL_TMP/priv.log" "queued for auto-approval" 30
	for p in "$SYNCD_PID" $(syncd_children "$SYNCD_PID"); do
		[ "$(ps -o user= -p "$p" | tr -d ' ')" = nobody ] || sl_fail "process $p is not running as nobody"
	done
	grep -q "signing key home .* is readable" "$SL_TMP/priv.log" && sl_fail "the key home is readable by the daemon"
	[ -z "$(find "$state" -path "$state/keys" -prune -o -user root -newer "$conf" -print)" ] ||
		sl_fail "the daemon created root-owned files"
	[ "$(syncd_json "$conf" 's[0]["published_snapshot"]')" = 0 ] || sl_fail "published without the key owner"
	ls "$state/run/auto-approve/" | grep -Eq '^[0-9]+$' || sl_fail "no auto-approval request queued"
	# What sluice-auto-approve.service runs, as the key's owner.
	for f in "$state"/run/auto-approve/*; do
		"$SL_ADMIN" -c "$conf" auto-approve "${f##*/}"
		rm -f -- "$f"
	done
	[ "$(syncd_json "$conf" 's[0]["published_snapshot"]')" -gt 0 ] || sl_fail "the queued snapshot was not published"
	kill -TERM "$SYNCD_PID"
	wait "$SYNCD_PID" || true
else
	sl_log "not root: privilege drop and the auto-approval queue are covered when run as root"
fi
echo "syncd daemon: ok"
