#!/bin/sh
# Makes tests/deploy/fixtures/schema-N.sql for the versions given (default:
# those without a fixture yet).  A committed fixture is never remade: it
# stands for the databases that version left behind.
#   tests/deploy/mkfixtures.sh BUILDDIR [N...]
set -eu
build=${1:?usage: mkfixtures.sh BUILDDIR [N...]}; shift
here=$(cd "$(dirname "$0")" && pwd)
latest=$("$build/src/cli/openams" --version | sed -n 's/.*(schema \([0-9]*\)).*/\1/p')
versions=${*:-$(seq 1 "$latest")}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for n in $versions; do
	out="$here/fixtures/schema-$n.sql"
	if [ -e "$out" ] && [ -z "${FORCE:-}" ]; then continue; fi
	"$build/tests/deploy/mkfixture" "$n" "$tmp/$n.db"
	sqlite3 "$tmp/$n.db" .dump >"$out"
	echo "wrote $out"
done
