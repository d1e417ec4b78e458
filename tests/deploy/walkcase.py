"""walkcase.py - drives an installed server over the JSON API for deb.sh
(issue 19): one issuance case walked from request to certificate, and a
bounded write load beside a backup.  It only speaks HTTP to 127.0.0.1:PORT;
deb.sh makes the accounts and starts and stops everything by PID.

  walkcase.py walk PORT LOGINS SOPFILE OUTDIR
      every role of SOPFILE (meranti-penerbitan) acts in turn as the account
      LOGINS names for it (see logins below); TAP lines; the
      issued serial in OUTDIR/serial, the certificate in OUTDIR/cert.pem
  walkcase.py load PORT LOGINS N ACKFILE
      the applicant opens a case and attaches N distinct documents to it,
      one request after another; after each acknowledged (201) one, its
      SHA-256 is appended to ACKFILE and flushed, so that whatever ACKFILE
      holds when a backup starts was committed before it.  Ends after N, or
      on SIGTERM.
"""
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.environ["OPENAMS_SRC"], "tests", "api"))
import apilib  # noqa: E402
from apilib import ok, finish, pdf  # noqa: E402


class Server:
    """What apilib.Client needs of an instance: HTTP to 127.0.0.1:PORT."""

    def __init__(self, port):
        self.port = int(port)
        self.http = apilib.Instance.http.__get__(self)


def logins(path):
    """ROLE<TAB>USER<TAB>PASSWORD[<TAB>NAME<TAB>NIK<TAB>EMAIL] lines: the
    accounts by role, and the identity of those that have one."""
    roles, who = {}, {}
    with open(path) as f:
        for line in f:
            w = line.rstrip("\n").split("\t")
            roles[w[0]] = (w[1], w[2])
            if len(w) == 6:
                who[w[0]] = tuple(w[3:6])
    return roles, who


def walk(port, loginfile, sopfile, outdir):
    import yaml
    srv = Server(port)
    roles, who = logins(loginfile)
    sop = yaml.safe_load(open(sopfile))
    clients = {}
    for role, (user, pw) in roles.items():
        c = apilib.Client(srv)
        r = c.login(user, pw)
        ok(r.status == 200 and role in r.json()["roles"], "%s signs in, holding %s" % (user, role), r)
        clients[role] = c
    app = clients["pemohon"]
    r = app.post("/api/v1/cases", {"sop": sop["id"]})
    ok(r.status == 201, "the applicant opens a %s case" % sop["id"], r)
    if r.status != 201:
        return
    cid = r.json()["id"]
    ident = {"name": who["pemohon"][0], "nik": who["pemohon"][1], "email": who["pemohon"][2],
             "organization": "Dinas Kominfo",
             "unit": "Bidang Persandian", "position": "Analis", "locality": "Selatpanjang",
             "province": "Riau"}
    steps, issued = [], None
    for _ in range(20):
        c = app.get("/api/v1/cases/%s" % cid).json()
        if c["state"] != "open":
            break
        cur = c["current"]
        step, role, action = cur["step"], cur["roles"][0], cur["action"]
        actor = clients[role]
        sd = [s for s in sop["steps"] if str(s["id"]) == step][0]
        have = {d["doc"] for d in c["documents"]}
        for req in sd.get("requires") or []:
            if isinstance(req, dict) and "doc" in req and req["doc"] not in have:
                r = actor.upload(cid, req["doc"], req["doc"] + ".pdf", pdf(req["doc"]))
                if r.status != 201:
                    ok(False, "step %s: %s uploads %s" % (step, role, req["doc"]), r)
        body = {"step": step, "role": role}
        if action == "decide":
            body["decision"] = "yes"
        if action == "fill_identity":
            body["data"] = ident
        if action == "set_passphrase":
            body["data"] = {"passphrase": "Qx7!vLm29#pZ-tRw-8kN"}
        r = actor.post("/api/v1/cases/%s/act" % cid, body)
        if r.status != 200:
            ok(False, "case %s: step %s (%s) acted by %s" % (cid, step, action, role), r)
            break
        steps.append(step)
        if r.json().get("issued"):
            issued = r.json()["issued"]
    c = app.get("/api/v1/cases/%s" % cid).json()
    # the notify steps run by themselves: the history has every step, in order
    hist = [h["step"] for h in c.get("history", [])]
    ok(c["state"] == "completed" and hist == [str(s["id"]) for s in sop["steps"]],
       "case %s completed: every step of %s in order (%s acted by %d roles)" %
       (cid, sop["id"], ",".join(steps), len(roles)), c)
    ok(issued is not None, "... its issue step issued certificate %s" % issued, c)
    if issued:
        r = app.get("/api/v1/certificates/%s.pem" % issued)
        ok(r.status == 200 and b"BEGIN CERTIFICATE" in r.body, "... the holder downloads it", r)
        with open(os.path.join(outdir, "cert.pem"), "wb") as f:
            f.write(r.body)
        with open(os.path.join(outdir, "serial"), "w") as f:
            f.write(issued + "\n")
    finish("walkcase.py walk")


def load(port, loginfile, n, ackfile):
    srv = Server(port)
    user, pw = logins(loginfile)[0]["pemohon"]
    app = apilib.Client(srv)
    if app.login(user, pw).status != 200:
        sys.exit("load: sign-in refused")
    r = app.post("/api/v1/cases", {"sop": "meranti-penerbitan"})
    if r.status != 201:
        sys.exit("load: the case was not opened: %r" % r)
    cid = r.json()["id"]
    with open(ackfile, "a") as ack:
        for i in range(int(n)):
            body = pdf("load %d" % i)
            r = app.upload(cid, "surat_permohonan", "load-%d.pdf" % i, body)
            if r.status != 201:
                sys.exit("load: upload %d: %r" % (i, r))
            ack.write(hashlib.sha256(body).hexdigest() + "\n")
            ack.flush()


if __name__ == "__main__":
    if sys.argv[1] == "walk":
        walk(*sys.argv[2:6])
    elif sys.argv[1] == "load":
        load(*sys.argv[2:6])
    else:
        sys.exit("usage: walkcase.py walk|load ...")
