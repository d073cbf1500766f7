#!/usr/bin/env bash
# Transfer bundle benchmark: carrying an APT mirror across the air gap with sluice, against what an
# administrator would otherwise script, one run, same disk.
#   sluice:   sluice export (DMZ) + sluice import (inside: every object re-hashed into the store, the
#             snapshot rebuilt and settled by the format's verifier)
#   scripted: sha256sum of the mirror tree + tar cf (DMZ), tar xf + sha256sum -c (inside)
#   cp:       cp -r of the same tree (the physical limit of this disk)
# then a one-package delta (sluice export --since), whose size is compared with that package + 64 KiB, and
# the same delta with [export] rebuild_compressed = no (compressed indices whole: less memory, more bytes).
# Prints wall time, CPU time and peak RSS (GNU time) per step. The upstream is bench/apt_sync.sh's: ~COUNT
# real .debs of this host's Debian archive under MAX_MB (same selection, same cache in bench/work/debs).
# Usage: [BENCH_WORK=DIR] bench/bundle.sh [COUNT] [MAX_MB]   (defaults: 2500 packages, ~500 MB)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-2500}
max_mb=${2:-500}
work=${BENCH_WORK:-$top/bench/work}
mkdir -p "$work"
export SL_BUILD_DIR=${SL_BUILD_DIR:-$top/build-bench}
command -v /usr/bin/time >/dev/null || { echo "bench: needs GNU time (apt-get install time)"; exit 1; }
cmake -S "$top" -B "$SL_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$SL_BUILD_DIR" -j"$(nproc)" >/dev/null
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/apt_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup
arch=$APT_ARCH

# ---- the package set, selected exactly as bench/apt_sync.sh does (shares its list and .deb cache)
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
# The last package of the list is held back for the one-package delta.
extra=$(tail -n 1 "$list")
while read -r p; do
	[ "$p" = "$extra" ] && continue
	ln "$debs/${p}_"*.deb "$sel/" 2>/dev/null || cp "$debs/${p}_"*.deb "$sel/"
done <"$list"
echo "bench: upstream of $(ls "$sel"/*.deb | wc -l) .debs, $(du -sm "$sel" | cut -f1) MB"

APT_DEBS=$sel
APT_FIXTURE_LINK=1
up=$SL_TMP/upstream
apt_fixture_key upstream
apt_fixture_repo "$up" stable
apt_fixture_release "$up" stable "$(apt_date -120)"
apt_fixture_sign "$up" stable upstream
sl_start_nginx "$up"

measure() {   # NAME CMD... -> "NAME wall cpu maxrss_kb" in $SL_TMP/results ($NOSYNC=1: no sync before)
	local name=$1
	shift
	[ "${NOSYNC:-0}" = 1 ] || sync
	/usr/bin/time -f "%e %U %S %M" -o "$SL_TMP/time.$name" "$@" >"$SL_TMP/out.$name" 2>&1 ||
		{ cat "$SL_TMP/out.$name"; sl_fail "$name failed"; }
	read -r wall user sys rss <"$SL_TMP/time.$name"
	echo "$name $wall $(echo "$user + $sys" | bc) $rss" >>"$SL_TMP/results"
}

# ---- the two installs
mkconf() {   # NAME EXTRA-SOURCE-LINES
	cat >"$SL_TMP/$1.conf" <<CONF
[sluice]
state_dir = $SL_TMP/$1
log_level = warn
[import]
keyring = $SL_TMP/dmz.asc
[source bench]
type = apt
suites = stable
components = main
architectures = $arch
keyring = $APT_KEYS/upstream.gpg
$2
CONF
}
: >"$SL_TMP/dmz.asc"
mkconf dmz "url = http://127.0.0.1:$SL_NGINX_PORT/"
mkconf inside "from = bundle"
D=("$SL_ADMIN" -c "$SL_TMP/dmz.conf")
IN=("$SL_ADMIN" -c "$SL_TMP/inside.conf")
"${D[@]}" init >/dev/null
"${IN[@]}" init >/dev/null
"${D[@]}" keys export >"$SL_TMP/dmz.asc"
"${D[@]}" sync bench >/dev/null
bytes=$(du -sb "$up" | cut -f1)

# ---- sluice
measure sluice_export "${D[@]}" export bench --to "$SL_TMP/bundle"
measure sluice_import "${IN[@]}" import "$SL_TMP/bundle"
grep -q "bench: pending" "$SL_TMP/out.sluice_import" || { cat "$SL_TMP/out.sluice_import"; sl_fail "import made no snapshot"; }
bundle_bytes=$(du -sb "$SL_TMP/bundle" | cut -f1)

# ---- scripted baseline: checksums + tar on one side, untar + check on the other
mkdir -p "$SL_TMP/x"
measure scripted_sums sh -c "cd '$up' && find . -type f -print0 | xargs -0 sha256sum >'$SL_TMP/SHA256SUMS'"
measure scripted_tar_c tar cf "$SL_TMP/mirror.tar" -C "$up" .
# sluice fsyncs its volumes and its store before it reports success; a script that is as safe must sync
# too (before the medium is unplugged, before the copy is trusted after a crash). Shown apart.
NOSYNC=1 measure durable_sync_c sync
measure scripted_tar_x tar xf "$SL_TMP/mirror.tar" -C "$SL_TMP/x"
NOSYNC=1 measure durable_sync_x sync
measure scripted_check sh -c "cd '$SL_TMP/x' && sha256sum --quiet -c '$SL_TMP/SHA256SUMS'"
measure cp cp -r "$up" "$SL_TMP/cp"

# ---- one-package delta
seq=$(ls "$SL_TMP/bundle" | sed -n 's/^bundle-0*\([0-9]*\)-.*/\1/p' | head -1)
APT_DEBS=$SL_TMP/extra
mkdir -p "$APT_DEBS"
cp "$debs/${extra}_"*.deb "$APT_DEBS/"
pkg_bytes=$(stat -c %s "$APT_DEBS/"*.deb)
apt_fixture_repo "$up" stable
apt_fixture_release "$up" stable "$(apt_date -60)"
apt_fixture_sign "$up" stable upstream
"${D[@]}" sync bench >/dev/null
measure sluice_delta_export "${D[@]}" export bench --since "$seq" --to "$SL_TMP/delta"
delta_bytes=$(du -sb "$SL_TMP/delta" | cut -f1)
measure sluice_delta_import "${IN[@]}" import "$SL_TMP/delta"
# The same delta with [export] rebuild_compressed = no: compressed indices travel whole, no recompressing.
printf '[export]\nrebuild_compressed = no\n' >>"$SL_TMP/dmz.conf"
measure sluice_delta_plain_export "${D[@]}" export bench --since "$seq" --to "$SL_TMP/delta-plain"
delta_plain_bytes=$(du -sb "$SL_TMP/delta-plain" | cut -f1)

# ---- report
echo
printf '%-22s %9s %9s %10s\n' step wall_s cpu_s peak_rss_MB
while read -r name wall cpu rss; do
	printf '%-22s %9.2f %9.2f %10.1f\n' "$name" "$wall" "$cpu" "$(echo "$rss / 1024" | bc -l)"
done <"$SL_TMP/results"
sum() { awk -v pat="$1" '$1 ~ pat { s += $2 } END { printf "%.2f", s }' "$SL_TMP/results"; }
sl=$(sum '^sluice_(export|import)$')
sc=$(sum '^scripted_')
cpt=$(sum '^cp$')
echo
echo "mirror tree: $((bytes / 1048576)) MB; bundle: $((bundle_bytes / 1048576)) MB"
echo "sluice export+import: ${sl}s; scripted (sha256sum, tar cf, tar xf, sha256sum -c): ${sc}s; cp: ${cpt}s"
dur=$(sum '^(scripted_|durable_)')
echo "ratio sluice/scripted: $(echo "$sl / $sc" | bc -l | cut -c1-5) (target <= 1.0); with the script's syncs (${dur}s):" \
	"$(echo "$sl / $dur" | bc -l | cut -c1-5); sluice/cp: $(echo "$sl / $cpt" | bc -l | cut -c1-5)"
echo "one-package delta: $delta_bytes bytes for a $pkg_bytes-byte package (target <= $((pkg_bytes + 65536)));" \
	"manifest $(tar xOf "$SL_TMP/delta/"*.tar MANIFEST | wc -c) bytes, objects $(tar tvf "$SL_TMP/delta/"*.tar | awk '$6 ~ /^objects\// { s += $3 } END { print s }') bytes"
echo "the same delta with [export] rebuild_compressed = no: $delta_plain_bytes bytes"
