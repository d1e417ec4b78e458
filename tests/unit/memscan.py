#!/usr/bin/python3
"""The process that uses the CA never holds a CA private key; its signer does.

Starts tests/unit/signer_probe (which issues, revokes and publishes a CRL,
so the signer process has decrypted the issuing key), then reads every
readable mapping of both processes through /proc/PID/mem and searches for
the issuing key's private scalar (big- and little-endian, as OpenSSL's
BIGNUM keeps it) and for the CA passphrase.  Expects: none in the probe,
the key in the signer.  Needs root (or ptrace rights) to read the signer,
which is not dumpable.
"""
import os, re, shutil, subprocess, sys, tempfile
from cryptography.hazmat.primitives import serialization

openams, probe = os.environ["OPENAMS"], sys.argv[1]
fails = 0

# Under AddressSanitizer the process maps terabytes of shadow memory that
# cannot be walked; the normal build runs this test.
if b"libasan" in subprocess.run(["ldd", probe], capture_output=True).stdout:
    print("skip: AddressSanitizer build")
    sys.exit(77)


def check(ok, what):
    global fails
    print(("ok - " if ok else "not ok - ") + what)
    fails += 0 if ok else 1


def memory(pid):
    """All readable mappings of pid, concatenated per region."""
    out = []
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            start, end, perms = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
            if "r" not in perms or "[vvar]" in line or "[vsyscall]" in line:
                continue
            try:
                mem.seek(start)
                out.append(mem.read(end - start))
            except (OSError, ValueError, OverflowError):
                pass
    return out


def found(regions, needle):
    return any(needle in r for r in regions)


tmp = tempfile.mkdtemp(prefix="openams-memscan-")
try:
    d = os.path.join(tmp, "inst")
    subprocess.run([openams, "init", "--dir", d], check=True, stdout=subprocess.DEVNULL)
    passphrase = open(os.path.join(d, "secrets/ca.pass"), "rb").read().strip()
    key = serialization.load_pem_private_key(
        open(os.path.join(d, "keys/issuing.key"), "rb").read(), password=passphrase)
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    needles = {"key (big-endian)": scalar, "key (little-endian)": scalar[::-1]}

    p = subprocess.Popen([probe, d], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    pids = p.stdout.readline().split()
    check(len(pids) == 2, "probe started and reports its signer")
    me, signer = int(pids[0]), int(pids[1])
    check(signer > 0 and signer != me, "the signer is a separate process")
    mine, theirs = memory(me), memory(signer)
    check(sum(map(len, mine)) > 1 << 20, "read the probe's memory (%d regions)" % len(mine))
    for what, needle in needles.items():
        check(not found(mine, needle), "the CA-using process does not hold the %s" % what)
    check(not found(mine, passphrase), "the CA-using process never saw the passphrase")
    check(any(found(theirs, n) for n in needles.values()),
          "the signer process holds the issuing key (so the search works)")
    p.stdin.write(b"\n")
    p.stdin.close()
    check(p.wait(timeout=30) == 0, "probe exits cleanly")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("%d failed" % fails)
sys.exit(1 if fails else 0)
