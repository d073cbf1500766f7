#!/usr/bin/env bash
# `sluice verify --chain`: the offline integrity audit. A published snapshot's whole upstream chain is
# re-verified from the store alone and passes; after one of its store objects is altered, or after the
# source's keyring is replaced by one without the upstream's signing key, it fails (exit 3) naming the file
# and the check, and the outcome shows in `sluice sources`, /metrics and the status page. Also: an
# unchanged upstream (no ETag, no Last-Modified: nginx with them off) makes no second snapshot.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$SL_SOURCE_DIR/tests/data/diff/apt/fixture.sh"
# An upstream that never answers a conditional request with 304 (no ETag, If-Modified-Since ignored).
ADMIN_NGINX_EXTRA="etag off; if_modified_since off;"
admin_setup
SUITE=$ADMIN_FIXTURE_SUITE

snap=$(admin_sync)
S approve "$snap" --reason "CHG-1" >/dev/null

# ---- an unchanged upstream: no new snapshot, whatever the caching headers
before=$(S --json snapshots fix | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
S sync fix >"$SL_TMP/sync2.out" 2>&1 || { cat "$SL_TMP/sync2.out" >&2; sl_fail "second sync failed"; }
grep -q 'unchanged' "$SL_TMP/sync2.out" || { cat "$SL_TMP/sync2.out" >&2; sl_fail "second sync did not say unchanged"; }
after=$(S --json snapshots fix | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$before" = "$after" ] || sl_fail "an unchanged upstream made a snapshot ($before -> $after)"
S --json pending fix | python3 -c 'import json,sys; sys.exit(len(json.load(sys.stdin)) != 0)' ||
	sl_fail "an unchanged upstream left a pending snapshot (an empty review)"

# ---- the published snapshot re-verifies from the store
S verify --chain "$snap" >"$SL_TMP/chain.out" || { cat "$SL_TMP/chain.out" >&2; sl_fail "verify --chain of a good snapshot failed"; }
grep -q 'chain verified' "$SL_TMP/chain.out" || sl_fail "no 'chain verified' line: $(cat "$SL_TMP/chain.out")"
S --json verify --chain >"$SL_TMP/chain.json"
python3 - "$SL_TMP/chain.json" "$snap" <<'PY' || sl_fail "verify --chain --json of the published snapshot"
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r) == 1 and r[0]["snapshot"] == int(sys.argv[2]) and r[0]["passed"] and r[0]["checks"] > 3, r
PY
S sources | grep -q "chain .* snapshot $snap re-verified" || sl_fail "sources does not show the re-check: $(S sources)"
grep -q '^sluice_chain_verify_ok{source="fix"} 1' <(curl -sf "$base/metrics") || sl_fail "metrics: no chain gauge = 1"

# ---- a keyring without the signing key: the signature check fails, named
apt_fixture_key other
cp "$conf" "$SL_TMP/sluice-good.conf"
sed -i "s|^keyring = .*|keyring = $APT_KEYS/other.gpg|" "$conf"
rc=0; S verify --chain "$snap" >"$SL_TMP/chain.out" 2>&1 || rc=$?
[ $rc = 3 ] || sl_fail "verify --chain with a keyring lacking the signer: exit $rc, want 3"
grep -q "FAILED dists/$SUITE/InRelease: openpgp-signature" "$SL_TMP/chain.out" ||
	sl_fail "the failure does not name InRelease and the signature check: $(cat "$SL_TMP/chain.out")"
grep -q '^sluice_chain_verify_ok{source="fix"} 0' <(curl -sf "$base/metrics") || sl_fail "metrics: no chain gauge = 0"
grep -q 'chain re-check of #'"$snap"' FAILED' <(curl -sf "$base/") || sl_fail "status page does not show the failed re-check"
cp "$SL_TMP/sluice-good.conf" "$conf"

# ---- an altered store object: named, with the check
pool=pool/main/a/alpha/alpha_1.0-1_all.deb
sha=$(S --json show "$snap" | python3 -c "import json,sys; print([e['sha256'] for e in json.load(sys.stdin)['entries'] if e['path'] == '$pool'][0])")
obj=$state/store/objects/${sha:0:2}/$sha
[ -f "$obj" ] || sl_fail "no store object $obj"
chmod u+w "$obj"; printf 'X' | dd of="$obj" bs=1 seek=100 conv=notrunc 2>/dev/null
rc=0; S verify --chain "$snap" >"$SL_TMP/chain.out" 2>&1 || rc=$?
[ $rc = 3 ] || sl_fail "verify --chain with an altered object: exit $rc, want 3"
grep -q "FAILED $pool: " "$SL_TMP/chain.out" || sl_fail "the failure does not name $pool: $(cat "$SL_TMP/chain.out")"

# ---- [syncd] verify_every: sluice-syncd re-checks the published snapshot on its own and records it
count_checks() { sqlite3 "$state/catalog.db" "SELECT count(*) FROM chain_checks"; }
before=$(count_checks)
sed -i 's/^\[syncd\]$/[syncd]\nverify_every = 2s/' "$conf"
grep -q '^verify_every = 2s' "$conf" || sl_fail "could not enable verify_every"
sl_start_bg "$SL_TMP/syncd.log" "$SL_SYNCD" -f -c "$conf"
for _ in $(seq 1 60); do
	[ "$(count_checks)" -ge $((before + 2)) ] && break
	sleep 0.5
done
[ "$(count_checks)" -ge $((before + 2)) ] || { cat "$SL_TMP/syncd.log" >&2; sl_fail "sluice-syncd made no scheduled re-checks"; }
grep -q "chain re-check" "$SL_TMP/syncd.log" || sl_fail "the daemon did not log its re-checks"
S sources | grep -q "chain .* snapshot $snap FAILED: $pool" || sl_fail "sources does not show the failed scheduled re-check"
sl_log "ok"
