#!/usr/bin/env bash
# RPM benchmark: sluice vs what users script today (dnf reposync + createrepo_c) on the same local upstream.
# Builds an upstream of COUNT signed RPMs (one rpmbuild of COUNT subpackages, incompressible payloads of
# 80-450 KB: ~500 MB at the default 2,000; cached in BENCH_WORK), indexes it with createrepo_c, signs
# repomd.xml, serves it with nginx on 127.0.0.1, then measures
#   dnf reposync (with metadata, gpgcheck on) + createrepo_c on the result
#   sluice sync (every check of verify/rpm_chain, librpm signature per package) + sluice approve (verbatim)
# and an unchanged re-sync, printing wall time, CPU time, peak RSS and the ratios. With BENCH_PRIMARY=N
# (e.g. 60000) primary.xml also lists N-COUNT extra packages of another architecture, so sync and verify
# stream a primary of N packages (only COUNT are mirrored): the memory target at RHEL AppStream scale.
# Usage: [BENCH_WORK=DIR] [BENCH_PRIMARY=N] bench/rpm_sync.sh [COUNT]   (default 2000)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-2000}
work=${BENCH_WORK:-$top/bench/work/rpm}
mkdir -p "$work"
export SL_BUILD_DIR=${SL_BUILD_DIR:-$top/build-bench}
command -v /usr/bin/time >/dev/null || { echo "bench: needs GNU time (apt-get install time)"; exit 1; }
dnf --releasever=1 reposync --help >/dev/null 2>&1 || { echo "bench: needs dnf reposync (dnf-plugins-core)"; exit 1; }
cmake -S "$top" -B "$SL_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$SL_BUILD_DIR" -j"$(nproc)" >/dev/null
. "$top/tests/integration/lib.sh"
. "$top/tests/integration/rpm_fixture.sh"
rpm_fixture_require
sl_on_cleanup rpm_fixture_keys_cleanup

# ---- the package set, built once per COUNT: one spec, COUNT subpackages, sizes spread over 80-450 KB.
rpms=$work/rpms-$count
rpm_fixture_key pkgkey
rpm_fixture_key metakey
if [ ! -f "$rpms/.done" ]; then
	rm -rf "$rpms"
	mkdir -p "$rpms"
	top_b=$SL_TMP/rpmbuild
	mkdir -p "$top_b"
	spec=$top_b/bench.spec
	{
		echo "Name: benchbase"; echo "Version: 1.0"; echo "Release: 1"; echo "Summary: bench"; echo "License: MIT"
		echo "BuildArch: noarch"; echo "%description"; echo "bench"
		for i in $(seq "$count"); do
			echo "%package -n bench$i"; echo "Summary: bench package $i"
			[ "$i" -gt 1 ] && echo "Requires: bench$(( (i * 7) % (i - 1) + 1 ))"
			echo "%description -n bench$i"; echo "Bench package $i."
			echo "%files -n bench$i"; echo "/usr/share/bench/$i"
		done
		echo "%install"
		echo "mkdir -p %{buildroot}/usr/share/bench"
		echo "for i in \$(seq $count); do head -c \$(( 81920 + (i * 7919) % 378880 )) /dev/urandom > %{buildroot}/usr/share/bench/\$i; done"
	} >"$spec"
	echo "bench: building $count RPMs (once, cached in $rpms)"
	rpmbuild --quiet --define "_topdir $top_b" --define "_binary_payload w0.ufdio" --define "__os_install_post %{nil}" \
		--define "_build_id_links none" -bb "$spec" >"$work/build.log" 2>&1 || { tail "$work/build.log"; exit 1; }
	mv "$top_b"/RPMS/noarch/bench[0-9]*.rpm "$rpms/"
	echo "bench: signing"
	rpm_fixture_sign pkgkey "$rpms"/*.rpm
	cp "$RPM_KEYS/pkgkey.asc" "$rpms/pkgkey.asc"
	cp -a "$RPM_KEYS/pkgkey" "$rpms/pkgkey.gnupg"
	touch "$rpms/.done"
fi
pkgkey=$rpms/pkgkey.asc
nrpms=$(ls "$rpms"/*.rpm | wc -l)
size_mb=$(du -smL "$rpms" | cut -f1)
echo "bench: upstream of $nrpms RPMs, $size_mb MB"

up=$SL_TMP/upstream
mkdir -p "$up/Packages"
for f in "$rpms"/*.rpm; do ln "$f" "$up/Packages/" 2>/dev/null || cp "$f" "$up/Packages/"; done
rpm_fixture_repo "$up"
if [ -n "${BENCH_PRIMARY:-}" ] && [ "$BENCH_PRIMARY" -gt "$nrpms" ]; then
	python3 - "$up" "$((BENCH_PRIMARY - nrpms))" <<'PY'
import gzip, hashlib, os, re, sys
repo, extra = sys.argv[1], int(sys.argv[2])
md = open(os.path.join(repo, "repodata/repomd.xml")).read()
m = re.search(r'<data type="primary">.*?</data>', md, re.S)
rec = m.group(0)
href = re.search(r'href="([^"]+)"', rec).group(1)
raw = gzip.open(os.path.join(repo, href)).read().decode()
n = int(re.search(r'packages="(\d+)"', raw).group(1))
pk = []
for i in range(extra):
    pk.append(f'<package type="rpm"><name>other{i}</name><arch>s390x</arch><version epoch="0" ver="1.{i}" rel="1.el9"/>'
              f'<checksum type="sha256" pkgid="YES">{hashlib.sha256(str(i).encode()).hexdigest()}</checksum>'
              f'<summary>synthetic</summary><description>A synthetic entry of another architecture.</description>'
              f'<packager/><url/><time file="1" build="1"/><size package="{1000 + i}" installed="1" archive="1"/>'
              f'<location href="Packages/other{i}-1.{i}-1.el9.s390x.rpm"/><format><rpm:license>MIT</rpm:license>'
              f'<rpm:provides><rpm:entry name="other{i}" flags="EQ" epoch="0" ver="1.{i}" rel="1.el9"/></rpm:provides>'
              f'<rpm:requires><rpm:entry name="libc.so.6()(64bit)"/></rpm:requires></format></package>\n')
raw = raw.replace(f'packages="{n}"', f'packages="{n + extra}"', 1).replace("</metadata>", "".join(pk) + "</metadata>")
data = raw.encode()
gz = gzip.compress(data, 6)
os.remove(os.path.join(repo, href))
new_href = "repodata/%s-primary.xml.gz" % hashlib.sha256(gz).hexdigest()
open(os.path.join(repo, new_href), "wb").write(gz)
def setf(r, tag, v, t=None):
    if t:
        return re.sub(r'<%s type="[^"]*">[^<]*</%s>' % (tag, tag), '<%s type="%s">%s</%s>' % (tag, t, v, tag), r)
    return re.sub(r'<%s>[^<]*</%s>' % (tag, tag), '<%s>%s</%s>' % (tag, v, tag), r)
rec2 = setf(setf(setf(setf(rec, "checksum", hashlib.sha256(gz).hexdigest(), "sha256"), "size", len(gz)),
                 "open-checksum", hashlib.sha256(data).hexdigest(), "sha256"), "open-size", len(data))
rec2 = rec2.replace(href, new_href)
open(os.path.join(repo, "repodata/repomd.xml"), "w").write(md[:m.start()] + rec2 + md[m.end():])
print(f"bench: primary now lists {n + extra} packages ({len(data) >> 20} MB uncompressed)")
PY
fi
rpm_fixture_sign_repomd "$up" metakey
sl_start_nginx "$up"
url=http://127.0.0.1:$SL_NGINX_PORT/

measure() {   # NAME CMD... -> appends "NAME wall user+sys maxrss_kb" to $SL_TMP/results
	local name=$1
	shift
	sync
	/usr/bin/time -f "%e %U %S %M" -o "$SL_TMP/time.$name" "$@" >"$SL_TMP/out.$name" 2>&1 ||
		{ cat "$SL_TMP/out.$name"; sl_fail "$name failed"; }
	read -r wall user sys rss <"$SL_TMP/time.$name"
	echo "$name $wall $(echo "$user + $sys" | bc) $rss" >>"$SL_TMP/results"
}

# ---- dnf reposync + createrepo_c: what users script today (packages checked with gpgcheck, metadata kept).
rs=$SL_TMP/reposync
mkdir -p "$rs/repos" "$rs/out" "$rs/cache"
cat >"$rs/repos/bench.repo" <<REPO
[bench]
name=bench
baseurl=$url
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$pkgkey
       file://$RPM_KEYS/metakey.asc
REPO
cat >"$rs/reposync.sh" <<SH
set -e
dnf -q -y --releasever=1 --setopt=reposdir=$rs/repos --setopt=cachedir=$rs/cache --installroot=$rs/root \
	reposync --repoid=bench --arch=noarch -p $rs/out --download-metadata --norepopath
createrepo_c --quiet --no-database --update $rs/out
SH
measure reposync bash "$rs/reposync.sh"

# ---- sluice sync + approve
state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
arches="noarch"
cat >"$conf" <<CONF
[sluice]
state_dir = $state
log_level = warn
[syncd]
max_connections_per_host = 4
[source bench]
type = rpm
url = $url
architectures = $arches
keyring = $RPM_KEYS/metakey.asc
package_keyring = $pkgkey
publish = verbatim
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
measure sluice_sync "$SL_ADMIN" -c "$conf" sync bench
snap=$(S --json pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
measure sluice_publish "$SL_ADMIN" -c "$conf" approve "$snap" --reason bench
before=$(wc -l <"$SL_NGINX_DIR/access.log")
measure sluice_resync "$SL_ADMIN" -c "$conf" sync bench
resync_requests=$(($(wc -l <"$SL_NGINX_DIR/access.log") - before))

python3 - "$SL_TMP/results" "$nrpms" "$size_mb" "$resync_requests" "${BENCH_PRIMARY:-$nrpms}" <<'PY'
import sys
r = {}
for line in open(sys.argv[1]):
    n, w, c, m = line.split()
    r[n] = (float(w), float(c), int(m) / 1024)
n, mb, req, prim = sys.argv[2:6]
print(f"\nRPM benchmark: {n} packages, {mb} MB, primary listing {prim} packages, upstream nginx on loopback")
print(f"{'':18} {'wall s':>8} {'cpu s':>8} {'peak RSS MB':>12}")
for k in ("reposync", "sluice_sync", "sluice_publish", "sluice_resync"):
    w, c, m = r[k]
    print(f"{k:18} {w:8.2f} {c:8.2f} {m:12.1f}")
print(f"\nsync wall ratio sluice/(reposync+createrepo_c) = {r['sluice_sync'][0] / r['reposync'][0]:.2f} (target <= 0.4)")
print(f"sync peak RSS sluice = {r['sluice_sync'][2]:.1f} MB (target <= 32)")
print(f"publish {r['sluice_publish'][0]:.2f} s (target <= 0.5)")
print(f"re-sync unchanged upstream: {r['sluice_resync'][0]:.3f} s, {req} request(s)")
PY
