#!/bin/bash
# bench_ocsp.sh - OCSP over HTTP GET: responses per second of `openams
# serve`, next to nginx serving a static file of the same size (the ceiling
# for any HTTP server on this machine) and `openssl ocsp -port` (the peer
# responder).  All three on 127.0.0.1, measured by the same wrk run: 2
# threads, 50 connections, 20 s, a Lua script cycling pre-built GET URLs
# for a mix of good, revoked and unknown serials (RFC 6960 A.1 / RFC 5019).
#
# usage: bench/bench_ocsp.sh [--quick] [--nonce]
#   --nonce   also: the same 80 requests, each with a nonce (openssl ocsp's
#             default, 16 octets), against openams and openssl ocsp; a
#             response to a request with a nonce is never cached, so every
#             one is signed.  Printed after the table as "nonce:" lines.
#   OPENAMS   the openams binary (default: build-web/src/cli/openams, then
#             build/src/cli/openams)
#   BENCH_DURATION  seconds per run (default 20; --quick: 3)
#
# Needs wrk and nginx-light (apt-get install -y wrk nginx-light).  Every
# server is started here and stopped by its PID.  The target is openams at
# >= 50% of nginx's rate.  openams answers from its response cache after
# the first request of each URL (see src/web/routes_ocsp.c); the run warms
# it first, as a production responder is warm.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DUR=${BENCH_DURATION:-20}
NONCE=0
for a in "$@"; do
	case $a in
	--quick) DUR=${BENCH_DURATION:-3} ;;
	--nonce) NONCE=1 ;;
	*) echo "bench_ocsp: unknown argument $a" >&2; exit 2 ;;
	esac
done
if [ -z "${OPENAMS:-}" ]; then
	for b in "$ROOT/build-web/src/cli/openams" "$ROOT/build/src/cli/openams"; do
		[ -x "$b" ] && OPENAMS=$b && break
	done
fi
: "${OPENAMS:?build openams first or set OPENAMS}"
export OPENAMS_SHARE=${OPENAMS_SHARE:-$ROOT}
PY=${PYTHON:-/usr/bin/python3}
for tool in wrk nginx openssl curl; do
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
		echo "bench_ocsp: $tool missing (apt-get install -y wrk nginx-light)" >&2
		exit 2
	}
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
unset OPENAMS_DIR OPENAMS_CA_PASSPHRASE http_proxy HTTP_PROXY || true

T=$(mktemp -d "${TMPDIR:-/tmp}/openams-bench-ocsp.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do
		stop_pid "$p"
	done
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	"$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
# stop_pid PID: SIGTERM, a bounded wait, then its children (by parent PID)
# and SIGKILL: openssl ocsp -multi's children can linger on open
# connections after wrk stops.
stop_pid() {
	local pid=$1 kids
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
	if kill -0 "$pid" 2>/dev/null; then
		for k in $kids; do kill "$k" 2>/dev/null || true; done
		sleep 0.5
		for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}
wait_http() { # URL: bounded wait until it answers
	for _ in $(seq 100); do
		curl -s -m 1 -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "bench_ocsp: $1 did not answer" >&2
	tail -n 5 "$T"/*.log >&2 || true
	return 1
}

# ---- an instance with good, revoked and unknown serials ----
D=$T/data
"$OPENAMS" init --dir "$D" >"$T/init.log" 2>&1
P=$D/pki
NGOOD=40 NREV=20 NUNK=20
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/holder.key" 2>/dev/null
mkdir "$T/req"
for i in $(seq $((NGOOD + NREV))); do
	nik=$(printf '32010101018%05d' "$i")
	openssl req -new -key "$T/holder.key" -subj "/C=ID/O=Dinas Kominfo/CN=Pegawai $i" \
		-out "$T/c.csr" 2>/dev/null
	"$OPENAMS" ca issue --dir "$D" --csr "$T/c.csr" --nik "$nik" \
		--email "p$i@kominfo.go.id" --out "$T/req/$i.pem" >/dev/null 2>&1
	if [ "$i" -gt "$NGOOD" ]; then
		s=$(openssl x509 -in "$T/req/$i.pem" -noout -serial | cut -d= -f2)
		"$OPENAMS" ca revoke "$s" --dir "$D" --reason keyCompromise >/dev/null 2>&1
	fi
done
# Pre-built GET paths: /ocsp/<URL-encoded base64 of the DER request>.
: >"$T/paths"
: >"$T/paths-nonce"
add_path() { # DER [PATHFILE]
	"$PY" -c 'import base64, sys, urllib.parse
print("/ocsp/" + urllib.parse.quote(base64.b64encode(open(sys.argv[1], "rb").read()).decode(), safe=""))' "$1" >>"${2:-$T/paths}"
}
for i in $(seq $((NGOOD + NREV))); do
	openssl ocsp -issuer "$P/issuing.crt" -cert "$T/req/$i.pem" -no_nonce -reqout "$T/r.der" >/dev/null
	add_path "$T/r.der"
	if [ "$NONCE" = 1 ]; then
		openssl ocsp -issuer "$P/issuing.crt" -cert "$T/req/$i.pem" -reqout "$T/r.der" >/dev/null
		add_path "$T/r.der" "$T/paths-nonce"
	fi
done
for i in $(seq $NUNK); do
	openssl ocsp -issuer "$P/issuing.crt" -serial "0x7f$(openssl rand -hex 15)" -no_nonce \
		-reqout "$T/r.der" >/dev/null
	add_path "$T/r.der"
	if [ "$NONCE" = 1 ]; then
		openssl ocsp -issuer "$P/issuing.crt" -serial "0x7f$(openssl rand -hex 15)" \
			-reqout "$T/r.der" >/dev/null
		add_path "$T/r.der" "$T/paths-nonce"
	fi
done
NPATHS=$(wc -l <"$T/paths")
# openssl ocsp -port answers GET at /<base64>, not under /ocsp/.
sed 's#^/ocsp/#/#' "$T/paths" >"$T/paths-root"
sed 's#^/ocsp/#/#' "$T/paths-nonce" >"$T/paths-nonce-root"
lua() { # PATHFILE: a wrk script cycling through the paths
	echo "local paths = {"
	sed 's/.*/  "&",/' "$1"
	echo "}"
	cat <<'LUA'
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA
}
lua "$T/paths" >"$T/cycle.lua"
lua "$T/paths-root" >"$T/cycle-root.lua"
lua "$T/paths-nonce" >"$T/cycle-nonce.lua"
lua "$T/paths-nonce-root" >"$T/cycle-nonce-root.lua"

# run NAME PORT [LUA]: wrk against 127.0.0.1:PORT; prints responses/s.
run() {
	local name=$1 port=$2 script=${3:-$T/cycle.lua} out rps non2xx
	out=$(wrk -t2 -c50 -d"${DUR}s" --latency -s "$script" "http://127.0.0.1:$port" 2>&1)
	echo "$out" >"$T/wrk-$name.txt"
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
	non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$out")
	if [ -n "$non2xx" ]; then
		echo "bench_ocsp: $name: $non2xx non-2xx responses" >&2
	fi
	echo "${rps:-0}"
}
# check_ocsp NAME BASE [PATHFILE]: what every path answers.
check_ocsp() {
	local name=$1 base=$2 paths=${3:-$T/paths} n=0 good=0 rev=0 unk=0 out
	while read -r p; do
		curl -s -m 5 -o "$T/resp.der" "$base$p"
		out=$(openssl ocsp -respin "$T/resp.der" -resp_text -noverify 2>/dev/null || true)
		case $out in
		*"Cert Status: good"*) good=$((good + 1)) ;;
		*"Cert Status: revoked"*) rev=$((rev + 1)) ;;
		*"Cert Status: unknown"*) unk=$((unk + 1)) ;;
		esac
		n=$((n + 1))
	done <"$paths"
	echo "# $name: $n URLs: $good good, $rev revoked, $unk unknown"
}

echo "# bench_ocsp: $NPATHS GET URLs ($NGOOD good, $NREV revoked, $NUNK unknown)," \
	"wrk -t2 -c50 -d${DUR}s, $(nproc) CPUs"

# ---- openams ----
PORT_OA=$(free_port)
"$OPENAMS" serve --dir "$D" --listen "127.0.0.1:$PORT_OA" 2>"$T/openams.log" &
PIDS+=($!)
OA_PID=$!
wait_http "http://127.0.0.1:$PORT_OA/healthz"
check_ocsp openams "http://127.0.0.1:$PORT_OA"
RESP_SIZE=$(curl -s -m 5 "http://127.0.0.1:$PORT_OA$(head -n 1 "$T/paths")" | wc -c)
RPS_OA=$(run openams "$PORT_OA")
grep -E "Latency|Socket errors" "$T/wrk-openams.txt" | sed 's/^/# openams: /'
RPS_OA_N=0 RPS_OS_N=0
if [ "$NONCE" = 1 ]; then
	check_ocsp "openams, nonce" "http://127.0.0.1:$PORT_OA" "$T/paths-nonce"
	RPS_OA_N=$(run openams-nonce "$PORT_OA" "$T/cycle-nonce.lua")
fi
kill "$OA_PID"
wait "$OA_PID" || echo "bench_ocsp: openams exited with $?" >&2

# ---- nginx: a static file of the same size ----
PORT_NG=$(free_port)
mkdir -p "$T/nginx/html"
head -c "$RESP_SIZE" /dev/urandom >"$T/nginx/html/resp.der"
chmod 755 "$T" "$T/nginx" "$T/nginx/html"   # nginx workers run as nobody
chmod 644 "$T/nginx/html/resp.der"
cat >"$T/nginx/nginx.conf" <<NGX
daemon off;
worker_processes auto;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log $T/nginx/access.log;
  client_body_temp_path $T/nginx/body;
  proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fastcgi;
  uwsgi_temp_path $T/nginx/uwsgi;
  scgi_temp_path $T/nginx/scgi;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$PORT_NG;
    root $T/nginx/html;
    location / { default_type application/ocsp-response; try_files /resp.der =404; }
  }
}
NGX
"$NGINX" -c "$T/nginx/nginx.conf" -p "$T/nginx" 2>"$T/nginx/stderr" &
PIDS+=($!)
NG_PID=$!
wait_http "http://127.0.0.1:$PORT_NG/x"
RPS_NG=$(run nginx "$PORT_NG")
stop_pid "$NG_PID"

# ---- openssl ocsp -port: the peer responder ----
PORT_OS=$(free_port)
openssl pkey -in "$D/keys/ocsp.key" -passin "file:$D/secrets/ca.pass" -out "$T/ocsp.key" 2>/dev/null
# OpenSSL's CA index: status, expiry, revocation, serial, file, subject.
: >"$T/index.txt"
"$OPENAMS" ca list --dir "$D" | while IFS=$'\t' read -r serial status _ _ _ _; do
	st=V rv=
	[ "$status" = revoked ] && st=R rv=260101000000Z,keyCompromise
	printf '%s\t%s\t%s\t%s\tunknown\t/CN=%s\n' "$st" 300101000000Z "$rv" "$(tr a-f A-F <<<"$serial")" "$serial"
done >>"$T/index.txt"
# (OpenSSL 3.0's responder binds the wildcard address; we only talk to 127.0.0.1.)
start_openssl() {
	openssl ocsp -index "$T/index.txt" -port "$PORT_OS" -rsigner "$P/ocsp.crt" \
		-rkey "$T/ocsp.key" -CA "$P/issuing.crt" -nmin 60 -multi "$(nproc)" -ignore_err \
		>>"$T/openssl.log" 2>&1 &
	PIDS+=($!)
	OS_PID=$!
	wait_http "http://127.0.0.1:$PORT_OS$(head -n 1 "$T/paths-root")"
}
start_openssl
check_ocsp "openssl ocsp" "http://127.0.0.1:$PORT_OS" "$T/paths-root"
RPS_OS=$(run openssl "$PORT_OS" "$T/cycle-root.lua")
grep -E "Socket errors" "$T/wrk-openssl.txt" | sed 's/^/# openssl: /' || true
stop_pid "$OS_PID"
if [ "$NONCE" = 1 ]; then
	# a fresh responder: after a wrk run its children can hang on to
	# connections (see stop_pid)
	PORT_OS=$(free_port)
	start_openssl
	check_ocsp "openssl ocsp, nonce" "http://127.0.0.1:$PORT_OS" "$T/paths-nonce-root"
	RPS_OS_N=$(run openssl-nonce "$PORT_OS" "$T/cycle-nonce-root.lua")
	grep -E "Socket errors" "$T/wrk-openssl-nonce.txt" | sed 's/^/# openssl, nonce: /' || true
	stop_pid "$OS_PID"
fi

awk -v oa="$RPS_OA" -v ng="$RPS_NG" -v os="$RPS_OS" -v size="$RESP_SIZE" 'BEGIN {
	printf "%-34s %12s\n", "responder", "responses/s"
	printf "%-34s %12.0f\n", "openams serve (OCSP GET)", oa
	printf "%-34s %12.0f\n", "nginx static " size " bytes (ceiling)", ng
	printf "%-34s %12.0f\n", "openssl ocsp -port -multi (peer)", os
	# parenthesised: mawk (Debian'\''s awk) reads "printf ..., x > 0 ? ..." as a redirection
	printf "openams / nginx   = %.0f%% (target >= 50%%)\n", (ng > 0 ? 100 * oa / ng : 0)
	printf "openams / openssl = %.1fx\n", (os > 0 ? oa / os : 0)
}'
if [ "$NONCE" = 1 ]; then
	awk -v oa="$RPS_OA_N" -v os="$RPS_OS_N" 'BEGIN {
		printf "nonce: openams serve (OCSP GET, every request with a nonce) %.0f responses/s\n", oa
		printf "nonce: openssl ocsp -port -multi (peer), the same requests %.0f responses/s\n", os
	}'
fi
