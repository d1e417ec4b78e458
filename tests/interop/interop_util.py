"""interop_util.py - what certs.py and ocsp.py share: the list of failed
checks, certificate loading, signature verification and the command runner.
Imported from the scripts' own directory (never run alone).
"""
import sys

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

failed = []


def check(cond, what):
    if not cond:
        failed.append(what)


def load_cert(path):
    data = open(path, "rb").read()
    if data.startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def verify_sig(pub, sig, tbs, hash_alg):
    """raises InvalidSignature when the signature is wrong."""
    if isinstance(pub, ec.EllipticCurvePublicKey):
        pub.verify(sig, tbs, ec.ECDSA(hash_alg))
    elif isinstance(pub, rsa.RSAPublicKey):
        pub.verify(sig, tbs, padding.PKCS1v15(), hash_alg)
    else:
        raise ValueError("unexpected key type %r" % type(pub))


def run(commands):
    """runs commands[argv[1]] with the remaining arguments, prints every
    failed check to stderr and exits 1 when there was one."""
    commands[sys.argv[1]](sys.argv[2:])
    for f in failed:
        print("FAILED: " + f, file=sys.stderr)
    sys.exit(1 if failed else 0)
