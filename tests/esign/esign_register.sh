#!/bin/bash
# esign_register.sh - POST /api/v2/user/registration (the guide's 6.8;
# docs/ESIGN_API.md): the guide's request ({"nama", "email"}) plus the NIK
# openams needs makes the account in the client application's agency and
# opens that agency's issuance SOP case for it; an existing account of the
# same NIK and e-mail gets the case; and the refusals: duplicates (an open
# case, a NIK with another e-mail, an e-mail with another NIK, an account
# of another agency, a holder with a certificate), bad fields, bad JSON,
# wrong credentials, an agency without an issuance SOP.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_TAG=esign-register
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$HERE/../lib/common.sh"
: "${ESIGN_FIXTURE:?ESIGN_FIXTURE names the fixture program}"

D=$T/data
new_instance "$D" --demo
cat >>"$D/openams.conf" <<'CONF'
keys.argon2_memory_kib = 64
keys.argon2_iterations = 1
keys.argon2_parallelism = 1
CONF
cd "$T"
ORG=kominfo
NIK_NEW=3201015505900011
NIK_OLD=3201015505900012
NIK_CERT=3201015505900001
check "holder with a certificate" "$ESIGN_FIXTURE" "$D" "$NIK_CERT" 'kopi tubruk di pagi hari 7'
check "a person registered at the desk" "$OPENAMS" person add --dir "$D" --id siti \
	--name "Siti Aminah" --email siti.aminah@kominfo.go.id --org "$ORG" --nik "$NIK_OLD"
check "an agency without SOPs" "$OPENAMS" org add kosong --name "Dinas Tanpa SOP" --dir "$D"
client_add() { # client_add ORG USERNAME: prints the secret
	"$OPENAMS" sign client add --dir "$D" --org "$1" --username "$2" | sed -n 's/^secret: //p'
}
SECRET=$(client_add "$ORG" eoffice)
EMPTY=$(client_add kosong kosong-app)

PORT=$(free_port)
start_server "$D" "$PORT" "$T/serve.log"
req() { # req NAME WANT_STATUS OUTFILE curl-args...
	local name=$1 want=$2 out=$3 got
	shift 3
	got=$(curl -sS -m 60 -o "$out" -w '%{http_code}' "$@") || got=curl-failed
	check_eq "$name: HTTP $want" "$want" "$got"
}
jf() { jq -r "$1" "$2" 2>/dev/null || echo "not-json"; }
AUTH=(-u "eoffice:$SECRET" -H 'Content-Type: application/json')
URL=$BASE/api/v2/user/registration
reg() { # reg NAME STATUS CODE JSON
	req "$1" "$2" e.json "${AUTH[@]}" -d "$4" "$URL"
	check_eq "$1: code" "$3" "$(jf .code e.json)"
}
cases_of() { # cases_of NIK: open cases whose applicant has this NIK
	sqlite3 "$D/openams.db" "SELECT count(*) FROM sop_case WHERE applicant_nik = '$1' AND state = 'open'"
}

# ---- a new person --------------------------------------------------------------
req "register (the guide's 6.8 request and a NIK)" 200 r.json "${AUTH[@]}" \
	-d "{\"nama\":\"Budi Santoso\",\"email\":\"budi.santoso@kominfo.go.id\",\"nik\":\"$NIK_NEW\"}" "$URL"
check_eq "status_code" 200 "$(jf .status_code r.json)"
check_match "message" "$(jf .message r.json)" 'Pendaftaran berhasil'
check_eq "data.nama" "Budi Santoso" "$(jf .data.nama r.json)"
check_eq "data.email" budi.santoso@kominfo.go.id "$(jf .data.email r.json)"
check_eq "data.nik" "$NIK_NEW" "$(jf .data.nik r.json)"
check_eq "data.username: the e-mail's local part" budi.santoso "$(jf .data.username r.json)"
check_eq "data.new_account" true "$(jf .data.new_account r.json)"
check_match "data.case_id" "$(jf .data.case_id r.json)" '^[1-9][0-9]*$'
check_eq "data.sop: the agency's issuance SOP" "$(sqlite3 "$D/openams.db" \
	"SELECT v.sop_id FROM sop_version v WHERE v.org = '$ORG' AND v.active = 1 AND v.kind = 'issuance'")" \
	"$(jf .data.sop r.json)"
check_eq "data.step: the SOP's first step" 1 "$(jf .data.step r.json)"
check_eq "data.status" WAITING_FOR_VERIFICATION "$(jf .data.status r.json)"
CASE=$(jf .data.case_id r.json)
SHOW=$("$OPENAMS" case show --dir "$D" "$CASE" 2>&1 || true)
check_match "the case is open for the new account" "$SHOW" 'budi.santoso'
check_eq "one open case for the NIK" 1 "$(cases_of "$NIK_NEW")"
check_eq "the account is in the client's agency" "$ORG" \
	"$(sqlite3 "$D/openams.db" "SELECT org FROM auth_person WHERE nik = '$NIK_NEW'")"
check_match "the account holds the applicant role" \
	"$(sqlite3 "$D/openams.db" "SELECT role FROM auth_role WHERE person = 'budi.santoso'")" 'pemohon'
check_match "audited with the client" \
	"$(sqlite3 "$D/openams.db" "SELECT detail FROM audit WHERE action = 'esign.registration'")" \
	"nik=$NIK_NEW person=budi.santoso new_account=1 .*client=eoffice"

req "check status: waiting for verification" 200 s.json "${AUTH[@]}" -d "{\"nik\":\"$NIK_NEW\"}" \
	"$BASE/api/v2/user/check/status"
check_eq "check status: WAITING_FOR_VERIFICATION" WAITING_FOR_VERIFICATION "$(jf .status s.json)"
req "check status by e-mail" 200 s.json "${AUTH[@]}" -d '{"email":"budi.santoso@kominfo.go.id"}' \
	"$BASE/api/v2/user/check/status"
check_eq "check status by e-mail: WAITING_FOR_VERIFICATION" WAITING_FOR_VERIFICATION "$(jf .status s.json)"
reg "again: the case is open" 409 ALREADY_REGISTERED \
	"{\"nama\":\"Budi Santoso\",\"email\":\"budi.santoso@kominfo.go.id\",\"nik\":\"$NIK_NEW\"}"
check_eq "still one open case" 1 "$(cases_of "$NIK_NEW")"
reg "the NIK with another e-mail" 409 ALREADY_REGISTERED \
	"{\"nama\":\"Budi\",\"email\":\"budi.lain@kominfo.go.id\",\"nik\":\"$NIK_NEW\"}"
reg "the e-mail with another NIK" 409 ALREADY_REGISTERED \
	"{\"nama\":\"Budi\",\"email\":\"budi.santoso@kominfo.go.id\",\"nik\":\"3201015505900099\"}"
check_eq "no account for that NIK" 0 \
	"$(sqlite3 "$D/openams.db" "SELECT count(*) FROM auth_person WHERE nik = '3201015505900099'")"

# ---- an account made at the desk ------------------------------------------------
req "register a person who has an account" 200 r.json "${AUTH[@]}" \
	-d "{\"nama\":\"Siti\",\"email\":\"Siti.Aminah@kominfo.go.id\",\"nik\":\"$NIK_OLD\"}" "$URL"
check_eq "existing account: new_account" false "$(jf .data.new_account r.json)"
check_eq "existing account: its user name" siti "$(jf .data.username r.json)"
check_eq "existing account: its name" "Siti Aminah" "$(jf .data.nama r.json)"
check_eq "existing account: one open case" 1 "$(cases_of "$NIK_OLD")"

# ---- refusals -------------------------------------------------------------------
reg "a holder with a certificate" 409 ALREADY_CERTIFIED \
	"{\"nama\":\"Pejabat\",\"email\":\"pejabat0001@kominfo.go.id\",\"nik\":\"$NIK_CERT\"}"
reg "no NIK" 400 INVALID_REQUEST '{"nama":"Ani","email":"ani@kominfo.go.id"}'
reg "NIK not 16 digits" 400 INVALID_REQUEST '{"nama":"Ani","email":"ani@kominfo.go.id","nik":"12345"}'
reg "no nama" 400 INVALID_REQUEST '{"email":"ani@kominfo.go.id","nik":"3201015505900013"}'
reg "nama not a string" 400 INVALID_REQUEST '{"nama":7,"email":"ani@kominfo.go.id","nik":"3201015505900013"}'
reg "no email" 400 INVALID_REQUEST '{"nama":"Ani","nik":"3201015505900013"}'
reg "a bad e-mail" 400 INVALID_REQUEST '{"nama":"Ani","email":"ani-at-kominfo","nik":"3201015505900013"}'
reg "a bad NIP" 400 INVALID_REQUEST '{"nama":"Ani","email":"ani@kominfo.go.id","nik":"3201015505900013","nip":"12"}'
reg "bad JSON" 400 INVALID_REQUEST '{"nama":'
reg "not an object" 400 INVALID_REQUEST '["Ani"]'
check_eq "no account made by a refusal" 0 \
	"$(sqlite3 "$D/openams.db" "SELECT count(*) FROM auth_person WHERE nik = '3201015505900013'")"
req "wrong credentials" 401 e.json -u "eoffice:oas_wrong" -H 'Content-Type: application/json' \
	-d '{"nama":"Ani","email":"ani@kominfo.go.id","nik":"3201015505900013"}' "$URL"
check_eq "wrong credentials: code" UNAUTHORIZED "$(jf .code e.json)"
req "an agency without an issuance SOP" 409 e.json -u "kosong-app:$EMPTY" -H 'Content-Type: application/json' \
	-d '{"nama":"Ani","email":"ani@kominfo.go.id","nik":"3201015505900013"}' "$URL"
check_eq "no issuance SOP: code" NO_ISSUANCE_SOP "$(jf .code e.json)"
check_eq "still no account for that NIK" 0 \
	"$(sqlite3 "$D/openams.db" "SELECT count(*) FROM auth_person WHERE nik = '3201015505900013'")"
check "audit chain intact" "$OPENAMS" audit verify --dir "$D"

stop_server || true
finish
