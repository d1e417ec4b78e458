#!/usr/bin/env python3
"""encrypted.py SIGNED.pdf PASSWORD ORIGINAL.pdf REASON - a signed
password-protected PDF read by pikepdf (qpdf underneath) with PASSWORD: the
same encryption as ORIGINAL (revision, key length, stream and string
methods), /SigFlags 3, the newest signature field's dictionary decrypts to
REASON, the original's fields and their strings (a text field's value, the
form's /DA) read as before; and REASON never appears in the file's bytes:
the update's strings are encrypted, not written in clear."""
import sys

import pikepdf

signed, pw, orig_path, reason = sys.argv[1:5]
pdf = pikepdf.open(signed, password=pw)
orig = pikepdf.open(orig_path, password=pw)
e, o = pdf.encryption, orig.encryption
for k in ("R", "V", "bits", "stream_method", "string_method"):
    assert getattr(e, k) == getattr(o, k), (k, getattr(e, k), getattr(o, k))
assert pdf.is_encrypted
form = pdf.Root.AcroForm
assert int(form.SigFlags) == 3, form.SigFlags
sigs = [f for f in form.Fields if f.get("/FT") == "/Sig"]
assert sigs, "no signature field"
v = sigs[-1].V
assert str(v.Reason) == reason, (str(v.Reason), reason)
assert str(v.M).startswith("D:"), v.M
ofields = {str(f.T): f.get("/V") for f in orig.Root.AcroForm.get("/Fields", [])}
nfields = {str(f.T): f.get("/V") for f in form.Fields}
for name, val in ofields.items():
    if isinstance(val, pikepdf.String):
        assert str(nfields[name]) == str(val), (name, nfields[name], val)
if "/DA" in orig.Root.AcroForm:
    assert str(form.DA) == str(orig.Root.AcroForm.DA), (form.DA, orig.Root.AcroForm.DA)
raw = open(signed, "rb").read()
assert reason.encode() not in raw, "the reason is in the file in clear"
print("ok: R%d, %s/%s, reason %r decrypted, not in clear" % (e.R, e.stream_method,
      e.string_method, reason))
