"""tap.py - the one check helper of the python tests (TAP-style lines).

check(ok, what) prints "ok - what" or "not ok - what" and counts the
failures; done() prints how many failed and exits 1 if any did.  A test
script finds this module with
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
"""
import sys

fails = 0


def check(ok, what):
    global fails
    print(("ok - " if ok else "not ok - ") + what)
    fails += 0 if ok else 1


def done():
    print("%d failed" % fails)
    sys.exit(1 if fails else 0)
