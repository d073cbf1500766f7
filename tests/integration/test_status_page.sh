#!/bin/bash
# test_status_page: the human status page at / as an operator sees it. `sluice init` makes the catalogue
# and sluice's signing key; the catalogue then gets the history of three sources (written with sqlite3,
# through the legal state transitions): an APT source with a published snapshot and a pending one waiting
# longer than its approve_within, a ClamAV source whose last sync failed and whose upstream is cooling
# down, and an OCI source never synced. The page must show all of it, the client set-up for apt,
# freshclam (and containerd once the OCI route is in served) and the key's fingerprint as gpg prints it;
# /metrics must agree. Headless Chromium renders the page to
# $SL_BUILD_DIR/test-artifacts/status_page.png (kept for people to look at) and its DOM is checked.
. "$(dirname "$0")/lib.sh"

browser=
for b in chromium chromium-browser google-chrome; do
	command -v "$b" >/dev/null && { browser=$(command -v "$b"); break; }
done
[ -n "$browser" ] || sl_skip "no chromium (apt-get install chromium) to render the status page"
command -v sqlite3 >/dev/null || sl_skip "sqlite3 missing"
command -v gpg >/dev/null || sl_skip "gpg missing"
[ -x "$SL_SERVED" ] && [ -x "$SL_ADMIN" ] || sl_skip "sluice-served / sluice not built"
artifacts=$SL_BUILD_DIR/test-artifacts
mkdir -p "$artifacts"

state=$SL_TMP/state
port=$(sl_free_port)
conf=$SL_TMP/sluice.conf
: >"$SL_TMP/keyring.gpg"
served_user=$(sl_served_user_line "$SL_TMP/keyring.gpg")
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[served]
listen = 127.0.0.1:$port
$served_user
[source debian]
type = apt
url = http://127.0.0.1:9/debian
suites = bookworm bookworm-updates
components = main contrib
keyring = $SL_TMP/keyring.gpg
approve_within = 7d
[source clamav]
type = clamav
url = http://127.0.0.9:9/clamav
[source hub]
type = oci
registry = https://127.0.0.10:5000
images = library/alpine:3.20
CONF
"$SL_ADMIN" -c "$conf" init >"$SL_TMP/init.out" 2>&1 || { cat "$SL_TMP/init.out"; sl_fail "sluice init"; }
export GNUPGHOME=$SL_TMP/gnupg
mkdir -p -m 700 "$GNUPGHOME"
fpr=$(gpg --show-keys --with-colons "$state/public/keys/sluice.asc" | awk -F: '/^fpr/ { print $10; exit }')
[ ${#fpr} = 40 ] || sl_fail "cannot read the fingerprint of sluice.asc with gpg"

now=$(date +%s)
digest=$(printf 'x' | sha256sum | cut -c1-64)
sqlite3 -bail "$state/catalog.db" <<SQL || sl_fail "cannot write the fixture history"
INSERT OR IGNORE INTO sources(name, type, created_at) VALUES ('debian', 'apt', $now), ('clamav', 'clamav', $now),
	('hub', 'oci', $now);
CREATE TEMP TABLE ids AS SELECT (SELECT id FROM sources WHERE name = 'debian') AS d,
	(SELECT id FROM sources WHERE name = 'clamav') AS c;
UPDATE sources SET next_run_at = $now + 5*3600 + 600 WHERE name = 'debian';
UPDATE sources SET next_run_at = $now + 1800 WHERE name = 'clamav';
INSERT INTO sync_runs(source_id, started_at, ended_at, outcome, bytes, requests)
	SELECT d, $now - 10*86400, $now - 10*86400 + 300, 'ok', 734003200, 2210 FROM ids;
INSERT INTO sync_runs(source_id, started_at, ended_at, outcome, bytes, requests)
	SELECT d, $now - 3*3600 - 120, $now - 3*3600, 'unchanged', 4096, 2 FROM ids;
INSERT INTO sync_runs(source_id, started_at, ended_at, outcome, bytes, requests)
	SELECT c, $now - 5*3600 - 10, $now - 5*3600, 'ok', 120000, 4 FROM ids;
INSERT INTO sync_runs(source_id, started_at, ended_at, outcome, bytes, requests, message)
	SELECT c, $now - 600, $now - 590, 'failed', 0, 1, 'daily.cvd: HTTP 403 <forbidden>, cooling down' FROM ids;
INSERT INTO upstream_hosts(host, cooldown_until, reason, updated_at) VALUES ('127.0.0.9', $now + 4*3600, 'HTTP 403', $now);
INSERT INTO snapshots(id, source_id, created_at, state_changed_at) SELECT 1, d, $now - 20*86400, $now - 20*86400 FROM ids;
INSERT INTO snapshots(id, source_id, created_at, state_changed_at) SELECT 2, d, $now - 10*86400, $now - 10*86400 FROM ids;
UPDATE snapshots SET content_digest = '$digest', n_entries = 1, total_bytes = 1 WHERE id IN (1, 2);
UPDATE snapshots SET state = 'verified' WHERE id IN (1, 2);
UPDATE snapshots SET state = 'pending' WHERE id IN (1, 2);
UPDATE snapshots SET state = 'published', state_changed_at = $now - 19*86400 WHERE id = 1;
INSERT INTO published(source_id, snapshot_id, generation, published_at) SELECT d, 1, 1, $now - 19*86400 FROM ids;
SQL
# The sqlite3 shell removes -wal and -shm when it closes; sluice keeps them (served cannot create them in
# a read-only state directory). Any sluice command that opens the catalogue puts them back.
"$SL_ADMIN" -c "$conf" sources >/dev/null || sl_fail "sluice sources"
[ "$(id -u)" -eq 0 ] && chmod -R a+rX "$state"

# A sluice-syncd as the page sees one: a live process of that name whose pid is in STATE/run/syncd.pid
# (the page then shows the scheduled times; without one it says that nothing is scheduled, and why).
mkdir -p "$state/run"
cp "$(command -v sleep)" "$SL_TMP/sluice-syncd"
"$SL_TMP/sluice-syncd" 600 &
fake_syncd=$!
echo "$fake_syncd" >"$state/run/syncd.pid"
[ "$(id -u)" -eq 0 ] && chmod -R a+rX "$state"

sl_start_bg "$SL_TMP/served.log" "$SL_SERVED" -c "$conf" -f
sl_wait_for_line "$SL_TMP/served.log" '^serving on '
base=http://127.0.0.1:$port
curl -fsS "$base/" >"$SL_TMP/page.html" || sl_fail "GET / failed"
cp "$SL_TMP/page.html" "$artifacts/status_page.html"

expect() { grep -qF -- "$1" "$SL_TMP/page.html" || sl_fail "status page lacks: $1"; }
# The sources, their state, and the warnings an operator must not miss.
expect 'snapshot <b>#1</b><span class="sub">since '
expect '(19 d 0 h ago)'
expect '<b>1</b> <span class="badge b-bad">overdue</span><span class="sub bad">oldest waits 10 d 0 h (approve within 7 d 0 h)</span>'
expect '<span class="badge b-ok">unchanged</span>'
expect '4.0 KiB in 2 requests'
expect '<td>in 5 h<span class="sub">'
expect '<span class="badge b-bad">failed</span>'
expect 'daily.cvd: HTTP 403 &lt;forbidden&gt;, cooling down'
expect 'last success 5 h ago'
expect '127.0.0.9<span class="sub warn">cooling down until '
expect '<b>hub</b><span class="sub">oci &middot; manual approval</span></td><td class="muted">nothing yet</td><td>0</td><td class="muted">never</td>'
expect '<b>1</b> approval overdue'
# Client set-up: apt (with sluice's key), freshclam, containerd when served has the OCI route.
expect "curl -fsSo /etc/apt/keyrings/sluice.asc $base/keys/sluice.asc"
expect "deb [signed-by=/etc/apt/keyrings/sluice.asc] $base/apt/debian bookworm main contrib"
expect "deb [signed-by=/etc/apt/keyrings/sluice.asc] $base/apt/debian bookworm-updates main contrib"
expect "DatabaseMirror $base/clamav/clamav"
expect "DNSDatabaseInfo no"
# The same text as `sluice clients` prints for the same address (one generator, core/clients.c).
"$SL_ADMIN" -c "$conf" clients --url "$base" >"$SL_TMP/clients.txt"
python3 - "$SL_TMP/page.html" "$SL_TMP/clients.txt" <<'PY' || sl_fail "the page's client set-up differs from sluice clients"
import html, re, sys
page = html.unescape(open(sys.argv[1]).read())
blocks = re.split(r"^== .*$", open(sys.argv[2]).read(), flags=re.M)
snippets = [b.strip("\n") for b in blocks if b.strip() and not b.lstrip().startswith("# see the status page")]
assert len(snippets) == 2, snippets
for s in snippets:
    assert s in page, s
PY
if grep -q '\.snippet = sl_oci_snippet' "$SL_SOURCE_DIR/served/server.c"; then
	expect 'containerd mirror: /etc/containerd/certs.d/'
	expect "[host.\"$base\"]"
else
	sl_log "note: served has no OCI route yet, containerd snippet not checked"
fi
# The key, as gpg prints its fingerprint, in groups of four.
grouped=$(echo "$fpr" | sed -E 's/(.{4})/\1 /g; s/ $//; s/^((.{4} ){4}.{4}) /\1  /')
expect "<pre class=\"fpr\">$grouped</pre>"
expect "<a href=\"$base/keys/sluice.asc\">"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/keys/sluice.asc")" = 200 ] || sl_fail "the key link is dead"

# /metrics says the same.
curl -fsS "$base/metrics" >"$SL_TMP/metrics.txt"
for m in 'sluice_approval_overdue{source="debian"} 1' 'sluice_approval_overdue{source="clamav"} 0' \
	'sluice_published_snapshot{source="debian"} 1' 'sluice_pending_snapshots{source="debian"} 1' \
	"sluice_upstream_cooldown_until_timestamp{source=\"clamav\",host=\"127.0.0.9\"} $((now + 4 * 3600))" \
	'sluice_last_sync_outcome{source="clamav",outcome="failed"} 1' 'sluice_last_sync_bytes{source="debian"} 4096' \
	"sluice_next_sync_timestamp{source=\"debian\"} $((now + 5 * 3600 + 600))"; do
	grep -qF "$m" "$SL_TMP/metrics.txt" || sl_fail "/metrics lacks: $m"
done

# ---- a real browser: the page renders, and a screenshot stays with the build for people to look at.
export HOME=$SL_TMP/home
mkdir -p "$HOME"
flags=(--headless --disable-gpu --no-sandbox --no-first-run --disable-extensions --hide-scrollbars
	--user-data-dir="$SL_TMP/chromium" --window-size=1280,1200)
timeout 120 "$browser" "${flags[@]}" --screenshot="$artifacts/status_page.png" "$base/" \
	>"$SL_TMP/chromium.log" 2>&1 &
wait $! || { tail -n 20 "$SL_TMP/chromium.log" >&2; sl_fail "chromium could not take the screenshot"; }
timeout 120 "$browser" "${flags[@]}" --dump-dom "$base/" >"$SL_TMP/dom.html" 2>>"$SL_TMP/chromium.log" &
wait $! || sl_fail "chromium could not load the page"
python3 - "$artifacts/status_page.png" "$SL_TMP/dom.html" <<'PY' || sl_fail "the rendered page is not right"
import os, struct, sys
png = open(sys.argv[1], "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", png[16:24])
assert (w, h) == (1280, 1200), f"screenshot is {w}x{h}"
# An error or blank page compresses to a few KiB; tables, badges and text do not.
assert len(png) > 40000, f"screenshot is only {len(png)} bytes: blank page?"
dom = open(sys.argv[2]).read()
assert "<h1>sluice mirror</h1>" in dom and dom.count("<tr>") == 4, "page structure missing in the DOM"
print(f"screenshot {w}x{h}, {len(png)} bytes: {sys.argv[1]}")
PY

# ---- without a sluice-syncd the page says nothing is scheduled, and why (the times above would pass).
kill "$fake_syncd"
wait "$fake_syncd" 2>/dev/null || true
curl -fsS "$base/" >"$SL_TMP/page.html" || sl_fail "GET / failed"
expect 'not scheduled<span class="sub">no sluice-syncd running</span>'
grep -qF '<td>in 5 h<span class="sub">' "$SL_TMP/page.html" && sl_fail "a next sync time is shown with no sluice-syncd running"
echo "1 passed, 0 failed"
