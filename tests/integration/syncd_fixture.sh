# syncd_fixture.sh: shared setup for tests/integration/test_syncd_*.sh. Source it after lib.sh and
# apt_fixture.sh. Builds signed APT repositories from .debs made here (random, incompressible payloads of
# a chosen size: no download needed) and writes sluice configurations for them.
#
#   syncd_deb NAME BYTES                 -> a real .deb in $APT_DEBS (NAME_1.0_all.deb, payload of BYTES)
#   syncd_repo DIR                       -> signed repository (suite stable) of every .deb in $APT_DEBS,
#                                           then empties $APT_DEBS for the next one
#   syncd_deb_path DIR NAME              -> pool path of NAME's .deb inside DIR (relative)
#   syncd_conf FILE STATE [SYNCD_LINES]  -> [sluice] and [syncd] sections
#   syncd_source FILE NAME URL PKGS [LINES] -> appends an apt source with the fixture key
#   syncd_start LOG ARGS...              -> sluice-syncd -f in the background: $SYNCD_PID
#   syncd_children PID                   -> pids of the daemon's children
#   syncd_sha FILE                       -> sha256 of FILE
#   syncd_wait_file PATH [SECS]          -> wait until PATH exists
#   syncd_json CONF JQ-LIKE-PYTHON-EXPR  -> evaluate a python expression over `sluice --json sources` as s
# shellcheck shell=bash

syncd_deb() {
	local name=$1 bytes=$2 d
	APT_DEBS=${APT_DEBS:-$SL_TMP/debs}
	mkdir -p "$APT_DEBS"
	d=$(mktemp -d "$SL_TMP/deb.XXXXXX")
	mkdir -p "$d/DEBIAN" "$d/usr/share/$name"
	cat >"$d/DEBIAN/control" <<EOF
Package: $name
Version: 1.0
Architecture: all
Maintainer: sluice tests <tests@test.invalid>
Description: sluice syncd test payload
 $bytes random bytes.
EOF
	head -c "$bytes" /dev/urandom >"$d/usr/share/$name/payload"
	dpkg-deb --root-owner-group -Znone --build "$d" "$APT_DEBS/${name}_1.0_all.deb" >/dev/null
	rm -rf "$d"
}

syncd_repo() {
	local dir=$1
	[ -n "${APT_KEYS:-}" ] && [ -d "$APT_KEYS/upstream" ] || apt_fixture_key upstream
	apt_fixture_repo "$dir" stable
	apt_fixture_release "$dir" stable "$(apt_date -3600)"
	apt_fixture_sign "$dir" stable upstream
	rm -f "$APT_DEBS"/*.deb
}

syncd_deb_path() {
	(cd "$1" && ls pool/main/*/"$2"/"$2"_*.deb)
}

syncd_conf() {
	local file=$1 state=$2 extra=${3:-}
	cat >"$file" <<EOF
[sluice]
state_dir = $state
[syncd]
$extra
EOF
}

syncd_source() {
	local file=$1 name=$2 url=$3 pkgs=$4 extra=${5:-}
	cat >>"$file" <<EOF
[source $name]
type = apt
url = $url
suites = stable
components = main
architectures = $APT_ARCH
keyring = $APT_KEYS/upstream.gpg
packages = $pkgs
approve = manual
$extra
EOF
}

syncd_start() {
	local log=$1
	shift
	"$SL_SYNCD" -f "$@" </dev/null >"$log" 2>&1 &
	SYNCD_PID=$!
	SL_PIDS+=("$SYNCD_PID")
}

syncd_children() {
	pgrep -P "$1" || true
}

syncd_sha() {
	sha256sum "$1" | cut -d' ' -f1
}

syncd_wait_file() {
	local path=$1 secs=${2:-30} i
	for i in $(seq $((secs * 20))); do
		[ -e "$path" ] && return 0
		sleep 0.05
	done
	sl_fail "$path did not appear within ${secs}s"
}

syncd_json() {
	"$SL_ADMIN" -c "$1" --json sources | python3 -c "import json,sys; s = json.load(sys.stdin); print($2)"
}
