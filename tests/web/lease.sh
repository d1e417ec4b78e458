#!/bin/bash
# lease.sh - two `openams serve` on one database (issue 20, "scheduled duties
# run once"): only the holder of the "scheduler" lease publishes CRLs and
# runs the other duties; the other says it leaves them to another process.
# The holder killed with SIGKILL: the other one (same host, the holder's PID
# gone) takes the duties over within a round and publishes the next CRL; a
# clean stop (SIGTERM) gives the lease up and a newly started server takes
# it at once.  Every process is ended by its PID.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

D=$T/data
# A CRL is always due (interval above validity) and the scheduler runs every second.
printf 'crl.validity_hours = 1\ncrl.interval_minutes = 120\nweb.crl_check_seconds = 1\n' >"$T/init.conf"
new_instance "$D" --config "$T/init.conf"
db() { sqlite3 "$D/openams.db" "$1"; }
holder_pid() { db "SELECT holder FROM lease WHERE name = 'scheduler'" | cut -d: -f2; }
crls() { db "SELECT COUNT(*) FROM crl"; }

A= B=
stop_all() { for p in $A $B; do kill -KILL "$p" 2>/dev/null || true; done; cleanup; }
trap stop_all EXIT
P1=$(free_port)
start_server "$D" "$P1" "$T/s1.log"
A=$SERVER_PID
P2=$(free_port)
start_server "$D" "$P2" "$T/s2.log"
B=$SERVER_PID
for _ in $(seq 50); do
	grep -q "scheduled duties" "$T/s2.log" && break
	sleep 0.1
done
check_eq "the first server holds the scheduler lease" "$(holder_pid)" "$A"
check_match "... and says it runs the scheduled duties" "$(cat "$T/s1.log")" "this process runs the scheduled duties"
check_match "the second leaves them to another process" "$(cat "$T/s2.log")" "another process runs the scheduled duties"
sleep 3
check_match "the holder publishes CRLs" "$(cat "$T/s1.log")" "published the issuing CRL"
check_nomatch "the other publishes none" "$(cat "$T/s2.log")" "published the"

# The holder dies without a word: the other takes over (its PID is gone).
kill -KILL "$A"
wait "$A" 2>/dev/null || true
n0=$(crls)
for _ in $(seq 100); do
	[ "$(holder_pid)" = "$B" ] && [ "$(crls)" -gt "$n0" ] && break
	sleep 0.1
done
check_eq "after SIGKILL of the holder, the other holds the lease" "$(holder_pid)" "$B"
check "... and publishes the next CRL within 10 s" test "$(crls)" -gt "$n0"
check_match "... and says so" "$(cat "$T/s2.log")" "this process runs the scheduled duties"

# A clean stop gives the lease up; a new server takes it at once.
SERVER_PID=$B
check "the holder stops cleanly (exit 0)" stop_server
check_eq "a clean stop gives the lease up" "$(db "SELECT COUNT(*) FROM lease WHERE name = 'scheduler'")" 0
P3=$(free_port)
start_server "$D" "$P3" "$T/s3.log"
for _ in $(seq 50); do
	[ "$(holder_pid)" = "$SERVER_PID" ] && break
	sleep 0.1
done
check_eq "a new server takes the free lease at once" "$(holder_pid)" "$SERVER_PID"
check "it stops cleanly" stop_server
check "audit verify" "$OPENAMS" audit verify --dir "$D"
finish
