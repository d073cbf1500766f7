#!/usr/bin/env bash
# RPM publish = resign keeps modules.yaml and comps consistent with the shipped subset: an upstream whose
# modules.yaml has a module with two streams (one whose artifacts include a shipped package, one with only
# a package that does not ship) plus a module of nothing shipped, and whose comps has a group with a
# shipped and an unshipped package, a group of only unshipped packages and a category naming both. A
# source with `packages =` and no `publish` key (resign is then the default) publishes exactly the kept
# streams (artifacts pruned, the dropped module's defaults gone) and packagereqs, both records listed in the
# resigned repomd.xml with correct checksums, and stock dnf with repo_gpgcheck=1 accepts the repository:
# makecache, `module list`, `group list`, and installs the group's package.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/rpm_fixture.sh"
rpm_fixture_require
command -v dnf >/dev/null 2>&1 || sl_skip "dnf not installed"
python3 -c 'import yaml' 2>/dev/null || sl_skip "python3-yaml not installed (contrib/install-deps.sh installs it)"
sl_on_cleanup rpm_fixture_keys_cleanup

rpm_fixture_key pkgkey
rpm_fixture_key metakey
META_FPR=$RPM_KEY_FPR

rpms=$SL_TMP/rpms
rpm_fixture_build "$rpms" libgreet 1.1 "" /usr/share/greet/data
rpm_fixture_build "$rpms" hello 2.0 "libgreet >= 1.0" /usr/share/hello/data
rpm_fixture_build "$rpms" unrelated 0.1 ""
rpm_fixture_sign pkgkey "$rpms"/*.rpm

up=$SL_TMP/upstream
mkdir -p "$up/Packages"
cp "$rpms"/*.rpm "$up/Packages/"
rpm_fixture_repo "$up"
# greet:stable ships (libgreet), its unrelated artifact is pruned; greet:extra and the module other do not.
rpm_fixture_modules "$up" greet "stable:libgreet-0:1.1-1.noarch,unrelated-0:0.1-1.noarch" \
	"extra:unrelated-0:0.1-1.noarch" --default stable
rpm_fixture_modules "$up" other "x:unrelated-0:0.1-1.noarch" --default x
rpm_fixture_add_modules "$up"
rpm_fixture_comps "$up" "core:hello,unrelated" "extras:unrelated" --category "base:core,extras"
rpm_fixture_sign_repomd "$up" metakey
grep -q '<data type="modules">' "$up/repodata/repomd.xml" || sl_fail "fixture: no modules record"
grep -q '<data type="group">' "$up/repodata/repomd.xml" || sl_fail "fixture: no group record"
sl_start_nginx "$up"

state=$SL_TMP/state
port=$(sl_free_port)
conf=$SL_TMP/sluice.conf
served_user=$(sl_served_user_line "$RPM_KEYS")
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[served]
listen = 127.0.0.1:$port
$served_user
[source sub]
type = rpm
url = http://127.0.0.1:$SL_NGINX_PORT/
architectures = noarch
keyring = $RPM_KEYS/metakey.asc
signed_by = $META_FPR
package_keyring = $RPM_KEYS/pkgkey.asc
packages = hello
approve = manual
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
[ "$(id -u)" -eq 0 ] && chmod 755 "$state"
S sync sub >"$SL_TMP/sync.out" 2>&1 || { cat "$SL_TMP/sync.out"; sl_fail "sync failed"; }
snap=$(S --json pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
S approve "$snap" --reason "subset with modules and comps" >"$SL_TMP/approve.out" 2>&1 ||
	{ cat "$SL_TMP/approve.out"; sl_fail "approve (resign publish) failed"; }

sl_start_bg "$SL_TMP/served.log" "$SL_SERVED" -c "$conf" -f
sl_wait_for_line "$SL_TMP/served.log" "serving on"
base=http://127.0.0.1:$port/rpm/sub
curl -sf -o "$SL_TMP/sluice.asc" "http://127.0.0.1:$port/keys/sluice.asc" || sl_fail "no sluice key published"

# resign by default: repomd.xml is sluice's, signed with sluice's key.
curl -sf -o "$SL_TMP/repomd.xml" "$base/repodata/repomd.xml"
curl -sf -o "$SL_TMP/repomd.xml.asc" "$base/repodata/repomd.xml.asc"
mkdir -p -m700 "$SL_TMP/gv"
gpg --homedir "$SL_TMP/gv" --batch --quiet --import "$SL_TMP/sluice.asc" 2>/dev/null
gpg --homedir "$SL_TMP/gv" --batch --verify "$SL_TMP/repomd.xml.asc" "$SL_TMP/repomd.xml" 2>/dev/null ||
	sl_fail "repomd.xml is not signed by sluice's key: packages = without publish did not resign"
gpgconf --homedir "$SL_TMP/gv" --kill all 2>/dev/null || true

# Every record of repomd.xml: checksum and open-checksum right; modules and comps exactly as expected.
python3 - "$SL_TMP/repomd.xml" "$base" <<'PY'
import gzip, hashlib, lzma, sys, urllib.request, xml.etree.ElementTree as ET
import yaml
ns = {"r": "http://linux.duke.edu/metadata/repo"}
root = ET.parse(sys.argv[1]).getroot()
recs = {}
for d in root.findall("r:data", ns):
    t = d.get("type")
    href = d.find("r:location", ns).get("href")
    raw = urllib.request.urlopen(sys.argv[2] + "/" + href).read()
    cs = d.find("r:checksum", ns)
    assert cs.get("type") == "sha256" and hashlib.sha256(raw).hexdigest() == cs.text, (t, "checksum")
    assert int(d.find("r:size", ns).text) == len(raw), (t, "size")
    body = gzip.decompress(raw) if href.endswith(".gz") else lzma.decompress(raw) if href.endswith(".xz") else raw
    oc = d.find("r:open-checksum", ns)
    if oc is not None:
        assert hashlib.sha256(body).hexdigest() == oc.text, (t, "open-checksum")
    recs[t] = body
assert "modules" in recs and "group" in recs, sorted(recs)

docs = list(yaml.safe_load_all(recs["modules"]))
streams = {(d["data"]["name"], d["data"]["stream"]): sorted(d["data"]["artifacts"]["rpms"])
           for d in docs if d["document"] == "modulemd"}
assert streams == {("greet", "stable"): ["libgreet-0:1.1-1.noarch"]}, streams
defaults = {d["data"]["module"]: d["data"]["stream"] for d in docs if d["document"] == "modulemd-defaults"}
assert defaults == {"greet": "stable"}, defaults

comps = ET.fromstring(recs["group"])
groups = {g.findtext("id"): sorted(p.text for p in g.iter("packagereq")) for g in comps.findall("group")}
assert groups == {"core": ["hello"]}, groups
cats = {c.findtext("id"): [g.text for g in c.iter("groupid")] for c in comps.findall("category")}
assert cats == {"base": ["core"]}, cats
core = comps.find("group")
names = {n.get("{http://www.w3.org/XML/1998/namespace}lang"): n.text for n in core.findall("name")}
assert names == {None: "Group core", "de": "Gruppe core"}, names
assert core.findtext("description") == "Test group & packages", core.findtext("description")
print("records ok:", sorted(recs))
PY

# Stock dnf, strict: repomd.xml by sluice's key, packages by the vendor's; the module and the group are seen.
client=$SL_TMP/dnf
mkdir -p "$client/repos" "$client/root" "$client/cache"
cat >"$client/repos/sub.repo" <<REPO
[sub]
name=sub via sluice, resigned
baseurl=$base/
enabled=1
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$RPM_KEYS/pkgkey.asc
       file://$SL_TMP/sluice.asc
REPO
dnf() {
	command dnf -y --installroot="$client/root" --setopt=reposdir="$client/repos" --setopt=cachedir="$client/cache" \
		--setopt=gpgcheck=1 --setopt=repo_gpgcheck=1 --releasever=1 --setopt=install_weak_deps=0 \
		--disableplugin='*' "$@"
}
dnf makecache >"$SL_TMP/dnf-makecache.out" 2>&1 || { cat "$SL_TMP/dnf-makecache.out"; sl_fail "dnf makecache refused the repository"; }
dnf module list >"$SL_TMP/dnf-modules.out" 2>&1 || { cat "$SL_TMP/dnf-modules.out"; sl_fail "dnf module list failed"; }
grep -Eq '^greet +stable' "$SL_TMP/dnf-modules.out" || { cat "$SL_TMP/dnf-modules.out"; sl_fail "dnf does not list greet:stable"; }
if grep -Eq '^greet +extra|^other ' "$SL_TMP/dnf-modules.out"; then sl_fail "dnf lists a stream that does not ship"; fi
dnf group list --hidden >"$SL_TMP/dnf-groups.out" 2>&1 || { cat "$SL_TMP/dnf-groups.out"; sl_fail "dnf group list failed"; }
grep -q 'Group core' "$SL_TMP/dnf-groups.out" || { cat "$SL_TMP/dnf-groups.out"; sl_fail "dnf does not list the group core"; }
if grep -q 'Group extras' "$SL_TMP/dnf-groups.out"; then sl_fail "dnf lists a group of nothing shipped"; fi
dnf group install core >"$SL_TMP/dnf-install.out" 2>&1 || { cat "$SL_TMP/dnf-install.out"; sl_fail "dnf group install core failed"; }
rpm --root "$client/root" -q hello libgreet >/dev/null || sl_fail "the group's package (and its modular dependency) not installed"

# A hostile comps (an internal DTD subset declaring entities, behind correctly signed metadata: the verifier
# checks its digest, not its content) makes the resign publish fail with the reason; the published
# repository stays as it was.
published=$(curl -sf "$base/repodata/repomd.xml" | sha256sum)
rm -f "$up"/repodata/*comps*.xml* "$up"/repodata/*-group.xml*
python3 - "$up/repodata/repomd.xml" <<'PY'
import re, sys
p = sys.argv[1]
t = open(p).read()
t = re.sub(r'\s*<data type="group">.*?</data>', "", t, flags=re.S)
open(p, "w").write(t)
PY
cat >"$SL_TMP/bomb.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE comps [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<comps><group><id>&b;</id><packagelist><packagereq>hello</packagereq></packagelist></group></comps>
XML
modifyrepo_c --mdtype=group --no-compress "$SL_TMP/bomb.xml" "$up/repodata" >/dev/null || sl_fail "modifyrepo_c bomb"
createrepo_c --quiet --update --revision 4000000000 --keep-all-metadata "$up" >/dev/null || sl_fail "createrepo_c --update"
grep -q '<data type="group">' "$up/repodata/repomd.xml" || sl_fail "fixture: the hostile comps is not listed"
rpm_fixture_sign_repomd "$up" metakey
S sync sub >"$SL_TMP/sync2.out" 2>&1 || { cat "$SL_TMP/sync2.out"; sl_fail "sync of the hostile-comps upstream failed"; }
snap2=$(S --json pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
rc=0
S approve "$snap2" --reason "hostile comps" >"$SL_TMP/approve2.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || { cat "$SL_TMP/approve2.out"; sl_fail "a comps with an entity declaration was published"; }
grep -q 'internal subset refused' "$SL_TMP/approve2.out" || { cat "$SL_TMP/approve2.out"; sl_fail "no clear reason for the refused comps"; }
[ "$(curl -sf "$base/repodata/repomd.xml" | sha256sum)" = "$published" ] || sl_fail "the published repository changed"
sl_log "refused as expected: $(grep -o 'comps: .*' "$SL_TMP/approve2.out" | head -1)"

sl_log "PASS"
