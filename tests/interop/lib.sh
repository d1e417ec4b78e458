# lib.sh - shared helpers of the interop tests (sourced, never run alone).
#
# Every script gets: $T (a private temporary directory, removed on exit),
# $PY (Debian's python3 with python3-cryptography), ok/nok/check helpers
# that print TAP-like "ok - ..." / "not ok - ..." lines, and finish, which
# exits non-zero when any check failed.
set -euo pipefail

: "${OPENAMS:?OPENAMS must name the built openams binary}"
: "${OPENAMS_SHARE:?OPENAMS_SHARE must name the source root}"
export OPENAMS OPENAMS_SHARE
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PYTHONDONTWRITEBYTECODE=1
unset OPENAMS_DIR OPENAMS_CA_PASSPHRASE || true

T=$(mktemp -d "${TMPDIR:-/tmp}/openams-interop.XXXXXX")
cleanup() { rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

PASS=0
FAIL=0
ok() { echo "ok - $*"; PASS=$((PASS + 1)); }
nok() { echo "not ok - $*"; FAIL=$((FAIL + 1)); }

# check DESC CMD...: passes when CMD exits 0; shows its output otherwise.
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

# check_not DESC CMD...: passes when CMD exits non-zero.
check_not() {
	local desc=$1 rc=0
	shift
	"$@" >"$T/.check.out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		ok "$desc"
	else
		nok "$desc (unexpectedly succeeded)"
		sed 's/^/#   /' "$T/.check.out" | head -n 30
	fi
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

finish() {
	echo "# $(basename "$0"): $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# new_instance DIR [init options...]: a fresh data directory.
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

# serial_of PEMFILE: the serial as openams prints it (lower-case hex).
serial_of() {
	openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f'
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
