# lib.sh - shared helpers of the interop tests (sourced, never run alone).
#
# Every script gets what ../lib/common.sh gives ($T, a private temporary
# directory removed on exit; $PY, Debian's python3 with python3-cryptography;
# the TAP-like ok/nok/check helpers and finish, which exits non-zero when any
# check failed; new_instance and serial_of) and, for the interop tests:
# setup_instance, csr, snapshot, refused and issue_ok.

# shellcheck shell=bash
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_TAG=interop
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$HERE/../lib/common.sh"

# setup_instance [init options...]: the usual start of a script: a fresh
# instance in D=$T/data (P=$D/pki), and $T as the working directory.
setup_instance() {
	D=$T/data
	# shellcheck disable=SC2034 # P is for the scripts
	P=$D/pki
	new_instance "$D" "$@"
	cd "$T" || exit 1
}

# csr KEYSPEC OUTPREFIX SUBJ: a key (OUTPREFIX.key) and PEM CSR (OUTPREFIX.csr).
# KEYSPEC: ec-p256, ec-p384, ec-p521, rsa-N, ed25519.
csr() {
	local spec=$1 out=$2 subj=$3
	case $spec in
	ec-p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out.key" ;;
	ec-p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$out.key" ;;
	ec-p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$out.key" ;;
	rsa-*) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"${spec#rsa-}" -out "$out.key" 2>/dev/null ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$out.key" ;;
	*) echo "csr: unknown key spec $spec" >&2; return 2 ;;
	esac
	openssl req -new -key "$out.key" -subj "$subj" -utf8 -out "$out.csr"
}

# snapshot DIR OUT: everything a refused command must leave alone: the
# database content (audit rows included) and the files under DIR.
snapshot() {
	local d=$1 out=$2
	{
		sqlite3 "$d/openams.db" .dump
		echo "-- audit rows: $(sqlite3 "$d/openams.db" 'SELECT count(*) FROM audit')"
		(cd "$d" && find . -path ./openams.db -prune -o -path './openams.db-*' -prune \
			-o -type f -print0 | sort -z | xargs -0 sha256sum)
	} >"$out"
}

# refused DESC DIR CODE REGEX CMD...: CMD exits 1 with "openams: CODE: ..."
# matching REGEX on stderr, and DIR's store and files are unchanged.
refused() {
	local desc=$1 d=$2 code=$3 re=$4 rc=0 err
	shift 4
	snapshot "$d" "$T/.snap.before"
	"$@" >"$T/.ref.out" 2>"$T/.ref.err" || rc=$?
	snapshot "$d" "$T/.snap.after"
	err=$(cat "$T/.ref.err")
	if [ "$rc" -ne 1 ]; then
		nok "$desc: exit status $rc, want 1"
		sed 's/^/#   stderr: /' "$T/.ref.err" | head -n 10
	elif ! grep -Eq "^openams: $code: " "$T/.ref.err"; then
		nok "$desc: stderr lacks 'openams: $code: '"
		sed 's/^/#   stderr: /' "$T/.ref.err" | head -n 10
	elif ! grep -Eq -- "$re" "$T/.ref.err"; then
		nok "$desc: message does not match /$re/"
		sed 's/^/#   stderr: /' "$T/.ref.err" | head -n 10
	elif ! cmp -s "$T/.snap.before" "$T/.snap.after"; then
		nok "$desc: refused, but the store or files changed"
		diff "$T/.snap.before" "$T/.snap.after" | head -n 20 | sed 's/^/#   /'
	else
		ok "$desc (${err:0:150})"
	fi
}

# issue_ok DESC OUTPEM ARGS...: ca issue that must succeed.
issue_ok() {
	local desc=$1 out=$2 rc=0
	shift 2
	"$OPENAMS" ca issue "$@" --out "$out" >"$T/.iss.out" 2>"$T/.iss.err" || rc=$?
	if [ "$rc" -eq 0 ] && [ -s "$out" ]; then
		ok "$desc"
		return 0
	fi
	nok "$desc (exit $rc)"
	sed 's/^/#   /' "$T/.iss.err" | head -n 10
	return 1
}
