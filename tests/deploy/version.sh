#!/bin/bash
# `openams --version` / `openams version` print meson's project version;
# an instance whose database is newer than this build is refused by every
# command with a stable code and a clear message, and is left as it was.
set -u
want=$1
fails=0
check() { local what=$1; shift; if "$@"; then echo "ok $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

out=$("$OPENAMS" --version); echo "$out"
check "--version prints the project version" grep -Eq "^openams $want \(schema [0-9]+\)$" <<<"$out"
check "version == --version" test "$("$OPENAMS" version)" = "$out"
rc=0; "$OPENAMS" --version extra >/dev/null 2>&1 || rc=$?
check "--version takes no arguments (exit 2)" test $rc = 2
check "help lists version" bash -c "'$OPENAMS' --help | grep -q '^  version '"
latest=$(sed -n 's/.*(schema \([0-9]*\)).*/\1/p' <<<"$out")

"$OPENAMS" init --dir "$T/i" >"$T/init.out" 2>&1 || { cat "$T/init.out"; echo "FAIL init"; exit 1; }
check "a new instance verifies" "$OPENAMS" audit verify --dir "$T/i"
# CA keys at rest: PBKDF2 with 600,000 iterations (OWASP 2023), unless
# --version says this is a test build that lowered it (meson option
# key_kdf_iterations; scripts/test.sh's ASan build).
iter=$(sed -n 's/^test build: CA keys sealed with \([0-9]*\) PBKDF2 iterations.*/\1/p' <<<"$out")
iter=${iter:-600000}
got=$(openssl asn1parse -in "$T/i/keys/issuing.key" | sed -n '/:PBKDF2$/,/INTEGER/s/.*INTEGER *://p' | head -n1)
check "issuing.key: PBES2 with PBKDF2, $iter iterations (found 0x$got)" test "$((16#${got:-0}))" = "$iter"
db="$T/i/openams.db"   # store.path's default
check "database found" test -f "$db"
check "new instance at the latest schema" test "$(sqlite3 "$db" 'SELECT max(version) FROM schema_version')" = "$latest"
sqlite3 "$db" "INSERT INTO schema_version VALUES ($((latest + 1)), 'future', 0)"
before=$(sqlite3 "$db" 'SELECT count(*), max(version) FROM schema_version; SELECT count(*) FROM audit')
rc=0; "$OPENAMS" audit verify --dir "$T/i" >"$T/out" 2>"$T/err" || rc=$?
cat "$T/err"
check "newer database: exit 1" test $rc = 1
check "newer database: stable code and message" grep -q "^openams: state: the database's schema version $((latest + 1)) is newer than this openams knows ($latest)" "$T/err"
rc=0; "$OPENAMS" ca list --dir "$T/i" >/dev/null 2>"$T/err2" || rc=$?
check "ca list refuses it too" bash -c "test $rc = 1 && grep -q 'newer than this openams' '$T/err2'"
check "the refused database is unchanged" test "$(sqlite3 "$db" 'SELECT count(*), max(version) FROM schema_version; SELECT count(*) FROM audit')" = "$before"

echo "$fails failed"
[ $fails = 0 ]
