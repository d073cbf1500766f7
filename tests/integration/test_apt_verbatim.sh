#!/usr/bin/env bash
# APT publish = verbatim through the verifier: the upstream indices are both what is published and the
# verifier's evidence. A sync is verified (records compared with tests/data/verify/apt_verbatim.golden),
# approved and served byte for byte as upstream signed it; a hostile Filename in a properly re-signed
# upstream index is refused with its reason (verbatim has no solver: the verifier's index walk finds it)
# and nothing new becomes pending.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
admin_setup "publish = verbatim"
. "$here/apt_golden.sh"

snap1=$(admin_sync)
apt_golden_record "verbatim sync"
S --json show "$snap1" | python3 -c '
import json, sys
roles = {}
for e in json.load(sys.stdin)["entries"]:
    roles.setdefault(e["role"], []).append(e["path"])
assert "index" not in roles, roles
assert all(p.startswith("dists/") for p in roles["upstream-index"]), roles["upstream-index"]'
S approve "$snap1" --reason "verbatim import" >/dev/null
for f in dists/stable/InRelease "dists/stable/main/binary-$APT_ARCH/Packages.xz" pool/main/a/alpha/alpha_1.0-1_all.deb; do
	[ "$(curl -sf "$base/apt/fix/$f" | sha256sum)" = "$(sha256sum <"$up/$f")" ] || sl_fail "$f is not served as upstream has it"
done

# A hostile Filename, signed by the upstream key: the whole index is refused.
idx=$up/dists/stable/main/binary-$APT_ARCH
sed -i 's#^Filename: pool/main/a/alpha/.*#Filename: ../../../etc/passwd#' "$idx/Packages"
rm -f "$idx/Packages.xz" "$idx/Packages.gz"
xz -k -3 "$idx/Packages"
gzip -9nk "$idx/Packages"
ADMIN_FIXTURE_T=$((ADMIN_FIXTURE_T + 60))
apt_fixture_release "$up" stable "$(apt_date $((ADMIN_FIXTURE_T - 7200)))"
apt_fixture_sign "$up" stable upstream
rc=0
S sync fix >"$SL_TMP/hostile.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || { cat "$SL_TMP/hostile.out"; sl_fail "hostile Filename: sync succeeded"; }
grep -q "index-content: .*Filename '../../../etc/passwd' contains '..'" "$SL_TMP/hostile.out" ||
	{ cat "$SL_TMP/hostile.out"; sl_fail "hostile Filename: no clear reason"; }
apt_golden_record "hostile Filename"
[ "$(S --json pending | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] ||
	sl_fail "hostile Filename: a pending snapshot was created"

apt_golden_compare apt_verbatim.golden
echo "apt verbatim: ok"
