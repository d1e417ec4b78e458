#!/usr/bin/env python3
"""multi.py - three `openams serve` on one PostgreSQL database (issue 20,
"several servers, one database"), run by tests/lib/pg.sh, which starts the
database server of its own and gives OPENAMS_TEST_PG.

16 clients complete the BSrE issue step of 450 cases, spread over the three
servers; three times, one server is killed with SIGKILL while acts are in
flight and then started again, and its clients go on through the others.
Then:
  - every issuance that was answered is in the store, and nothing is half
    done (completed cases = certificates = linked pairs), no serial twice;
  - every case is completed at the end, each with one certificate;
  - the audit chain verifies; CRL numbers increase strictly, per issuer;
  - every e-mail in the outbox is sent and arrived at a real SMTP server on
    127.0.0.1 (a message delivered by a killed server and sent again has
    the same Message-ID and bytes: tests/mail/check.py);
  - a session made on one server works on the others, and a certificate
    revoked by another process (`openams ca revoke`) is answered revoked by
    every server's OCSP responder (their caches see the change).
Cases are walked to the issue step in-process first (bench/api_bulk.c).
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from apilib import Client, Instance, free_port, ok, finish, OPENAMS  # noqa: E402
import http.client  # noqa: E402

BULK = os.environ["API_BULK"]
PG = os.environ["OPENAMS_TEST_PG"]
N = int(os.environ.get("MULTI_N", "240"))
ROUNDS = 3
host = re.search(r"host=(\S+)", PG).group(1)


def psql(db, q):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-h", host, "-U", "postgres", "-d", db,
                        "-c", q], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("psql: %s" % r.stderr)
    return r.stdout.strip()


psql("postgres", "CREATE DATABASE multi")
url = "postgresql:///multi?host=%s&user=postgres" % host


def sql(q):
    return psql("multi", q)


# A real SMTP server on 127.0.0.1 (tests/mail/smtpd.py).
tmp_mail = os.path.join(os.environ.get("TMPDIR", "/tmp"), "openams-multi-mail.%d" % os.getpid())
os.makedirs(os.path.join(tmp_mail, "msgs"))
smtpd = subprocess.Popen([sys.executable, os.path.join(HERE, "..", "mail", "smtpd.py"),
                          "--out", os.path.join(tmp_mail, "msgs"),
                          "--port-file", os.path.join(tmp_mail, "port")])
for _ in range(100):
    if os.path.exists(os.path.join(tmp_mail, "port")) and \
            open(os.path.join(tmp_mail, "port")).read().strip():
        break
    time.sleep(0.1)
smtp_port = int(open(os.path.join(tmp_mail, "port")).read())


def stop_smtpd():
    if smtpd.poll() is None:
        smtpd.send_signal(signal.SIGTERM)
        try:
            smtpd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            smtpd.kill()
    subprocess.run(["rm", "-rf", tmp_mail])


try:
    inst = Instance(config="mail.smtp_url = smtp://127.0.0.1:%d\nmail.starttls = no\n"
                    "mail.from = openams@kominfo.uji.go.id\nweb.crl_check_seconds = 1\n"
                    "crl.validity_hours = 1\ncrl.interval_minutes = 120\n"
                    % smtp_port, store=url)
except SystemExit:
    stop_smtpd()
    raise
ok(not os.path.exists(os.path.join(inst.dir, "openams.db")) and
   sql("SELECT count(*) FROM ca_cert") == "3", "init --demo --store: the instance is in PostgreSQL")
ids_file = os.path.join(inst.tmp, "ids")
t0 = time.monotonic()
r = subprocess.run([BULK, inst.dir, "0", str(N), ids_file], capture_output=True, text=True,
                   timeout=900)
if not ok(r.returncode == 0, "fixture: %d cases at the issue step" % N, r.stderr):
    stop_smtpd()
    finish("pg-multi")
ids = [int(x) for x in open(ids_file).read().split()]
print("# fixture: %d cases in %.1f s" % (N, time.monotonic() - t0))


class Server:
    """One `openams serve` of the instance on a port of its own."""

    def __init__(self, k):
        self.k = k
        self.port = free_port()
        self.logins = inst.logins
        self.log = os.path.join(inst.tmp, "serve%d.log" % k)
        self.proc = None

    def start(self):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([OPENAMS, "serve", "--dir", inst.dir, "--listen",
                                      "127.0.0.1:%d" % self.port],
                                     stdout=subprocess.DEVNULL, stderr=self.logf)
        for _ in range(300):
            try:
                if self.http("GET", "/healthz").status == 200:
                    return True
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return False

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.logf.close()

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(timeout=10)
        self.logf.close()
        return rc

    http = Instance.http  # the same request helper, on this server's port


servers = [Server(k) for k in range(3)]


def ocsp_status(serial):
    """openssl ocsp's answer for serial from each server."""
    out = []
    for s in servers:
        r = subprocess.run(["openssl", "ocsp", "-issuer", os.path.join(inst.dir, "pki",
                            "issuing.crt"), "-serial", "0x" + serial.replace(":", ""),
                            "-url", "http://127.0.0.1:%d/ocsp" % s.port, "-noverify",
                            "-no_nonce"], capture_output=True, text=True, timeout=60)
        out.append(r.stdout)
    return out


try:
    started = all(s.start() for s in servers)
    ok(started, "three servers on one database answer /healthz")

    # A session made on one server works on the others (sessions are in the database).
    c0 = Client(servers[0], "bsre.demo")
    moved = Client(servers[1])
    moved.cookie, moved.csrf = c0.cookie, c0.csrf
    me1 = moved.get("/api/v1/session")
    moved = Client(servers[2])
    moved.cookie, moved.csrf = c0.cookie, c0.csrf
    me2 = moved.get("/api/v1/session")
    ok(me1.status == 200 and me2.status == 200 and "bsre.demo" in me1.body.decode() +
       me2.body.decode(), "a session made on server 1 works on servers 2 and 3", (me1, me2))

    acked = {}
    unsure = set()
    errors = []
    lock = threading.Lock()
    nexti = [0]
    stop = threading.Event()
    clients = {}

    def client_of(k):
        with lock:
            c = clients.get(k)
        if c is None:
            c = Client(servers[k], "bsre.demo")
            with lock:
                clients[k] = c
        return c

    def worker(w):
        k = w % 3
        while not stop.is_set():
            with lock:
                i = nexti[0]
                nexti[0] += 1
            if i >= len(ids):
                return
            for attempt in range(6):
                try:
                    a = client_of(k).post("/api/v1/cases/%d/act" % ids[i],
                                          {"step": "11", "role": "bsre"})
                except (OSError, RuntimeError, http.client.HTTPException):
                    # the server is gone: not answered; the act may or may not be
                    # committed; try it on the next server
                    with lock:
                        unsure.add(ids[i])
                    k = (k + 1) % 3
                    time.sleep(0.05)
                    continue
                with lock:
                    if a.status == 200 and a.json().get("issued"):
                        acked[ids[i]] = a.json()["issued"]
                        unsure.discard(ids[i])
                    elif ids[i] in unsure and a.status in (409, 422):
                        pass  # done by the killed server before it died: checked below
                    elif a.status == 503:
                        k = (k + 1) % 3
                        continue
                    else:
                        errors.append((ids[i], a))
                break

    ths = [threading.Thread(target=worker, args=(w,)) for w in range(16)]
    [t.start() for t in ths]
    kills = []
    restarts = []
    t_load = time.monotonic()
    for rnd in range(ROUNDS):
        victim = servers[rnd % 3]
        # kills at 15 %, 35 % and 55 % of the answers; the killed server
        # starts again meanwhile, while the others carry the load
        target = N * (15 + 20 * rnd) // 100
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and len(acked) < target and not errors:
            time.sleep(0.002)
        # (the server killed before may still be starting: each round kills
        # another one, and the third carries the load meanwhile)
        kills.append(len(acked))
        victim.kill()
        with lock:
            clients.pop(victim.k, None)
        res = {}
        t = threading.Thread(target=lambda v=victim, r=res: r.update(up=v.start()))
        t.start()
        restarts.append(t)
        restarts[-1].res = res
    for t in restarts:
        t.join(timeout=120)
    ok(all(getattr(t, "res", {}).get("up") for t in restarts),
       "each killed server started again (%d restarts)" % len(restarts))
    [t.join(timeout=600) for t in ths]
    stop.set()
    print("# load: %d acts in %.1f s over 3 servers, %d kills" % (N, time.monotonic() - t_load,
                                                                  ROUNDS))
    ok(not errors, "no act refused (but acts the killed servers may have done)", errors[:3])
    ok(len(kills) == ROUNDS and all(0 < a < N for a in kills),
       "killed %d times mid-load, at %s answers" % (ROUNDS, kills))

    # What was answered is there, nothing half-done is, no serial twice.
    missing = [c for c, s in acked.items()
               if sql("SELECT state || '|' || COALESCE(issued_serial, '') FROM sop_case"
                      " WHERE id = %d" % c) != "completed|" + s or
               sql("SELECT status FROM certificate WHERE serial = '%s'" % s) != "active"]
    ok(not missing, "every answered issuance is in the store (%d)" % len(acked), missing[:5])
    # Unanswered acts that the killed servers did commit are finished; the rest are retried.
    rest = [int(x) for x in sql("SELECT id FROM sop_case WHERE state = 'open'").split()]
    c = Client(servers[0], "bsre.demo")
    bad = []
    for cid in rest:
        a = c.post("/api/v1/cases/%d/act" % cid, {"step": "11", "role": "bsre"})
        if a.status != 200 or not a.json().get("issued"):
            bad.append((cid, a))
    ok(not bad, "the %d cases left open issue afterwards" % len(rest), bad[:3])
    done = int(sql("SELECT count(*) FROM sop_case WHERE state = 'completed'"))
    certs = int(sql("SELECT count(*) FROM certificate WHERE profile = 'individual'"))
    distinct = int(sql("SELECT count(DISTINCT serial) FROM certificate"
                       " WHERE profile = 'individual'"))
    linked = int(sql("SELECT count(*) FROM sop_case s JOIN certificate k"
                     " ON k.serial = s.issued_serial WHERE s.state = 'completed'"))
    ok(done == certs == distinct == linked == N,
       "%d cases completed, each with one certificate, no serial twice (%d, %d, %d, %d)"
       % (N, done, certs, distinct, linked))

    # CRLs: every issuer's numbers strictly increasing (several servers publish).
    for issuer in ("issuing", "root"):
        nums = [int(x) for x in sql("SELECT number FROM crl WHERE issuer = '%s' ORDER BY this_update, number"
                                    % issuer).split()]
        ok(nums == sorted(set(nums)) and len(nums) >= 1,
           "%s CRL numbers strictly increasing (%d CRLs)" % (issuer, len(nums)), nums[-10:])

    # A revocation by another process is seen by every server's OCSP responder.
    serial = acked[next(iter(acked))] if acked else sql(
        "SELECT serial FROM certificate WHERE profile = 'individual' LIMIT 1")
    before = ocsp_status(serial)
    rv = subprocess.run([OPENAMS, "ca", "revoke", "--dir", inst.dir, serial, "--reason",
                         "keyCompromise"], capture_output=True, text=True, timeout=120)
    ok(rv.returncode == 0, "openams ca revoke %s (another process)" % serial, rv.stderr)
    after = ocsp_status(serial)
    ok(all(": good" in b for b in before) and all(": revoked" in a for a in after),
       "every server's OCSP: good before, revoked after", before + after)

    # E-mail: everything in the outbox sent, each arrived (same bytes if twice).
    t_mail = time.monotonic()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        left = int(sql("SELECT count(*) FROM mail_outbox WHERE state <> 'sent'"))
        if left == 0:
            break
        time.sleep(0.2)
    total = int(sql("SELECT count(*) FROM mail_outbox"))
    print("# mail: the outbox drained %.1f s after the load" % (time.monotonic() - t_mail))
    ok(left == 0 and total >= N, "all %d e-mails of the outbox sent" % total,
       sql("SELECT state, count(*) FROM mail_outbox GROUP BY state") + "\n" +
       "".join(open(s.log, errors="replace").read()[-1500:] for s in servers[:1]))
    r = subprocess.run([sys.executable, os.path.join(HERE, "..", "mail", "check.py"), "count",
                        os.path.join(tmp_mail, "msgs"), str(total)],
                       capture_output=True, text=True, timeout=120)
    ok(r.returncode == 0, "each arrived at the SMTP server once (by Message-ID) %s"
       % r.stdout.strip(), r.stderr)

    stops = [s.stop() for s in servers]
    ok(stops == [0, 0, 0], "the three servers stop cleanly", stops)
    r = subprocess.run([OPENAMS, "audit", "verify", "--dir", inst.dir], capture_output=True,
                       text=True, timeout=300)
    ok(r.returncode == 0, "the audit chain verifies", r.stdout + r.stderr)
finally:
    for s in servers:
        if s.proc is not None and s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait(timeout=10)
    stop_smtpd()
finish("pg-multi")
