# bundle_fixture.sh: two sluice installs on one machine for the transfer-bundle tests (test_bundle_*.sh):
# the DMZ (admin_setup of tests/data/diff/apt/fixture.sh: nginx upstream, $conf, $state, S, served on $base)
# and the inside, which has its own state directory and configuration, names no URL (its source says
# from = bundle) and trusts only the DMZ's signing key for bundles. Source after lib.sh, apt_fixture.sh
# and tests/data/diff/apt/fixture.sh.
#
#   bundle_setup [INSIDE_EXTRA]   both installs (APT source fix); I runs the inside's CLI; served on $in_base
#   bundle_inside SOURCES         only the inside, for a DMZ set up by the caller (S, $conf): other formats
#   bundle_export ARGS...         S --json export ARGS (a list of volumes: $SL_TMP/export.json); volumes on stdout
#   export_field NAME             sequence, objects, object_bytes or volumes of that bundle, from its manifest
#   in_pending [SOURCE]           id of the inside's newest pending snapshot of SOURCE (fix) ("" when none)
#   in_count                      number of snapshots of any state on the inside
#   entries_of CLI SNAPSHOT       "path sha256" lines of a snapshot, sorted

bundle_setup() {
	local extra=${1:-}
	admin_setup
	bundle_inside "[source fix]
type = apt
from = bundle
suites = stable stable-security
components = main
architectures = $APT_ARCH
keyring = $APT_KEYS/upstream.gpg
approve = manual
$extra"
}

# bundle_inside SOURCES: the inside install, trusting the DMZ's key ($conf's sluice keys export) for
# bundles, with the given [source] sections (from = bundle, no URL); I runs its CLI; served on $in_base
# ($IN_SERVED_EXTRA: more [served] lines).
bundle_inside() {
	S keys export >"$SL_TMP/dmz.asc"
	in_state=$SL_TMP/inside
	in_conf=$SL_TMP/inside.conf
	in_port=$(sl_free_port)
	local served_user=
	[ "$(id -u)" -eq 0 ] && served_user="user = nobody" && chmod 755 "$SL_TMP"
	cat >"$in_conf" <<CONF
[sluice]
state_dir = $in_state
[served]
listen = 127.0.0.1:$in_port
$served_user
${IN_SERVED_EXTRA:-}
[import]
keyring = $SL_TMP/dmz.asc
$1
CONF
	I() { "$SL_ADMIN" -c "$in_conf" "$@"; }
	I init >/dev/null
	[ "$(id -u)" -eq 0 ] && chmod 755 "$in_state"
	sl_start_bg "$SL_TMP/in-served.log" "$SL_SERVED" -c "$in_conf" -f
	sl_wait_for_line "$SL_TMP/in-served.log" "serving on"
	in_base=http://127.0.0.1:$in_port
}

bundle_export() {
	S --json export "$@" >"$SL_TMP/export.json" 2>"$SL_TMP/export.err" ||
		{ cat "$SL_TMP/export.json" "$SL_TMP/export.err" >&2; sl_fail "export $* failed"; }
	python3 -c 'import json,sys; [print(p) for p in json.load(open(sys.argv[1]))]' "$SL_TMP/export.json"
}

# export_field sequence|objects|object_bytes|volumes: from the signed manifest of the last bundle_export
export_field() {
	local vol
	vol=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0])' "$SL_TMP/export.json")
	tar xOf "$vol" MANIFEST | awk -F '\t' -v f="$1" '
		$1 == "sequence" && f == "sequence" { print $2 }
		$1 == "end" && f == "objects" { print $3 }
		$1 == "end" && f == "object_bytes" { print $4 }
		$1 == "end" && f == "volumes" { print $5 }'
}

in_pending() {   # [SOURCE]
	I --json pending "${1:-fix}" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[0]["id"] if d else "")'
}

in_count() {
	I --json snapshots | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

entries_of() {
	"$1" --json show "$2" | python3 -c '
import json, sys
for e in sorted(json.load(sys.stdin)["entries"], key=lambda e: e["path"]): print(e["path"], e["sha256"])'
}
