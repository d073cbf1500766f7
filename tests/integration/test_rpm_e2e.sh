#!/usr/bin/env bash
# RPM end to end: real packages built with rpmbuild, signed with a throwaway package key, a repository made
# by createrepo_c (+ an advisory with modifyrepo_c) whose repomd.xml is signed with a second throwaway key,
# served by nginx on loopback -> sluice sync -> pending (invisible) -> approve -> stock dnf with gpgcheck=1
# and repo_gpgcheck=1 installs a package with its dependency (a package and a file dependency) from
# sluice-served, the RPMs byte-identical to upstream. Then every tamper case of issue 15 is refused with a
# clear reason and nothing new is published.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/rpm_fixture.sh"
rpm_fixture_require
command -v dnf >/dev/null 2>&1 || sl_skip "dnf not installed"
sl_on_cleanup rpm_fixture_keys_cleanup

rpm_fixture_key pkgkey
PKG_FPR=$RPM_KEY_FPR
rpm_fixture_key metakey
META_FPR=$RPM_KEY_FPR
rpm_fixture_key intruder
cat "$RPM_KEYS/metakey.asc" >"$RPM_KEYS/meta-ring.asc"

rpms=$SL_TMP/rpms
# hello needs libgreet (a package dependency) and /usr/share/greet/data (a file dependency libgreet owns);
# libgreet comes in two versions, so the client must pick the newest.
rpm_fixture_build "$rpms" libgreet 1.0 "" /usr/share/greet/data
rpm_fixture_build "$rpms" libgreet 1.1 "" /usr/share/greet/data
rpm_fixture_build "$rpms" hello 2.0 "libgreet >= 1.0, /usr/share/greet/data" /usr/share/hello/data
rpm_fixture_build "$rpms" unrelated 0.1 ""
rpm_fixture_sign pkgkey "$rpms"/*.rpm

good=$SL_TMP/good
mkdir -p "$good/Packages"
cp "$rpms"/*.rpm "$good/Packages/"
rpm_fixture_repo "$good"
rpm_fixture_updateinfo "$good" TEST-2026:0001 libgreet 1.1 TEST-2026:0002 unrelated 0.1
rpm_fixture_sign_repomd "$good" metakey

up=$SL_TMP/upstream
cp -a "$good" "$up"
sl_start_nginx "$up"

state=$SL_TMP/state
port=$(sl_free_port)
conf=$SL_TMP/sluice.conf
served_user=$(sl_served_user_line "$RPM_KEYS")
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
low_speed_time = 3s
low_speed_limit = 1K
retries = 1
[served]
listen = 127.0.0.1:$port
$served_user
[source el]
type = rpm
url = http://127.0.0.1:$SL_NGINX_PORT/
architectures = x86_64 noarch
keyring = $RPM_KEYS/meta-ring.asc
signed_by = $META_FPR
package_keyring = $RPM_KEYS/pkgkey.asc
publish = verbatim
approve = manual
[source elsub]
type = rpm
url = http://127.0.0.1:$SL_NGINX_PORT/
architectures = x86_64 noarch
keyring = $RPM_KEYS/meta-ring.asc
signed_by = $META_FPR
package_keyring = $RPM_KEYS/pkgkey.asc
packages = hello
publish = resign
approve = manual
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }

S init >/dev/null
[ "$(id -u)" -eq 0 ] && chmod 755 "$state"
S sync el | tee "$SL_TMP/sync1.out"
grep -q 'pending approval' "$SL_TMP/sync1.out" || sl_fail "first sync did not produce a pending snapshot"
snap1=$(S --json pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

S --json show "$snap1" >"$SL_TMP/show1.json"
python3 - "$SL_TMP/show1.json" "$PKG_FPR" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
pk = sorted(e["path"] for e in s["entries"] if e["role"] == "package")
assert len(pk) == 4, pk
roles = {e["role"] for e in s["entries"]}
assert {"repomd", "repomd-sig", "metadata", "package"} <= roles, roles
fails = [v for v in s["verifications"] if not v["passed"]]
assert not fails, fails
checks = {v["check"] for v in s["verifications"]}
for c in ("openpgp-signature", "rollback", "checksum-type", "location", "checksum", "open-checksum", "packages",
          "inventory"):
    assert c in checks, f"no {c} record: {checks}"
pk_rec = [v for v in s["verifications"] if v["check"] == "packages"][0]
assert sys.argv[2][-16:].lower() in pk_rec["reason"], pk_rec
PY

# The verification records, in the same checks and words as tests/data/verify/rpm_e2e.golden (sorted, since
# order is not part of the contract; fingerprints, key ids, digests and numbers normalised by rpm_golden.py).
# SL_UPDATE_GOLDEN=1 rewrites the golden file.
python3 "$here/rpm_golden.py" "$SL_TMP/show1.json" >"$SL_TMP/records"
golden=$SL_SOURCE_DIR/tests/data/verify/rpm_e2e.golden
if [ "${SL_UPDATE_GOLDEN:-0}" = 1 ]; then
	mkdir -p "$(dirname "$golden")"
	cp "$SL_TMP/records" "$golden"
fi
diff -u "$golden" "$SL_TMP/records" || sl_fail "verification records differ from $golden"

# sluice diff before the first approval: everything is new, and both advisories come with it.
S diff "$snap1" | tee "$SL_TMP/diff1.out"
grep -Eq 'added +libgreet +noarch +1\.1-1' "$SL_TMP/diff1.out" || sl_fail "diff: libgreet 1.1 not shown as added"
grep -Eq 'advisory +TEST-2026:0001 +security +Important +CVE-2026-0001' "$SL_TMP/diff1.out" ||
	sl_fail "diff: advisory TEST-2026:0001 (security, Important, CVE-2026-0001) not shown"
S --json diff "$snap1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
adv = {c["id"]: c for c in d["changes"] if c["change"] == "advisory"}
assert set(adv) == {"TEST-2026:0001", "TEST-2026:0002"}, adv
a = adv["TEST-2026:0001"]
assert a["type"] == "security" and a["severity"] == "Important" and a["cves"] == ["CVE-2026-0001"], a
assert a["packages"] == ["libgreet-0:1.1-1.noarch"], a
assert d["summary"]["added"] == 3 and d["summary"]["security"] == 2, d["summary"]
'

# An unchanged upstream: one request for repomd.xml and its signature, no snapshot.
before=$(wc -l <"$SL_NGINX_DIR/access.log")
S sync el | grep -q 'unchanged' || sl_fail "re-sync of an unchanged upstream was not 'unchanged'"
[ $(($(wc -l <"$SL_NGINX_DIR/access.log") - before)) -eq 2 ] || sl_fail "unchanged re-sync made more than two requests"

sl_start_bg "$SL_TMP/served.log" "$SL_SERVED" -c "$conf" -f
sl_wait_for_line "$SL_TMP/served.log" "serving on"
base=http://127.0.0.1:$port

code=$(curl -s -o /dev/null -w '%{http_code}' "$base/rpm/el/repodata/repomd.xml")
[ "$code" = 404 ] || sl_fail "unapproved snapshot is visible (HTTP $code)"
S approve "$snap1" --reason "initial import"
curl -sf "$base/rpm/el/repodata/repomd.xml" | cmp - "$good/repodata/repomd.xml" ||
	sl_fail "published repomd.xml differs from upstream (verbatim)"
curl -sf -o "$SL_TMP/status.html" "$base/" || sl_fail "no status page"
grep -q 'yum.repos.d/sluice-el.repo' "$SL_TMP/status.html" || sl_fail "status page has no .repo snippet"
grep -q "baseurl=$base/rpm/el/" "$SL_TMP/status.html" || sl_fail "the .repo snippet has no baseurl"
grep -q "^       $base/keys/sluice.asc" "$SL_TMP/status.html" || sl_fail "the resign source's snippet does not name sluice's key"

# Stock dnf, strict: package and metadata signatures checked with the upstream's keys.
client=$SL_TMP/dnf
mkdir -p "$client/repos" "$client/root" "$client/cache"
cat >"$client/repos/el.repo" <<REPO
[el]
name=el via sluice
baseurl=$base/rpm/el/
enabled=1
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$RPM_KEYS/pkgkey.asc
       file://$RPM_KEYS/metakey.asc
REPO
dnf() {
	command dnf -y -q --installroot="$client/root" --setopt=reposdir="$client/repos" --setopt=cachedir="$client/cache" \
		--setopt=gpgcheck=1 --setopt=repo_gpgcheck=1 --setopt=keepcache=1 --releasever=1 \
		--setopt=install_weak_deps=0 --disableplugin='*' "$@"
}
dnf install hello >"$SL_TMP/dnf.out" 2>&1 || { cat "$SL_TMP/dnf.out"; sl_fail "dnf install hello from sluice failed"; }
rpm --root "$client/root" -q hello libgreet | tee "$SL_TMP/installed"
grep -q '^libgreet-1.1-1' "$SL_TMP/installed" || sl_fail "dnf did not install the newest libgreet"
for f in hello-2.0-1.noarch.rpm libgreet-1.1-1.noarch.rpm; do
	got=$(find "$client/cache" -name "$f" | head -1)
	[ -n "$got" ] || sl_fail "$f not in dnf's cache"
	cmp "$got" "$good/Packages/$f" || sl_fail "$f from sluice differs from upstream"
done
repomd_ok=$(curl -sf "$base/rpm/el/repodata/repomd.xml" | sha256sum)

# ---- publish = resign with packages = hello: the closure (hello, both libgreet) only, metadata regenerated
# and signed by sluice, the advisory of the package that does not ship dropped; dnf trusts sluice's key for
# repomd.xml and still the vendor's for the packages.
S sync elsub | tee "$SL_TMP/sync-sub.out"
snap_sub=$(S --json pending | python3 -c 'import json,sys; print([s for s in json.load(sys.stdin) if s["source"] == "elsub"][0]["id"])')
S --json show "$snap_sub" | python3 -c '
import json, sys
s = json.load(sys.stdin)
pk = sorted(e["path"] for e in s["entries"] if e["role"] == "package")
assert pk == ["Packages/hello-2.0-1.noarch.rpm", "Packages/libgreet-1.0-1.noarch.rpm", "Packages/libgreet-1.1-1.noarch.rpm"], pk
assert not [v for v in s["verifications"] if not v["passed"]]
'
S approve "$snap_sub" --reason "subset"
curl -sf -o "$SL_TMP/sluice.asc" "$base/keys/sluice.asc" || sl_fail "no sluice key published"
curl -sf "$base/rpm/elsub/repodata/repomd.xml" >"$SL_TMP/sub-repomd.xml"
mkdir -p -m700 "$SL_TMP/gv"
gpg --homedir "$SL_TMP/gv" --batch --quiet --import "$SL_TMP/sluice.asc" 2>/dev/null
curl -sf -o "$SL_TMP/sub-repomd.xml.asc" "$base/rpm/elsub/repodata/repomd.xml.asc"
gpg --homedir "$SL_TMP/gv" --batch --verify "$SL_TMP/sub-repomd.xml.asc" "$SL_TMP/sub-repomd.xml" 2>/dev/null ||
	sl_fail "resigned repomd.xml does not verify with sluice's key"
gpgconf --homedir "$SL_TMP/gv" --kill all 2>/dev/null || true
ui=$(python3 -c '
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"<data type=\"updateinfo\">.*?<location href=\"([^\"]+)\"", t, re.S)
print(m.group(1) if m else "")' "$SL_TMP/sub-repomd.xml")
[ -n "$ui" ] || sl_fail "resigned repomd.xml has no updateinfo"
curl -sf "$base/rpm/elsub/$ui" | gzip -dc >"$SL_TMP/sub-updateinfo.xml"
grep -q 'TEST-2026:0001' "$SL_TMP/sub-updateinfo.xml" || sl_fail "the shipped package's advisory was dropped"
if grep -q 'TEST-2026:0002' "$SL_TMP/sub-updateinfo.xml"; then sl_fail "the advisory of a package that does not ship was kept"; fi
client2=$SL_TMP/dnf2
mkdir -p "$client2/repos" "$client2/root" "$client2/cache"
cat >"$client2/repos/elsub.repo" <<REPO
[elsub]
name=elsub via sluice, resigned
baseurl=$base/rpm/elsub/
enabled=1
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$RPM_KEYS/pkgkey.asc
       file://$SL_TMP/sluice.asc
REPO
command dnf -y -q --installroot="$client2/root" --setopt=reposdir="$client2/repos" --setopt=cachedir="$client2/cache" \
	--setopt=gpgcheck=1 --setopt=repo_gpgcheck=1 --setopt=keepcache=1 --releasever=1 --setopt=install_weak_deps=0 \
	--disableplugin='*' install hello >"$SL_TMP/dnf2.out" 2>&1 ||
	{ cat "$SL_TMP/dnf2.out"; sl_fail "dnf install from the resigned repository failed"; }
rpm --root "$client2/root" -q hello libgreet >/dev/null || sl_fail "hello/libgreet not installed from the resigned repository"
got=$(find "$client2/cache" -name hello-2.0-1.noarch.rpm | head -1)
cmp "$got" "$good/Packages/hello-2.0-1.noarch.rpm" || sl_fail "hello from the resigned repository differs from upstream"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/rpm/elsub/Packages/unrelated-0.1-1.noarch.rpm")
[ "$code" = 404 ] || sl_fail "unrelated is served (HTTP $code) but was not selected"

# ---- tamper cases: each refused with a clear reason, nothing pending, the published tree unchanged.
n=0
fresh() {   # upstream := the good repository, revision bumped so it is never 'unchanged'
	rm -rf "$up"
	cp -a "$good" "$up"
}
expect_refused() {   # WHAT REASON-REGEX
	local what=$1 re=$2 out=$SL_TMP/tamper-$n.out rc=0
	n=$((n + 1))
	S sync el >"$out" 2>&1 || rc=$?
	[ $rc -ne 0 ] || { cat "$out"; sl_fail "$what: sync succeeded"; }
	grep -Eqi "$re" "$out" || { cat "$out"; sl_fail "$what: no clear reason matching /$re/"; }
	[ "$(S --json pending | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
		sl_fail "$what: a pending snapshot was created"
	[ "$(curl -sf "$base/rpm/el/repodata/repomd.xml" | sha256sum)" = "$repomd_ok" ] ||
		sl_fail "$what: the published repomd.xml changed"
	sl_log "refused as expected: $what: $(grep -Eio "$re.*" "$out" | head -1 | cut -c1-240)"
}

# 1. A package signed by an unknown key behind correctly signed metadata.
fresh
rpm_fixture_build "$SL_TMP/evil" libgreet 1.2 "" /usr/share/greet/data
rpm_fixture_sign intruder "$SL_TMP/evil"/*.rpm
cp "$SL_TMP/evil"/*.rpm "$up/Packages/"
rpm_fixture_repo "$up"
rpm_fixture_sign_repomd "$up" metakey
expect_refused "package signed by an unknown key" 'package-signature.*(NOKEY|key)'
rm -rf "$SL_TMP/evil"

# 2. A validly signed package whose NEVRA differs from its primary entry (primary says libgreet 1.1 is 9.9).
fresh
python3 "$here/rpm_tamper.py" "$up" primary-sub 'ver="1.1"' 'ver="9.9"'
rpm_fixture_sign_repomd "$up" metakey
expect_refused "NEVRA differs from primary" 'nevra.*signed header is libgreet-1\.1-1\.noarch.*libgreet-9\.9-1\.noarch'

# 3. Metadata signed by an unknown key.
fresh
rpm_fixture_sign_repomd "$up" intruder
expect_refused "repomd.xml signed by an unknown key" 'openpgp-signature'

# 4. An expired signature by the pinned key.
fresh
rm -f "$up/repodata/repomd.xml.asc"
gpg --homedir "$RPM_KEYS/metakey" --batch --quiet --pinentry-mode loopback --passphrase '' --armor \
	--default-sig-expire seconds=1 --ask-sig-expire --detach-sign -o "$up/repodata/repomd.xml.asc" \
	"$up/repodata/repomd.xml" 2>/dev/null
sleep 2
expect_refused "expired signature" 'openpgp-signature.*expired'

# 5. A `../` href.
fresh
python3 "$here/rpm_tamper.py" "$up" href other ../other.xml.gz
rpm_fixture_sign_repomd "$up" metakey
expect_refused "../ href" 'location.*leaves the repository'

# 6. An md5 checksum.
fresh
python3 "$here/rpm_tamper.py" "$up" md5 filelists
rpm_fixture_sign_repomd "$up" metakey
expect_refused "md5 checksum" 'checksum-type.*md5 refused'

# 7. A decompression bomb in primary (64 MiB of whitespace under the old open-size).
fresh
python3 "$here/rpm_tamper.py" "$up" bomb
rpm_fixture_sign_repomd "$up" metakey
expect_refused "decompression bomb" 'decompression.*exceeds'

# 8. An XML entity bomb in primary.
fresh
python3 "$here/rpm_tamper.py" "$up" entity-bomb
rpm_fixture_sign_repomd "$up" metakey
expect_refused "XML entity bomb" 'metadata-format.*(document type|entity)'

# 9. Unsigned metadata without repo_signed = no.
fresh
rm -f "$up/repodata/repomd.xml.asc"
expect_refused "missing repomd.xml.asc" 'no repomd.xml.asc'

# 10. A rollback to an older revision, validly signed: publish a newer revision first (it upgrades libgreet
# to 1.2 with a new advisory, which sluice diff and sluice findings name), then serve the old one.
fresh
rpm_fixture_build "$SL_TMP/newer" libgreet 1.2 "" /usr/share/greet/data
rpm_fixture_sign pkgkey "$SL_TMP/newer"/*.rpm
cp "$SL_TMP/newer"/*.rpm "$up/Packages/"
createrepo_c --quiet --update --revision 4000000000 "$up" >/dev/null
rpm_fixture_updateinfo "$up" TEST-2026:0001 libgreet 1.1 TEST-2026:0002 unrelated 0.1 TEST-2026:0003 libgreet 1.2
rpm_fixture_sign_repomd "$up" metakey
S sync el >"$SL_TMP/sync-new.out" 2>&1 || { cat "$SL_TMP/sync-new.out"; sl_fail "sync of a newer revision failed"; }
snap2=$(S --json pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
S diff "$snap2" | tee "$SL_TMP/diff2.out"
grep -Eq 'upgraded +libgreet +noarch +1\.1-1 -> 1\.2-1' "$SL_TMP/diff2.out" || sl_fail "diff: libgreet upgrade not shown"
grep -Eq 'advisory +TEST-2026:0003 +security +Important +CVE-2026-0003' "$SL_TMP/diff2.out" ||
	sl_fail "diff: the advisory the upgrade brings is not shown"
if grep -q 'TEST-2026:0001' "$SL_TMP/diff2.out"; then sl_fail "diff: an advisory already shipped is shown again"; fi
# The same advisory is an (informational) finding on the package it came with, and only that one.
S --json findings "$snap2" | python3 -c '
import json, sys
a = [f for f in json.load(sys.stdin) if f["kind"] == "advisory"]
assert len(a) == 1 and not a[0]["blocking"], a
assert a[0]["artifact"].endswith("libgreet-1.2-1.noarch.rpm"), a
assert a[0]["detail"] == "TEST-2026:0003 (security, Important): CVE-2026-0003", a' ||
	sl_fail "findings: the advisory of the libgreet upgrade is not recorded on arrival"
S approve "$snap2" --reason "newer revision"
repomd_ok=$(curl -sf "$base/rpm/el/repodata/repomd.xml" | sha256sum)
fresh
expect_refused "rollback to an older revision" 'rollback.*older than the last accepted'

[ "$n" -eq 10 ] || sl_fail "ran $n tamper cases, expected 10"
# ---- sluice verify --chain re-checks the published snapshot from the store: passes, then names an altered
# package (every object is re-hashed in RECHECK).
S verify --chain "$snap2" >"$SL_TMP/chain.out" 2>&1 || { cat "$SL_TMP/chain.out"; sl_fail "verify --chain of a good rpm snapshot failed"; }
pkg=Packages/hello-2.0-1.noarch.rpm
sha=$(S --json show "$snap2" | python3 -c "import json,sys; print([e['sha256'] for e in json.load(sys.stdin)['entries'] if e['path'] == '$pkg'][0])")
obj=$state/store/objects/${sha:0:2}/$sha
chmod u+w "$obj"; printf 'X' | dd of="$obj" bs=1 seek=100 conv=notrunc 2>/dev/null
rc=0; S verify --chain "$snap2" >"$SL_TMP/chain.out" 2>&1 || rc=$?
[ $rc = 3 ] || { cat "$SL_TMP/chain.out"; sl_fail "verify --chain with an altered package: exit $rc, want 3"; }
grep -q "FAILED $pkg: " "$SL_TMP/chain.out" || sl_fail "the failure does not name $pkg: $(cat "$SL_TMP/chain.out")"

sl_log "PASS"
