#!/usr/bin/env python3
"""mkpdf.py OUT [PAGES] - writes a small, valid PDF 1.7 (classic
cross-reference table) with PAGES pages of text, for the signing tests."""
import sys

out, pages = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1
objs = []  # bodies, object n at index n-1
objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
for i in range(pages):
    text = f"BT /F1 14 Tf 72 720 Td (Surat Keputusan Nomor 800/{i + 1}/2026) Tj ET".encode()
    objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode())
    objs.append(b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream")
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
