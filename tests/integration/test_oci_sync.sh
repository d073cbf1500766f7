#!/usr/bin/env bash
# OCI sync end to end against Debian's docker-registry (basic and token auth), seeded with images built
# here by umoci and pushed with skopeo: sync -> pending -> approve -> the published tree holds exactly the
# tags, manifests (byte-identical to `skopeo inspect --raw`) and blobs it should; an unchanged upstream
# costs HEADs only; a moved tag is a pending change `sluice diff` shows; platform narrowing; simple-signing
# signatures from a lookaside (good key accepted, unknown key refused); and refusals with nothing
# published: a corrupted blob, a manifest whose bytes do not match its digest, a digest with path
# characters, an oversize manifest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/apt_fixture.sh"
. "$here/oci_fixture.sh"
sl_on_cleanup apt_fixture_keys_cleanup
oci_fixture_require

lay=$SL_TMP/layout
oci_fixture_layout "$lay"
oci_fixture_image "$lay" badblob "corrupt me"
oci_fixture_image "$lay" badman "manifest to tamper with"
oci_fixture_image "$lay" signed "signed content"
oci_fixture_image "$lay" tok "behind a token"
oci_fixture_registry basic

oci_push "oci:$lay:v1-amd64" test/app:v1
oci_push "oci:$lay:v1-amd64" test/app:latest
oci_push "oci:$lay:v2-amd64" test/app:old-1
oci_push --all "oci:$lay:multi" test/multi:v1
oci_push "oci:$lay:badblob" test/badblob:v1
oci_push "oci:$lay:badman" test/badman:v1

# Simple signing: skopeo signs into a lookaside directory that nginx serves.
apt_fixture_key upstream
apt_fixture_key intruder
fpr=$(gpg --homedir "$APT_KEYS/upstream" --list-keys --with-colons | awk -F: '/^fpr/ {print $10; exit}')
mkdir -p "$SL_TMP/registries.d" "$SL_TMP/sigs"
printf 'docker:\n  %s:\n    lookaside-staging: file://%s\n' "$OCI_REG" "$SL_TMP/sigs" >"$SL_TMP/registries.d/r.yaml"
GNUPGHOME=$APT_KEYS/upstream oci_push --registries.d "$SL_TMP/registries.d" --sign-by "$fpr" \
	"oci:$lay:signed" test/signed:v1
ls "$SL_TMP"/sigs/test/signed@sha256=*/signature-1 >/dev/null || sl_fail "skopeo wrote no signature"
sl_start_nginx "$SL_TMP/sigs"

# A hostile "registry" for what docker-registry would never send.
sl_start_upstream
big=$SL_TMP/big.json
python3 - "$big" <<'EOF'
import json, sys
pad = "x" * (5 << 20)
json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "pad": pad}, open(sys.argv[1], "w"))
EOF
big_hex=$(sha256sum "$big" | cut -c1-64)
mkdir -p "$SL_UPSTREAM_ROOT/v2/big/app/manifests"
cp "$big" "$SL_UPSTREAM_ROOT/v2/big/app/manifests/sha256:$big_hex"
oci_mt=application/vnd.oci.image.manifest.v1+json

# Cosign: a sha256-<hex>.sig tag whose simplesigning layer is signed (ECDSA P-256) by cosign.pem.
oci_push "oci:$lay:v1-arm64" test/cosigned:v1
oci_fixture_cosign "$lay" test/cosigned:v1 "$SL_TMP/cosign"
openssl ecparam -name prime256v1 -genkey -noout -out "$SL_TMP/stranger.key" 2>/dev/null
openssl ec -in "$SL_TMP/stranger.key" -pubout -out "$SL_TMP/stranger.pem" 2>/dev/null

# A registry whose blobs redirect to a "CDN" (nginx) that refuses any request carrying Authorization,
# and a registry announcing that only 2 pulls are left.
lookaside_port=$SL_NGINX_PORT
mkdir -p "$SL_TMP/cdn"
python3 - "$SL_UPSTREAM_ROOT" "$SL_TMP/cdn" <<'EOF'
import hashlib, json, os, sys
root, cdn = sys.argv[1], sys.argv[2]
layer = b"not really a tarball, but bytes with a digest"
config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
def h(b): return hashlib.sha256(b).hexdigest()
for b in (layer, config):
    open(os.path.join(cdn, h(b)), "wb").write(b)
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + h(config), "size": len(config)},
                  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + h(layer), "size": len(layer)}]}).encode()
os.makedirs(os.path.join(root, "v2/cdn/app/manifests"), exist_ok=True)
open(os.path.join(root, "v2/cdn/app/manifests/sha256:" + h(man)), "wb").write(man)
open(os.path.join(cdn, "ids"), "w").write(f"{h(man)} {h(config)} {h(layer)}\n")
EOF
read -r cdn_man cdn_cfg cdn_layer <"$SL_TMP/cdn/ids"
sl_start_nginx "$SL_TMP/cdn" 'if ($http_authorization) { return 403; }'
cdn_port=$SL_NGINX_PORT
cdn_log=$SL_NGINX_DIR/access.log
python3 - "$SL_UPSTREAM_SCRIPT" <<EOF
import json, sys
mt = "$oci_mt"
def m(d, **extra): return {"body": "{}", "headers": dict({"Docker-Content-Digest": "sha256:" + d, "Content-Type": mt}, **extra)}
s = {"/v2/": {"status": 401, "body": "{}", "headers": {"WWW-Authenticate": 'Basic realm="sluice-test"'}},
     "/v2/evil/app/manifests/v1": m("../../../../etc/passwd"),
     "/v2/big/app/manifests/v1": m("$big_hex"),
     "/v2/cdn/app/manifests/v1": m("$cdn_man"),
     "/v2/cdn/app/blobs/sha256:$cdn_cfg": {"status": 307, "location": "http://127.0.0.1:$cdn_port/$cdn_cfg"},
     "/v2/cdn/app/blobs/sha256:$cdn_layer": {"status": 307, "location": "http://127.0.0.1:$cdn_port/$cdn_layer"},
     "/v2/pg/app/tags/list": {"body": json.dumps({"name": "pg/app", "tags": ["a1", "zz"]}),
                              "headers": {"Link": '</v2/pg/app/tags/page2?n=1000>; rel="next"'}},
     "/v2/pg/app/tags/page2": {"body": json.dumps({"name": "pg/app", "tags": ["a2", "../x", "sha256-aa.sig"]})},
     "/v2/pg/app/manifests/a1": m("$cdn_man"),
     "/v2/pg/app/manifests/a2": m("$cdn_man"),
     "/v2/rl/app/manifests/v1": m("$big_hex", **{"RateLimit-Limit": "100;w=21600", "RateLimit-Remaining": "2;w=21600"})}
json.dump(s, open(sys.argv[1] + ".tmp", "w"))
EOF
mv "$SL_UPSTREAM_SCRIPT.tmp" "$SL_UPSTREAM_SCRIPT"

state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[source hub]
type = oci
registry = http://$OCI_REG
images = test/app:v1 test/app:lat* test/multi:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
[source narrow]
type = oci
registry = http://$OCI_REG
images = test/multi:v1
platforms = linux/arm64
username = $OCI_USER
password_file = $OCI_PASS_FILE
[source badblob]
type = oci
registry = http://$OCI_REG
images = test/badblob:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
[source badman]
type = oci
registry = http://$OCI_REG
images = test/badman:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
[source signed]
type = oci
registry = http://$OCI_REG
url = http://127.0.0.1:$lookaside_port
images = test/signed:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
signed_by = $APT_KEYS/upstream.gpg
[source intruder]
type = oci
registry = http://$OCI_REG
url = http://127.0.0.1:$lookaside_port
images = test/signed:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
signed_by = $APT_KEYS/intruder.gpg
[source evil]
type = oci
registry = http://127.0.0.1:$SL_UPSTREAM_PORT
images = evil/app:v1
username = mirror-reader
password_file = $OCI_PASS_FILE
[source big]
type = oci
registry = http://127.0.0.1:$SL_UPSTREAM_PORT
images = big/app:v1
username = mirror-reader
password_file = $OCI_PASS_FILE
[source cdn]
type = oci
registry = http://127.0.0.1:$SL_UPSTREAM_PORT
images = cdn/app:v1
username = mirror-reader
password_file = $OCI_PASS_FILE
[source paged]
type = oci
registry = http://127.0.0.1:$SL_UPSTREAM_PORT
images = pg/app:a*
username = mirror-reader
password_file = $OCI_PASS_FILE
[source limited]
type = oci
registry = http://localhost:$SL_UPSTREAM_PORT
images = rl/app:v1
username = mirror-reader
password_file = $OCI_PASS_FILE
[source cosigned]
type = oci
registry = http://$OCI_REG
images = test/cosigned:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
cosign_key = $SL_TMP/cosign/cosign.pem
[source stranger]
type = oci
registry = http://$OCI_REG
images = test/cosigned:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
cosign_key = $SL_TMP/stranger.pem
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
pending_id() { S --json pending | python3 -c "import json,sys; print([s['id'] for s in json.load(sys.stdin) if s['source'] == '$1'][0])"; }
gets() { grep -cE "\"GET /v2/[^\"]*/(manifests|blobs)/[^\"]*\" .*\"sluice/" "$OCI_REG_LOG" || true; }
heads() { grep -cE "\"HEAD /v2/[^\"]*/manifests/[^\"]*\" .*\"sluice/" "$OCI_REG_LOG" || true; }

# Golden verification records (issue 13): the checks a sync of each fixture records, in the same words,
# whichever stage records them. Normalised so runs compare: sha256 hex -> <hex>, key fingerprints ->
# <fpr>, 127.0.0.1/localhost ports -> <port>, the run's temp dir -> <tmp>, byte counts of the fixture's
# (non-deterministic) images -> <n> bytes. Compared sorted, since the verifier records in entry order
# rather than the old syncer's fetch order. SL_GOLDEN_WRITE=1 rewrites the files.
golden_dir=${SL_SOURCE_DIR:-$here/../..}/tests/data/verify
golden() {   # SOURCE NAME: records of SOURCE's newest snapshot == tests/data/verify/oci_NAME.golden
	local src=$1 name=$2 id
	id=$(S --json snapshots "$src" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s[0]["id"] if s else "")')
	{
		if [ -z "$id" ]; then echo "(no snapshot)"; else
			S --json show "$id" | python3 -c '
import json, sys
for v in json.load(sys.stdin)["verifications"]:
    print("%s | %s | %s | %s | %s" % (v["subject"], v["check"], "pass" if v["passed"] else "FAIL",
                                    v.get("key_fingerprint") or "-", v["reason"]))'
		fi
	} | sed -E -e "s#$SL_TMP#<tmp>#g" -e 's/[0-9a-f]{64}/<hex>/g' -e 's/[0-9A-F]{40}/<fpr>/g' \
		-e 's/(127\.0\.0\.1|localhost):[0-9]+/\1:<port>/g' -e 's/[0-9]+ bytes/<n> bytes/g' |
		LC_ALL=C sort >"$SL_TMP/golden.$name"
	if [ "${SL_GOLDEN_WRITE:-0}" = 1 ]; then
		mkdir -p "$golden_dir"
		cp "$SL_TMP/golden.$name" "$golden_dir/oci_$name.golden"
	fi
	diff -u "$golden_dir/oci_$name.golden" "$SL_TMP/golden.$name" >&2 ||
		sl_fail "$src: verification records differ from tests/data/verify/oci_$name.golden"
}

S init >/dev/null
pub=$state/public/oci

# ---- sync, approve, and the exact published tree -------------------------------------------------
S sync hub | tee "$SL_TMP/sync1.out"
grep -q 'pending approval' "$SL_TMP/sync1.out" || sl_fail "first sync made no pending snapshot"
snap1=$(pending_id hub)
golden hub hub
[ ! -e "$pub/hub" ] || sl_fail "pending content is visible"
S --json diff "$snap1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
got = {c["path"]: (c["change"], c["new_platforms"]) for c in d["changes"]}
assert got == {"test/app:v1": ("added", ["linux/amd64"]), "test/app:latest": ("added", ["linux/amd64"]),
               "test/multi:v1": ("added", ["linux/amd64", "linux/arm64"])}, got
' || sl_fail "first diff is wrong"
S --json show "$snap1" | python3 -c '
import json, sys
s = json.load(sys.stdin)
bad = [v for v in s["verifications"] if not v["passed"]]
assert not bad, bad
assert {v["check"] for v in s["verifications"]} >= {"manifest-digest", "blob-digest"}
' || sl_fail "first snapshot's verification records are wrong"
S approve "$snap1" --reason "CHG-1 initial images" >/dev/null

check_tree() {   # SOURCE REPO:TAG... : the published tree is exactly what the registry holds for these tags
	local src=$1
	shift
	python3 - "$pub/$src" "$OCI_REG" "$(oci_creds)" "$@" <<'EOF'
import hashlib, json, os, subprocess, sys
root, reg, creds, refs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def raw(ref):
    return subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", creds,
                           f"docker://{reg}/{ref}"], capture_output=True, check=True).stdout
want, repos = {}, set()
def manifest(repo, body):
    h = hashlib.sha256(body).hexdigest()
    m = json.loads(body)
    want[f"{repo}/_manifests/{h}"] = body
    mt = m.get("mediaType") or "application/vnd.oci.image.manifest.v1+json"
    want[f"{repo}/_manifests/{h}.type"] = (mt + "\n").encode()
    for d in m.get("manifests", []):
        manifest(repo, raw(f"{repo}@{d['digest']}"))
    for d in [m["config"]] + m.get("layers", []) if "config" in m else []:
        want[f"{repo}/_blobs/{d['digest'][7:]}"] = None
    return h
for ref in refs:
    repo, tag = ref.rsplit(":", 1)
    repos.add(repo)
    want[f"{repo}/_tags/{tag}"] = (manifest(repo, raw(ref)) + "\n").encode()
want["_catalog"] = "".join(r + "\n" for r in sorted(repos)).encode()
have = set()
for d, _, files in os.walk(root):
    for f in files:
        have.add(os.path.relpath(os.path.join(d, f), root))
assert have == set(want), f"missing {sorted(set(want) - have)} extra {sorted(have - set(want))}"
for p, body in want.items():
    data = open(os.path.join(root, p), "rb").read()
    if body is not None:
        assert data == body, f"{p}: content differs"
    elif "/_blobs/" in p:
        assert hashlib.sha256(data).hexdigest() == p.rsplit("/", 1)[1], f"{p}: blob does not match its name"
print(f"tree ok: {len(have)} files")
EOF
}
check_tree hub test/app:v1 test/app:latest test/multi:v1
[ "$(cat "$pub/hub/test/multi/_tags/v1")" = "$(oci_digest test/multi:v1)" ] || sl_fail "index tag digest differs"
# ---- unchanged: HEADs only, nothing downloaded ---------------------------------------------------
g0=$(gets)
h0=$(heads)
S sync hub | tee "$SL_TMP/sync2.out"
grep -q 'unchanged' "$SL_TMP/sync2.out" || sl_fail "an unchanged upstream made a snapshot"
[ "$(gets)" = "$g0" ] || sl_fail "an unchanged upstream cost manifest or blob GETs"
[ "$(heads)" -gt "$h0" ] || sl_fail "the unchanged check did not ask the registry (no HEAD)"

# ---- a tag moves: a pending change the diff shows ------------------------------------------------
old=$(oci_digest test/app:latest)
oci_push "oci:$lay:v2-amd64" test/app:latest
new=$(oci_digest test/app:latest)
S sync hub | tee "$SL_TMP/sync3.out"
snap2=$(pending_id hub)
golden hub hub_moved
S diff "$snap2" | tee "$SL_TMP/diff.out"
grep -qE "moved +test/app:latest +sha256:${old:0:12} -> sha256:${new:0:12} +\[linux/amd64\]" "$SL_TMP/diff.out" ||
	sl_fail "diff does not show the moved tag"
S --json diff "$snap2" | python3 -c "
import json, sys
d = json.load(sys.stdin)
ch = [c for c in d['changes'] if c['path'] == 'test/app:latest']
assert ch and ch[0]['change'] == 'moved' and ch[0]['old'] == '$old' and ch[0]['new'] == '$new', d
assert len(d['changes']) == 1, d['changes']
"
[ "$(cat "$pub/hub/test/app/_tags/latest")" = "$old" ] || sl_fail "a pending move is already visible"
S approve "$snap2" --reason "CHG-2 latest moves" >/dev/null
check_tree hub test/app:v1 test/app:latest test/multi:v1

# ---- platforms: one kept platform of an index -> the tag points at that manifest ------------------
S sync narrow >/dev/null
golden narrow narrow
# The index the tag was narrowed from stays in the snapshot as evidence for the verifier, unpublished.
S --json show "$(pending_id narrow)" | python3 -c '
import json, sys
s = json.load(sys.stdin)
ev = [e for e in s["entries"] if e["role"] == "evidence"]
assert len(ev) == 1 and "/_evidence/" in ev[0]["path"], ev
' || sl_fail "narrow: the narrowed index is not kept as evidence"
S approve "$(pending_id narrow)" --reason "arm64 only" >/dev/null
arm=$(oci_raw test/multi:v1 | python3 -c 'import json,sys; print([m["digest"][7:] for m in json.load(sys.stdin)["manifests"] if m["platform"]["architecture"] == "arm64"][0])')
[ "$(cat "$pub/narrow/test/multi/_tags/v1")" = "$arm" ] || sl_fail "narrowed tag does not point at the arm64 manifest"
[ ! -e "$pub/narrow/test/multi/_manifests/$(oci_digest test/multi:v1)" ] || sl_fail "narrowed index published"
[ "$(find "$pub/narrow/test/multi/_manifests" -type f | wc -l)" -eq 2 ] || sl_fail "narrow: not exactly one manifest"

# ---- simple signing: the right key passes, an unknown key is refused ----------------------------
S sync signed | tee "$SL_TMP/signed.out"
grep -q 'pending approval' "$SL_TMP/signed.out" || sl_fail "a good simple-signing signature was refused"
S --json show "$(pending_id signed)" | grep -q "good simple-signing signature by $fpr" || sl_fail "no signer recorded"
golden signed signed

refused() {   # SOURCE REGEX: the sync fails (exit 3 or 1), says why, and nothing is published
	local src=$1 re=$2 rc=0
	S sync "$src" >"$SL_TMP/$src.out" 2>&1 || rc=$?
	cat "$SL_TMP/$src.out" >&2
	[ "$rc" -ne 0 ] || sl_fail "$src: sync succeeded"
	grep -qE "$re" "$SL_TMP/$src.out" || sl_fail "$src: output does not say /$re/"
	[ ! -e "$pub/$src" ] || sl_fail "$src: something was published"
	if S --json pending | grep -q "\"source\": *\"$src\""; then sl_fail "$src: a snapshot is pending"; fi
}
refused intruder 'unknown key|no good signature'
golden intruder intruder
failed_id() { S --json snapshots "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }
S show "$(failed_id intruder)" | grep -q 'simple-signing.*' || sl_fail "intruder: no simple-signing record"
S show "$(failed_id intruder)" | grep -q 'unknown key' || sl_fail "intruder: the catalogue does not record why"

# ---- tampered content ----------------------------------------------------------------------------
layer=$(oci_raw test/badblob:v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"][7:])')
python3 - "$(oci_blob_path "$layer")" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p, "wb").write(bytes(b))
EOF
refused badblob "blob test/badblob@sha256:$layer.*(SHA-256|digest)"
golden badblob badblob

man=$(oci_digest test/badman:v1)
python3 - "$(oci_blob_path "$man")" <<'EOF'
import re, sys
p = sys.argv[1]
b = open(p, "rb").read()
# Same length, still a valid manifest (the registry parses it): the config's size gains one.
m = re.search(rb'"size":(\d+)', b)
d = m.group(1)
new = d[:-1] + str((int(d[-1:]) + 1) % 10).encode()
open(p, "wb").write(b[:m.start(1)] + new + b[m.end(1):])
EOF
refused badman "test/badman.*(SHA-256|hash)"
golden badman badman
refused evil "Docker-Content-Digest|invalid|malformed"
golden evil evil
[ ! -e "$state/store/objects/../../etc/passwd" ] || sl_fail "a path escaped the store"
refused big "exceeds|cap|TOOBIG|too big"
golden big big

# ---- cosign: the signature tag travels with the image; a stranger's key is refused -----------------
S sync cosigned | tee "$SL_TMP/cosigned.out"
grep -q 'pending approval' "$SL_TMP/cosigned.out" || sl_fail "a good cosign signature was refused"
golden cosigned cosigned
S approve "$(pending_id cosigned)" --reason "cosign ok" >/dev/null
sigtag=sha256-$(oci_digest test/cosigned:v1).sig
check_tree cosigned test/cosigned:v1 "test/cosigned:$sigtag"
refused stranger 'cosign signature refused: cosign signature does not verify'
golden stranger stranger

# ---- blobs through a CDN redirect never carry the registry's credentials ---------------------------
S sync cdn | tee "$SL_TMP/cdn.out"
grep -q 'pending approval' "$SL_TMP/cdn.out" || sl_fail "blobs behind a redirect were not fetched"
golden cdn cdn
grep -q "\"GET /$cdn_layer HTTP/1.1\" 200" "$cdn_log" || sl_fail "the CDN served no blob"

# ---- tag patterns over paginated tag lists (Link: rel="next"); invalid tag names are dropped -------
S sync paged | tee "$SL_TMP/paged.out"
golden paged paged
S approve "$(pending_id paged)" --reason "pages" >/dev/null
[ "$(ls "$pub/paged/pg/app/_tags" | tr '\n' ' ')" = "a1 a2 " ] || sl_fail "pagination: tags $(ls "$pub/paged/pg/app/_tags")"
[ "$(sl_upstream_count /v2/pg/app/tags/page2)" -eq 1 ] || sl_fail "the second page was not fetched"

# ---- rate limit: 2 pulls left -> stop before the limit, no manifest GET, cool-down persisted -------
refused limited 'rate limit: 2 left of 100'
golden limited limited
[ "$(sl_upstream_count "/v2/rl/app/manifests/sha256:$big_hex")" -eq 0 ] || sl_fail "a GET was spent at the limit"
refused limited 'cooling down'
[ "$(sl_upstream_count /v2/rl/app/manifests/v1)" -eq 1 ] || sl_fail "the cool-down did not hold"

# ---- token auth: the Bearer flow against a token server ------------------------------------------
oci_fixture_registry token
oci_push "oci:$lay:tok" tok/app:v1
cat >>"$conf" <<CONF
[source tok]
type = oci
registry = http://$OCI_REG
images = tok/app:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
CONF
S sync tok | tee "$SL_TMP/tok.out"
grep -q 'pending approval' "$SL_TMP/tok.out" || sl_fail "token-auth sync failed"
golden tok tok
grep -qE 'tok: ok: .*\(([0-9.]+ KiB|[0-9]+ B), [1-9]' "$SL_TMP/tok.out" || sl_fail "token-auth sync downloaded nothing"
grep -q '"scope": "repository:tok/app:pull", "service": "sluice-test", "auth": true' "$OCI_TOKEN_LOG" ||
	sl_fail "no authenticated token request for repository:tok/app:pull"
S approve "$(pending_id tok)" --reason "token auth" >/dev/null
check_tree tok tok/app:v1
sl_log "PASS"
