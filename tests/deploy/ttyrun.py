"""ttyrun.py - runs a command on a new pseudo-terminal and answers its
prompts, for the tests of what openams asks on a terminal (issue 19).

  ttyrun.py ANSWERS CMD...

ANSWERS is a file of lines, one per prompt.  Each time the output ends with
a prompt (text ending in ": "), the driver waits until the terminal's echo
is off (as the program must turn it off before reading a secret; a prompt
that leaves it on is reported), then types the next line.  The command's
output (stdout and stderr: one terminal) is printed, its exit status is
ttyrun's; a line "ttyrun: echo was on at prompt N" is printed for each
prompt answered with echo on.  Bounded: 60 s in all.  The child is waited
for by its PID."""
import os
import pty
import select
import sys
import termios
import time

answers = open(sys.argv[1]).read().splitlines()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])

out = b""
asked = 0
deadline = time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    if out.endswith(b": ") and asked < len(answers):
        # wait (bounded) for the echo to go off before typing
        for _ in range(100):
            if not termios.tcgetattr(fd)[3] & termios.ECHO:
                break
            time.sleep(0.02)
        else:
            out += b"\nttyrun: echo was on at prompt %d\n" % (asked + 1)
        os.write(fd, answers[asked].encode() + b"\n")
        asked += 1
        out += b"\n"  # the prompt answered; a new one must follow
else:
    os.kill(pid, 9)
    out += b"\nttyrun: timed out\n"
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
