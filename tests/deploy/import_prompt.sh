#!/bin/bash
# `openams ca import-issuing` and the CA passphrase (issue 19): an instance
# made with --external-root and --passphrase-file keeps no passphrase, so the
# import (which signs the OCSP responder's and TSA's certificates with the
# issuing key) takes it from --passphrase-file, else asks twice on the
# terminal without echo (a pseudo-terminal here, ttyrun.py); without a
# terminal it is refused saying how to give it.  A refusal changes nothing;
# the passphrase is never printed nor left in the data directory.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$T"

CAPASS='Sandi-CA-Yang-Panjang-2026'
printf '%s\n' "$CAPASS" >ca.pass && chmod 600 ca.pass
printf 'Sandi-Yang-Salah-Sekali\n' >wrong.pass && chmod 600 wrong.pass

# ---- an external root (openssl alone) and two instances under it ----------
cat >root.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = root_ext
[dn]
C = ID
O = Badan Siber dan Sandi Negara Uji
CN = Root CA Uji
[root_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[issuing]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key 2>/dev/null
openssl req -new -x509 -key root.key -config root.cnf -days 3650 -out root.crt
for d in a b; do
	new_instance "$T/$d" --external-root --passphrase-file ca.pass
	openssl x509 -req -in "$d/pki/issuing.csr" -CA root.crt -CAkey root.key -extfile root.cnf \
		-extensions issuing -days 1825 -set_serial "0x$(openssl rand -hex 8)" -out "$d.pem" 2>/dev/null
done
check_eq "init --external-root --passphrase-file keeps no passphrase" \
	"$(grep -c '^ca.key_passphrase_file = ""$' a/openams.conf) $(ls a/secrets/ca.pass 2>/dev/null || true)" "1 "

# refused CODE-REGEX DESC CMD...: exit 1, stderr matching, nothing imported
refused() {
	local re=$1 desc=$2 rc=0
	shift 2
	"$@" >r.out 2>r.err || rc=$?
	if [ $rc = 1 ] && grep -Eq -- "$re" r.err; then ok "$desc"; else
		nok "$desc (exit $rc)"
		sed 's/^/#   /' r.err | head -5
	fi
	check "... nothing imported" test ! -e a/pki/issuing.crt
}
imp() { env -u OPENAMS_CA_PASSPHRASE "$OPENAMS" ca import-issuing --dir a --cert a.pem --chain root.crt "$@"; }

check_match "ca --help names --passphrase-file for import-issuing" "$("$OPENAMS" ca --help)" \
	'import-issuing --cert FILE .*\[--passphrase-file FILE\]'
refused '^openams: invalid_input: no CA passphrase: give it in a file \(--passphrase-file FILE\) or run on a terminal to be asked$' \
	"no passphrase and no terminal: refused, saying how to give it" imp </dev/null
refused '^openams: crypto: keys/issuing.key: cannot decrypt the key \(wrong CA passphrase' \
	"a wrong --passphrase-file: refused" imp --passphrase-file wrong.pass </dev/null
refused '^openams: invalid_input: .*empty CA passphrase' \
	"an empty --passphrase-file: refused" imp --passphrase-file /dev/null </dev/null

# ---- on a terminal ----------------------------------------------------------
tty() { # ANSWER1 ANSWER2: the import on a pseudo-terminal typing them
	printf '%s\n%s\n' "$1" "$2" >answers
	rc=0
	out=$("$PY" "$HERE/ttyrun.py" answers env -u OPENAMS_CA_PASSPHRASE "$OPENAMS" ca import-issuing \
		--dir a --cert a.pem --chain root.crt) || rc=$?
}
tty "$CAPASS" "Sandi-Lain-Yang-Panjang"
check_eq "two different passphrases typed: refused (exit 1)" "$rc" 1
check_match "... asked 'CA passphrase: ' then 'CA passphrase again: '" "$(tr -d '\r' <<<"$out")" \
	'CA passphrase: '$'\n''CA passphrase again: '
check_match "... saying so" "$out" 'openams: invalid_input: the two CA passphrases differ'
check "... nothing imported" test ! -e a/pki/issuing.crt
tty "wrong-$CAPASS" "wrong-$CAPASS"
check_eq "a wrong passphrase typed twice: refused (exit 1)" "$rc" 1
check_match "... as a wrong passphrase" "$out" 'cannot decrypt the key \(wrong CA passphrase'
check "... nothing imported" test ! -e a/pki/issuing.crt
tty "$CAPASS" "$CAPASS"
check_eq "the passphrase typed twice: imported (exit 0)" "$rc" 0
check_match "... the issuing CA certificate installed" "$out" "serial: [0-9a-f]+"
check_nomatch "... the terminal never had the echo on" "$out" 'ttyrun: echo was on'
check_nomatch "... nor showed the passphrase" "$out" "$CAPASS"
check_eq "pki/issuing.crt is the root's certificate" "$(openssl x509 -in a/pki/issuing.crt -outform DER | sha256sum)" \
	"$(openssl x509 -in a.pem -outform DER | sha256sum)"
check "the OCSP responder certificate it signed verifies" \
	openssl verify -CAfile root.crt -untrusted a/pki/issuing.crt a/pki/ocsp.crt

# ---- from a file -------------------------------------------------------------
check "--passphrase-file: imported without a terminal" env -u OPENAMS_CA_PASSPHRASE "$OPENAMS" ca \
	import-issuing --dir b --cert b.pem --chain root.crt --passphrase-file ca.pass </dev/null
check "... the OCSP responder certificate it signed verifies" \
	openssl verify -CAfile root.crt -untrusted b/pki/issuing.crt b/pki/ocsp.crt
check_nomatch "the passphrase is in neither data directory" "$(grep -rl -- "$CAPASS" a b || true)" .
check "audit verify (a)" "$OPENAMS" audit verify --dir a
finish
