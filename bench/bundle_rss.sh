#!/usr/bin/env bash
# Transfer bundle memory: peak RSS of `sluice export` and `sluice import` as the bundle grows, which must
# stay flat (objects stream one at a time; nothing holds a volume or an object list). The upstream is
# synthetic — uncompressed .debs of random bytes, MB_PER_DEB each — so sizes far beyond the host's Debian
# cache can be measured; bench/bundle.sh measures time on real packages.
# Usage: [MB_PER_DEB=20] bench/bundle_rss.sh [TOTAL_MB...]   (default: 500 2000)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export SL_BUILD_DIR=${SL_BUILD_DIR:-$top/build-bench}
command -v /usr/bin/time >/dev/null || { echo "bench: needs GNU time"; exit 1; }
cmake -S "$top" -B "$SL_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$SL_BUILD_DIR" -j"$(nproc)" >/dev/null
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/apt_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup
per=${MB_PER_DEB:-20}
[ $# -gt 0 ] || set -- 500 2000
apt_fixture_key upstream

printf '%-10s %-8s %12s %12s %8s\n' bundle_MB debs export_RSS_MB import_RSS_MB wall_s
for total in "$@"; do
	run=$SL_TMP/run-$total
	up=$run/upstream
	mkdir -p "$up/pool/main/s"
	n=$((total / per))
	for i in $(seq "$n"); do
		w=$run/deb
		mkdir -p "$w/DEBIAN" "$w/usr/share/s$i"
		head -c "$((per << 20))" /dev/urandom >"$w/usr/share/s$i/blob"
		printf 'Package: s%d\nVersion: 1.0-1\nArchitecture: all\nMaintainer: b <b@sluice.invalid>\nDescription: synthetic\n' \
			"$i" >"$w/DEBIAN/control"
		dpkg-deb -Znone --root-owner-group --build "$w" "$up/pool/main/s/s${i}_1.0-1_all.deb" >/dev/null
		rm -rf "$w"
	done
	mkdir -p "$up/dists/stable/main/binary-$APT_ARCH"
	apt_fixture_index "$up" stable
	apt_fixture_release "$up" stable "$(apt_date -60)"
	apt_fixture_sign "$up" stable upstream
	sl_start_nginx "$up"
	for side in dmz inside; do
		extra="url = http://127.0.0.1:$SL_NGINX_PORT/"
		[ $side = inside ] && extra="from = bundle"
		cat >"$run/$side.conf" <<CONF
[sluice]
state_dir = $run/$side
log_level = warn
[import]
keyring = $run/dmz.asc
[source bench]
type = apt
suites = stable
architectures = $APT_ARCH
keyring = $APT_KEYS/upstream.gpg
$extra
CONF
	done
	: >"$run/dmz.asc"
	"$SL_ADMIN" -c "$run/dmz.conf" init >/dev/null
	"$SL_ADMIN" -c "$run/inside.conf" init >/dev/null
	"$SL_ADMIN" -c "$run/dmz.conf" keys export >"$run/dmz.asc"
	"$SL_ADMIN" -c "$run/dmz.conf" sync bench >/dev/null
	rm -rf "$up/pool"   # the upstream copy is not needed any more: keep the disk footprint down
	sync
	/usr/bin/time -f "%e %M" -o "$run/t.export" "$SL_ADMIN" -c "$run/dmz.conf" export bench --to "$run/bundle" >/dev/null
	sync
	/usr/bin/time -f "%e %M" -o "$run/t.import" "$SL_ADMIN" -c "$run/inside.conf" import "$run/bundle" >"$run/imp.out"
	grep -q "bench: pending" "$run/imp.out" || { cat "$run/imp.out"; sl_fail "import of $total MB made no snapshot"; }
	read -r ew er <"$run/t.export"
	read -r iw ir <"$run/t.import"
	printf '%-10s %-8s %12.1f %12.1f %8.1f\n' "$(($(du -sb "$run/bundle" | cut -f1) >> 20))" "$n" \
		"$(echo "$er / 1024" | bc -l)" "$(echo "$ir / 1024" | bc -l)" "$(echo "$ew + $iw" | bc -l)"
	rm -rf "$run"
done
