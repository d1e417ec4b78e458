#!/usr/bin/python3
"""badinput.py - every /api/v1 endpoint with malformed JSON, wrong types,
missing fields, oversized fields and bodies, forged upload types, path
traversal names and injection strings: the documented status and code, the
store unchanged (sqlite3 dumps before and after) and the server still up."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apilib import PNG, Instance, ok, finish, pdf  # noqa: E402

inst = Instance()
inst.start()
app = inst.client("pemohon.demo")
adm = inst.client("admin.demo")
r = app.post("/api/v1/cases", {"sop": "meranti-penerbitan"})
ok(r.status == 201, "a case to aim at", r)
cid = r.json()["id"]
r = app.upload(cid, "fc_ktp", "ktp.pdf", pdf())
ok(r.status == 201, "one good upload", r)

TABLES = ["sop_case", "sop_case_document", "sop_case_data", "sop_transition", "auth_person",
          "auth_role", "auth_org", "certificate", "sop_version"]
before = inst.dump(TABLES)
def doc_files():
    return sorted(f for _, _, fs in os.walk(os.path.join(inst.dir, "docs")) for f in fs)


docs_before = doc_files()

SQLI = "x'); DROP TABLE sop_case; --"
HTML = "<script>alert(1)</script>"
BIG = "a" * 70000
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + \
    b"PE\x00\x00" + os.urandom(64)

J = "application/json"
cases = [
    # (who, method, path, raw body, content type, status, code)
    (app, "POST", "/api/v1/cases", b"{", J, 400, "malformed_json"),
    (app, "POST", "/api/v1/cases", b"[]", J, 400, "invalid_type"),
    (app, "POST", "/api/v1/cases", b'{"sop": 5}', J, 400, "invalid_type"),
    (app, "POST", "/api/v1/cases", b'{"sop": ["x"]}', J, 400, "invalid_type"),
    (app, "POST", "/api/v1/cases", b"{}", J, 422, "missing_field"),
    (app, "POST", "/api/v1/cases", b'{"sop": ""}', J, 422, "missing_field"),
    (app, "POST", "/api/v1/cases", json.dumps({"sop": "x" * 300}).encode(), J, 422,
     "field_too_long"),
    (app, "POST", "/api/v1/cases", json.dumps({"sop": SQLI}).encode(), J, 404, "not_found"),
    (app, "POST", "/api/v1/cases", json.dumps({"sop": HTML}).encode(), J, 404, "not_found"),
    (app, "POST", "/api/v1/cases", b'{"sop": "a", "sop": "b"}', J, 400, "malformed_json"),
    (app, "POST", "/api/v1/cases", b"[" * 40 + b"]" * 40, J, 400, "malformed_json"),
    (app, "POST", "/api/v1/cases", b'{"sop":"meranti-penerbitan"}', "text/plain", 415,
     "unsupported_media_type"),
    # Security review, finding 5: no Content-Type (a cross-site simple request) is refused
    # before anything is looked at, sign-in included (failed sign-ins lock accounts).
    (app, "POST", "/api/v1/cases", b'{"sop":"meranti-penerbitan"}', None, 415,
     "unsupported_media_type"),
    (app, "POST", "/api/v1/cases", b'{"sop":"meranti-penerbitan"}', "application/jsonp", 415,
     "unsupported_media_type"),
    (None, "POST", "/api/v1/session", b'{"username":"pemohon.demo","password":"salah-123456"}',
     None, 415, "unsupported_media_type"),
    (None, "POST", "/api/v1/session", b'{"username":"pemohon.demo","password":"salah-123456"}',
     "text/plain", 415, "unsupported_media_type"),
    (app, "POST", "/api/v1/cases", json.dumps({"sop": BIG}).encode(), J, 413, "limit"),
    (app, "POST", "/api/v1/cases", json.dumps({"sop": "meranti-penerbitan",
                                               "nik": "1234"}).encode(), J, 422, "validation"),
    (app, "POST", "/api/v1/cases/%s/act" % cid, b"nope", J, 400, "malformed_json"),
    (app, "POST", "/api/v1/cases/%s/act" % cid, b'{"step": 1, "role": "pemohon"}', J, 400,
     "invalid_type"),
    (app, "POST", "/api/v1/cases/%s/act" % cid, b'{"step": "1"}', J, 422, "missing_field"),
    (app, "POST", "/api/v1/cases/%s/act" % cid,
     b'{"step": "1", "role": "pemohon", "decision": "maybe"}', J, 422, "validation"),
    (app, "POST", "/api/v1/cases/%s/act" % cid,
     b'{"step": "1", "role": "pemohon", "data": []}', J, 400, "invalid_type"),
    (app, "POST", "/api/v1/cases/%s/act" % cid,
     b'{"step": "1", "role": "pemohon", "data": {"name": 1}}', J, 400, "invalid_type"),
    (app, "POST", "/api/v1/cases/%s/act" % cid,
     json.dumps({"step": "1", "role": "pemohon", "note": "n" * 5000}).encode(), J, 422,
     "field_too_long"),
    (app, "POST", "/api/v1/cases/%s/act" % cid,
     json.dumps({"step": "../../etc", "role": "pemohon"}).encode(), J, 409, None),
    (app, "POST", "/api/v1/cases/99999/act", b'{"step": "1", "role": "pemohon"}', J, 404,
     "not_found"),
    (app, "POST", "/api/v1/cases/abc/act", b'{"step": "1", "role": "pemohon"}', J, 404,
     "not_found"),
    (app, "POST", "/api/v1/cases/%s/close" % cid, b'{"how": "explode"}', J, 422, "validation"),
    (app, "POST", "/api/v1/cases/%s/close" % cid, b'{"how": true}', J, 400, "invalid_type"),
    (app, "GET", "/api/v1/cases/%s/documents/..%%2f..%%2fopenams.conf" % cid, None, None, 404,
     "not_found"),
    (app, "GET", "/api/v1/cases/%s/documents/%s" % (cid, "0" * 64), None, None, 404,
     "not_found"),
    (app, "GET", "/api/v1/cases/-1", None, None, 404, "not_found"),
    (app, "GET", "/api/v1/certificates?status=%27%20OR%201%3D1", None, None, 422, "validation"),
    (app, "GET", "/api/v1/certificates?nik=abc", None, None, 422, "validation"),
    (app, "GET", "/api/v1/certificates/zz", None, None, 404, "not_found"),
    (None, "POST", "/api/v1/session", b"{", J, 400, "malformed_json"),
    (None, "POST", "/api/v1/session", b'{"username": "x"}', J, 422, "missing_field"),
    (None, "POST", "/api/v1/session", json.dumps({"username": SQLI, "password": "x"}).encode(),
     J, 401, "denied"),
    (adm, "POST", "/api/v1/orgs", json.dumps({"id": "../x", "name": HTML}).encode(), J, 422,
     "invalid_input"),
    (adm, "POST", "/api/v1/people", json.dumps({"id": "p1", "name": "P", "email": "not-mail",
                                                "nik": "1471010101700021"}).encode(), J, 422,
     "invalid_input"),
    (adm, "POST", "/api/v1/people", json.dumps({"id": SQLI, "name": HTML, "email": "a@b.go.id",
                                                "nik": "1471010101700022"}).encode(), J, 422,
     "invalid_input"),
    # Security review, finding 5: bidirectional controls in a name (display spoofing).
    (adm, "POST", "/api/v1/people", json.dumps({"id": "p2", "name": "Siti \u202eihtaR",
                                                "email": "p2@kominfo.demo.go.id",
                                                "nik": "1471010101700023"}).encode(), J, 422,
     "invalid_input"),
    (adm, "POST", "/api/v1/people", json.dumps({"id": "p3", "name": "\u2066Budi\u2069",
                                                "email": "p3@kominfo.demo.go.id",
                                                "nik": "1471010101700024"}).encode(), J, 422,
     "invalid_input"),
    (adm, "POST", "/api/v1/roles", json.dumps({"person": "nobody", "role": "kadis"}).encode(), J,
     404, None),
    (adm, "POST", "/api/v1/sops/check", b"\x00\x01", "application/yaml", 400, "invalid_input"),
    (adm, "POST", "/api/v1/sops", b"format: 1\nid: x\n", "application/yaml", 422, "validation"),
    (adm, "POST", "/api/v1/sops/render?format=pdf", b"format: 1\n", "application/yaml", 422,
     "validation"),
    (adm, "GET", "/api/v1/audit?limit=999999", None, None, 422, "validation"),
]
for who, method, path, raw, ctype, st, code in cases:
    if who is None:
        r = inst.http(method, path, raw, {"Content-Type": ctype} if ctype else {})
    else:
        r = who.req(method, path, raw=raw, ctype=ctype)
    good = r.status == st and (code is None or r.code() == code)
    good = good and r.headers.get("content-type", "").startswith("application/json")
    ok(good, "%s %s %s -> %d %s" % (method, path[:60], (raw or b"")[:40], st, code or ""), r)
    ok(HTML.encode() not in r.body or (r.headers.get("x-content-type-options") == "nosniff" and
                                       r.headers["content-type"] == "application/json"),
       "  any echo is inert (application/json, nosniff)")

# Forged uploads and traversal names.
ups = [
    ("fc_sk", "setup.pdf", EXE, 415, "unsupported_media_type", "an .exe renamed .pdf"),
    ("fc_sk", "foto.png", b"<html><body>" + HTML.encode() + b"</body></html>", 415,
     "unsupported_media_type", "HTML named .png"),
    ("fc_sk", "../../../etc/passwd", pdf(), 422, "validation", "a path traversal file name"),
    ("fc_sk", "..\\..\\boot.ini", pdf(), 422, "validation", "a backslash traversal name"),
    ("fc_sk", ".hidden.pdf", pdf(), 422, "validation", "a hidden file name"),
    ("..", "x.png", PNG, 422, "invalid_input", "'..' as the document id"),
    ("not_a_doc", "x.png", PNG, 422, "invalid_input", "an unknown document id"),
    ("fc_sk", "empty.pdf", b"", 422, "validation", "an empty file"),
]
for doc, name, data, st, code, desc in ups:
    r = app.upload(cid, doc, name, data)
    ok(r.status == st and r.code() == code, "upload %s -> %d %s" % (desc, st, code), r)
r = app.req("POST", "/api/v1/cases/%s/documents/fc_sk" % cid, raw=b"garbage",
            ctype="multipart/form-data; boundary=zzz")
ok(r.status == 400, "malformed multipart -> 400", r)
r = app.req("POST", "/api/v1/cases/%s/documents/fc_sk" % cid, raw=pdf(), ctype="application/pdf")
ok(r.status == 415, "a raw body instead of multipart -> 415", r)
# A declared body over the route's limit is refused before it is sent.
import http.client  # noqa: E402
hc = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=30)
hc.putrequest("POST", "/api/v1/cases/%s/documents/fc_sk" % cid)
hc.putheader("Cookie", app.cookie)
hc.putheader("X-CSRF-Token", app.csrf)
hc.putheader("Content-Type", "multipart/form-data; boundary=b")
hc.putheader("Content-Length", str(11 * 1024 * 1024))
hc.endheaders()
hr = hc.getresponse()
ok(hr.status == 413 and b'"limit"' in hr.read(), "an upload over OA_MAX_UPLOAD_BYTES -> 413 limit")
hc.close()
r = app.post("/api/v1/cases/%s/close" % cid, raw=b'{"how":"' + b"x" * 70000 + b'"}', ctype=J)
ok(r.status == 413 and r.code() == "limit", "a JSON body over the route's limit -> 413", r)

after = inst.dump(TABLES)
ok(before == after, "the store is unchanged by every refused request",
   "\n".join(x for x in after.splitlines() if x not in before.splitlines()))
ok(doc_files() == docs_before,
   "no document stored for a refused upload")
# Routes without a payload take what clients send with a POST anyway: an
# empty JSON object or nothing (issue 21, "{} answers 413"), not a large body.
sop_text = open(os.path.join(inst.dir, "sop", "901-lupa-passphrase-contoh.yaml"), "rb").read()
for n, (q, body, active) in enumerate([("", b"{}", False), ("?activate=no", None, False),
                                        ("?activate=1", b"", True), ("?activate=true", b"", True)]):
    r = adm.req("POST", "/api/v1/sops" + q, raw=sop_text + b"\n# version %d\n" % n,
                ctype="application/yaml")
    ok(r.status == 201 and r.json()["active"] is active,
       "install a SOP version with %r: active %s" % (q, active), r)
    if active or r.status != 201:
        continue
    vid = r.json()["version_id"]
    r = adm.req("POST", "/api/v1/sops/versions/%d/activate" % vid, raw=body, ctype=J)
    ok(r.status == 200 and r.json()["active"] is True,
       "activate with %s -> 200" % ("an empty JSON object" if body else "no body"), r)
r = adm.req("POST", "/api/v1/sops/versions/%d/activate" % vid, raw=b'{"x":"' + b"y" * 4096 + b'"}',
            ctype=J)
ok(r.status == 413 and r.code() == "limit", "activate with a 4 KiB body -> 413", r)
r = adm.req("POST", "/api/v1/sops" + "?activate=perhaps", raw=sop_text + b"\n# odd\n",
            ctype="application/yaml")
ok(r.status == 400 and r.code() == "invalid_input", "activate=perhaps -> 400", r)
ok(inst.alive(), "server still healthy")
ok(inst.stop() == 0, "server stopped cleanly")
finish("badinput")
