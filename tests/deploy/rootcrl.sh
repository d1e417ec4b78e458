#!/bin/bash
# The root CA's CRL copy (pki/root.crl, /pki/root.crl) is re-signed by the
# server's scheduled CRL duty before its nextUpdate (issue 19), with the
# clock moved by OPENAMS_NOW: half an interval after init nothing is due and
# the root CRL is left alone; half an interval before its nextUpdate the
# scheduler publishes a new one, signed by the root (through the signer),
# with a higher number, thisUpdate the moved clock and nextUpdate
# crl.root_validity_days later, recorded in the store and the audit log and
# served over HTTP.  (With an external root there is no root key: the
# scheduler publishes no root CRL, tests/interop/extroot.sh checks that
# `ca crl --root` is refused.)  Every server is stopped by its PID.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$T"

D=$T/data
P=$D/pki
printf 'crl.root_validity_days = 2\ncrl.interval_minutes = 60\nweb.crl_check_seconds = 1\n' >init.conf
new_instance "$D" --config init.conf
db() { sqlite3 -readonly "$D/openams.db" "$1"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
field() { # FIELD CRLFILE: lastUpdate / nextUpdate (epoch) or crlNumber (decimal)
	case $1 in
	number) printf "%d\n" "$(openssl crl -inform DER -in "$2" -noout -crlnumber | cut -d= -f2)" ;;
	*) date -u -d "$(openssl crl -inform DER -in "$2" -noout "-$1" | cut -d= -f2)" +%s ;;
	esac
}
serve_at() { # TIME LOG: serve with the clock at TIME
	local port
	port=$(free_port)
	export OPENAMS_NOW
	OPENAMS_NOW=$(iso "$1")
	start_server "$D" "$port" "$2"
	unset OPENAMS_NOW
}
# published_root LOG: within 20 s the scheduler says it published the root CRL
published_root() {
	for _ in $(seq 200); do
		grep -q 'published the root CRL' "$1" && return 0
		sleep 0.1
	done
	return 1
}

cp "$P/root.crl" old.crl
OLD_THIS=$(field lastupdate old.crl)
OLD_NEXT=$(field nextupdate old.crl)
OLD_NUM=$(field number old.crl)
check_eq "init's root CRL: nextUpdate crl.root_validity_days (2) after thisUpdate" \
	$((OLD_NEXT - OLD_THIS)) $((2 * 86400))

# Half an interval after init: not due.
serve_at $((OLD_THIS + 1800)) s1.log
sleep 3
check_match "the scheduler runs (half an interval after init)" "$(cat s1.log)" 'runs the scheduled duties'
check_nomatch "... and publishes no root CRL: not due" "$(cat s1.log)" 'published the root CRL'
check_eq "... pki/root.crl unchanged" "$(sha256sum <"$P/root.crl")" "$(sha256sum <old.crl)"
rc=0; stop_server || rc=$?
check_eq "... the server stops cleanly" "$rc" 0

# Half an interval before the root CRL's nextUpdate: due, re-signed.
NOW=$((OLD_NEXT - 1800))
serve_at "$NOW" s2.log
check "half an interval before its nextUpdate the scheduler publishes the root CRL" published_root s2.log
curl -fsS -m 5 -o http.crl "$BASE/pki/root.crl" || true
rc=0; stop_server || rc=$?
check_eq "... the server stops cleanly" "$rc" 0
check "the new root CRL verifies against the root" \
	openssl crl -inform DER -in "$P/root.crl" -CAfile "$P/root.crt" -noout
check_eq "... its number is higher" "$(field number "$P/root.crl")" $((OLD_NUM + 1))
check_eq "... thisUpdate is the (moved) clock" "$(field lastupdate "$P/root.crl")" "$NOW"
check_eq "... nextUpdate crl.root_validity_days after it, past the old one" \
	"$(field nextupdate "$P/root.crl")" $((NOW + 2 * 86400))
check_eq "... the issuer's latest in the store" \
	"$(db "SELECT number || ' ' || this_update || ' ' || next_update FROM crl WHERE issuer = 'root' ORDER BY number DESC LIMIT 1")" \
	"$((OLD_NUM + 1)) $NOW $((NOW + 2 * 86400))"
check_eq "... audited" "$(db "SELECT count(*) FROM audit WHERE action = 'crl.publish' AND object = 'crl:root:$((OLD_NUM + 1))'")" 1
check_eq "... served at /pki/root.crl" "$(sha256sum <http.crl)" "$(sha256sum <"$P/root.crl")"
check "audit verify" "$OPENAMS" audit verify --dir "$D"
finish
