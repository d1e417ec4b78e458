#!/usr/bin/python3
"""ocsp_cache.py - the OCSP responder's response cache (src/pki/routes_ocsp.c)
holds many distinct requests at once: 400 requests for distinct serials,
each asked twice, are all answered the second time with the very bytes of
the first (an ECDSA signature differs each time it is made, so a response
signed again would differ).  A direct-mapped table of 4,096 entries let
about 20 of these pairs evict each other."""
import datetime
import email.utils
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
from apilib import Instance, ok, finish  # noqa: E402

N = 400
inst = Instance()
inst.start()
tpl_serial = bytes.fromhex("7f" + "11" * 15)
out = os.path.join(inst.tmp, "req.der")
r = subprocess.run(["openssl", "ocsp", "-issuer", os.path.join(inst.dir, "pki", "issuing.crt"),
                    "-serial", "0x" + tpl_serial.hex(), "-no_nonce", "-reqout", out],
                   capture_output=True, text=True, timeout=60)
tpl = open(out, "rb").read() if r.returncode == 0 else b""
ok(tpl.count(tpl_serial) == 1, "an OCSP request template (openssl ocsp -reqout)", r.stderr)

# Random serials, as certificates have (sequential ones would hash apart).
serials = set()
while len(serials) < N:
    serials.add(bytes([0x7f]) + os.urandom(15))
reqs = [tpl.replace(tpl_serial, x) for x in sorted(serials)]
hdr = {"Content-Type": "application/ocsp-request"}
first = [inst.http("POST", "/ocsp", data=q, headers=hdr) for q in reqs]
ok(all(a.status == 200 and a.headers.get("content-type") == "application/ocsp-response"
       and "max-age=" in a.headers.get("cache-control", "") for a in first),
   "%d distinct requests: 200, application/ocsp-response, cacheable" % N,
   [(a.status, a.headers) for a in first if a.status != 200][:3])
chk = os.path.join(inst.tmp, "resp.der")
open(chk, "wb").write(first[-1].body)
t = subprocess.run(["openssl", "ocsp", "-respin", chk, "-resp_text", "-noverify"],
                   capture_output=True, text=True, timeout=60).stdout
ok("Cert Status: unknown" in t, "... a successful response saying unknown (openssl)", t[-400:])
ok(len({a.body for a in first}) == N, "... %d different responses" % N)
second = [inst.http("POST", "/ocsp", data=q, headers=hdr) for q in reqs]
same = sum(1 for a, b in zip(first, second) if a.body == b.body)
ok(same == N, "asked again: all %d answered from the cache, byte for byte (%d were)" % (N, same))
# Last-Modified is the response's producedAt (RFC 5019 6.2), which the
# responder reads from the response the signer made without decoding it.
t = subprocess.run(["openssl", "ocsp", "-respin", chk, "-resp_text", "-noverify"],
                   capture_output=True, text=True, timeout=60).stdout
pa = [ln.split("Produced At:")[1].strip() for ln in t.splitlines() if "Produced At:" in ln]
lm = first[-1].headers.get("last-modified", "")
ok(pa and email.utils.parsedate_to_datetime(lm) ==
   datetime.datetime.strptime(pa[0], "%b %d %H:%M:%S %Y GMT").replace(tzinfo=datetime.timezone.utc),
   "Last-Modified (%s) is producedAt (%s)" % (lm, pa[0] if pa else None))
# A request with a nonce: answered each time anew, with the nonce, never cached.
nreq = os.path.join(inst.tmp, "nonce.der")
subprocess.run(["openssl", "ocsp", "-issuer", os.path.join(inst.dir, "pki", "issuing.crt"),
                "-serial", "0x" + tpl_serial.hex(), "-reqout", nreq], capture_output=True, timeout=60)
nq = open(nreq, "rb").read()
a = inst.http("POST", "/ocsp", data=nq, headers=hdr)
b = inst.http("POST", "/ocsp", data=nq, headers=hdr)
open(chk, "wb").write(a.body)
t = subprocess.run(["openssl", "ocsp", "-respin", chk, "-resp_text", "-noverify"],
                   capture_output=True, text=True, timeout=60).stdout
ok(a.status == 200 and b.status == 200 and a.headers.get("cache-control") == "no-store" and
   a.body != b.body and "OCSP Nonce" in t and "Cert Status: unknown" in t,
   "a request with a nonce: answered anew each time, echoing it, Cache-Control no-store",
   (a.headers, t[-300:]))
ok(inst.alive(), "server still healthy")
finish("ocsp_cache")
