#!/usr/bin/env bash
# OCI serving benchmark: sluice-served vs docker-registry (the distribution registry) serving the same
# image, side by side in one run. The image (~200 MB, three layers of random data, made with umoci, cached
# in bench/work/oci-image) is pushed into docker-registry with skopeo and laid out as sluice's published
# tree; then, for each server:
#   wrk on GET /v2/<name>/manifests/<tag> with an OCI Accept header  (requests/s)
#   wrk on GET of the largest blob                                     (bytes/s)
#   a full `skopeo copy docker://... oci:DIR` pull                     (wall time, median of ROUNDS)
# and prints every figure and the ratios (targets: manifests >= 10x, blob >= 1.0x, pull no slower).
# Usage: bench/oci_serve.sh [SECONDS] [CONNECTIONS] [ROUNDS]     (defaults: 10 s, 64 connections, 5 pulls)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
conns=${2:-64}
rounds=${3:-5}
work=${BENCH_WORK:-$top/bench/work}
mkdir -p "$work"
export SL_BUILD_DIR=${SL_BUILD_DIR:-$top/build-bench}
for t in umoci skopeo wrk docker-registry python3 curl; do
	command -v "$t" >/dev/null || { echo "bench: needs $t (contrib/install-deps.sh)"; exit 1; }
done
cmake -S "$top" -B "$SL_BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$SL_BUILD_DIR" -j"$(nproc)" --target sluice-served >/dev/null
. "$top/tests/integration/lib.sh"
HERE=$top/tests/integration

# ---- the image: three layers of 100, 60 and 40 MB of random data (incompressible: the bytes on the wire)
L=$work/oci-image
if [ ! -s "$L/index.json" ] || ! grep -q '"bench"' "$L/index.json"; then
	echo "bench: building the image with umoci (once, cached in $L)"
	rm -rf "$L"
	umoci init --layout "$L"
	umoci new --image "$L:bench"
	for mb in 100 60 40; do
		rm -rf "$SL_TMP/bundle"
		umoci unpack --rootless --image "$L:bench" "$SL_TMP/bundle" >/dev/null
		mkdir -p "$SL_TMP/bundle/rootfs/data"
		head -c $((mb << 20)) /dev/urandom >"$SL_TMP/bundle/rootfs/data/layer-$mb"
		umoci repack --image "$L:bench" "$SL_TMP/bundle" >/dev/null
	done
	rm -rf "$SL_TMP/bundle"
fi
read -r mdigest big_digest big_size total <<<"$(python3 - "$L" <<'EOF'
import json, os, sys
L = sys.argv[1]
d = [m for m in json.load(open(os.path.join(L, "index.json")))["manifests"]
     if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "bench"][0]
m = json.load(open(os.path.join(L, "blobs", d["digest"].replace(":", "/"))))
big = max(m["layers"], key=lambda l: l["size"])
print(d["digest"], big["digest"], big["size"], sum(l["size"] for l in m["layers"]) + m["config"]["size"])
EOF
)"
echo "bench: image $mdigest, $((total >> 20)) MB in $(grep -o '"size"' "$L/blobs/${mdigest/://}" | wc -l) blobs; largest layer $((big_size >> 20)) MB"

# ---- docker-registry, seeded with skopeo
RPORT=$(sl_free_port)
mkdir -p "$SL_TMP/registry"
cat >"$SL_TMP/registry/config.yml" <<EOF
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $SL_TMP/registry/data }, cache: { blobdescriptor: inmemory } }
http: { addr: 127.0.0.1:$RPORT }
EOF
sl_start_bg "$SL_TMP/registry/log" docker-registry serve "$SL_TMP/registry/config.yml"
sl_wait_port "$RPORT" 20 || sl_fail "docker-registry did not start"
skopeo copy --quiet --dest-tls-verify=false "oci:$L:bench" "docker://127.0.0.1:$RPORT/bench/app:1"

# ---- sluice-served over the same image as a published generation
STATE=$SL_TMP/state
GEN=$STATE/public/.gen/oci-lab-1
mkdir -p "$GEN" "$STATE/public/oci"
[ "$(python3 "$HERE/oci_tree.py" "$GEN" bench/app 1 "oci:$L:bench")" = "$mdigest" ] || sl_fail "tree layout"
ln -s ../.gen/oci-lab-1 "$STATE/public/oci/lab"
SPORT=$(sl_free_port)
user_line=
if [ "$(id -u)" = 0 ]; then
	user_line="user = nobody"
	chmod 0755 "$SL_TMP"
	chmod -R a+rX "$STATE"
fi
cat >"$SL_TMP/sluice.conf" <<EOF
[sluice]
state_dir = $STATE

[served]
listen = 127.0.0.1:$SPORT
max_connections = 4096
max_connections_per_ip = 4096
$user_line

[source lab]
type = oci
registry = https://127.0.0.1:$RPORT
images = bench/app:1
EOF
sl_start_bg "$SL_TMP/served.log" "$SL_BUILD_DIR/served/sluice-served" -c "$SL_TMP/sluice.conf" -f
sl_wait_for_line "$SL_TMP/served.log" "^serving on "

REG=http://127.0.0.1:$RPORT/v2/bench/app
SLU=http://127.0.0.1:$SPORT/v2/lab/bench/app
ACCEPT='Accept: application/vnd.oci.image.manifest.v1+json'
for u in "$REG" "$SLU"; do   # same bytes from both before anything is measured
	d=$(curl -sf -H "$ACCEPT" "$u/manifests/1" | sha256sum | cut -d' ' -f1)
	[ "sha256:$d" = "$mdigest" ] || sl_fail "$u serves another manifest ($d)"
	[ "$(curl -sf -o /dev/null -w '%{size_download}' "$u/blobs/$big_digest")" = "$big_size" ] || sl_fail "$u blob"
done
ulimit -n 65536 2>/dev/null || true

# wrk_run CONNECTIONS URL [HEADER]: prints "requests/s bytes/s" (bytes/s from wrk's own Transfer/sec).
wrk_run() {
	local c=$1 url=$2 out
	shift 2
	out=$(wrk -t2 -c"$c" -d"${secs}s" "${@/#/-H}" "$url")
	echo "$out" >>"$SL_TMP/wrk.log"
	if grep -q 'Non-2xx' <<<"$out"; then sl_fail "wrk saw errors on $url: $out"; fi
	awk '/^Requests\/sec:/ { r = $2 }
	     /^Transfer\/sec:/ { v = $2; u = substr(v, length(v) - 1); v += 0
	                         m = (u == "GB") ? 2^30 : (u == "MB") ? 2^20 : (u == "KB") ? 2^10 : 1; b = v * m }
	     END { printf "%.0f %.0f\n", r, b }' <<<"$out"
}
echo "bench: wrk ${secs}s, $conns connections: manifests"
read -r reg_mrps _ <<<"$(wrk_run "$conns" "$REG/manifests/1" "$ACCEPT")"
read -r slu_mrps _ <<<"$(wrk_run "$conns" "$SLU/manifests/1" "$ACCEPT")"
# Blob throughput with few connections: each request is a 100 MB transfer.
echo "bench: wrk ${secs}s, 4 connections: blob of $((big_size >> 20)) MB"
read -r _ reg_bbps <<<"$(wrk_run 4 "$REG/blobs/$big_digest")"
read -r _ slu_bbps <<<"$(wrk_run 4 "$SLU/blobs/$big_digest")"

# Full pulls, alternating, median of ROUNDS. The client's disk is not what is measured: the pulled copy
# goes to tmpfs when there is one.
pulldir=$SL_TMP/pull
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	pulldir=$(mktemp -d /dev/shm/sluice-bench.XXXXXX)
	rm_pulldir() { rm -rf "$pulldir"; }
	sl_on_cleanup rm_pulldir
fi
pull() {
	rm -rf "$pulldir/img"
	local t0 t1
	t0=$(date +%s.%N)
	skopeo copy --quiet --src-tls-verify=false "docker://$1:1" "oci:$pulldir/img:x"
	t1=$(date +%s.%N)
	grep -q "\"$mdigest\"" "$pulldir/img/index.json" || sl_fail "pull from $1: wrong manifest"
	echo "$t1 - $t0" | bc -l
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "bench: $rounds pulls from each with skopeo copy"
reg_t=() slu_t=()
for i in $(seq "$rounds"); do
	reg_t+=("$(pull "127.0.0.1:$RPORT/bench/app")")
	slu_t+=("$(pull "127.0.0.1:$SPORT/lab/bench/app")")
done
rm -rf "$pulldir/img"
reg_pull=$(printf '%s\n' "${reg_t[@]}" | median)
slu_pull=$(printf '%s\n' "${slu_t[@]}" | median)
echo "bench: pull times (s) docker-registry: ${reg_t[*]}"
echo "bench: pull times (s) sluice-served:   ${slu_t[*]}"

ratio() { echo "scale=2; $1 / $2" | bc -l; }
printf '\n%-44s %16s %16s %8s\n' "OCI serving ($(nproc) CPUs)" "docker-registry" "sluice-served" "ratio"
printf '%-44s %16s %16s %7sx\n' "manifest GET, OCI Accept (requests/s)" "$reg_mrps" "$slu_mrps" "$(ratio "$slu_mrps" "$reg_mrps")"
printf '%-44s %16s %16s %7sx\n' "blob GET $((big_size >> 20)) MB (MB/s)" "$((reg_bbps >> 20))" "$((slu_bbps >> 20))" \
	"$(ratio "$slu_bbps" "$reg_bbps")"
printf '%-44s %16.2f %16.2f %7sx\n' "skopeo copy pull, $((total >> 20)) MB (s, median of $rounds)" "$reg_pull" "$slu_pull" \
	"$(ratio "$reg_pull" "$slu_pull")"
echo "(ratios: sluice over registry for rates, registry over sluice for pull time: above 1 means sluice is ahead)"
echo "targets: manifests >= 10x, blob >= 1.0x, pull >= 1.0x"
