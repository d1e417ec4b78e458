#!/bin/bash
# measure.sh - backup and restore times and sizes for docs/DEPLOY.md (not a test):
#   OPENAMS=build/src/cli/openams OPENAMS_SHARE=. tests/deploy/measure.sh [DOCS_MB] [ORGS]
# A demo instance, ORGS agencies added through the CLI (each an audited
# transaction), DOCS_MB one-megabyte documents; then backup and restore, timed.
set -euo pipefail
: "${OPENAMS:?}" "${OPENAMS_SHARE:?}"
docs=${1:-512} orgs=${2:-2000}
T=$(mktemp -d "${TMPDIR:-/tmp}/openams-measure.XXXXXX"); trap 'rm -rf "$T"' EXIT
cd "$T"
"$OPENAMS" init --dir d --demo >/dev/null
for i in $(seq "$orgs"); do "$OPENAMS" org add "m-$i" --name "Dinas $i" --dir d >/dev/null; done
for i in $(seq "$docs"); do
	h=$(printf '%064x' "$i"); mkdir -p "d/docs/${h:0:2}"; head -c 1048576 /dev/urandom >"d/docs/${h:0:2}/$h"
done
printf 'measure-passphrase-1\n' >pp
echo "data directory: $(du -sb d | cut -f1) bytes, database $(stat -c %s d/openams.db) bytes, $(sqlite3 d/openams.db 'SELECT count(*) FROM audit') audit records"
/usr/bin/time -f "backup: %e s wall, %M KiB max RSS" "$OPENAMS" backup --dir d --out b.oab --passphrase-file pp
sync
/usr/bin/time -f "restore: %e s wall, %M KiB max RSS" "$OPENAMS" restore --in b.oab --dir r --passphrase-file pp
/usr/bin/time -f "audit verify: %e s wall" "$OPENAMS" audit verify --dir r
