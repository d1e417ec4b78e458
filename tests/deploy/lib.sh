# lib.sh - shared helpers of the deploy tests (sourced, never run alone):
# what ../lib/common.sh gives ($T, ok/nok/check..., new_instance, servers by PID).
# shellcheck shell=bash
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_TAG=deploy
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$HERE/../lib/common.sh"

# rows DB SQL: one value from the database (read-only).
rows() { sqlite3 -readonly "$1" "$2"; }
