# findings_fixture.sh: the upstreams of the scan-gate tests (test_findings*.sh). Source after lib.sh and
# apt_fixture.sh; skips the test when ../shared's ClamAV fixtures or zstd are missing.
#   findings_upstream WWW     WWW/clamav/test.cvd: ClamAV's own signed test database (test-6.cvd, which
#                             holds Eicar-Test-Signature)
#   findings_av_source        the [source av] section: that database, from nginx on $SL_NGINX_PORT
#   findings_apt_source [NAME [PATH]]
#                             an APT source (default deb, at /apt) of suite stable, signed by the upstream key
#   findings_deb NAME VERSION COMPRESSION INFECTED(0/1)
#                             a .deb in $APT_DEBS built with dpkg-deb -ZCOMPRESSION; INFECTED carries the
#                             68-byte EICAR test file as usr/share/doc/NAME/eicar.com

fx=${SL_SOURCE_DIR:-$here/../..}/../shared/fixtures/clamav
[ -r "$fx/test-6.cvd" ] || sl_skip "no ClamAV fixtures at $fx (../shared/fixtures/clamav)"
command -v zstd >/dev/null || sl_skip "zstd is not installed"
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
[ "$(printf '%s' "$EICAR" | wc -c)" = 68 ] || sl_fail "the EICAR string is not 68 bytes"

findings_upstream() {
	mkdir -p "$1/clamav"
	cp -f "$fx/test-6.cvd" "$1/clamav/test.cvd"
	chmod -R u+w "$1"
}

findings_av_source() {
	printf '[source av]\ntype = clamav\nurl = http://127.0.0.1:%s/clamav\ndatabases = test\n' "$SL_NGINX_PORT"
}

findings_apt_source() {
	printf '[source %s]\ntype = apt\nurl = http://127.0.0.1:%s/%s\nsuites = stable\ncomponents = main\n' \
		"${1:-deb}" "$SL_NGINX_PORT" "${2:-apt}"
	printf 'architectures = %s\nkeyring = %s\n' "$APT_ARCH" "$APT_KEYS/upstream.gpg"
}

findings_deb() {
	local w=$SL_TMP/build-$1-$2
	mkdir -p "$w/DEBIAN" "$w/usr/share/doc/$1"
	printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: sluice tests <t@sluice.invalid>\nDescription: findings fixture\n' \
		"$1" "$2" >"$w/DEBIAN/control"
	echo "readme of $1" >"$w/usr/share/doc/$1/README"
	[ "$4" = 1 ] && printf '%s' "$EICAR" >"$w/usr/share/doc/$1/eicar.com"
	mkdir -p "$APT_DEBS"
	dpkg-deb "-Z$3" --root-owner-group --build "$w" "$APT_DEBS/${1}_${2}_all.deb" >/dev/null
}
