#!/usr/bin/env python3
"""group_commit.py - the server's group commit (src/http/commit.c) through the
API: acts sent at once by 16 clients are committed together, and each answer
is that act's own.

Cases walked to the BSrE issue step in-process before the server starts
(API_BULK: bench/api_bulk.c).  Then, all at once: correct issue acts, acts
by a role the step does not take (403 denied), acts naming a step that is
not current (409 state), acts whose NIK already holds an active certificate
(409 policy: issued with `openams ca issue` beforehand), and pairs of acts
on one case (one issues, the other 409 state).  Checked: every answer's
status and code; every success names its serial and the store holds it
(case completed with it, certificate active, its audit record); every
refused case is untouched (same step, same transitions, no certificate of
its own, no case.act record); the server did group the acts (fewer
transactions than jobs, from its stop line); the audit chain verifies.
"""
import os
import re
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apilib import Instance, ok, finish  # noqa: E402

BULK = os.environ["API_BULK"]
N = 48

inst = Instance()
ids_file = os.path.join(inst.tmp, "ids")
r = subprocess.run([BULK, inst.dir, "0", str(N), ids_file], capture_output=True, text=True,
                   timeout=300)
if not ok(r.returncode == 0, "fixture: %d cases at the issue step" % N, r.stderr):
    finish("group_commit")
ids = [int(x) for x in open(ids_file).read().split()]
db = os.path.join(inst.dir, "openams.db")


def sql(q):
    r = subprocess.run(["sqlite3", "-readonly", db, q], capture_output=True, text=True,
                       timeout=60)
    return r.stdout.strip()


def nik_of(cid):
    return sql("SELECT value FROM sop_case_data WHERE case_id = %d AND key = 'nik'" % cid)


def case_row(cid):
    return sql("SELECT state, COALESCE(step, ''), transitions, COALESCE(issued_serial, '')"
               " FROM sop_case WHERE id = %d" % cid)


# Who does what: the plan, by position in ids.
plan = {}
for k, cid in enumerate(ids):
    if k % 8 == 1:
        plan[cid] = "denied"
    elif k % 8 == 3:
        plan[cid] = "state"
    elif k % 8 == 5:
        plan[cid] = "policy"
    elif k % 8 == 7:
        plan[cid] = "twice"
    else:
        plan[cid] = "issue"

# The NIKs of the policy cases get a certificate first, at the CA.
blocking = {}
with tempfile.TemporaryDirectory() as td:
    for cid in [c for c in ids if plan[c] == "policy"]:
        key, csr = os.path.join(td, "k.pem"), os.path.join(td, "r.pem")
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
                        "-subj", "/CN=Pemohon Lain"], check=True, capture_output=True, timeout=60)
        r = subprocess.run([os.environ["OPENAMS"], "ca", "issue", "--dir", inst.dir, "--csr", csr,
                            "--nik", nik_of(cid), "--email", "lain@kominfo.demo.go.id",
                            "--name", "Pemohon Lain", "--org", "Dinas Lain",
                            "--out", os.path.join(td, "c.pem")],
                           capture_output=True, text=True, timeout=60)
        st = subprocess.run([os.environ["OPENAMS"], "ca", "list", "--dir", inst.dir, "--nik",
                             nik_of(cid)], capture_output=True, text=True, timeout=60)
        m = re.search(r"\b([0-9a-f]{32})\b", st.stdout)
        ok(r.returncode == 0 and m, "certificate for the NIK of case %d beforehand" % cid,
           r.stderr + st.stdout)
        blocking[cid] = m.group(1) if m else ""
before = {cid: case_row(cid) for cid in ids}

inst.start()
bsre = inst.client("bsre.demo")
verif = inst.client("verifikator.demo")

jobs = []
for cid in ids:
    p = plan[cid]
    if p == "denied":
        jobs.append((cid, p, verif, {"step": "11", "role": "verifikator"}))
    elif p == "state":
        jobs.append((cid, p, bsre, {"step": "10", "role": "bsre"}))
    elif p == "twice":
        jobs.append((cid, p, bsre, {"step": "11", "role": "bsre"}))
        jobs.append((cid, p, bsre, {"step": "11", "role": "bsre"}))
    else:
        jobs.append((cid, p, bsre, {"step": "11", "role": "bsre"}))
answers = [None] * len(jobs)
lock = threading.Lock()
nexti = [0]
gate = threading.Barrier(16)


def worker():
    gate.wait(timeout=60)
    while True:
        with lock:
            i = nexti[0]
            nexti[0] += 1
        if i >= len(jobs):
            return
        cid, p, who, body = jobs[i]
        answers[i] = who.post("/api/v1/cases/%d/act" % cid, body)


ths = [threading.Thread(target=worker) for _ in range(16)]
[t.start() for t in ths]
[t.join(timeout=120) for t in ths]
ok(all(a is not None for a in answers), "every act was answered")

twice = {}
for (cid, p, who, body), a in zip(jobs, answers):
    if a is None:
        continue
    if p == "issue":
        ok(a.status == 200 and re.fullmatch(r"[0-9a-f]{32}", a.json().get("issued") or "") and
           a.json()["state"] == "completed", "case %d: issued" % cid, a)
    elif p == "denied":
        ok(a.status == 403 and a.code() == "denied" and "verifikator" in a.body.decode(),
           "case %d: the step's role only (403 denied)" % cid, a)
    elif p == "state":
        ok(a.status == 409 and a.code() == "state" and "not the current step" in a.body.decode(),
           "case %d: step 10 is not current (409 state)" % cid, a)
    elif p == "policy":
        ok(a.status == 409 and a.code() == "policy" and blocking[cid] in a.body.decode(),
           "case %d: its NIK holds %s (409 policy)" % (cid, blocking[cid]), a)
    else:
        twice.setdefault(cid, []).append(a)
for cid, pair in twice.items():
    good = [a for a in pair if a.status == 200 and a.json().get("issued")]
    bad = [a for a in pair if a.status == 409 and a.code() == "state"]
    ok(len(good) == 1 and len(bad) == 1, "case %d acted on twice at once: one issues, one 409" % cid,
       pair)

rc = inst.stop()
ok(rc == 0, "server stopped cleanly")
log = open(inst.log).read()
m = re.search(r"group commit: (\d+) jobs in (\d+) transactions", log)
ok(m and int(m.group(1)) == len(jobs) and int(m.group(2)) < int(m.group(1)),
   "the acts were committed in groups (%s)" % (m.group(0) if m else "no stop line"), log[-1500:])

# The store: what was answered done is there; what was refused left nothing.
issued = {}
for (cid, p, who, body), a in zip(jobs, answers):
    if a is not None and a.status == 200:
        issued[cid] = a.json()["issued"]
for cid in ids:
    row = case_row(cid).split("|")
    if cid in issued:
        s = issued[cid]
        ok(row[0] == "completed" and row[3] == s and
           sql("SELECT status FROM certificate WHERE serial = '%s'" % s) == "active" and
           sql("SELECT COUNT(*) FROM audit WHERE action = 'cert.issue' AND object = "
               "'certificate:%s'" % s) == "1",
           "case %d: completed with certificate %s in the store" % (cid, s), row)
    else:
        nik = nik_of(cid)
        certs = sql("SELECT serial FROM certificate WHERE nik = '%s'" % nik).split()
        ok(case_row(cid) == before[cid] and certs == ([blocking[cid]] if cid in blocking else []) and
           sql("SELECT COUNT(*) FROM audit WHERE object = 'case:%d' AND action = 'case.act'"
               " AND detail LIKE 'step=11 %%'" % cid) == "0",
           "case %d (%s): untouched, no certificate, no record" % (cid, plan[cid]),
           "%s -> %s, %s" % (before[cid], case_row(cid), certs))
ok(len(issued) == sum(1 for c in ids if plan[c] in ("issue", "twice")),
   "%d certificates issued, as many as acts that could" % len(issued))
r = subprocess.run([os.environ["OPENAMS"], "audit", "verify", "--dir", inst.dir],
                   capture_output=True, text=True, timeout=120)
ok(r.returncode == 0, "the audit chain verifies", r.stdout + r.stderr)
finish("group_commit")
