"""A test SMTP server (aiosmtpd) on 127.0.0.1, started and stopped by the
test itself.  Each message received is written, exactly as received, to
OUT/NNNNNN.eml (atomically: a temporary file then rename), with its envelope
in OUT/NNNNNN.env.  Runs until SIGTERM.

  smtpd.py --out DIR --port-file FILE [--port P] [--delay-file FILE]
           [--user U --password-file F] [--reject-prefix P]
           [--tls-cert PEM --tls-key PEM]   (STARTTLS, required before MAIL)

--port 0 (default) picks a free port.  The port is written to --port-file
once the server accepts connections.  --delay-file: if that file exists, its
content (seconds, float) is slept AFTER the message is stored and BEFORE the
250 reply, so that a client killed meanwhile leaves a delivered message it
never heard about (the crash test).  --reject-prefix: recipients whose local
part starts with it get 550 at RCPT (a permanent failure).
"""
import argparse
import asyncio
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out, delay_file, reject_prefix):
        self.out = out
        self.delay_file = delay_file
        self.reject_prefix = reject_prefix
        # numbering goes on after a restart into the same directory
        self.n = len([f for f in os.listdir(out) if f.endswith('.eml')])
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_prefix and address.startswith(self.reject_prefix):
            return '550 5.1.1 mailbox unavailable'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        base = os.path.join(self.out, '%06d' % n)
        with open(base + '.env.tmp', 'w') as f:
            f.write('%s\n%s\n' % (envelope.mail_from, ' '.join(envelope.rcpt_tos)))
        os.rename(base + '.env.tmp', base + '.env')
        with open(base + '.tmp', 'wb') as f:
            f.write(envelope.original_content)
        os.rename(base + '.tmp', base + '.eml')
        if self.delay_file and os.path.exists(self.delay_file):
            try:
                with open(self.delay_file) as f:
                    d = float(f.read().strip() or '0')
            except (OSError, ValueError):
                d = 0
            if d > 0:
                await asyncio.sleep(d)
        return '250 Message accepted for delivery'


class Auth:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login == self.user \
                and auth_data.password == self.password:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--port-file', required=True)
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--delay-file')
    ap.add_argument('--user')
    ap.add_argument('--password-file')
    ap.add_argument('--reject-prefix')
    ap.add_argument('--tls-cert')
    ap.add_argument('--tls-key')
    a = ap.parse_args()
    port = a.port
    if port == 0:
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        s.close()
    kw = {}
    if a.user:
        with open(a.password_file) as f:
            kw = dict(authenticator=Auth(a.user, f.read().strip()), auth_required=True,
                      auth_require_tls=False)
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        kw.update(tls_context=ctx, require_starttls=True)
    ctl = Controller(Handler(a.out, a.delay_file, a.reject_prefix), hostname='127.0.0.1',
                     port=port, ready_timeout=10, **kw)
    ctl.start()
    with open(a.port_file + '.tmp', 'w') as f:
        f.write('%d\n' % port)
    os.rename(a.port_file + '.tmp', a.port_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass
    ctl.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
