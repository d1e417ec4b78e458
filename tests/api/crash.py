#!/usr/bin/env python3
"""crash.py - kill -9 of `openams serve` while 16 clients issue certificates
through the API: every issuance that was answered is in the store (the
group commit answers nothing before its commit is durable), the store is
consistent (a case is completed exactly when its certificate exists), the
audit chain verifies, and a restarted server goes on where it stopped.

Cases walked to the BSrE issue step in-process before the server starts
(API_BULK: bench/api_bulk.c).  The kill comes once a first share of the
answers has arrived, so that acts are in flight and in the committer.
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apilib import Instance, ok, finish  # noqa: E402

BULK = os.environ["API_BULK"]
N = 600

inst = Instance()
ids_file = os.path.join(inst.tmp, "ids")
r = subprocess.run([BULK, inst.dir, "0", str(N), ids_file], capture_output=True, text=True,
                   timeout=600)
if not ok(r.returncode == 0, "fixture: %d cases at the issue step" % N, r.stderr):
    finish("crash")
ids = [int(x) for x in open(ids_file).read().split()]
db = os.path.join(inst.dir, "openams.db")


def sql(q):
    r = subprocess.run(["sqlite3", db, q], capture_output=True, text=True, timeout=60)
    return r.stdout.strip()


inst.start()
bsre = inst.client("bsre.demo")
acked = {}
errors = []
lock = threading.Lock()
nexti = [0]
stop = threading.Event()


def worker():
    while not stop.is_set():
        with lock:
            i = nexti[0]
            nexti[0] += 1
        if i >= len(ids):
            return
        try:
            a = bsre.post("/api/v1/cases/%d/act" % ids[i], {"step": "11", "role": "bsre"})
        except OSError:
            return  # the server is gone: this act was never answered
        with lock:
            if a.status == 200 and a.json().get("issued"):
                acked[ids[i]] = a.json()["issued"]
            else:
                errors.append((ids[i], a))


ths = [threading.Thread(target=worker) for _ in range(16)]
[t.start() for t in ths]
deadline = time.monotonic() + 120
while time.monotonic() < deadline and len(acked) < N // 4 and not errors:
    time.sleep(0.005)
os.kill(inst.pid, signal.SIGKILL)
inst.proc.wait(timeout=30)
stop.set()
[t.join(timeout=60) for t in ths]
inst.pid = None
inst.logf.close()
ok(not errors, "no act was refused before the kill", errors[:3])
ok(N // 4 <= len(acked) < N, "killed with %d of %d issuances answered" % (len(acked), N))

# What was answered is there, and nothing half-done is.
missing = [c for c, s in acked.items()
           if sql("SELECT state || '|' || COALESCE(issued_serial, '') FROM sop_case WHERE id = %d"
                  % c) != "completed|" + s or
           sql("SELECT status FROM certificate WHERE serial = '%s'" % s) != "active"]
ok(not missing, "every answered issuance is in the store (%d)" % len(acked), missing[:5])
done = int(sql("SELECT COUNT(*) FROM sop_case WHERE state = 'completed'"))
certs = int(sql("SELECT COUNT(*) FROM certificate WHERE profile = 'individual'"))
linked = int(sql("SELECT COUNT(*) FROM sop_case c JOIN certificate k ON k.serial = c.issued_serial"
                 " WHERE c.state = 'completed'"))
ok(done == certs == linked and done >= len(acked),
   "completed cases = certificates = linked (%d, %d, %d; %d answered)" % (done, certs, linked,
                                                                       len(acked)))
ok(int(sql("SELECT COUNT(*) FROM sop_case WHERE state = 'open' AND step <> '11'")) == 0,
   "every other case is still at the issue step")
r = subprocess.run([os.environ["OPENAMS"], "audit", "verify", "--dir", inst.dir],
                   capture_output=True, text=True, timeout=120)
ok(r.returncode == 0, "the audit chain verifies after the crash", r.stdout + r.stderr)

# A new server finishes the rest.
inst.start()
bsre = inst.client("bsre.demo")
rest = [int(x) for x in sql("SELECT id FROM sop_case WHERE state = 'open'").split()]
bad = []
for c in rest:
    a = bsre.post("/api/v1/cases/%d/act" % c, {"step": "11", "role": "bsre"})
    if a.status != 200 or not a.json().get("issued"):
        bad.append((c, a))
ok(not bad and len(rest) + done == N, "after the restart the other %d cases issue" % len(rest),
   bad[:3])
ok(inst.stop() == 0, "server stopped cleanly")
r = subprocess.run([os.environ["OPENAMS"], "audit", "verify", "--dir", inst.dir],
                   capture_output=True, text=True, timeout=120)
ok(r.returncode == 0 and re.search(r"\d+", r.stdout), "the audit chain verifies at the end",
   r.stdout + r.stderr)
finish("crash")
