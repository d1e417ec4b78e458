#!/usr/bin/python3
"""cases.py - the portal's applicant and staff pages over HTTP (issue 7),
against a demo instance this script starts (tests/api/apilib.py).

Checks: the pages render (200, strict CSP, no-store, a label for every
field) and need a session (303 to /login?next=); starting a request (303 to
the case page; an empty SOP is 422 and a second open request of the same SOP
409, both without a new case; without its CSRF token 403 and nothing made);
uploads (a PDF attached, served back inline with the same bytes for the
case page's preview; HTML renamed .pdf is 415 and stores nothing; an unknown
document id is refused; without the token 403); a person outside the case
gets 404 on its page, its document and its act URL; a wrong step is
refused and the case does not move; a note with HTML is shown escaped on
the timeline; the inbox (the case is in kadis's inbox, not the
applicant's; 25 rows a page, overdue ones first, counts equal to the JSON
API's tasks; bad page numbers 422); withdrawing, after which acting is
refused; my certificates lists only mine, and another person's download is
404."""
import os
import re
import sqlite3
import subprocess
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import apilib  # noqa: E402
from apilib import OPENAMS, Instance, ok, finish  # noqa: E402

CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
       "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SOP = "meranti-penerbitan"
DOCS = ("surat_permohonan", "formulir_rekomendasi", "fc_ktp", "fc_sk")
BULK = 30

inst = Instance()
db = os.path.join(inst.dir, "openams.db")

# ---- before the server: 30 cases waiting at kadis's step, 10 of them overdue,
# and two certificates (the applicant's NIK and another) ----
bulk = os.environ.get("API_BULK")
if bulk:
    r = subprocess.run([bulk, inst.dir, str(BULK), "0", os.path.join(inst.tmp, "ids")],
                       capture_output=True, text=True, timeout=300)
    ok(r.returncode == 0, "api_bulk: %d cases at step 2" % BULK, r.stderr)
    con = sqlite3.connect(db)
    con.execute("UPDATE sop_case SET step_due_at = strftime('%s','now') - 7200 "
                "WHERE state = 'open' AND id IN (SELECT id FROM sop_case ORDER BY id DESC LIMIT 10)")
    con.commit()
    con.close()
kp = os.path.join(inst.tmp, "k.pass")
with open(kp, "w") as f:
    f.write("Kunci-Uji-Halaman-2026\n")


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


mine = issue("Siti Rahmawati", "1471015505900001")
other = issue("Orang Lain", "1471016612880002")

inst.start()


def count(sql, *args):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, args).fetchone()[0]
    finally:
        con.close()


def page(c, path):
    return c.get(path)


def csrf_of(r):
    m = re.search(r'name="csrf" value="([^"]+)"', r.body.decode())
    return m.group(1) if m else ""


def form(c, path, fields):
    from urllib.parse import urlencode
    return c.req("POST", path, raw=urlencode(fields).encode(), csrf=False,
                 ctype="application/x-www-form-urlencoded")


def multipart(c, path, fields, fname, data):
    b = uuid.uuid4().hex
    body = b""
    for k, v in fields.items():
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                 % (b, k, v)).encode()
    body += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
             "Content-Type: application/pdf\r\n\r\n" % (b, fname)).encode() + data
    body += ("\r\n--%s--\r\n" % b).encode()
    return c.req("POST", path, raw=body, csrf=False, ctype="multipart/form-data; boundary=" + b)


def labelled(html):
    ids = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    fields = re.findall(r'<(?:input|select|textarea)\b([^>]*)>', html)
    bad = []
    for a in fields:
        if re.search(r'type="(hidden|submit)"', a):
            continue
        m = re.search(r'id="([^"]+)"', a)
        if not m or m.group(1) not in ids:
            bad.append(a)
    return bad


app = inst.client("pemohon.demo")
kadis = inst.client("kadis.demo")
outsider = inst.client("eselon2.demo")   # holds no role of SOP 001

# ---- the pages ----
for p in ("/portal", "/portal/cases", "/portal/requests/new", "/portal/certificates",
          "/portal/inbox"):
    r = page(app, p)
    h = r.body.decode()
    ok(r.status == 200 and r.headers.get("content-security-policy") == CSP and
       r.headers.get("cache-control") == "no-store" and
       r.headers.get("content-type", "").startswith("text/html"),
       "GET %s: 200, strict CSP, no-store" % p, (r.status, r.headers))
    ok(not labelled(h), "GET %s: every field has a label" % p, labelled(h))
    r = inst.anon().get(p)
    ok(r.status == 303 and r.headers.get("location", "").startswith("/login?next=/portal"),
       "GET %s without a session: 303 to /login?next=" % p, (r.status, r.headers.get("location")))

# ---- start a request ----
new = page(app, "/portal/requests/new")
tok = csrf_of(new)
ok(tok and ('value="%s"' % SOP) in new.body.decode(), "the request form offers %s" % SOP)
ok(mine in new.body.decode() and other not in new.body.decode(),
   "the certificate select offers my active certificate only")
ncases = count("SELECT COUNT(*) FROM sop_case")
r = form(app, "/portal/requests", {"sop": SOP})
ok(r.status == 403 and b"Formulir kedaluwarsa" in r.body and
   count("SELECT COUNT(*) FROM sop_case") == ncases, "POST /portal/requests without csrf: 403, no case")
r = form(app, "/portal/requests", {"csrf": tok, "sop": ""})
ok(r.status == 422 and count("SELECT COUNT(*) FROM sop_case") == ncases,
   "an empty SOP: 422, no case", r.status)
r = form(app, "/portal/requests", {"csrf": tok, "sop": "no-such-sop"})
ok(r.status == 422 and count("SELECT COUNT(*) FROM sop_case") == ncases,
   "an unknown SOP: 422, no case", r.status)
r = form(app, "/portal/requests", {"csrf": tok, "sop": SOP})
m = re.match(r"^/portal/cases/(\d+)\?done=opened$", r.headers.get("location", ""))
ok(r.status == 303 and m, "the request is made: 303 to its case page", (r.status, r.headers))
case = int(m.group(1)) if m else 0
c = app.get("/api/v1/cases/%d" % case).json()
ok(c.get("sop") == SOP and c.get("step") == "1" and c.get("applicant") == "pemohon.demo",
   "the case exists at step 1 for the applicant", c)
r = form(app, "/portal/requests", {"csrf": tok, "sop": SOP})
ok(r.status == 409 and count("SELECT COUNT(*) FROM sop_case") == ncases + 1,
   "a second open request of the same SOP: 409, no new case", r.status)

# ---- uploads ----
cp = "/portal/cases/%d" % case
r = page(app, cp)
ok(r.status == 200 and 'action="%s/documents"' % cp in r.body.decode() and
   'action="%s/act"' % cp in r.body.decode(), "the case page has the upload and act forms")
tok = csrf_of(r)
ndocs = count("SELECT COUNT(*) FROM sop_case_document WHERE case_id = ?", case)
docdir = os.path.join(inst.dir, "docs")


def files():
    return sum(len(fs) for _, _, fs in os.walk(docdir)) if os.path.isdir(docdir) else 0


nfiles = files()
r = multipart(app, cp + "/documents", {"doc": "fc_ktp"}, "ktp.pdf", apilib.pdf("ktp"))
ok(r.status == 403 and count("SELECT COUNT(*) FROM sop_case_document WHERE case_id = ?", case) == ndocs,
   "an upload without csrf: 403, nothing attached", r.status)
r = multipart(app, cp + "/documents", {"csrf": tok, "doc": "fc_ktp"}, "ktp.pdf",
              b"<html><script>alert(1)</script></html>")
ok(r.status == 415 and files() == nfiles and
   count("SELECT COUNT(*) FROM sop_case_document WHERE case_id = ?", case) == ndocs,
   "HTML named .pdf: 415, no file stored, nothing attached", r.status)
r = multipart(app, cp + "/documents", {"csrf": tok, "doc": "no_such_doc"}, "x.pdf", apilib.pdf("x"))
ok(400 <= r.status < 500 and
   count("SELECT COUNT(*) FROM sop_case_document WHERE case_id = ?", case) == ndocs,
   "an unknown document id: refused, nothing attached", r.status)
sent = {}
for d in DOCS:
    data = apilib.pdf(d + " " + uuid.uuid4().hex)
    sent[d] = data
    r = multipart(app, cp + "/documents", {"csrf": tok, "doc": d}, d + ".pdf", data)
    ok(r.status == 303 and r.headers.get("location") == cp + "?done=doc",
       "upload %s: 303 back to the case page" % d, r.status)
h = page(app, cp).body.decode()
shas = re.findall(r'src="/portal/cases/%d/documents/([0-9a-f]{64})"' % case, h)
ok(len(shas) == 4, "the case page previews the four documents", shas)
if shas:
    r = app.get("/portal/cases/%d/documents/%s" % (case, shas[0]))
    ok(r.status == 200 and r.headers.get("content-type") == "application/pdf" and
       r.body in sent.values() and r.headers.get("x-frame-options") == "SAMEORIGIN" and
       "frame-ancestors 'self'" in r.headers.get("content-security-policy", ""),
       "a document is served inline for the preview (same bytes, PDF, framed by this origin only)",
       (r.status, r.headers))
    for path in (cp, "/portal/cases/%d/documents/%s" % (case, shas[0])):
        r = outsider.get(path)
        ok(r.status == 404, "someone outside the case: GET %s is 404" % path, r.status)
    r = kadis.get("/portal/cases/%d/documents/%s" % (case, "0" * 64))
    ok(r.status == 404, "an unknown document of a visible case: 404", r.status)
otok = csrf_of(page(outsider, "/portal"))
r = form(outsider, cp + "/act", {"csrf": otok, "step": "1", "role": "pemohon", "decision": "done"})
ok(r.status == 404 and app.get("/api/v1/cases/%d" % case).json()["step"] == "1",
   "someone outside the case: the act URL is 404 and the case does not move", r.status)

# ---- act ----
r = form(app, cp + "/act", {"csrf": tok, "step": "3", "role": "pemohon", "decision": "done"})
ok(400 <= r.status < 500 and b'class="err"' in r.body and
   app.get("/api/v1/cases/%d" % case).json()["step"] == "1",
   "a wrong step: refused on the case page, the case stays at step 1", r.status)
r = form(app, cp + "/act", {"step": "1", "role": "pemohon", "decision": "done"})
ok(r.status == 403 and app.get("/api/v1/cases/%d" % case).json()["step"] == "1",
   "the act form without csrf: 403, the case does not move", r.status)
note = '<script>alert(1)</script> & "kutip"\r\nbaris kedua'
r = form(app, cp + "/act", {"csrf": tok, "step": "1", "role": "pemohon", "decision": "done",
                            "note": note})
ok(r.status == 303 and app.get("/api/v1/cases/%d" % case).json()["step"] == "2",
   "the applicant submits: 303, the case is at step 2", r.status)
h = page(app, cp).body.decode()
ok("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;kutip&quot;" in h and
   "<script>alert" not in h, "the note with HTML is shown escaped on the timeline")

# ---- the inbox ----
ik = page(kadis, "/portal/inbox").body.decode()
ia = page(app, "/portal/inbox").body.decode()
ok('href="%s"' % cp in ik or BULK >= 25, "kadis's inbox lists the case (or it is on a later page)")
ok('href="%s"' % cp not in ia, "the applicant's inbox does not list it")
tj = kadis.get("/api/v1/tasks?limit=1000").json()
tasks = tj["tasks"]
total = len(tasks)
ok(tj["total"] == total and tj["overdue"] == sum(1 for t in tasks if t["overdue"]),
   "/api/v1/tasks?limit=1000: all %d tasks, its total and overdue counts theirs" % total, tj["total"])
m = re.search(r'id="summary"><strong>(\d+)</strong> tugas, <strong>(\d+)</strong> terlambat', ik)
overdue = sum(1 for t in tasks if t["overdue"])
ok(m and int(m.group(1)) == total and int(m.group(2)) == overdue,
   "the inbox counts %d tasks, %d overdue, as /api/v1/tasks does" % (total, overdue),
   m and m.groups())
rows = re.findall(r'<tr><td><a href="/portal/cases/(\d+)">', ik)
ok(len(rows) == min(25, total), "page 1 has %d rows" % min(25, total), len(rows))
ok([int(x) for x in rows] == [t["id"] for t in tasks[:25]],
   "the inbox's order is the tasks' order (most urgent first)")
if bulk:
    first = ik.split("<tbody>")[1].split("</tr>")[:overdue]
    ok(overdue == 10 and all("badge late" in x for x in first),
       "the 10 overdue tasks come first, marked overdue", overdue)
if total > 25:
    i2 = page(kadis, "/portal/inbox?page=2").body.decode()
    rows2 = re.findall(r'<tr><td><a href="/portal/cases/(\d+)">', i2)
    ok([int(x) for x in rows2] == [t["id"] for t in tasks[25:50]] and 'rel="prev"' in i2 and
       'rel="next"' in ik, "page 2 has the next tasks, with paging links", len(rows2))
    ok('href="%s"' % cp in ik + i2, "kadis's inbox lists the case")
for q in ("0", "x", "-1", "99999999999"):
    r = kadis.get("/portal/inbox?page=" + q)
    ok(r.status == 422, "/portal/inbox?page=%s: 422" % q, r.status)

# ---- withdraw ----
r = form(app, cp + "/close", {"csrf": tok, "how": "withdraw", "note": "tidak jadi"})
ok(r.status == 303 and app.get("/api/v1/cases/%d" % case).json()["state"] == "withdrawn",
   "the applicant withdraws: the case is withdrawn", r.status)
r = form(kadis, cp + "/act", {"csrf": csrf_of(page(kadis, cp)), "step": "2", "role": "kadis",
                              "decision": "done"})
ok(r.status == 409 and app.get("/api/v1/cases/%d" % case).json()["state"] == "withdrawn",
   "acting on a withdrawn case: 409", r.status)

# ---- my certificates ----
h = page(app, "/portal/certificates").body.decode()
ok(mine in h and other not in h, "my certificates lists mine only")
r = app.get("/api/v1/certificates/%s.pem" % mine)
ok(r.status == 200 and b"BEGIN CERTIFICATE" in r.body, "my certificate downloads (PEM)", r.status)
r = app.get("/api/v1/certificates/%s.der" % mine)
ok(r.status == 200 and r.body[:1] == b"\x30", "my certificate downloads (DER)", r.status)
r = app.get("/api/v1/certificates/%s.pem" % other)
ok(r.status == 404, "another person's certificate: 404", r.status)

ok(inst.stop() == 0, "the server stops cleanly")
finish("pages-cases")
