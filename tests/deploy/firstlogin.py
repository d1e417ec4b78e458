"""firstlogin.py - the first administrator `openams init` makes must enrol TOTP
at first sign-in (issue 19, item 1): signed in with the password alone they
hold no role and the admin routes refuse them; once their authenticator is
confirmed they hold admin and ca_operator, and sign-in then needs the code.
The server runs on 127.0.0.1 and is stopped by its PID (apilib)."""
import base64
import hashlib
import hmac
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["OPENAMS_SRC"], "tests", "api"))
import apilib  # noqa: E402
from apilib import ok, finish  # noqa: E402

PASSWORD = "Kuat-Sekali-Rahasia-2026"


class Inst(apilib.Instance):
    """An instance made as an agency makes one: no --demo, a first administrator."""

    def __init__(self):
        import tempfile
        import atexit
        self.tmp = tempfile.mkdtemp(prefix="openams-deploy.")
        atexit.register(self.cleanup)
        self.dir = os.path.join(self.tmp, "data")
        self.port = apilib.free_port()
        self.base = "127.0.0.1:%d" % self.port
        self.pid = None
        pw = os.path.join(self.tmp, "pw")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        r = subprocess.run([apilib.OPENAMS, "init", "--dir", self.dir, "--admin-email",
                            "root@kominfo.go.id", "--admin-name", "Ani Administrator",
                            "--admin-password-file", pw], capture_output=True, text=True,
                           timeout=300)
        if r.returncode != 0:
            print("not ok - openams init --admin-email\n# " + r.stderr.replace("\n", "\n# "))
            sys.exit(1)
        os.unlink(pw)
        self.logins = {"admin": PASSWORD}
        self.log = os.path.join(self.tmp, "serve.log")


def totp(secret_b32, t):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(t) // 30), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


inst = Inst()
inst.start()
c = apilib.Client(inst)
r = c.login("admin", PASSWORD)
ok(r.status == 200, "the first administrator signs in with the password alone", r)
ok(r.status == 200 and r.json()["roles"] == [], "... holding no role before enrolling TOTP", r)
r = c.get("/api/v1/people")
ok(r.status == 403, "... the admin routes refuse them", r)
r = c.post("/api/v1/orgs", {"id": "dinas-z", "name": "Z"})
ok(r.status == 403, "... and they change nothing", r)

r = c.post("/api/v1/totp/enrol", {"password": PASSWORD})
ok(r.status == 200 and "secret" in r.json(), "they enrol an authenticator", r)
secret = r.json()["secret"]
r = c.post("/api/v1/totp/confirm", {"code": totp(secret, time.time())})
ok(r.status == 204, "... and confirm it with a code", r)
r = c.get("/api/v1/people")
ok(r.status == 200, "then the admin routes answer them", r)
ok(any(p["id"] == "admin" and p["totp"] for p in r.json().get("people", [])),
   "... and the account shows TOTP enrolled", r)

c2 = apilib.Client(inst)
r = c2.login("admin", PASSWORD)
ok(r.status == 401, "sign-in without the code is refused once enrolled", r)
r = c2.login("admin", PASSWORD, totp(secret, time.time() + 30))
ok(r.status == 200 and sorted(r.json()["roles"]) == ["admin", "ca_operator"],
   "sign-in with the code: admin and ca_operator", r)
ok(inst.stop() == 0, "the server stops cleanly")
audit = subprocess.run([apilib.OPENAMS, "audit", "verify", "--dir", inst.dir],
                       capture_output=True, text=True)
ok(audit.returncode == 0, "audit verify", audit.stderr)
with open(inst.log, errors="replace") as f:
    log = f.read()
ok(PASSWORD not in log and secret not in log, "the request log holds no password or secret")
finish("firstlogin.py")
