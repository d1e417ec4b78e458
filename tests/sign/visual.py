#!/usr/bin/env python3
"""visual.py SIGNED.pdf PAGE X Y W H BEFORE.pgm AFTER.pgm DPI [PASSWORD] - a visible
signature checked by tools openams did not write: pikepdf finds the widget
on page PAGE with /Rect [X Y X+W Y+H], an /AP /N Form XObject whose /BBox is
W x H, and the field in /AcroForm /Fields; poppler's renderings of that page
before and after signing (PGM, DPI dots per inch, from pdftoppm -gray) are
identical outside the box and differ inside it, where dark pixels (the QR
code and the text) are drawn."""
import sys

import pikepdf

pdf_path, page_no = sys.argv[1], int(sys.argv[2])
x, y, w, h = (float(v) for v in sys.argv[3:7])
before_path, after_path, dpi = sys.argv[7], sys.argv[8], float(sys.argv[9])

pdf = pikepdf.open(pdf_path, password=sys.argv[10] if len(sys.argv) > 10 else "")
page = pdf.pages[page_no - 1].obj
widgets = [a for a in page.get("/Annots", []) if a.get("/FT") == "/Sig"]
assert len(widgets) == 1, "one signature widget on page %d, found %d" % (page_no, len(widgets))
wd = widgets[0]
rect = [float(v) for v in wd.Rect]
assert all(abs(a - b) < 0.01 for a, b in zip(rect, [x, y, x + w, y + h])), rect
ap = wd.AP.N
assert ap.Subtype == "/Form", ap.Subtype
bbox = [float(v) for v in ap.BBox]
assert abs(bbox[2] - w) < 0.01 and abs(bbox[3] - h) < 0.01, bbox
assert wd.objgen in [f.objgen for f in pdf.Root.AcroForm.Fields], "not in /Fields"
assert wd.P.objgen == page.objgen, "/P is not the page"


def pgm(path):
    data = open(path, "rb").read()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P5", parts[0]
    pw, ph, mx = int(parts[1]), int(parts[2]), int(parts[3])
    assert mx == 255
    return pw, ph, parts[4][: pw * ph]


bw, bh, before = pgm(before_path)
aw, ah, after = pgm(after_path)
assert (bw, bh) == (aw, ah), "renderings differ in size"
mediabox = [float(v) for v in page.MediaBox]
scale = dpi / 72.0
# the box in pixels (y from the top), one pixel of slack for anti-aliasing
x0 = int((x - mediabox[0]) * scale) - 1
x1 = int((x + w - mediabox[0]) * scale) + 2
y0 = int((mediabox[3] - (y + h)) * scale) - 1
y1 = int((mediabox[3] - y) * scale) + 2
outside_diff = inside_diff = inside_dark = 0
for row in range(bh):
    for col in range(bw):
        i = row * bw + col
        inside = x0 <= col < x1 and y0 <= row < y1
        if before[i] != after[i]:
            if inside:
                inside_diff += 1
            else:
                outside_diff += 1
        if inside and after[i] < 64:
            inside_dark += 1
assert outside_diff == 0, "%d pixels changed outside the box" % outside_diff
assert inside_diff > 100, "the box looks unchanged (%d pixels)" % inside_diff
assert inside_dark > 50, "nothing dark drawn in the box (%d pixels)" % inside_dark
print("ok: %d pixels drawn in the box, %d dark, none outside" % (inside_diff, inside_dark))
