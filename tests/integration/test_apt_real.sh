#!/usr/bin/env bash
# Opt-in test against a real upstream: the Debian archive this host's APT uses (URL read from /etc/apt at run
# time). sluice mirrors two small packages with their dependency closure, verified with the Debian archive
# keyring, and apt resolves and downloads an install of them from sluice-served.
# Skipped when the archive is unreachable or SLUICE_OFFLINE=1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"

[ "${SLUICE_OFFLINE:-0}" = 1 ] && sl_skip "SLUICE_OFFLINE=1"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || sl_skip "no $keyring (package debian-archive-keyring)"

# The first deb822 entry signed by the Debian archive keyring, else the first one-line entry.
read -r url suite < <(
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -r "$f" ] && awk 'BEGIN{RS=""; FS="\n"} {u=""; s=""; t=""; for (i=1;i<=NF;i++) {
				if ($i ~ /^URIs:/) { u=$i; sub(/^URIs:[ \t]*/, "", u); split(u, a, " "); u=a[1] }
				if ($i ~ /^Suites:/) { s=$i; sub(/^Suites:[ \t]*/, "", s); split(s, b, " "); s=b[1] }
				if ($i ~ /^Types:/) t=$i }
				if (t ~ /deb( |$)/ && u ~ /^https?:/ && s != "" && u !~ /security/) print u, s }' "$f"
		done
		[ -r /etc/apt/sources.list ] && awk '$1=="deb" && $2 ~ /^https?:/ && $2 !~ /security/ {print $2, $3}' /etc/apt/sources.list
	} | head -n1) || sl_skip "no Debian archive in this host's APT sources"
curl -sf --max-time 15 -o /dev/null "$url/dists/$suite/InRelease" ||
	sl_skip "cannot reach $url/dists/$suite/InRelease from here"

state=$SL_TMP/state
port=$(sl_free_port)
conf=$SL_TMP/sluice.conf
served_user=$(sl_served_user_line)
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[served]
listen = 127.0.0.1:$port
$served_user
[source debian]
type = apt
url = $url
suites = $suite
components = main
architectures = $APT_ARCH
keyring = $keyring
packages = hello sl
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
[ "$(id -u)" -eq 0 ] && chmod 755 "$state"
S sync debian
snap=$(S --json pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
S --json show "$snap" | python3 -c '
import json, sys
s = json.load(sys.stdin)
sig = [v for v in s["verifications"] if v["check"] == "openpgp-signature"]
assert sig and all(v["passed"] for v in sig), sig
print("InRelease signed by", sig[0]["key_fingerprint"])
pool = [e["path"] for e in s["entries"] if e["role"] == "pool"]
assert any("/hello_" in p for p in pool) and any("/libc6_" in p for p in pool), pool
print(len(pool), "pool files in the closure of hello sl")'
S approve "$snap" --reason "real upstream test"

sl_start_bg "$SL_TMP/served.log" "$SL_SERVED" -c "$conf" -f
sl_wait_for_line "$SL_TMP/served.log" "serving on"
client=$SL_TMP/client
apt_fixture_client "$client"
curl -sf -o "$client/keyrings/sluice.asc" "http://127.0.0.1:$port/keys/sluice.asc"
[ "$(id -u)" -eq 0 ] && chown nobody "$client/keyrings/sluice.asc"
echo "deb [signed-by=$client/keyrings/sluice.asc] http://127.0.0.1:$port/apt/debian $suite main" \
	>"$client/etc/sources.list"
apt_client_run "$client" update
# An install resolved from an empty system: every dependency must come from sluice.
apt_client_run "$client" install --download-only -y hello sl
ls "$client/cache/archives/"hello_*.deb "$client/cache/archives/"libc6_*.deb >/dev/null ||
	sl_fail "apt did not download hello and libc6 from sluice"
echo "real upstream: ok"
