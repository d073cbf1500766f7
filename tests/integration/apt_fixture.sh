# apt_fixture.sh: builds a real, signed APT repository from real .deb files for the integration tests.
# Source it after lib.sh. The .debs come from this host's Debian archive (apt-get download) and are cached
# in $SL_BUILD_DIR/fixture-cache so repeated runs do not download again.
#
#   apt_fixture_debs PKG...          -> $APT_DEBS (dir of .debs); skips the test if the archive is unreachable
#   apt_fixture_key NAME             -> $GNUPGHOME-style dir $APT_KEYS/NAME with a throwaway ed25519 key,
#                                       public keyring $APT_KEYS/NAME.gpg
#   apt_fixture_repo DIR SUITE       -> lays out DIR/pool and DIR/dists/SUITE from $APT_DEBS (no signing)
#   apt_fixture_release DIR SUITE DATE [VALID_UNTIL]   -> (re)writes Release with that Date (and Valid-Until)
#   apt_fixture_sign DIR SUITE KEYNAME -> InRelease + Release.gpg signed by that key
#   apt_fixture_client DIR           -> a private apt configuration under DIR for a non-root apt-get
#   apt_client_run DIR ARGS...       -> apt-get with that configuration (as an unprivileged user when root)

APT_ARCH=$(dpkg --print-architecture)

apt_fixture_debs() {
	local cache=${SL_BUILD_DIR:-/tmp}/fixture-cache/debs
	mkdir -p "$cache"
	local missing=()
	for p in "$@"; do
		ls "$cache/${p}_"*.deb >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		if ! (cd "$cache" && apt-get download -q "${missing[@]}" >"$cache/download.log" 2>&1); then
			sl_skip "cannot download ${missing[*]} from this host's Debian archive (see $cache/download.log)"
		fi
	fi
	APT_DEBS=$SL_TMP/debs
	mkdir -p "$APT_DEBS"
	for p in "$@"; do
		cp "$cache/${p}_"*.deb "$APT_DEBS/"
	done
}

apt_fixture_key() {
	local name=$1
	APT_KEYS=${APT_KEYS:-$(mktemp -d /tmp/slk.XXXXXX)}
	local home=$APT_KEYS/$name
	mkdir -p "$home"
	chmod 700 "$home"
	gpg --homedir "$home" --batch --quiet --pinentry-mode loopback --passphrase '' \
		--quick-gen-key "sluice test $name <$name@test.invalid>" ed25519 sign never 2>/dev/null
	gpg --homedir "$home" --batch --export >"$APT_KEYS/$name.gpg"
}

apt_fixture_keys_cleanup() {
	[ -n "${APT_KEYS:-}" ] || return 0
	for h in "$APT_KEYS"/*/; do
		gpgconf --homedir "$h" --kill all 2>/dev/null || true
	done
	rm -rf "$APT_KEYS"
}

# DIR SUITE: pool laid out like Debian's (pool/main/<initial>/<source>/), one binary-$APT_ARCH index.
apt_fixture_repo() {
	local dir=$1 suite=$2
	mkdir -p "$dir/dists/$suite/main/binary-$APT_ARCH"
	for deb in "$APT_DEBS"/*.deb; do
		local pkg src initial
		pkg=$(dpkg-deb -f "$deb" Package)
		src=$(dpkg-deb -f "$deb" Source | cut -d' ' -f1)
		[ -n "$src" ] || src=$pkg
		initial=${src:0:1}
		[ "${src:0:3}" = lib ] && initial=${src:0:4}
		mkdir -p "$dir/pool/main/$initial/$src"
		# Debian's pool name: package_version-without-epoch_arch.deb (apt-get download keeps "1%3a").
		local ver arch
		ver=$(dpkg-deb -f "$deb" Version)
		arch=$(dpkg-deb -f "$deb" Architecture)
		# Copies by default: tests tamper with pool files in place. The benchmark, which never does,
		# sets APT_FIXTURE_LINK=1 to hard-link 500 MB instead of copying it.
		if [ "${APT_FIXTURE_LINK:-0}" = 1 ]; then
			ln "$deb" "$dir/pool/main/$initial/$src/${pkg}_${ver#*:}_${arch}.deb"
		else
			cp "$deb" "$dir/pool/main/$initial/$src/${pkg}_${ver#*:}_${arch}.deb"
		fi
	done
	apt_fixture_index "$dir" "$suite"
}

apt_fixture_index() {
	local dir=$1 suite=$2 idx=$1/dists/$2/main/binary-$APT_ARCH
	(cd "$dir" && apt-ftparchive packages pool >"$idx/Packages" 2>/dev/null)
	rm -f "$idx/Packages.xz" "$idx/Packages.gz"
	xz -k -3 "$idx/Packages"
	gzip -9nk "$idx/Packages"
}

apt_fixture_release() {
	local dir=$1 suite=$2 date=$3 valid=${4:-}
	local opts=(-o "APT::FTPArchive::Release::Origin=sluice-test" -o "APT::FTPArchive::Release::Label=sluice-test"
		    -o "APT::FTPArchive::Release::Suite=$suite" -o "APT::FTPArchive::Release::Codename=$suite"
		    -o "APT::FTPArchive::Release::Architectures=$APT_ARCH" -o "APT::FTPArchive::Release::Components=main"
		    -o "APT::FTPArchive::Release::Date=$date")
	rm -f "$dir/dists/$suite/Release" "$dir/dists/$suite/InRelease" "$dir/dists/$suite/Release.gpg"
	(cd "$dir/dists/$suite" && apt-ftparchive "${opts[@]}" release . >"$dir/Release.tmp")
	# apt-ftparchive derives Valid-Until from the clock, not from Date: write it as given.
	[ -n "$valid" ] && sed -i "/^Date: /a Valid-Until: $valid" "$dir/Release.tmp"
	mv "$dir/Release.tmp" "$dir/dists/$suite/Release"
}

apt_fixture_sign() {
	local dir=$1 suite=$2 key=$3 d=$1/dists/$2
	rm -f "$d/InRelease" "$d/Release.gpg"
	gpg --homedir "$APT_KEYS/$key" --batch --yes --quiet --clearsign -o "$d/InRelease" "$d/Release"
	gpg --homedir "$APT_KEYS/$key" --batch --yes --quiet -abs -o "$d/Release.gpg" "$d/Release"
	# A strictly newer mtime on every signing: nginx derives ETag and Last-Modified from mtime and size, and
	# an equally long InRelease rewritten within the same second would rightly be answered 304.
	APT_FIXTURE_SEQ=$((${APT_FIXTURE_SEQ:-0} + 1))
	touch -d "@$(($(date +%s) + APT_FIXTURE_SEQ))" "$d/InRelease" "$d/Release" "$d/Release.gpg"
}

# RFC 2822 date N seconds from now, as Debian writes it.
apt_date() {
	LC_ALL=C date -u -d "@$(($(date +%s) + $1))" '+%a, %d %b %Y %H:%M:%S UTC'
}

apt_fixture_client() {
	local c=$1
	mkdir -p "$c/etc/sources.list.d" "$c/etc/preferences.d" "$c/etc/apt.conf.d" "$c/state/lists/partial" \
		"$c/cache/archives/partial" "$c/log" "$c/keyrings" "$c/dl"
	: >"$c/state/status"
	cat >"$c/apt.conf" <<CONF
Dir "$c/";
Dir::State "$c/state";
Dir::State::status "$c/state/status";
Dir::Cache "$c/cache";
Dir::Etc "$c/etc";
Dir::Etc::sourcelist "$c/etc/sources.list";
Dir::Etc::sourceparts "$c/etc/sources.list.d";
Dir::Etc::trusted "/dev/null";
Dir::Etc::trustedparts "$c/keyrings";
Dir::Log "$c/log";
APT::Architecture "$APT_ARCH";
APT::Architectures { "$APT_ARCH"; };
Debug::NoLocking "true";
Acquire::Languages "none";
Acquire::Retries "0";
CONF
	if [ "$(id -u)" -eq 0 ]; then
		chown -R nobody:nogroup "$c"
		chmod 755 "$(dirname "$c")"
	fi
}

apt_client_run() {
	local c=$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$c/dl" && runuser -u nobody -- env APT_CONFIG="$c/apt.conf" apt-get -q "$@")
	else
		(cd "$c/dl" && APT_CONFIG="$c/apt.conf" apt-get -q "$@")
	fi
}
