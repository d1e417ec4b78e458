#!/bin/bash
# Bootstrap and administration from the command line (issue 19, item 1):
# `openams init` with the first administrator, and `openams org|person|role|sop`
# with the API's rules, limits and audit records; bad input changes nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$T"
D=$T/data
DB=$D/openams.db
SOP001=$OPENAMS_SHARE/sop/001-penerbitan-meranti.yaml
printf 'Kuat-Sekali-Rahasia-2026\n' >pw && chmod 600 pw
printf 'Kopi-Hitam-Yang-Panjang-77\n' >pw2 && chmod 600 pw2
printf 'abc\n' >weak

# ---- init and the first administrator ----
rc=0; "$OPENAMS" init --dir "$T/w" --admin-email root@kominfo.go.id --admin-name "Ani Admin" \
	--admin-password-file weak >out 2>err || rc=$?
check_eq "a weak first password: exit 1" "$rc" 1
check_match "... naming the password rule" "$(cat err)" '^openams: invalid_input: first administrator: .*'
check "... and no instance is left" test ! -e "$T/w/openams.db"
rc=0; "$OPENAMS" init --dir "$T/n" --admin-email root@kominfo.go.id --admin-name "Ani" </dev/null \
	>out 2>err || rc=$?
check_eq "no password file and no terminal: exit 1" "$rc" 1
check_match "... says how to give it" "$(cat err)" 'password-file FILE'
check "... before anything is made" test ! -e "$T/n"
rc=0; "$OPENAMS" init --dir "$T/u" --admin-email root@kominfo.go.id >out 2>err || rc=$?
check_eq "--admin-email without --admin-name: usage (2)" "$rc" 2
check "init --help lists --admin-email" bash -c "'$OPENAMS' init --help | grep -q -- '--admin-password-file'"

new_instance "$D" --admin-email Root@Kominfo.go.id --admin-name "Ani Administrator" \
	--admin-id ani --admin-password-file pw
check_match "init names the first administrator" "$(cat "$T/.init.out")" 'first administrator: ani'
show=$("$OPENAMS" person show ani --dir "$D")
check_match "the administrator: staff-only, password, must enrol TOTP" "$show" \
	'^flags: staff,password,must-enrol-totp$'
check_match "... e-mail stored lower-case" "$show" '^email: root@kominfo.go.id$'
check_eq "... holds admin and ca_operator" "$("$OPENAMS" role list --dir "$D" --person ani | sort | tr '\n' ' ')" \
	"ani	admin ani	ca_operator "
check_eq "... created by init, audited" "$(rows "$DB" "SELECT group_concat(action, ' ') FROM (SELECT action FROM audit WHERE actor = 'init' AND (object = 'ani' OR object LIKE 'ani@%') ORDER BY seq)")" \
	"person.create password.set person.totp_required role.grant role.grant"
check_nomatch "the password is in no file of the instance" "$(grep -rl 'Kuat-Sekali-Rahasia' "$D" || true)" '.'
org=$(sed -n 's/^instance\.org *= *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$D/openams.conf" | head -1)
[ -n "$org" ] || org=$(rows "$DB" "SELECT org FROM auth_person WHERE id = 'ani'")

# ---- --as: an account that must enrol TOTP holds no role yet ----
rc=0; "$OPENAMS" org add dinas-x --name "Dinas X" --dir "$D" --as ani >out 2>err || rc=$?
check_eq "--as the administrator before TOTP enrolment: refused" "$rc" 1
check_match "... denied" "$(cat err)" '^openams: denied: --as ani: not an enabled administrator'

# ---- org ----
a0=$(rows "$DB" "SELECT count(*) FROM audit")
check "org add" "$OPENAMS" org add dinas-x --name "Dinas X" --dir "$D"
check_eq "... audited as cli" "$(rows "$DB" "SELECT actor || ' ' || action || ' ' || object FROM audit ORDER BY seq DESC LIMIT 1")" "cli org.create dinas-x"
rc=0; "$OPENAMS" org add dinas-x --name "Again" --dir "$D" >out 2>err || rc=$?
check_eq "org add of an existing id: exit 1" "$rc" 1
check_match "... exists" "$(cat err)" '^openams: exists: '
rc=0; "$OPENAMS" org add 'Bad Id' --name "X" --dir "$D" >out 2>err || rc=$?
check_match "org add of a bad id: invalid_input" "$(cat err)" '^openams: invalid_input: '
check_eq "... nothing recorded by the refusals" "$(rows "$DB" "SELECT count(*) FROM audit")" "$((a0 + 1))"
check_match "org list" "$("$OPENAMS" org list --dir "$D")" $'^dinas-x\tDinas X\t'
check_match "org show" "$("$OPENAMS" org show dinas-x --dir "$D")" $'^dinas-x\tDinas X\t'
rc=0; "$OPENAMS" org show nope --dir "$D" >out 2>err || rc=$?
check_match "org show of none: not_found" "$(cat err)" '^openams: not_found: '
check_eq "org: usage error exits 2" "$(rc=0; "$OPENAMS" org add --dir "$D" >/dev/null 2>&1 || rc=$?; echo $rc)" 2

# ---- sop install / list / activate ----
vid=$("$OPENAMS" sop install "$SOP001" --org dinas-x --activate --dir "$D")
check_match "sop install prints the version id" "$vid" '^[0-9]+$'
check_eq "... the same text again is the same version" "$("$OPENAMS" sop install "$SOP001" --org dinas-x --dir "$D")" "$vid"
check_match "sop list --active" "$("$OPENAMS" sop list --org dinas-x --active --dir "$D")" "^$vid	[^	]+	1	issuance	active	"
sed 's/^actors:/actorz:/' "$SOP001" >bad.yaml
n0=$(rows "$DB" "SELECT count(*) FROM sop_version")
rc=0; "$OPENAMS" sop install bad.yaml --org dinas-x --dir "$D" >out 2>err || rc=$?
check_eq "sop install of an invalid file: exit 1" "$rc" 1
check_match "... FILE:LINE: messages" "$(cat err)" '^bad.yaml:[0-9]+: '
head -c 600000 /dev/zero | tr '\0' 'a' >big.yaml
rc=0; "$OPENAMS" sop install big.yaml --org dinas-x --dir "$D" >out 2>err || rc=$?
check_match "sop install over the size limit: limit" "$(cat err)" '^openams: limit: '
printf 'id: x\x01\n' >ctl.yaml
rc=0; "$OPENAMS" sop install ctl.yaml --org dinas-x --dir "$D" >out 2>err || rc=$?
check_match "sop install of non-text: invalid_input" "$(cat err)" '^openams: invalid_input: ctl.yaml: not YAML text'
check_eq "... no version added by the refusals" "$(rows "$DB" "SELECT count(*) FROM sop_version")" "$n0"
check "sop activate" "$OPENAMS" sop activate "$vid" --dir "$D"
rc=0; "$OPENAMS" sop activate 99999 --dir "$D" >out 2>err || rc=$?
check_match "sop activate of none: not_found" "$(cat err)" '^openams: not_found: no SOP version 99999'
check "sop check still works without an instance" "$OPENAMS" sop check "$SOP001"

# ---- person ----
check "person add (applicant, with a password)" "$OPENAMS" person add --id budi --org dinas-x \
	--name "Budi Santoso" --nik 3201011505900001 --email budi@dinas-x.go.id --password-file pw2 --dir "$D"
check_match "... has a password" "$("$OPENAMS" person show budi --dir "$D")" '^flags: password$'
p0=$(rows "$DB" "SELECT count(*) FROM auth_person"); a0=$(rows "$DB" "SELECT count(*) FROM audit")
rc=0; "$OPENAMS" person add --id siti --org dinas-x --name "Siti" --nik 123 --email siti@dinas-x.go.id \
	--dir "$D" >out 2>err || rc=$?
check_match "a bad NIK: invalid_input" "$(cat err)" '^openams: invalid_input: .*NIK'
rc=0; "$OPENAMS" person add --id siti --org dinas-x --name "Siti" --nik 3201014603880002 \
	--email budi@dinas-x.go.id --dir "$D" >out 2>err || rc=$?
check_match "a taken e-mail: exists" "$(cat err)" '^openams: exists: '
rc=0; "$OPENAMS" person add --id siti --org dinas-x --name "Siti Aminah" --nik 3201014603880002 \
	--email siti@dinas-x.go.id --password-file weak --dir "$D" >out 2>err || rc=$?
check_match "a weak password: invalid_input" "$(cat err)" '^openams: invalid_input: '
check_eq "... and no account left behind (one transaction)" "$(rows "$DB" "SELECT count(*) FROM auth_person")" "$p0"
check_eq "... nothing audited by the refusals" "$(rows "$DB" "SELECT count(*) FROM audit")" "$a0"
check_match "person list" "$("$OPENAMS" person list --org dinas-x --dir "$D")" $'^budi\tdinas-x\tBudi Santoso\tbudi@dinas-x.go.id\tpassword$'

# ---- role ----
check "role grant of an SOP actor" "$OPENAMS" role grant budi pemohon --org dinas-x --dir "$D"
rc=0; "$OPENAMS" role grant budi pemohon --org dinas-x --dir "$D" >out 2>err || rc=$?
check_match "granting a role held: exists" "$(cat err)" '^openams: exists: '
rc=0; "$OPENAMS" role grant budi juru_masak --org dinas-x --dir "$D" >out 2>err || rc=$?
check_match "a role no SOP declares: invalid_input" "$(cat err)" "^openams: invalid_input: role 'juru_masak'"
rc=0; "$OPENAMS" role grant budi admin --org dinas-x --dir "$D" >out 2>err || rc=$?
check_match "admin for an applicant account: policy" "$(cat err)" '^openams: policy: budi is an applicant account'
check_eq "role list" "$("$OPENAMS" role list --org dinas-x --dir "$D")" "budi	pemohon"
check "role revoke" "$OPENAMS" role revoke budi pemohon --org dinas-x --dir "$D"
rc=0; "$OPENAMS" role revoke budi pemohon --org dinas-x --dir "$D" >out 2>err || rc=$?
check_match "revoking a role not held: not_found" "$(cat err)" '^openams: not_found: '

# ---- an agency's own administrator, --as ----
check "a staff account for dinas-x" "$OPENAMS" person add --id adm-x --org dinas-x --name "Admin X" \
	--email adm-x@dinas-x.go.id --staff-only --password-file pw --dir "$D"
check "... made its administrator" "$OPENAMS" role grant adm-x admin --org dinas-x --dir "$D"
check "--as adm-x lists dinas-x's people" "$OPENAMS" person list --dir "$D" --as adm-x
rc=0; "$OPENAMS" person list --org "$org" --dir "$D" --as adm-x >out 2>err || rc=$?
check_match "--as adm-x may not list another agency" "$(cat err)" '^openams: denied: adm-x may not administer agency'
rc=0; "$OPENAMS" org add dinas-y --name Y --dir "$D" --as adm-x >out 2>err || rc=$?
check_match "--as adm-x may not add agencies" "$(cat err)" '^openams: denied: only the instance'
check "--as adm-x disables budi" "$OPENAMS" person disable budi --dir "$D" --as adm-x
check_eq "... audited as adm-x" "$(rows "$DB" "SELECT actor || ' ' || action || ' ' || object FROM audit ORDER BY seq DESC LIMIT 1")" "adm-x person.disable budi"
check_match "... shown disabled" "$("$OPENAMS" person show budi --dir "$D")" '^flags: disabled,password$'
check "person enable" "$OPENAMS" person enable budi --dir "$D"
check "person require-totp" "$OPENAMS" person require-totp budi --dir "$D"
check_match "... shown" "$("$OPENAMS" person show budi --dir "$D")" '^flags: password,must-enrol-totp$'
check "person require-totp --off" "$OPENAMS" person require-totp budi --off --dir "$D"
check "person password from a file" "$OPENAMS" person password budi --password-file pw --dir "$D"
rc=0; "$OPENAMS" person password budi --dir "$D" </dev/null >out 2>err || rc=$?
check_match "person password with no file and no terminal: refused" "$(cat err)" '^openams: invalid_input: no password'
for c in org person role; do
	check "$c --help" bash -c "'$OPENAMS' $c --help | grep -q '^usage: openams $c'"
done
check "sop install --help" bash -c "'$OPENAMS' sop install --help | grep -q 'openams sop install'"

check "audit verify after all of it" "$OPENAMS" audit verify --dir "$D"

# ---- which shipped SOPs an agency follows (issue 21, portal item 4) ----
nshipped=$(ls "$OPENAMS_SHARE"/sop/*.yaml | wc -l)
"$OPENAMS" init --dir "$T/s0" >out
check_eq "init: every shipped SOP installed" "$("$OPENAMS" sop list --dir "$T/s0" | wc -l)" "$nshipped"
check_eq "... none active (no example offered before the agency adopts it)" \
	"$("$OPENAMS" sop list --dir "$T/s0" --active | wc -l)" 0
check_match "... and init says how to activate them" "$(cat out)" 'none active: activate'
"$OPENAMS" init --dir "$T/s1" --sops meranti-penerbitan,meranti-pencabutan >out
check_eq "init --sops A,B: those two active" \
	"$("$OPENAMS" sop list --dir "$T/s1" --active | cut -f2 | sort | tr '\n' ' ')" \
	"meranti-pencabutan meranti-penerbitan "
check_eq "... the others installed" "$("$OPENAMS" sop list --dir "$T/s1" | wc -l)" "$nshipped"
rc=0; "$OPENAMS" init --dir "$T/s2" --sops meranti-penerbitan,tidak-ada >out 2>err || rc=$?
check_eq "init --sops with an unknown id: exit 1" "$rc" 1
check_match "... naming it" "$(cat err)" "no shipped SOP definition has id 'tidak-ada'"
check "... and no instance is left" test ! -e "$T/s2"
"$OPENAMS" init --dir "$T/s3" --demo >out
check_eq "init --demo: every shipped SOP active" \
	"$("$OPENAMS" sop list --dir "$T/s3" --active | wc -l)" "$nshipped"
finish
