#!/bin/bash
# openams backup / restore (issue 19, item 3): a backup taken while the server
# runs and other writers write, restored into a new directory, verifies and
# counts; every kind of damage, a wrong passphrase or a non-empty target is
# refused and leaves nothing behind.  Servers and writers are stopped by PID.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$T"
D=$T/data
new_instance "$D" --demo
printf 'backup-passphrase-2026\n' >pp && chmod 600 pp
mkdir -p "$D/docs/ab" && head -c 2000000 /dev/urandom >"$D/docs/ab/ab01" && chmod 600 "$D/docs/ab/ab01"

port=$(free_port)
start_server "$D" "$port" "$T/serve.log"
# a writer: agencies added one after another while the backup runs
( i=0; while :; do i=$((i + 1)); "$OPENAMS" org add "load-$i" --name "Load $i" --dir "$D" >/dev/null 2>&1 || true; done ) &
LOAD_PID=$!
sleep 1
a_before=$(rows "$D/openams.db" "SELECT count(*) FROM audit")
check "backup while the server runs and a writer writes" "$OPENAMS" backup --dir "$D" --out b.oab --passphrase-file pp
sed 's/^/# /' "$T/.check.out"
counted=$(sed -n 's/^counts: //p' "$T/.check.out")
check_match "... and says what its database copy holds" "$counted" \
	'^audit=[0-9]+ head=[0-9a-f]{64} certificates=[0-9]+ cases=[0-9]+ documents=[0-9]+$'
a_after=$(rows "$D/openams.db" "SELECT count(*) FROM audit")
kill "$LOAD_PID"; wait "$LOAD_PID" 2>/dev/null || true
check "the server still answers" curl -fsS -m 5 -o /dev/null "$BASE/healthz"
rc=0; stop_server || rc=$?
check_eq "the server stops cleanly" "$rc" 0
check "the writer wrote during the backup" test "$a_after" -gt "$a_before"
check_eq "the archive is the owner's alone" "$(stat -c %a b.oab)" 600
check_nomatch "no plaintext in the archive" "$(grep -c -a -e 'store.path' -e 'BEGIN CERTIFICATE' -e 'instance.org' b.oab || true)" '^[1-9]'

check "restore into a new directory" "$OPENAMS" restore --in b.oab --dir r --passphrase-file pp
out=$(cat "$T/.check.out"); sed 's/^/# /' "$T/.check.out"
check_match "... prints the audit and the counts" "$out" '^restored r: [0-9]+ files, schema [0-9]+, audit intact \([0-9]+ records'
check_match "... the counts the backup's manifest has, checked" "$out" "^counts: $counted \\(as the backup's manifest says\\)\$"
check "audit verify in the restored directory" "$OPENAMS" audit verify --dir r
n=$(rows r/openams.db "SELECT count(*) FROM audit")
check_eq "... as many records as the backup counted, the same head" \
	"audit=$n head=$(rows r/openams.db "SELECT hash FROM audit WHERE seq = $n")" "${counted%% certificates=*}"
check "... holds the records made before the backup" test "$n" -ge "$a_before"
check "... and none made after it" test "$n" -le "$a_after"
check_eq "... the same chain as the original up to there" \
	"$(rows r/openams.db "SELECT hash FROM audit WHERE seq = $n")" "$(rows "$D/openams.db" "SELECT hash FROM audit WHERE seq = $n")"
check_eq "... every agency it names exists in the original" \
	"$(rows r/openams.db "SELECT count(*) FROM auth_org")" \
	"$(sqlite3 -readonly "$D/openams.db" "ATTACH 'r/openams.db' AS r; SELECT count(*) FROM r.auth_org WHERE id IN (SELECT id FROM main.auth_org)")"
check "the configuration, keys, PKI, SOPs, secrets and documents are there, the same" \
	diff -r -x openams.db -x openams.db-wal -x openams.db-shm -x '*.lock' "$D" r
check_eq "the restored directory is the owner's alone" "$(stat -c %a r) $(stat -c %a r/keys/root.key)" "700 600"
port=$(free_port)
start_server "$T/r" "$port" "$T/serve2.log"
check "the restored instance serves" curl -fsS -m 5 -o /dev/null "$BASE/healthz"
rc=0; stop_server || rc=$?
check_eq "... and stops cleanly" "$rc" 0

# ---- refusals, each leaving nothing ----
refused() { # DESC CODE-REGEX CMD...
	local desc=$1 re=$2 rc=0; shift 2
	"$@" >"$T/r.out" 2>"$T/r.err" || rc=$?
	if [ $rc = 1 ] && grep -Eq -- "$re" "$T/r.err"; then ok "$desc"; else nok "$desc (exit $rc)"; sed 's/^/#   /' "$T/r.err" | head -5; fi
}
printf 'wrong-passphrase-2026\n' >wp
refused "a wrong passphrase" '^openams: denied: wrong passphrase' "$OPENAMS" restore --in b.oab --dir r2 --passphrase-file wp
size=$(stat -c %s b.oab)
cp b.oab flip.oab && printf '\x55' | dd of=flip.oab bs=1 seek=$((size / 2)) conv=notrunc status=none
refused "a changed byte" '^openams: denied: the backup is damaged or was changed' "$OPENAMS" restore --in flip.oab --dir r2 --passphrase-file pp
head -c $((size - 100)) b.oab >cut.oab
refused "a cut-off archive" '^openams: invalid_input: the backup is cut off' "$OPENAMS" restore --in cut.oab --dir r2 --passphrase-file pp
head -c $((1048576 + 64 + 20)) b.oab >cut1.oab
refused "an archive cut after its first chunk" '^openams: invalid_input: ' "$OPENAMS" restore --in cut1.oab --dir r2 --passphrase-file pp
{ cat b.oab; printf 'x'; } >tail.oab
refused "bytes after the last chunk" '^openams: invalid_input: the backup has bytes after' "$OPENAMS" restore --in tail.oab --dir r2 --passphrase-file pp
check "... none of them left a directory" bash -c "! ls -d r2 r2.restore-* 2>/dev/null | grep -q ."
# Someone who knows the passphrase rewrites the manifest's counts: every chunk
# authenticates and every file matches, but the database is not what the
# backup counted.  (The same rewrite changing nothing restores: the tool is sound.)
head=${counted#* head=}
head=${head%% *}
check "a backup rewritten with its passphrase, changing nothing, restores" bash -c \
	"'$PY' '$HERE/rebackup.py' b.oab same.oab pp 'head=$head' 'head=$head' && '$OPENAMS' restore --in same.oab --dir same --passphrase-file pp"
"$PY" "$HERE/rebackup.py" b.oab counts.oab pp "head=$head" "head=$(printf '0%.0s' $(seq 64))"
refused "a manifest whose counts the database does not match" \
	"^openams: invalid_input: the restored database does not hold what the backup counted: audit=[0-9]+ head=$head .* restored, audit=[0-9]+ head=0{64} .* in the manifest" \
	"$OPENAMS" restore --in counts.oab --dir r4 --passphrase-file pp
check_match "... saying the files are there but do not verify" "$(cat "$T/r.err")" 'the files are in r4 but the instance does not verify'
mkdir full && touch full/x
refused "a non-empty target" '^openams: exists: full is not an empty directory' "$OPENAMS" restore --in b.oab --dir full --passphrase-file pp
check_eq "... left as it was" "$(ls full)" x
mkdir empty
check "an empty target directory is fine (given with a trailing slash)" "$OPENAMS" restore --in b.oab --dir empty/ --passphrase-file pp
check "... restored in it, nothing left beside" bash -c "test -f empty/openams.conf && ! ls -d empty/.restore-* empty.restore-* 2>/dev/null | grep -q ."
check "a backup written inside the data directory leaves itself out" "$OPENAMS" backup --dir "$D" --out "$D/self.oab" --passphrase-file pp
check "... and restores" "$OPENAMS" restore --in "$D/self.oab" --dir self --passphrase-file pp
check "... without a copy of itself" test ! -e self/self.oab
rm -f "$D/self.oab"
refused "backup over an existing file" '^openams: exists: b.oab exists' "$OPENAMS" backup --dir "$D" --out b.oab --passphrase-file pp
printf 'short\n' >sp
refused "a short passphrase" '^openams: invalid_input: the backup passphrase must have at least 12' "$OPENAMS" backup --dir "$D" --out s.oab --passphrase-file sp
refused "no passphrase file and no terminal" '^openams: invalid_input: no passphrase' "$OPENAMS" backup --dir "$D" --out s.oab </dev/null
check "... and no archive" test ! -e s.oab
refused "not a backup" '^openams: invalid_input: .*not an openams backup' "$OPENAMS" restore --in pp --dir r3 --passphrase-file pp
check "backup --help" bash -c "'$OPENAMS' backup --help | grep -q '^usage: openams backup'"
check "restore --help" bash -c "'$OPENAMS' restore --help | grep -q '^usage: openams restore'"
finish
