#!/usr/bin/python3
"""account.py - the portal's public, sign-in and account pages over HTTP
(issue 7), against a demo instance this script starts (tests/api/apilib.py).

Checks: every page renders (200, the strict CSP, no-store, text/html, a
label for every input); sign-in with the form token bound to the form
cookie (missing or wrong token: 403, no session, no failure counted),
next= only a local path (303 there; an absolute or protocol-relative URL
goes to /portal), wrong password 401 without echo, the lockout (429 even
with the right password); the account page: a POST without or with a
wrong CSRF token is 403 and changes nothing (password hash unchanged),
change of password (the old one stops working), TOTP enrolment with the
QR code (wrong code refused, confirmed code, sign-in then needs a code,
disable); HTML in a person's name is shown as text; password reset: the
same answer for an existing and an unknown account, the e-mail (written
to the outbox, the database sink) only for the existing one, its link
works once; sign-out; a session idle longer than auth.session_idle_minutes
sends the page to /login; the status lookup of a good, a revoked, an
unknown and a malformed serial; the CA page's fingerprints."""
import base64
import email
import email.policy
import hashlib
import hmac
import html
import os
import re
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import apilib  # noqa: E402
from apilib import OPENAMS, Instance, ok, finish  # noqa: E402

CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
       "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

inst = Instance(config="auth.max_failures = 3\n")

# ---- certificates for the status lookup (CLI, before the server runs) ----
kp = os.path.join(inst.tmp, "k.pass")
with open(kp, "w") as f:
    f.write("Kunci-Uji-Halaman-2026\n")


def issue(name, nik):
    r = subprocess.run([OPENAMS, "ca", "issue", "--dir", inst.dir, "--keygen", "ec-p256",
                        "--key-out", os.path.join(inst.tmp, nik + ".key"), "--key-pass-file", kp,
                        "--name", name, "--org", "Dinas Kominfo", "--nik", nik, "--email", nik + "@kominfo.demo.go.id",
                        "--out", os.path.join(inst.tmp, nik + ".pem")],
                       capture_output=True, text=True, timeout=120)
    ok(r.returncode == 0, "ca issue %s" % name, r.stderr)
    out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in",
                          os.path.join(inst.tmp, nik + ".pem")], capture_output=True, text=True)
    return out.stdout.strip().split("=", 1)[-1]


good = issue("Budi Santoso", "1471011203900002")
bad = issue("Ani Lestari", "1471014503910003")
r = subprocess.run([OPENAMS, "ca", "revoke", bad, "--dir", inst.dir, "--reason", "keyCompromise"],
                   capture_output=True, text=True, timeout=120)
ok(r.returncode == 0, "ca revoke the second one", r.stderr)
inst.start()

DB = os.path.join(inst.dir, [f for f in os.listdir(inst.dir) if f.endswith(".db")][0])


def db_one(sql, args=()):
    c = sqlite3.connect(DB, timeout=30)
    try:
        row = c.execute(sql, args).fetchone()
        c.commit()
        return row
    finally:
        c.close()


class Browser:
    """A cookie jar over inst.http (no redirects followed)."""

    def __init__(self):
        self.cookies = {}

    def req(self, method, path, fields=None, raw=None, ctype=None):
        h = {}
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        data = None
        if fields is not None:
            data = urllib.parse.urlencode(fields).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        elif raw is not None:
            data = raw
            h["Content-Type"] = ctype
        r = inst.http(method, path, data, h)
        sc = r.headers.get("set-cookie")
        if sc:
            name, _, val = sc.split(";")[0].partition("=")
            if val and "Max-Age=0" not in sc:
                self.cookies[name] = val
            else:
                self.cookies.pop(name, None)
        return r

    def get(self, path):
        return self.req("GET", path)

    def post(self, path, fields):
        return self.req("POST", path, fields)


def csrf_of(r):
    m = re.search(rb'name="csrf" value="([^"]+)"', r.body)
    return m.group(1).decode() if m else None


def page_ok(r, what, status=200):
    ok(r.status == status, "%s: %d" % (what, status), r)
    ok(r.headers.get("content-security-policy") == CSP, "%s: the strict CSP" % what, r.headers)
    ok(r.headers.get("cache-control") == "no-store" and
       r.headers.get("x-frame-options") == "DENY" and
       r.headers.get("content-type", "").startswith("text/html"),
       "%s: no-store, frame DENY, text/html" % what, r.headers)
    ids = re.findall(rb'<input id="(f_[^"]+)"', r.body)
    labels = set(re.findall(rb'<label for="(f_[^"]+)"', r.body))
    ok(all(i in labels for i in ids), "%s: every input has its label" % what, ids)
    ok(b"<script" not in r.body and b" style=" not in r.body,
       "%s: no inline script or style" % what)


def login(b, user, password, totp=None, nxt=None):
    f = b.get("/login")
    fields = {"csrf": csrf_of(f), "username": user, "password": password}
    if totp is not None:
        fields["totp"] = totp
    if nxt is not None:
        fields["next"] = nxt
    return b.post("/login", fields)


def totp(secret, t=None, step_offset=0):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    ctr = int((t or time.time()) // 30) + step_offset
    mac = hmac.new(key, struct.pack(">Q", ctr), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000)


# ---- public pages ----
anon = Browser()
for path in ("/", "/ca", "/status", "/login", "/password-reset"):
    page_ok(anon.get(path), "GET " + path)
r = anon.get("/static/portal.css")
ok(r.status == 200 and r.headers.get("content-type", "").startswith("text/css") and
   b"header.top" in r.body and b"img.qr" in r.body, "the stylesheet has both parts", r)
r = anon.get("/")
ok(b'href="/login"' in r.body and b'href="/ca"' in r.body and b'href="/status"' in r.body,
   "home page links to sign-in, CA certificates and status", r)
r = anon.get("/ca")
chain = subprocess.run([OPENAMS, "ca", "chain", "--dir", inst.dir], capture_output=True,
                       timeout=60).stdout
root_pem = chain[chain.rfind(b"-----BEGIN CERTIFICATE-----"):]
der = subprocess.run(["openssl", "x509", "-outform", "DER"], input=root_pem,
                     capture_output=True).stdout
fp = ":".join("%02X" % x for x in hashlib.sha256(der).digest())
ok(fp.encode() in r.body, "the CA page shows the root's SHA-256 fingerprint", fp)
ok(all(x in r.body for x in (b'href="/pki/root.crt"', b'href="/pki/issuing.crt"',
                             b'href="/pki/issuing.crl"', b'href="/pki/root.crl"')),
   "the CA page links the certificates and both CRLs", r)

# ---- status lookup ----
r = anon.get("/status?serial=" + good)
page_ok(r, "status of a good serial")
ok(b"Baik" in r.body and b"Good" in r.body and b"Budi" not in r.body and
   b"1471011203900002" not in r.body, "good serial: Good, no personal data", r)
r = anon.get("/status?serial=" + ":".join(bad[i:i + 2] for i in range(0, len(bad), 2)))
ok(r.status == 200 and b"Dicabut" in r.body and b"keyCompromise" in r.body and
   b"Ani" not in r.body, "revoked serial (typed with colons): Revoked, keyCompromise", r)
r = anon.get("/status?serial=7E57")
ok(r.status == 404 and b"Tidak dikenal" in r.body and b"Unknown" in r.body,
   "unknown serial: 404 Unknown", r)
r = anon.get("/status?serial=" + urllib.parse.quote("<b>zz</b>"))
ok(r.status == 422 and b"<b>zz" not in r.body, "malformed serial: 422, not echoed as HTML", r)

# ---- sign-in ----
pw = inst.logins["pemohon.demo"]
b = Browser()
f = b.get("/login")
ok("openams_form" in b.cookies and csrf_of(f), "GET /login sets the form cookie and a csrf field",
   f.headers)
r = b.post("/login", {"username": "pemohon.demo", "password": pw})
ok(r.status == 403 and "openams_session" not in b.cookies, "POST /login without csrf: 403, no "
   "session", r)
r = b.post("/login", {"username": "pemohon.demo", "password": pw, "csrf": "A" * 43})
ok(r.status == 403 and "openams_session" not in b.cookies, "POST /login with a wrong csrf: 403",
   r)
other = Browser()
other.get("/login")
r = other.post("/login", {"username": "pemohon.demo", "password": pw, "csrf": csrf_of(f)})
ok(r.status == 403, "a token of another browser's cookie: 403", r)
r = login(b, "pemohon.demo", "wrong-password-1")
ok(r.status == 401 and b"wrong-password-1" not in r.body and b'value="pemohon.demo"' in r.body,
   "wrong password: 401, the form again without the password", r)
r = login(b, "pemohon.demo", pw)
ok(r.status == 303 and r.headers.get("location") == "/portal" and "openams_session" in b.cookies,
   "sign-in: 303 to /portal with a session cookie", r.headers)
r = b.get("/login")
ok(r.status == 303, "GET /login when signed in: 303", r)
r = b.get("/portal/account")
page_ok(r, "GET /portal/account")
ok(b"Siti Rahmawati" in r.body and b"pemohon.demo@kominfo.demo.go.id" in r.body,
   "the account page shows the profile", r)
for nxt, want in (("/portal/account", "/portal/account"), ("//evil.example/x", "/portal"),
                  ("https://evil.example/", "/portal"), ("/\\evil.example", "/portal")):
    c = Browser()
    r = login(c, "pemohon.demo", pw, nxt=nxt)
    ok(r.status == 303 and r.headers.get("location") == want,
       "next=%s: 303 to %s" % (nxt, want), r.headers)
r = Browser().get("/portal/account")
ok(r.status == 303 and r.headers.get("location") == "/login?next=/portal/account",
   "the account page without a session: 303 to /login?next=", r.headers)

# ---- lockout (auth.max_failures = 3) ----
lk = Browser()
for i in range(3):
    r = login(lk, "kabid.demo", "not-the-password-%d" % i)
r = login(lk, "kabid.demo", inst.logins["kabid.demo"])
ok(r.status == 429 and "openams_session" not in lk.cookies and b"dikunci" in r.body,
   "after 3 failures even the right password is refused: 429, locked message", r)

# ---- CSRF on the account forms: refused, nothing changed ----
hash0 = db_one("SELECT password_hash FROM auth_credential WHERE person = 'pemohon.demo'")
newpw = "Selat-Panjang-Baru-2026!"
form = {"current": pw, "password": newpw, "confirm": newpw}
r = b.post("/portal/account/password", form)
ok(r.status == 403 and b"Formulir kedaluwarsa" in r.body, "change password without csrf: 403", r)
r = b.post("/portal/account/password", dict(form, csrf="B" * 43))
ok(r.status == 403, "change password with a wrong csrf: 403", r)
ok(db_one("SELECT password_hash FROM auth_credential WHERE person = 'pemohon.demo'") == hash0,
   "the refused posts changed nothing (same password hash)")
tok = csrf_of(b.get("/portal/account"))
r = b.post("/portal/account/password", dict(form, csrf=tok, current="wrong-password-2"))
ok(r.status == 403 and b"Kata sandi salah" in r.body, "wrong current password: 403", r)
r = b.post("/portal/account/password", dict(form, csrf=tok, confirm=newpw + "x"))
ok(r.status == 422, "mismatched confirmation: 422", r)
r = b.post("/portal/account/password", dict(form, csrf=tok))
ok(r.status == 303 and r.headers.get("location") == "/portal/account?done=password",
   "change password: 303", r.headers)
ok(b.get("/portal/account").status == 200, "the session that changed it stays signed in")
ok(login(Browser(), "pemohon.demo", pw).status == 401, "the old password no longer works")
ok(login(Browser(), "pemohon.demo", newpw).status == 303, "the new password works")
pw = newpw

# ---- TOTP ----
r = b.post("/portal/account/totp/enrol", {"csrf": tok, "password": "wrong-password-3"})
ok(r.status == 403, "TOTP enrolment with a wrong password: 403", r)
r = b.post("/portal/account/totp/enrol", {"csrf": tok, "password": pw})
m = re.search(rb'<code class="secret">([A-Z2-7]+)</code>', r.body)
ok(r.status == 200 and b'src="data:image/svg+xml;base64,' in r.body and m,
   "TOTP enrolment: the QR code and the key", r)
secret = m.group(1).decode() if m else "AAAAAAAA"
r = b.post("/portal/account/totp/confirm", {"csrf": tok, "code": "000000" if totp(secret) !=
                                            "000000" else "111111"})
ok(r.status in (403, 422), "a wrong code is refused (%d)" % r.status, r)
ok("Kode tidak cocok dengan autentikator baru" in r.body.decode() and
   "the code does not match" not in r.body.decode(),
   "... in the catalogue's Indonesian first, not the module's English sentence", r)
r = b.post("/portal/account/totp/confirm", {"csrf": tok, "code": totp(secret)})
ok(r.status == 303, "TOTP confirmed with the app's code: 303", r)
r = b.get("/portal/account")
ok(b"Autentikator aktif" in r.body, "the account page says the authenticator is active", r)
r = login(Browser(), "pemohon.demo", pw)
ok(r.status == 401, "sign-in without the code is now refused", r)
r = login(Browser(), "pemohon.demo", pw, totp=totp(secret, step_offset=1))
ok(r.status == 303, "sign-in with password and code: 303", r)
r = b.post("/portal/account/totp/disable", {"csrf": tok, "password": pw})
ok(r.status == 303, "TOTP disabled: 303", r)
ok(login(Browser(), "pemohon.demo", pw).status == 303, "sign-in with the password alone again")

# ---- HTML in a name is shown as text ----
admin = inst.client("admin.demo")
evil = '<script>alert(1)</script> <b>Budi</b> & "Ani"'
r = admin.post("/api/v1/people", {"id": "html.test", "name": evil, "nik": "1471011507880004",
                                  "email": "html.test@kominfo.demo.go.id",
                                  "password": "Tanjung-Samak-2026-x"})
ok(r.status == 201, "admin creates a person whose name holds HTML", r)
h = Browser()
ok(login(h, "html.test", "Tanjung-Samak-2026-x").status == 303, "that person signs in")
r = h.get("/portal/account")
ok(r.status == 200 and b"<script>alert" not in r.body and b"<b>Budi" not in r.body and
   html.escape(evil, quote=True).replace("&#x27;", "&#39;").encode() in r.body,
   "the name is shown escaped, as text", r)

# ---- password reset: no enumeration, the link works once ----
def outbox_count():
    return db_one("SELECT count(*) FROM mail_outbox")[0]


n0 = outbox_count()
rb = Browser()
f = rb.get("/password-reset")
r1 = rb.post("/password-reset", {"csrf": csrf_of(f), "login": "nobody.here"})
n1 = outbox_count()
r2 = rb.post("/password-reset", {"csrf": csrf_of(f), "login": "verifikator.demo"})
n2 = outbox_count()
ok(r1.status == r2.status == 200 and r1.body == r2.body,
   "the same answer for an unknown and an existing account", (r1, r2))
ok(n1 == n0 and n2 == n0 + 1, "only the existing account got an e-mail (%d, %d, %d)" %
   (n0, n1, n2))
r = rb.post("/password-reset", {"login": "verifikator.demo"})
ok(r.status == 403 and outbox_count() == n2, "the request without csrf: 403, no e-mail")
r3 = rb.post("/password-reset", {"csrf": csrf_of(f), "login": "verifikator.demo@kominfo.demo.go.id"})
ok(r3.status == 200 and r3.body == r2.body and outbox_count() == n2,
   "the same account again within a minute (by e-mail address): same answer, no second e-mail")
raw = db_one("SELECT raw FROM mail_outbox ORDER BY id DESC LIMIT 1")[0]
msg = email.message_from_bytes(raw, policy=email.policy.default)
text = msg.get_body(preferencelist=("plain",)).get_content()
m = re.search(r"(/link/password_reset/[A-Za-z0-9_-]{43})", text)
ok(m is not None and msg["To"] and "verifikator.demo@" in str(msg["To"]),
   "the e-mail goes to the account's address with the reset link", text)
link = m.group(1) if m else "/link/password_reset/" + "A" * 43
r = rb.get(link)
page_ok(r, "GET the reset link")
vpw = "Bengkalis-Reset-2026!q"
r = rb.post(link, {"password": vpw, "confirm": vpw})
ok(r.status == 403, "the reset form without csrf: 403", r)
r = rb.post(link, {"csrf": csrf_of(rb.get(link)), "password": vpw, "confirm": vpw})
ok(r.status == 200 and b'href="/login"' in r.body, "the reset link sets the password", r)
r = rb.get(link)
ok(r.status == 410 and b'name="password"' not in r.body, "GET the used link: 410, no form", r)
r = rb.post(link, {"csrf": csrf_of(rb.get("/login")), "password": vpw + "2",
                   "confirm": vpw + "2"})
ok(r.status == 410, "the same link a second time: 410", r)
ok(login(Browser(), "verifikator.demo", vpw).status == 303, "sign-in with the reset password")

# ---- sign-out ----
r = b.post("/logout", {})
ok(r.status == 403, "POST /logout without csrf: 403", r)
ok(b.get("/portal/account").status == 200, "still signed in after the refused sign-out")
r = b.post("/logout", {"csrf": csrf_of(b.get("/portal/account"))})
ok(r.status == 303 and r.headers.get("location") == "/" and "openams_session" not in b.cookies,
   "POST /logout: 303 to /, cookie deleted", r.headers)

# ---- session idle expiry ----
s = Browser()
ok(login(s, "pemohon.demo", pw).status == 303, "a new session")
ok(s.get("/portal/account").status == 200, "used now")
# Time moves on 31 minutes (OPENAMS_NOW, read by the server at each call).
ok(inst.stop() == 0, "server stopped to move its clock")
os.environ["OPENAMS_NOW"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 31 * 60))
inst.start()
r = s.get("/portal/account")
ok(r.status == 303 and r.headers.get("location", "").startswith("/login"),
   "after 31 idle minutes (auth.session_idle_minutes = 30) the page sends to /login", r.headers)

log = open(inst.log, "rb").read()
ok(all(x.encode() not in log for x in (pw, vpw, secret)),
   "no password or TOTP secret in the server log")
ok(inst.alive(), "server still healthy")
ok(inst.stop() == 0, "server stopped cleanly (exit 0)")
os.environ.pop("OPENAMS_NOW", None)
finish("pages-account")
