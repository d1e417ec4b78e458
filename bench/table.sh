#!/usr/bin/env bash
# bench/table.sh - issue 22's whole table in one command: each figure of
# openams next to its peer, run interleaved (openams, peer, openams, peer,
# ... for $REPS rounds, default 3), the medians, the load average at the
# start and end of each figure, and the ratios to the peers and to the
# targets (MET / NOT MET).  Prints the table as markdown at the end and
# writes it to bench/out/table-<stamp>.md ($BENCH_OUT).
#
#   bench/table.sh           full sizes (~20-30 min on 2 cores; loads both)
#   bench/table.sh --quick   small sizes, 1 round: a smoke run that prints
#                            every row (its figures mean nothing)
#
# It calls the existing benchmarks rather than repeating them:
#   bench_ca (sign, gencsr, issue, ossl-each, spawn, crl-setup, crl,
#   ossl-index; openssl ca's configuration is run.sh's mkossl), bench_api.sh
#   (inbox latency, API issuance), bench_ocsp.sh --nonce (OCSP), bench_engine
#   (workflow), bench/api_client.c with CFSSL=1 (the cfssl peer).
# Installs with apt what is missing (nginx-light, golang-cfssl, wrk).  A
# release tree in $BENCH_BUILD (default build-bench, as bench/run.sh).
# Every server listens on 127.0.0.1 and is stopped by its PID at the end.
set -euo pipefail

QUICK=0
for a in "$@"; do
	case "$a" in
	--quick) QUICK=1 ;;
	-h | --help) sed -n '2,21p' "$0"; exit 0 ;;
	*) echo "table.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/bench/out}
PY=${PYTHON:-/usr/bin/python3}
export OPENAMS_SHARE=${OPENAMS_SHARE:-$ROOT} no_proxy=127.0.0.1
unset OPENAMS_DIR OPENAMS_CA_PASSPHRASE http_proxy HTTP_PROXY || true

if [ "$QUICK" = 1 ]; then
	REPS=${REPS:-1}
	SIGN_SECS=1; N=500; N_SINGLE=200; EACH_PROBE=20; EACH_BUDGET=5
	CASES=500; ISSUE=300; WRK_SECS=2; OCSP_SECS=2; REV=20000; ENG_CASES=300
else
	REPS=${REPS:-3}
	SIGN_SECS=2; N=5000; N_SINGLE=1000; EACH_PROBE=300; EACH_BUDGET=30
	CASES=10000; ISSUE=2000; WRK_SECS=10; OCSP_SECS=10; REV=1000000; ENG_CASES=10000
fi
CLIENTS=16

# ---------------------------------------------------------------- tools
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v cfssl >/dev/null || missing+=(golang-cfssl)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
	echo "table.sh: installing ${missing[*]}"
	# policy-rc.d on this kind of machine keeps apt from starting nginx's unit
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------- build
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$ROOT" --buildtype=release >/dev/null
fi
ninja -C "$BUILD" bench/bench_ca bench/bench_engine src/cli/openams libopenams_core.a >/dev/null
BENCH_CA=$BUILD/bench/bench_ca
BENCH_ENGINE=$BUILD/bench/bench_engine
OPENAMS=$BUILD/src/cli/openams
export OPENAMS_SIGNER_EXE=${OPENAMS_SIGNER_EXE:-$(readlink -f "$OPENAMS")}
BUILDTYPE=$(meson introspect --buildoptions "$BUILD" 2>/dev/null |
	"$PY" -c 'import json,sys; o={x["name"]:x["value"] for x in json.load(sys.stdin)}; print(o["buildtype"], "-O" + str(o["optimization"]))' ||
	echo unknown)

W=$(mktemp -d "${TMPDIR:-/tmp}/openams-table.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOG=$OUT/table-$STAMP.log
MD=$OUT/table-$STAMP.md
V=$W/values # "key value" per round
: >"$V"

log() { printf '%s\n' "$*" | tee -a "$LOG"; }
put() { echo "$1 $2" >>"$V"; log "   $1 = $2"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# med KEY: the median of the values of KEY ("n/a" if none)
med() {
	awk -v k="$1" '$1 == k && $2 != "" && $2 != "n/a" { print $2 }' "$V" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
all() { awk -v k="$1" '$1 == k { printf "%s%s", sep, $2; sep = ", " }' "$V"; }
# ratio A B FMT; pct A B
ratio() { awk -v a="$1" -v b="$2" -v f="${3:-%.1f}" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf f, a / b }'; }
num() { awk -v v="$1" -v f="${2:-%.0f}" 'BEGIN { if (v == "n/a" || v == "") print "n/a"; else printf f, v }'; }
verdict() { awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN { if (v == "n/a") print "not measured"; else if ((d == "ge" && v + 0 >= t + 0) || (d == "le" && v + 0 <= t + 0) || (d == "lt" && v + 0 < t + 0)) print "MET"; else print "NOT MET" }'; }
# wrk's "99%   12.34ms" -> milliseconds
wrk_ms() { awk '{ v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
	m = (u == "us" ? 0.001 : u == "ms" ? 1 : u == "s" ? 1000 : u == "m" ? 60000 : -1); if (m < 0) print "n/a"; else printf "%.2f\n", v * m }'; }
# RESULT lines of bench_ca's output ($W/step.out) into the log; echoes VALUE of KEY
rk() { awk -v k="$1" '$1 == "RESULT" && $2 == k { v = $3 } END { print (v == "" ? "n/a" : v) }' "$W/step.out"; }
bc() { "$BENCH_CA" "$@" >"$W/step.out"; grep -v '^RESULT ' "$W/step.out" >>"$LOG" || true; }
declare -A LOAD0 LOAD1
fig_start() { LOAD0[$1]=$(load); log ""; log "== $1: $2 (load average at start: ${LOAD0[$1]})"; }
fig_end() { LOAD1[$1]=$(load); log "   (load average at end: ${LOAD1[$1]})"; }

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD -- src bench 2>/dev/null || COMMIT="$COMMIT (with uncommitted changes in src/ or bench/)"
log "openams benchmark table (issue 22), $(date -u '+%Y-%m-%d %H:%M UTC'), $([ "$QUICK" = 1 ] && echo 'QUICK smoke run: figures not meaningful' || echo 'full run')"
log "command: bench/table.sh $*; rounds: $REPS, openams and its peer interleaved in each"
log "commit: $COMMIT; build: $BUILDTYPE ($BUILD)"
log "$(openssl version); SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1); $(nginx -v 2>&1 || /usr/sbin/nginx -v 2>&1); cfssl $(cfssl version 2>/dev/null | sed -n 's/^Version: *//p' | head -1)"
log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
log "load average at start: $(load)"

# openssl ca's configuration: run.sh's mkossl (taken from it, not copied)
eval "$(sed -n '/^mkossl() {/,/^}/p' "$ROOT/bench/run.sh")"
declare -F mkossl >/dev/null || { echo "table.sh: no mkossl in bench/run.sh" >&2; exit 1; }
CAD=$W/ca
"$OPENAMS" init --dir "$CAD" >/dev/null

# ------------------------------------------------------ 1. raw signing
fig_start sign "raw ECDSA P-256 signing, 2 cores, ${SIGN_SECS} s per run: bench_ca sign (2 threads) / openssl speed -multi 2 ecdsap256"
for r in $(seq "$REPS"); do
	bc sign --seconds "$SIGN_SECS" --reps 1
	put sign_oa "$(rk sign_2t)"
	o=$(openssl speed -seconds "${SIGN_SECS%.*}" -mr -multi 2 ecdsap256 2>/dev/null | grep '^+F4:' | tail -1 |
		awk -F: '{ printf "%.0f", $4 }') || o=n/a
	put sign_ossl "${o:-n/a}"
done
fig_end sign

# ------------------------------------------------------ 2. issuance
fig_start issue "issuance from $N pre-generated CSRs (one commit each: $N_SINGLE); openams durable (WAL, synchronous=FULL), openssl ca does not fsync"
bc gencsr --n "$N" --out "$W/csrs"
bc gencsr --n "$N_SINGLE" --out "$W/csrs1"
for r in $(seq "$REPS"); do
	d=$W/ib-$r
	"$OPENAMS" init --dir "$d" >/dev/null
	bc issue --dir "$d" --csrs "$W/csrs/csrs.pem" --tag best --mode threads --batch 256 --threads 2
	put issue_best "$(rk issue_best_rate)"
	rm -rf "$d"
	mkossl "$W/oe-$r"
	bc ossl-each --conf "$W/oe-$r/ca.cnf" --csrdir "$W/csrs/csr" --outdir "$W/oe-$r/out" \
		--n "$N" --budget "$EACH_BUDGET" --probe "$EACH_PROBE"
	put ossl_each "$(rk ossl_each_rate)"
	put ossl_each_measured "$(rk ossl_each_measured)"
	rm -rf "$W/oe-$r"
	d=$W/is-$r
	"$OPENAMS" init --dir "$d" >/dev/null
	bc issue --dir "$d" --csrs "$W/csrs1/csrs.pem" --tag single --mode single --batch 1 --threads 1
	put issue_single "$(rk issue_single_rate)"
	rm -rf "$d"
	mkossl "$W/oi-$r"
	bc spawn --reps 1 --tag ossl_infiles -- sh -c \
		'exec openssl ca -batch -notext -config "$1/ca.cnf" -out "$1/all.pem" -infiles "$2"/*.pem 2>/dev/null' \
		sh "$W/oi-$r" "$W/csrs/csr"
	lines=$(wc -l <"$W/oi-$r/index.txt")
	[ "$lines" = "$N" ] || { log "openssl ca -infiles issued $lines, not $N"; exit 1; }
	put ossl_infiles "$(awk -v n="$N" -v s="$(rk ossl_infiles_secs)" 'BEGIN { printf "%.1f", n / s }')"
	rm -rf "$W/oi-$r"
done
fig_end issue

# ------------------------------------------------------ 3. the API; inbox
fig_start api "bench_api.sh ($CASES open cases; $ISSUE certificates through POST /api/v1/cases/{id}/act, $CLIENTS clients) / cfssl serve with its SQLite certdb ($ISSUE POST /api/v1/cfssl/sign, $CLIENTS clients)"
cc -std=c17 -D_GNU_SOURCE -O2 "$ROOT/bench/api_client.c" -o "$W/client" $(pkg-config --libs libcurl) -lpthread
# cfssl's CA: the openams issuing CA's key and certificate (ECDSA P-256)
mkdir -p "$W/cf"
openssl pkey -in "$CAD/keys/issuing.key" -passin "file:$CAD/secrets/ca.pass" -out "$W/cf/ca.key" 2>/dev/null
cp "$CAD/pki/issuing.crt" "$W/cf/ca.pem"
cat >"$W/cf/config.json" <<'EOF'
{"signing": {"default": {"expiry": "17520h",
  "usages": ["digital signature", "content commitment", "email protection"]}}}
EOF
# The sign requests: $ISSUE distinct CSRs from bench_ca gencsr, one JSON body a line.
bc gencsr --n "$ISSUE" --out "$W/cfcsrs"
"$PY" - "$W/cfcsrs/csr" "$ISSUE" >"$W/cf/bodies" <<'EOF'
import json, sys
for i in range(int(sys.argv[2])):
    print(json.dumps({"certificate_request": open("%s/%06d.pem" % (sys.argv[1], i)).read()}))
EOF
# cfssl's certdb schema for SQLite (certdb/sqlite/migrations/001_CreateCertificates.sql
# of cfssl 1.2, the version Debian packages)
cfssl_schema() {
	sqlite3 "$1" <<'EOF'
CREATE TABLE certificates (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,
  ca_label blob, status blob NOT NULL, reason int, expiry timestamp, revoked_at timestamp,
  pem blob NOT NULL, PRIMARY KEY(serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,
  body blob NOT NULL, expiry timestamp, PRIMARY KEY(serial_number, authority_key_identifier),
  FOREIGN KEY(serial_number, authority_key_identifier) REFERENCES certificates(serial_number, authority_key_identifier));
EOF
}
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CFSSL_WHY= CFSSL_FAIL=
for r in $(seq "$REPS"); do
	log "-- round $r: openams (bench_api.sh), load $(load)"
	CASES=$CASES ISSUE=$ISSUE CLIENTS=$CLIENTS WRK_SECS=$WRK_SECS OPENAMS_SHARE=$ROOT \
		bash "$ROOT/bench/bench_api.sh" "$BUILD" >"$W/api.out" 2>&1 || { cat "$W/api.out" >>"$LOG"; log "bench_api.sh failed"; exit 1; }
	cat "$W/api.out" >>"$LOG"
	l=$(grep '^issued .* certificates/s' "$W/api.out" | tail -1)
	put api_oa "$(sed -n 's/.*: \([0-9.]*\) certificates\/s.*/\1/p' <<<"$l")"
	put api_oa_p99 "$(sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' <<<"$l")"
	put inbox_p99 "$(awk '/^== GET \/portal\/inbox/ { on = 1 } on && /99%/ { print; exit }' "$W/api.out" | wrk_ms)"
	put notasks_p99 "$(awk '/^== GET \/api\/v1\/tasks \(pemohon/ { on = 1 } on && /99%/ { print; exit }' "$W/api.out" | wrk_ms)"
	log "-- round $r: cfssl serve, load $(load)"
	rm -f "$W/cf/certs.db"
	cfssl_schema "$W/cf/certs.db"
	echo "{\"driver\": \"sqlite3\", \"data_source\": \"$W/cf/certs.db\"}" >"$W/cf/db.json"
	port=$(free_port)
	cfssl serve -address 127.0.0.1 -port "$port" -ca "$W/cf/ca.pem" -ca-key "$W/cf/ca.key" \
		-config "$W/cf/config.json" -db-config "$W/cf/db.json" -loglevel 2 >"$W/cf/serve.log" 2>&1 &
	cpid=$!
	PIDS+=("$cpid")
	for _ in $(seq 100); do curl -s -m 1 -o /dev/null "http://127.0.0.1:$port/api/v1/cfssl/health" && break; sleep 0.1; done
	# api_client exits 1 when a request failed; the round still counts
	# (certificates issued / time), with the refusals counted beside it.
	CFSSL=1 "$W/client" "$port" "$CLIENTS" "$W/cf/bodies" >"$W/cf.out" 2>&1 || true
	cat "$W/cf.out" >>"$LOG"
	rows=$(sqlite3 "$W/cf/certs.db" 'SELECT COUNT(*) FROM certificates')
	log "   cfssl certdb rows: $rows"
	l=$(grep '^issued' "$W/cf.out" || true)
	ok=$(sed -n 's/^issued \([0-9]*\) .*/\1/p' <<<"$l")
	if [ -n "$ok" ] && [ "$ok" -gt 0 ] && [ "$rows" = "$ok" ]; then
		put api_cfssl "$(sed -n 's/.*: \([0-9.]*\) certificates\/s.*/\1/p' <<<"$l")"
		put api_cfssl_p99 "$(sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' <<<"$l")"
		put api_cfssl_failed "$(sed -n 's/.*; \([0-9]*\) failed$/\1/p' <<<"$l")"
		grep -q 'first failure' "$W/cf.out" &&
			CFSSL_FAIL=$(grep -m1 'first failure' "$W/cf.out" | sed 's/.*"message":"\([^"]*\)".*/\1/' | cut -c1-80)
	else
		CFSSL_WHY="round $r: $ok certificates answered, $rows rows in its certdb; $(grep -m1 'first failure' "$W/cf.out" | cut -c1-120)"
	fi
	kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null || true
done
fig_end api

# ------------------------------------------------------ 4. OCSP
fig_start ocsp "bench_ocsp.sh --nonce: openams serve, nginx (a static file of the response's size), openssl ocsp -port -multi $(nproc); wrk -t2 -c50 -d${OCSP_SECS}s, 80 GET URLs cycled"
for r in $(seq "$REPS"); do
	log "-- round $r, load $(load)"
	BENCH_DURATION=$OCSP_SECS OPENAMS=$OPENAMS bash "$ROOT/bench/bench_ocsp.sh" --nonce >"$W/ocsp.out" 2>&1 ||
		{ cat "$W/ocsp.out" >>"$LOG"; log "bench_ocsp.sh failed"; exit 1; }
	cat "$W/ocsp.out" >>"$LOG"
	put ocsp_oa "$(sed -n 's/^openams serve (OCSP GET) *\([0-9]*\)$/\1/p' "$W/ocsp.out")"
	put ocsp_nginx "$(sed -n 's/^nginx static .* \([0-9]*\)$/\1/p' "$W/ocsp.out")"
	put ocsp_ossl "$(sed -n 's/^openssl ocsp -port -multi (peer) *\([0-9]*\)$/\1/p' "$W/ocsp.out")"
	put ocsp_nonce_oa "$(sed -n 's/^nonce: openams .* \([0-9]*\) responses\/s$/\1/p' "$W/ocsp.out")"
	put ocsp_nonce_ossl "$(sed -n 's/^nonce: openssl .* \([0-9]*\) responses\/s$/\1/p' "$W/ocsp.out")"
done
fig_end ocsp

# ------------------------------------------------------ 5. CRL
fig_start crl "CRL of $REV revoked entries: bench_ca crl (ca_crl_publish in a child process) / openssl ca -gencrl (index.txt of $REV revoked entries)"
"$OPENAMS" init --dir "$W/crl" >/dev/null
# a few revoked through ca_revoke (bench_ca checks its encoder against them), the rest in bulk
bc crl-setup --dir "$W/crl" --n "$REV" --api-max 2000
mkossl "$W/ocrl"
bc ossl-index --n "$REV" --out "$W/ocrl/index.txt"
for r in $(seq "$REPS"); do
	bc crl --dir "$W/crl" --reps 1 --tag crl
	put crl_secs "$(rk crl_secs)"
	put crl_mib "$(rk crl_peak_mib)"
	put crl_signer_mib "$(rk crl_signer_mib)"
	put crl_total_mib "$(awk -v a="$(rk crl_peak_mib)" -v b="$(rk crl_signer_mib)" 'BEGIN { printf "%.1f", a + b }')"
	put crl_mb "$(awk -v b="$(rk crl_bytes)" 'BEGIN { printf "%.1f", b / 1048576 }')"
	bc spawn --reps 1 --tag ossl_gencrl -- sh -c \
		'exec openssl ca -gencrl -config "$1/ca.cnf" -out "$1/crl.pem" 2>/dev/null' sh "$W/ocrl"
	put gencrl_secs "$(rk ossl_gencrl_secs)"
	put gencrl_mib "$(rk ossl_gencrl_peak_mib)"
done
openssl crl -inform DER -noout -in "$W/crl/pki/issuing.crl" && log "   checked: openssl crl -inform DER accepts openams's CRL"
log "   openssl's CRL: $(openssl crl -in "$W/ocrl/crl.pem" -noout -text | grep -c 'Serial Number:') entries"
fig_end crl

# ------------------------------------------------------ 6. workflow
fig_start engine "workflow: bench_engine --cases $ENG_CASES --batch 256 --single 0 (SOP 001, every transition durable, group commit); no peer"
for r in $(seq "$REPS"); do
	mkdir -p "$W/eng-$r"
	"$BENCH_ENGINE" --cases "$ENG_CASES" --batch 256 --single 0 --dir "$W/eng-$r" >"$W/eng.out" 2>&1 ||
		{ cat "$W/eng.out" >>"$LOG"; log "bench_engine failed"; exit 1; }
	cat "$W/eng.out" >>"$LOG"
	put engine "$(sed -n 's/^group *:.* = *\([0-9]*\) transitions\/s.*/\1/p' "$W/eng.out")"
	rm -rf "$W/eng-$r"
done
fig_end engine

# ------------------------------------------------------ the table
LE=$(load)
ld() { echo "${LOAD0[$1]} -> ${LOAD1[$1]}"; }
f() { num "$(med "$1")" "${2:-%.0f}"; }
CF_RATE=$(f api_cfssl); CF_P99=$(f api_cfssl_p99 %.1f)
if [ "$CF_RATE" = n/a ]; then CFSSL_CELL="cfssl: not measured (${CFSSL_WHY:-no figure})"; else CFSSL_CELL="cfssl with its SQLite DB: $CF_RATE/s, p99 $CF_P99 ms"; fi
CF_FAILED=$(awk '$1 == "api_cfssl_failed" { n += $2 } END { print n + 0 }' "$V")
[ "$CF_FAILED" = 0 ] || CFSSL_CELL="$CFSSL_CELL ($CF_FAILED of $((ISSUE * REPS)) requests refused over $REPS rounds: ${CFSSL_FAIL:-?})"
[ -z "$CFSSL_WHY" ] || [ "$CF_RATE" = n/a ] || CFSSL_CELL="$CFSSL_CELL (a round not counted: $CFSSL_WHY)"
R_EACH=$(ratio "$(med issue_best)" "$(med ossl_each)")
R_INF=$(ratio "$(med issue_best)" "$(med ossl_infiles)" %.2f)
R_CF=$(ratio "$(med api_oa)" "$(med api_cfssl)" %.2f)
P_NG=$(ratio "$(awk -v a="$(med ocsp_oa)" 'BEGIN { print (a == "n/a" ? a : 100 * a) }')" "$(med ocsp_nginx)" %.0f)
R_NONCE=$(ratio "$(med ocsp_nonce_oa)" "$(med ocsp_nonce_ossl)")
R_SIGN=$(ratio "$(med sign_oa)" "$(med sign_ossl)" %.2f)
R_CRL=$(ratio "$(med gencrl_secs)" "$(med crl_secs)")
{
	echo "## The whole table ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT)"
	echo
	echo "$([ "$QUICK" = 1 ] && echo '**QUICK smoke run: small sizes, 1 round; the figures mean nothing.** ')Medians of $REPS rounds, openams and its peer interleaved in each round; $(nproc) CPUs; build $BUILDTYPE; load average at the start of the run ${LOAD0[sign]}, at the end $LE."
	echo
	echo "| figure | openams | peer in the same run | ratio | load (start -> end) |"
	echo "|---|---|---|---|---|"
	echo "| raw ECDSA P-256 signing, 2 cores | $(f sign_oa)/s | \`openssl speed -multi 2\`: $(f sign_ossl)/s | ${R_SIGN}x | $(ld sign) |"
	echo "| issuance, library, best mode (2 threads, batch 256), $N CSRs | $(f issue_best)/s | \`openssl ca\` one process per CSR: $(f ossl_each %.1f)/s; \`-infiles\`: $(f ossl_infiles)/s | ${R_EACH}x; ${R_INF}x | $(ld issue) |"
	echo "| issuance, one commit each, $N_SINGLE CSRs | $(f issue_single)/s | | | $(ld issue) |"
	echo "| issuance through the API, $CLIENTS clients, durable, $ISSUE certificates | $(f api_oa)/s, p99 $(f api_oa_p99 %.1f) ms | $CFSSL_CELL | ${R_CF}x | $(ld api) |"
	echo "| OCSP, cached responses (80 URLs cycled) | $(f ocsp_oa)/s (${P_NG}% of nginx) | nginx, same size file: $(f ocsp_nginx)/s; \`openssl ocsp -multi $(nproc)\`: $(f ocsp_ossl)/s | | $(ld ocsp) |"
	echo "| OCSP, every request with a nonce (80 URLs cycled, none cached) | $(f ocsp_nonce_oa)/s | \`openssl ocsp -multi $(nproc)\`: $(f ocsp_nonce_ossl)/s | ${R_NONCE}x | $(ld ocsp) |"
	echo "| inbox, $CASES open cases, 16 connections | p99 $(f inbox_p99 %.1f) ms (a person with no tasks: p99 $(f notasks_p99 %.1f) ms) | | | $(ld api) |"
	echo "| CRL, $REV entries | $(f crl_secs %.3f) s, $(f crl_total_mib %.0f) MiB ($(f crl_mib %.0f) caller + $(f crl_signer_mib %.0f) signer); CRL $(f crl_mb %.1f) MiB | \`openssl ca -gencrl\`: $(f gencrl_secs %.3f) s, $(f gencrl_mib %.0f) MiB | ${R_CRL}x faster | $(ld crl) |"
	echo "| workflow, group commit | $(f engine) transitions/s | | | $(ld engine) |"
	echo
	echo "| target | result |"
	echo "|---|---|"
	echo "| issuance >= 5,000/s | $(verdict "$(med issue_best)" 5000 ge) ($(f issue_best)/s) |"
	echo "| issuance >= 100x \`openssl ca\` one process per CSR | $(verdict "$R_EACH" 100 ge) (${R_EACH}x) |"
	echo "| API >= 2,000/s | $(verdict "$(med api_oa)" 2000 ge) ($(f api_oa)/s) |"
	echo "| API >= 4x cfssl | $(verdict "$R_CF" 4 ge) (${R_CF}x) |"
	echo "| OCSP cached >= 50% of nginx | $(verdict "$P_NG" 50 ge) (${P_NG}%) |"
	echo "| OCSP with a nonce >= 15,000/s | $(verdict "$(med ocsp_nonce_oa)" 15000 ge) ($(f ocsp_nonce_oa)/s) |"
	echo "| inbox p99 <= 10 ms ($CASES tasks, 16 connections) | $(verdict "$(med inbox_p99)" 10 le) ($(f inbox_p99 %.1f) ms) |"
	echo "| inbox p99 <= 10 ms for a person with no tasks | $(verdict "$(med notasks_p99)" 10 le) ($(f notasks_p99 %.1f) ms) |"
	echo "| CRL of 1,000,000 < 1 s | $([ "$REV" = 1000000 ] && verdict "$(med crl_secs)" 1 lt || echo "not measured in --quick") ($(f crl_secs %.3f) s for $REV) |"
	echo "| CRL of 1,000,000 < 256 MB (caller + signer peak RSS) | $([ "$REV" = 1000000 ] && verdict "$(awk -v m="$(med crl_total_mib)" 'BEGIN { print (m == "n/a" ? m : m * 1.048576) }')" 256 lt || echo "not measured in --quick") ($(f crl_total_mib) MiB) |"
	echo "| workflow >= 8,000 transitions/s | $(verdict "$(med engine)" 8000 ge) ($(f engine)/s) |"
	echo
	echo "Every round (openams; peer):"
	echo
	for k in sign_oa sign_ossl issue_best ossl_each ossl_each_measured issue_single ossl_infiles api_oa api_oa_p99 api_cfssl api_cfssl_p99 api_cfssl_failed \
		inbox_p99 notasks_p99 ocsp_oa ocsp_nginx ocsp_ossl ocsp_nonce_oa ocsp_nonce_ossl crl_secs crl_mib crl_signer_mib \
		gencrl_secs gencrl_mib engine; do
		echo "- $k: $(all "$k")"
	done
} >"$MD"
log ""
cat "$MD" | tee -a "$LOG"
log ""
log "table: $MD; log: $LOG"
echo "TABLE DONE"
