#!/usr/bin/python3
"""measure_admin.py - response times and sizes of the administration and SLA
pages on a fresh demo instance (not a test; run from the source root:
OPENAMS=build/src/cli/openams OPENAMS_SHARE=$PWD python3 tests/pages/measure_admin.py)."""
import sys, time, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
from apilib import Instance, Client
inst = Instance(); inst.start()
c = Client(inst, "admin.demo")
h = {"Cookie": c.cookie}
for p in ["/portal/admin", "/portal/admin/people", "/portal/admin/sops", "/portal/admin/sops/2",
          "/portal/admin/sops/2/swimlane.svg", "/portal/admin/sops/2/form", "/portal/admin/audit", "/portal/sla"]:
    ts = []
    for _ in range(30):
        t = time.perf_counter(); r = inst.http("GET", p, None, h); ts.append(time.perf_counter() - t)
    ts.sort()
    print("%-40s %d %6d bytes  median %.1f ms  p90 %.1f ms" % (p, r.status, len(r.body), ts[15]*1000, ts[27]*1000))
inst.stop()
