#!/usr/bin/env bash
# URLs built from APT metadata are quoted exactly as apt quotes them (issue 18 item 2). One signed
# repository whose suite holds '+' and whose pool file names hold "%3a" (what `apt-get download` names an
# epoch), '+', '~' and a space; nginx on loopback serves it. Stock apt-get fetches it directly; sluice
# syncs it, and its requests must be apt's, line for line in nginx's log; after approval apt-get fetches
# it from sluice-served: every .deb byte-identical to upstream both ways. sluice-served decodes each
# request path once ("%253a" is the file named "%3a") and still refuses "..", "%2f" and "%00".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup

SUITE=stable+q
up=$SL_TMP/upstream
pool=$up/pool/main

# NAME VERSION FILE: a one-file package built here, laid out under the given pool file name.
mkdeb() {
	local name=$1 ver=$2 file=$3 work
	work=$(mktemp -d "$SL_TMP/deb.XXXXXX")
	mkdir -p "$work/DEBIAN" "$work/usr/share/doc/$name" "$pool/${name:0:1}/$name"
	printf '%s %s\n' "$name" "$ver" >"$work/usr/share/doc/$name/VERSION"
	printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: sluice tests <t@sluice.invalid>\nDescription: quoting case %s\n' \
		"$name" "$ver" "$name" >"$work/DEBIAN/control"
	dpkg-deb -Zgzip --root-owner-group --build "$work" "$pool/${name:0:1}/$name/$file" >/dev/null
	rm -rf "$work"
}
mkdeb epoch 1:2.0-1 'epoch_1%3a2.0-1_all.deb'
mkdeb plus 1.0-1+deb12u1 'plus_1.0-1+deb12u1_all.deb'
mkdeb tilde 1.0~rc1-1 'tilde_1.0~rc1-1_all.deb'
mkdeb spaced 1.0-1 'spaced 1.0-1_all.deb'
PKGS=(epoch plus tilde spaced)

apt_fixture_key upstream
idx=$up/dists/$SUITE/main/binary-$APT_ARCH
mkdir -p "$idx"
(cd "$up" && apt-ftparchive packages pool >"$idx/Packages" 2>/dev/null)
grep -qF 'Filename: pool/main/e/epoch/epoch_1%3a2.0-1_all.deb' "$idx/Packages" ||
	sl_fail "fixture: the epoch Filename is not as apt-get download names it"
grep -qF 'Filename: pool/main/s/spaced/spaced 1.0-1_all.deb' "$idx/Packages" ||
	sl_fail "fixture: the spaced Filename did not survive apt-ftparchive"
xz -k -3 "$idx/Packages"
gzip -9nk "$idx/Packages"
apt_fixture_release "$up" "$SUITE" "$(apt_date -3600)"
apt_fixture_sign "$up" "$SUITE" upstream
sl_start_nginx "$up"
alog=$SL_NGINX_DIR/access.log
[ "$(id -u)" -eq 0 ] && chmod 755 "$SL_TMP"

# The request lines one client sent for InRelease, Packages and pool files, sorted: "METHOD URI STATUS".
requests() {   # USER-AGENT-REGEX
	python3 - "$alog" "$1" <<'PY'
import re, sys
line_re = re.compile(r'^\S+ \S+ \S+ \[[^]]*\] "(\S+) (\S+) [^"]*" (\d+) \S+ "[^"]*" "([^"]*)"$')
out = set()
for line in open(sys.argv[1]):
    m = line_re.match(line.rstrip("\n"))
    if m and re.search(sys.argv[2], m.group(4)) and re.search(r"^/(pool/|dists/[^/]+/(InRelease|main/binary-[^/]+/Packages[.a-z]*)$)", m.group(2)):
        out.add(f"{m.group(1)} {m.group(2)} {m.group(3)}")
print("\n".join(sorted(out)))
PY
}

# apt-get against CLIENT-DIR BASE-URL KEYRING: update, download every package, compare with upstream.
apt_fetch_all() {
	local c=$1 url=$2 key=$3 p got want
	apt_fixture_client "$c"
	local k=$c/keyrings/repo.${key##*.}   # apt tells armored keys (.asc) from binary ones (.gpg) by name
	cp "$key" "$k"
	[ "$(id -u)" -eq 0 ] && chown nobody "$k"
	echo "deb [signed-by=$k] $url $SUITE main" >"$c/etc/sources.list"
	apt_client_run "$c" update >"$c/update.log" 2>&1 || { cat "$c/update.log"; sl_fail "apt-get update from $url"; }
	apt_client_run "$c" download "${PKGS[@]}" >"$c/download.log" 2>&1 ||
		{ cat "$c/download.log"; sl_fail "apt-get download from $url"; }
	for p in "${PKGS[@]}"; do
		got=$(sha256sum "$c/dl/${p}_"*.deb | cut -d' ' -f1)
		want=$(sha256sum "$pool/${p:0:1}/$p/"*.deb | cut -d' ' -f1)
		[ "$got" = "$want" ] || sl_fail "$p from $url differs from upstream"
	done
}

# ---- 1. stock apt-get straight from nginx: the reference for what is requested.
apt_fetch_all "$SL_TMP/direct" "http://127.0.0.1:$SL_NGINX_PORT/" "$APT_KEYS/upstream.gpg"
requests 'APT-HTTP' >"$SL_TMP/apt.req"
for want in "/dists/stable%2bq/InRelease" "/dists/stable%2bq/main/binary-$APT_ARCH/Packages.xz" \
	"/pool/main/e/epoch/epoch_1%253a2.0-1_all.deb" "/pool/main/p/plus/plus_1.0-1%2bdeb12u1_all.deb" "/pool/main/t/tilde/tilde_1.0%7erc1-1_all.deb" \
	"/pool/main/s/spaced/spaced%201.0-1_all.deb"; do
	grep -qF "GET $want 200" "$SL_TMP/apt.req" || { cat "$SL_TMP/apt.req"; sl_fail "apt did not request $want"; }
done

# ---- 2. sluice syncs the same repository and asks for the same URLs.
state=$SL_TMP/state
port=$(sl_free_port)
conf=$SL_TMP/sluice.conf
served_user=$(sl_served_user_line)
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[served]
listen = 127.0.0.1:$port
$served_user
[source fix]
type = apt
url = http://127.0.0.1:$SL_NGINX_PORT/
suites = $SUITE
components = main
architectures = $APT_ARCH
keyring = $APT_KEYS/upstream.gpg
approve = manual
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
[ "$(id -u)" -eq 0 ] && chmod 755 "$state"
S sync fix >"$SL_TMP/sync.out" 2>&1 || { cat "$SL_TMP/sync.out"; sl_fail "sync of names apt quotes failed"; }
grep -q 'pending approval' "$SL_TMP/sync.out" || { cat "$SL_TMP/sync.out"; sl_fail "sync made no pending snapshot"; }
requests 'sluice' >"$SL_TMP/sluice.req"
# The same files, asked for with the very request lines apt used (apt-ftparchive writes no Acquire-By-Hash,
# so both take dists/<suite>/main/binary-<arch>/Packages.xz), each answered 200.
[ "$(grep -c ' /pool/' "$SL_TMP/sluice.req")" = ${#PKGS[@]} ] || { cat "$SL_TMP/sluice.req"; sl_fail "sluice did not fetch each pool file once"; }
if ! diff "$SL_TMP/apt.req" "$SL_TMP/sluice.req" >"$SL_TMP/req.diff"; then
	cat "$SL_TMP/req.diff"
	sl_fail "sluice's request lines differ from apt's (< apt, > sluice)"
fi
snap=$(S --json pending fix | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
S approve "$snap" --reason "quoting test" >/dev/null
# Every package is taken (no `packages =`): the upstream Packages.xz, verified against the signed Release,
# is published as is rather than compressed again; the .gz made here holds the published Packages.
pub=$(find "$state/public" -path "*/binary-$APT_ARCH/Packages.xz" | head -1)
[ -n "$pub" ] && cmp -s "$pub" "$idx/Packages.xz" || sl_fail "published Packages.xz is not the upstream one"
zcat "${pub%.xz}.gz" | cmp -s - "${pub%.xz}" || sl_fail "published Packages.gz does not hold the published Packages"

# ---- 3. stock apt-get from sluice-served: the names apt quotes resolve to the published files.
sl_start_bg "$SL_TMP/served.log" "$SL_SERVED" -c "$conf" -f
sl_wait_for_line "$SL_TMP/served.log" "serving on"
base=http://127.0.0.1:$port
curl -sf -o "$SL_TMP/sluice.asc" "$base/keys/sluice.asc"
apt_fetch_all "$SL_TMP/via-sluice" "$base/apt/fix" "$SL_TMP/sluice.asc"

# ---- 4. served decodes once, and decoding opens no door.
code() { curl -s --path-as-is -o /dev/null -w '%{http_code}' "$@"; }
e=$base/apt/fix/pool/main/e/epoch
[ "$(curl -sf "$e/epoch_1%253a2.0-1_all.deb" | sha256sum)" = "$(sha256sum <"$pool/e/epoch/epoch_1%3a2.0-1_all.deb")" ] ||
	sl_fail "%253a is not the file named %3a"
[ "$(code "$e/epoch_1%3a2.0-1_all.deb")" = 404 ] || sl_fail "%3a was decoded twice (or ':' found a file)"
[ "$(code "$e/epoch_1:2.0-1_all.deb")" = 404 ] || sl_fail "a name with ':' exists"
[ "$(code "$base/apt/fix/pool/main/s/spaced/spaced%201.0-1_all.deb")" = 200 ] || sl_fail "%20 is not a space"
[ "$(code "$base/apt/fix/pool/main/t/tilde/tilde_1.0~rc1-1_all.deb")" = 200 ] || sl_fail "a raw '~' is not the same file"
[ "$(code "$e/../../../../dists/$SUITE/InRelease")" = 400 ] || sl_fail "'..' was not refused"
[ "$(code "$e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/dists/stable+q/InRelease")" = 400 ] || sl_fail "'%2e%2e' was not refused"
[ "$(code "$base/apt/fix/pool%2fmain/e/epoch/epoch_1%253a2.0-1_all.deb")" = 400 ] || sl_fail "'%2f' was not refused"
[ "$(code "$e/epoch_1%253a2.0-1_all.deb%00.txt")" = 400 ] || sl_fail "'%00' was not refused"
[ "$(code "$e/epoch_1%2")" = 400 ] || sl_fail "a cut escape was not refused"
echo "apt quote: ok"
