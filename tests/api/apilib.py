"""apilib.py - helpers of the JSON API tests (imported, never run alone).

Instance(): `openams init --demo` in a private temporary directory (removed
at exit), `openams serve` on a free 127.0.0.1 port (PID kept, stopped with
SIGTERM then SIGKILL by PID, bounded waits), the demo logins, and Client:
one signed-in person (cookie session + CSRF token, or an API token).
TAP-like ok()/finish() reporting.
"""
import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

OPENAMS = os.environ["OPENAMS"]
SHARE = os.environ["OPENAMS_SHARE"]
for v in ("OPENAMS_DIR", "OPENAMS_CA_PASSPHRASE", "http_proxy", "HTTP_PROXY"):
    os.environ.pop(v, None)

PASS = 0
FAIL = 0


def ok(cond, desc, detail=None):
    global PASS, FAIL
    if cond:
        PASS += 1
        print("ok - %s" % desc)
    else:
        FAIL += 1
        print("not ok - %s" % desc)
        if detail is not None:
            for line in str(detail).splitlines()[:20]:
                print("#   " + line[:600])
    sys.stdout.flush()
    return cond


def finish(name):
    print("# %s: %d passed, %d failed" % (name, PASS, FAIL))
    sys.exit(1 if FAIL else 0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# Small real files of the accepted types.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d"
    "0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d3832"
    "3c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102"
    "030405060708090a0bffc400b5100002010303020403050504040000017d0102030004110512213141"
    "0613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435"
    "363738393a434445464748494a535455565758595a636465666768696a737475767778797a83848586"
    "8788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2"
    "d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ff"
    "d9")


def pdf(text="openams test"):
    body = ("%%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
            "%% %s\ntrailer<</Root 1 0 R>>\n%%%%EOF\n" % text)
    return body.encode()


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body.decode())
        except Exception:
            return None

    def code(self):
        j = self.json()
        try:
            return j["error"]["code"]
        except Exception:
            return None

    def __repr__(self):
        return "%d %s" % (self.status, self.body[:400])


class Client:
    def __init__(self, inst, user=None, password=None, token=None):
        self.inst = inst
        self.user = user
        self.cookie = None
        self.csrf = None
        self.token = token
        self.roles = []
        if user is not None:
            r = self.login(user, password if password is not None else inst.logins[user])
            if r.status != 200:
                raise RuntimeError("login %s failed: %r" % (user, r))

    def login(self, user, password, totp=None):
        body = {"username": user, "password": password}
        if totp:
            body["totp"] = totp
        r = self.req("POST", "/api/v1/session", body, auth=False)
        if r.status == 200:
            sc = r.headers.get("set-cookie", "")
            self.cookie = sc.split(";")[0]
            self.csrf = r.json()["csrf"]
            self.roles = r.json()["roles"]
        return r

    def req(self, method, path, body=None, auth=True, csrf=True, headers=None, raw=None,
            ctype=None):
        h = {}
        if auth and self.token:
            h["Authorization"] = "Bearer " + self.token
        elif auth and self.cookie:
            h["Cookie"] = self.cookie
            if csrf and self.csrf and method not in ("GET", "HEAD"):
                h["X-CSRF-Token"] = self.csrf
        data = None
        if raw is not None:
            data = raw
            if ctype:
                h["Content-Type"] = ctype
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = ctype or "application/json"
        if headers:
            h.update(headers)
        return self.inst.http(method, path, data, h)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body, **kw)

    def upload(self, case, doc, name, data, field="file", ctype="application/pdf"):
        b = uuid.uuid4().hex
        parts = (("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                  "Content-Type: %s\r\n\r\n") % (b, field, name, ctype)).encode()
        parts += data + ("\r\n--%s--\r\n" % b).encode()
        return self.req("POST", "/api/v1/cases/%s/documents/%s" % (case, doc), raw=parts,
                        ctype="multipart/form-data; boundary=" + b)


class Instance:
    def __init__(self, config=None, store=None):
        self.tmp = tempfile.mkdtemp(prefix="openams-api.")
        self.pg = None
        if store is None and os.environ.get("OPENAMS_TEST_PG"):
            # under tests/lib/pg.sh: the instance's database in PostgreSQL
            host = [w[5:] for w in os.environ["OPENAMS_TEST_PG"].split() if
                    w.startswith("host=")][0]
            name = "api_" + uuid.uuid4().hex[:12]
            subprocess.run(["psql", "-X", "-q", "-h", host, "-U", "postgres", "-d", "postgres",
                            "-c", "CREATE DATABASE " + name], check=True, timeout=60)
            self.pg = (host, name)
            store = "postgresql:///%s?host=%s&user=postgres" % (name, host)
        atexit.register(self.cleanup)
        self.dir = os.path.join(self.tmp, "data")
        self.port = free_port()
        self.base = "127.0.0.1:%d" % self.port
        self.pid = None
        conf = os.path.join(self.tmp, "init.conf")
        with open(conf, "w") as f:
            f.write("ca.ocsp_url = http://%s/ocsp\n" % self.base)
            f.write("ca.crl_url = http://%s/pki/issuing.crl\n" % self.base)
            f.write(config or "")
        r = subprocess.run([OPENAMS, "init", "--dir", self.dir, "--demo", "--config", conf] +
                           (["--store", store] if store else []),
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            print("not ok - openams init --demo\n# " + r.stderr.replace("\n", "\n# "))
            sys.exit(1)
        self.logins = {}
        with open(os.path.join(self.dir, "secrets", "demo-logins.txt")) as f:
            for line in f:
                u, p = line.rstrip("\n").split("\t")[:2]
                self.logins[u] = p
        self.log = os.path.join(self.tmp, "serve.log")

    def start(self):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([OPENAMS, "serve", "--dir", self.dir, "--listen", self.base],
                                     stdout=subprocess.DEVNULL, stderr=self.logf)
        self.pid = self.proc.pid
        for _ in range(200):
            try:
                if self.http("GET", "/healthz").status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        print("not ok - server did not start")
        print(open(self.log).read()[-2000:])
        sys.exit(1)

    def alive(self):
        try:
            return self.proc.poll() is None and self.http("GET", "/healthz").status == 200
        except OSError:
            return False

    def stop(self):
        if self.pid is None:
            return 0
        os.kill(self.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            rc = self.proc.wait(timeout=10)
        self.pid = None
        self.logf.close()
        return rc

    def cleanup(self):
        try:
            self.stop()
        except Exception:
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def http(self, method, path, data=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path, body=data, headers=headers or {})
            r = c.getresponse()
            body = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            return Resp(r.status, hdrs, body)
        finally:
            c.close()

    def client(self, user, password=None):
        return Client(self, user, password)

    def anon(self):
        return Client(self)

    def dump(self, tables):
        """A textual dump of tables (sqlite3 CLI, read-only; psql on PostgreSQL)."""
        if self.pg:
            out = []
            for t in tables:
                r = subprocess.run(["psql", "-X", "-At", "-h", self.pg[0], "-U", "postgres",
                                    "-d", self.pg[1], "-c", "SELECT * FROM %s ORDER BY 1" % t],
                                   capture_output=True, text=True, timeout=60)
                out.append("== %s\n%s%s" % (t, r.stdout, r.stderr))
            return "\n".join(out)
        db = os.path.join(self.dir, "openams.db")
        if not os.path.exists(db):
            cands = [f for f in os.listdir(self.dir) if f.endswith(".db")]
            db = os.path.join(self.dir, cands[0])
        out = []
        for t in tables:
            r = subprocess.run(["sqlite3", "-readonly", db, "SELECT * FROM %s ORDER BY 1" % t],
                               capture_output=True, text=True, timeout=60)
            out.append("== %s\n%s%s" % (t, r.stdout, r.stderr))
        return "\n".join(out)


def walk_step(inst, clients, case_id, sopdef, decide=None, data=None, reason=None):
    """Acts at the current step of case_id as whoever holds its role:
    attaches the documents the step requires, then acts.  decide: 'yes'/'no'
    for decisions.  Returns (step, role, response)."""
    app = clients["pemohon.demo"]
    c = app.get("/api/v1/cases/%s" % case_id).json()
    cur = c["current"]
    step = cur["step"]
    role = cur["roles"][0]
    actor = clients[ROLE_USER[role]]
    sd = [s for s in sopdef["steps"] if str(s["id"]) == step][0]
    have = {d["doc"] for d in c["documents"]}
    for req in sd.get("requires", []) or []:
        if isinstance(req, dict) and "doc" in req and req["doc"] not in have:
            who = app if role == "pemohon" else actor
            r = who.upload(case_id, req["doc"], req["doc"] + ".pdf", pdf(req["doc"]))
            ok(r.status == 201, "case %s step %s: %s uploads %s" % (case_id, step, who.user,
                                                                     req["doc"]), r)
    body = {"step": step, "role": role}
    if sd.get("action") == "decide" or decide:
        body["decision"] = decide or "yes"
    if data:
        body["data"] = data
    if reason:
        body["reason"] = reason
    r = actor.post("/api/v1/cases/%s/act" % case_id, body)
    return step, role, r


ROLE_USER = {"pemohon": "pemohon.demo", "pengguna": "pemohon.demo", "kadis": "kadis.demo",
             "kabid": "kabid.demo", "verifikator": "verifikator.demo", "bsre": "bsre.demo",
             "eselon2": "eselon2.demo", "op": "op.demo", "admin": "admin.demo"}
