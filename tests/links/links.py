#!/usr/bin/python3
"""links.py - the pages the e-mails link to (issue 6: each with a working link).

Starts tests/mail/smtpd.py on a free port and a demo instance whose mail
goes there (web.public_url = the serve address), walks SOP 001 through the
JSON API with the demo accounts, and follows the e-mailed links: the
identity form (GET shows a form and burns nothing; POST, multipart with
the photo judged by content and the form cookie's csrf token, moves the
case to step 8 and attaches the photo), the set_passphrase link (a mismatched confirmation is refused and
the link still works; POST moves the case to step 11; the same link POSTed
again is refused), the /login link of the account e-mail and the
/status?serial=SERIAL link of the cert_issued e-mail (the HTML status page).  The e-mails arrive in
the seed's order: identity_form, account, set_passphrase, cert_issued."""
import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import apilib  # noqa: E402
from apilib import JPEG, PNG, ROLE_USER, Instance, ok, finish, walk_step  # noqa: E402

PY = os.environ.get("PYTHON", "/usr/bin/python3")
SMTPD = os.path.join(HERE, "..", "mail", "smtpd.py")
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
       "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

# ---- the SMTP server, then the instance (its serve port known before init) ----
port = apilib.free_port()
real_free_port = apilib.free_port
apilib.free_port = lambda: port
inst = None
smtpd = None
try:
    import tempfile
    mtmp = tempfile.mkdtemp(prefix="openams-links.")
    outdir = os.path.join(mtmp, "msgs")
    os.mkdir(outdir)
    portfile = os.path.join(mtmp, "smtp.port")
    smtpd = subprocess.Popen([PY, SMTPD, "--out", outdir, "--port-file", portfile],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(portfile) or smtpd.poll() is not None:
            break
        time.sleep(0.05)
    if not os.path.exists(portfile):
        print("not ok - smtpd.py did not start")
        sys.exit(1)
    smtp_port = int(open(portfile).read().strip())
    inst = Instance(config="mail.smtp_url = smtp://127.0.0.1:%d\nmail.starttls = no\n"
                           "web.public_url = http://127.0.0.1:%d\n" % (smtp_port, port))
    apilib.free_port = real_free_port
    inst.start()
    ok(True, "smtpd on %d, server on %s" % (smtp_port, inst.base))
except SystemExit:
    if smtpd is not None:
        os.kill(smtpd.pid, signal.SIGTERM)
    raise


def stop_smtpd():
    if smtpd is not None and smtpd.poll() is None:
        os.kill(smtpd.pid, signal.SIGTERM)
        try:
            smtpd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(smtpd.pid, signal.SIGKILL)
            smtpd.wait(timeout=10)


import atexit  # noqa: E402
import shutil  # noqa: E402
atexit.register(lambda: (stop_smtpd(), shutil.rmtree(mtmp, ignore_errors=True)))

PUBLIC = "http://127.0.0.1:%d" % port


def messages():
    """[(n, kind, path, to)] of the messages received so far, in order."""
    out = []
    for f in sorted(x for x in os.listdir(outdir) if x.endswith(".eml")):
        m = email.message_from_bytes(open(os.path.join(outdir, f), "rb").read(),
                                     policy=email.policy.default)
        text = m.get_body(preferencelist=("plain",)).get_content()
        kind, path = None, None
        for u in re.findall(re.escape(PUBLIC) + r"(/[^\s<>\"')]*)", text):
            if u.startswith("/link/identity_form/"):
                kind, path = "identity_form", u
            elif u.startswith("/link/set_passphrase/"):
                kind, path = "set_passphrase", u
            elif u.startswith("/status?serial="):
                kind, path = "cert_issued", u
            elif u == "/login" and kind is None:
                kind, path = "account", u
        out.append((f, kind, path, str(m["To"])))
    return out


def wait_mail(kind, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        for f, k, p, to in messages():
            if k == kind:
                return p
        time.sleep(0.2)
    return None


# The form cookie and its csrf token (pg_pre_csrf): fetched once from /login.
_r = inst.http("GET", "/login")
FORM_COOKIE = _r.headers.get("set-cookie", "").split(";")[0]
FORM_CSRF = re.search(rb'name="csrf" value="([^"]+)"', _r.body).group(1).decode()


def form_post(path, fields, ctype="application/x-www-form-urlencoded", csrf=True):
    if csrf:
        fields = dict(fields, csrf=FORM_CSRF)
    return inst.http("POST", path, urllib.parse.urlencode(fields).encode(),
                     {"Content-Type": ctype, "Cookie": FORM_COOKIE})


def multipart_post(path, fields, files, csrf=True):
    """files: {name: (filename, bytes)}"""
    b = uuid.uuid4().hex
    body = b""
    if csrf:
        fields = dict(fields, csrf=FORM_CSRF)
    for k, v in fields.items():
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                 % (b, k, v)).encode()
    for k, (fn, data) in files.items():
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n" % (b, k, fn)).encode()
        body += data + b"\r\n"
    body += ("--%s--\r\n" % b).encode()
    return inst.http("POST", path, body, {"Content-Type": "multipart/form-data; boundary=" + b,
                                          "Cookie": FORM_COOKIE})


def case(cid):
    return clients["pemohon.demo"].get("/api/v1/cases/%s" % cid).json()


def html_ok(r, what):
    ok(r.headers.get("content-security-policy") == CSP, "%s: CSP header" % what, r.headers)
    ok(r.headers.get("cache-control") == "no-store" and
       r.headers.get("referrer-policy") == "no-referrer",
       "%s: Cache-Control no-store, Referrer-Policy no-referrer" % what, r.headers)
    ok(r.headers.get("content-type", "").startswith("text/html"), "%s: text/html" % what,
       r.headers)


import yaml  # noqa: E402
sop001 = yaml.safe_load(open(os.path.join(inst.dir, "sop", "001-penerbitan-meranti.yaml")))
clients = {u: inst.client(u) for u in ROLE_USER.values()}
app = clients["pemohon.demo"]

# ---- the sign-in page ----
r = inst.http("GET", "/login")
ok(r.status == 200 and b"<form" in r.body and b'name="password"' in r.body and
   b"<label" in r.body, "GET /login: a form with labels", r)
html_ok(r, "GET /login")
r = form_post("/login", {"username": "pemohon.demo", "password": "wrong-password-1"})
ok(r.status == 401 and b"wrong-password-1" not in r.body, "POST /login wrong password: 401", r)
r = form_post("/login", {"username": "pemohon.demo", "password": inst.logins["pemohon.demo"]})
ok(r.status == 303 and "openams_session=" in r.headers.get("set-cookie", "") and
   r.headers.get("location") == "/portal", "POST /login: 303 to /portal, session cookie", r)

# ---- bad links ----
r = inst.http("GET", "/link/identity_form/short")
ok(r.status == 404 and b"<html" in r.body, "malformed token: 404 page", r)
r = inst.http("GET", "/link/nonsense/" + "A" * 43)
ok(r.status == 404, "unknown kind: 404 page", r)
r = multipart_post("/link/identity_form/" + "A" * 43,
                   {"name": "x", "nik": "1471015505900001", "email": "x@kominfo.demo.go.id",
                    "organization": "x", "unit": "x", "position": "x", "locality": "x",
                    "province": "x"}, {"photo": ("f.jpg", JPEG)})
ok(r.status == 404, "POST of an unknown token: 404", r)

# ---- SOP 001 up to step 7 ----
r = app.post("/api/v1/cases", {"sop": "meranti-penerbitan"})
ok(r.status == 201, "pemohon opens a meranti-penerbitan case", r)
cid = r.json()["id"]
for _ in range(10):
    c = case(cid)
    if c["current"]["action"] == "fill_identity":
        break
    st, role, r = walk_step(inst, clients, cid, sop001)
    ok(r.status == 200, "step %s acted by %s" % (st, ROLE_USER[role]), r)
    if r.status != 200:
        finish("links")
c = case(cid)
ok(c["step"] == "7", "the case waits at step 7 (fill_identity)", c.get("step"))

link = wait_mail("identity_form")
# the e-mail says until when its link works (auth.link_ttl_hours after sending)
_idf = [f for f, k, p, to in messages() if k == "identity_form"]
_body = email.message_from_bytes(open(os.path.join(outdir, _idf[0]), "rb").read(),
                                 policy=email.policy.default).get_body(
    preferencelist=("plain",)).get_content() if _idf else ""
ok(re.search(r"Tautan berlaku sampai \d{4}-\d{2}-\d{2} \d{2}:\d{2}", _body) is not None,
   "the identity-form e-mail says until when the link is valid", _body[-300:])
ok(link is not None, "the identity_form e-mail arrived with its link", messages())
if link is None:
    finish("links")
for i in range(2):
    r = inst.http("GET", link)
    ok(r.status == 200 and b"<form" in r.body and b'method="post"' in r.body and
       b'name="nik"' in r.body and b'<label for="f_nik"' in r.body,
       "GET identity_form link (%d): 200, a form with labels" % (i + 1), r)
html_ok(r, "GET identity_form")
ok(b"<script" not in r.body, "no JavaScript")
ident = {"name": "Siti Rahmawati", "nik": "1471015505900001",
         "email": "pemohon.demo@kominfo.demo.go.id", "organization": "Dinas Kominfo",
         "unit": "Bidang Persandian", "position": "Analis", "locality": "Selatpanjang",
         "province": "Riau"}
ok(b'enctype="multipart/form-data"' in r.body and b'name="photo"' in r.body and
   b'type="file"' in r.body and b'name="unit"' in r.body and b'name="position"' in r.body,
   "the identity form asks for personal data, employment data and a photo (multipart)", r)
r = form_post(link, ident)
ok(r.status == 415, "POST identity_form urlencoded: 415 (it carries a photo)", r)
r = multipart_post(link, ident, {"photo": ("foto.jpg", JPEG)}, csrf=False)
ok(r.status == 403 and case(cid)["step"] == "7", "POST identity_form without csrf: 403, still "
   "step 7", r)
r = multipart_post(link, ident, {})
ok(r.status == 422 and case(cid)["step"] == "7", "without the photo: 422, still step 7", r)
r = multipart_post(link, ident, {"photo": ("foto.jpg", apilib.pdf("not a photo"))})
ok(r.status == 415 and case(cid)["step"] == "7",
   "a PDF named foto.jpg as the photo: 415 (judged by content), still step 7", r)
r = multipart_post(link, dict(ident, nik="123"), {"photo": ("foto.png", PNG)})
ok(r.status == 422 and case(cid)["step"] == "7", "an invalid NIK is refused: 422, still step 7",
   r)
ok(b'value="Siti Rahmawati"' in r.body, "the refused form keeps what was typed", r)
r = multipart_post(link, dict(ident, nik="123", name='<b>Siti</b> "R"'), {"photo": ("f.png", PNG)})
ok(r.status == 422 and b"<b>Siti" not in r.body and
   b'value="&lt;b&gt;Siti&lt;/b&gt; &quot;R&quot;"' in r.body,
   "HTML typed in a field comes back escaped, as text", r)
# Security review, finding 1: the identity step is bound to the applicant's
# account.  The form starts from the account, NIK and e-mail locked; another
# person's NIK or e-mail typed into a crafted request is refused at that
# field and changes nothing (the link stays usable).
r = inst.http("GET", link)
ok(re.search(rb'name="nik" type="text" value="1471015505900001" readonly', r.body) is not None,
   "the identity form shows the account's NIK, read-only", r)
ok(re.search(rb'name="email" type="email" value="pemohon.demo@kominfo.demo.go.id" readonly',
             r.body) is not None, "the identity form shows the account's e-mail, read-only", r)
ok(b'name="name" type="text" value="' in r.body, "the name starts from the account", r)
r = multipart_post(link, dict(ident, nik="3201011912990001"), {"photo": ("foto.png", PNG)})
ok(r.status == 422 and b'<div class="field-err" id="e_nik"><p>NIK harus sama dengan yang tercatat '
   b'di akun pemohon.' in r.body and b"not the NIK on the applicant" not in r.body and
   case(cid)["step"] == "7", "another person's NIK: 422 at the NIK field (the catalogue's "
   "Indonesian, no English module sentence), still step 7", r)
ok(b'value="1471015505900001" readonly' in r.body,
   "the refused form shows the account's NIK again, not the one typed", r)
r = multipart_post(link, dict(ident, email="kadis.demo@kominfo.demo.go.id"),
                   {"photo": ("foto.png", PNG)})
ok(r.status == 422 and b'<div class="field-err" id="e_email"><p>E-mail harus sama dengan yang '
   b'tercatat di akun pemohon.' in r.body and case(cid)["step"] == "7",
   "another person's e-mail: 422 at the e-mail field, still step 7", r)
ok(not any(d["doc"] == "photo" for d in case(cid)["documents"]),
   "the refused sends attached no photo")
evil = dict(ident, unit='<img src=x onerror=alert(1)> "Persandian"')
r = multipart_post(link, evil, {"photo": ("foto.jpg", JPEG)})
ok(r.status == 200, "POST identity_form with the photo: 200 (data sent)", r)
html_ok(r, "POST identity_form")
c = case(cid)
ok(c["step"] == "8", "the case moved to step 8", c.get("step"))
ok(any(d["doc"] == "photo" for d in c["documents"]), "the photo is attached to the case",
   c.get("documents"))
r = multipart_post(link, ident, {"photo": ("foto.jpg", JPEG)})
ok(r.status in (404, 410), "the same identity_form link POSTed twice: refused (%d)" % r.status, r)

# ---- verifier approves; account and set_passphrase e-mails ----
st, role, r = walk_step(inst, clients, cid, sop001, decide="yes")
ok(r.status == 200 and r.json()["step"] == "10", "verifikator approves at step %s -> 10" % st, r)
pp = wait_mail("set_passphrase")
acc = wait_mail("account")
ok(pp is not None and acc is not None, "the account and set_passphrase e-mails arrived",
   messages())
if pp is None or acc is None:
    finish("links")
r = inst.http("GET", acc)
ok(r.status == 200 and b"<form" in r.body and b'name="username"' in r.body,
   "the /login link of the account e-mail: 200, a form", r)
r = inst.http("GET", pp)
ok(r.status == 200 and b'name="passphrase"' in r.body and b'name="confirm"' in r.body,
   "GET set_passphrase link: 200, passphrase and confirmation fields", r)
html_ok(r, "GET set_passphrase")
passphrase = "Qx7!vLm29#pZ-tRw-8kN"
ok(b"Aturan" in r.body and b'id="f_confirm"' in r.body, "the strength rule is shown", r)
r = form_post(pp, {"passphrase": passphrase, "confirm": passphrase}, csrf=False)
ok(r.status == 403 and case(cid)["step"] == "10", "set_passphrase without csrf: 403", r)
r = form_post(pp, {"passphrase": passphrase, "confirm": passphrase + "x"})
ok(r.status == 422 and passphrase.encode() not in r.body,
   "mismatched confirmation: 422, passphrase not echoed", r)
ok(case(cid)["step"] == "10", "still at step 10")
r = form_post(pp, {"passphrase": passphrase, "confirm": passphrase})
ok(r.status == 200, "POST set_passphrase (after the refusal, the link still works): 200", r)
c = case(cid)
ok(c["step"] == "11", "the case moved to step 11", c.get("step"))
r = form_post(pp, {"passphrase": passphrase, "confirm": passphrase})
ok(r.status in (404, 410), "the same set_passphrase link POSTed twice: refused (%d)" % r.status,
   r)

# ---- BSrE issues; cert_issued e-mail ----
st, role, r = walk_step(inst, clients, cid, sop001)
ok(r.status == 200 and r.json().get("issued"), "bsre issues at step %s" % st, r)
issued = r.json().get("issued") if r.status == 200 else None
cl = wait_mail("cert_issued")
ok(cl is not None and issued and cl.lower().endswith(issued.lower()),
   "the cert_issued e-mail arrived with /status?serial=SERIAL", (cl, issued))
if cl:
    r = inst.http("GET", cl, headers={"Accept": "text/html"})
    ok(r.status == 200 and r.headers.get("content-type", "").startswith("text/html") and
       b"Baik (berlaku)" in r.body, "its link is the status page: 200, HTML, good (valid)", r)

# ---- activation link (made directly in the database: no route creates one yet) ----
import base64, hashlib, secrets as _secrets, sqlite3  # noqa: E401,E402
raw = _secrets.token_bytes(32)
tok = base64.urlsafe_b64encode(raw).decode().rstrip("=")
db = sqlite3.connect(os.path.join(inst.dir, [f for f in os.listdir(inst.dir)
                                             if f.endswith(".db")][0]), timeout=30)
now = int(time.time())
db.execute("INSERT INTO auth_link(hash, kind, person, case_id, created_by, created_at, "
           "expires_at) VALUES (?, 'activation', 'kadis.demo', NULL, 'links.py', ?, ?)",
           (hashlib.sha256(raw).digest(), now - 10, now + 3600))
db.commit()
db.close()
al = "/link/activation/" + tok
r = inst.http("GET", al)
ok(r.status == 200 and b'name="password"' in r.body and b'name="confirm"' in r.body,
   "GET activation link: 200, password and confirmation fields", r)
r = inst.http("GET", "/link/password_reset/" + tok)
ok(r.status == 404 and b'name="password"' not in r.body,
   "GET with another kind: 404, no form (and the link stays usable)", r)
r = inst.http("GET", "/link/activation/" + ("B" * 43))
ok(r.status == 404 and b'name="password"' not in r.body,
   "GET of a well-formed unknown token: 404, no form", r)
r = form_post("/link/password_reset/" + tok, {"password": "Aa1!aaaaZZZZ9999", "confirm":
                                               "Aa1!aaaaZZZZ9999"})
ok(r.status == 404, "POST under another kind: 404", r)
newpw = "Teluk-Kuantan-2026!x"
r = form_post(al, {"password": newpw, "confirm": newpw + "y"})
ok(r.status == 422, "activation with a mismatched confirmation: 422", r)
r = form_post(al, {"password": "kadis.demo", "confirm": "kadis.demo"})
ok(r.status == 422, "activation with a password against the policy: 422", r)
r = form_post(al, {"password": newpw, "confirm": newpw})
ok(r.status == 200 and b'href="/login"' in r.body,
   "activation (the link still works after refusals): 200 with a link to /login", r)
r = form_post(al, {"password": newpw, "confirm": newpw})
ok(r.status in (404, 410), "the activation link POSTed twice: refused (%d)" % r.status, r)
r = form_post("/login", {"username": "kadis.demo", "password": newpw})
ok(r.status == 303 and "set-cookie" in r.headers, "POST /login with the new password: 303", r)

# ---- order and secrets ----
kinds = [k for f, k, p, to in messages() if k is not None]
ok(kinds == ["identity_form", "account", "set_passphrase", "cert_issued"],
   "the e-mails arrived in the seed's order", kinds)
log = open(inst.log, "rb").read()
ok(passphrase.encode() not in log and newpw.encode() not in log,
   "neither the passphrase nor the password is in the server log")
ok(inst.alive(), "server still healthy")
ok(inst.stop() == 0, "server stopped cleanly (exit 0)")
stop_smtpd()
finish("links")
