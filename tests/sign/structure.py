#!/usr/bin/env python3
"""structure.py SIGNED.pdf NSIG [ORIGINAL.pdf] - the signed document's
structure, read by pikepdf (qpdf underneath, but a reader openams did not
write): /AcroForm with /SigFlags 3 and NSIG signature fields, each an
invisible widget on page 1 whose /V is a PAdES signature dictionary; with
ORIGINAL, the original's other fields and page-1 annotations still there
and the page count unchanged."""
import sys

import pikepdf

pdf = pikepdf.open(sys.argv[1])
nsig = int(sys.argv[2])
form = pdf.Root.AcroForm
assert int(form.SigFlags) == 3, form.SigFlags
sigs = [f for f in form.Fields if f.get("/FT") == "/Sig"]
assert len(sigs) == nsig, (len(sigs), nsig)
page1 = pdf.pages[0].obj
annots = [a.objgen for a in page1.get("/Annots", [])]
names = set()
for f in sigs:
    assert f.Subtype == "/Widget" and f.objgen in annots, "widget not on page 1"
    assert f.P.objgen == page1.objgen, "widget /P is not page 1"
    assert [float(x) for x in f.Rect] == [0, 0, 0, 0], "not invisible"
    assert int(f.F) & 4, "widget not printable"
    v = f.V
    assert v.Type == "/Sig" and v.Filter == "/Adobe.PPKLite", v
    assert v.SubFilter == "/ETSI.CAdES.detached", v.SubFilter
    assert len(v.ByteRange) == 4 and str(v.M).startswith("D:"), v
    names.add(str(f.T))
assert len(names) == nsig, "field names are not unique"
if len(sys.argv) > 3:
    orig = pikepdf.open(sys.argv[3])
    assert len(orig.pages) == len(pdf.pages)
    oform = orig.Root.get("/AcroForm")
    if oform is not None:
        old = {f.objgen for f in oform.Fields}
        assert old <= {f.objgen for f in form.Fields}, "an original field was dropped"
    old = {a.objgen for a in orig.pages[0].obj.get("/Annots", [])}
    assert old <= set(annots), "an original annotation was dropped"
print("ok", len(pdf.pages), "pages,", nsig, "signature fields")
