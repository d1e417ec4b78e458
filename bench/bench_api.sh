#!/bin/bash
# bench_api.sh [BUILD_DIR] - the JSON API under load, on 127.0.0.1:
#   1. p50/p99 latency of GET /api/v1/tasks (wrk) with $CASES open cases
#      (default 10000), created in bulk through the engine by a small C
#      helper (one transaction: people, roles, engine_case_open);
#   2. certificates issued per second through the API with 16 concurrent
#      clients: $ISSUE cases (default 64) are walked to the BSrE issue step
#      through the API, then 16 threads complete the issue steps.
# Prints the figures.  Needs wrk, curl, cc, python3-yaml.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$ROOT/build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
OPENAMS=$B/src/cli/openams
CASES=${CASES:-10000}
ISSUE=${ISSUE:-64}
T=$(mktemp -d "${TMPDIR:-/tmp}/openams-bench-api.XXXXXX")
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
export OPENAMS OPENAMS_SHARE=$ROOT no_proxy=127.0.0.1
unset OPENAMS_DIR http_proxy HTTP_PROXY || true

# The bulk helper, built against the core library of BUILD_DIR.
cat >"$T/bulk.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include "auth/auth.h"
#include "engine/engine.h"
int main(int argc, char **argv)
{
	ca *c; engine *e; auth *a; int n = atoi(argv[2]); oa_err rc;
	if (ca_open(argv[1], &c) || engine_open(c, &e) || auth_open(c, &a) || store_begin(ca_store(c))) {
		fprintf(stderr, "bulk: %s\n", oa_errmsg()); return 1;
	}
	for (int i = 0; i < n; i++) {
		char id[32], nik[17], email[64]; const char *roles[] = {"pemohon"}; int64_t cid;
		snprintf(id, sizeof id, "bulk%05d", i);
		/* birth date 01..28 / 01..12 / 1981, serial 1..9999 */
		snprintf(nik, sizeof nik, "147101%02d%02d81%04d", 1 + i % 28, 1 + (i / 28) % 12, 1 + i / 336);
		snprintf(email, sizeof email, "%s@kominfo.demo.go.id", id);
		auth_person_in p = {.id = id, .org = "kominfo", .name = "Pemohon Bulk", .nik = nik, .email = email};
		engine_who w = {id, "kominfo", roles, 1};
		engine_open_req o = {.org = "kominfo", .sop_id = "meranti-penerbitan", .applicant = id, .applicant_nik = nik};
		if ((rc = auth_person_create(a, &p, "bench")) || (rc = auth_role_grant(a, id, "kominfo", "pemohon", "bench")) ||
		    (rc = engine_case_open(e, &w, &o, &cid))) {
			fprintf(stderr, "bulk %d: %s\n", i, oa_errmsg()); store_rollback(ca_store(c)); return 1;
		}
	}
	if (store_commit(ca_store(c))) { fprintf(stderr, "bulk: commit: %s\n", oa_errmsg()); return 1; }
	auth_free(a); engine_free(e); ca_free(c);
	return 0;
}
EOF
cc -std=c17 -D_GNU_SOURCE -O2 -I"$ROOT/src" "$T/bulk.c" "$B/libopenams_core.a" -o "$T/bulk" \
	$(pkg-config --libs libcrypto sqlite3 yaml-0.1 libmicrohttpd jansson libargon2 libsodium liboath \
		libqrencode libseccomp libp11 libcurl) -lmagic -lpthread

"$OPENAMS" init --dir "$T/d" --demo >/dev/null
t0=$(date +%s.%N)
"$T/bulk" "$T/d" "$CASES"
t1=$(date +%s.%N)
echo "bulk: $CASES open cases created in $(echo "$t1 - $t0" | bc) s"

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$OPENAMS" serve --dir "$T/d" --listen "127.0.0.1:$PORT" 2>"$T/serve.log" &
PID=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done

login() { # USER -> cookie header value
	local pw
	pw=$(awk -v u="$1" '$1==u{print $2}' "$T/d/secrets/demo-logins.txt")
	curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
		-d "{\"username\":\"$1\",\"password\":\"$pw\"}" "http://127.0.0.1:$PORT/api/v1/session" |
		tr -d '\r' | awk -F'[ ;]' 'tolower($1)=="set-cookie:"{print $2}'
}
# kadis's tasks: the engine scans the open cases of the agency.
COOKIE=$(login kadis.demo)
echo "== GET /api/v1/tasks (kadis.demo), $CASES open cases, wrk -t4 -c16 -d10s"
wrk -t4 -c16 -d10s --latency -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/api/v1/tasks" |
	grep -E "Requests/sec|50%|99%|Latency "
COOKIE=$(login pemohon.demo)
echo "== GET /api/v1/tasks (pemohon.demo: none of the bulk cases are theirs)"
wrk -t4 -c16 -d5s --latency -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/api/v1/tasks" |
	grep -E "Requests/sec|50%|99%"

echo "== certificates issued through the API, 16 concurrent clients ($ISSUE cases)"
PORT=$PORT D=$T/d ISSUE=$ISSUE /usr/bin/python3 - <<'EOF'
import json, os, sys, threading, time, http.client, uuid
port = int(os.environ["PORT"]); d = os.environ["D"]; n = int(os.environ["ISSUE"])
logins = dict(l.split("\t")[:2] for l in open(d + "/secrets/demo-logins.txt"))
def call(s, m, p, body=None, raw=None, ctype="application/json"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    h = {"Cookie": s[0], "X-CSRF-Token": s[1]} if s else {}
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None: h["Content-Type"] = ctype
    c.request(m, p, body=data, headers=h); r = c.getresponse(); b = r.read(); c.close()
    return r.status, r.getheader("Set-Cookie"), b
def login(u, pw):
    st, sc, b = call(None, "POST", "/api/v1/session", {"username": u, "password": pw})
    assert st == 200, b
    return (sc.split(";")[0], json.loads(b)["csrf"])
staff = {r: login(r + ".demo", logins[r + ".demo"]) for r in ("kadis", "kabid", "verifikator", "bsre")}
pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
adm = login("admin.demo", logins["admin.demo"])
cases = []
for i in range(n):
    pid = "iss%04d" % i; pw = "Zq8-%s-Lm3x" % uuid.uuid4().hex[:10]
    nik = "14710115%02d85%04d" % (1 + i % 12, i + 1)
    st, _, b = call(adm, "POST", "/api/v1/people", {"id": pid, "name": "Pemohon Uji", "nik": nik,
        "email": pid + "@kominfo.demo.go.id", "password": pw})
    assert st == 201, b
    assert call(adm, "POST", "/api/v1/roles", {"person": pid, "role": "pemohon"})[0] == 201
    s = login(pid, pw)
    st, _, b = call(s, "POST", "/api/v1/cases", {"sop": "meranti-penerbitan"}); assert st == 201, b
    cid = json.loads(b)["id"]
    for doc in ("surat_permohonan", "formulir_rekomendasi", "fc_ktp", "fc_sk"):
        bd = uuid.uuid4().hex
        raw = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s.pdf\"\r\n\r\n" % (bd, doc)).encode()
               + pdf + doc.encode() + ("\r\n--%s--\r\n" % bd).encode())
        assert call(s, "POST", "/api/v1/cases/%d/documents/%s" % (cid, doc), raw=raw,
                    ctype="multipart/form-data; boundary=" + bd)[0] == 201
    acts = [(s, "1", "pemohon", {}), (staff["kadis"], "2", "kadis", {}), (staff["kabid"], "3", "kabid", {}),
            (staff["verifikator"], "4", "verifikator", {}), (staff["verifikator"], "5", "verifikator", {"decision": "yes"}),
            (s, "7", "pemohon", {"data": {"name": "Pemohon Uji", "nik": nik, "email": pid + "@kominfo.demo.go.id",
                                          "organization": "Dinas Kominfo"}}),
            (staff["verifikator"], "8", "verifikator", {"decision": "yes"}),
            (s, "10", "pemohon", {"data": {"passphrase": "Vb7#" + uuid.uuid4().hex}})]
    for who, step, role, extra in acts:
        st, _, b = call(who, "POST", "/api/v1/cases/%d/act" % cid, dict({"step": step, "role": role}, **extra))
        assert st == 200, (step, b)
    cases.append(cid)
print("prepared %d cases at the issue step" % len(cases))
lock = threading.Lock(); todo = list(cases); lat = []; fails = []
def worker():
    while True:
        with lock:
            if not todo: return
            cid = todo.pop()
        t = time.monotonic()
        st, _, b = call(staff["bsre"], "POST", "/api/v1/cases/%d/act" % cid, {"step": "11", "role": "bsre"})
        with lock:
            (lat if st == 200 and json.loads(b).get("issued") else fails).append(time.monotonic() - t)
t0 = time.monotonic()
ths = [threading.Thread(target=worker) for _ in range(16)]
[t.start() for t in ths]; [t.join() for t in ths]
el = time.monotonic() - t0
lat.sort()
print("issued %d certificates in %.2f s: %.1f certificates/s (16 clients); p50 %.0f ms, p99 %.0f ms; %d failed"
      % (len(lat), el, len(lat) / el, 1000 * lat[len(lat) // 2], 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))], len(fails)))
EOF
