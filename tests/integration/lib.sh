# lib.sh: shared helpers for tests/integration/test_*.sh (bash). Source it first thing:
#
#   . "$(dirname "$0")/lib.sh"
#
# It sets `set -euo pipefail`, creates a fresh private temp dir $SL_TMP, and installs a trap that on
# EXIT, INT and TERM stops every server started through it and removes $SL_TMP, whether the test passed,
# failed or was interrupted. Servers listen on 127.0.0.1 only, on free ports.
#
#   SL_SOURCE_DIR, SL_BUILD_DIR     source and build trees (from ctest's environment, else guessed)
#   SL_SYNCD, SL_ADMIN, SL_SERVED   built binaries: sluice-syncd, sluice, sluice-served
#   sl_free_port                    print a port that is free on 127.0.0.1
#   sl_wait_port PORT [SECONDS]     wait until something accepts connections on 127.0.0.1:PORT
#   sl_start_nginx DIR [CONF]       serve DIR; exports SL_NGINX_PORT, SL_NGINX_DIR (prefix with
#                                   access.log, error.log); CONF is extra text for the server block
#   sl_start_upstream [JSON]        start upstream.py (scripted statuses, see its docstring); exports
#                                   SL_UPSTREAM_PORT, SL_UPSTREAM_ROOT, SL_UPSTREAM_SCRIPT, SL_UPSTREAM_LOG
#   sl_upstream_script JSON         replace upstream.py's script (read on every request)
#   sl_upstream_count PATH          print how many requests upstream.py logged for PATH
#   sl_served_user_line [PATH...]   print the [served] line a config needs here: as root "user = nobody"
#                                   (served refuses root), making $SL_TMP traversable and PATHs readable
#                                   for that user; nothing otherwise. Use: served_user=$(sl_served_user_line)
#   sl_log MESSAGE                  progress line on stderr
#   sl_skip MESSAGE                 exit 77 (ctest: skipped)
#   sl_fail MESSAGE                 print and exit 1
#
# bash runs a trap only after the foreground command ends: wait for long things as `cmd & wait $!` so a
# TERM (ctest timeout) cleans up at once. Background jobs of the test are killed at exit too.
# shellcheck shell=bash

set -euo pipefail

SL_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SL_SOURCE_DIR:=$(cd "$SL_LIB_DIR/../.." && pwd)}"
: "${SL_BUILD_DIR:=$SL_SOURCE_DIR/build}"
export SL_SOURCE_DIR SL_BUILD_DIR
SL_SYNCD=$SL_BUILD_DIR/syncd/sluice-syncd
SL_ADMIN=$SL_BUILD_DIR/admin/sluice
SL_SERVED=$SL_BUILD_DIR/served/sluice-served
SL_TEST_NAME=$(basename "$0" .sh)

sl_log() { printf '%s: %s\n' "$SL_TEST_NAME" "$*" >&2; }
sl_skip() { sl_log "SKIP: $*"; exit 77; }
sl_fail() { sl_log "FAIL: $*"; exit 1; }

# As root sluice-served binds, then drops to `nobody`, who must still reach the state dir and keyring.
sl_served_user_line() {
	[ "$(id -u)" -eq 0 ] || return 0
	chmod 755 "$SL_TMP" || return 1
	if [ $# -gt 0 ]; then
		chmod -R a+rX "$@" || return 1
	fi
	echo "user = nobody"
}

SL_PIDS=()
SL_CLEANUP_HOOKS=()   # functions run at cleanup, before the temp dir goes (sl_on_cleanup FN)
SL_TMP=$(mktemp -d /tmp/sluice-it.XXXXXX)
export SL_TMP

sl_cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	SL_PIDS+=($(jobs -p))
	for pid in "${SL_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${SL_PIDS[@]}"; do
		# Wait up to 5 s, then insist.
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	local hook
	for hook in "${SL_CLEANUP_HOOKS[@]}"; do
		"$hook" || true
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		local f
		for f in "$SL_TMP"/nginx*/error.log "$SL_TMP"/upstream*/stderr.log; do
			[ -s "$f" ] || continue
			sl_log "---- $f"
			grep -v -E '\[(notice|info|debug)\]' "$f" | tail -n 20 >&2 || true
		done
	fi
	rm -rf "$SL_TMP"
	exit "$rc"
}
trap sl_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sl_on_cleanup() { SL_CLEANUP_HOOKS+=("$1"); }

# sl_start_bg LOGFILE CMD...: run a server in the background; it is stopped at cleanup.
sl_start_bg() {
	local log=$1
	shift
	"$@" </dev/null >"$log" 2>&1 &
	SL_PIDS+=("$!")
	SL_BG_PID=$!
}

# sl_wait_for_line FILE REGEX [SECS]: wait until a line of FILE matches (e.g. "serving on").
sl_wait_for_line() {
	local file=$1 re=$2 secs=${3:-20} i
	for i in $(seq $((secs * 20))); do
		grep -Eq "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$file" >&2 2>/dev/null || true
	sl_fail "no line matching /$re/ in $file after ${secs}s"
}

sl_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

sl_wait_port() {
	local port=$1 secs=${2:-10} i
	for i in $(seq $((secs * 20))); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

sl_nginx_bin() {
	local b
	for b in /usr/sbin/nginx /usr/local/sbin/nginx "$(command -v nginx 2>/dev/null || true)"; do
		[ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
	done
	return 1
}

# sl_start_nginx DIR [EXTRA_SERVER_CONF]
sl_start_nginx() {
	local root=$1 extra=${2:-} bin prefix user="" attempt
	bin=$(sl_nginx_bin) || sl_skip "nginx is not installed"
	root=$(cd "$root" && pwd)
	prefix=$(mktemp -d "$SL_TMP/nginx.XXXXXX")
	mkdir -p "$prefix/tmp"
	# As root the workers would switch to nobody and could not read a private temp dir.
	[ "$(id -u)" -eq 0 ] && user="user root root;"
	for attempt in 1 2 3 4 5; do
		SL_NGINX_PORT=$(sl_free_port)
		cat >"$prefix/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
$user
pid $prefix/nginx.pid;
error_log $prefix/error.log info;
events { worker_connections 512; }
http {
	access_log $prefix/access.log;
	client_body_temp_path $prefix/tmp/body;
	proxy_temp_path $prefix/tmp/proxy;
	fastcgi_temp_path $prefix/tmp/fastcgi;
	uwsgi_temp_path $prefix/tmp/uwsgi;
	scgi_temp_path $prefix/tmp/scgi;
	default_type application/octet-stream;
	sendfile on;
	keepalive_timeout 60;
	server {
		listen 127.0.0.1:$SL_NGINX_PORT;
		root $root;
		$extra
	}
}
EOF
		"$bin" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" \
			</dev/null >>"$prefix/stderr.log" 2>&1 &
		local pid=$!
		SL_PIDS+=("$pid")
		if sl_wait_port "$SL_NGINX_PORT" 10 && kill -0 "$pid" 2>/dev/null; then
			SL_NGINX_DIR=$prefix
			export SL_NGINX_PORT SL_NGINX_DIR
			return 0
		fi
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	cat "$prefix/error.log" >&2 || true
	sl_fail "nginx did not start"
}

# sl_start_upstream [SCRIPT_JSON]
sl_start_upstream() {
	local dir i script='{}'
	[ $# -ge 1 ] && script=$1
	dir=$(mktemp -d "$SL_TMP/upstream.XXXXXX")
	SL_UPSTREAM_ROOT=$dir/root
	SL_UPSTREAM_SCRIPT=$dir/script.json
	SL_UPSTREAM_LOG=$dir/requests.jsonl
	mkdir -p "$SL_UPSTREAM_ROOT"
	printf '%s\n' "$script" >"$SL_UPSTREAM_SCRIPT"
	python3 "$SL_LIB_DIR/upstream.py" --root "$SL_UPSTREAM_ROOT" --port-file "$dir/port" \
		--log "$SL_UPSTREAM_LOG" --config "$SL_UPSTREAM_SCRIPT" </dev/null >>"$dir/stderr.log" 2>&1 &
	SL_PIDS+=("$!")
	for i in $(seq 200); do
		[ -s "$dir/port" ] && break
		kill -0 "$!" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$dir/port" ] || { cat "$dir/stderr.log" >&2; sl_fail "upstream.py did not start"; }
	SL_UPSTREAM_PORT=$(cat "$dir/port")
	export SL_UPSTREAM_PORT SL_UPSTREAM_ROOT SL_UPSTREAM_SCRIPT SL_UPSTREAM_LOG
}

sl_upstream_script() {
	printf '%s\n' "$1" >"$SL_UPSTREAM_SCRIPT.tmp"
	mv "$SL_UPSTREAM_SCRIPT.tmp" "$SL_UPSTREAM_SCRIPT"
}

sl_upstream_count() {
	python3 - "$SL_UPSTREAM_LOG" "$1" <<'EOF'
import json, sys
n = 0
with open(sys.argv[1]) as f:
    for line in f:
        try:
            if json.loads(line)["path"] == sys.argv[2]:
                n += 1
        except ValueError:
            pass
print(n)
EOF
}
