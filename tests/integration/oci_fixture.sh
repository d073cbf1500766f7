# oci_fixture.sh: a real OCI upstream for the integration tests — Debian's docker-registry (the distribution
# registry) on a free loopback port with basic (htpasswd) or token auth, images built with umoci from tiny
# root filesystems made here, pushed with skopeo. Source it after lib.sh.
#
#   oci_fixture_require                 skip unless docker-registry, skopeo, umoci, htpasswd are installed
#   oci_fixture_layout DIR              an OCI layout at DIR with images v1-amd64, v1-arm64 (same layer),
#                                       v2-amd64 (another layer) and an index "multi" of v1-amd64 + v1-arm64
#   oci_fixture_image DIR TAG TEXT      add an amd64 image TAG whose one layer holds /etc/sluice-test = TEXT
#   oci_fixture_registry basic|token    start docker-registry; exports OCI_REG (127.0.0.1:PORT), OCI_REG_DIR
#                                       (storage root), OCI_REG_LOG, OCI_USER, OCI_PASS_FILE; token mode also
#                                       starts a token server (python3 stdlib + openssl) and OCI_TOKEN_LOG
#   oci_fixture_cosign LAYOUT REPO:TAG DIR  sign the pushed image the way cosign does: a key pair in DIR
#                                       (cosign.key, cosign.pem) and tag sha256-<hex>.sig in REPO
#   oci_push [--all] [SKOPEO ARGS] oci:DIR:TAG REPO:TAG    skopeo copy into the registry with credentials
#   oci_digest REPO:TAG                 sha256 hex of the manifest skopeo reads from the registry
#   oci_raw REPO:TAG|REPO@sha256:HEX    the raw manifest bytes (skopeo inspect --raw)
#   oci_blob_path HEX                   the registry's storage file for a blob (or manifest) digest

oci_fixture_require() {
	local t
	for t in docker-registry skopeo umoci htpasswd openssl python3; do
		command -v "$t" >/dev/null 2>&1 || sl_skip "$t is not installed"
	done
}

oci_fixture_image() {
	local dir=$1 tag=$2 text=$3 root
	root=$(mktemp -d "$SL_TMP/rootfs.XXXXXX")
	mkdir -p "$root/etc"
	printf '%s\n' "$text" >"$root/etc/sluice-test"
	umoci new --image "$dir:$tag" >/dev/null
	umoci insert --rootless --image "$dir:$tag" "$root/etc" /etc >/dev/null
	umoci config --image "$dir:$tag" --os linux --architecture amd64 >/dev/null
}

oci_fixture_layout() {
	local dir=$1
	umoci init --layout "$dir" >/dev/null
	oci_fixture_image "$dir" base "version one"
	umoci config --image "$dir:base" --os linux --architecture amd64 --tag v1-amd64 >/dev/null
	umoci config --image "$dir:base" --os linux --architecture arm64 --tag v1-arm64 >/dev/null
	oci_fixture_image "$dir" v2-amd64 "version two"
	# An index of the two v1 platforms, written into the layout as a blob and a ref of its own.
	python3 - "$dir" <<'EOF'
import hashlib, json, sys
lay = sys.argv[1]
idx = json.load(open(lay + "/index.json"))
by = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
children = []
for tag, arch in (("v1-amd64", "amd64"), ("v1-arm64", "arm64")):
    d = {k: v for k, v in by[tag].items() if k != "annotations"}
    d["platform"] = {"architecture": arch, "os": "linux"}
    children.append(d)
body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": children}, separators=(",", ":")).encode()
h = hashlib.sha256(body).hexdigest()
open(lay + "/blobs/sha256/" + h, "wb").write(body)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + h,
                         "size": len(body), "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(idx, open(lay + "/index.json", "w"))
EOF
}

# A token server: RS256 JWTs with the signing certificate in x5c, for the registry's token auth. Grants
# pull,push on the requested repository to OCI_USER with its password, refuses everyone else (401).
oci_token_server() {
	local dir=$1 port=$2
	cat >"$dir/token.py" <<'EOF'
import base64, http.server, json, subprocess, sys, time, urllib.parse
port, key, cert_der, user, pw, log = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
x5c = base64.b64encode(open(cert_der, "rb").read()).decode()
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        auth = self.headers.get("Authorization", "")
        ok = auth == "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
        with open(log, "a") as f:
            f.write(json.dumps({"scope": q.get("scope", [""])[0], "service": q.get("service", [""])[0], "auth": ok}) + "\n")
        if not ok:
            self.send_response(401); self.send_header("Content-Length", "0"); self.end_headers(); return
        access = []
        for s in q.get("scope", []):
            t, name, actions = s.split(":")
            access.append({"type": t, "name": name, "actions": ["pull", "push"]})
        now = int(time.time())
        hdr = {"alg": "RS256", "typ": "JWT", "x5c": [x5c]}
        claims = {"iss": "sluice-test-issuer", "sub": user, "aud": q["service"][0], "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": str(time.time_ns()), "access": access}
        signing = b64(json.dumps(hdr).encode()) + "." + b64(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(),
                             capture_output=True, check=True).stdout
        body = json.dumps({"token": signing + "." + b64(sig), "expires_in": 300}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(port)), H).serve_forever()
EOF
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/token.key" -out "$dir/token.pem" -days 2 \
		-subj "/CN=sluice-test-token" >/dev/null 2>&1
	openssl x509 -in "$dir/token.pem" -outform DER -out "$dir/token.der"
	OCI_TOKEN_LOG=$dir/token.log
	: >"$OCI_TOKEN_LOG"
	export OCI_TOKEN_LOG
	sl_start_bg "$dir/token.out" python3 "$dir/token.py" "$port" "$dir/token.key" "$dir/token.der" \
		"$OCI_USER" "$(cat "$OCI_PASS_FILE")" "$OCI_TOKEN_LOG"
	sl_wait_port "$port" 10 || sl_fail "token server did not start"
}

oci_fixture_registry() {
	local mode=$1 dir port auth tport
	dir=$(mktemp -d "$SL_TMP/registry.XXXXXX")
	OCI_USER=sluice
	OCI_PASS_FILE=$dir/password
	printf 'pw-%s\n' "$RANDOM$RANDOM" >"$OCI_PASS_FILE"
	htpasswd -Bbn "$OCI_USER" "$(cat "$OCI_PASS_FILE")" >"$dir/htpasswd" 2>/dev/null
	port=$(sl_free_port)
	if [ "$mode" = token ]; then
		tport=$(sl_free_port)
		oci_token_server "$dir" "$tport"
		auth="  token:
    realm: http://127.0.0.1:$tport/token
    service: sluice-test
    issuer: sluice-test-issuer
    rootcertbundle: $dir/token.pem"
	else
		auth="  htpasswd:
    realm: sluice-test
    path: $dir/htpasswd"
	fi
	cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: sluice-test-secret
auth:
$auth
EOF
	OCI_REG=127.0.0.1:$port
	OCI_REG_DIR=$dir/storage
	OCI_REG_LOG=$dir/registry.log
	export OCI_REG OCI_REG_DIR OCI_REG_LOG OCI_USER OCI_PASS_FILE
	sl_start_bg "$OCI_REG_LOG" docker-registry serve "$dir/config.yml"
	sl_wait_port "$port" 20 || { cat "$OCI_REG_LOG" >&2; sl_fail "docker-registry did not start"; }
}

oci_creds() { printf '%s:%s' "$OCI_USER" "$(cat "$OCI_PASS_FILE")"; }

oci_push() {
	local args=() 
	while [ $# -gt 2 ]; do args+=("$1"); shift; done
	skopeo copy -q --dest-tls-verify=false --dest-creds "$(oci_creds)" "${args[@]}" "$1" "docker://$OCI_REG/$2" \
		>/dev/null
}

oci_raw() {
	skopeo inspect --raw --tls-verify=false --creds "$(oci_creds)" "docker://$OCI_REG/$1"
}

oci_digest() {
	oci_raw "$1" | sha256sum | cut -c1-64
}

oci_blob_path() {
	printf '%s/docker/registry/v2/blobs/sha256/%s/%s/data' "$OCI_REG_DIR" "${1:0:2}" "$1"
}

oci_fixture_cosign() {
	local lay=$1 ref=$2 dir=$3 repo hex
	repo=${ref%:*}
	hex=$(oci_digest "$ref")
	mkdir -p "$dir"
	openssl ecparam -name prime256v1 -genkey -noout -out "$dir/cosign.key" 2>/dev/null
	openssl ec -in "$dir/cosign.key" -pubout -out "$dir/cosign.pem" 2>/dev/null
	printf '{"critical":{"identity":{"docker-reference":"%s/%s"},"image":{"docker-manifest-digest":"sha256:%s"},"type":"cosign container image signature"},"optional":null}' \
		"$OCI_REG" "$repo" "$hex" >"$dir/payload.json"
	openssl dgst -sha256 -sign "$dir/cosign.key" -out "$dir/payload.sig" "$dir/payload.json"
	python3 - "$lay" "$dir/payload.json" "$(base64 -w0 "$dir/payload.sig")" <<'EOF'
import hashlib, json, sys
lay, payload, sig = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3]
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(f"{lay}/blobs/sha256/{h}", "wb").write(b)
    return h
cfg = json.dumps({"architecture": "", "os": "", "config": {}, "rootfs": {"type": "layers", "diff_ids": []}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + put(cfg), "size": len(cfg)},
    "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": "sha256:" + put(payload),
                "size": len(payload), "annotations": {"dev.cosignproject.cosign/signature": sig}}]}).encode()
idx = json.load(open(f"{lay}/index.json"))
idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + put(man),
                         "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "cosign-sig"}})
json.dump(idx, open(f"{lay}/index.json", "w"))
EOF
	oci_push "oci:$lay:cosign-sig" "$repo:sha256-$hex.sig"
}
