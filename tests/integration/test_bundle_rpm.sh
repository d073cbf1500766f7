#!/usr/bin/env bash
# RPM across the air gap: a signed RPM repository (rpm_fixture.sh: packages signed with one key, repomd.xml
# with another, a dependency, an updateinfo advisory) on nginx -> the DMZ syncs two sources (the whole
# repository verbatim, and `packages = hello`, which resigns) and exports one bundle -> the inside (from =
# bundle, no URL, the upstream's keys pinned in its own configuration) imports, an administrator approves,
# and stock dnf with gpgcheck=1 and repo_gpgcheck=1 installs hello with its dependency from the inside's
# sluice-served, the RPMs byte-identical to upstream. A compromised DMZ cannot pass an RPM repository the
# inside's keys do not vouch for (either key), nor a package swapped in a manifest the DMZ signs; a delta
# after a new upstream version carries only the new objects and brings the new version to dnf; and an older
# repository replayed under a fresh bundle sequence is refused as a rollback.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/rpm_fixture.sh"
. "$here/bundle_fixture.sh"
rpm_fixture_require
command -v dnf >/dev/null 2>&1 || sl_skip "dnf not installed"
sl_on_cleanup rpm_fixture_keys_cleanup

rpm_fixture_key pkgkey
PKG_FPR=$RPM_KEY_FPR
rpm_fixture_key metakey
META_FPR=$RPM_KEY_FPR
rpm_fixture_key intruder
INTRUDER_FPR=$RPM_KEY_FPR

rpms=$SL_TMP/rpms
rpm_fixture_build "$rpms" libgreet 1.0 "" /usr/share/greet/data
rpm_fixture_build "$rpms" hello 2.0 "libgreet >= 1.0" /usr/share/hello/data
rpm_fixture_build "$rpms" unrelated 0.1 ""
rpm_fixture_sign pkgkey "$rpms"/*.rpm
up=$SL_TMP/upstream
mkdir -p "$up/Packages"
cp "$rpms"/*.rpm "$up/Packages/"
rpm_fixture_repo "$up"
rpm_fixture_updateinfo "$up" TEST-2026:0001 libgreet 1.0 TEST-2026:0002 unrelated 0.1
rpm_fixture_sign_repomd "$up" metakey
sl_start_nginx "$up"

# ---- DMZ: two rpm sources on the same upstream, synced
state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
rpm_keys="keyring = $RPM_KEYS/metakey.asc
signed_by = $META_FPR
package_keyring = $RPM_KEYS/pkgkey.asc
architectures = x86_64 noarch
approve = manual"
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[source el]
type = rpm
url = http://127.0.0.1:$SL_NGINX_PORT/
publish = verbatim
$rpm_keys
[source elsub]
type = rpm
url = http://127.0.0.1:$SL_NGINX_PORT/
packages = hello
$rpm_keys
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
dmz_sync() {   # SOURCE -> id of the DMZ's newest pending snapshot of it
	S sync "$1" >"$SL_TMP/sync-$1.out" 2>&1 || { cat "$SL_TMP/sync-$1.out"; sl_fail "DMZ sync $1"; }
	grep -q 'pending approval' "$SL_TMP/sync-$1.out" || { cat "$SL_TMP/sync-$1.out"; sl_fail "DMZ sync $1: not pending"; }
	S --json pending "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'
}
el1=$(dmz_sync el)
sub1=$(dmz_sync elsub)

# ---- inside: its configuration names no URL and pins the upstream's keys itself
inside_sources() {   # METAKEY METAFPR PKGKEY: the inside's [source] sections
	local k="keyring = $1
signed_by = $2
package_keyring = $3
architectures = x86_64 noarch
approve = manual"
	printf '[source el]\ntype = rpm\nfrom = bundle\npublish = verbatim\n%s\n' "$k"
	printf '[source elsub]\ntype = rpm\nfrom = bundle\npackages = hello\n%s\n' "$k"
}
bundle_inside "$(inside_sources "$RPM_KEYS/metakey.asc" "$META_FPR" "$RPM_KEYS/pkgkey.asc")"
grep -Eq '^url *=' "$in_conf" && sl_fail "the inside's configuration names an upstream"
vol_el=$(bundle_export el --to "$SL_TMP/b0")   # one source, for bundle_craft.py (below)
vol=$(bundle_export el elsub --to "$SL_TMP/b1")
[ "$(echo "$vol" | wc -l)" = 1 ] || sl_fail "one volume expected, got: $vol"
seq1=$(export_field sequence)
full_bytes=$(export_field object_bytes)
tar xOf "$vol" MANIFEST | grep -q 'Packages/hello-2.0-1.noarch.rpm' || sl_fail "the bundle does not carry hello"

# ---- a compromised DMZ: the inside pins other keys than those that signed the repository; the import is
# refused by the inside's verifier, nothing is pending or published. Each in an inside of its own (same DMZ
# key for bundles), since a refused bundle is not imported again.
refused_by_inside() {   # NAME VOLUME METAKEY METAFPR PKGKEY REASON-REGEX
	local c=$SL_TMP/$1.conf st=$SL_TMP/$1 rc=0
	printf '[sluice]\nstate_dir = %s\n[import]\nkeyring = %s\n%s\n' "$st" "$SL_TMP/dmz.asc" \
		"$(inside_sources "$3" "$4" "$5")" >"$c"
	"$SL_ADMIN" -c "$c" init >/dev/null
	"$SL_ADMIN" -c "$c" import "$2" >"$SL_TMP/$1.out" 2>&1 || rc=$?
	[ $rc = 3 ] || { cat "$SL_TMP/$1.out"; sl_fail "$1: import exit $rc, want 3"; }
	grep -q "^el: failed" "$SL_TMP/$1.out" || { cat "$SL_TMP/$1.out"; sl_fail "$1: not refused by the inside's verifier"; }
	grep -Eqi "$6" "$SL_TMP/$1.out" || { cat "$SL_TMP/$1.out"; sl_fail "$1: no reason matching /$6/"; }
	[ "$("$SL_ADMIN" -c "$c" --json pending | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
		sl_fail "$1: a snapshot is pending"
	"$SL_ADMIN" -c "$c" --json snapshots | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s and all(x["state"] == "failed" for x in s), s' || sl_fail "$1: a snapshot is not failed"
	[ -z "$(find "$st/public" -path '*rpm*' -type f 2>/dev/null)" ] || sl_fail "$1: something is published"
	sl_log "$1: refused: $(grep '^el: failed' "$SL_TMP/$1.out" | cut -c1-240)"
}
refused_by_inside bad-meta "$vol" "$RPM_KEYS/intruder.asc" "$INTRUDER_FPR" "$RPM_KEYS/pkgkey.asc" 'openpgp-signature'
grep -q "^elsub: failed" "$SL_TMP/bad-meta.out" || sl_fail "bad-meta: elsub not refused: $(cat "$SL_TMP/bad-meta.out")"
refused_by_inside bad-pkg "$vol" "$RPM_KEYS/metakey.asc" "$META_FPR" "$RPM_KEYS/intruder.asc" 'package-signature'
grep -q "^elsub: failed" "$SL_TMP/bad-pkg.out" || sl_fail "bad-pkg: elsub not refused: $(cat "$SL_TMP/bad-pkg.out")"
# ... and with the right keys, a package swapped in a manifest the DMZ's own key signs (what a compromised
# DMZ can sign): the inside's RPM chain (primary's size and checksum) refuses it.
cp -a "$state/keys" "$SL_TMP/dmzkeys"
stop_agents() { gpgconf --homedir "$SL_TMP/dmzkeys" --kill all 2>/dev/null || true; }
sl_on_cleanup stop_agents
python3 "$here/bundle_craft.py" altered "$vol_el" "$SL_TMP/altered.tar" "$SL_TMP/dmzkeys" || sl_fail "crafting"
refused_by_inside altered "$SL_TMP/altered.tar" "$RPM_KEYS/metakey.asc" "$META_FPR" "$RPM_KEYS/pkgkey.asc" 'Packages/hello.*package-hash'

# ---- inside: import -> pending with exactly the DMZ's entries; nothing visible before approval
I import "$vol" >"$SL_TMP/imp.out" || { cat "$SL_TMP/imp.out"; sl_fail "import failed"; }
in_el1=$(in_pending el)
in_sub1=$(in_pending elsub)
[ -n "$in_el1" ] && [ -n "$in_sub1" ] || sl_fail "import made no pending snapshot: $(cat "$SL_TMP/imp.out")"
entries_of S "$el1" | cmp -s - <(entries_of I "$in_el1") || sl_fail "el: the inside's snapshot differs from the DMZ's"
entries_of S "$sub1" | cmp -s - <(entries_of I "$in_sub1") || sl_fail "elsub: the inside's snapshot differs from the DMZ's"
I --json show "$in_el1" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert not [v for v in s["verifications"] if not v["passed"]], s["verifications"]
checks = {v["check"] for v in s["verifications"]}
assert {"openpgp-signature", "packages", "checksum"} <= checks, checks
pk = [v for v in s["verifications"] if v["check"] == "packages"][0]
assert sys.argv[1][-16:].lower() in pk["reason"], pk' "$PKG_FPR" ||
	sl_fail "the inside did not verify the RPM repository itself"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$in_base/rpm/el/repodata/repomd.xml")" = 404 ] ||
	sl_fail "an unapproved import is visible"
I approve "$in_el1" --reason "CHG-21 rpm carried across" >/dev/null
I approve "$in_sub1" --reason "CHG-21 rpm subset" >/dev/null
curl -sf "$in_base/rpm/el/repodata/repomd.xml" | cmp -s - "$up/repodata/repomd.xml" ||
	sl_fail "the inside's verbatim repomd.xml differs from upstream"

# ---- stock dnf, strict, against the inside: verbatim (upstream's keys) and resigned (sluice's inside key)
curl -sf -o "$SL_TMP/inside-sluice.asc" "$in_base/keys/sluice.asc" || sl_fail "the inside publishes no key"
dnf_client() {   # NAME METAKEY: a client dir with a .repo for the inside's source NAME
	local d=$SL_TMP/dnf-$1
	mkdir -p "$d/repos" "$d/root" "$d/cache"
	printf '[%s]\nname=%s via the inside\nbaseurl=%s/rpm/%s/\nenabled=1\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=file://%s\n       file://%s\n' \
		"$1" "$1" "$in_base" "$1" "$RPM_KEYS/pkgkey.asc" "$2" >"$d/repos/$1.repo"
}
dnf_in() {   # NAME ARGS...
	local d=$SL_TMP/dnf-$1
	shift
	command dnf -y -q --installroot="$d/root" --setopt=reposdir="$d/repos" --setopt=cachedir="$d/cache" \
		--setopt=gpgcheck=1 --setopt=repo_gpgcheck=1 --setopt=keepcache=1 --releasever=1 \
		--setopt=install_weak_deps=0 --disableplugin='*' "$@"
}
same_as_upstream() {   # NAME RPM-FILE
	local got
	got=$(find "$SL_TMP/dnf-$1/cache" -name "$2" | head -1)
	[ -n "$got" ] || sl_fail "$1: $2 not in dnf's cache"
	cmp -s "$got" "$up/Packages/$2" || sl_fail "$1: $2 from the inside differs from upstream"
}
dnf_client el "$RPM_KEYS/metakey.asc"
dnf_client elsub "$SL_TMP/inside-sluice.asc"
for s in el elsub; do
	dnf_in $s install hello >"$SL_TMP/dnf-$s.out" 2>&1 || { cat "$SL_TMP/dnf-$s.out"; sl_fail "$s: dnf install hello failed"; }
	rpm --root "$SL_TMP/dnf-$s/root" -q hello libgreet >"$SL_TMP/q-$s" || sl_fail "$s: hello/libgreet not installed"
	same_as_upstream $s hello-2.0-1.noarch.rpm
	same_as_upstream $s libgreet-1.0-1.noarch.rpm
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$in_base/rpm/elsub/Packages/unrelated-0.1-1.noarch.rpm")" = 404 ] ||
	sl_fail "elsub serves a package that was not selected"

# ---- a delta: a new libgreet upstream; the DMZ syncs, exports --since; the inside's snapshots equal the
# DMZ's and dnf upgrades to the new version from both sources
rpm_fixture_build "$SL_TMP/newer" libgreet 1.1 "" /usr/share/greet/data
rpm_fixture_sign pkgkey "$SL_TMP/newer"/*.rpm
cp "$SL_TMP/newer"/*.rpm "$up/Packages/"
createrepo_c --quiet --update --revision 4000000000 "$up" >/dev/null || sl_fail "createrepo_c --update"
rpm_fixture_updateinfo "$up" TEST-2026:0001 libgreet 1.0 TEST-2026:0002 unrelated 0.1 TEST-2026:0003 libgreet 1.1
rpm_fixture_sign_repomd "$up" metakey
el2=$(dmz_sync el)
sub2=$(dmz_sync elsub)
want=$(python3 - "$SL_ADMIN" "$conf" "$el1,$sub1" "$el2,$sub2" <<'PY'
import json, subprocess, sys
def ents(ids):
    out = {}
    for i in ids.split(","):
        show = subprocess.check_output([sys.argv[1], "-c", sys.argv[2], "--json", "show", i])
        out.update({e["sha256"]: e["size"] for e in json.loads(show)["entries"]})
    return out
old, new = ents(sys.argv[3]), ents(sys.argv[4])
add = {k: v for k, v in new.items() if k not in old}
print(len(add), sum(add.values()))
PY
)
vol2=$(bundle_export el elsub --since "$seq1" --to "$SL_TMP/b2")
delta_bytes=$(export_field object_bytes)
[ "$(export_field objects) $delta_bytes" = "$want" ] ||
	sl_fail "the delta carries $(export_field objects) objects / $delta_bytes bytes, want $want (new objects only)"
sl_log "full bundle: $full_bytes object bytes; delta: $delta_bytes"
[ "$delta_bytes" -lt "$full_bytes" ] || sl_fail "the delta carries $delta_bytes bytes, the full bundle $full_bytes"
tar xOf "$vol2" MANIFEST | grep -q 'libgreet-1.1-1.noarch.rpm' || sl_fail "the delta does not name libgreet 1.1"
I import "$vol2" >"$SL_TMP/imp2.out" || { cat "$SL_TMP/imp2.out"; sl_fail "delta import failed"; }
in_el2=$(in_pending el)
in_sub2=$(in_pending elsub)
[ -n "$in_el2" ] && [ "$in_el2" != "$in_el1" ] && [ -n "$in_sub2" ] && [ "$in_sub2" != "$in_sub1" ] ||
	sl_fail "the delta made no new pending snapshots: $(cat "$SL_TMP/imp2.out")"
entries_of S "$el2" | cmp -s - <(entries_of I "$in_el2") || sl_fail "el: the delta's snapshot differs from the DMZ's"
entries_of S "$sub2" | cmp -s - <(entries_of I "$in_sub2") || sl_fail "elsub: the delta's snapshot differs from the DMZ's"
I approve "$in_el2" --reason "CHG-22" >/dev/null
I approve "$in_sub2" --reason "CHG-22" >/dev/null
for s in el elsub; do
	dnf_in $s --refresh upgrade >"$SL_TMP/dnf2-$s.out" 2>&1 || { cat "$SL_TMP/dnf2-$s.out"; sl_fail "$s: dnf upgrade failed"; }
	rpm --root "$SL_TMP/dnf-$s/root" -q libgreet | grep -q '^libgreet-1.1-1' ||
		sl_fail "$s: dnf did not upgrade libgreet to 1.1: $(rpm --root "$SL_TMP/dnf-$s/root" -q libgreet)"
	same_as_upstream $s libgreet-1.1-1.noarch.rpm
done

# ---- a compromised DMZ replays the first bundle (the older, validly signed repository) under a fresh
# sequence its own key signs: the bundle layer cannot tell; the inside's RPM rollback check refuses it.
published=$(curl -sf "$in_base/rpm/el/repodata/repomd.xml" | sha256sum)
python3 "$here/bundle_craft.py" resequence "$vol" "$SL_TMP/replay.tar" "$SL_TMP/dmzkeys" || sl_fail "crafting"
rc=0; I import "$SL_TMP/replay.tar" >"$SL_TMP/replay.out" 2>&1 || rc=$?
[ $rc = 3 ] || { cat "$SL_TMP/replay.out"; sl_fail "a replayed older repository: import exit $rc, want 3"; }
for s in el elsub; do
	grep -Eq "^$s: failed .*rollback.*older than the last accepted" "$SL_TMP/replay.out" ||
		{ cat "$SL_TMP/replay.out"; sl_fail "$s: the replayed older repository is not refused as a rollback"; }
	[ -z "$(in_pending $s)" ] || sl_fail "$s: the replayed older repository is pending"
done
[ "$(curl -sf "$in_base/rpm/el/repodata/repomd.xml" | sha256sum)" = "$published" ] ||
	sl_fail "the replayed older repository changed what the inside publishes"
sl_log "replayed older repository: $(grep '^el: failed' "$SL_TMP/replay.out" | cut -c1-240)"
echo "bundle rpm: ok"
