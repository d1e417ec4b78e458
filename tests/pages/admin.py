#!/usr/bin/python3
"""admin.py - the portal's administration and SLA pages over HTTP (issue 7),
against a demo instance this script starts (tests/api/apilib.py), with a
small SMTP server of its own that refuses every recipient (550), so that
e-mails fail for good.

Checks: every page renders for the instance administrator (200, the strict
CSP) and is 403 for an applicant and for the administrator of another
agency (pages about the instance's agency); a person is created and given
a role through the forms; HTML in a person's name is shown escaped; a POST
without the CSRF token is 403 and changes nothing; a broken SOP upload
shows its file:line errors, a good one installs, its official form and
swimlane (well-formed SVG) are served with the strict policy, activation
makes it active; a failed e-mail is listed and retried; the audit page
shows verification OK, and after a row is changed with sqlite3 the first
broken record; the SLA page's numbers equal `openams case sla`."""
import html
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
from apilib import (OPENAMS, ROLE_USER, SHARE, Client, Instance, ok, finish,  # noqa: E402
                    walk_step)

CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
       "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


# ---- an SMTP server refusing every recipient ----
class Refuser:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self.talk, args=(c,), daemon=True).start()

    def talk(self, c):
        c.settimeout(10)
        f = c.makefile("rb")
        try:
            c.sendall(b"220 refuser ESMTP\r\n")
            for line in f:
                cmd = line[:4].upper()
                if cmd == b"RCPT":
                    c.sendall(b"550 5.1.1 mailbox unavailable\r\n")
                elif cmd == b"QUIT":
                    c.sendall(b"221 bye\r\n")
                    break
                elif cmd == b"DATA":
                    c.sendall(b"554 no valid recipients\r\n")
                else:
                    c.sendall(b"250 ok\r\n")
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.stop = True
        self.sock.close()


smtp = Refuser()
inst = Instance(config="mail.smtp_url = smtp://127.0.0.1:%d\nmail.starttls = no\n"
                       "mail.max_attempts = 1\n" % smtp.port)
DB = os.path.join(inst.dir, "openams.db")
inst.start()


class Browser:
    """One signed-in person: the session cookie and its form token."""

    def __init__(self, user, password=None):
        c = Client(inst, user, password)
        self.cookie, self.csrf = c.cookie, c.csrf

    def get(self, path):
        return inst.http("GET", path, None, {"Cookie": self.cookie})

    def post(self, path, fields, csrf=True):
        f = dict(fields)
        if csrf:
            f["csrf"] = self.csrf
        return inst.http("POST", path, urllib.parse.urlencode(f).encode(),
                         {"Cookie": self.cookie,
                          "Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, path, fields, files):
        b = uuid.uuid4().hex
        body = b""
        for k, v in dict(fields, csrf=self.csrf).items():
            body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                     % (b, k, v)).encode()
        for k, (name, data) in files.items():
            body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                     "Content-Type: application/yaml\r\n\r\n" % (b, k, name)).encode()
            body += data + b"\r\n"
        body += ("--%s--\r\n" % b).encode()
        return inst.http("POST", path, body, {"Cookie": self.cookie,
                                              "Content-Type": "multipart/form-data; boundary=" + b})


def text(r):
    return r.body.decode("utf-8", "replace")


def sql(q, args=()):
    con = sqlite3.connect(DB, timeout=30)
    try:
        return con.execute(q, args).fetchall()
    finally:
        con.close()


admin = Browser("admin.demo")
api_admin = Client(inst, "admin.demo")
ORG = sql("SELECT org FROM auth_person WHERE id = 'admin.demo'")[0][0]
app = Browser("pemohon.demo")

# ---- another agency and its administrator (through the API) ----
r = api_admin.post("/api/v1/orgs", {"id": "dinas-lain", "name": "Dinas Lain"})
ok(r.status == 201, "API: another agency created", r)
r = api_admin.post("/api/v1/people", {"id": "admin.lain", "org": "dinas-lain",
                                      "name": "Admin Lain", "email": "admin.lain@lain.go.id",
                                      "staff_only": True, "password": "Kata-Rahasia-Kuat-8831"})
ok(r.status == 201, "API: its administrator created", r)
r = api_admin.post("/api/v1/roles", {"person": "admin.lain", "org": "dinas-lain", "role": "admin"})
ok(r.status == 201, "API: admin role granted", r)
other = Browser("admin.lain", "Kata-Rahasia-Kuat-8831")

# ---- a CA operator without admin: the API's rules (no admin pages, the SLA) ----
r = api_admin.post("/api/v1/people", {"id": "op.uji", "name": "Operator Uji",
                                      "email": "op.uji@kominfo.demo.go.id", "staff_only": True,
                                      "password": "Kata-Rahasia-Kuat-8831"})
ok(r.status == 201 and api_admin.post("/api/v1/roles", {"person": "op.uji",
                                                         "role": "ca_operator"}).status == 201,
   "API: a CA operator created", r)
op = Browser("op.uji", "Kata-Rahasia-Kuat-8831")
ok(op.get("/portal/admin").status == 403 and op.get("/portal/admin/audit").status == 403,
   "CA operator: admin pages 403 (as GET /api/v1/audit)")
ok(Client(inst, "op.uji", "Kata-Rahasia-Kuat-8831").get("/api/v1/audit").status == 403,
   "CA operator: the API refuses the audit log too")
ok(op.get("/portal/sla").status == 200, "CA operator: the SLA dashboard 200")

# ---- pages: admin 200, applicant and another agency's admin 403 ----
vid = sql("SELECT id FROM sop_version WHERE org = ? ORDER BY id LIMIT 1", (ORG,))[0][0]
PAGES = ["/portal/admin?org=%s" % ORG, "/portal/admin/people?org=%s" % ORG,
         "/portal/admin/people/pemohon.demo", "/portal/admin/sops?org=%s" % ORG,
         "/portal/admin/sops/%s" % vid, "/portal/admin/sops/%s/form" % vid,
         "/portal/admin/sops/%s/swimlane.svg" % vid, "/portal/admin/mail?org=%s" % ORG,
         "/portal/admin/audit?org=%s" % ORG, "/portal/sla?org=%s" % ORG]
for pth in PAGES:
    r = admin.get(pth)
    ok(r.status == 200, "admin: GET %s 200" % pth, r)
    if "/form" not in pth and "svg" not in pth:
        ok(r.headers.get("content-security-policy") == CSP and
           r.headers.get("cache-control") == "no-store", "admin: %s strict CSP, no-store" % pth,
           r.headers)
        labels = set(re.findall(r'<label[^>]* for="([^"]+)"', text(r)))
        inputs = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', text(r)))
        ok(inputs <= labels, "admin: %s every field has a label" % pth, inputs - labels)
    r = app.get(pth)
    ok(r.status == 403, "applicant: GET %s 403" % pth, r)
    r = other.get(pth)
    ok(r.status == 403, "other agency's admin: GET %s 403" % pth, r)
r = other.get("/portal/admin")
ok(r.status == 200 and "dinas-lain" in text(r) and ORG not in text(r),
   "other agency's admin sees only their own agency", r)
r = inst.http("GET", "/portal/admin")
ok(r.status == 303 and r.headers.get("location", "").startswith("/login"),
   "no session: /portal/admin redirects to sign-in", r)

# ---- people and roles through the forms ----
NAME = '<b>Budi</b> "Uji" & <script>x</script>'
before = sql("SELECT count(*) FROM audit")[0][0]
r = admin.post("/portal/admin/people", {"org": ORG, "id": "budi.uji", "name": NAME,
                                        "email": "budi.uji@kominfo.demo.go.id",
                                        "nik": "3201011501900001"}, csrf=False)
ok(r.status == 403, "create person without CSRF: 403", r)
ok(sql("SELECT count(*) FROM audit")[0][0] == before and
   api_admin.get("/api/v1/people").json() is not None and
   all(p["id"] != "budi.uji" for p in api_admin.get("/api/v1/people").json()["people"]),
   "the refused POST changed nothing")
r = admin.post("/portal/admin/people", {"org": ORG, "id": "budi.uji", "name": NAME,
                                        "email": "budi.uji@kominfo.demo.go.id",
                                        "nik": "3201011501900001"})
ok(r.status == 303 and r.headers.get("location", "").startswith("/portal/admin/people/budi.uji"),
   "create person through the form: 303 to the person", r)
# Refusals in the catalogue's words (issue 21, item 1): Indonesian first,
# no English-only module sentence.
r = admin.post("/portal/admin/people", {"org": ORG, "id": "tanpa.email", "name": "Tanpa Email"})
ok(r.status == 422 and "ID, nama dan e-mail wajib diisi." in text(r) and
   "The id, name and e-mail are required." in text(r),
   "a person without an e-mail: 422, the catalogue's Indonesian then English", text(r)[-600:])
r = admin.post("/portal/admin/people", {"org": ORG, "id": "nik.salah", "name": "Nik Salah",
                                        "email": "nik.salah@kominfo.demo.go.id", "nik": "123"})
ok(r.status == 422 and "NIK harus 16 angka sesuai format NIK Dukcapil" in text(r) and
   "must be exactly" not in text(r),
   "a person with a 3-digit NIK: 422, the NIK rule in Indonesian, not the module's English",
   text(r)[-600:])
r = admin.get("/portal/admin/people/budi.uji")
ok(r.status == 200 and html.escape(NAME, quote=True).replace("&#x27;", "&#39;") in text(r)
   and "<script>x</script>" not in text(r), "the name is shown escaped", text(r)[:300])
for i in range(26):
    r = api_admin.post("/api/v1/people", {"id": "massal.%02d" % i, "name": "Massal %02d" % i,
                                          "email": "massal.%02d@kominfo.demo.go.id" % i,
                                          "staff_only": True})
p1 = text(admin.get("/portal/admin/people?org=%s&q=massal" % ORG))
p2 = text(admin.get("/portal/admin/people?org=%s&q=massal&page=2" % ORG))
ok("massal.00" in p1 and "massal.24" in p1 and "massal.25" not in p1 and "massal.25" in p2
   and "massal.00" not in p2 and "page=2" in p1, "people: 25 a page, the next page link")
r = admin.get("/portal/admin/people?org=%s&q=budi" % ORG)
ok(r.status == 200 and "budi.uji" in text(r) and "pemohon.demo" not in text(r),
   "search finds the person, only them", r)
roles = re.findall(r"<option>([a-z0-9_]+)</option>", text(admin.get("/portal/admin/people/budi.uji")))
ok("verifikator" in roles and "admin" not in roles and "ca_operator" not in roles,
   "the roles offered to an applicant account are the SOP actors (admin and ca_operator are "
   "for staff-only accounts)", roles)
r = admin.post("/portal/admin/people/budi.uji/roles", {"role": "admin"})
ok(r.status == 409 and sql("SELECT count(*) FROM auth_role WHERE person='budi.uji'")[0][0] == 0,
   "finding 5: admin for an applicant account through the form: refused (409), nothing held", r)
ok(any(g in text(r) for g in ("Langkah ini tidak dapat dilakukan pada keadaan sekarang.",
                               "Permintaan ini tidak diizinkan oleh aturan layanan.",
                               "Data ini sudah ada.", "Anda tidak berwenang melakukan ini.")),
   "... a module refusal without an id: the catalogue's Indonesian text of its code first",
   text(r)[-600:])
r = admin.post("/portal/admin/people/budi.uji/roles", {"role": "superuser"})
ok(r.status in (400, 422) and
   sql("SELECT count(*) FROM auth_role WHERE person='budi.uji'")[0][0] == 0,
   "finding 5: an unknown role (superuser) through the form: refused, nothing held", r)
r = admin.post("/portal/admin/people/budi.uji/roles", {"role": "verifikator"})
ok(r.status == 303, "assign a role through the form: 303", r)
held = [x["role"] for x in api_admin.get("/api/v1/roles").json()["roles"] if x["person"] == "budi.uji"]
ok(held == ["verifikator"], "the role is held (API)", held)
r = admin.post("/portal/admin/people/budi.uji/roles", {"role": "verifikator"})
ok(r.status == 409, "assigning it again: 409", r)
r = other.post("/portal/admin/people/budi.uji/roles", {"role": "admin"})
ok(r.status == 403, "another agency's admin cannot assign roles here", r)
r = admin.post("/portal/admin/people/budi.uji/roles/verifikator/remove", {})
ok(r.status == 303 and not [x for x in api_admin.get("/api/v1/roles").json()["roles"]
                            if x["person"] == "budi.uji"], "remove the role", r)
r = admin.post("/portal/admin/people/budi.uji", {"name": "Budi Santoso",
                                                 "email": "budi.uji@kominfo.demo.go.id",
                                                 "nik": "3201011501900001", "unit": "TI"})
ok(r.status == 303 and "Budi Santoso" in text(admin.get("/portal/admin/people/budi.uji")),
   "edit the profile", r)
# Finding 4: an e-mail address is a credential: changing it needs a recent
# sign-in (the server restarted with its clock 11 minutes ahead).
inst.stop()
os.environ["OPENAMS_NOW"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 660))
inst.start()
r = admin.post("/portal/admin/people/budi.uji", {"name": "Budi Santoso",
                                                 "email": "budi.lain@kominfo.demo.go.id",
                                                 "nik": "3201011501900001", "unit": "TI"})
ok(r.status == 403 and sql("SELECT email FROM auth_person WHERE id='budi.uji'")[0][0] ==
   "budi.uji@kominfo.demo.go.id", "an e-mail change 11 minutes after sign-in: 403, unchanged", r)
r = admin.post("/portal/admin/people/budi.uji", {"name": "Budi Santoso",
                                                 "email": "budi.uji@kominfo.demo.go.id",
                                                 "nik": "3201011501900001", "unit": "TI Baru"})
ok(r.status == 303, "... while other profile changes need no new sign-in: 303", r)
inst.stop()
del os.environ["OPENAMS_NOW"]
inst.start()
r = admin.post("/portal/admin/people/budi.uji/disable", {"disabled": "1"})
ok(r.status == 303 and sql("SELECT disabled FROM auth_person WHERE id='budi.uji'")[0][0] == 1,
   "deactivate the person", r)

# ---- SOP definitions ----
good = open(os.path.join(SHARE, "sop", "900-pembaruan-contoh.yaml")).read()
good = re.sub(r"(?m)^id: .*$", "id: uji-pembaruan", good)
lines = good.split("\n")
kline = [i for i, ln in enumerate(lines) if ln.startswith("kind:")][0]
lines[kline] = "kind: bukan-jenis"
broken = "\n".join(lines)
r = admin.upload("/portal/admin/sops", {"do": "check"}, {"file": ("rusak.yaml", broken.encode())})
errs = re.findall(r"<li><code>([^<]+)</code>: ", text(r))
ok(r.status == 422 and "rusak.yaml:%d" % (kline + 1) in errs,
   "broken SOP: 422 with its file:line errors", (r.status, errs, text(r)[-1500:]))
r = admin.upload("/portal/admin/sops", {"do": "check", "text": good}, {})
ok(r.status == 200 and "Definisi SOP sah" in text(r), "pasted good SOP checks valid", r)
r = admin.upload("/portal/admin/sops", {"do": "install"}, {"file": ("baik.yaml", good.encode())})
loc = r.headers.get("location", "")
m = re.match(r"/portal/admin/sops/(\d+)", loc)
ok(r.status == 303 and m, "good SOP installs: 303 to its version", r)
nv = m.group(1) if m else "0"
r = admin.get("/portal/admin/sops/%s" % nv)
ok(r.status == 200 and "Aktifkan versi ini" in text(r), "version page: not active, activate form", r)
r = admin.get("/portal/admin/sops/%s/swimlane.svg" % nv)
try:
    root = ET.fromstring(r.body)
    wf = root.tag.endswith("svg")
except ET.ParseError as e:
    wf = False
    r = "%r %s" % (r, e)
ok(wf, "swimlane: well-formed SVG", r)
csp = r.headers.get("content-security-policy", "") if hasattr(r, "headers") else ""
ok(r.headers.get("content-type") == "image/svg+xml" and "unsafe" not in csp and
   "script-src" not in csp and csp.startswith("default-src 'none'"), "swimlane: strict CSP", csp)
r = admin.get("/portal/admin/sops/%s/form" % nv)
csp = r.headers.get("content-security-policy", "")
ok(r.status == 200 and "<html" in text(r) and "PEMBARUAN" in text(r),
   "official form rendered", r)
ok("unsafe" not in csp and "style-src 'sha256-" in csp and "frame-ancestors 'self'" in csp,
   "official form: strict CSP (style by hash, framed by this origin only)", csp)
r = admin.post("/portal/admin/sops/%s/activate" % nv, {}, csrf=False)
ok(r.status == 403 and sql("SELECT active FROM sop_version WHERE id=?", (nv,))[0][0] == 0,
   "activate without CSRF: 403, not active", r)
r = other.post("/portal/admin/sops/%s/activate" % nv, {})
ok(r.status == 403, "another agency's admin cannot activate it", r)
r = Client(inst, "admin.lain", "Kata-Rahasia-Kuat-8831").post(
    "/api/v1/sops/versions/%s/activate" % nv)
ok(r.status == 403 and sql("SELECT active FROM sop_version WHERE id=?", (nv,))[0][0] == 0,
   "nor through the API (403)", r)
r = admin.post("/portal/admin/sops/%s/activate" % nv, {})
ok(r.status == 303 and sql("SELECT active FROM sop_version WHERE id=?", (nv,))[0][0] == 1,
   "activate: 303 and active", r)

# ---- failed e-mail and retry ----
r = inst.http("GET", "/password-reset")
cookie = r.headers.get("set-cookie", "").split(";")[0]
tok = re.search(r'name="csrf" value="([^"]+)"', text(r)).group(1)
r = inst.http("POST", "/password-reset", urllib.parse.urlencode({"csrf": tok, "login": "pemohon.demo"}).encode(),
              {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
ok(r.status == 200, "password reset requested (an e-mail for the outbox)", r)
failed = []
for _ in range(300):
    failed = sql("SELECT id FROM mail_outbox WHERE state='failed'")
    if failed:
        break
    time.sleep(0.1)
ok(failed, "the e-mail failed (550)")
smtp.close()  # from now on the server is unreachable: a retried message stays queued
mid = failed[0][0] if failed else 0
r = admin.get("/portal/admin/mail")
ok(r.status == 200 and "/portal/admin/mail/%d/retry" % mid in text(r), "failed e-mail listed", r)
r = other.get("/portal/admin/mail")
ok(r.status == 200 and "/portal/admin/mail/%d/retry" % mid not in text(r),
   "another agency's admin does not see it", r)
r = admin.post("/portal/admin/mail/%d/retry" % mid, {}, csrf=False)
ok(r.status == 403, "retry without CSRF: 403", r)
r = admin.post("/portal/admin/mail/%d/retry" % mid, {})
ok(r.status == 303, "retry: 303", r)
out = subprocess.run([OPENAMS, "mail", "list", "--dir", inst.dir], capture_output=True, text=True)
st = [ln.split("\t")[1] for ln in out.stdout.splitlines() if ln.startswith("%d\t" % mid)]
ok(st and st[0] in ("queued", "sending"), "the message is queued again", out.stdout)

# ---- audit log and its verification ----
r = admin.get("/portal/admin/audit")
ok(r.status == 200 and 'class="ok audit-ok"' in text(r), "audit: verification OK", r)
r = admin.get("/portal/admin/audit?actor=admin.demo&action=role.grant")
rows = re.findall(r"<tr><td>\d+</td>.*?</tr>", text(r))
ok(rows and all("admin.demo" in x for x in rows), "audit filter by actor and action", rows[:3])
seq = sql("SELECT seq FROM audit ORDER BY seq LIMIT 1 OFFSET 3")[0][0]
con = sqlite3.connect(DB, timeout=30)
trig = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit'")]
tsql = [s for (s,) in con.execute("SELECT sql FROM sqlite_master WHERE type='trigger' AND tbl_name='audit'")]
for t in trig:
    con.execute("DROP TRIGGER %s" % t)
con.execute("UPDATE audit SET actor = 'mallory' WHERE seq = ?", (seq,))
for s in tsql:
    con.execute(s)
con.commit()
con.close()
r = admin.get("/portal/admin/audit")
m = re.search(r'class="first-bad">(\d+)<', text(r))
ok(r.status == 200 and 'audit-bad' in text(r) and m and int(m.group(1)) == seq,
   "audit after tampering: broken at record %d" % seq, text(r)[:2000])

# ---- SLA numbers against `openams case sla` (after a few real transitions) ----
clients = {u: Client(inst, u) for u in set(ROLE_USER.values()) if u in inst.logins}
sop001 = yaml.safe_load(open(os.path.join(inst.dir, "sop", "001-penerbitan-meranti.yaml")))
r = clients["pemohon.demo"].post("/api/v1/cases", {"sop": "meranti-penerbitan"})
ok(r.status == 201, "a case opened for the SLA figures", r)
cid = r.json()["id"] if r.status == 201 else 0
for _ in range(3):
    c = clients["pemohon.demo"].get("/api/v1/cases/%s" % cid).json()
    if c["state"] != "open" or c["current"]["action"] in ("fill_identity", "set_passphrase"):
        break
    st, role, r = walk_step(inst, clients, cid, sop001)
    ok(r.status == 200, "case %s: step %s done" % (cid, st), r)
# Finding 1 (follow-up): the NIK does not change under an open case (the
# case's certificate is issued for the account's NIK).
nik0 = sql("SELECT nik, name, email, unit FROM auth_person WHERE id='pemohon.demo'")[0]
r = admin.post("/portal/admin/people/pemohon.demo", {"name": nik0[1], "email": nik0[2],
                                                     "nik": "3201012302900002",
                                                     "unit": nik0[3]})
ok(r.status == 409 and
   sql("SELECT nik FROM auth_person WHERE id='pemohon.demo'")[0][0] == nik0[0],
   "the NIK of a person with an open case cannot be changed: 409, unchanged", r)
r = admin.get("/portal/sla?org=%s" % ORG)
page = {}
for mm in re.finditer(r'<tr data-sop="([^"]+)" data-step="([^"]+)">(.*?)</tr>', text(r)):
    cells = re.findall(r"<td(?: data-s=\"(-?\d+)\")?>(.*?)</td>", mm.group(3))
    vals = [c[0] if c[0] else re.sub(r"<[^>]+>", "", c[1]) for c in cells]
    page[(html.unescape(mm.group(1)), html.unescape(mm.group(2)))] = vals
out = subprocess.run([OPENAMS, "case", "sla", "--dir", inst.dir, "--org", ORG],
                     capture_output=True, text=True)
cli = {}
for ln in out.stdout.splitlines():
    if ln.startswith("#") or not ln:
        continue
    f = ln.split("\t")
    cli[(f[0], f[1])] = [f[2], f[3], f[4], f[5], f[6], f[7], f[8]]
ok(cli and set(cli) == set(page), "SLA page lists the steps of `openams case sla`",
   (sorted(cli)[:5], sorted(page)[:5], out.stderr))
bad = [(k, cli[k], page.get(k)) for k in cli if page.get(k) != cli[k]]
ok(not bad, "SLA numbers equal the engine's (%d steps)" % len(cli), bad[:5])
ok(any(int(v[0]) > 0 for v in cli.values()) and any(int(v[5]) > 0 for v in cli.values()),
   "the figures include completed and open steps", cli)
ok("<title id=" in text(r) and "<desc id=" in text(r) and "<svg" in text(r),
   "SLA chart: SVG with title and desc", r)
# read at a glance (issue 21, item 7): a summary per SOP on top, folded
# sections, step names beside the ids, a legend, "-" where nothing was measured
t = text(r)
summ = re.findall(r'<tr data-summary="([^"]+)">(.*?)</tr>', t)
ok({html.unescape(s) for s, _ in summ} == {k[0] for k in cli},
   "SLA summary: one line per SOP on top", [s for s, _ in summ])
ok(t.index('data-summary=') < t.index('<details'), "... before the folded sections", r)
ok(t.count("<details") == len(summ) and "<details open" not in t,
   "... every SOP folded when there are several", t.count("<details"))
ok("Verifikator" in t or "Verifikasi" in t, "SLA table: steps named by their activity", r)
ok('class="legend"' in t and "waktu baku" in t, "SLA chart: a legend in the page", r)
zero = [k for k, v in cli.items() if int(v[0]) == 0]
rowz = re.search(r'<tr data-sop="%s" data-step="%s">(.*?)</tr>' % (
    re.escape(zero[0][0]), re.escape(zero[0][1])), t) if zero else None
ok(rowz and re.search(r'<td data-s="-?\d+">-</td>', rowz.group(1)),
   "a step with nothing measured shows -, not 0", rowz.group(1)[:300] if rowz else zero[:1])
pageh = len(t)
ok(pageh < 200000, "the page is not huge (%d bytes)" % pageh)
r = app.get("/portal/sla")
ok(r.status == 403, "applicant: /portal/sla 403", r)

ok(inst.alive(), "server still alive")
ok(inst.stop() == 0, "server stopped cleanly (exit 0)")
finish("pages-admin")
