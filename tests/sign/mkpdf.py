#!/usr/bin/env python3
"""mkpdf.py OUT [PAGES] [--form] - writes a small, valid PDF 1.7 (classic
cross-reference table) with PAGES pages of text, for the signing tests.
--form: page 1 also carries a link annotation and a text field, the field
listed in an indirect /AcroForm.  --certified P: see below.
--tag X,Y,TEXT: the last page also shows TEXT (Helvetica 12) at (X, Y).
--crop LLX,LLY,URX,URY: every page has that /CropBox (and a /MediaBox
larger by 100 points on every side, its origin not at 0 0).
--rotate R: every page has /Rotate R; --rotate-tree R: the page tree's root
has it instead, the pages inherit it."""
import sys

out, pages = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1
form = "--form" in sys.argv
# --certified P: a catalog /Perms /DocMDP naming a (placeholder) certification
# signature dictionary whose DocMDP transform has /P P
cert_p = int(sys.argv[sys.argv.index("--certified") + 1]) if "--certified" in sys.argv else 0
tag = sys.argv[sys.argv.index("--tag") + 1].split(",", 2) if "--tag" in sys.argv else None
crop = ([float(v) for v in sys.argv[sys.argv.index("--crop") + 1].split(",")]
        if "--crop" in sys.argv else None)
rot = int(sys.argv[sys.argv.index("--rotate") + 1]) if "--rotate" in sys.argv else None
rot_tree = (int(sys.argv[sys.argv.index("--rotate-tree") + 1])
            if "--rotate-tree" in sys.argv else None)
objs = []  # bodies, object n at index n-1
nf = 4 + 2 * pages  # the form's objects come after the pages
nperm = nf + 3 if form else nf
objs.append(b"<< /Type /Catalog /Pages 2 0 R%s%s >>" % (
    b" /AcroForm %d 0 R" % nf if form else b"",
    b" /Perms << /DocMDP %d 0 R >>" % nperm if cert_p else b""))
kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages}"
            f"{'' if rot_tree is None else f' /Rotate {rot_tree}'} >>".encode())
objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
for i in range(pages):
    text = f"BT /F1 14 Tf 72 720 Td (Surat Keputusan Nomor 800/{i + 1}/2026) Tj ET".encode()
    if tag and i == pages - 1:
        text += f"\nBT /F1 12 Tf {tag[0]} {tag[1]} Td (Kepala Dinas,) Tj ET".encode()
        text += f"\nBT /F1 12 Tf {tag[0]} {float(tag[1]) - 40} Td ({tag[2]}) Tj ET".encode()
    box = ("/MediaBox [%g %g %g %g] /CropBox [%g %g %g %g]" % (
        crop[0] - 100, crop[1] - 100, crop[2] + 100, crop[3] + 100, *crop)
        if crop else "/MediaBox [0 0 595 842]")
    if rot is not None:
        box += f" /Rotate {rot}"
    annots = f" /Annots [{nf + 1} 0 R {nf + 2} 0 R]" if form and i == 0 else ""
    objs.append(f"<< /Type /Page /Parent 2 0 R {box} "
                f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R{annots} >>".encode())
    objs.append(b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream")
if form:
    objs.append(f"<< /Fields [{nf + 2} 0 R] /DA (/Helv 0 Tf 0 g) >>".encode())
    objs.append(b"<< /Type /Annot /Subtype /Link /Rect [72 700 200 720] /Border [0 0 0] "
                b"/A << /S /URI /URI (https://example.go.id/) >> >>")
    objs.append(f"<< /Type /Annot /Subtype /Widget /FT /Tx /T (nomor) /V (800/1/2026) "
                f"/Rect [72 600 300 620] /P 4 0 R /F 4 >>".encode())
if cert_p:
    objs.append(b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
                b"/Reference [<< /Type /SigRef /TransformMethod /DocMDP "
                b"/TransformParams << /Type /TransformParams /P %d /V /1.2 >> >>] >>" % cert_p)
buf = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
offs = []
for n, body in enumerate(objs, 1):
    offs.append(len(buf))
    buf += b"%d 0 obj\n" % n + body + b"\nendobj\n"
xref = len(buf)
buf += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objs) + 1)
for o in offs:
    buf += b"%010d 00000 n\r\n" % o
buf += (b"trailer\n<< /Size %d /Root 1 0 R /ID [<0123456789abcdef0123456789abcdef>"
        b" <0123456789abcdef0123456789abcdef>] >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objs) + 1, xref))
open(out, "wb").write(buf)
