#!/usr/bin/python3
"""The swimlane's geometry (`openams sop render --format svg`, issue 21
portal item 8): for every shipped definition (sop/*.yaml) and the browser
tests' definition with a step in turn (tests/portal/giliran.yaml), the lane
columns are read from the drawn grid (the vertical lines between KEGIATAN
and WAKTU) and

  - every other lane (the first, the third, ...) has one shading rectangle
    (rect.lane) covering exactly its column: same x and width, from the
    bottom of the header row to the bottom of the table; no other lane
    shaded;
  - each actor's name in the header is inside its column;
  - each shape (box, diamond, terminator) lies inside one lane column, and
    the shapes of a multi-actor step in the columns of its actors.
"""
import glob, os, re, subprocess, sys
import xml.etree.ElementTree as ET
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, done  # noqa: E402  (tests/lib/tap.py)

openams = os.environ["OPENAMS"]
src = os.environ.get("OPENAMS_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
NS = "{http://www.w3.org/2000/svg}"
EPS = 0.051   # coordinates are written with one decimal


def num(e, a):
    return float(e.get(a))


def shape_box(e):
    """x0, x1 of a rect or polygon."""
    if e.tag == NS + "rect":
        return num(e, "x"), num(e, "x") + num(e, "width")
    xs = [float(p.split(",")[0]) for p in e.get("points").split()]
    return min(xs), max(xs)


def geometry(name, svg):
    root = ET.fromstring(svg)
    grid_rect = [e for e in root.iter(NS + "rect") if e.get("class") == "grid"]
    grid_path = [e for e in root.iter(NS + "path") if e.get("class") == "grid"]
    hd = [e for e in root.iter(NS + "rect") if e.get("class") == "hd"]
    if not (len(grid_rect) == 1 and len(grid_path) == 1 and len(hd) == 1):
        check(False, "%s: one table frame, one grid path, one header row" % name)
        return
    g = grid_rect[0]
    top, bottom = num(g, "y"), num(g, "y") + num(g, "height")
    head_bottom = num(hd[0], "y") + num(hd[0], "height")
    # vertical lines: NO|KEGIATAN, KEGIATAN|first lane, lane|lane..., last lane|WAKTU
    xs = [float(x) for x in re.findall(r"M([0-9.]+),[0-9.]+ V[0-9.]+", grid_path[0].get("d"))]
    actors = [e for e in root.iter(NS + "g") if e.get("class") == "actor"]
    n = len(actors)
    check(len(xs) == n + 2 and xs == sorted(xs),
          "%s: the grid has %d lane columns (%d vertical lines)" % (name, n, len(xs)))
    if len(xs) != n + 2:
        return
    cols = [(xs[1 + a], xs[2 + a]) for a in range(n)]

    lanes = sorted((e for e in root.iter(NS + "rect") if e.get("class") == "lane"),
                   key=lambda e: num(e, "x"))
    want = [cols[a] for a in range(0, n, 2)]
    got = [(num(e, "x"), num(e, "x") + num(e, "width")) for e in lanes]
    same_x = len(got) == len(want) and all(abs(g0 - w0) < EPS and abs(g1 - w1) < EPS
                                          for (g0, g1), (w0, w1) in zip(got, want))
    check(same_x, "%s: %d shaded lanes, each exactly its column's x and width" % (name, len(want)))
    if not same_x:
        print("#   columns %s\n#   shading %s" % (want, got))
    same_y = all(abs(num(e, "y") - head_bottom) < EPS and
                 abs(num(e, "y") + num(e, "height") - bottom) < EPS for e in lanes)
    check(same_y and head_bottom > top,
          "%s: each shading from the header's bottom (%.1f) to the table's (%.1f)" %
          (name, head_bottom, bottom))
    if not same_y:
        print("#   shading y %s" % [(num(e, "y"), num(e, "y") + num(e, "height")) for e in lanes])

    heads = [[float(t.get("x")) for t in a.iter(NS + "text")] for a in actors]
    check(all(all(cols[a][0] < x < cols[a][1] for x in heads[a]) for a in range(n)),
          "%s: each actor's name inside its column" % name)

    def column(x0, x1):
        hit = [a for a in range(n) if cols[a][0] - EPS <= x0 and x1 <= cols[a][1] + EPS]
        return hit[0] if hit else None

    outside = []
    for grp in root.iter(NS + "g"):
        if grp.get("class") not in ("start", "step", "end"):
            continue
        for e in grp:
            if e.get("class") in ("box", "dec", "term"):
                x0, x1 = shape_box(e)
                if column(x0, x1) is None:
                    outside.append("%s %.1f-%.1f" % (grp.findtext(NS + "title"), x0, x1))
    check(not outside, "%s: every shape inside one lane column" % name)
    if outside:
        print("#   " + "; ".join(outside)[:600])


files = sorted(glob.glob(os.path.join(src, "sop", "*.yaml"))) + \
    [os.path.join(src, "tests", "portal", "giliran.yaml")]
check(len(files) >= 7, "%d definitions" % len(files))
for f in files:
    r = subprocess.run([openams, "sop", "render", f, "--format", "svg"], capture_output=True,
                       text=True)
    name = os.path.basename(f)
    check(r.returncode == 0, "%s: renders" % name)
    if r.returncode != 0:
        continue
    geometry(name, r.stdout)
done()
