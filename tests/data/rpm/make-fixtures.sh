#!/usr/bin/env bash
# make-fixtures.sh: regenerates the checked-in RPMs of tests/data/rpm/ (run by hand; the unit tests only read
# the results). Throwaway keys are made and discarded each time; only their public halves are kept:
#   pkgkey.asc                      the package key the tests pin
#   libgreet-1.1-1.noarch.rpm       signed by pkgkey
#   hello-2.0-1.noarch.rpm          signed by pkgkey, requires libgreet
#   evil-1.0-1.noarch.rpm           signed by an intruder key that is not kept
#   unsigned-1.0-1.noarch.rpm       no signature
# Needs rpmbuild, rpmsign and gpg (contrib/install-deps.sh installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SL_TMP=$(mktemp -d /tmp/slrpmfix.XXXXXX)
trap 'rpm_fixture_keys_cleanup; rm -rf "$SL_TMP"' EXIT
sl_fail() { echo "make-fixtures: $*" >&2; exit 1; }
. "$here/../../integration/rpm_fixture.sh"
rpm_fixture_key pkgkey
rpm_fixture_key intruder
out=$SL_TMP/out
rpm_fixture_build "$out" libgreet 1.1 "" /usr/share/greet/data
rpm_fixture_build "$out" hello 2.0 "libgreet >= 1.0, /usr/share/greet/data" /usr/share/hello/data
rpm_fixture_build "$out" evil 1.0 ""
rpm_fixture_build "$out" unsigned 1.0 ""
rpm_fixture_sign pkgkey "$out"/libgreet-*.rpm "$out"/hello-*.rpm
rpm_fixture_sign intruder "$out"/evil-*.rpm
cp "$out"/*.rpm "$here/"
cp "$RPM_KEYS/pkgkey.asc" "$here/pkgkey.asc"
echo "make-fixtures: done"
