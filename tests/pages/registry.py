#!/usr/bin/python3
"""registry.py - the agency's registry pages over HTTP (issue 21, "no dead
ends"): every case and every certificate of the agency for its
administrators and CA operators, searched by NIK, name, serial, case number
and status, and the CA operator's revocation with a reason.

Checks: 403 for an applicant and for a head of office (no admin, no CA
operator role), on the pages and on the revoke POST (nothing revoked); the
cases page lists the agency's case and finds it by applicant id, name, NIK
and case number, not by a stranger's text, and filters by state; the
certificates page lists the certificate of one of the agency's people and
never that of a NIK outside the agency, finds it by NIK, serial and name;
revoking needs the confirmation and a reason (422, still active), a CSRF
token (403), refuses a certificate outside the agency (404, still active);
then revokes: 303, the store says revoked with the reason's CRL code, the
served CRL lists the serial (openssl crl), the audit log names the
operator and the note, and the page says so.  The holder's e-mail: none
queued by the refused attempts, exactly one after the revocation, to the
certificate's address, in Indonesian, with the reason's label (not its id)
and the time; none more when revoking again is refused.  Another agency
(through the API: its admin, also CA operator, and one of its people with a
certificate): its admin sees its own registry by the agency's name, no
agency select, gets 403 for ?org=kominfo (both pages) and for an unknown
org, and 403 revoking a kominfo certificate with org=kominfo (still active,
no e-mail); the instance admin (admin.demo, admin and CA operator of
instance.org) has the select, views the other agency's certificates and
cases by ?org= (its name, not kominfo's rows), gets a 404 page for an
unknown org, and revokes the other agency's certificate (303 back to that
agency's page, revoked with the reason's code, the holder e-mailed)."""
import email
import email.policy
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
from apilib import OPENAMS, Instance, ok, finish  # noqa: E402

inst = Instance()
db = os.path.join(inst.dir, "openams.db")
kp = os.path.join(inst.tmp, "k.pass")
with open(kp, "w") as f:
    f.write("Kunci-Uji-Daftar-2026\n")


def issue(name, nik):
    out = os.path.join(inst.tmp, nik + ".pem")
    r = subprocess.run([OPENAMS, "ca", "issue", "--dir", inst.dir, "--keygen", "ec-p256",
                        "--key-out", os.path.join(inst.tmp, nik + ".key"), "--key-pass-file", kp,
                        "--name", name, "--org", "Dinas Kominfo", "--nik", nik,
                        "--email", nik + "@kominfo.demo.go.id", "--out", out],
                       capture_output=True, text=True, timeout=120)
    ok(r.returncode == 0, "ca issue %s" % name, r.stderr)
    s = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", out],
                       capture_output=True, text=True)
    return s.stdout.strip().split("=", 1)[-1].lower()


mine = issue("Siti Rahmawati", "1471015505900001")      # pemohon.demo's NIK: the agency's
stranger = issue("Orang Luar", "3273016612880002")      # nobody of the agency
LAIN_NIK = "3174015505910003"                           # a person of another agency (below)
lainc = issue("Rina Lestari", LAIN_NIK)
inst.start()


def q1(sql, *args):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, args).fetchone()
    finally:
        con.close()


def form(c, path, fields):
    return c.req("POST", path, raw=urllib.parse.urlencode(fields).encode(), csrf=False,
                 ctype="application/x-www-form-urlencoded")


def csrf_of(r):
    m = re.search(r'name="csrf" value="([^"]+)"', r.body.decode())
    return m.group(1) if m else ""


def status(serial):
    return q1("SELECT status, reason FROM certificate WHERE lower(serial) = ?", serial)


def revoked_mails(serial):
    """The cert_revoked messages in the outbox naming serial: (rcpt, subject, text)."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        rows = con.execute("SELECT rcpt, raw FROM mail_outbox WHERE event = 'cert_revoked'"
                           " ORDER BY id").fetchall()
    finally:
        con.close()
    out = []
    for rcpt, raw in rows:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",)).get_content()
        if serial.replace(":", "") in body.lower().replace(":", ""):
            out.append((rcpt, str(msg["subject"]), body))
    return out


app = inst.client("pemohon.demo")
kadis = inst.client("kadis.demo")
admin = inst.client("admin.demo")       # admin and ca_operator of the demo agency

# a case of the agency: the applicant's request
new = app.get("/portal/requests/new")
r = form(app, "/portal/requests", {"csrf": csrf_of(new), "sop": "meranti-penerbitan"})
m = re.match(r"^/portal/cases/(\d+)", r.headers.get("location", ""))
ok(r.status == 303 and m, "the applicant opens a request", (r.status, r.headers.get("location")))
case = m.group(1) if m else "0"

# ---- who may ----
for c, who in ((app, "an applicant"), (kadis, "a head of office")):
    for p in ("/portal/registry/cases", "/portal/registry/certificates"):
        r = c.get(p)
        ok(r.status == 403, "%s: GET %s is 403" % (who, p), r.status)
r = admin.get("/portal")
ok('href="/portal/registry/cases"' in r.body.decode(), "the administrator's menu links the registry")
r = app.get("/portal")
ok('href="/portal/registry/cases"' not in r.body.decode(), "the applicant's menu does not")

# ---- all cases ----
link = 'href="/portal/cases/%s"' % case


def cases(query):
    r = admin.get("/portal/registry/cases?" + urllib.parse.urlencode(query))
    return r.status, r.body.decode()


st, h = cases({})
ok(st == 200 and link in h, "the administrator sees the agency's case", st)
for q in ("pemohon.demo", "PEMOHON", "Siti", "1471015505900001", case, "#" + case):
    st, h = cases({"q": q})
    ok(st == 200 and link in h, "the case is found by %r" % q, st)
for q in ("tidak-ada-orang", "9999999"):
    st, h = cases({"q": q})
    ok(st == 200 and link not in h and "Tidak ada permohonan" in h, "not by %r" % q)
st, h = cases({"state": "open"})
ok(st == 200 and link in h, "state open lists it")
st, h = cases({"state": "completed"})
ok(st == 200 and link not in h, "state completed does not")
st, h = cases({"state": "bogus"})
ok(st in (400, 422) and link not in h, "an unknown state is refused", st)

# ---- all certificates ----


def certs(query, c=admin):
    r = c.get("/portal/registry/certificates?" + urllib.parse.urlencode(query))
    return r.status, r.body.decode().lower()


st, h = certs({})
ok(st == 200 and mine in h and stranger not in h,
   "the agency's person's certificate is listed, a stranger's never", st)
for q in ("1471015505900001", mine, mine.upper(), "siti"):
    st, h = certs({"q": q})
    ok(st == 200 and mine in h, "the certificate is found by %r" % q)
st, h = certs({"q": "3273016612880002"})
ok(st == 200 and stranger not in h, "a stranger's NIK finds nothing")
st, h = certs({"status": "revoked"})
ok(st == 200 and mine not in h, "status revoked does not list the active one")

# ---- another agency: its administrator, one of its people (through the API) ----
api = inst.client("admin.demo")        # admin of instance.org (kominfo): an instance admin
ok(api.post("/api/v1/orgs", {"id": "dinas-lain", "name": "Dinas Lain Sejahtera"}).status == 201,
   "API: another agency created")
r = api.post("/api/v1/people", {"id": "admin.lain", "org": "dinas-lain", "name": "Admin Lain",
                                "email": "admin.lain@lain.go.id", "staff_only": True,
                                "password": "Kata-Rahasia-Kuat-8831"})
ok(r.status == 201 and all(api.post("/api/v1/roles", {"person": "admin.lain", "org": "dinas-lain",
                                                     "role": role}).status == 201
                           for role in ("admin", "ca_operator")),
   "API: its administrator and CA operator created", r)
r = api.post("/api/v1/people", {"id": "rina.lain", "org": "dinas-lain", "name": "Rina Lestari",
                                "nik": LAIN_NIK, "email": "rina@lain.go.id",
                                "password": "Kata-Rahasia-Kuat-8832"})
ok(r.status == 201, "API: one of its people, the holder of a certificate", r)
lain = inst.client("admin.lain", "Kata-Rahasia-Kuat-8831")
KOMINFO = q1("SELECT name FROM auth_org WHERE id = 'kominfo'")[0]

st, h = certs({}, lain)
ok(st == 200 and lainc in h and mine not in h and "dinas lain sejahtera" in h and 'id="f_org"' not in h,
   "the other agency's admin: its own registry, by its name, no agency select", st)
for p in ("/portal/registry/certificates?org=kominfo", "/portal/registry/cases?org=kominfo",
          "/portal/registry/certificates?org=tidak-ada"):
    r = lain.get(p)
    ok(r.status == 403 and mine not in r.body.decode().lower(), "an agency's admin: GET %s is 403" % p,
       r.status)
r = form(lain, "/portal/registry/certificates/%s/revoke" % mine,
         {"csrf": csrf_of(lain.get("/portal/registry/certificates")), "org": "kominfo",
          "confirm": "1", "reason": "key_compromise"})
ok(r.status == 403 and status(mine)[0] == "active" and revoked_mails(mine) == [],
   "an agency's admin revoking in another agency (org=): 403, still active, no e-mail", r.status)

st, h = certs({})
ok(st == 200 and KOMINFO.lower() in h and 'name="org"' in h and 'value="dinas-lain"' in h,
   "the instance admin: the own agency by name, a select of every agency", st)
st, h = certs({"org": "dinas-lain"})
ok(st == 200 and lainc in h and mine not in h and "dinas lain sejahtera" in h and
   "dinas-lain\" selected" in h,
   "the instance admin views another agency's certificates (?org=)", st)
ok('name="org" value="dinas-lain"' in h and 'href="/portal/registry/cases?org=dinas-lain"' in h,
   "its revoke forms and links carry the agency")
r = admin.get("/portal/registry/cases?org=dinas-lain")
ok(r.status == 200 and link not in r.body.decode() and "Dinas Lain Sejahtera" in r.body.decode(),
   "the instance admin views another agency's cases (none of kominfo's)", r.status)
for p in ("/portal/registry/certificates?org=tidak-ada", "/portal/registry/cases?org=tidak-ada"):
    r = admin.get(p)
    ok(r.status == 404 and "Instansi tidak ditemukan" in r.body.decode(),
       "an unknown agency: %s is a 404 page" % p, r.status)
r = form(admin, "/portal/registry/certificates/%s/revoke" % lainc,
         {"csrf": csrf_of(admin.get("/portal/registry/certificates?org=dinas-lain")),
          "org": "dinas-lain", "confirm": "1", "reason": "affiliation_changed"})
ok(r.status == 303 and "org=dinas-lain" in r.headers.get("location", "") and
   tuple(status(lainc)) == ("revoked", 3),
   "the instance admin (a CA operator) revokes in another agency: 303, revoked (3)",
   (r.status, r.headers.get("location"), status(lainc)))
mails = revoked_mails(lainc)
ok(len(mails) == 1 and mails[0][0] == LAIN_NIK + "@kominfo.demo.go.id" and
   "Pindah tugas, jabatan atau instansi" in mails[0][2],
   "its holder is e-mailed, with the reason's label",
   [m[:2] for m in mails])
r = admin.get(r.headers.get("location", "/"))
ok(r.status == 200 and "Sertifikat dicabut" in r.body.decode() and
   "Dinas Lain Sejahtera" in r.body.decode(), "the result page is the other agency's")

# ---- revoking ----
page = admin.get("/portal/registry/certificates?q=" + mine)
tok = csrf_of(page)
rv = "/portal/registry/certificates/%s/revoke" % mine
ok('action="%s"' % rv in page.body.decode(), "the CA operator has a revoke form for it")


r = form(admin, rv, {"csrf": tok, "reason": "key_compromise"})
ok(r.status == 422 and status(mine)[0] == "active", "without the confirmation: 422, still active", r.status)
r = form(admin, rv, {"csrf": tok, "confirm": "1", "reason": "bogus"})
ok(r.status == 422 and status(mine)[0] == "active", "an unknown reason: 422, still active", r.status)
r = form(admin, rv, {"confirm": "1", "reason": "key_compromise"})
ok(r.status == 403 and status(mine)[0] == "active", "without the CSRF token: 403, still active", r.status)
r = form(kadis, rv, {"csrf": csrf_of(kadis.get("/portal")), "confirm": "1", "reason": "key_compromise"})
ok(r.status == 403 and status(mine)[0] == "active", "a head of office: 403, still active", r.status)
r = form(admin, "/portal/registry/certificates/%s/revoke" % stranger,
         {"csrf": tok, "confirm": "1", "reason": "key_compromise"})
ok(r.status == 404 and status(stranger)[0] == "active",
   "another agency's certificate: 404, still active", r.status)
ok(revoked_mails(mine) == [] and revoked_mails(stranger) == [],
   "refused revocations queued no e-mail", revoked_mails(mine) + revoked_mails(stranger))
note = "Laptop hilang, laporan polisi terlampir"
r = form(admin, rv, {"csrf": tok, "confirm": "1", "reason": "key_compromise", "note": note})
ok(r.status == 303 and "done=revoked" in r.headers.get("location", ""), "revoked: 303 to the result",
   (r.status, r.headers.get("location")))
ok(tuple(status(mine)) == ("revoked", 1), "the store: revoked, keyCompromise (1)", status(mine))
aud = q1("SELECT actor, detail FROM audit WHERE action = 'cert.revoke.registry' ORDER BY seq DESC")
ok(aud and aud[0] == "admin.demo" and note in aud[1], "the audit log names the operator and the note", aud)
mails = revoked_mails(mine)
ok(len(mails) == 1 and mails[0][0] == "1471015505900001@kominfo.demo.go.id",
   "one cert_revoked e-mail queued, to the certificate's address", [m[:2] for m in mails])
body = mails[0][2] if mails else ""
ok("Sertifikat elektronik Anda telah dicabut" in (mails[0][1] if mails else "") and
   "Alasan: Kunci privat bocor atau diketahui orang lain" in body and "key_compromise" not in body
   and "keyCompromise" not in body, "the e-mail is Indonesian and names the reason's label, not its id",
   body)
ok(re.search(r"Waktu pencabutan: \d{4}-\d\d-\d\d \d\d:\d\d ", body) is not None,
   "the e-mail says when it was revoked", body)
r = admin.get(r.headers.get("location", "/"))
ok(r.status == 200 and "Sertifikat dicabut" in r.body.decode(), "the page says it is revoked")
crl = inst.http("GET", "/pki/issuing.crl")
with tempfile.NamedTemporaryFile(suffix=".crl") as t:
    t.write(crl.body)
    t.flush()
    txt = subprocess.run(["openssl", "crl", "-inform", "DER", "-noout", "-text", "-in", t.name],
                         capture_output=True, text=True).stdout.lower()
ok(mine.replace(":", "") in txt.replace(":", ""), "the served CRL lists the serial (openssl crl)")
r = form(admin, rv, {"csrf": tok, "confirm": "1", "reason": "superseded"})
ok(r.status == 404 and tuple(status(mine)) == ("revoked", 1), "revoking again: 404, unchanged", r.status)
ok(len(revoked_mails(mine)) == 1, "revoking again queued no second e-mail")
finish("pages-registry")
