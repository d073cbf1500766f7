#!/usr/bin/env bash
# Installs every Debian 12 package sluice needs to build, test and run, with apt-get. Idempotent: packages
# already present are left alone and nothing is fetched when nothing is missing.
# Usage: contrib/install-deps.sh [--check]   (--check: only list what is missing; exit 1 if anything is)
set -euo pipefail

BUILD=(build-essential cmake pkg-config libcurl4-openssl-dev libarchive-dev libgpgme-dev libsqlite3-dev
       libmicrohttpd-dev libjansson-dev libinih-dev libssl-dev libcmocka-dev libsolv-dev libsolvext-dev
       libclamav-dev libxml2-dev librpm-dev libcreaterepo-c-dev liblzma-dev zlib1g-dev libmodulemd-dev)
RUN=(gnupg ca-certificates xz-utils)
# Real upstreams and real clients for the integration tests and benchmarks.
TEST=(nginx-light apt-utils dpkg-dev clamav clamav-freshclam docker-registry skopeo umoci containerd aptly wrk haproxy
      sqlite3 curl python3 clang libclang-rt-14-dev procps iproute2 time bc apache2-utils chromium openssl lz4 zstd bzip2
      groff-base gpgv python3-aiosmtpd rpm createrepo-c dnf dnf-plugins-core faketime python3-yaml)

missing=()
for p in "${BUILD[@]}" "${RUN[@]}" "${TEST[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#BUILD[@]} build, ${#RUN[@]} runtime and ${#TEST[@]} test packages present"
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "install-deps: missing: ${missing[*]}"
	exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
		echo "install-deps: not root, using sudo to install: ${missing[*]}"
	else
		echo "install-deps: these packages are missing: ${missing[*]}" >&2
		echo "install-deps: run this script as root (su -c 'contrib/install-deps.sh'), or install sudo" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
