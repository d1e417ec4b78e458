#!/usr/bin/env python3
"""rotate.py X Y W H VIEWH BEFORE.pgm AFTER.pgm REF.pgm REFH - a visible
signature on a page with /Rotate, checked on poppler's renderings at 72 dpi
(one pixel a point, the page as it is seen): the box (X, Y) W x H, origin
at the lower-left corner of the page as seen (VIEWH points high) is where
pixels changed and nothing changed outside it; what is drawn there matches,
upright, the same box drawn on an unrotated page (REF.pgm, a page REFH high,
the box at the same place), and does not match it turned by 180 degrees."""
import sys

x, y, w, h, view_h = (int(float(v)) for v in sys.argv[1:6])
before_path, after_path, ref_path, ref_h = sys.argv[6], sys.argv[7], sys.argv[8], int(sys.argv[9])


def pgm(path):
    data = open(path, "rb").read()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P5", parts[0]
    pw, ph = int(parts[1]), int(parts[2])
    return pw, ph, parts[4][: pw * ph]


bw, bh, before = pgm(before_path)
aw, ah, after = pgm(after_path)
rw, rh, ref = pgm(ref_path)
assert (bw, bh) == (aw, ah), "renderings differ in size"
assert abs(ah - view_h) <= 1, "the page as seen is %d high, expected %d" % (ah, view_h)


def crop(img, iw, top):
    return [[img[(top + r) * iw + x + c] for c in range(w)] for r in range(h)]


top = view_h - (y + h)
changed_out = 0
for r in range(bh):
    for c in range(bw):
        i = r * bw + c
        inside = x - 1 <= c < x + w + 1 and top - 1 <= r < top + h + 1
        if before[i] != after[i] and not inside:
            changed_out += 1
assert changed_out == 0, "%d pixels changed outside the box" % changed_out
blank = crop(before, bw, top)
assert min(min(row) for row in blank) > 200, "the box was not blank before signing"
got = crop(after, aw, top)
want = crop(ref, rw, ref_h - (y + h))
dark = sum(v < 64 for row in got for v in row)
assert dark > 200, "nothing dark drawn in the box (%d pixels)" % dark
diff = sum(abs(a - b) for ra, rb in zip(got, want) for a, b in zip(ra, rb)) / (w * h)
turned = [row[::-1] for row in want[::-1]]
diff180 = sum(abs(a - b) for ra, rb in zip(got, turned) for a, b in zip(ra, rb)) / (w * h)
assert diff < 6, "the box differs from the unrotated page's (mean %.1f levels)" % diff
assert diff180 > 3 * diff + 10, "upright and turned look alike (%.1f vs %.1f)" % (diff, diff180)
print("ok: %d dark pixels in the box, none outside; mean difference to the upright "
      "reference %.2f, to it turned %.2f" % (dark, diff, diff180))
