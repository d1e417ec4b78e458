# lib.sh - helpers of the web tests (sourced, never run alone).
#
# Every script gets $T (a private temporary directory, removed on exit),
# TAP-like ok/nok/check helpers, and start_server/stop_server, which run
# `openams serve` in the background on a free loopback port, remember its
# PID and stop it with `kill PID` (never by name) when the script exits.
# All traffic goes to 127.0.0.1.
set -euo pipefail

: "${OPENAMS:?OPENAMS must name the built openams binary}"
: "${OPENAMS_SHARE:?OPENAMS_SHARE must name the source root}"
export OPENAMS OPENAMS_SHARE
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PYTHONDONTWRITEBYTECODE=1
unset OPENAMS_DIR OPENAMS_CA_PASSPHRASE http_proxy https_proxy HTTP_PROXY HTTPS_PROXY || true
export no_proxy=127.0.0.1

T=$(mktemp -d "${TMPDIR:-/tmp}/openams-web.XXXXXX")
SERVER_PID=
cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASS=0
FAIL=0
ok() { echo "ok - $*"; PASS=$((PASS + 1)); }
nok() { echo "not ok - $*"; FAIL=$((FAIL + 1)); }

# check DESC CMD...: passes when CMD exits 0.
check() {
	local desc=$1 rc=0
	shift
	"$@" >"$T/.check.out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$desc"
	else
		nok "$desc (exit $rc)"
		sed 's/^/#   /' "$T/.check.out" | head -n 30
	fi
}

check_eq() {
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		nok "$1"
		echo "#   got:  $(printf '%q' "$2")"
		echo "#   want: $(printf '%q' "$3")"
	fi
}

# check_match DESC TEXT EXTENDED-REGEX
check_match() {
	if grep -Eq -- "$3" <<<"$2"; then
		ok "$1"
	else
		nok "$1"
		echo "#   /$3/ not in:"
		printf '%s\n' "$2" | head -n 30 | sed 's/^/#   /'
	fi
}

# check_nomatch DESC TEXT EXTENDED-REGEX
check_nomatch() {
	if grep -Eq -- "$3" <<<"$2"; then
		nok "$1"
		printf '%s\n' "$2" | grep -E -- "$3" | head -n 5 | sed 's/^/#   found: /'
	else
		ok "$1"
	fi
}

finish() {
	echo "# $(basename "$0"): $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# free_port: a TCP port free on 127.0.0.1 right now.
free_port() {
	"$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# new_instance DIR [init options...]
new_instance() {
	local d=$1
	shift
	if ! "$OPENAMS" init --dir "$d" "$@" >"$T/.init.out" 2>&1; then
		nok "openams init --dir $d $*"
		sed 's/^/#   /' "$T/.init.out"
		finish
		exit 1
	fi
}

# start_server DIR PORT LOG: serve in the background; waits (bounded) for
# /healthz.  Sets SERVER_PID and BASE.  SCHEME=https and CURL_CA=FILE for TLS.
start_server() {
	local d=$1 port=$2 log=$3
	"$OPENAMS" serve --dir "$d" --listen "127.0.0.1:$port" 2>"$log" &
	SERVER_PID=$!
	BASE=${SCHEME:-http}://127.0.0.1:$port
	for _ in $(seq 100); do
		if curl -fsS -m 2 ${CURL_CA:+--cacert "$CURL_CA"} -o /dev/null "$BASE/healthz" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	nok "server did not become healthy"
	sed 's/^/#   /' "$log" | head -n 20
	finish
	exit 1
}

# stop_server: SIGTERM, wait (bounded); returns the exit status.
stop_server() {
	local rc=0
	kill -TERM "$SERVER_PID"
	for _ in $(seq 200); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$SERVER_PID" || rc=$?
	SERVER_PID=
	return $rc
}

# csr OUTPREFIX SUBJ: an EC P-256 key and a PEM CSR.
csr() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
	openssl req -new -key "$1.key" -subj "$2" -utf8 -out "$1.csr"
}

serial_of() {
	openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f'
}

# urlenc STRING: percent-encodes everything but unreserved characters.
urlenc() {
	"$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# http ARGS...: curl printing "STATUS CONTENT-TYPE" (body to $T/body, headers to $T/hdr).
http() {
	rm -f "$T/body" "$T/hdr"
	curl -sS -m 10 -o "$T/body" -D "$T/hdr" -w '%{http_code} %{content_type}' "$@" || true
}

# hdr NAME: a header of the last http call (value only, no CR).
hdr() {
	grep -i "^$1:" "$T/hdr" | head -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'
}
