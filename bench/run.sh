#!/usr/bin/env bash
# bench/run.sh - the CA benchmark (docs/BENCHMARKS.md).
#
#   bench/run.sh           full run: 10,000 certificates, CRLs of 100,000 and
#                          1,000,000 entries, the openssl ca peer (~10 min, ~2 GB in /tmp)
#   bench/run.sh --quick   smoke run: 200 certificates, 2,000 revoked entries (seconds)
#
# Builds a release tree in build-bench/ unless $BENCH_CA (and $OPENAMS) name
# programs already built.  Work files go to a temporary directory (removed
# at the end, $BENCH_KEEP=1 keeps it); the report goes to $BENCH_OUT
# (default bench/out/) and to stdout.
set -euo pipefail

QUICK=0
for a in "$@"; do
	case "$a" in
	--quick) QUICK=1 ;;
	-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/bench/out}
PY=${PYTHON:-/usr/bin/python3}
export OPENAMS_SHARE=${OPENAMS_SHARE:-$ROOT}

if [ "$QUICK" = 1 ]; then
	N=200; REV1=2000; REV2=0; API_MAX=2000; SIGN_SECS=0.2; SIGN_REPS=1; REPS=3
	PROBE=200; BUDGET=240
else
	N=10000; REV1=100000; REV2=1000000; API_MAX=${BENCH_API_MAX:-100000}
	SIGN_SECS=1.0; SIGN_REPS=3; REPS=3; PROBE=1000; BUDGET=240
fi

# ---------------------------------------------------------------- build
if [ -z "${BENCH_CA:-}" ]; then
	BUILD=${BENCH_BUILD:-$ROOT/build-bench}
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$ROOT" --buildtype=release >/dev/null
	fi
	ninja -C "$BUILD" bench/bench_ca src/cli/openams >/dev/null
	BENCH_CA=$BUILD/bench/bench_ca
	OPENAMS=$BUILD/src/cli/openams
	BUILDTYPE=$(meson introspect --buildoptions "$BUILD" 2>/dev/null |
		"$PY" -c 'import json,sys; o={x["name"]:x["value"] for x in json.load(sys.stdin)}; print(o["buildtype"], "-O" + str(o["optimization"]))' ||
		echo unknown)
else
	BUILDTYPE=${BENCH_BUILDTYPE:-"as built by meson (see meson configure)"}
fi
OPENAMS=${OPENAMS:-$(dirname "$BENCH_CA")/../src/cli/openams}
# bench_ca links the library and runs threads: its signer is this openams, exec'd.
export OPENAMS_SIGNER_EXE=${OPENAMS_SIGNER_EXE:-$(readlink -f "$OPENAMS")}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/openams-bench.XXXXXX")
cleanup() { [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
REPORT=$OUT/report-$STAMP.txt
RES=$WORK/results.txt
: >"$RES"

log() { printf '%s\n' "$*" | tee -a "$REPORT"; }
# Runs a bench_ca subcommand: human lines to the report, RESULT lines to $RES.
bc() {
	"$BENCH_CA" "$@" >"$WORK/step.out"
	grep -v '^RESULT ' "$WORK/step.out" | tee -a "$REPORT" || true
	grep '^RESULT ' "$WORK/step.out" | cut -d' ' -f2- >>"$RES" || true
}
res() { awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "n/a" : v) }' "$RES"; }
put() { echo "$1 $2" >>"$RES"; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "n/a" || v == "") print "n/a"; else printf f, v }'; }

log "openams CA benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $([ "$QUICK" = 1 ] && echo 'QUICK smoke run' || echo 'full run')"
log "command: bench/run.sh $*"
if git -C "$ROOT" rev-parse --short HEAD >/dev/null 2>&1; then
	log "commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src || echo ' (src/ has uncommitted changes)')"
else
	log "commit: unknown (not a git checkout: $ROOT)"
fi
log "build: $BUILDTYPE; $(openssl version); SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo '?')"
log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
log "N=$N certificates; CRLs of $REV1$([ "$REV2" -gt 0 ] && echo " and $REV2") entries"
log ""

# ------------------------------------------------------ 1. raw signing
log "== 1. raw ECDSA P-256 signing (EVP_DigestSign, in-process)"
bc sign --seconds "$SIGN_SECS" --reps "$SIGN_REPS"
log ""

# --------------------------------------------------- 2. openams issuance
log "== 2. openams issuance of $N certificates from $N pre-generated CSRs (durable: WAL, synchronous=FULL)"
bc gencsr --n "$N" --out "$WORK/csrs"
issue() { # tag mode batch threads [in-process signer]
	local d=$WORK/issue-$1
	"$OPENAMS" init --dir "$d" >/dev/null
	bc issue --dir "$d" --csrs "$WORK/csrs/csrs.pem" --tag "$1" --mode "$2" --batch "$3" --threads "$4" \
		--signer-in-process "${5:-0}"
	[ "$1" = single ] || rm -rf "$d"
}
issue single single 1 1
issue batch64 batch 64 1
issue batch256 batch 256 1
issue threads64 threads 64 2
issue threads256 threads 256 2
# Diagnostic, not a candidate for "fastest": the signer in this process.
issue inproc256 batch 256 1 1
BEST_TAG=$(for t in single batch64 batch256 threads64 threads256; do echo "$t $(res issue_${t}_rate)"; done |
	sort -k2 -g | tail -1 | cut -d' ' -f1)
put best_tag "$BEST_TAG"
put best_rate "$(res issue_${BEST_TAG}_rate)"
log "fastest: $BEST_TAG at $(res best_rate) certificates/s"
log ""

# ------------------------------------------------------ 3. openssl ca peer
log "== 3. the same $N CSRs through openssl ca (same issuing CA key and certificate; openssl ca does not fsync)"
CAD=$WORK/issue-single
mkossl() { # dir
	local d=$1
	mkdir -p "$d/newcerts" "$d/out"
	openssl pkey -in "$CAD/keys/issuing.key" -passin "file:$CAD/secrets/ca.pass" -out "$d/ca.key" 2>/dev/null
	cp "$CAD/pki/issuing.crt" "$d/ca.crt"
	: >"$d/index.txt"
	echo "unique_subject = no" >"$d/index.txt.attr"
	echo 1000 >"$d/serial"
	echo 1000 >"$d/crlnumber"
	cat >"$d/ca.cnf" <<EOF
[ ca ]
default_ca = bench
[ bench ]
dir = $d
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
certificate = \$dir/ca.crt
private_key = \$dir/ca.key
serial = \$dir/serial
rand_serial = yes
crlnumber = \$dir/crlnumber
default_days = 730
default_crl_hours = 24
default_md = sha256
policy = bench_policy
preserve = yes
unique_subject = no
email_in_dn = no
copy_extensions = copy
x509_extensions = bench_ext
crl_extensions = bench_crl_ext
[ bench_policy ]
countryName = supplied
stateOrProvinceName = optional
localityName = optional
organizationName = supplied
organizationalUnitName = optional
commonName = supplied
serialNumber = optional
emailAddress = optional
[ bench_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection,1.3.6.1.5.5.7.3.36
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:http://127.0.0.1:8080/pki/issuing.crl
authorityInfoAccess = OCSP;URI:http://127.0.0.1:8080/ocsp,caIssuers;URI:http://127.0.0.1:8080/pki/issuing.crt
subjectKeyIdentifier = hash
[ bench_crl_ext ]
authorityKeyIdentifier = keyid
EOF
}
mkossl "$WORK/ossl-each"
bc ossl-each --conf "$WORK/ossl-each/ca.cnf" --csrdir "$WORK/csrs/csr" --outdir "$WORK/ossl-each/out" \
	--n "$N" --budget "$BUDGET" --probe "$PROBE"
log "  index.txt lines: $(wc -l <"$WORK/ossl-each/index.txt")"
openssl verify -CAfile "$CAD/pki/chain.pem" "$WORK/ossl-each/out/000000.crt" >/dev/null ||
	{ log "openssl ca certificate does not verify"; exit 1; }

mkossl "$WORK/ossl-infiles"
bc spawn --reps 1 --tag ossl_infiles -- sh -c \
	'exec openssl ca -batch -notext -config "$1/ca.cnf" -out "$1/all.pem" -infiles "$2"/*.pem 2>/dev/null' \
	sh "$WORK/ossl-infiles" "$WORK/csrs/csr"
INF_LINES=$(wc -l <"$WORK/ossl-infiles/index.txt")
log "  index.txt lines: $INF_LINES"
[ "$INF_LINES" = "$N" ] || { log "openssl ca -infiles issued $INF_LINES, not $N"; exit 1; }
put ossl_infiles_rate "$(awk -v n="$N" -v s="$(res ossl_infiles_secs)" 'BEGIN { printf "%.1f", n / s }')"
put ratio_each "$(awk -v a="$(res best_rate)" -v b="$(res ossl_each_rate)" 'BEGIN { printf "%.1f", a / b }')"
put ratio_infiles "$(awk -v a="$(res best_rate)" -v b="$(res ossl_infiles_rate)" 'BEGIN { printf "%.2f", a / b }')"
put ratio_each_single "$(awk -v a="$(res issue_single_rate)" -v b="$(res ossl_each_rate)" 'BEGIN { printf "%.1f", a / b }')"
log "openssl ca -infiles (one invocation, $N CSRs): $(res ossl_infiles_rate) certificates/s"
log "ratio openams ($BEST_TAG) / openssl ca per CSR: $(res ratio_each)x; / openssl ca -infiles: $(res ratio_infiles)x"
log ""

# --------------------------------------------------------------- 4. CRLs
log "== 4. CRL generation (ca_crl_publish on the issuing CA; each run in a child process; peak RSS: its VmHWM, and the signer process from getrusage(RUSAGE_CHILDREN))"
CRLD=$WORK/crl
"$OPENAMS" init --dir "$CRLD" >/dev/null
check_crl() { # tag expected
	local f=$CRLD/pki/issuing.crl
	openssl crl -inform DER -noout -in "$f" || { log "openssl crl refuses $f"; exit 1; }
	local n
	n=$("$PY" - "$f" "$CRLD/pki/issuing.crt" <<'EOF'
import sys
from cryptography import x509
crl = x509.load_der_x509_crl(open(sys.argv[1], "rb").read())
ca = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
assert crl.is_signature_valid(ca.public_key()), "bad CRL signature"
print(len(crl))
EOF
)
	log "  checked: openssl crl -inform DER accepts it; python3-cryptography counts $n entries, signature valid"
	[ "$n" = "$2" ] || { log "expected $2 entries"; exit 1; }
	put "$1_checked" "$n"
}
bc crl-setup --dir "$CRLD" --n "$REV1" --api-max "$API_MAX"
bc crl --dir "$CRLD" --reps "$REPS" --tag crl_small
check_crl crl_small "$REV1"
if [ "$REV2" -gt 0 ]; then
	bc crl-setup --dir "$CRLD" --n "$REV2" --api-max 0
	bc crl --dir "$CRLD" --reps "$REPS" --tag crl_large
	openssl crl -inform DER -noout -in "$CRLD/pki/issuing.crl" && log "  checked: openssl crl -inform DER accepts the $REV2-entry CRL"
fi

log "-- openssl ca -gencrl with $REV1 revoked entries in index.txt"
mkossl "$WORK/ossl-crl"
bc ossl-index --n "$REV1" --out "$WORK/ossl-crl/index.txt"
bc spawn --reps "$REPS" --tag ossl_gencrl -- sh -c \
	'exec openssl ca -gencrl -config "$1/ca.cnf" -out "$1/crl.pem" 2>/dev/null' sh "$WORK/ossl-crl"
ON=$("$PY" -c 'import sys; from cryptography import x509; print(len(x509.load_pem_x509_crl(open(sys.argv[1],"rb").read())))' "$WORK/ossl-crl/crl.pem")
log "  openssl's CRL has $ON entries"
log ""

# -------------------------------------------------------------- 5. summary
verdict() { awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN { if (v == "n/a") print "n/a"; else if ((d == "ge" && v + 0 >= t + 0) || (d == "le" && v + 0 <= t + 0)) print "MET"; else print "NOT MET" }'; }
{
	echo "== SUMMARY ($([ "$QUICK" = 1 ] && echo "quick smoke run, N=$N: figures not meaningful" || echo "N=$N"); issuance runs once each, CRL figures median of $REPS; build: $BUILDTYPE)"
	printf '%-58s %14s\n' "figure" "value"
	printf '%-58s %14s\n' "raw ECDSA P-256 sign, 1 thread (/s)" "$(res sign_1t)"
	printf '%-58s %14s\n' "raw ECDSA P-256 sign, 2 threads (/s)" "$(res sign_2t)"
	printf '%-58s %14s\n' "raw ECDSA P-256 verify, 1 thread (/s)" "$(res verify_1t)"
	printf '%-58s %14s\n' "openams (a) ca_issue, one commit each (certs/s)" "$(res issue_single_rate)"
	printf '%-58s %14s\n' "openams (b) ca_issue_batch, batch 64 (certs/s)" "$(res issue_batch64_rate)"
	printf '%-58s %14s\n' "openams (b) ca_issue_batch, batch 256 (certs/s)" "$(res issue_batch256_rate)"
	printf '%-58s %14s\n' "openams (c) 2 threads x ca_issue_batch 64 (certs/s)" "$(res issue_threads64_rate)"
	printf '%-58s %14s\n' "openams (c) 2 threads x ca_issue_batch 256 (certs/s)" "$(res issue_threads256_rate)"
	printf '%-58s %14s\n' "  diagnostic: batch 256, signer in-process (certs/s)" "$(res issue_inproc256_rate)"
	printf '%-58s %14s\n' "openams rows in certificate after each run" "$(res issue_single_rows)/$(res issue_batch64_rows)/$(res issue_batch256_rows)/$(res issue_threads64_rows)/$(res issue_threads256_rows)"
	printf '%-58s %14s\n' "openssl ca, one invocation per CSR (certs/s)" "$(res ossl_each_rate)"
	printf '%-58s %14s\n' "  measured CSRs of $N (rest extrapolated)" "$(res ossl_each_measured)"
	printf '%-58s %14s\n' "openssl ca -infiles, one invocation (certs/s)" "$(res ossl_infiles_rate)"
	printf '%-58s %14s\n' "ratio openams best / openssl ca per CSR" "$(res ratio_each)x"
	printf '%-58s %14s\n' "ratio openams best / openssl ca -infiles" "$(res ratio_infiles)x"
	printf '%-58s %14s\n' "ratio openams (a) one commit each / openssl per CSR" "$(res ratio_each_single)x"
	printf '%-58s %14s\n' "openams CRL, $REV1 entries: time (s)" "$(fmt "$(res crl_small_secs)" %.3f)"
	printf '%-58s %14s\n' "openams CRL, $REV1 entries: peak RSS (MiB)" "$(res crl_small_peak_mib)"
	printf '%-58s %14s\n' "openams CRL, $REV1 entries: signer process peak RSS (MiB)" "$(res crl_small_signer_mib)"
	printf '%-58s %14s\n' "openams CRL, $REV1 entries: first call incl. key unlock (s)" "$(fmt "$(res crl_small_cold_secs)" %.3f)"
	if [ "$REV2" -gt 0 ]; then
		printf '%-58s %14s\n' "openams CRL, $REV2 entries: time (s)" "$(fmt "$(res crl_large_secs)" %.3f)"
		printf '%-58s %14s\n' "openams CRL, $REV2 entries: peak RSS (MiB)" "$(res crl_large_peak_mib)"
		printf '%-58s %14s\n' "openams CRL, $REV2 entries: signer process peak RSS (MiB)" "$(res crl_large_signer_mib)"
		printf '%-58s %14s\n' "openams CRL, $REV2 entries: first call incl. key unlock (s)" "$(fmt "$(res crl_large_cold_secs)" %.3f)"
	fi
	printf '%-58s %14s\n' "openssl ca -gencrl, $REV1 entries: time (s)" "$(fmt "$(res ossl_gencrl_secs)" %.3f)"
	printf '%-58s %14s\n' "openssl ca -gencrl, $REV1 entries: peak RSS (MiB)" "$(res ossl_gencrl_peak_mib)"
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "targets:"
	printf '  %-56s %s\n' "issuance >= 5,000 certs/s (best: $(res best_rate), $BEST_TAG)" "$(verdict "$(res best_rate)" 5000 ge)"
	printf '  %-56s %s\n' "issuance >= 50x openssl ca per CSR ($(res ratio_each)x)" "$(verdict "$(res ratio_each)" 50 ge)"
	if [ "$REV2" -gt 0 ]; then
		printf '  %-56s %s\n' "1,000,000-entry CRL <= 2 s ($(fmt "$(res crl_large_secs)" %.3f) s)" "$(verdict "$(res crl_large_secs)" 2 le)"
	else
		printf '  %-56s %s\n' "1,000,000-entry CRL <= 2 s" "not measured in --quick"
	fi
} | tee -a "$REPORT"
cp "$REPORT" "$OUT/latest.txt"
echo "report: $REPORT"
echo "BENCH DONE"
