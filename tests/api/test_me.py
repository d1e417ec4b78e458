#!/usr/bin/python3
"""test_me.py - the caller's own credentials: API tokens (created with a
subset of the caller's roles, shown once, usable as Bearer, revoked) and
the TOTP second factor (enrol with re-authentication, confirm with a code
computed here per RFC 6238, sign-in then needs a code, disable)."""
import base64
import hashlib
import hmac
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apilib import Instance, ok, finish  # noqa: E402


def totp(secret_b32, step=None):
    """RFC 6238: HMAC-SHA-1, 30 s steps, 6 digits."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    if step is None:
        step = int(time.time()) // 30
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


inst = Instance()
inst.start()
USER = "pemohon.demo"
PW = inst.logins[USER]
me = inst.client(USER)
ok(len(me.roles) >= 1, "%s holds roles %s" % (USER, me.roles), me.roles)
subset = me.roles[:1]

# ---- API tokens ----
r = me.post("/api/v1/tokens", {"name": "integrasi-1", "roles": subset, "expires_days": 7})
ok(r.status == 201, "create a token with a subset of roles", r)
tok = (r.json() or {}).get("token", "")
tid = (r.json() or {}).get("id")
ok(tok.startswith("oat_") and r.json().get("roles") == subset, "the token is shown once", r)
ok("no-store" in r.headers.get("cache-control", ""), "the token reply is not cached", r.headers)

r = me.get("/api/v1/tokens")
ok(r.status == 200, "list my tokens", r)
toks = (r.json() or {}).get("tokens", [])
ok(any(t["id"] == tid and t["name"] == "integrasi-1" and t["roles"] == subset
       and not t["revoked"] and t["expires"] for t in toks), "the list shows the token", r)
ok(tok not in r.body.decode() and "token" not in toks[0], "the list never shows the secret", r)

bearer = inst.anon()
bearer.token = tok
r = bearer.get("/api/v1/tasks")
ok(r.status == 200, "the token works as Bearer on GET /api/v1/tasks", r)
r = bearer.get("/api/v1/session")
ok(r.status == 200 and r.json().get("roles") == subset and r.json().get("auth") == "token",
   "the token carries only the chosen roles", r)
r = bearer.post("/api/v1/tokens", {"name": "from-token", "roles": subset, "expires_days": 1})
ok(r.status == 403, "a token cannot create tokens (session needed)", r)
r = bearer.post("/api/v1/totp/enrol", {"password": PW})
ok(r.status == 403, "a token cannot enrol TOTP", r)

r = me.req("POST", "/api/v1/tokens", {"name": "no-csrf", "roles": subset, "expires_days": 1},
           csrf=False)
ok(r.status == 403 and r.code() == "csrf", "creating a token needs the CSRF header", r)

r = me.post("/api/v1/tokens", {"name": "too-much", "roles": ["admin"], "expires_days": 7})
ok(r.status in (403, 422), "roles the person does not hold are refused", r)
r = me.post("/api/v1/tokens", {"name": "bad", "roles": "x", "expires_days": 7})
ok(r.status == 400, "roles must be an array", r)
r = me.post("/api/v1/tokens", {"name": "bad", "roles": subset})
ok(r.status == 422, "expires_days is required", r)

r = me.req("DELETE", "/api/v1/tokens/%s" % tid)
ok(r.status == 204, "revoke the token", r)
r = bearer.get("/api/v1/tasks")
ok(r.status == 401, "the revoked token is refused", r)
r = me.get("/api/v1/tokens")
ok(any(t["id"] == tid and t["revoked"] for t in r.json()["tokens"]), "the list shows it revoked", r)
r = me.req("DELETE", "/api/v1/tokens/%s" % tid)
ok(r.status == 409, "revoking twice is a conflict", r)
r = me.req("DELETE", "/api/v1/tokens/999999")
ok(r.status == 404, "an unknown token is 404", r)
other = inst.client("admin.demo")
r = other.post("/api/v1/tokens", {"name": "adm", "roles": other.roles[:1], "expires_days": 1})
ok(r.status == 201, "another person creates a token", r)
r = me.req("DELETE", "/api/v1/tokens/%s" % r.json()["id"])
ok(r.status == 404, "nobody revokes another person's token", r)

# ---- TOTP ----
r = me.post("/api/v1/totp/enrol", {"password": "wrong-password-123"})
ok(r.status in (401, 403), "TOTP enrol with a wrong password is refused", r)
r = me.post("/api/v1/totp/enrol", {"password": PW})
j = r.json() or {}
ok(r.status == 200 and j.get("secret") and j.get("uri", "").startswith("otpauth://")
   and "<svg" in j.get("qr_svg", ""), "TOTP enrol returns secret, uri and an SVG", r)
secret = j.get("secret", "A" * 32)
r = me.post("/api/v1/totp/confirm", {"code": "000000" if totp(secret) != "000000" else "111111"})
ok(r.status in (403, 422), "a wrong code does not confirm", r)
step = int(time.time()) // 30
r = me.post("/api/v1/totp/confirm", {"code": totp(secret, step)})
ok(r.status == 204, "TOTP confirmed with a computed code", r)

again = inst.anon()
r = again.login(USER, PW)
ok(r.status == 401, "sign-in without a code is refused now", r)
r = again.login(USER, PW, totp(secret, step + 1))
ok(r.status == 200, "sign-in with a fresh code works", r)

r = again.req("DELETE", "/api/v1/totp", {"password": "wrong-password-123"})
ok(r.status in (401, 403), "disabling TOTP with a wrong password is refused", r)
r = again.req("DELETE", "/api/v1/totp", {"password": PW})
ok(r.status == 204, "TOTP disabled", r)
r = inst.anon().login(USER, PW)
ok(r.status == 200, "sign-in without a code works again", r)

# ---- security review, finding 4: an API token never changes credentials;
# a session changes them only when it authenticated recently ----
import json  # noqa: E402
adm = inst.client("admin.demo")
r = adm.post("/api/v1/tokens", {"name": "admin-token", "roles": ["admin"], "expires_days": 1})
ok(r.status == 201, "the admin creates an API token with the admin role", r)
atok, atid = r.json()["token"], r.json()["id"]
bearer = {"Authorization": "Bearer " + atok, "Content-Type": "application/json"}
NEWPW = "Sangat-Baru-Sekali-2026!xq"
r = inst.http("POST", "/api/v1/people/%s/password" % USER,
              json.dumps({"password": NEWPW}).encode(), bearer)
ok(r.status == 403 and r.code() == "session_required",
   "a token setting a person's password: 403 session_required", r)
ok(inst.anon().login(USER, PW).status == 200 and inst.anon().login(USER, NEWPW).status == 401,
   "... and the password did not change")
r = inst.http("POST", "/api/v1/people/admin.demo/password",
              json.dumps({"password": NEWPW}).encode(), bearer)
ok(r.status == 403, "a token setting its own owner's password: 403", r)
r = inst.http("POST", "/api/v1/people", json.dumps(
    {"id": "lewat.token", "name": "Lewat Token", "nik": "1471010101700077",
     "email": "lewat-token@kominfo.demo.go.id", "password": NEWPW}).encode(), bearer)
ok(r.status == 403 and r.code() == "session_required",
   "a token creating a person with a password: 403", r)
r = inst.http("POST", "/api/v1/tokens", json.dumps(
    {"name": "anak", "roles": ["admin"], "expires_days": 1}).encode(), bearer)
ok(r.status == 403, "a token creating another token: 403", r)
r = inst.http("DELETE", "/api/v1/tokens/%s" % atid, None, bearer)
ok(r.status == 403, "a token revoking a token: 403", r)
# A session that signed in more than ten minutes ago must re-authenticate:
# the server restarted with its clock 11 minutes ahead.
inst.stop()
os.environ["OPENAMS_NOW"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 660))
inst.start()
r = adm.post("/api/v1/people/%s/password" % USER, {"password": NEWPW})
ok(r.status == 403 and r.code() == "reauth_required",
   "a session 11 minutes after sign-in setting a password: 403 reauth_required", r)
r = adm.post("/api/v1/tokens", {"name": "lama", "roles": ["admin"], "expires_days": 1})
ok(r.status == 403 and r.code() == "reauth_required",
   "... creating a token: 403 reauth_required", r)
r = adm.post("/api/v1/session/reauth", {"password": "salah-sekali-123"})
ok(r.status == 403 and r.code() == "denied", "re-authentication with a wrong password: 403", r)
r = adm.post("/api/v1/session/reauth", {"password": inst.logins["admin.demo"]})
ok(r.status == 204, "re-authentication with the password: 204", r)
for weak in ("aaaaaaaaaaaa", "password1234"):
    r = adm.post("/api/v1/people/%s/password" % USER, {"password": weak})
    ok(r.status == 422 and "too easy to guess" in r.json()["error"]["message"]["en"],
       "finding 5: a guessable password (%s) is refused: 422" % weak, r)
r = adm.post("/api/v1/people/%s/password" % USER, {"password": NEWPW})
ok(r.status == 204, "after re-authentication the password is set: 204", r)
inst.stop()
del os.environ["OPENAMS_NOW"]
inst.start()

log = open(inst.log, errors="replace").read()
ok(secret not in log and tok not in log and PW not in log and NEWPW not in log,
   "the server log holds no secret, token or password")
ok(inst.alive(), "the server is still up")
finish("test_me")
