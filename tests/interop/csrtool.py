#!/usr/bin/python3
"""csrtool.py - hand-built PKCS#10 requests that ordinary tools refuse to make.

    csrtool.py CASE KEY.pem OUT.der

Encodes the CertificationRequest with a tiny DER writer (so that invalid
UTF-8, control characters, unknown attributes and oversized names can be
expressed) and signs it properly with KEY (EC: ECDSA-SHA256, RSA:
PKCS#1 v1.5 SHA-256), so that only the named defect is wrong.
"""
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def seq(*items):
    return tlv(0x30, b"".join(items))


def oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    body = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7F))
            p >>= 7
        body += bytes(reversed(enc))
    return tlv(0x06, body)


UTF8, PRINTABLE, IA5 = 0x0C, 0x13, 0x16
C, O, OU, CN, SERIAL, UID, EMAIL = ("2.5.4.6", "2.5.4.10", "2.5.4.11", "2.5.4.3",
                                    "2.5.4.5", "0.9.2342.19200300.100.1.1",
                                    "1.2.840.113549.1.9.1")


def atv(o, value, tag=UTF8):
    if isinstance(value, str):
        value = value.encode()
    return seq(oid(o), tlv(tag, value))


def rdn(*atvs):
    return tlv(0x31, b"".join(atvs))


def name(*rdns):
    return seq(*rdns)


def base_rdns():
    return [rdn(atv(C, "ID", PRINTABLE)), rdn(atv(O, "Dinas Kominfo")),
            rdn(atv(CN, "Budi Santoso"))]


def san_email_request(addr):
    """attributes [0] with an extensionRequest carrying subjectAltName rfc822Name."""
    gn = tlv(0x81, addr.encode() if isinstance(addr, str) else addr)
    ext = seq(oid("2.5.29.17"), tlv(0x04, seq(gn)))
    attr = seq(oid("1.2.840.113549.1.9.14"), tlv(0x31, seq(ext)))
    return tlv(0xA0, attr)


def cases():
    b = base_rdns()
    return {
        "valid": (name(*b), tlv(0xA0, b"")),
        "ctrl-cn": (name(b[0], b[1], rdn(atv(CN, "Budi\x07Santoso\x1b[2J"))), tlv(0xA0, b"")),
        "newline-cn": (name(b[0], b[1], rdn(atv(CN, "Budi\nSantoso"))), tlv(0xA0, b"")),
        "bad-utf8-cn": (name(b[0], b[1], rdn(atv(CN, b"Budi \xff\xfe\xc3("))), tlv(0xA0, b"")),
        "overlong-utf8-cn": (name(b[0], b[1], rdn(atv(CN, b"Budi \xc0\xaf"))), tlv(0xA0, b"")),
        "nul-cn": (name(b[0], b[1], rdn(atv(CN, b"Budi\x00Santoso"))), tlv(0xA0, b"")),
        "unknown-attr": (name(*b, rdn(atv("1.3.6.1.4.1.99999.1", "x"))), tlv(0xA0, b"")),
        "title-attr": (name(*b, rdn(atv("2.5.4.12", "Kepala"))), tlv(0xA0, b"")),
        "huge-cn": (name(b[0], b[1], rdn(atv(CN, "A" * 10240))), tlv(0xA0, b"")),
        "long-cn-65": (name(b[0], b[1], rdn(atv(CN, "A" * 65))), tlv(0xA0, b"")),
        "many-attrs": (name(*b, *[rdn(atv(OU, "Bidang %d" % i)) for i in range(40)]),
                       tlv(0xA0, b"")),
        "many-attrs-huge": (name(*b, *[rdn(atv(OU, "U%04d" % i)) for i in range(3000)]),
                            tlv(0xA0, b"")),
        "multi-rdn": (name(b[0], rdn(atv(O, "Dinas Kominfo"), atv(OU, "Persandian")), b[2]),
                      tlv(0xA0, b"")),
        "dup-cn": (name(*b, rdn(atv(CN, "Other"))), tlv(0xA0, b"")),
        "san-crlf": (name(*b), san_email_request("budi@kominfo.go.id\r\nBcc: x@evil.com")),
        "san-comma": (name(*b), san_email_request("budi,evil@kominfo.go.id")),
        "san-not-goid": (name(*b), san_email_request("budi@gmail.com")),
        "email-attr-crlf": (name(*b, rdn(atv(EMAIL, "budi@kominfo.go.id\r\n", IA5))),
                            tlv(0xA0, b"")),
    }


def main():
    case, keyfile, out = sys.argv[1:4]
    with open(keyfile, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    subject, attrs = cases()[case]
    spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    info = seq(tlv(0x02, b"\x00"), subject, spki, attrs)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        sig = key.sign(info, ec.ECDSA(hashes.SHA256()))
        alg = seq(oid("1.2.840.10045.4.3.2"))
    elif isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(info, padding.PKCS1v15(), hashes.SHA256())
        alg = seq(oid("1.2.840.113549.1.1.11"), b"\x05\x00")
    else:
        raise SystemExit("csrtool: unsupported key")
    with open(out, "wb") as f:
        f.write(seq(info, alg, tlv(0x03, b"\x00" + sig)))


if __name__ == "__main__":
    main()
