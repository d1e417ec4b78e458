#!/bin/bash
# names.sh - the CA hierarchy's names identify the instance (security review,
# issue 16): by default O is instance.name and each CN "<instance.org> Root CA
# <tag>" (the tag from the root key), `openams init --root-cn/--issuing-cn`
# set them, and openams.conf records them.  The CA certificates of three
# instances, two of them with the same organisation, go into one NSS
# database: six distinct CAs, and each instance's certificate verifies
# through its own chain.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cd "$T"
printf 'instance.org = bappeda\ninstance.name = Bappeda Kota Bandung\n' >b.conf
new_instance "$T/a"
new_instance "$T/b" --config b.conf
new_instance "$T/c"
subj() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'; }
check_match "a: the root names the organisation" "$(subj a/pki/root.crt)" "^CN=kominfo Root CA [0-9A-F]{8},O=openams,C=ID$"
check_match "a: the issuing CA names the organisation" "$(subj a/pki/issuing.crt)" "^CN=kominfo Issuing CA [0-9A-F]{8},O=openams,C=ID$"
check_match "a: the responder names the organisation" "$(subj a/pki/ocsp.crt)" "^CN=kominfo OCSP Responder [0-9A-F]{8},O=openams,C=ID$"
check_eq "a: one tag for the hierarchy" "$(subj a/pki/root.crt | cut -d, -f1 | awk '{print $NF}')" \
	"$(subj a/pki/issuing.crt | cut -d, -f1 | awk '{print $NF}')"
check_match "b: instance.org in the CN, instance.name as O" "$(subj b/pki/root.crt)" \
	"^CN=bappeda Root CA [0-9A-F]{8},O=Bappeda Kota Bandung,C=ID$"
check_match "b: issuing CA" "$(subj b/pki/issuing.crt)" "^CN=bappeda Issuing CA [0-9A-F]{8},O=Bappeda Kota Bandung,C=ID$"
check_eq "six CA subjects, all distinct (a and c share their organisation)" \
	"$(for i in a b c; do subj $i/pki/root.crt; subj $i/pki/issuing.crt; done | sort -u | wc -l)" 6

# One NSS database holds the three hierarchies.
NSS=$T/nss
mkdir "$NSS"
: >"$NSS/pw"
check "certutil -N" certutil -N -d "sql:$NSS" -f "$NSS/pw"
for i in a b c; do
	check "certutil -A $i's root" certutil -A -d "sql:$NSS" -n "$i-root" -t "CT,C,C" -i $i/pki/root.crt
	check "certutil -A $i's issuing CA" certutil -A -d "sql:$NSS" -n "$i-issuing" -t "c,c,c" -i $i/pki/issuing.crt
done
list=$(certutil -L -d "sql:$NSS" | tail -n +5)
for i in a b c; do
	for r in root issuing; do
		check_match "NSS keeps $i-$r under its own nickname" "$list" "^$i-$r +(CT,C,C|c,c,c)"
	done
done
check_eq "NSS holds six certificates" "$(grep -c . <<<"$list")" 6
n=1
for i in a b c; do
	csr ec-p256 $i "/C=ID/O=Dinas Kominfo/CN=Pengguna $i" 2>/dev/null
	issue_ok "$i: issue a certificate" $i.pem --dir "$T/$i" --csr $i.csr --nik 320101010180000$n \
		--email pengguna$n@kominfo.go.id
	check "vfychain: $i's certificate verifies through $i's chain in the shared database" \
		vfychain -d "sql:$NSS" -pp -u 4 -a $i.pem
	check "certutil -V: $i's issuing CA verifies as a CA" certutil -V -d "sql:$NSS" -n "$i-issuing" -u L
	n=$((n + 1))
done

# Names set at init.
new_instance "$T/d" --config b.conf --root-cn "Bappeda Root CA G1" --issuing-cn "Bappeda Issuing CA G1"
check_eq "d: --root-cn" "$(subj d/pki/root.crt)" "CN=Bappeda Root CA G1,O=Bappeda Kota Bandung,C=ID"
check_eq "d: --issuing-cn" "$(subj d/pki/issuing.crt)" "CN=Bappeda Issuing CA G1,O=Bappeda Kota Bandung,C=ID"
check_eq "d: openams.conf records the names used" \
	"$(grep -E '^ca\.(organization|root_name|issuing_name) =' d/openams.conf)" \
	"ca.organization = Bappeda Kota Bandung
ca.root_name = Bappeda Root CA G1
ca.issuing_name = Bappeda Issuing CA G1"
check "openams config check accepts d's configuration" "$OPENAMS" config check --dir "$T/d"
refused "--root-cn with a newline is refused" "$T/a" invalid_input "root-cn" \
	"$OPENAMS" init --dir "$T/e" --root-cn $'Evil\nca.organization = x'
check_not "nothing was created for the refused init" test -e "$T/e"
finish
