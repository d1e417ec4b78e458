#!/usr/bin/env python3
"""The portal's message catalogue (src/portal/msgcat.c, issue 21 item 1):
every entry has both languages, no key appears twice, each text holds "{}"
at most once and no internal-looking English, and every stable id a module
gives a refusal (oa_fail_id in src/) has an entry, so no refusal the portal
shows falls back to the module's English message."""
import os
import re
import sys

src = os.environ.get("OPENAMS_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    if not cond:
        failed += 1


cat = open(os.path.join(src, "src/portal/msgcat.c"), encoding="utf-8").read()
body = cat[cat.index("static const msgcat_entry table[]"):cat.index("static const struct {")]
# C string literals, adjacent ones joined: {"key", "id" "id", "en" "en"},
entries = []
for m in re.finditer(r'\{\s*("(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*)\s*,\s*'
                     r'("(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*)\s*,\s*'
                     r'("(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*)\s*\}', body):
    entries.append(tuple("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', g)) for g in m.groups()))
ok(len(entries) >= 40, "the catalogue has its entries (%d)" % len(entries))
keys = [e[0] for e in entries]
dups = sorted({k for k in keys if keys.count(k) > 1})
ok(not dups, "no key appears twice %s" % (dups or ""))
bad = [e[0] for e in entries if not e[1].strip() or not e[2].strip() or e[1] == e[2]]
ok(not bad, "every entry has an Indonesian and a different English text %s" % (bad or ""))
bad = [e[0] for e in entries if e[1].count("{}") != e[2].count("{}") or e[1].count("{}") > 1]
ok(not bad, "each text holds the parameter {} at most once, in both languages alike %s" % (bad or ""))
bad = [e[0] for e in entries if re.search(r"must be exactly|is not a reason|needs document|"
                                          r"surat_permohonan|'%s'|%s|%d", e[1] + e[2])]
ok(not bad, "no text holds an id, a printf conversion or the old English wording %s" % (bad or ""))

used = set()
for root, _, files in os.walk(os.path.join(src, "src")):
    for f in files:
        if f.endswith(".c"):
            text = open(os.path.join(root, f), encoding="utf-8", errors="replace").read()
            used.update(re.findall(r'oa_fail_id\([^,]+,\s*"([a-z_]+)"', text))
            # an id chosen by a condition: oa_fail_id(CODE, cond ? "id1" : "id2", ...
            for t in re.findall(r'oa_fail_id\(\s*\w+,[^;"]*\?\s*"([a-z_]+)"\s*:\s*"([a-z_]+)"', text):
                used.update(t)
            for m in re.finditer(r'pg_errs_add\([^,]+,[^,]+,[^,]+,\s*"([a-z_]+)"', text):
                used.add(m.group(1))
            for m in re.finditer(r'account_msg\([^;]*"([a-z_]+)"\);', text):
                used.add(m.group(1))
            for m in re.finditer(r'pg_refused\([^;]*?"([a-z_]+)",\s*(?:"[^"]*"|[a-z]\w*\(|\w+)',
                                 text):
                used.add(m.group(1))
            for m in re.finditer(r'(?:login|reset)_page\(r, \d+, "([a-z_]+)"', text):
                used.add(m.group(1))
            for m in re.finditer(r'msgcat_find\("([a-z_]+)"\)', text):
                used.add(m.group(1))
ok(len(used) >= 30, "the sources name their refusals by id (%d ids)" % len(used))
missing = sorted(used - set(keys))
ok(not missing, "every id the sources give has a catalogue entry %s" % (missing or ""))
print("1..%d" % n)
sys.exit(1 if failed else 0)
