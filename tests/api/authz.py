#!/usr/bin/python3
"""authz.py - the authorization matrix of the JSON API: representative
actions x roles (pemohon, kadis, kabid, verifikator, bsre, admin, a person
with no role) x own agency vs another agency, against an expected
allow/deny table; and the applicant never approves their own case, even
when holding the approver roles."""
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apilib import PNG, ROLE_USER, Instance, ok, finish, pdf  # noqa: E402

inst = Instance()
inst.start()
adm = inst.client("admin.demo")
PW = "Tjq-83!kLmz-Vx2w-0p"

# Another agency with its own staff, and people of our agency with no role
# or with many roles.
r = adm.post("/api/v1/orgs", {"id": "dinas-b", "name": "Dinas B"})
ok(r.status == 201, "instance admin creates agency dinas-b", r)
people = [
    ("kadis.b", "dinas-b", "Kadis Lain", "1471010101700011", ["kadis"]),
    ("admin.b", "dinas-b", "Admin Lain", None, ["admin"]),
    ("pemohon.b", "dinas-b", "Pemohon Lain", "1471010101700013", ["pemohon"]),
    ("noone", "kominfo", "Tanpa Peran", "1471010101700014", []),
    ("multi", "kominfo", "Banyak Peran", "1471010101700015",
     ["pemohon", "kadis", "kabid", "verifikator", "bsre"]),
]
for pid, org, name, nik, roles in people:
    body = {"id": pid, "org": org, "name": name,
            "email": "%s@%s.go.id" % (pid.replace(".", "-"), org), "password": PW}
    if nik:
        body["nik"] = nik
    else:
        body["staff_only"] = True  # administrators are staff-only accounts
    r = adm.post("/api/v1/people", body)
    ok(r.status == 201, "admin creates %s in %s" % (pid, org), r)
    inst.logins[pid] = PW
# dinas-b's administrator installs its SOP: its roles exist from then on.
r = adm.post("/api/v1/roles", {"person": "admin.b", "org": "dinas-b", "role": "admin"})
ok(r.status == 201, "grant admin to admin.b (a staff-only account)", r)
r = inst.client("admin.b").req("POST", "/api/v1/sops?activate=1", raw=open(
    os.path.join(inst.dir, "sop", "001-penerbitan-meranti.yaml"), "rb").read(),
    ctype="application/yaml")
ok(r.status in (200, 201), "admin.b installs SOP 001 for dinas-b", r)
for pid, org, name, nik, roles in people:
    for role in roles:
        if (pid, role) == ("admin.b", "admin"):
            continue
        r = adm.post("/api/v1/roles", {"person": pid, "org": org, "role": role})
        ok(r.status == 201, "grant %s to %s" % (role, pid), r)

U = {k: inst.client(v) for k, v in ROLE_USER.items() if k in
     ("pemohon", "kadis", "kabid", "verifikator", "bsre", "admin")}
U["none"] = inst.client("noone")
U["other-kadis"] = inst.client("kadis.b")
U["other-admin"] = inst.client("admin.b")
ALL = list(U)

sop = yaml.safe_load(open(os.path.join(inst.dir, "sop", "001-penerbitan-meranti.yaml")))


def allowed(r):
    return 200 <= r.status < 300


def matrix(desc, fn, allow):
    for who in ALL:
        r = fn(who, U[who])
        exp = who in allow
        ok(allowed(r) == exp and (exp or r.status in (401, 403, 404, 409)),
           "%-40s as %-12s -> %s (%d)" % (desc, who, "allow" if exp else "deny", r.status), r)


# ---- open a case: only the applicant role ----
opened = {}


def try_open(who, c):
    r = c.post("/api/v1/cases", {"sop": sop["id"]})
    if r.status == 201:
        opened[who] = r.json()["id"]
    return r


matrix("open an issuance case", try_open, {"pemohon"})
cid = opened["pemohon"]

# ---- act at each step: only the step's role, never another agency ----
app = U["pemohon"]
for d in ("surat_permohonan", "formulir_rekomendasi", "fc_ktp", "fc_sk"):
    r = app.upload(cid, d, d + ".pdf", pdf(d))
    ok(r.status == 201, "pemohon uploads %s" % d, r)
for _ in range(4):
    c = app.get("/api/v1/cases/%s" % cid).json()
    step, role = c["current"]["step"], c["current"]["roles"][0]
    body = {"step": step, "role": role}
    if c["current"]["action"] == "decide":
        body["decision"] = "yes"
    for who in ALL:
        if ROLE_USER.get(who) == ROLE_USER[role] or who == role:
            continue
        # everyone else tries, in the step's role and in their own
        for rl in {role, U[who].roles[0] if U[who].roles else role}:
            r = U[who].post("/api/v1/cases/%s/act" % cid, dict(body, role=rl))
            ok(r.status in (403, 404, 409, 422), "step %s (%s): %s acting as %s is refused (%d)"
               % (step, role, who, rl, r.status), r)
    r = U[role].post("/api/v1/cases/%s/act" % cid, body)
    ok(r.status == 200, "step %s: %s acts" % (step, role), r)

# ---- read the case and download a document ----
c = app.get("/api/v1/cases/%s" % cid).json()
sha = c["documents"][0]["sha256"]
participants = {"pemohon", "kadis", "kabid", "verifikator", "bsre"}
matrix("GET the case", lambda w, cl: cl.get("/api/v1/cases/%s" % cid), participants)
matrix("download a document",
       lambda w, cl: cl.get("/api/v1/cases/%s/documents/%s" % (cid, sha)), participants)
# at step 5 (verifikator): the applicant or the step's role may attach
matrix("attach a document at step 5",
       lambda w, cl: cl.upload(cid, "fc_ktp", "ktp-%s.png" % w, PNG + w.encode(),
                               ctype="image/png"), {"pemohon", "verifikator"})

# ---- certificates ----
# (non-staff get only their own: the answer is filtered, not refused)
matrix("list certificates (?status=active)",
       lambda w, cl: cl.get("/api/v1/certificates?status=active"), set(ALL))
matrix("list own certificates (no filter)", lambda w, cl: cl.get("/api/v1/certificates"),
       set(ALL))
matrix("list another NIK", lambda w, cl: cl.get("/api/v1/certificates?nik=1471010101700099"),
       {"kadis", "kabid", "verifikator", "bsre", "admin", "other-kadis", "other-admin"})

# ---- admin routes ----
matrix("GET /api/v1/people", lambda w, cl: cl.get("/api/v1/people"), {"admin", "other-admin"})
matrix("GET /api/v1/people?org=kominfo", lambda w, cl: cl.get("/api/v1/people?org=kominfo"),
       {"admin"})
matrix("GET /api/v1/audit", lambda w, cl: cl.get("/api/v1/audit?limit=5"),
       {"admin", "other-admin"})
matrix("GET /api/v1/audit/verify", lambda w, cl: cl.get("/api/v1/audit/verify"),
       {"admin", "other-admin"})
matrix("POST /api/v1/orgs", lambda w, cl: cl.post("/api/v1/orgs",
                                                   {"id": "org-" + w, "name": "X"}), {"admin"})
matrix("grant a role in kominfo",
       lambda w, cl: cl.post("/api/v1/roles", {"person": "noone", "org": "kominfo",
                                               "role": "kabid"}), {"admin"})
# Security review, finding 5: roles are built in or declared by an installed
# SOP; admin and ca_operator only for staff-only accounts.
r = adm.post("/api/v1/roles", {"person": "noone", "org": "kominfo", "role": "superuser"})
ok(r.status == 422 and r.code() == "invalid_input", "an unknown role (superuser): 422", r)
r = adm.post("/api/v1/roles", {"person": "pemohon.demo", "org": "kominfo", "role": "admin"})
ok(r.status == 409 and r.code() == "policy", "admin for an applicant account: 409 policy", r)
r = adm.post("/api/v1/roles", {"person": "noone", "org": "kominfo", "role": "ca_operator"})
ok(r.status == 409, "ca_operator for an applicant account: 409", r)
r = adm.get("/api/v1/roles?org=kominfo")
ok(r.status == 200 and not [x for x in r.json().get("roles", [])
                            if x["role"] in ("superuser",) or
                            (x["person"] in ("pemohon.demo", "noone") and
                             x["role"] in ("admin", "ca_operator"))],
   "... and none of them was granted", r)
sop_text = open(os.path.join(inst.dir, "sop", "001-penerbitan-meranti.yaml"), "rb").read()
matrix("POST /api/v1/sops/check",
       lambda w, cl: cl.post("/api/v1/sops/check", raw=sop_text, ctype="application/yaml"),
       {"admin", "other-admin"})

# ---- security review, finding 2: the audit log is limited to the agency ----
ours = set(ROLE_USER.values()) | {"noone", "multi"}
r = U["other-admin"].get("/api/v1/audit?limit=1000")
recs = r.json()["records"] if r.status == 200 else []
theirs = {"kadis.b", "admin.b", "pemohon.b", "dinas-b"}
# (the instance's administrator creating dinas-b's people is dinas-b's record)
leak = [x for x in recs if x["object"] in ours or x["object"] == "case:%s" % cid or
        x["object"].endswith("@kominfo") or
        (x["actor"] in ours and x["object"].split("@")[0] not in theirs)]
ok(r.status == 200 and recs and not leak,
   "another agency's admin reads only their agency's audit records (%d, none of kominfo)"
   % len(recs), leak[:5] or r)
ok(any(x["actor"] == "admin.b" and x["action"] == "auth.login" for x in recs),
   "... including their own sign-in", recs[:5])
ok(U["other-admin"].get("/api/v1/audit?org=kominfo").status == 403,
   "another agency's admin may not ask for kominfo's records: 403")
r = adm.get("/api/v1/audit?limit=1000")
allr = r.json()["records"] if r.status == 200 else []
ok(any(x["object"] == "case:%s" % cid for x in allr) and
   any(x["actor"] == "admin.b" for x in allr),
   "the instance's administrator reads every agency's records", r)
r = adm.get("/api/v1/audit?limit=1000&org=dinas-b")
ok(r.status == 200 and not [x for x in r.json()["records"] if x["object"] in ours],
   "... or one agency's (?org=dinas-b)", r)
page = U["other-admin"].get("/portal/admin/audit")
ok(page.status == 200 and b"pemohon.demo" not in page.body and b"admin.b" in page.body,
   "the audit page of another agency's admin shows none of kominfo's records", page)
r = U["other-admin"].get("/api/v1/orgs")
ok(r.status == 200 and [o["id"] for o in r.json()["orgs"]] == ["dinas-b"],
   "GET /api/v1/orgs: another agency's admin sees only their agency", r)
r = adm.get("/api/v1/orgs")
ok(r.status == 200 and {"kominfo", "dinas-b"} <= {o["id"] for o in r.json()["orgs"]},
   "GET /api/v1/orgs: the instance's administrator sees every agency", r)

# ---- the applicant never approves their own case ----
m = inst.client("multi")
r = m.post("/api/v1/cases", {"sop": sop["id"]})
ok(r.status == 201, "multi (pemohon + every approver role) opens their own case", r)
mid = r.json()["id"]
for d in ("surat_permohonan", "formulir_rekomendasi", "fc_ktp", "fc_sk"):
    m.upload(mid, d, d + ".pdf", pdf(d))
r = m.post("/api/v1/cases/%s/act" % mid, {"step": "1", "role": "pemohon"})
ok(r.status == 200, "multi completes step 1 as applicant", r)
for role in ("kadis", "kabid", "verifikator"):
    r = m.post("/api/v1/cases/%s/act" % mid, {"step": "2", "role": role})
    ok(r.status == 403, "multi cannot act on their own case as %s (403)" % role, r)
t = m.get("/api/v1/tasks?limit=1000").json()["tasks"]
ok(mid not in [x["id"] for x in t], "their own case is not among their tasks", t)
r = m.post("/api/v1/cases/%s/close" % mid, {"how": "reject"})
ok(r.status == 403, "nor can they reject it (403)", r)
r = m.post("/api/v1/cases/%s/close" % mid, {"how": "withdraw"})
ok(r.status == 200, "but they may withdraw it", r)

ok(inst.alive(), "server still healthy")
ok(inst.stop() == 0, "server stopped cleanly")
finish("authz")
