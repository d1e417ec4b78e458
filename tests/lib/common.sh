# common.sh - helpers shared by the shell tests (sourced by a suite's lib.sh,
# never run alone).
#
# Before sourcing, the suite's lib.sh sets HERE (its own directory, where the
# scripts find their helper programs) and may set TEST_TAG (the name in the
# temporary directory, default "test").  Every script then gets:
#   $T       a private temporary directory, removed on exit (with the server,
#            if one still runs);
#   $PY      Debian's python3 (with python3-cryptography), or $PYTHON;
#   ok/nok   TAP-like "ok - ..." / "not ok - ..." lines counted in PASS/FAIL;
#   check, check_not (both by check_status), check_eq, check_match,
#            check_nomatch, and finish, which prints the counts and fails
#            when any check failed;
#   new_instance, serial_of;
#   free_port, start_server, stop_server: `openams serve` in the background
#            on 127.0.0.1, remembered by PID and stopped with `kill PID`
#            (never by name), with bounded waits.
# shellcheck shell=bash
set -euo pipefail

: "${OPENAMS:?OPENAMS must name the built openams binary}"
: "${OPENAMS_SHARE:?OPENAMS_SHARE must name the source root}"
: "${HERE:?the lib.sh of the suite sets HERE before sourcing common.sh}"
export OPENAMS OPENAMS_SHARE
PY=${PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1
unset OPENAMS_DIR OPENAMS_CA_PASSPHRASE || true

T=$(mktemp -d "${TMPDIR:-/tmp}/openams-${TEST_TAG:-test}.XXXXXX")
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

# check DESC CMD...: passes when CMD exits 0; shows its output otherwise.
check() { check_status zero "$@"; }

# check_not DESC CMD...: passes when CMD exits non-zero.
check_not() { check_status nonzero "$@"; }

# check_status zero|nonzero DESC CMD...: passes when CMD's exit status is
# as wanted; shows its output otherwise.
check_status() {
	local want=$1 desc=$2 rc=0 got=zero
	shift 2
	"$@" >"$T/.check.out" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || got=nonzero
	if [ "$got" == "$want" ]; then
		ok "$desc"
		return 0
	fi
	if [ "$want" == zero ]; then
		nok "$desc (exit $rc)"
	else
		nok "$desc (unexpectedly succeeded)"
	fi
	sed 's/^/#   /' "$T/.check.out" | head -n 30
}

# check_eq DESC GOT WANT
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

# new_instance DIR [init options...]: a fresh data directory; on failure the
# script ends here.
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

# serial_of PEMFILE: the serial as openams prints it (lower-case hex).
serial_of() {
	openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f'
}

# free_port: a TCP port free on 127.0.0.1 right now.
free_port() {
	"$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server DIR PORT LOG: serve in the background; waits (bounded) for
# /healthz.  Sets SERVER_PID and BASE.  SCHEME=https and CURL_CA=FILE for TLS.
# When the server does not become healthy the script ends here.
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
