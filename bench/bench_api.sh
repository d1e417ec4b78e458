#!/bin/bash
# bench_api.sh [BUILD_DIR] - the JSON API under load, on 127.0.0.1:
#   1. p50/p99 latency of GET /api/v1/tasks and of the portal's inbox page
#      /portal/inbox (wrk), and the inbox's size, with $CASES open cases
#      (default 10000), created in bulk through the engine by a small C
#      helper (one transaction: people, roles, engine_case_open);
#   2. certificates issued per second through the API with $CLIENTS
#      (default 16) concurrent clients: $ISSUE cases (default 2000) are
#      walked to the BSrE issue step of SOP 001 in-process by
#      bench/api_bulk.c (not measured), then bench/api_client.c (C, libcurl,
#      keep-alive) completes the issue steps, each case once.
# Prints the figures.  Needs wrk, curl, cc, sqlite3, libcurl headers.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$ROOT/build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
OPENAMS=$B/src/cli/openams
CASES=${CASES:-10000}
ISSUE=${ISSUE:-2000}
CLIENTS=${CLIENTS:-16}
# TASKS=0 skips the latency figure (figure 2 only).  WRK_SECS: the seconds of
# every wrk run (default 10 for the 16-connection runs, 5 for the others).
D1=${WRK_SECS:-10}
D2=${WRK_SECS:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/openams-bench-api.XXXXXX")
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
export OPENAMS OPENAMS_SHARE=$ROOT no_proxy=127.0.0.1
unset OPENAMS_DIR http_proxy HTTP_PROXY || true

# The fixture and the load, built against the core library of BUILD_DIR.
LIBS=$(pkg-config --libs libcrypto sqlite3 libpq yaml-0.1 libmicrohttpd jansson libargon2 libsodium liboath \
	libqrencode libseccomp libp11 libcurl pwquality libqpdf)
cc -std=c17 -D_GNU_SOURCE -O2 -I"$ROOT/src" "$ROOT/bench/api_bulk.c" "$B/libopenams_core.a" \
	-o "$T/bulk" $LIBS -lmagic -lpthread
cc -std=c17 -D_GNU_SOURCE -O2 "$ROOT/bench/api_client.c" -o "$T/client" \
	$(pkg-config --libs libcurl) -lpthread

"$OPENAMS" init --dir "$T/d" --demo >/dev/null
t0=$(date +%s.%N)
"$T/bulk" "$T/d" "$CASES" "$ISSUE" "$T/ids"
t1=$(date +%s.%N)
echo "bulk: $CASES open cases and $ISSUE cases at the issue step created in $(echo "$t1 - $t0" | bc) s"
# A third of the waiting steps overdue (due an hour ago), as on a real desk.
sqlite3 "$T/d/openams.db" "UPDATE sop_case SET step_due_at = strftime('%s','now') - 3600
	WHERE state = 'open' AND step = '2' AND id % 3 = 0"

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$OPENAMS" serve --dir "$T/d" --listen "127.0.0.1:$PORT" 2>"$T/serve.log" &
PID=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done

login() { # USER -> cookie header value
	local pw
	pw=$(awk -v u="$1" '$1==u{print $2}' "$T/d/secrets/demo-logins.txt")
	curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
		-d "{\"username\":\"$1\",\"password\":\"$pw\"}" "http://127.0.0.1:$PORT/api/v1/session" |
		tr -d '\r' | awk -F'[ ;]' 'tolower($1)=="set-cookie:"{print $2}'
}
if [ "${TASKS:-1}" != 0 ]; then
	# kadis's tasks: the $CASES open cases wait at step 2, kadis's step.
	COOKIE=$(login kadis.demo)
	echo "== GET /api/v1/tasks (kadis.demo), $CASES open cases, wrk -t4 -c16 -d${D1}s"
	wrk -t4 -c16 -d${D1}s --latency -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/api/v1/tasks" |
		grep -E "Requests/sec|50%|99%|Latency "
	echo "== GET /portal/inbox (kadis.demo: the portal page, 25 rows of $CASES tasks, counted), wrk -t4 -c16 -d${D1}s"
	for q in "" "?page=2" "?page=$(( (CASES + 24) / 25 ))"; do
		echo "   /portal/inbox$q: $(curl -s -o /dev/null -w '%{http_code} %{size_download} bytes, gzip not used' \
			-H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/portal/inbox$q")"
	done
	wrk -t4 -c16 -d${D1}s --latency -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/portal/inbox" |
		grep -E "Requests/sec|50%|99%|Latency "
	echo "   the same, one connection (server time without queueing): wrk -t1 -c1 -d${D2}s"
	wrk -t1 -c1 -d${D2}s --latency -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/portal/inbox" |
		grep -E "Requests/sec|50%|99%"
	echo "   page 400 (the last), one connection"
	wrk -t1 -c1 -d${D2}s --latency -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/portal/inbox?page=400" |
		grep -E "Requests/sec|50%|99%"
	echo "== GET /portal/cases/{id} (kadis.demo, one of the bulk cases), wrk -t4 -c16 -d${D2}s"
	CASE1=$(sqlite3 "$T/d/openams.db" "SELECT MIN(id) FROM sop_case WHERE state = 'open'")
	echo "   /portal/cases/$CASE1: $(curl -s -o /dev/null -w '%{http_code} %{size_download} bytes' \
		-H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/portal/cases/$CASE1")"
	wrk -t4 -c16 -d${D2}s --latency -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/portal/cases/$CASE1" |
		grep -E "Requests/sec|50%|99%"
	COOKIE=$(login pemohon.demo)
	echo "== GET /api/v1/tasks (pemohon.demo: none of the bulk cases are theirs)"
	wrk -t4 -c16 -d${D2}s --latency -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/api/v1/tasks" |
		grep -E "Requests/sec|50%|99%"
fi
echo "== certificates issued through the API: $CLIENTS concurrent clients, $ISSUE cases at the BSrE"
echo "   issue step, POST /api/v1/cases/{id}/act each (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
COOKIE=$(login bsre.demo)
CSRF=$(curl -s -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/api/v1/session" |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
COOKIE=$COOKIE CSRF=$CSRF "$T/client" "$PORT" "$CLIENTS" "$T/ids"
echo "   certificates in the store: $(sqlite3 "$T/d/openams.db" 'SELECT COUNT(*) FROM certificate WHERE profile = '"'"'individual'"'"'')"
