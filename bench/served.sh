#!/usr/bin/env bash
# Serving benchmark: sluice-served vs nginx (sendfile on) on the same published tree, side by side in one run.
# wrk on 127.0.0.1 fetches a ~2 KB InRelease and a ~4 MB .deb with 32 and 256 keep-alive connections from
# each server in turn, then prints requests/s, throughput, errors, sluice-served's peak RSS and the ratios
# against the targets of issue 7 (>= 0.9x nginx's requests/s on the small file, >= 0.9x its throughput on
# the large one, zero errors, RSS < 64 MB). Both servers get the machine's cores: nginx one worker per
# CPU, sluice-served one thread per CPU (its default); neither writes an access log.
# Usage: [BENCH_ROUNDS=N] [BENCH_SENDFILE=1] bench/served.sh [SECONDS]   (default 5 s per measurement, 3 rounds of 8 measurements;
# the medians of the rounds are compared)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-5}
rounds=${BENCH_ROUNDS:-3}
export SL_BUILD_DIR=${SL_BUILD_DIR:-$top/build-bench}
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)"; exit 1; }
cmake -S "$top" -B "$SL_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$SL_BUILD_DIR" -j"$(nproc)" --target sluice-served >/dev/null
. "$top/tests/integration/lib.sh"
nginx_bin=$(sl_nginx_bin) || sl_fail "nginx is not installed"
[ "$(ulimit -n)" -ge 4096 ] || ulimit -n 4096

# ---- the published tree, laid out as the publisher lays it out: public/apt/bench -> ../.gen/apt-bench-1
state=$SL_TMP/state
gen=$state/public/.gen/apt-bench-1
mkdir -p "$gen/dists/stable" "$gen/pool/main/b/big" "$state/public/apt"
# A realistic clear-signed InRelease of ~2 KB.
{
	printf 'Origin: sluice\nLabel: bench\nSuite: stable\nCodename: stable\nDate: %s\n' "$(date -uR)"
	printf 'Architectures: amd64\nComponents: main\nSHA256:\n'
	for i in $(seq 18); do
		printf ' %s %8d main/binary-amd64/Packages%s\n' "$(head -c 32 /dev/urandom | sha256sum | cut -c1-64)" \
			$((i * 1000)) "$([ $((i % 2)) = 0 ] && echo .xz || echo .gz)"
	done
} >"$gen/dists/stable/InRelease"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$gen/pool/main/b/big/big_1.0_amd64.deb"
ln -s ../.gen/apt-bench-1 "$state/public/apt/bench"
small=apt/bench/dists/stable/InRelease
large=apt/bench/pool/main/b/big/big_1.0_amd64.deb
: >"$SL_TMP/keyring.gpg"
user_line=
if [ "$(id -u)" = 0 ]; then
	user_line="user = nobody"
	chmod 0755 "$SL_TMP"
	chmod -R a+rX "$state" "$SL_TMP/keyring.gpg"
fi

# ---- sluice-served
sport=$(sl_free_port)
cat >"$SL_TMP/sluice.conf" <<EOF
[sluice]
state_dir = $state
log_level = warn
[served]
listen = 127.0.0.1:$sport
max_connections = 2048
max_connections_per_ip = 1024
$user_line
[source bench]
type = apt
url = http://127.0.0.1:9/debian
suites = stable
keyring = $SL_TMP/keyring.gpg
EOF
sl_start_bg "$SL_TMP/served.log" "$SL_SERVED" -c "$SL_TMP/sluice.conf" -f
spid=$SL_BG_PID
sl_wait_for_line "$SL_TMP/served.log" '^serving on '

# ---- BENCH_SENDFILE=1: a third server, sluice-served with map_budget = 0, which sends large files the
# way it did before served/mapcache (libmicrohttpd's sendfile, its header pushed alone), for comparison.
sendfile=${BENCH_SENDFILE:-0}
if [ "$sendfile" = 1 ]; then
	pport=$(sl_free_port)
	sed "s/^listen = .*/listen = 127.0.0.1:$pport\nmap_budget = 0/" "$SL_TMP/sluice.conf" >"$SL_TMP/sendfile.conf"
	sl_start_bg "$SL_TMP/sendfile.log" "$SL_SERVED" -c "$SL_TMP/sendfile.conf" -f
	sl_wait_for_line "$SL_TMP/sendfile.log" '^serving on '
fi

# ---- nginx, as a distribution would configure a static mirror
nprefix=$SL_TMP/nginx
mkdir -p "$nprefix/tmp"
nport=$(sl_free_port)
nuser=
[ "$(id -u)" = 0 ] && nuser="user root root;"
cat >"$nprefix/nginx.conf" <<EOF
daemon off;
worker_processes auto;
$nuser
pid $nprefix/nginx.pid;
error_log $nprefix/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $nprefix/tmp/body;
	proxy_temp_path $nprefix/tmp/proxy;
	fastcgi_temp_path $nprefix/tmp/fastcgi;
	uwsgi_temp_path $nprefix/tmp/uwsgi;
	scgi_temp_path $nprefix/tmp/scgi;
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 60;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$nport;
		root $state/public;
	}
}
EOF
sl_start_bg "$nprefix/stderr.log" "$nginx_bin" -p "$nprefix" -c "$nprefix/nginx.conf" -e "$nprefix/error.log"
sl_wait_port "$nport" 10 || { cat "$nprefix/error.log"; sl_fail "nginx did not start"; }

# Both must serve the same bytes before anything is measured.
for f in $small $large; do
	cmp -s <(curl -fsS "http://127.0.0.1:$sport/$f") <(curl -fsS "http://127.0.0.1:$nport/$f") ||
		sl_fail "sluice-served and nginx disagree on $f"
	if [ "$sendfile" = 1 ]; then
		cmp -s <(curl -fsS "http://127.0.0.1:$pport/$f") <(curl -fsS "http://127.0.0.1:$nport/$f") ||
			sl_fail "sluice-served (map_budget = 0) and nginx disagree on $f"
	fi
done

# ---- measure: wrk prints Requests/sec, Transfer/sec, and error lines when there are any
results=$SL_TMP/results
run() {   # SERVER PORT FILE CONNS
	local name=$1 p=$2 f=$3 c=$4 out=$SL_TMP/wrk.$1.$c.$(basename "$3")
	wrk -t 2 -c "$c" -d "${secs}s" --timeout 10s --latency "http://127.0.0.1:$p/$f" >"$out" 2>&1 & wait $!
	python3 - "$out" "$name" "$(basename "$f")" "$c" >>"$results" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", t)
mult = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[m.group(2)]
errs = 0
for e in re.findall(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t):
    errs += sum(map(int, e))
n = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
errs += int(n.group(1)) if n else 0
p99 = re.search(r"\s99%\s+([\d.]+\w+)", t)
print(sys.argv[2], sys.argv[3], sys.argv[4], rps, float(m.group(1)) * mult / (1 << 20), errs,
      p99.group(1) if p99 else "-")
PY
}
# Each cell is measured ROUNDS times, alternating which server goes first, and the medians are compared:
# on a 2-core machine where wrk shares the cores with the server, one 10 s sample varies by +-10%.
for r in $(seq "$rounds"); do
	for c in 32 256; do
		for f in $small $large; do
			if [ $((r % 2)) = 1 ]; then
				run nginx "$nport" "$f" "$c"
				run sluice "$sport" "$f" "$c"
			else
				run sluice "$sport" "$f" "$c"
				run nginx "$nport" "$f" "$c"
			fi
			if [ "$sendfile" = 1 ] && [ "$f" = "$large" ]; then
				run sendfile "$pport" "$f" "$c"
			fi
		done
	done
done
rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$spid/status")
ngx_rss_kb=$(ps -o rss= --ppid "$(cat "$nprefix/nginx.pid")" | awk '{ s += $1 } END { print s }')

python3 - "$results" "$rss_kb" "$ngx_rss_kb" "$secs" "$rounds" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    srv, f, c, rps, mbs, errs, p99 = line.split()
    rows.setdefault((srv, f, int(c)), []).append((float(rps), float(mbs), int(errs), p99))
def med(k):
    v = rows[k]
    return (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v), sum(x[2] for x in v),
            "/".join(x[3] for x in v))
rss = int(sys.argv[2]) / 1024
print(f"\nserving benchmark: wrk -t 2 -d {sys.argv[4]}s --timeout 10s on 127.0.0.1, keep-alive, same published "
      f"tree; median of {sys.argv[5]} rounds in alternating order (errors: sum over the rounds)")
print(f"{'file':22} {'conns':>5} {'server':>7} {'req/s':>9} {'MiB/s':>8} {'errors':>6}  {'p99 per round'}")
ok = True
files = sorted({k[1] for k in rows}, key=len)
for c in (32, 256):
    for f in files:
        for srv in ("nginx", "sluice"):
            rps, mbs, errs, p99 = med((srv, f, c))
            print(f"{f:22} {c:5} {srv:>7} {rps:9.0f} {mbs:8.1f} {errs:6}  {p99}")
            ok &= errs == 0
for c in (32, 256):
    for f in files:
        small = f == "InRelease"
        i = 0 if small else 1
        per_round = [s[i] / n[i] for s, n in zip(rows[("sluice", f, c)], rows[("nginx", f, c)])]
        ratio = med(("sluice", f, c))[i] / med(("nginx", f, c))[i]
        what = "requests/s" if small else "throughput"
        print(f"ratio sluice/nginx {what:10} {f:20} c={c:<4} {ratio:5.2f}  (target >= 0.90) "
              f"{'ok' if ratio >= 0.9 else 'MISSED'}   rounds: " + " ".join(f"{x:.2f}" for x in per_round))
        ok &= ratio >= 0.9
if any(k[0] == "sendfile" for k in rows):
    for c in (32, 256):
        f = files[-1]
        print(f"for comparison, map_budget = 0 (sendfile) / nginx throughput {f:20} c={c:<4} "
              f"{med(('sendfile', f, c))[1] / med(('nginx', f, c))[1]:5.2f}")
print(f"sluice-served peak RSS {rss:.1f} MB (target < 64) {'ok' if rss < 64 else 'MISSED'}; "
      f"nginx workers RSS {int(sys.argv[3]) / 1024:.1f} MB")
ok &= rss < 64
print("all targets met" if ok else "some targets missed")
PY
