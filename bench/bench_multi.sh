#!/bin/bash
# bench_multi.sh [BUILD_DIR] - issuance through the API with one and two
# `openams serve` on one PostgreSQL database, beside one server on SQLite,
# interleaved in one run (issue 20's benchmark), and durable workflow
# transitions in-process (bench_engine) on SQLite and on PostgreSQL.
#
# For each of REPS rounds (default 3) and each setup (sqlite-1, pg-1, pg-2):
# a demo instance (init --demo, with --store for PostgreSQL), ISSUE cases
# (default 1500) walked to the BSrE issue step in-process by
# bench/api_bulk.c (not measured), the server(s) started, and CLIENTS
# (default 16) keep-alive clients (bench/api_client.c) complete the issue
# steps, split evenly over the servers.  Rate = certificates / the longest
# client run.  Prints every run and the medians, with the load average.
#
# PostgreSQL: Debian's, started by tests/lib/pg.sh in a temporary directory
# (Unix socket, fsync=off as in the tests: what is compared is openams's
# work, not the disk) and stopped at the end.  Needs curl, cc, libcurl and
# the build's libraries.  BUILD_DIR: a release build (default build-bench,
# made by bench/run.sh; meson setup --buildtype=release).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${OPENAMS_TEST_PG:-}" ]; then
	exec bash "$ROOT/tests/lib/pg.sh" bash "$0" "$@"
fi
B=${1:-$ROOT/build-bench}
case $B in /*) ;; *) B=$PWD/$B ;; esac
OPENAMS=$B/src/cli/openams
[ -x "$OPENAMS" ] || { echo "bench_multi.sh: $OPENAMS missing (meson setup $B --buildtype=release)" >&2; exit 2; }
ISSUE=${ISSUE:-1500}
CLIENTS=${CLIENTS:-16}
REPS=${REPS:-3}
ENGINE_CASES=${ENGINE_CASES:-2000}
T=$(mktemp -d "${TMPDIR:-/tmp}/openams-bench-multi.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
export OPENAMS OPENAMS_SHARE=$ROOT no_proxy=127.0.0.1
unset OPENAMS_DIR http_proxy HTTP_PROXY || true
host=$(sed -n 's/.*host=\([^ ]*\).*/\1/p' <<<"$OPENAMS_TEST_PG")
psql() { command psql -X -q -At -h "$host" -U postgres "$@"; }

LIBS=$(pkg-config --libs libcrypto sqlite3 libpq yaml-0.1 libmicrohttpd jansson libargon2 libsodium liboath \
	libqrencode libseccomp libp11 libcurl pwquality libqpdf)
cc -std=c17 -D_GNU_SOURCE -O2 -I"$ROOT/src" "$ROOT/bench/api_bulk.c" "$B/libopenams_core.a" \
	-o "$T/bulk" $LIBS -lmagic -lpthread
cc -std=c17 -D_GNU_SOURCE -O2 "$ROOT/bench/api_client.c" -o "$T/client" \
	$(pkg-config --libs libcurl) -lpthread
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run SETUP REP: one measurement; prints "SETUP REP RATE"
run() {
	local setup=$1 rep=$2 d=$T/$1-$2 n=1 store=() ports=() pids=() pw cookie csrf
	case $setup in
	pg-*)
		psql -d postgres -c "CREATE DATABASE b${setup#pg-}_$rep"
		store=(--store "postgresql:///b${setup#pg-}_$rep?host=$host&user=postgres")
		n=${setup#pg-} ;;
	esac
	"$OPENAMS" init --dir "$d" --demo "${store[@]}" >/dev/null
	"$T/bulk" "$d" 0 "$ISSUE" "$T/ids" >/dev/null
	for k in $(seq "$n"); do
		ports+=("$(free_port)")
		"$OPENAMS" serve --dir "$d" --listen "127.0.0.1:${ports[-1]}" 2>"$d/serve$k.log" &
		pids+=($!); PIDS+=($!)
		for _ in $(seq 200); do curl -fs -o /dev/null "http://127.0.0.1:${ports[-1]}/healthz" && break; sleep 0.05; done
	done
	pw=$(awk '$1=="bsre.demo"{print $2}' "$d/secrets/demo-logins.txt")
	cookie=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
		-d "{\"username\":\"bsre.demo\",\"password\":\"$pw\"}" "http://127.0.0.1:${ports[0]}/api/v1/session" |
		tr -d '\r' | awk -F'[ ;]' 'tolower($1)=="set-cookie:"{print $2}')
	csrf=$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:${ports[0]}/api/v1/session" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
	# the ids split evenly over the servers (a session is valid on each)
	split -n "r/$n" -d "$T/ids" "$T/ids-$setup-$rep."
	local k=0 cps=()
	for f in "$T/ids-$setup-$rep."*; do
		COOKIE=$cookie CSRF=$csrf "$T/client" "${ports[$k]}" $((CLIENTS / n)) "$f" >"$f.out" &
		cps+=($!)
		k=$((k + 1))
	done
	for p in "${cps[@]}"; do wait "$p"; done
	for p in "${pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
	# "issued N certificates in S s: ..." from each client
	cat "$T/ids-$setup-$rep."*.out | /usr/bin/python3 -c '
import re, sys
n = t = 0
for line in sys.stdin:
    m = re.match(r"issued (\d+) certificates in ([\d.]+) s", line)
    if m:
        n += int(m.group(1)); t = max(t, float(m.group(2)))
print("%d %.1f" % (n, n / t if t else 0))' | {
		read -r got rate
		echo "$setup $rep $rate $got"
	}
	rm -rf "$d" "$T/ids-$setup-$rep."*
}

echo "== issuance through the API: $ISSUE cases at the BSrE issue step, $CLIENTS clients,"
echo "   $REPS interleaved rounds (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '   %-9s %-4s %14s %8s\n' setup rep certificates/s issued
: >"$T/results"
for rep in $(seq "$REPS"); do
	for setup in sqlite-1 pg-1 pg-2; do
		run "$setup" "$rep" | tee -a "$T/results" | awk '{printf "   %-9s %-4s %14s %8s\n", $1, $2, $3, $4}'
	done
done
echo "== medians (load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
/usr/bin/python3 - "$T/results" "$ISSUE" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
med = {}
for s in ("sqlite-1", "pg-1", "pg-2"):
    v = [float(r[2]) for r in rows if r[0] == s]
    bad = [r for r in rows if r[0] == s and int(r[3]) != int(sys.argv[2])]
    med[s] = statistics.median(v) if v else 0
    print("   %-9s %8.0f certificates/s%s" % (s, med[s], "  (SOME RUNS ISSUED FEWER)" if bad else ""))
if med["pg-1"]:
    print("   two servers / one, on PostgreSQL: %.2fx; one PostgreSQL / one SQLite: %.2fx"
          % (med["pg-2"] / med["pg-1"], med["pg-1"] / med["sqlite-1"]))
EOF

if [ -x "$B/bench/bench_engine" ]; then
	echo "== workflow: durable transitions/s in-process, group commit 256 (bench_engine --cases $ENGINE_CASES)"
	psql -d postgres -c "CREATE DATABASE bengine"
	for store in sqlite postgresql; do
		args=()
		[ "$store" = postgresql ] && args=(--store "postgresql:///bengine?host=$host&user=postgres")
		"$B/bench/bench_engine" --cases "$ENGINE_CASES" --batch 256 --single 200 "${args[@]}" 2>&1 |
			grep -E '^(group|single)' | sed "s/^/   $store: /"
	done
fi
