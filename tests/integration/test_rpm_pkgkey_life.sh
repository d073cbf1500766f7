#!/usr/bin/env bash
# RPM package keys that librpm 4.18 would still accept: a package signed by a key that was later revoked
# (the revocation imported into the pinned package keyring), one signed after its key had expired (key
# made, package signed and expiry set at faked dates), and one whose signature is dated in the future. Each,
# behind correctly signed metadata, is refused with a clear reason and nothing is published; a package
# signed by a good key of the same keyring is still accepted.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/rpm_fixture.sh"
rpm_fixture_require
command -v faketime >/dev/null 2>&1 || sl_skip "faketime not installed (contrib/install-deps.sh installs it)"
sl_on_cleanup rpm_fixture_keys_cleanup

rpm_fixture_key metakey
META_FPR=$RPM_KEY_FPR
rpm_fixture_key goodkey
rpm_fixture_key revkey
REV_FPR=$RPM_KEY_FPR

# expkey: made on 2020-01-01 without expiry, signs on 2020-06-01, then (a self-signature dated 2020-02-01)
# is set to expire on 2020-03-01: the package's signature is three months after the key's end.
exp_home=$RPM_KEYS/expkey
mkdir -p -m700 "$exp_home"
G() { gpg --homedir "$exp_home" --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }
faketime '2020-01-01 12:00:00' gpg --homedir "$exp_home" --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-gen-key "sluice rpm test expkey <expkey@test.invalid>" rsa2048 sign never >/dev/null 2>&1 ||
	sl_fail "cannot make expkey at a faked date"
EXP_FPR=$(G --with-colons --list-keys | awk -F: '/^fpr/ {print $10; exit}')

rpms=$SL_TMP/rpms
rpm_fixture_build "$rpms/good" good 1.0 ""
rpm_fixture_build "$rpms/rev" revoked 1.0 ""
rpm_fixture_build "$rpms/exp" expired 1.0 ""
rpm_fixture_build "$rpms/fut" future 1.0 ""
rpm_fixture_sign goodkey "$rpms/good"/*.rpm
rpm_fixture_sign revkey "$rpms/rev"/*.rpm
faketime '2020-06-01 12:00:00' bash -c "$(declare -f rpm_fixture_sign sl_fail sl_log); RPM_KEYS=$RPM_KEYS rpm_fixture_sign expkey $rpms/exp/*.rpm"
faketime '+10 days' bash -c "$(declare -f rpm_fixture_sign sl_fail sl_log); RPM_KEYS=$RPM_KEYS rpm_fixture_sign goodkey $rpms/fut/*.rpm"
gpgconf --homedir "$exp_home" --kill all 2>/dev/null || true
faketime '2020-02-01 12:00:00' gpg --homedir "$exp_home" --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-set-expire "$EXP_FPR" 2020-03-01 >/dev/null 2>&1 || sl_fail "cannot set expkey's expiry"
G --armor --export >"$RPM_KEYS/expkey.asc"
G --with-colons --list-keys | grep -q '^pub:e:' || sl_fail "fixture: expkey is not expired"
# The revocation certificate gpg made with the key, imported after the package was signed.
sed 's/^:-----BEGIN/-----BEGIN/' "$RPM_KEYS/revkey/openpgp-revocs.d/$REV_FPR.rev" >"$SL_TMP/rev.asc"
gpg --homedir "$RPM_KEYS/revkey" --batch --quiet --import "$SL_TMP/rev.asc" 2>/dev/null || sl_fail "cannot import the revocation"
gpg --homedir "$RPM_KEYS/revkey" --batch --armor --export >"$RPM_KEYS/revkey.asc"
gpg --homedir "$RPM_KEYS/revkey" --batch --with-colons --list-keys | grep -q '^pub:r:' || sl_fail "fixture: revkey is not revoked"
# librpm 4.18 itself accepts all three signatures with this keyring: that is what this test is about.
cat "$RPM_KEYS/goodkey.asc" "$RPM_KEYS/revkey.asc" "$RPM_KEYS/expkey.asc" >"$RPM_KEYS/pkg-ring.asc"
for r in "$rpms"/rev/*.rpm "$rpms"/exp/*.rpm "$rpms"/fut/*.rpm; do
	rpmkeys --define "_dbpath $SL_TMP/rpmdb-$(basename "$r")" --initdb 2>/dev/null || true
	rpmkeys --define "_dbpath $SL_TMP/rpmdb-$(basename "$r")" --import "$RPM_KEYS/pkg-ring.asc" 2>/dev/null || true
	rpmkeys --define "_dbpath $SL_TMP/rpmdb-$(basename "$r")" -K "$r" >"$SL_TMP/rpmkeys.out" 2>&1 || true
	grep -q 'signatures OK' "$SL_TMP/rpmkeys.out" || sl_fail "fixture: librpm itself refuses $r: $(cat "$SL_TMP/rpmkeys.out")"
done

up=$SL_TMP/upstream
build_upstream() {   # the good package plus the packages of the named directories
	rm -rf "$up"
	mkdir -p "$up/Packages"
	cp "$rpms/good"/*.rpm "$up/Packages/"
	for d in "$@"; do cp "$rpms/$d"/*.rpm "$up/Packages/"; done
	rpm_fixture_repo "$up"
	rpm_fixture_sign_repomd "$up" metakey
}
build_upstream
sl_start_nginx "$up"

state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 1
[source el]
type = rpm
url = http://127.0.0.1:$SL_NGINX_PORT/
architectures = noarch
keyring = $RPM_KEYS/metakey.asc
signed_by = $META_FPR
package_keyring = $RPM_KEYS/pkg-ring.asc
approve = manual
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null

n=0
expect_refused() {   # WHAT DIR REASON-REGEX
	local what=$1 dir=$2 re=$3 out=$SL_TMP/refused-$n.out rc=0
	n=$((n + 1))
	build_upstream "$dir"
	S sync el >"$out" 2>&1 || rc=$?
	[ $rc -ne 0 ] || { cat "$out"; sl_fail "$what: sync succeeded"; }
	grep -Eq "$re" "$out" || { cat "$out"; sl_fail "$what: no clear reason matching /$re/"; }
	[ "$(S --json pending | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
		sl_fail "$what: a pending snapshot was created"
	[ ! -e "$state/public/rpm/el" ] || sl_fail "$what: something was published"
	sl_log "refused as expected: $what: $(grep -Eo "$re.*" "$out" | head -1 | cut -c1-240)"
}
expect_refused "signed by a key revoked since" rev \
	"revoked-1\.0-1\.noarch\.rpm: package-signature: key ${REV_FPR:24:16} \(primary $REV_FPR\) is revoked"
expect_refused "signed after its key expired" exp \
	"expired-1\.0-1\.noarch\.rpm: package-signature: key ${EXP_FPR:24:16} had expired \(2020-03-01 [0-9:]+ UTC\) when the package was signed \(2020-06-01"
expect_refused "signature dated in the future" fut \
	"future-1\.0-1\.noarch\.rpm: package-signature: header signature by key [0-9A-F]{16} is dated [0-9-]+ [0-9:]+ UTC, in the future"
[ "$n" -eq 3 ] || sl_fail "ran $n cases, expected 3"

# The good key's package alone: accepted, and its check names the key.
build_upstream
S sync el >"$SL_TMP/sync-good.out" 2>&1 || { cat "$SL_TMP/sync-good.out"; sl_fail "the good package was refused"; }
snap=$(S --json pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
S --json show "$snap" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert not [v for v in s["verifications"] if not v["passed"]], s["verifications"]
assert [e["path"] for e in s["entries"] if e["role"] == "package"] == ["Packages/good-1.0-1.noarch.rpm"]
'
S approve "$snap" --reason "good key" >/dev/null
[ -e "$state/public/rpm/el" ] || sl_fail "the good snapshot was not published"
sl_log "PASS"
