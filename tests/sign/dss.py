#!/usr/bin/env python3
"""dss.py SIGNED.pdf CHAIN.pem ROOT.pem - a PAdES B-LT document's /DSS read by
pikepdf and checked by openssl: every /Certs entry is a certificate, the
/OCSPs responses verify against the chain and say "good", the /CRLs verify
against the chain, and the /VRI has an entry keyed by the upper-case hex
SHA-1 of the newest signature's /Contents that names those same objects."""
import hashlib
import os
import subprocess
import sys
import tempfile

import pikepdf

pdf = pikepdf.open(sys.argv[1])
chain, root = sys.argv[2], sys.argv[3]
dss = pdf.Root.DSS
tmp = tempfile.mkdtemp()


def run(args, data=None):
    return subprocess.run(args, input=data, capture_output=True)


certs = [bytes(c.read_bytes()) for c in dss.Certs]
assert len(certs) >= 4, "signer, issuing, root and TSA certificates: %d" % len(certs)
for der in certs:
    assert run(["openssl", "x509", "-inform", "DER", "-noout"], der).returncode == 0
ocsps = [bytes(o.read_bytes()) for o in dss.OCSPs]
assert len(ocsps) >= 1
for i, der in enumerate(ocsps):
    path = os.path.join(tmp, "o%d.der" % i)
    open(path, "wb").write(der)
    r = run(["openssl", "ocsp", "-respin", path, "-CAfile", chain, "-resp_text"])
    out = r.stdout.decode() + r.stderr.decode()
    assert "Response verify OK" in out, out
    assert "Cert Status: good" in out, out
crls = [bytes(c.read_bytes()) for c in dss.CRLs]
assert len(crls) == 2, len(crls)
for i, der in enumerate(crls):
    path = os.path.join(tmp, "c%d.der" % i)
    open(path, "wb").write(der)
    r = run(["openssl", "crl", "-inform", "DER", "-in", path, "-CAfile", chain, "-noout"])
    assert "verify OK" in (r.stdout + r.stderr).decode(), r
# the newest signature's /Contents, whole
sigs = [f.V for f in pdf.Root.AcroForm.Fields if f.get("/FT") == "/Sig"]
newest = max(sigs, key=lambda v: int(v.ByteRange[2]) + int(v.ByteRange[3]))
key = hashlib.sha1(bytes(newest.Contents)).hexdigest().upper()
vri = dss.VRI
assert ("/" + key) in vri.keys(), (key, list(vri.keys()))
entry = vri["/" + key]
assert len(entry.Cert) == len(certs) and len(entry.OCSP) == len(ocsps) and len(entry.CRL) == len(crls)
print("ok: %d certificates, %d OCSP responses, %d CRLs, /VRI %s" % (len(certs), len(ocsps), len(crls), key))
