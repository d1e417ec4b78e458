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
import os, re, shutil, subprocess, sys, tempfile, time
from cryptography.hazmat.primitives import serialization
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, done  # noqa: E402  (tests/lib/tap.py)

openams, probe = os.environ["OPENAMS"], sys.argv[1]

# Under AddressSanitizer the process maps terabytes of shadow memory that
# cannot be walked; the normal build runs this test.
if b"libasan" in subprocess.run(["ldd", probe], capture_output=True).stdout:
    print("skip: AddressSanitizer build")
    sys.exit(77)


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
    every_key = {}
    for name in ("root", "issuing", "ocsp", "tsa"):
        k = serialization.load_pem_private_key(
            open(os.path.join(d, "keys/%s.key" % name), "rb").read(), password=passphrase)
        v = k.private_numbers().private_value.to_bytes(32, "big")
        every_key["%s key" % name] = (v, v[::-1])

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
    # Every key unlocked: no copy of the passphrase is left in the signer
    # (security review, issue 16: the file's stdio buffer and the reader's
    # stack buffer kept it).
    n = sum(r.count(passphrase) for r in theirs)
    check(n == 0, "the signer keeps no copy of the passphrase once every key is unlocked"
          " (%d found)" % n)
    p.stdin.write(b"\n")
    p.stdin.close()
    check(p.wait(timeout=30) == 0, "probe exits cleanly")

    # The passphrase through the environment (ca.key_passphrase_file empty):
    # the signer wipes its copy of the variable too.
    conf = os.path.join(d, "openams.conf")
    text = open(conf).read()
    open(conf, "w").write(re.sub(r"(?m)^ca\.key_passphrase_file = .*$", "ca.key_passphrase_file =", text))
    env = dict(os.environ, OPENAMS_CA_PASSPHRASE=passphrase.decode())
    p = subprocess.Popen([probe, d], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    pids = p.stdout.readline().split()
    check(len(pids) == 2, "probe (passphrase in $OPENAMS_CA_PASSPHRASE) reports its signer")
    theirs = memory(int(pids[1])) if len(pids) == 2 else []
    n = sum(r.count(passphrase) for r in theirs)
    check(theirs and n == 0, "the signer keeps no copy of a passphrase from its environment"
          " (%d found)" % n)
    p.stdin.write(b"\n")
    p.stdin.close()
    check(p.wait(timeout=30) == 0, "probe exits cleanly")
    open(conf, "w").write(text)

    # The same for the server: `openams serve` signs OCSP responses through
    # its signer process (a fresh `openams __signer` image).
    import socket, urllib.request
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    srv = subprocess.Popen([openams, "serve", "--dir", d, "--listen", "127.0.0.1:%d" % port],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        req = os.path.join(tmp, "req.der")
        subprocess.run(["openssl", "ocsp", "-issuer", os.path.join(d, "pki/issuing.crt"),
                        "-serial", "0x1234", "-reqout", req], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = urllib.request.urlopen(urllib.request.Request(
            "http://127.0.0.1:%d/ocsp" % port, data=open(req, "rb").read(),
            headers={"Content-Type": "application/ocsp-request"}), timeout=10)
        check(r.status == 200 and len(r.read()) > 100, "the server answered a signed OCSP response")
        # Signers are started by the threads that first sign (each worker's
        # CA handle has its own), so look at every thread's children.
        kids = []
        for t in os.listdir("/proc/%d/task" % srv.pid):
            kids += [int(x) for x in open("/proc/%d/task/%s/children" % (srv.pid, t)).read().split()]
        signers = [k for k in kids if b"__signer" in open("/proc/%d/cmdline" % k, "rb").read()]
        check(len(signers) >= 1 and len(signers) == len(kids),
              "the server's only children are signer processes (openams __signer): %d" % len(signers))
        mine = memory(srv.pid)
        theirs = [r for k in signers for r in memory(k)]
        for what, (be, le) in every_key.items():
            check(not found(mine, be) and not found(mine, le), "the server does not hold the %s" % what)
        check(not found(mine, passphrase), "the server never saw the passphrase")
        be, le = every_key["ocsp key"]
        check(found(theirs, be) or found(theirs, le),
              "its signer process holds the OCSP responder key it signed with")
    finally:
        srv.terminate()
        check(srv.wait(timeout=30) == 0, "the server stops cleanly on SIGTERM")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

done()
