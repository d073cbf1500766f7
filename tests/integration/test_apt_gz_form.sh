#!/usr/bin/env bash
# APT resign with every package taken: the upstream's Packages.gz, checked against the signed Release like
# the Packages.xz, is published as the .gz form instead of compressing the index again. When the upstream's
# .gz contradicts its Release, its bytes are refused at fetch (never stored) and sluice compresses the
# published Packages itself: the sync still succeeds and what is served is consistent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
admin_setup
rel=dists/stable/main/binary-$APT_ARCH
idx=$up/$rel
gz_entry() {   # SNAPSHOT -> digest of its Packages.gz entry (role index)
	S --json show "$1" | python3 -c '
import json, sys
for e in json.load(sys.stdin)["entries"]:
    if e["path"] == sys.argv[1] and e["role"] == "index":
        print(e["sha256"])' "$rel/Packages.gz"
}
served_consistent() {   # the served .gz holds the served Packages
	[ "$(curl -sf "$base/apt/fix/$rel/Packages.gz" | zcat | sha256sum)" = \
	  "$(curl -sf "$base/apt/fix/$rel/Packages" | sha256sum)" ] || sl_fail "$1: served Packages.gz does not hold Packages"
}

snap1=$(admin_sync)
[ "$(gz_entry "$snap1")" = "$(sha256sum <"$idx/Packages.gz" | cut -d' ' -f1)" ] ||
	sl_fail "the upstream Packages.gz is not the published .gz form"
S approve "$snap1" --reason "gz form" >/dev/null
served_consistent "upstream .gz"

# A new upstream state whose Packages.gz, after signing, is replaced by other bytes of the same content.
admin_fixture_repo "$up" v2
zcat "$idx/Packages.gz" | gzip -1n >"$SL_TMP/other.gz"
cmp -s "$SL_TMP/other.gz" "$idx/Packages.gz" && sl_fail "test setup: the replacement .gz is the same file"
cp "$SL_TMP/other.gz" "$idx/Packages.gz"
snap2=$(admin_sync)
d=$(gz_entry "$snap2")
[ -n "$d" ] || sl_fail "no Packages.gz entry after the upstream's was refused"
[ "$d" != "$(sha256sum <"$idx/Packages.gz" | cut -d' ' -f1)" ] || sl_fail "a .gz that contradicts the Release was published"
S approve "$snap2" --reason "gz made here" >/dev/null
served_consistent "local .gz"
echo "apt gz form: ok"
