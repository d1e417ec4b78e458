# certs.sh - sourced by the PostgreSQL CLI tests (pg_copy.sh, pg_backup.sh),
# after they define fail():
#   serial PEM         the certificate's serial, lower-case hex
#   two_certs DIR TMP  certificates for Budi Santoso and Ani Lestari issued by
#                      the instance DIR (keys, CSRs and PEMs as TMP/a.* and
#                      TMP/b.*), Ani's revoked (keyCompromise); A and B are
#                      set to their serials.
# shellcheck shell=bash
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }

two_certs() {
	local d=$1 t=$2 x cn nik email
	for x in a b; do
		if [ $x = a ]; then
			cn="Budi Santoso" nik=3201010101800001 email=budi@kominfo.go.id
		else
			cn="Ani Lestari" nik=3201010101800002 email=ani@kominfo.go.id
		fi
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/$x.key" \
			-subj "/C=ID/O=Dinas Kominfo/CN=$cn" -out "$t/$x.csr" 2>/dev/null
		"$OPENAMS" ca issue --dir "$d" --csr "$t/$x.csr" --nik "$nik" --email "$email" \
			--out "$t/$x.pem" >/dev/null || fail "issue ${x^^}"
	done
	A=$(serial "$t/a.pem") B=$(serial "$t/b.pem")
	"$OPENAMS" ca revoke "$B" --dir "$d" --reason keyCompromise >/dev/null || fail "revoke B"
}
