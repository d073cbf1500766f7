#!/usr/bin/env bash
# containerd pulls through sluice-served with the shipped hosts.toml (contrib/clients/containerd-hosts.toml):
# a real containerd (Debian's, its own root, state and socket under $SL_TMP, no CRI) and `ctr images pull
# --hosts-dir`, the resolver the CRI plugin uses for /etc/containerd/certs.d. The snippet is installed for
# the upstream's host name with SLUICE:8080 replaced by sluice-served's address, and its `server` (the
# upstream containerd would fall back to) pointed at the local registry, which is stopped before the pull:
# a pull that succeeds came from sluice. An approved image pulls with the upstream's digest and layer
# bytes; a pending one does not pull at all. Needs root (containerd); skipped otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/oci_fixture.sh"
oci_fixture_require
[ -x "$SL_SERVED" ] && [ -x "$SL_ADMIN" ] || sl_skip "sluice binaries not built"
command -v containerd >/dev/null && command -v ctr >/dev/null || sl_skip "containerd is not installed"
[ "$(id -u)" -eq 0 ] || sl_skip "containerd needs root"

lay=$SL_TMP/layout
oci_fixture_layout "$lay"
oci_fixture_registry basic
reg_pid=$SL_BG_PID
oci_push "oci:$lay:v1-amd64" test/app:v1
oci_push "oci:$lay:v2-amd64" test/app:v2

served_user=$(sl_served_user_line)
port=$(sl_free_port)
state=$SL_TMP/state
conf=$SL_TMP/sluice.conf
cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 0
[served]
listen = 127.0.0.1:$port
access_log = $SL_TMP/access.log
$served_user
[source hub]
type = oci
registry = http://$OCI_REG
images = test/app:v1
username = $OCI_USER
password_file = $OCI_PASS_FILE
approve = manual
CONF
S() { "$SL_ADMIN" -c "$conf" "$@"; }
S init >/dev/null
[ "$(id -u)" -eq 0 ] && chmod 755 "$state"
sl_start_bg "$SL_TMP/served.log" "$SL_SERVED" -c "$conf" -f
sl_wait_for_line "$SL_TMP/served.log" "serving on"
S sync hub >"$SL_TMP/sync1.out" || { cat "$SL_TMP/sync1.out" >&2; sl_fail "first sync"; }
snap=$(S --json pending | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['id'])")
S approve "$snap" --reason "CHG-7 containerd" >/dev/null
chmod -R a+rX "$state/public"
# test/app:v2 goes pending: containerd must not get it.
sed -i 's|^images = test/app:v1$|images = test/app:v1 test/app:v2|' "$conf"
S sync hub >"$SL_TMP/sync2.out" || { cat "$SL_TMP/sync2.out" >&2; sl_fail "second sync"; }
v1=$(oci_digest test/app:v1)
v1_layer=$(oci_raw test/app:v1 | python3 -c "import json,sys; print(json.load(sys.stdin)['layers'][0]['digest'])")

# ---- the upstream goes away: only sluice can answer now -------------------------------------------------
kill "$reg_pid"
wait "$reg_pid" 2>/dev/null || true
curl -s -o /dev/null "http://$OCI_REG/v2/" && sl_fail "the upstream registry still answers"

# ---- containerd with the shipped snippet -----------------------------------------------------------------
certs=$SL_TMP/certs.d
mkdir -p "$certs/$OCI_REG"
sed -e "s|SLUICE:8080|127.0.0.1:$port|g" -e "s|^server = .*|server = \"http://$OCI_REG\"|" \
	"$SL_SOURCE_DIR/contrib/clients/containerd-hosts.toml" >"$certs/$OCI_REG/hosts.toml"
grep -q "^\[host.\"http://127.0.0.1:$port\"\]" "$certs/$OCI_REG/hosts.toml" ||
	sl_fail "the shipped snippet no longer has a [host.\"http://SLUICE:8080\"] section"
ctd=$SL_TMP/containerd
mkdir -p "$ctd"
cat >"$ctd/config.toml" <<EOF
version = 2
root = "$ctd/root"
state = "$ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$ctd/sock"
[ttrpc]
  address = "$ctd/sock.ttrpc"
EOF
sl_start_bg "$ctd/log" containerd --config "$ctd/config.toml"
for _ in $(seq 100); do
	ctr --address "$ctd/sock" version >/dev/null 2>&1 && break
	sleep 0.1
done
ctr --address "$ctd/sock" version >/dev/null 2>&1 || { tail "$ctd/log" >&2; sl_fail "containerd did not start"; }
C() { ctr --address "$ctd/sock" "$@"; }

# Fetch only (no unpack: snapshotters need mounts a CI container may not allow); fetching is where the
# hosts.toml resolver, the ?ns= form and the digest checks happen.
C content fetch --hosts-dir "$certs" "$OCI_REG/test/app:v1" >"$SL_TMP/pull1.out" 2>&1 ||
	{ cat "$SL_TMP/pull1.out" >&2; sl_fail "containerd could not pull the approved image through sluice"; }
got=$(C images ls | awk -v r="$OCI_REG/test/app:v1" '$1 == r { print $3 }')
[ "$got" = "sha256:$v1" ] || sl_fail "containerd has '$got' for test/app:v1, the upstream had sha256:$v1"
C content get "$v1_layer" | sha256sum | grep -q "^${v1_layer#sha256:} " ||
	sl_fail "the layer containerd stored does not hash to its digest"
# containerd resolves the tag with HEAD, then fetches by digest, naming the upstream in ?ns=.
ns="ns=${OCI_REG/:/%3A}"
grep -q "\"HEAD /v2/test/app/manifests/v1?$ns HTTP/1.1\" 200 " "$SL_TMP/access.log" &&
	grep -q "\"GET /v2/test/app/manifests/sha256:$v1?$ns HTTP/1.1\" 200 " "$SL_TMP/access.log" ||
	{ cat "$SL_TMP/access.log" >&2; sl_fail "sluice-served's access log lacks containerd's manifest requests"; }
sl_log "containerd pulled test/app:v1 through sluice-served (sha256:$v1)"

if C content fetch --hosts-dir "$certs" "$OCI_REG/test/app:v2" >"$SL_TMP/pull2.out" 2>&1; then
	sl_fail "containerd pulled test/app:v2, which is only pending"
fi
# sluice said 404; containerd then tried the (stopped) upstream, as the snippet's `server` tells it to.
grep -q "\"HEAD /v2/test/app/manifests/v2?$ns HTTP/1.1\" 404 " "$SL_TMP/access.log" ||
	{ cat "$SL_TMP/pull2.out" "$SL_TMP/access.log" >&2; sl_fail "pending image: sluice-served did not answer 404"; }
C images ls -q | grep -q "test/app:v2" && sl_fail "containerd lists test/app:v2"
sl_log "the pending test/app:v2 is not found"
