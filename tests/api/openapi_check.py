#!/usr/bin/python3
"""openapi_check.py ROUTES_DUMP OPENAPI_YAML [PORTAL_MD] - the router's routes
(METHOD PATTERN lines printed by routes_dump) must each be documented once:
the JSON API, the PKI endpoints and the e-mailed links in docs/openapi.yaml,
the portal's HTML pages in the route table of docs/PORTAL.md (rows
"| `METHOD` | `PATTERN` | ..."); neither document may list a route the
router does not have.  Patterns map to OpenAPI paths by dropping the '*' of
a rest parameter ({b64*} -> {b64})."""
import re
import subprocess
import sys

import yaml

dump, spec = sys.argv[1], sys.argv[2]
routes = set()
for line in subprocess.run([dump], capture_output=True, text=True, check=True).stdout.split("\n"):
    if line.strip():
        m, p = line.split(" ", 1)
        routes.add((m, re.sub(r"\{(\w+)\*\}", r"{\1}", p)))
doc = yaml.safe_load(open(spec))
assert doc.get("openapi", "").startswith("3.0"), "not OpenAPI 3.0"
documented = set()
for path, ops in doc["paths"].items():
    for m in ops:
        if m in ("get", "post", "put", "patch", "delete", "options"):
            documented.add((m.upper(), path))
pages = set()
if len(sys.argv) > 3:
    for line in open(sys.argv[3]):
        m = re.match(r"\|\s*`(GET|POST|PUT|PATCH|DELETE)`\s*\|\s*`([^`]+)`\s*\|", line)
        if m:
            pages.add((m.group(1), re.sub(r"\{(\w+)\*\}", r"{\1}", m.group(2))))
for m, p in sorted(documented & pages):
    print("not ok - %s %s is in both docs/openapi.yaml and docs/PORTAL.md" % (m, p))
for m, p in sorted(pages - routes):
    print("not ok - docs/PORTAL.md has %s %s, which the router does not" % (m, p))
bad = bool(documented & pages) or bool(pages - routes)
missing = sorted(routes - documented - pages)
extra = sorted(documented - routes)
for m, p in missing:
    print("not ok - route %s %s is in neither docs/openapi.yaml nor docs/PORTAL.md" % (m, p))
for m, p in extra:
    print("not ok - docs/openapi.yaml has %s %s, which the router does not" % (m, p))
print("ok - %d routes, %d in openapi.yaml, %d pages in PORTAL.md"
      % (len(routes), len(documented), len(pages)))
sys.exit(1 if missing or extra or bad else 0)
