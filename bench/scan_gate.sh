#!/usr/bin/env bash
# Scan gate benchmark: the cost of the malware scan gate on an APT sync, on the 2,500-.deb fixture of
# bench/apt_sync.sh (real packages from this host's Debian archive, the same selection and the same cache,
# bench/work/debs) with ClamAV's own signed test database (../shared/fixtures/clamav/test-6.cvd) mirrored by
# a clamav source of sluice as the scan source. It measures, once each:
#   the sync with [scan] off; the same sync (fresh state) with the gate on as sluice-syncd runs it, ending
#   when the snapshot is pending with its scan queued (`sluice sync --queue-scan`, the code of the daemon's
#   sync child); the arrival scan of that snapshot (`sluice scan --queued`, the code of the daemon's scanner
#   child); with BENCH_INLINE=1 also `sluice sync` with the scan inline; and `clamscan -r` with the same
#   database over the packages unpacked with dpkg-deb -x (the unpacking timed apart);
# and prints wall times, the ratio gate-on / gate-off for the sync (target: the gate adds <= 30%), the time
# until the snapshot is approvable (sync + scan), the peak RSS of the scanning processes (VmHWM, sampled
# from /proc every 50 ms while they live), each command's and clamscan's peak RSS (GNU time), and the
# engine load time with the test database (clamscan of one empty file).
# The fixtures hold only ClamAV's tiny test database (a few signatures). With BENCH_FULLDB=1 it also builds a
# SYNTHETIC database set of full size (bench/gen_clamdb.py: ~8.7 million random, unsigned signatures in the
# mix of main + daily; cached in $BENCH_WORK/fulldb) and runs the gate's scanner alone (bench/scan_probe.c,
# compiled here against the build) with it and with the test database on BENCH_FULLDB_FILES (100) of the
# .debs: engine load (cl_load + cl_engine_compile) time, the workers' RSS, and the scan cost per file; and
# clamscan's load of the same set. A synthetic set cannot be published through a clamav source (a CVD must
# carry ClamAV's signature), so the full sync is measured with the test database only.
# Usage: [BENCH_WORK=DIR] [SL_BUILD_DIR=DIR] [BENCH_ROUNDS=N] [BENCH_INLINE=1] [BENCH_FULLDB=1]
#        bench/scan_gate.sh [COUNT] [MAX_MB]   (defaults 2500, 500; the syncs run BENCH_ROUNDS=7 times each)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-2500}
max_mb=${2:-500}
work=${BENCH_WORK:-$top/bench/work}
mkdir -p "$work"
export SL_BUILD_DIR=${SL_BUILD_DIR:-$top/build-bench}
for t in /usr/bin/time clamscan dpkg-deb; do
	command -v "$t" >/dev/null || { echo "bench: needs $t"; exit 1; }
done
fx=$top/../shared/fixtures/clamav
[ -r "$fx/test-6.cvd" ] || { echo "bench: no ClamAV fixtures at $fx"; exit 1; }
if [ ! -x "$SL_BUILD_DIR/admin/sluice" ] || [ "${BENCH_REBUILD:-1}" = 1 ]; then
	[ -f "$SL_BUILD_DIR/CMakeCache.txt" ] || cmake -S "$top" -B "$SL_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$SL_BUILD_DIR" -j"$(nproc)" >/dev/null
fi
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/apt_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup
arch=$APT_ARCH
echo "bench: build $SL_BUILD_DIR ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$SL_BUILD_DIR/CMakeCache.txt"))"

# ---- the package set: the selection of bench/apt_sync.sh (same list file, same cache)
debs=$work/debs
mkdir -p "$debs"
list=$work/packages-$count-$max_mb.txt
if [ ! -s "$list" ]; then
	apt-cache dumpavail | awk -v max=$((max_mb * 1024 * 1024)) -v n="$count" -v arch="$arch" '
		BEGIN { RS=""; FS="\n" }
		{ p=""; a=""; s=0; for (i=1;i<=NF;i++) { if ($i ~ /^Package: /) p=substr($i,10);
		  else if ($i ~ /^Architecture: /) a=substr($i,15); else if ($i ~ /^Size: /) s=substr($i,7)+0 }
		  if ((a==arch || a=="all") && s >= 81920 && s <= 460800 && !(p in seen) && total + s <= max && k < n) {
		    seen[p]=1; total+=s; k++; print p } }' >"$list"
fi
missing=$(cd "$debs" && while read -r p; do ls "${p}_"*.deb >/dev/null 2>&1 || echo "$p"; done <"$list")
if [ -n "$missing" ]; then
	echo "bench: downloading $(echo "$missing" | wc -l) packages into $debs (once)"
	(cd "$debs" && echo "$missing" | xargs -n 100 apt-get download -q >/dev/null 2>"$work/download.log") || true
fi
sel=$SL_TMP/debs
mkdir -p "$sel"
while read -r p; do ln "$debs/${p}_"*.deb "$sel/" 2>/dev/null || cp "$debs/${p}_"*.deb "$sel/"; done <"$list"
ndebs=$(ls "$sel"/*.deb | wc -l)
size_mb=$(du -sm "$sel" | cut -f1)
echo "bench: upstream of $ndebs .debs, $size_mb MB"

# ---- upstreams: the APT repository and ClamAV's test database, served by nginx
APT_DEBS=$sel
APT_FIXTURE_LINK=1
up=$SL_TMP/www
apt_fixture_repo "$up/apt" stable
apt_fixture_key upstream
apt_fixture_release "$up/apt" stable "$(apt_date -3600)"
apt_fixture_sign "$up/apt" stable upstream
mkdir -p "$up/clamav"
cp "$fx/test-6.cvd" "$up/clamav/test.cvd"
chmod -R u+w "$up/clamav"
sl_start_nginx "$up"

conf_for() {   # NAME SCAN(0/1)
	local conf=$SL_TMP/$1.conf
	{
		printf '[sluice]\nstate_dir = %s\nlog_level = info\n[syncd]\nmax_connections_per_host = 4\n' "$SL_TMP/state.$1"
		[ "$2" = 1 ] && printf '[scan]\nclamav_source = av\n'
		printf '[source av]\ntype = clamav\nurl = http://127.0.0.1:%s/clamav\ndatabases = test\n' "$SL_NGINX_PORT"
		printf '[source bench]\ntype = apt\nurl = http://127.0.0.1:%s/apt\nsuites = stable\ncomponents = main\n' \
			"$SL_NGINX_PORT"
		printf 'architectures = %s\nkeyring = %s\n' "$arch" "$APT_KEYS/upstream.gpg"
	} >"$conf"
	echo "$conf"
}

# Peak RSS of the sync's forked children (the scanner), sampled from /proc while they live.
watch_children() {   # PARENT-PID OUTFILE
	local parent=$1 out=$2 max=0 c v
	while kill -0 "$parent" 2>/dev/null; do
		for c in $(pgrep -P "$parent" 2>/dev/null); do
			for g in $c $(pgrep -P "$c" 2>/dev/null); do
				[ "$(cat /proc/$g/comm 2>/dev/null)" = sluice ] || continue
				v=$(awk '/^VmHWM/ {print $2}' /proc/$g/status 2>/dev/null || echo 0)
				[ -n "$v" ] && [ "$v" -gt "$max" ] && max=$v
			done
		done
		sleep 0.05
	done
	echo "$max" >"$out"
}

# One sluice command, timed, with the peak RSS of its scanning children. The state is made fresh for a
# sync (removed, init; the scan source synced first when the gate is on); `scan --queued` runs on the state the
# gate-on sync left.
measure() {   # NAME CONF ARGS...
	local name=$1 conf=$2
	shift 2
	if [ "$1" = sync ]; then
		rm -rf "$(sed -n 's/^state_dir = //p' "$conf")"
		"$SL_ADMIN" -c "$conf" init >/dev/null 2>&1
		if grep -q '^\[scan\]' "$conf"; then
			"$SL_ADMIN" -c "$conf" sync av >"$SL_TMP/av.$name.out" 2>&1 || { cat "$SL_TMP/av.$name.out"; exit 1; }
		fi
	fi
	sync
	/usr/bin/time -f "%e %U %S %M" -o "$SL_TMP/time.$name" "$SL_ADMIN" -c "$conf" "$@" >"$SL_TMP/out.$name" 2>&1 &
	local tpid=$!
	local spid=""
	for _ in $(seq 200); do
		spid=$(pgrep -P $tpid | head -1) && break
		sleep 0.01
	done
	watch_children "$spid" "$SL_TMP/child.$name" &
	local wpid=$!
	wait $tpid || true
	wait $wpid || true
}
expect() {   # NAME PATTERN
	grep -q "$2" "$SL_TMP/out.$1" || { cat "$SL_TMP/out.$1"; echo "bench: $1: no '$2'"; exit 1; }
}

conf_off=$(conf_for off 0)
conf_on=$(conf_for on 1)
# The two syncs BENCH_ROUNDS times (default 7: a sync is about 2 s, so one slow round would sway a median of 3), alternating which goes first; the medians are compared.
rounds=${BENCH_ROUNDS:-7}
for r in $(seq "$rounds"); do
	order="off on"
	[ $((r % 2)) = 0 ] && order="on off"
	for which in $order; do
		if [ "$which" = off ]; then
			echo "bench: round $r: sync, scan gate off"
			measure "off.$r" "$conf_off" sync bench
			expect "off.$r" "pending approval"
		else
			echo "bench: round $r: sync, scan gate on: ends when the snapshot is pending (sluice-syncd's sync child)"
			measure "on.$r" "$conf_on" sync --queue-scan bench
			expect "on.$r" "its malware scan is queued"
		fi
	done
done
echo "bench: the arrival scan of that snapshot (what sluice-syncd's scanner child does)"
measure scan "$conf_on" scan --queued
expect scan "scanned [0-9]* artifact"
grep -o "scanned [0-9]* artifact(s) ([0-9]* cached): [0-9]* finding(s)" "$SL_TMP/out.scan" | head -1 |
	sed 's/^/bench: gate: /'
if [ "${BENCH_INLINE:-0}" = 1 ]; then
	echo "bench: sync with the scan inline (sluice sync without --queue-scan), fresh state"
	measure inline "$(conf_for inline 1)" sync bench
	expect inline "scanned [0-9]* artifact"
fi
# Engine load with the test database: clamscan of one empty file is its startup and load.
: >"$SL_TMP/empty"
/usr/bin/time -f "%e %U %S %M" -o "$SL_TMP/time.load" clamscan --no-summary -d "$fx/test-6.cvd" "$SL_TMP/empty" \
	>/dev/null 2>&1 || true
load=$(awk '{printf "clamscan of one empty file (engine start + load of test-6.cvd): %.2f s, %.1f MB RSS", $1, $4 / 1024}' \
	"$SL_TMP/time.load")

# ---- clamscan -r over the unpacked packages
ex=$SL_TMP/unpacked
mkdir -p "$ex"
t0=$(date +%s.%N)
for d in "$sel"/*.deb; do
	b=$(basename "$d" .deb)
	mkdir -p "$ex/$b"
	dpkg-deb -x "$d" "$ex/$b" 2>/dev/null || echo "bench: dpkg-deb -x $b failed" >&2
done
t1=$(date +%s.%N)
unpack=$(echo "$t1 - $t0" | bc)
unpacked_mb=$(du -sm "$ex" | cut -f1)
echo "bench: unpacked $ndebs .debs ($unpacked_mb MB) in ${unpack}s; clamscan -r ..."
/usr/bin/time -f "%e %U %S %M" -o "$SL_TMP/time.clamscan" clamscan --no-summary -i -r -d "$fx/test-6.cvd" "$ex" \
	>"$SL_TMP/out.clamscan" 2>&1 || true

# ---- the gate's scanner alone with a full-size (synthetic) database set
fulldb_report=$SL_TMP/fulldb.report
: >"$fulldb_report"
if [ "${BENCH_FULLDB:-0}" = 1 ]; then
	fdb=$work/fulldb
	if [ ! -s "$fdb/synthetic.hdb" ] || [ ! -s "$fdb/synthetic.ldb" ]; then
		echo "bench: generating the synthetic full-size database set in $fdb (once)"
		python3 "$top/bench/gen_clamdb.py" "$fdb" >/dev/null
	fi
	probe=$SL_TMP/scan_probe
	# shellcheck disable=SC2046
	cc -O2 -D_GNU_SOURCE -I"$top" "$top/bench/scan_probe.c" "$SL_BUILD_DIR/verify/libsluice_verify.a" \
		"$SL_BUILD_DIR/core/libsluice_core.a" $(pkg-config --libs libclamav libarchive) -lpthread -o "$probe"
	# sed, not head: head's early exit would be a SIGPIPE for ls, fatal under pipefail
	ls "$sel"/*.deb | sed -n "1,${BENCH_FULLDB_FILES:-100}p" >"$SL_TMP/probe.list"
	mkdir -p "$SL_TMP/testdb"
	cp "$fx/test-6.cvd" "$SL_TMP/testdb/test.cvd"
	echo "bench: scanner alone, test database, then the synthetic full-size set (1 worker each)"
	"$probe" "$SL_TMP/testdb" 1 "$SL_TMP/probe.list" | sed 's/^/test./' >>"$fulldb_report"
	"$probe" "$fdb" 1 "$SL_TMP/probe.list" | sed 's/^/full./' >>"$fulldb_report"
	: >"$SL_TMP/empty"
	/usr/bin/time -f "%e %U %S %M" -o "$SL_TMP/time.fullload" clamscan --no-summary -d "$fdb" "$SL_TMP/empty" \
		>/dev/null 2>&1 || true
	awk '{printf "clamscan.load=%.2f s wall, %.2f s CPU, %.1f MB RSS\n", $1, $2 + $3, $4 / 1024}' \
		"$SL_TMP/time.fullload" >>"$fulldb_report"
fi
gate_log=$(grep -o "scan engine: .*" "$SL_TMP/out.scan" | head -1 || true)

python3 - "$SL_TMP" "$ndebs" "$size_mb" "$unpack" "$unpacked_mb" "$load" "$gate_log" <<'PY'
import sys
tmp, n, mb, unpack, umb, load, gate_log = sys.argv[1:8]
def t(name):
    w, u, s, m = open(f"{tmp}/time.{name}").read().split()[:4]
    return float(w), float(u) + float(s), int(m) / 1024
import glob, statistics
def med(prefix):
    runs = [t(p.split("time.", 1)[1]) for p in sorted(glob.glob(f"{tmp}/time.{prefix}.*"))]
    return tuple(statistics.median(r[i] for r in runs) for i in range(3)), [r[0] for r in runs]
(off, off_runs), (on, on_runs) = med("off"), med("on")
scan, cs = t("scan"), t("clamscan")
child = int(open(f"{tmp}/child.scan").read().strip() or 0) / 1024
both = (on[0] + scan[0], on[1] + scan[1], max(on[2], scan[2]))
print(f"\n{n} .debs, {mb} MB; ClamAV test database (test-6.cvd)")
print(f"{'':40s} {'wall s':>8s} {'cpu s':>8s} {'peak RSS MB':>12s}")
print(f"{'sync, scan gate off':40s} {off[0]:8.2f} {off[1]:8.2f} {off[2]:12.1f}")
print(f"{'sync, scan gate on (scan queued)':40s} {on[0]:8.2f} {on[1]:8.2f} {on[2]:12.1f}")
print(f"{'arrival scan (scanner child)':40s} {scan[0]:8.2f} {scan[1]:8.2f} {scan[2]:12.1f}")
print(f"{'  of which scanning processes':40s} {'':8s} {'':8s} {child:12.1f}   (largest VmHWM, sampled)")
print(f"{'sync + scan: until approvable':40s} {both[0]:8.2f} {both[1]:8.2f} {both[2]:12.1f}")
try:
    il = t("inline")
    print(f"{'sync with the scan inline (sluice sync)':40s} {il[0]:8.2f} {il[1]:8.2f} {il[2]:12.1f}")
except FileNotFoundError:
    pass
print(f"{'dpkg-deb -x of every .deb':40s} {float(unpack):8.2f} {'':8s} {'':12s}   ({umb} MB unpacked)")
print(f"{'clamscan -r (unpacked)':40s} {cs[0]:8.2f} {cs[1]:8.2f} {cs[2]:12.1f}")
print(f"\nsyncs: medians of {len(off_runs)} rounds; gate off {' '.join(f'{x:.2f}' for x in off_runs)} s, "
      f"gate on {' '.join(f'{x:.2f}' for x in on_runs)} s")
print(f"scan gate overhead on the sync: on/off wall = {on[0]/off[0]:.2f} ({(on[0]/off[0]-1)*100:+.0f}%; target <= +30%)")
print(f"time until approvable vs the sync alone: {both[0]/off[0]:.1f}x; the scan itself vs clamscan -r: "
      f"{scan[0]:.2f} s vs {cs[0]:.2f} s (+ {float(unpack):.2f} s unpacking)")
if load:
    print(f"engine: {load}")
if gate_log:
    print(f"gate: {gate_log}")
rep = {}
for line in open(f"{tmp}/fulldb.report"):
    k, _, v = line.strip().partition("=")
    rep[k] = v
if not rep:
    print("full-size database: not measured (BENCH_FULLDB=1 builds a synthetic one)")
else:
    print("\nSYNTHETIC full-size database set (random signatures in the mix of main + daily; not ClamAV's data):")
    print(f"  signatures {rep['full.signatures']}; cl_load + cl_engine_compile {rep['full.load_s']} s in the loader; "
          f"worker VmHWM {rep['full.loaded_worker_hwm_mb']} MB after load (PSS {rep['full.loaded_workers_pss_mb']} MB: "
          f"the pages are shared with the loader), {rep['full.end_worker_hwm_mb']} MB after scanning")
    print(f"  {rep['clamscan.load']} (clamscan of one empty file with the same set)")
    for db in ("test", "full"):
        f, w, c = int(rep[f"{db}.files"]), float(rep[f"{db}.scan_wall_s"]), float(rep[f"{db}.children_cpu_s"])
        print(f"  scanner alone, {db:4s} database, 1 worker: {f} .debs ({rep[f'{db}.file_mb']} MB) in {w:.2f} s wall, "
              f"{c:.2f} s CPU incl. load ({w * 1000 / f:.1f} ms wall per .deb)")
PY
