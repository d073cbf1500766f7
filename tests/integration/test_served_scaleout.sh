#!/bin/bash
# test_served_scaleout: contrib/haproxy/haproxy.cfg (its ports rewritten to free loopback ports) in front
# of two sluice-served instances sharing one published tree. A client downloads an InRelease and a .deb
# through the balancer again and again, checking every byte, while instance A is stopped (SIGTERM),
# restarted, and then B is stopped: not one request may fail. Both instances' access logs show they
# served, and the stopped one served nothing while it was down.
. "$(dirname "$0")/lib.sh"

command -v haproxy >/dev/null || sl_skip "haproxy missing (apt-get install haproxy)"
command -v curl >/dev/null || sl_skip "curl missing"
[ -x "$SL_SERVED" ] || sl_skip "sluice-served not built"

# ---- one published tree, laid out as the publisher does
state=$SL_TMP/state
gen=$state/public/.gen/apt-deb-1
mkdir -p "$gen/dists/bookworm" "$gen/pool/main/h/hello" "$state/public/apt" "$SL_TMP/log"
printf 'Origin: sluice\nSuite: bookworm\n' >"$gen/dists/bookworm/InRelease"
head -c 3000000 /dev/urandom >"$gen/pool/main/h/hello/hello_1.0_amd64.deb"
ln -s ../.gen/apt-deb-1 "$state/public/apt/deb"
: >"$SL_TMP/keyring.gpg"
user_line=
if [ "$(id -u)" = 0 ]; then
	user_line="user = nobody"
	chmod 0755 "$SL_TMP"
	chmod 1777 "$SL_TMP/log"
fi

port_a=$(sl_free_port)
port_b=$(sl_free_port)
while [ "$port_b" = "$port_a" ]; do port_b=$(sl_free_port); done
port_lb=$(sl_free_port)
for i in a b; do
	p=$port_a
	[ $i = b ] && p=$port_b
	cat >"$SL_TMP/served-$i.conf" <<CONF
[sluice]
state_dir = $state
[served]
listen = 127.0.0.1:$p
access_log = $SL_TMP/log/access-$i.log
$user_line
[source deb]
type = apt
url = http://127.0.0.1:9/debian
suites = bookworm
keyring = $SL_TMP/keyring.gpg
CONF
done
"$SL_ADMIN" -c "$SL_TMP/served-a.conf" init >"$SL_TMP/init.out" 2>&1 || { cat "$SL_TMP/init.out"; sl_fail "sluice init"; }
[ "$(id -u)" = 0 ] && chmod -R a+rX "$state" "$SL_TMP/keyring.gpg"

start_served() {   # a|b
	sl_start_bg "$SL_TMP/served-$1.out" "$SL_SERVED" -c "$SL_TMP/served-$1.conf" -f
	eval "pid_$1=$SL_BG_PID"
	sl_wait_for_line "$SL_TMP/served-$1.out" '^serving on '
}
stop_served() {   # a|b: SIGTERM, and wait until it has exited
	local pid
	eval "pid=\$pid_$1"
	kill -TERM "$pid"
	wait "$pid" || sl_fail "served $1 exited with an error after SIGTERM"
}
start_served a
start_served b

# ---- the shipped example, pointed at our ports, logging to stderr instead of syslog
sed -e "s|bind :8080|bind 127.0.0.1:$port_lb|" -e "s|127.0.0.1:8081|127.0.0.1:$port_a|" \
	-e "s|127.0.0.1:8082|127.0.0.1:$port_b|" -e "s|log /dev/log local0 info|log stderr format raw local0 warning|" \
	"$SL_SOURCE_DIR/contrib/haproxy/haproxy.cfg" >"$SL_TMP/haproxy.cfg"
grep -q "127.0.0.1:$port_a" "$SL_TMP/haproxy.cfg" && grep -q "bind 127.0.0.1:$port_lb" "$SL_TMP/haproxy.cfg" ||
	sl_fail "contrib/haproxy/haproxy.cfg no longer has the ports this test rewrites"
haproxy -c -f "$SL_TMP/haproxy.cfg" >"$SL_TMP/haproxy-check.out" 2>&1 || { cat "$SL_TMP/haproxy-check.out"; sl_fail "haproxy -c"; }
sl_start_bg "$SL_TMP/haproxy.log" haproxy -db -f "$SL_TMP/haproxy.cfg"
sl_wait_port "$port_lb" 10 || { cat "$SL_TMP/haproxy.log"; sl_fail "haproxy did not start"; }
lb=http://127.0.0.1:$port_lb

want_rel=$(sha256sum <"$gen/dists/bookworm/InRelease" | cut -c1-64)
want_deb=$(sha256sum <"$gen/pool/main/h/hello/hello_1.0_amd64.deb" | cut -c1-64)
n=0
fetch_round() {   # ROUNDS: each round fetches both files through the balancer and checks them
	local k got
	for k in $(seq "$1"); do
		got=$(curl -fsS --max-time 30 "$lb/apt/deb/dists/bookworm/InRelease" | sha256sum | cut -c1-64)
		[ "$got" = "$want_rel" ] || sl_fail "request $n: InRelease through the balancer failed or differs"
		got=$(curl -fsS --max-time 30 "$lb/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb" | sha256sum | cut -c1-64)
		[ "$got" = "$want_deb" ] || sl_fail "request $n: .deb through the balancer failed or differs"
		n=$((n + 2))
	done
}
lines() { wc -l <"$SL_TMP/log/access-$1.log" 2>/dev/null || echo 0; }

# Both instances serve.
fetch_round 20
[ "$(lines a)" -gt 0 ] && [ "$(lines b)" -gt 0 ] || sl_fail "the balancer did not use both instances ($(lines a), $(lines b))"

# A stops while a download from it is running: that download completes (SIGTERM drains), and the
# client carries on through the balancer and B.
curl -fsS --max-time 60 --limit-rate 2M -o "$SL_TMP/slow.deb" "http://127.0.0.1:$port_a/apt/deb/pool/main/h/hello/hello_1.0_amd64.deb" &
slow=$!
sleep 0.3
stop_served a
fetch_round 30
wait "$slow" || sl_fail "a download in flight broke when an instance stopped"
[ "$(sha256sum <"$SL_TMP/slow.deb" | cut -c1-64)" = "$want_deb" ] || sl_fail "the download in flight was corrupted"
a_down=$(lines a)
b_before=$(lines b)
fetch_round 10
[ "$(lines a)" = "$a_down" ] || sl_fail "stopped instance A logged requests"
[ "$(lines b)" -gt "$b_before" ] || sl_fail "B did not take over"

# A comes back and B stops: the client keeps working through A.
start_served a
for _ in $(seq 100); do   # health checks every second, rise 2
	[ "$(lines a)" -gt "$a_down" ] && break
	fetch_round 1
done
[ "$(lines a)" -gt "$a_down" ] || sl_fail "A was not taken back into rotation"
stop_served b
b_down=$(lines b)
fetch_round 30
[ "$(lines b)" = "$b_down" ] || sl_fail "stopped instance B logged requests"
sl_log "$n requests through haproxy, all complete and byte-identical, across two instance stops"
echo "1 passed, 0 failed"
