#!/usr/bin/python3
"""burst.py PORT PID OCSPREQ - SIGTERM during a burst of requests.

Six clients send requests back to back (a new connection each, so every
request is accepted or refused as a whole) while a seventh has sent the
headers and half the body of an OCSP POST.  Then the server gets SIGTERM
(by PID); the seventh sends the rest of its body half a second later.

Passes when: the slow POST got a complete 200 OCSP response (a request in
flight finishes), no response was truncated or malformed (every response
that started is whole: status line, headers, Content-Length bytes), some
requests were answered, and new connections are refused after the signal.
Prints a summary line; all waits are bounded.
"""
import os
import signal
import socket
import sys
import threading
import time

PORT, PID, REQFILE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
stats = {"ok": 0, "refused": 0, "reset_before_response": 0, "truncated": 0}
stop = threading.Event()
term_sent = threading.Event()
refused_after_term = threading.Event()


def count(k):
    with lock:
        stats[k] += 1


def read_all(s):
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            return data, False
        if not chunk:
            return data, True
        data += chunk


def whole(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/1.1 "):
        return None
    status = int(head.split()[1])
    n = None
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v.strip())
    if n is None or len(body) != n:
        return None
    return status, body


def client(path):
    deadline = time.monotonic() + 20
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            s = socket.create_connection(("127.0.0.1", PORT), timeout=15)
        except ConnectionRefusedError:
            count("refused")
            if term_sent.is_set():
                refused_after_term.set()
                return
            continue
        except OSError:
            count("refused")
            continue
        try:
            s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                       % path).encode())
        except OSError:
            s.close()
            count("reset_before_response")
            continue
        data, _ = read_all(s)
        s.close()
        if not data:
            count("reset_before_response")   # never accepted by the server
        elif whole(data) and whole(data)[0] == 200:
            count("ok")
        else:
            count("truncated")


def slow_post(result):
    req = open(REQFILE, "rb").read()
    s = socket.create_connection(("127.0.0.1", PORT), timeout=15)
    s.sendall(("POST /ocsp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
               "application/ocsp-request\r\nContent-Length: %d\r\n\r\n" % len(req)).encode())
    s.sendall(req[:len(req) // 2])
    term_sent.wait(10)
    time.sleep(0.5)
    s.sendall(req[len(req) // 2:])
    data, _ = read_all(s)
    s.close()
    w = whole(data)
    result.append(w[0] if w else "incomplete (%d bytes)" % len(data))
    if w:
        result.append(w[1])


def main():
    result = []
    slow = threading.Thread(target=slow_post, args=(result,))
    slow.start()
    paths = ["/pki/root.pem", "/pki/issuing.pem", "/pki/chain.pem", "/pki/root.crt",
             "/pki/issuing.crt", "/pki/root.crl"]
    threads = [threading.Thread(target=client, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    time.sleep(1.0)
    os.kill(PID, signal.SIGTERM)
    term_sent.set()
    for t in threads:
        t.join(25)
    stop.set()
    slow.join(15)
    with open(os.environ.get("BURST_RESP", "/dev/null"), "wb") as f:
        if len(result) > 1:
            f.write(result[1])
    print("ok=%(ok)d refused=%(refused)d reset_before_response=%(reset_before_response)d "
          "truncated=%(truncated)d" % stats, "slow_post=%s" % (result[0] if result else "none"),
          "refused_after_term=%s" % refused_after_term.is_set())
    good = (stats["truncated"] == 0 and stats["ok"] > 0 and result and result[0] == 200
            and refused_after_term.is_set())
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
