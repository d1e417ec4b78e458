#!/bin/bash
# signers.sh - signer.processes: how many signer processes `openams serve`
# runs.  Each OCSP request (no response cache, no nonce needed) is one
# signing operation; after a few of them the serve process's children that
# are `openams __signer` are counted through /proc.
#   web.threads = 1, signer.processes = 0 (the default): the one worker's
#                   own signer, 1 process;
#   web.threads = 1, signer.processes = 3: 3 processes, taken in turn;
#   web.threads = 4, signer.processes = 1: concurrent requests on four
#                   workers share 1 process;
# and a responder renewed by `openams ca renew-ocsp` restarts both shared
# signers of a server with signer.processes = 2.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

D=$T/data
printf 'web.ocsp_cache_seconds = 0\n' >"$T/init.conf"
new_instance "$D" --config "$T/init.conf"
cd "$T"
csr good "/C=ID/O=Dinas Kominfo/CN=Budi Santoso" 2>/dev/null
"$OPENAMS" ca issue --dir "$D" --csr good.csr --nik 3201010101800001 --email budi@kominfo.go.id --out good.pem >/dev/null
openssl ocsp -issuer "$D/pki/issuing.crt" -cert good.pem -no_nonce -reqout good.req >/dev/null

# set KEY VALUE: one option of the instance's openams.conf.
set_opt() {
	if grep -q "^$1 = " "$D/openams.conf"; then
		sed -i "s|^$1 = .*|$1 = $2|" "$D/openams.conf"
	else
		printf '%s = %s\n' "$1" "$2" >>"$D/openams.conf"
	fi
}

# signer_pids PID: the children of PID that run `openams __signer`.
signer_pids() {
	local p stat
	for p in /proc/[0-9]*; do
		stat=$(cat "$p/stat" 2>/dev/null) || continue
		stat=${stat##*) }            # "STATE PPID ..." after "PID (COMM) "
		[ "$(cut -d' ' -f2 <<<"$stat")" = "$1" ] || continue
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- '__signer' && echo "${p#/proc/}"
	done | sort | tr '\n' ' '
}
# signers PID: how many.
signers() { wc -w <<<"$(signer_pids "$1")" | tr -d ' '; }

# ocsp N [PARALLEL]: N OCSP requests, all answered "successful" or not.
ocsp() {
	local n=$1 par=${2:-1} bad=0 i
	for i in $(seq "$n"); do
		curl -sS -m 20 -o "$T/resp.$i" -H 'Content-Type: application/ocsp-request' \
			--data-binary @good.req "$BASE/ocsp" &
		if [ $((i % par)) -eq 0 ]; then
			wait
		fi
	done
	wait
	for i in $(seq "$n"); do
		openssl ocsp -respin "$T/resp.$i" -resp_text -noverify 2>/dev/null |
			grep -q 'Cert Status: good' || bad=$((bad + 1))
	done
	echo "$bad"
}

# run THREADS PROCESSES REQUESTS PARALLEL: the number of signer processes
# after the requests, printed as "signers=N bad=M".
run() {
	local port bad n
	set_opt web.threads "$1"
	set_opt signer.processes "$2"
	port=$(free_port)
	start_server "$D" "$port" "$T/serve.$1.$2.log"
	bad=$(ocsp "$3" "$4")
	n=$(signers "$SERVER_PID")
	curl -sS -m 10 -o "$T/metrics.$1.$2" "$BASE/metrics" || true
	stop_server || true
	echo "signers=$n bad=$bad"
}

out=$(run 1 0 6 1)
check_eq "web.threads = 1, signer.processes = 0: the worker's own signer" "$out" "signers=1 bad=0"
check_match "the start line says a signer per thread" "$(cat "$T/serve.1.0.log")" \
	"1 worker thread, a signer process per thread that signs"

out=$(run 1 3 6 1)
check_eq "web.threads = 1, signer.processes = 3: three signers, taken in turn" "$out" "signers=3 bad=0"
check_match "the start line says 3 signer processes" "$(cat "$T/serve.1.3.log")" "3 signer processes"
check_match "/metrics: 3 configured" "$(cat "$T/metrics.1.3")" '^openams_signer_processes\{state="configured"\} 3$'
check_match "/metrics: 3 running" "$(cat "$T/metrics.1.3")" '^openams_signer_processes\{state="running"\} 3$'
check_nomatch "/metrics: nothing about shared signers with signer.processes = 0" "$(cat "$T/metrics.1.0")" \
	"openams_signer_processes"

out=$(run 4 1 24 8)
check_eq "web.threads = 4, signer.processes = 1: one signer for every worker" "$out" "signers=1 bad=0"

out=$(run 2 2 8 4)
check_eq "web.threads = 2, signer.processes = 2: two signers" "$out" "signers=2 bad=0"

# A renewed OCSP responder (by another process) restarts each shared signer
# at its next use: every answer comes from the new responder, and there are
# still two signer processes, new ones.
responder_of() { openssl ocsp -respin "$1" -noverify -resp_text 2>/dev/null |
	sed -n '/Certificate:/,/Signature Algorithm/p' | grep -A1 'Serial Number' | tail -1 | tr -d ' :' | tr 'A-F' 'a-f'; }
set_opt web.threads 1
set_opt signer.processes 2
start_server "$D" "$(free_port)" "$T/serve.renew.log"
check_eq "before the renewal: 4 good answers" "$(ocsp 4 1)" 0
before=$(signer_pids "$SERVER_PID")
out=$("$OPENAMS" ca renew-ocsp --dir "$D")
check_match "renew-ocsp renews while the server runs" "$out" "renewed: yes"
NEW=$(serial_of "$D/pki/ocsp.crt")
got=0
for _ in $(seq 100); do # within CA_RELOAD_CHECK_S (5 s)
	curl -sS -m 20 -o "$T/cur.resp" -H 'Content-Type: application/ocsp-request' \
		--data-binary @good.req "$BASE/ocsp" || true
	[ "$(responder_of "$T/cur.resp")" = "$NEW" ] && { got=1; break; }
	sleep 0.1
done
check_eq "the server answers with the new responder" "$got" 1
same=0
for i in 1 2 3 4; do # both signers, taken in turn
	curl -sS -m 20 -o "$T/cur.resp" -H 'Content-Type: application/ocsp-request' \
		--data-binary @good.req "$BASE/ocsp" || true
	[ "$(responder_of "$T/cur.resp")" = "$NEW" ] && same=$((same + 1))
done
check_eq "... every answer after that, from either signer" "$same" 4
after=$(signer_pids "$SERVER_PID")
check_eq "still two signer processes" "$(wc -w <<<"$after" | tr -d ' ')" 2
if [ -n "$before" ] && [ "$before" != "$after" ]; then ok "restarted: other processes ($before-> $after)"; else nok "restarted: other processes ($before-> $after)"; fi
stop_server || true

# Out of range: refused by the configuration check.
set_opt signer.processes 65
out=$("$OPENAMS" config check --dir "$D" 2>&1 || true)
check_match "signer.processes = 65 is refused" "$out" "signer.processes"
finish
