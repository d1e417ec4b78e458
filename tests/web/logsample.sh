#!/bin/bash
# logsample.sh - the request log samples the public PKI routes (issue 22:
# "the access log must not cost a write per OCSP request"): with
# web.log_pki_every = 10, 60 answers of /pki/issuing.crt and 30 OCSP GETs
# give 6 and 3 lines, each marked sampled=10; the other routes are logged
# in full; a failed PKI request is always logged; /metrics still counts all
# 90.  With web.log_pki_every = 1 every answer is logged, unmarked.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

D=$T/data
printf 'web.log_pki_every = 10\n' >"$T/init.conf"
new_instance "$D" --config "$T/init.conf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/a.key" \
	-subj "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" -out "$T/a.csr" 2>/dev/null
"$OPENAMS" ca issue --dir "$D" --csr "$T/a.csr" --nik 3201010101800001 --email budi@kominfo.go.id \
	--out "$T/a.pem" >/dev/null 2>&1
openssl ocsp -issuer "$D/pki/issuing.crt" -cert "$T/a.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
REQ=$("$PY" -c 'import base64,sys,urllib.parse; print(urllib.parse.quote(base64.b64encode(open(sys.argv[1],"rb").read()).decode(), safe=""))' "$T/req.der")

run() { # LOG: 60 CA certificate GETs, 30 OCSP GETs, 20 /healthz, 1 bad OCSP GET
	P=$(free_port)
	start_server "$D" "$P" "$1"
	for _ in $(seq 60); do curl -s -o /dev/null "http://127.0.0.1:$P/pki/issuing.crt"; done
	for _ in $(seq 30); do curl -s -o /dev/null "http://127.0.0.1:$P/ocsp/$REQ"; done
	for _ in $(seq 20); do curl -s -o /dev/null "http://127.0.0.1:$P/healthz"; done
	BAD=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/ocsp/%21%21notbase64")
	METRICS=$(curl -s "http://127.0.0.1:$P/metrics")
	stop_server
}
lines() { grep -c "route=\"$2\" status=$3" "$1" || true; }

run "$T/s10.log"
check_eq "1 in 10 of 60 /pki/issuing.crt answers logged" "$(lines "$T/s10.log" /pki/issuing.crt 200)" 6
check_eq "1 in 10 of 30 OCSP answers logged" "$(grep 'route="/ocsp/{req\*}" status=200' "$T/s10.log" | grep -c ' sampled=10' || true)" 3
check_eq "... each marked sampled=10" "$(grep 'route="/\(pki\|ocsp\)' "$T/s10.log" | grep -c ' sampled=10')" 9
check "/healthz, not a PKI route, logged in full (20 and start_server's)" test "$(lines "$T/s10.log" /healthz 200)" -ge 20
check_eq "the bad OCSP request is answered in band (200, malformedRequest)" "$BAD" 200
check_eq "... and logged, unsampled, as a failure" "$(grep 'route="/ocsp/{req\*}"' "$T/s10.log" | grep 'error=ocsp_unsuccessful' | grep -vc sampled=)" 1
check_match "/metrics counts all 60 CA certificate answers" "$METRICS" \
	'openams_http_requests_total\{[^}]*route="/pki/issuing.crt"[^}]*\} 60'

sed -i 's/^web.log_pki_every = 10$/web.log_pki_every = 1/' "$D/openams.conf"
grep -q '^web.log_pki_every = 1$' "$D/openams.conf" || echo 'web.log_pki_every = 1' >>"$D/openams.conf"
run "$T/s1.log"
check_eq "web.log_pki_every = 1: all 60 logged" "$(lines "$T/s1.log" /pki/issuing.crt 200)" 60
check_eq "... unmarked" "$(grep -c ' sampled=' "$T/s1.log" || true)" 0
finish
