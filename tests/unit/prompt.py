#!/usr/bin/python3
"""ca.key_passphrase_file = prompt: the signer process asks on the terminal.

Runs `openams ca crl` on a pseudo-terminal; the signer's prompt appears,
the passphrase typed is not echoed, and the CRL is published.  A wrong
passphrase is refused.  The passphrase never reaches the parent's
environment or a file.
"""
import os, pty, select, shutil, signal, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tap import check, done  # noqa: E402  (tests/lib/tap.py)

openams = os.environ["OPENAMS"]


def run_on_tty(args, env, answer):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(env)
        os.execv(openams, [openams] + args)
    out, sent, t0 = b"", False, time.time()
    while time.time() - t0 < 30:
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if b"passphrase: " in out and not sent:
            os.write(fd, answer + b"\n")
            sent = True
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(pid, 0)
    return out, os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1


tmp = tempfile.mkdtemp(prefix="openams-prompt-")
try:
    d = os.path.join(tmp, "inst")
    secret = b"kata sandi yang panjang sekali"
    with open(os.path.join(tmp, "pp"), "wb") as f:
        f.write(secret + b"\n")
    subprocess.run([openams, "init", "--dir", d, "--passphrase-file", os.path.join(tmp, "pp")],
                   check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, OPENAMS_CA_PASSPHRASE=""))
    conf = os.path.join(d, "openams.conf")
    text = open(conf).read().replace("ca.key_passphrase_file = \"\"",
                                     "ca.key_passphrase_file = prompt")
    open(conf, "w").write(text)
    check("ca.key_passphrase_file = prompt" in text, "configured to prompt")
    env = {"OPENAMS_DIR": d}
    os.environ.pop("OPENAMS_CA_PASSPHRASE", None)
    out, rc = run_on_tty(["ca", "crl", "--out", os.path.join(tmp, "a.crl")], env, secret)
    check(b"openams signer: CA key passphrase: " in out, "the signer asks on the terminal")
    check(secret not in out, "the passphrase is not echoed")
    check(rc == 0 and os.path.getsize(os.path.join(tmp, "a.crl")) > 100,
          "the CRL is published after the right passphrase")
    out, rc = run_on_tty(["ca", "crl", "--out", os.path.join(tmp, "b.crl")], env, b"salah")
    check(rc == 1 and b"cannot decrypt" in out, "a wrong passphrase is refused")
    check(not os.path.exists(os.path.join(tmp, "b.crl")), "nothing published after it")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
done()
