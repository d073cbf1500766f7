# rpm_fixture.sh: builds real, signed RPM repositories for the integration tests and the benchmark, with
# Debian's rpm (rpmbuild, rpmsign), createrepo_c / modifyrepo_c and throwaway GnuPG keys. Source after lib.sh.
#
#   rpm_fixture_require              skip the test unless rpmbuild, rpmsign, createrepo_c, modifyrepo_c exist
#   rpm_fixture_key NAME [EXPIRE]    -> GnuPG home $RPM_KEYS/NAME with a throwaway RSA key (EXPIRE: gpg's
#                                       expiry such as "seconds=2", default never); public key
#                                       $RPM_KEYS/NAME.asc; its fingerprint in $RPM_KEY_FPR
#   rpm_fixture_build OUTDIR NAME VERSION [REQUIRES [FILE [PAD]]]
#                                    -> OUTDIR/NAME-VERSION-1.noarch.rpm, owning FILE (default
#                                       /usr/share/NAME/data), requiring REQUIRES (an rpm Requires: value,
#                                       may be ""), with PAD bytes of incompressible payload (default 0)
#   rpm_fixture_sign KEY RPM...      -> rpmsign --addsign with that key (header+payload signature)
#   rpm_fixture_repo DIR             -> createrepo_c over DIR's RPMs (with the sqlite databases yum reads)
#   rpm_fixture_updateinfo DIR ID PKG VERSION [ID PKG VERSION...]
#                                    -> one advisory ID (security, Important, CVE-2026-000N) per triple, for
#                                       PKG-VERSION-1, added with modifyrepo_c
#   rpm_fixture_modules DIR MODULE STREAM:NEVRA[,NEVRA...] [STREAM:...] [--default STREAM]
#                                    -> a modulemd v2 document per stream of MODULE (artifacts: those NEVRAs,
#                                       name-epoch:version-release.arch) and, with --default, a
#                                       modulemd-defaults document; appended to DIR/modules.yaml, which
#                                       rpm_fixture_add_modules adds with modifyrepo_c
#   rpm_fixture_add_modules DIR      -> DIR/modules.yaml added as the `modules` record
#   rpm_fixture_comps DIR GROUP:PKG[,PKG...] [GROUP:...] [--category ID:GROUP[,GROUP...]]
#                                    -> a comps.xml (with the DOCTYPE real ones carry) of those groups (every
#                                       packagereq mandatory) and categories, added as the `group` record
#   rpm_fixture_sign_repomd DIR KEY  -> DIR/repodata/repomd.xml.asc, armored detached signature

rpm_fixture_require() {
	local t
	for t in rpmbuild rpmsign createrepo_c modifyrepo_c gpg; do
		command -v "$t" >/dev/null 2>&1 || sl_skip "$t not installed (contrib/install-deps.sh installs it)"
	done
}

rpm_fixture_key() {
	local name=$1 expire=${2:-never}
	RPM_KEYS=${RPM_KEYS:-$(mktemp -d /tmp/slrk.XXXXXX)}
	local home=$RPM_KEYS/$name
	mkdir -p "$home"
	chmod 700 "$home"
	gpg --homedir "$home" --batch --quiet --pinentry-mode loopback --passphrase '' \
		--quick-gen-key "sluice rpm test $name <$name@test.invalid>" rsa2048 sign "$expire" >/dev/null 2>&1
	gpg --homedir "$home" --batch --armor --export >"$RPM_KEYS/$name.asc"
	RPM_KEY_FPR=$(gpg --homedir "$home" --batch --with-colons --list-keys | awk -F: '/^fpr/ {print $10; exit}')
}

rpm_fixture_keys_cleanup() {
	[ -n "${RPM_KEYS:-}" ] || return 0
	for h in "$RPM_KEYS"/*/; do
		gpgconf --homedir "$h" --kill all 2>/dev/null || true
	done
	rm -rf "$RPM_KEYS"
}

rpm_fixture_build() {
	local out=$1 name=$2 ver=$3 requires=${4:-} file=${5:-/usr/share/$2/data} pad=${6:-0}
	local top
	top=$(mktemp -d "$SL_TMP/rpmbuild.XXXXXX")
	mkdir -p "$out"
	{
		echo "Name: $name"
		echo "Version: $ver"
		echo "Release: 1"
		echo "Summary: sluice test package $name"
		echo "License: MIT"
		echo "BuildArch: noarch"
		[ -z "$requires" ] || echo "Requires: $requires"
		echo "%description"
		echo "Test package $name $ver for sluice's RPM tests."
		echo "%install"
		echo "mkdir -p %{buildroot}$(dirname "$file")"
		echo "echo '$name $ver' > %{buildroot}$file"
		if [ "$pad" -gt 0 ]; then
			echo "head -c $pad /dev/urandom > %{buildroot}$(dirname "$file")/pad-$name"
		fi
		echo "%files"
		echo "$file"
		[ "$pad" -eq 0 ] || echo "$(dirname "$file")/pad-$name"
	} >"$top/$name.spec"
	rpmbuild --quiet --define "_topdir $top" --define "_binary_payload w1.gzdio" -bb "$top/$name.spec" \
		>"$top/build.log" 2>&1 || { cat "$top/build.log" >&2; sl_fail "rpmbuild $name $ver"; }
	mv "$top"/RPMS/noarch/*.rpm "$out/"
	rm -rf "$top"
}

rpm_fixture_sign() {
	local key=$1
	shift
	GNUPGHOME=$RPM_KEYS/$key rpmsign --define "__gpg /usr/bin/gpg" --define "_gpg_name $key@test.invalid" \
		--define "_gpg_sign_cmd_extra_args --pinentry-mode loopback --passphrase ''" --addsign "$@" \
		>/dev/null 2>&1 || sl_fail "rpmsign with $key"
}

rpm_fixture_repo() {
	createrepo_c --quiet "$1" >/dev/null || sl_fail "createrepo_c $1"
}

rpm_fixture_updateinfo() {
	local dir=$1 ui=$SL_TMP/updateinfo.xml n=0
	shift
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<updates>'
		while [ $# -ge 3 ]; do
			local id=$1 pkg=$2 ver=$3
			shift 3
			n=$((n + 1))
			cat <<EOF
  <update from="security@test.invalid" status="final" type="security" version="1">
    <id>$id</id>
    <title>$pkg security update</title>
    <severity>Important</severity>
    <issued date="2026-01-01 00:00:00"/>
    <references>
      <reference href="https://cve.test.invalid/CVE-2026-000$n" id="CVE-2026-000$n" type="cve" title="CVE-2026-000$n"/>
    </references>
    <description>Fixes a flaw in $pkg.</description>
    <pkglist>
      <collection short="test">
        <name>test</name>
        <package name="$pkg" version="$ver" release="1" epoch="0" arch="noarch" src="$pkg-$ver-1.src.rpm">
          <filename>$pkg-$ver-1.noarch.rpm</filename>
        </package>
      </collection>
    </pkglist>
  </update>
EOF
		done
		echo '</updates>'
	} >"$ui"
	modifyrepo_c --mdtype=updateinfo "$ui" "$dir/repodata" >/dev/null || sl_fail "modifyrepo_c updateinfo"
	rm -f "$ui"
}

rpm_fixture_sign_repomd() {
	local dir=$1 key=$2
	rm -f "$dir/repodata/repomd.xml.asc"
	gpg --homedir "$RPM_KEYS/$key" --batch --quiet --pinentry-mode loopback --passphrase '' --armor \
		--detach-sign -o "$dir/repodata/repomd.xml.asc" "$dir/repodata/repomd.xml" 2>/dev/null ||
		sl_fail "signing repomd.xml with $key"
}

rpm_fixture_modules() {
	local dir=$1 module=$2 def="" spec stream nevras n i=0
	shift 2
	local out=$dir/modules.yaml
	while [ $# -gt 0 ]; do
		if [ "$1" = --default ]; then
			def=$2
			shift 2
			continue
		fi
		spec=$1
		shift
		stream=${spec%%:*}
		nevras=${spec#*:}
		i=$((i + 1))
		{
			echo "---"
			echo "document: modulemd"
			echo "version: 2"
			echo "data:"
			echo "  name: $module"
			echo "  stream: \"$stream\""
			echo "  version: 2026010100000$i"
			echo "  context: c0ffee4$i"
			echo "  arch: noarch"
			echo "  summary: sluice test module $module:$stream"
			echo "  description: >-"
			echo "    Test module stream for sluice's RPM tests."
			echo "  license:"
			echo "    module:"
			echo "    - MIT"
			echo "  profiles:"
			echo "    common:"
			echo "      rpms:"
			echo "      - ${nevras%%-[0-9]*}"
			echo "  artifacts:"
			echo "    rpms:"
			for n in ${nevras//,/ }; do echo "    - $n"; done
			echo "..."
		} >>"$out"
	done
	if [ -n "$def" ]; then
		cat >>"$out" <<EOF
---
document: modulemd-defaults
version: 1
data:
  module: $module
  stream: "$def"
  profiles:
    $def: [common]
...
EOF
	fi
}

rpm_fixture_add_modules() {
	modifyrepo_c --mdtype=modules "$1/modules.yaml" "$1/repodata" >/dev/null || sl_fail "modifyrepo_c modules"
	rm -f "$1/modules.yaml"
}

rpm_fixture_comps() {
	local dir=$1 xml=$SL_TMP/comps.xml spec p g
	shift
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">'
		echo '<comps>'
		while [ $# -gt 0 ] && [ "$1" != --category ]; do
			spec=$1
			shift
			echo "  <group>"
			echo "    <id>${spec%%:*}</id>"
			echo "    <name>Group ${spec%%:*}</name>"
			echo "    <name xml:lang=\"de\">Gruppe ${spec%%:*}</name>"
			echo "    <description>Test group &amp; packages</description>"
			echo "    <default>true</default>"
			echo "    <uservisible>true</uservisible>"
			echo "    <packagelist>"
			local list=${spec#*:}
			for p in ${list//,/ }; do echo "      <packagereq type=\"mandatory\">$p</packagereq>"; done
			echo "    </packagelist>"
			echo "  </group>"
		done
		while [ $# -gt 1 ] && [ "$1" = --category ]; do
			spec=$2
			shift 2
			echo "  <category>"
			echo "    <id>${spec%%:*}</id>"
			echo "    <name>Category ${spec%%:*}</name>"
			echo "    <grouplist>"
			local groups=${spec#*:}
			for g in ${groups//,/ }; do echo "      <groupid>$g</groupid>"; done
			echo "    </grouplist>"
			echo "  </category>"
		done
		echo '</comps>'
	} >"$xml"
	modifyrepo_c --mdtype=group --no-compress "$xml" "$dir/repodata" >/dev/null || sl_fail "modifyrepo_c comps"
	rm -f "$xml"
}
