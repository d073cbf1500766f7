# fixture.sh: the known APT upstreams behind the diff golden files and the admin workflow tests
# (tests/integration/test_admin_*.sh). Source after lib.sh and apt_fixture.sh.
#
# Packages are built here with dpkg-deb from a one-line control file, so versions are chosen, not taken
# from whatever the host's archive has today: the goldens never drift. Two suites like Debian's:
# `stable` (pool/main) and `stable-security` (pool/updates/main).
#
#   admin_fixture_repo DIR SET     lay out package set v1, v2 or v3 in DIR, indexed, signed by key
#                                  "upstream" with a Date newer than any set before (v3 = v2 re-dated)
#   admin_setup [EXTRA_CONF]       (@KEYS@ in it: the upstream keyring's dir) nginx over $SL_TMP/upstream (set v1;
#                                  $ADMIN_NGINX_EXTRA: more server directives), config $conf, `sluice init`,
#                                  sluice-served on $base; S runs the CLI; served runs as nobody when root
#   admin_sync                     sync source fix; prints the new pending snapshot's id
#   served_code PATH               HTTP status of $base/apt/fix/PATH
#
# What changes v1 -> v2, and why each case is there:
#   alpha   1.0-1 -> 1.0-2 (stable) and 1.0-2+deb12u1 (security): upgraded, candidate from security
#   bravo   2.0-1 -> 1.9-1                  downgraded
#   charlie 1.0~rc1-1 -> 1.0-1              upgraded (strcmp would call it a downgrade: ~ sorts first)
#   delta   1:0.9-1 -> 2.0-1                downgraded (the epoch wins; strcmp says upgrade)
#   echo    3.0-1 -> (gone)                 removed
#   foxtrot (new) 1.0-1                     added
#   golf    1.0-1 -> 1.0-1                  unchanged, not listed
#   hotel   (new, security only) 1.0-1      added, SECURITY
#   kilo    1.9-1 -> 1.10-1, Architecture: the host's   upgraded (1.10 > 1.9 in dpkg order)

ADMIN_FIXTURE_SUITE=stable

# NAME VERSION ARCH POOLDIR
admin_fixture_deb() {
	local name=$1 ver=$2 arch=$3 pool=$4 work
	work=$(mktemp -d "$SL_TMP/deb.XXXXXX")
	mkdir -p "$work/DEBIAN" "$work/usr/share/doc/$name"
	printf '%s %s\n' "$name" "$ver" >"$work/usr/share/doc/$name/VERSION"
	cat >"$work/DEBIAN/control" <<EOF
Package: $name
Version: $ver
Architecture: $arch
Maintainer: sluice tests <tests@sluice.invalid>
Description: sluice admin fixture package $name
EOF
	mkdir -p "$pool/${name:0:1}/$name"
	dpkg-deb -Zgzip --root-owner-group --build "$work" "$pool/${name:0:1}/$name/${name}_${ver#*:}_${arch}.deb" \
		>/dev/null
	rm -rf "$work"
}

ADMIN_FIXTURE_T=0
admin_fixture_repo() {
	local dir=$1 set=$2 a=$APT_ARCH
	rm -rf "$dir"
	mkdir -p "$dir"
	local main=$dir/pool/main sec=$dir/pool/updates/main
	case $set in
	v1)
		admin_fixture_deb alpha 1.0-1 all "$main"
		admin_fixture_deb bravo 2.0-1 all "$main"
		admin_fixture_deb charlie 1.0~rc1-1 all "$main"
		admin_fixture_deb delta 1:0.9-1 all "$main"
		admin_fixture_deb echo 3.0-1 all "$main"
		admin_fixture_deb golf 1.0-1 all "$main"
		admin_fixture_deb kilo 1.9-1 "$a" "$main"
		mkdir -p "$sec"
		;;
	v2 | v3)
		admin_fixture_deb alpha 1.0-2 all "$main"
		admin_fixture_deb bravo 1.9-1 all "$main"
		admin_fixture_deb charlie 1.0-1 all "$main"
		admin_fixture_deb delta 2.0-1 all "$main"
		admin_fixture_deb foxtrot 1.0-1 all "$main"
		admin_fixture_deb golf 1.0-1 all "$main"
		admin_fixture_deb kilo 1.10-1 "$a" "$main"
		admin_fixture_deb alpha 1.0-2+deb12u1 all "$sec"
		admin_fixture_deb hotel 1.0-1 all "$sec"
		;;
	*) sl_fail "admin_fixture_repo: unknown set $set" ;;
	esac
	local suite pool
	for suite in stable stable-security; do
		pool=pool/main
		[ "$suite" = stable-security ] && pool=pool/updates
		local idx=$dir/dists/$suite/main/binary-$a
		mkdir -p "$idx"
		(cd "$dir" && apt-ftparchive packages "$pool" >"$idx/Packages" 2>/dev/null)
		xz -k -3 "$idx/Packages"
		gzip -9nk "$idx/Packages"
		ADMIN_FIXTURE_T=$((ADMIN_FIXTURE_T + 60))
		apt_fixture_release "$dir" "$suite" "$(apt_date $((ADMIN_FIXTURE_T - 7200)))"
		apt_fixture_sign "$dir" "$suite" upstream
	done
}

admin_setup() {
	local extra=${1:-}
	apt_fixture_key upstream
	extra=${extra//@KEYS@/$APT_KEYS}
	sl_on_cleanup apt_fixture_keys_cleanup
	up=$SL_TMP/upstream
	admin_fixture_repo "$up" v1
	sl_start_nginx "$up" "${ADMIN_NGINX_EXTRA:-}"
	state=$SL_TMP/state
	port=$(sl_free_port)
	conf=$SL_TMP/sluice.conf
	local served_user=
	# As root, sluice-served insists on dropping to an unprivileged user, who must read the tree.
	[ "$(id -u)" -eq 0 ] && served_user="user = nobody" && chmod 755 "$SL_TMP"
	cat >"$conf" <<CONF
[sluice]
state_dir = $state
[syncd]
retries = 1
[served]
listen = 127.0.0.1:$port
$served_user
[source fix]
type = apt
url = http://127.0.0.1:$SL_NGINX_PORT/
suites = stable stable-security
components = main
architectures = $APT_ARCH
keyring = $APT_KEYS/upstream.gpg
approve = manual
keep = 3
$extra
CONF
	S() { "$SL_ADMIN" -c "$conf" "$@"; }
	S init >/dev/null
	[ "$(id -u)" -eq 0 ] && chmod 755 "$state"
	sl_start_bg "$SL_TMP/served.log" "$SL_SERVED" -c "$conf" -f
	sl_wait_for_line "$SL_TMP/served.log" "serving on"
	base=http://127.0.0.1:$port
}

admin_sync() {
	local out=$SL_TMP/sync.out
	S sync fix >"$out" 2>&1 || { cat "$out" >&2; sl_fail "sync of fix failed"; }
	grep -q 'pending approval' "$out" || { cat "$out" >&2; sl_fail "sync made no pending snapshot"; }
	S --json pending fix | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'
}

served_code() {
	curl -s -o /dev/null -w '%{http_code}' "$base/apt/fix/$1"
}
