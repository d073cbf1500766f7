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
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
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
== Point an isolated host at it (apt):
   curl -o /etc/apt/keyrings/sluice.asc http://$host:$port/keys/sluice.asc
   echo "deb [signed-by=/etc/apt/keyrings/sluice.asc] http://$host:$port/apt/debian $(awk -F' *= *' '/^suites/{split($2,s," "); print s[1]; exit}' "$conf") main" > /etc/apt/sources.list.d/sluice.list
== Point freshclam at it (/etc/clamav/freshclam.conf):
   DatabaseMirror http://$host:$port/clamav/clamav
   DNSDatabaseInfo no
   ScriptedUpdates yes
MSG
exec "$bin/served/sluice-served" -c "$conf" -f
