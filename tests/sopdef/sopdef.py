#!/usr/bin/python3
"""SOP definitions through `openams sop`: every shipped definition checks,
renders (HTML form, well-formed SVG swimlane, text escaped) and simulates
along every path; every file of the broken corpus (bad/*.yaml, first line
`# expect: LINE: fragment`) is refused naming that file, line and problem.
"""
import glob, os, re, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, done  # noqa: E402  (tests/lib/tap.py)

openams = os.environ["OPENAMS"]
src = os.environ.get("OPENAMS_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
here = os.path.dirname(os.path.abspath(__file__))


def run(*args):
    return subprocess.run([openams, "sop"] + list(args), capture_output=True, text=True)


shipped = sorted(glob.glob(os.path.join(src, "sop", "*.yaml")))
check(len(shipped) >= 6, "%d shipped definitions" % len(shipped))
r = run("check", *shipped)
check(r.returncode == 0 and r.stdout.count(": ok") == len(shipped), "every shipped definition checks")
check(run("check", os.path.join(here, "good.yaml")).returncode == 0, "the corpus base is valid")

# The broken corpus.
bad = sorted(glob.glob(os.path.join(here, "bad", "*.yaml")))
check(len(bad) >= 20, "%d broken definitions" % len(bad))
for f in bad:
    m = re.match(r"# expect: (\d+): (.*)", open(f).readline())
    line, frag = m.group(1), m.group(2).strip()
    r = run("check", f)
    want = "%s:%s: " % (f, line)
    hit = [l for l in r.stderr.splitlines() if l.startswith(want) and frag in l]
    check(r.returncode == 1 and hit, "%s refused at line %s: %s" % (os.path.basename(f), line,
          hit[0][len(want):][:90] if hit else r.stderr.strip()[:200]))
# Warnings (warn/*.yaml, first lines `# warn: LINE: fragment`): valid, so
# `FILE: ok` and exit 0, with exactly those warnings on stderr; --strict
# refuses them.  The corpus base has none.
r = run("check", os.path.join(here, "good.yaml"))
check("warning:" not in r.stderr, "the corpus base has no warning")
warned = sorted(glob.glob(os.path.join(here, "warn", "*.yaml")))
check(len(warned) >= 4, "%d definitions with warnings" % len(warned))
for f in warned:
    want = [m.groups() for m in re.finditer(r"^# warn: (\d+): (.*)$", open(f).read(), re.M)]
    r = run("check", f)
    got = [l for l in r.stderr.splitlines() if ": warning: " in l]
    hits = [any(l.startswith("%s:%s: warning: " % (f, ln)) and frag in l for l in got)
            for ln, frag in want]
    check(r.returncode == 0 and r.stdout.strip() == f + ": ok" and all(hits) and
          len(got) == len(want), "%s: ok with %d warning(s) at %s" % (
              os.path.basename(f), len(want), ", ".join(ln for ln, _ in want)))
    if not (all(hits) and len(got) == len(want)):
        print("#   " + r.stderr.replace("\n", "\n#   "))
    r = run("check", "--strict", f)
    check(r.returncode == 1 and ": ok" not in r.stdout and "--strict" in r.stderr,
          "%s: refused under --strict" % os.path.basename(f))
r = run("check", "--strict", os.path.join(here, "good.yaml"))
check(r.returncode == 0, "--strict passes a definition without warnings")

# Header fields a published SOP may lack (number, dates) are optional; the
# approver's rank and a legal footer are shown on the form.
opt = os.path.join(here, "optional-header.yaml")
r = run("check", opt)
check(r.returncode == 0 and r.stdout.strip() == opt + ": ok",
      "a definition without number and dates checks " + r.stderr.strip()[:200])
html = run("render", opt, "--format", "html").stdout
check("<th>NOMOR SOP</th><td>-</td>" in html and html.count("<td>-</td>") >= 4,
      "its form shows '-' for the number and the three dates")
check("Pembina Utama Muda (IV/c)" in html and "NIP. 19790409 201001 1 014" in html,
      "the approver's rank and NIP are on the form")
check('<div class="footer">Dokumen ini berlaku sejak ditetapkan' in html,
      "the legal footer is on the form")
svg = run("render", opt, "--format", "svg")
check(svg.returncode == 0 and "NOMOR SOP: -" in svg.stdout, "the swimlane renders without a number")

# A revocation SOP naming no reasons: the operator records the reason from
# the applicant's letter (records_reason); it checks and simulates.
rr = os.path.join(here, "records-reason.yaml")
r = run("check", rr)
check(r.returncode == 0 and r.stdout.strip() == rr + ": ok", "a definition whose staff record the reason checks")
check(run("simulate", rr).returncode == 0, "and simulates")

# A step done by two actors in turn (in_turn): it checks with no warning,
# simulates, and the form marks each column with its place in the order.
it = os.path.join(here, "in-turn.yaml")
r = run("check", "--strict", it)
check(r.returncode == 0 and r.stdout.strip() == it + ": ok", "a definition with a step done in turn checks (--strict)")
check(run("simulate", it).returncode == 0, "and simulates")
r = run("render", it, "--format", "html")
row = [l for l in r.stdout.split("<tr>") if "menyusun surat rekomendasi" in l]
check(r.returncode == 0 and len(row) == 1 and row[0].count("giliran 1/2") == 1 and row[0].count("giliran 2/2") == 1,
      "the form marks the verifier's column 1/2 and the head's 2/2 on that row")
r = run("render", it, "--format", "svg")
check(r.returncode == 0 and r.stdout.count(">giliran 1/2<") == 1 and r.stdout.count(">giliran 2/2<") == 1,
      "the swimlane marks the two shapes of that step 1/2 and 2/2")

# One bad file among good ones: the good ones still say ok, the exit is 1.
r = run("check", shipped[0], bad[0], shipped[1])
check(r.returncode == 1 and r.stdout.count(": ok") == 2, "a bad file among good ones: exit 1, the rest ok")
check(run("check").returncode == 2, "no file: usage error (exit 2)")

tmp = tempfile.mkdtemp(prefix="openams-sopdef-")
try:
    xmllint = shutil.which("xmllint")
    for f in shipped:
        name = os.path.basename(f)
        html = run("render", f, "--format", "html")
        svg = run("render", f, "--format", "svg")
        text = open(f).read()
        check(html.returncode == 0 and "<table" in html.stdout and "<script" not in html.stdout,
              "%s: the HTML form renders (no script)" % name)
        actors = re.findall(r"^  - id: \S+\n    name: (.+)$", text, re.M)
        missing = [a for a in actors if a.strip().strip('"') not in html.stdout]
        check(not missing, "%s: one column per actor in the form %s" % (name, missing or ""))
        nsteps = len(re.findall(r"^  - id: ", text.split("\nsteps:", 1)[1], re.M))
        out = os.path.join(tmp, name + ".svg")
        open(out, "w").write(svg.stdout)
        ok = svg.returncode == 0 and svg.stdout.lstrip().startswith(("<?xml", "<svg"))
        if xmllint:
            ok = ok and subprocess.run([xmllint, "--noout", out]).returncode == 0
        check(ok, "%s: the SVG swimlane is well-formed XML" % name)
        if "action: decide" in text:
            check("Ya" in svg.stdout and "Tidak" in svg.stdout, "%s: decisions drawn with Ya/Tidak" % name)
        # Simulation: the straight path, then "no" once at each decision.
        base = run("simulate", f)
        check(base.returncode == 0 and "end after" in base.stdout, "%s: simulates to the end" % name)
        decisions = re.findall(r"^\s+\d+\s+(\S+)\s+\S+\s+decide\S*\s", base.stdout, re.M)
        for d in dict.fromkeys(decisions):
            r = run("simulate", f, "--no", d)
            trace = [l.split() for l in r.stdout.splitlines() if re.match(r"\s+\d+\s", l)]
            nos = [t for t in trace if t[1] == d and t[-1].startswith("no->")]
            target = nos[0][-1][4:] if nos else None
            after = trace[trace.index(nos[0]) + 1][1] if nos and trace.index(nos[0]) + 1 < len(trace) else "end"
            check(r.returncode == 0 and nos and (target == after or (target == "end" and after == "end")),
                  "%s: --no %s returns to step %s" % (name, d, target))
            acts = [t[3] for t in trace]
            issues = sum(1 for a in acts if a in ("issue", "decide+issue"))
            revokes = sum(1 for a in acts if a in ("revoke", "decide+revoke"))
            kind = re.search(r"^kind: (\S+)", text, re.M).group(1)
            want = {"issuance": (1, 0), "revocation": (0, 1), "renewal": (1, 1),
                    "passphrase_reset": (1, 1)}[kind]
            # Each path does its kind's CA actions once; a designed "no" that
            # ends the request (900 outside the renewal window) does none;
            # nothing is ever done twice.  In the seeds every "no" returns.
            ends_early = (issues, revokes) == (0, 0) and target == "end" or \
                (0, 0) == (issues, revokes) and trace and trace[-1][-1] == "->end" and \
                any(t[-1].startswith("no->") for t in trace) and not name.startswith("00")
            check(r.returncode == 0 and ((issues, revokes) == want or ends_early),
                  "%s: --no %s issues %d and revokes %d times" % (name, d, issues, revokes))
        r = run("simulate", f, "--no", "no-such-step")
        check(r.returncode != 0, "%s: simulate refuses an unknown step" % name)
    # Escaping: text with markup in a definition stays text in both renderings.
    hostile = open(os.path.join(here, "good.yaml")).read().replace(
        "Mengajukan pencabutan dan melampirkan surat keterangan",
        "\"<script>alert('x')</script> & <b>tebal</b>\"")
    hf = os.path.join(tmp, "hostile.yaml")
    open(hf, "w").write(hostile)
    check(run("check", hf).returncode == 0, "a definition with markup in its text is valid")
    h, s = run("render", hf, "--format", "html").stdout, run("render", hf, "--format", "svg").stdout
    check("<script>" not in h and "&lt;script&gt;" in h and "&amp;" in h, "HTML escapes the text")
    check("<script>" not in s and "&lt;script&gt;" in s, "SVG escapes the text")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
done()
