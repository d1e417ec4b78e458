#!/usr/bin/python3
"""locked.py - security review, finding 5: another process holding the
database's write lock (a maintenance shell: sqlite3 with BEGIN IMMEDIATE,
held past the 30 s a request waits) makes requests that write answer 503
with Retry-After and a JSON error, not 500, and /healthz says the store is
unavailable within seconds; once the lock is released everything works
again and the refused request changed nothing."""
import http.client
import json
import os
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apilib import Instance, Resp, ok, finish  # noqa: E402

inst = Instance()
inst.start()
app = inst.client("pemohon.demo")
ok(inst.http("GET", "/healthz").status == 200, "healthz 200 before the lock")
db = [os.path.join(inst.dir, f) for f in os.listdir(inst.dir) if f.endswith(".db")][0]
before = sqlite3.connect(db).execute("SELECT count(*) FROM audit").fetchone()[0]

hold = sqlite3.connect(db, timeout=5, isolation_level=None)
hold.execute("BEGIN IMMEDIATE")
t0 = time.time()
r = inst.http("GET", "/healthz")
ok(r.status == 503 and b'"unavailable"' in r.body and time.time() - t0 < 5,
   "healthz while locked: 503 unavailable within 5 s (%.1f s)" % (time.time() - t0), r)

res = {}


def attempt():
    # the server waits 30 s for the lock: a client patient enough to see its answer
    t = time.time()
    c = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=90)
    try:
        c.request("POST", "/api/v1/cases", json.dumps({"sop": "meranti-penerbitan"}).encode(),
                  {"Cookie": app.cookie, "X-CSRF-Token": app.csrf,
                   "Content-Type": "application/json"})
        x = c.getresponse()
        res["r"] = Resp(x.status, {k.lower(): v for k, v in x.getheaders()}, x.read())
    finally:
        c.close()
    res["t"] = time.time() - t


th = threading.Thread(target=attempt)
th.start()
th.join(80)
r = res.get("r")
ok(r is not None and r.status == 503 and r.code() == "unavailable" and
   r.headers.get("retry-after") == "5" and
   r.headers.get("content-type", "").startswith("application/json"),
   "a request while the database is locked: 503 unavailable, Retry-After, JSON (after %.0f s)"
   % res.get("t", -1), r)
hold.execute("ROLLBACK")
hold.close()
ok(inst.http("GET", "/healthz").status == 200, "healthz 200 once the lock is released")
r = app.post("/api/v1/cases", {"sop": "meranti-penerbitan"})
ok(r.status == 201, "the same request works once the lock is released", r)
n = sqlite3.connect(db).execute("SELECT count(*) FROM sop_case").fetchone()[0]
ok(n == 1, "exactly one case: the refused request changed nothing (%d)" % n)
ok(inst.alive(), "server still healthy")
ok(inst.stop() == 0, "server stopped cleanly")
finish("locked")
