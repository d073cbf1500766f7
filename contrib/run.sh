#!/usr/bin/env bash
# README command 1: install what is missing, build, create a state directory (default ./var), write a
# default configuration for the Debian archive this host's APT uses (read from /etc/apt at run time), run
# one sync, and serve in the foreground. Upstreams that cannot be reached are reported, never fatal.
# Usage: contrib/run.sh [STATE_DIR]        environment: SLUICE_LISTEN (default 127.0.0.1:8080)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
state=$(realpath -m "${1:-$top/var}")
listen=${SLUICE_LISTEN:-127.0.0.1:8080}
cd "$top"

bash contrib/install-deps.sh
# The build takes a minute or more the first time: show how far it is, and the compiler's words on failure.
echo "run: building sluice in $top/build ..."
build_log=$(mktemp)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build_log" 2>&1 || { cat "$build_log"; exit 1; }
if ! cmake --build build -j"$(nproc)" 2>&1 | tee "$build_log" |
	awk -v tty="$([ -t 1 ] && echo 1)" '
	    match($0, /^\[ *[0-9]+%\]/) { p = substr($0, RSTART + 1, RLENGTH - 2); gsub(/ /, "", p)
	        if (p == last) next; last = p
	        if (tty) printf "\rrun: building ... %4s", p; else if (p + 0 >= shown + 25) { print "run: building ... " p; shown = p + 0 }
	        fflush() }
	    END { if (tty) print "" }'; then
	tail -n 40 "$build_log"
	echo "run: the build failed (above; the whole log: $build_log)"
	exit 1
fi
rm -f "$build_log"
echo "run: built"
bin=$top/build
mkdir -p "$state"
conf=$state/sluice.conf

# The first Debian archive in this host's APT sources (deb822 .sources files, then one-line lists).
apt_source() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk 'BEGIN{RS=""; FS="\n"}
		     { t=""; u=""; s=""; c=""; k="";
		       for (i=1;i<=NF;i++) { split($i, kv, ":[ \t]*");
		         key=tolower(kv[1]); val=substr($i, index($i, ":")+1); gsub(/^[ \t]+/, "", val);
		         if (key=="types") t=val; else if (key=="uris") u=val; else if (key=="suites") s=val;
		         else if (key=="components") c=val; else if (key=="signed-by") k=val }
		       if (t ~ /(^| )deb( |$)/ && u != "" && s != "") { split(u, us, " "); print us[1] "|" s "|" c "|" k; exit } }' "$f"
	done | head -n1
	if [ -r /etc/apt/sources.list ]; then
		awk '$1=="deb" { u=$2; if (u ~ /^\[/) u=$3; print u "|" $3 "|main|"; exit }' /etc/apt/sources.list
	fi
}
if [ ! -f "$conf" ]; then
	IFS='|' read -r url suites comps keyring < <(apt_source | head -n1) || true
	[ -n "${keyring:-}" ] && [ -r "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	arch=$(dpkg --print-architecture)
	{
		echo "; written by contrib/run.sh on $(date -u +%Y-%m-%d); reference: schemas/sluice.conf.5.md"
		echo "[sluice]"
		echo "state_dir = $state"
		echo "[served]"
		echo "listen = $listen"
		if [ "$(id -u)" -eq 0 ]; then
			echo "; started as root, sluice-served binds, then drops to this user: it only reads the tree"
			echo "user = nobody"
		fi
		if [ -n "${url:-}" ]; then
			echo "[source debian]"
			echo "type = apt"
			echo "url = $url"
			echo "suites = $suites"
			echo "components = main"
			echo "architectures = $arch"
			echo "keyring = $keyring"
			echo "packages = curl ca-certificates   ; with their dependency closure"
			echo "every = 6h"
			echo "approve = manual"
		else
			echo "; no Debian archive found in /etc/apt: add a [source NAME] section (see contrib/examples)"
		fi
		echo "[source clamav]"
		echo "type = clamav"
		echo "url = https://database.clamav.net"
		echo "databases = main daily bytecode"
		echo "every = 2h"
		echo "; approve = auto is the default for ClamAV: signatures change every few hours"
	} > "$conf"
	echo "run: wrote $conf"
fi
"$bin/admin/sluice" -c "$conf" -n
"$bin/admin/sluice" -c "$conf" init
# sluice-served (as nobody when started as root) reads the published tree and the catalogue, nothing else.
chmod 755 "$state"
for src in $(awk -F'[][ ]+' '/^\[source /{print $3}' "$conf"); do
	"$bin/admin/sluice" -c "$conf" sync "$src" || echo "run: sync of $src did not complete (see above); sluice-syncd retries on schedule"
done
"$bin/admin/sluice" -c "$conf" pending || true
host=${listen%:*}; port=${listen##*:}
cat <<MSG

== Approve what you reviewed:   $bin/admin/sluice -c $conf diff ID
                                $bin/admin/sluice -c $conf approve ID --reason "why"
== Point isolated hosts at it (also on the status page, http://$host:$port/):
MSG
# The one client set-up text (core/clients.c): every suite of the APT source, the freshclam lines.
"$bin/admin/sluice" -c "$conf" clients --url "http://$host:$port" | sed 's/^/   /'
echo
exec "$bin/served/sluice-served" -c "$conf" -f
