#!/bin/bash
# diskfull.sh - a full disk is reported as such ("the disk is full (...)"),
# never as a bare "disk I/O error": by the store (SQLite: SQLITE_FULL, or an
# I/O error whose system error is ENOSPC) and by file writes
# (oa_write_file_atomic).  Once space is back, the instance works and its
# audit log verifies.  The data directory is on a small tmpfs, so the test
# needs root (mount); without it, it is skipped.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

M=$T/mnt  # the data directory's file system
O=$T/out  # another one, for --out files
mkdir -p "$M" "$O"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=4m,mode=0700 tmpfs "$M" 2>/dev/null; then
	echo "ok - # SKIP needs root to mount a tmpfs"
	exit 0
fi
umount_all() {
	for m in "$M" "$O"; do
		mountpoint -q "$m" && { umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; }
	done
}
trap 'umount_all; cleanup' EXIT
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$O"
D=$M/data
new_instance "$D"
cd "$T"
csr ec-p256 a "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
csr ec-p256 b "/C=ID/O=Dinas Kominfo/CN=Ani Lestari" 2>/dev/null
issue_ok "issue before the disk fills" a.pem --dir "$D" --csr a.csr --nik 3201010101800001 --email budi@kominfo.go.id

# Fill the file system to the last block.
dd if=/dev/zero of="$M/fill" bs=64k 2>/dev/null || true
check_match "the tmpfs is full" "$(df --output=avail "$M" | tail -n 1)" "^ *0$"

full() { # DESC CMD...: CMD fails (exit 1) saying the disk is full
	local desc=$1 rc=0 err
	shift
	"$@" >"$T/.full.out" 2>"$T/.full.err" || rc=$?
	err=$(cat "$T/.full.err")
	check_eq "$desc: exit status" "$rc" 1
	check_match "$desc: says the disk is full" "$err" "the disk is full \("
	check_nomatch "$desc: not a bare disk I/O error" "$err" "^openams: [a-z_]+: [^(]*disk I/O error"
}
full "ca issue on a full disk (the store)" \
	"$OPENAMS" ca issue --dir "$D" --csr b.csr --nik 3201010101800002 --email ani@kominfo.go.id --out b.pem
full "ca revoke on a full disk (the store)" \
	"$OPENAMS" ca revoke "$(serial_of a.pem)" --dir "$D" --reason superseded
rm -f "$M/fill"
dd if=/dev/zero of="$O/fill" bs=4k 2>/dev/null || true
full "ca chain --out onto a full disk (a file write)" \
	"$OPENAMS" ca chain --dir "$D" --out "$O/chain.pem"
check_match "the file write names the file and the system error" "$(cat "$T/.full.err")" \
	"the disk is full \(.*chain\.pem: No space left on device\)"
check_not "no temporary file left behind" bash -c "ls '$O' | grep -q 'chain.pem'"

# Space is back: everything works again, nothing was half-written.
issue_ok "issue once space is back" b.pem --dir "$D" --csr b.csr --nik 3201010101800002 --email ani@kominfo.go.id
check "revoke once space is back" "$OPENAMS" ca revoke "$(serial_of a.pem)" --dir "$D" --reason superseded
check "audit log verifies" "$OPENAMS" audit verify --dir "$D"
check "integrity_check" test "$(sqlite3 "$D/openams.db" 'PRAGMA integrity_check')" = ok
finish
