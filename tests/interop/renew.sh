#!/bin/bash
# renew.sh - the delegated OCSP responder renewed before it expires, with the
# clock moved by OPENAMS_NOW: `openams ca renew-ocsp`, the server's
# scheduler, running workers picking the new responder up, answers that
# `openssl ocsp` verifies after the original responder's notAfter, the
# expiry in /metrics, and /healthz warning ahead of time (200) and failing
# (503) once the responder certificate has expired.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# 8 days: the renewal window is a quarter of that (2 days), not 30 days.
printf 'ca.ocsp_validity_days = 8\n' >"$T/short.conf"
setup_instance --config "$T/short.conf"
csr ec-p256 good "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
issue_ok "issue a certificate to ask about" good.pem --dir "$D" --csr good.csr --nik 3201010101800001 --email budi@kominfo.go.id
openssl ocsp -issuer "$P/issuing.crt" -cert good.pem -reqout good.req >/dev/null

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
not_after() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s; }
# verifies RESP at TIME: openssl ocsp's verdict on RESP (answering good.req)
verifies() { openssl ocsp -respin "$1" -reqin good.req -CAfile "$P/chain.pem" -attime "$2" 2>&1 || true; }
# responder_of RESP: the serial of the responder certificate included
responder_of() { openssl ocsp -respin "$1" -noverify -resp_text 2>/dev/null |
	sed -n '/Certificate:/,/Signature Algorithm/p' | grep -A1 'Serial Number' | tail -1 | tr -d ' :' | tr 'A-F' 'a-f'; }
db() { sqlite3 "$D/openams.db" "$1"; }

OLD=$(serial_of "$P/ocsp.crt")
cp "$P/ocsp.crt" old-ocsp.crt
OLD_NA=$(not_after "$P/ocsp.crt")
AFTER=$((OLD_NA + 3600))

out=$("$OPENAMS" ca renew-ocsp --dir "$D" --if-due)
check_match "renew-ocsp --if-due: not due 7 days ahead" "$out" "renewed: no"
check_match "... says when it will be" "$out" "renew_at: $(iso $((OLD_NA - 2 * 86400)))"
check_eq "... the responder is unchanged" "$(serial_of "$P/ocsp.crt")" "$OLD"
check "the original responder answers" "$OPENAMS" ca ocsp --dir "$D" --req good.req --out old.resp
check_match "its answer verifies now" "$(verifies old.resp "$(date +%s)")" "Response verify OK"
check_nomatch "but not after its notAfter" "$(verifies old.resp $AFTER)" "Response verify OK"

# --- the scheduler, with the clock inside the renewal window ---------------
serve_at() { # TIME LOG: serve with OPENAMS_NOW=TIME, wait for any HTTP answer
	export OPENAMS_NOW
	OPENAMS_NOW=$(iso "$1")
	PORT=$(free_port)
	"$OPENAMS" serve --dir "$D" --listen "127.0.0.1:$PORT" 2>"$2" &
	SERVER_PID=$!
	BASE=http://127.0.0.1:$PORT
	unset OPENAMS_NOW
	for _ in $(seq 100); do
		[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$BASE/healthz" || true)" != 000 ] && return 0
		sleep 0.1
	done
	nok "the server answers"
	sed 's/^/#   /' "$2" | head -n 20
}
# wait_for DESC CMD...: CMD succeeds within 20 s
wait_for() {
	local desc=$1
	shift
	for _ in $(seq 200); do
		if "$@" >/dev/null 2>&1; then ok "$desc"; return 0; fi
		sleep 0.1
	done
	nok "$desc"
	return 1
}
# renewed_from SERIAL: the store's newest responder is another one
renewed_from() { [ "$(db "SELECT serial FROM ca_cert WHERE role = 'ocsp' ORDER BY id DESC LIMIT 1")" != "$1" ]; }

serve_at $((OLD_NA - 86400)) serve1.log
wait_for "the scheduler renews the responder inside the window" renewed_from "$OLD"
NEW=$(serial_of "$P/ocsp.crt")
NEW_NA=$(not_after "$P/ocsp.crt")
check_eq "the new one is valid ca.ocsp_validity_days from the (moved) clock" "$NEW_NA" $((OLD_NA - 86400 + 8 * 86400))
check_eq "both responders are in the store, the old kept" "$(db "SELECT group_concat(serial) FROM (SELECT serial FROM ca_cert WHERE role = 'ocsp' ORDER BY id)")" "$OLD,$NEW"
check_eq "the renewal is audited" "$(db "SELECT actor || ' ' || action FROM audit WHERE object = 'ca_cert:ocsp:$NEW'")" "scheduler ca.renew"
wait_for "the scheduler says so" grep -q "renewed the OCSP responder certificate (serial $NEW" serve1.log
t=$(openssl x509 -in "$P/ocsp.crt" -noout -text)
check_match "the new certificate: OCSP Signing" "$t" "OCSP Signing"
check_match "the new certificate: id-pkix-ocsp-nocheck" "$t" "OCSP No Check"
pubkey() { openssl x509 -in "$1" -noout -pubkey; }
if [ "$(pubkey old-ocsp.crt)" != "$(pubkey "$P/ocsp.crt")" ]; then ok "the new certificate: a new key pair"; else nok "the new certificate: a new key pair"; fi
curl -fsS --data-binary @good.req -H 'Content-Type: application/ocsp-request' -o new.resp "$BASE/ocsp"
check_eq "the server answers with the new responder" "$(responder_of new.resp)" "$NEW"
check_match "openssl ocsp verifies it after the old responder's notAfter" "$(verifies new.resp $AFTER)" "Response verify OK"
out=$(openssl ocsp -url "$BASE/ocsp" -issuer "$P/issuing.crt" -cert good.pem -CAfile "$P/chain.pem" -attime $AFTER 2>&1 || true)
check_match "openssl ocsp -url: verify OK after the old notAfter" "$out" "Response verify OK"
check_match "openssl ocsp -url: good" "$out" "^good$"
m=$(curl -fsS "$BASE/metrics")
check_match "/metrics: the new responder's notAfter" "$m" "openams_ca_cert_expiry_seconds\\{role=\"ocsp\"\\} $NEW_NA"
check_match "/metrics: the issuing CA's notAfter" "$m" "openams_ca_cert_expiry_seconds\\{role=\"issuing\"\\} $(not_after "$P/issuing.crt")"
check_match "/metrics: the root's notAfter" "$m" "openams_ca_cert_expiry_seconds\\{role=\"root\"\\} $(not_after "$P/root.crt")"
h=$(curl -sS "$BASE/healthz")
check_nomatch "/healthz: no warning once renewed" "$h" "warnings"

# --- on demand, while the server runs: its workers pick it up -------------
out=$(OPENAMS_NOW=$(iso $((OLD_NA - 86400))) "$OPENAMS" ca renew-ocsp --dir "$D")
check_match "renew-ocsp renews on demand" "$out" "renewed: yes"
check_match "... naming the one it replaces" "$out" "previous_serial: $NEW"
NEW2=$(serial_of "$P/ocsp.crt")
check_eq "... audited as the command's" "$(db "SELECT actor || ' ' || action FROM audit WHERE object = 'ca_cert:ocsp:$NEW2'")" "cli ca.renew"
answers_with() {
	curl -fsS --data-binary @good.req -H 'Content-Type: application/ocsp-request' -o cur.resp "$BASE/ocsp" &&
		[ "$(responder_of cur.resp)" = "$1" ]
}
for _ in 1 2 3 4; do # every worker, whichever takes the request
	wait_for "the running server answers with the responder renewed by another process" answers_with "$NEW2"
done
check_match "... and that answer verifies" "$(verifies cur.resp $AFTER)" "Response verify OK"
check "stop the server" stop_server

# --- /healthz ahead of time and too late ------------------------------------
# Without the CA passphrase nothing can be renewed or published.
mv "$D/secrets/ca.pass" "$T/ca.pass"
NEW2_NA=$(not_after "$P/ocsp.crt")
sed -i 's/^ca.expiry_warning_days = .*/ca.expiry_warning_days = 3650/' "$D/openams.conf"
serve_at $((NEW2_NA - 86400)) serve2.log
code=$(curl -sS -o h.json -w '%{http_code}' "$BASE/healthz")
check_eq "/healthz inside the window, renewal failing: still 200" "$code" 200
check_match "... warns about the responder" "$(cat h.json)" '"code": *"ocsp_cert_expiring"'
check_match "... and the issuing CA (ca.expiry_warning_days)" "$(cat h.json)" '"code": *"issuing_cert_expiring"'
check_match "... and the CRL past its nextUpdate" "$(cat h.json)" '"code": *"crl_stale"'
wait_for "the scheduler logs the failed renewal" grep -q "OCSP responder renewal: .*ca.pass" serve2.log
stop_server || true
serve_at $((NEW2_NA + 3600)) serve3.log
code=$(curl -sS -o h.json -w '%{http_code}' "$BASE/healthz")
check_eq "/healthz once the responder has expired: 503" "$code" 503
check_match "... saying why" "$(cat h.json)" '"ocsp_cert_expired"'
stop_server || true
mv "$T/ca.pass" "$D/secrets/ca.pass"
serve_at $((NEW2_NA + 3600)) serve4.log
healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ]; }
wait_for "with the passphrase back, the scheduler renews the expired responder: 200" healthy
out=$(openssl ocsp -url "$BASE/ocsp" -issuer "$P/issuing.crt" -cert good.pem -CAfile "$P/chain.pem" -attime $((NEW2_NA + 7200)) 2>&1 || true)
check_match "openssl ocsp -url verifies after the expired responder's notAfter" "$out" "Response verify OK"
stop_server || true
check "audit verify" "$OPENAMS" audit verify --dir "$D"
finish
