#!/usr/bin/env bash
# A pool file several suites list (after a point release stable-updates and stable carry the same .deb;
# a fix reaches stable-security and the point release alike) is fetched and catalogued once, and
# `sluice diff` names every suite that serves it: [stable, stable-updates], SECURITY when one of them is a
# security suite. The client set-up (`sluice clients`, the status page, run.sh's banner) names every
# configured suite, so the three agree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/syncd_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup

sl_start_upstream '{}'
up=$SL_UPSTREAM_ROOT/r
apt_fixture_key upstream
# stable: alpha, tz, fix; stable-updates: tz (the same file) and beta; stable-security: fix (the same file).
APT_DEBS=$SL_TMP/debs
for p in alpha tz fix beta; do syncd_deb "$p" 1000; done
apt_fixture_repo "$up" stable   # lays out the pool
index() {   # SUITE POOL-DIR...
	local suite=$1 idx=$up/dists/$1/main/binary-$APT_ARCH
	shift
	mkdir -p "$idx"
	: >"$idx/Packages"
	local d
	for d in "$@"; do   # one directory per call: a second argument would be an override file
		(cd "$up" && apt-ftparchive packages "$d" >>"$idx/Packages" 2>/dev/null)
	done
	rm -f "$idx/Packages.xz" "$idx/Packages.gz"
	xz -k -3 "$idx/Packages"
}
index stable pool/main/a pool/main/t pool/main/f
index stable-updates pool/main/t pool/main/b
index stable-security pool/main/f
for s in stable stable-updates stable-security; do
	grep -q '^Package:' "$up/dists/$s/main/binary-$APT_ARCH/Packages" || sl_fail "fixture: $s lists nothing"
	apt_fixture_release "$up" "$s" "$(apt_date -3600)"
	apt_fixture_sign "$up" "$s" upstream
done

state=$SL_TMP/state conf=$SL_TMP/sluice.conf
syncd_conf "$conf" "$state"
syncd_source "$conf" r "http://127.0.0.1:$SL_UPSTREAM_PORT/r/" "alpha tz beta fix"
sed -i 's/^suites = stable$/suites = stable stable-updates stable-security/' "$conf"
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
S sync r >"$SL_TMP/sync.out" 2>&1 || sl_fail "sync failed: $(cat "$SL_TMP/sync.out")"
S diff 1 >"$SL_TMP/diff.txt"
cat "$SL_TMP/diff.txt"
grep -Eq '^  added +tz +all +1\.0  \[stable, stable-updates\]$' "$SL_TMP/diff.txt" || sl_fail "tz, in stable and stable-updates, not attributed to both"
grep -Eq '^  added +beta +all +1\.0  \[stable-updates\]$' "$SL_TMP/diff.txt" || sl_fail "beta not attributed to stable-updates"
grep -Eq '^  added +alpha +all +1\.0  \[stable\]$' "$SL_TMP/diff.txt" || sl_fail "alpha not attributed to stable alone"
grep -Eq '^  added +fix +all +1\.0  \[stable, stable-security\]  SECURITY$' "$SL_TMP/diff.txt" ||
	sl_fail "fix, the same file in stable and stable-security, is not marked SECURITY"
S --json diff 1 | python3 -c '
import json, sys
d = json.load(sys.stdin)
ch = {c["package"]: c for c in d["changes"]} if isinstance(d, dict) and "changes" in d else {}
assert ch, d
assert ch["tz"]["suite"] == "stable stable-updates" and not ch["tz"]["security"], ch["tz"]
assert ch["fix"]["security"], ch["fix"]' || sl_fail "--json diff: suites"
# Each file once in the snapshot, fetched once.
[ "$(S --json show 1 --entries | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin)["entries"] if e["role"] == "pool"))')" = 4 ] ||
	sl_fail "pool files catalogued more than once"
[ "$(sl_upstream_count /r/pool/main/t/tz/tz_1.0_all.deb)" = 1 ] || sl_fail "tz fetched more than once"
# The client set-up names every suite, as the diff does.
S clients r --url http://m:1 >"$SL_TMP/clients.txt"
for s in stable stable-updates stable-security; do
	grep -q "^deb \[signed-by=/etc/apt/keyrings/sluice.asc\] http://m:1/apt/r $s main$" "$SL_TMP/clients.txt" ||
		sl_fail "sluice clients lacks $s: $(cat "$SL_TMP/clients.txt")"
done
echo "admin diff suites: ok"
