#!/usr/bin/python3
"""bench_pages.py [N] - size and latency of the public, sign-in, account,
applicant and staff pages (issue 7: "fast on a slow connection"): a demo instance on a free
port (tests/api/apilib.py), N sequential GETs per page (default 50) over
one fresh connection each; prints status, body bytes, p50 and p95 in ms.
Run: OPENAMS=build/src/cli/openams OPENAMS_SHARE=. python3 bench/bench_pages.py"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "api"))
import apilib  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 50
inst = apilib.Instance()
inst.start()
c = inst.client("pemohon.demo")


def run(path, headers=None):
    ds = []
    r = None
    for _ in range(N):
        a = time.perf_counter()
        r = inst.http("GET", path, None, headers)
        ds.append((time.perf_counter() - a) * 1000)
    ds.sort()
    print("%-22s %d %6d bytes  p50 %.2f ms  p95 %.2f ms" %
          (path, r.status, len(r.body), statistics.median(ds), ds[max(0, int(N * .95) - 1)]))


for p in ("/", "/ca", "/status?serial=7E57", "/login", "/password-reset", "/static/portal.css"):
    run(p)
run("/portal/account", {"Cookie": c.cookie})
# The applicant's and the staff's pages, with one case at kadis's step: the
# four PDFs attached, step 1 done (the JSON API, not measured).
r = c.post("/api/v1/cases", {"sop": "meranti-penerbitan"})
case = r.json()["id"]
for d in ("surat_permohonan", "formulir_rekomendasi", "fc_ktp", "fc_sk"):
    c.upload(case, d, d + ".pdf", apilib.pdf(d))
c.post("/api/v1/cases/%d/act" % case, {"step": "1", "role": "pemohon"})
for p in ("/portal", "/portal/cases", "/portal/requests/new", "/portal/certificates",
          "/portal/cases/%d" % case):
    run(p, {"Cookie": c.cookie})
k = inst.client("kadis.demo")
for p in ("/portal/inbox", "/portal/cases/%d" % case):
    run(p, {"Cookie": k.cookie})
inst.stop()
