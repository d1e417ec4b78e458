#!/usr/bin/python3
"""openapi_check.py ROUTES_DUMP OPENAPI_YAML - the router's routes (METHOD
PATTERN lines printed by routes_dump) and the paths/methods of
docs/openapi.yaml must be the same set.  Patterns map to OpenAPI paths by
dropping the '*' of a rest parameter ({b64*} -> {b64})."""
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
missing = sorted(routes - documented)
extra = sorted(documented - routes)
for m, p in missing:
    print("not ok - route %s %s is not in docs/openapi.yaml" % (m, p))
for m, p in extra:
    print("not ok - docs/openapi.yaml has %s %s, which the router does not" % (m, p))
print("ok - %d routes, %d documented" % (len(routes), len(documented)))
sys.exit(1 if missing or extra else 0)
