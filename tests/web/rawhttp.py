#!/usr/bin/python3
"""rawhttp.py - hand-made HTTP/1.1 requests the curl command line cannot
send, for the web tests.  Talks to 127.0.0.1 only; every wait is bounded.

  rawhttp.py chunked PORT PATH NBYTES CTYPE   POST a chunked body; prints status
  rawhttp.py headers PORT N                   GET /healthz with N extra headers
  rawhttp.py slow PORT                        slow clients must not block others
  rawhttp.py nohost PORT                      HTTP/1.1 GET without Host; prints
                                              status and Content-Type
"""
import socket
import sys
import threading
import time


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def read_response(s):
    """Reads one response; returns (status, headers dict, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/1."):
        return 0, {}, b""
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    while len(body) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, hdrs, body


def chunked(port, path, nbytes, ctype):
    s = connect(port)
    s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
               "Transfer-Encoding: chunked\r\n\r\n" % (path, ctype)).encode())
    sent = 0
    try:
        while sent < nbytes:
            n = min(4096, nbytes - sent)
            s.sendall(b"%x\r\n" % n + b"A" * n + b"\r\n")
            sent += n
        s.sendall(b"0\r\n\r\n")
    except OSError:
        pass
    status, _, _ = read_response(s)
    s.close()
    print(status)


def headers(port, n):
    s = connect(port)
    req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    req += "".join("X-Test-%d: v\r\n" % i for i in range(n))
    s.sendall((req + "Connection: close\r\n\r\n").encode())
    status, _, _ = read_response(s)
    s.close()
    print(status)


def nohost(port):
    s = connect(port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
    status, hdrs, _ = read_response(s)
    s.close()
    print(status, hdrs.get("content-type", "-"))


def slow(port):
    """Twenty clients trickle a request line a byte at a time; meanwhile
    ten ordinary requests must each be answered within a second."""
    stop = threading.Event()
    socks = []

    def trickle(s):
        msg = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        i = 0
        while not stop.is_set() and i < 200:
            try:
                s.send(msg[i:i + 1] if i < len(msg) else b"a")
            except OSError:
                return
            i += 1
            stop.wait(0.1)

    threads = []
    for _ in range(20):
        s = connect(port)
        socks.append(s)
        t = threading.Thread(target=trickle, args=(s,), daemon=True)
        t.start()
        threads.append(t)
    time.sleep(0.5)
    worst = 0.0
    bad = 0
    for _ in range(10):
        t0 = time.monotonic()
        s = connect(port, timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        status, _, _ = read_response(s)
        s.close()
        dt = time.monotonic() - t0
        worst = max(worst, dt)
        if status != 200:
            bad += 1
    stop.set()
    for t in threads:
        t.join(5)
    for s in socks:
        s.close()
    print("worst=%.3f bad=%d" % (worst, bad))
    return 0 if worst < 1.0 and bad == 0 else 1


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "chunked":
        chunked(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif cmd == "headers":
        headers(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "nohost":
        nohost(int(sys.argv[2]))
    elif cmd == "slow":
        sys.exit(slow(int(sys.argv[2])))
    else:
        sys.exit("unknown command " + cmd)
