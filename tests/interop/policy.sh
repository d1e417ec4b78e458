#!/bin/bash
# policy.sh - certificatePolicies from configuration (issue 19, item 4):
# ca.policies and ca.cps_uri set before init make the issuing CA assert the
# policies, the root anyPolicy, and every end-entity certificate whose
# profile names none assert them, each with the CPS pointer.  Checked by
# OpenSSL's policy processing (-policy_check -explicit_policy), NSS's
# vfychain with a required policy, GnuTLS and python3-cryptography; a policy
# the chain does not assert fails both.  A malformed OID is refused by
# `openams config check` and by init, which then makes nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cd "$T"
P1=1.3.6.1.4.1.61234.1.1
P2=2.16.360.1.2.3
CPS=https://ca.kominfo.go.id/cps
printf 'ca.policies = %s %s\nca.cps_uri = %s\n' "$P1" "$P2" "$CPS" >pol.conf
new_instance "$T/d" --config pol.conf
text() { openssl x509 -in "$1" -noout -ext certificatePolicies 2>/dev/null; }
check_match "the root asserts anyPolicy" "$(text d/pki/root.crt)" "Policy: X509v3 Any Policy"
check_match "... with the CPS pointer" "$(text d/pki/root.crt)" "CPS: $CPS"
check_match "the issuing CA asserts the first policy" "$(text d/pki/issuing.crt)" "Policy: $P1"
check_match "... and the second" "$(text d/pki/issuing.crt)" "Policy: $P2"
check_eq "... each with the CPS pointer" "$(text d/pki/issuing.crt | grep -c "CPS: $CPS")" 2
csr ec-p256 ee "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
issue_ok "issue an individual certificate" ee.pem --dir "$T/d" --csr ee.csr \
	--nik 3201011505900001 --email budi@kominfo.go.id
check_match "the certificate asserts the instance's policies" "$(text ee.pem)" "Policy: $P1"
check_match "... with the CPS pointer" "$(text ee.pem)" "CPS: $CPS"
check "openams ca issue's lint accepted it (and openssl: not critical)" \
	bash -c "! openssl x509 -in ee.pem -noout -text | grep -A0 'Certificate Policies: critical'"

# OpenSSL's RFC 5280 policy processing
V=(openssl verify -CAfile d/pki/root.crt -untrusted d/pki/issuing.crt -policy_check -explicit_policy)
check "openssl verify -policy_check -explicit_policy -policy $P1" "${V[@]}" -policy "$P1" ee.pem
check "... -policy $P2" "${V[@]}" -policy "$P2" ee.pem
check_not "... a policy the chain does not assert fails" "${V[@]}" -policy 1.2.3.4.5 ee.pem
# NSS
NSS=$T/nss
mkdir "$NSS" && : >"$NSS/pw"
certutil -N -d "sql:$NSS" -f "$NSS/pw"
certutil -A -d "sql:$NSS" -n root -t "CT,C,C" -i d/pki/root.crt
certutil -A -d "sql:$NSS" -n issuing -t "c,c,c" -i d/pki/issuing.crt
check "vfychain -pp with policy $P1 required" vfychain -d "sql:$NSS" -pp -u 4 -o "OID.$P1" -a ee.pem
check_not "vfychain: a policy the chain does not assert fails" \
	vfychain -d "sql:$NSS" -pp -u 4 -o OID.1.2.3.4.5 -a ee.pem
# GnuTLS and python3-cryptography
cat d/pki/issuing.crt d/pki/root.crt >chain.pem
check "certtool --verify (GnuTLS) accepts the chain" \
	bash -c "cat ee.pem chain.pem | certtool --verify --load-ca-certificate d/pki/root.crt >/dev/null"
check_eq "python3-cryptography reads the policies and the CPS qualifier" \
	"$("$PY" -c 'import sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
p = c.extensions.get_extension_for_class(x509.CertificatePolicies)
print(p.critical, " ".join(i.policy_identifier.dotted_string + "=" + ",".join(map(str, i.policy_qualifiers or [])) for i in p.value))' ee.pem)" \
	"False $P1=$CPS $P2=$CPS"

# without ca.policies: no certificatePolicies anywhere (as before)
new_instance "$T/n"
check_eq "default: the issuing CA asserts no policy" "$(text n/pki/issuing.crt | wc -l)" 0

# malformed values: refused, nothing made
for bad in "1.2.x" "3.1.2" "1..2" "1" "$(printf '1.2.%d ' 1 2 3 4 5 6 7 8 9)"; do
	printf 'ca.policies = %s\n' "$bad" >bad.conf
	rc=0; "$OPENAMS" init --dir "$T/bad" --config bad.conf >/dev/null 2>bad.err || rc=$?
	check_eq "init refuses ca.policies = '$bad'" "$rc" 1
	check_match "... naming the option" "$(cat bad.err)" "ca.policies: "
	check_not "... and makes nothing" test -e "$T/bad/openams.db"
	rm -rf "$T/bad"
done
finish
