#!/usr/bin/env python3
"""tst_extract.py SIG.der TOKEN.der - from a CMS SignedData (DER, one
SignerInfo), writes the signature time-stamp token (the value of the
unsigned attribute id-aa-signatureTimeStampToken, RFC 3161 appendix A) to
TOKEN.der and prints the SHA-256 of the signature value in hex: the message
imprint the token must carry.  Exit 1 if there is no such attribute.  A
small DER walker of its own, so openssl checks what openams wrote."""
import hashlib
import sys

OID_SIG_TST = bytes.fromhex("060b2a864886f70d010910020e")


def tlv(b, i):
    """(tag, start of contents, end) of the TLV at i."""
    tag = b[i]
    ln = b[i + 1]
    j = i + 2
    if ln & 0x80:
        n = ln & 0x7f
        ln = int.from_bytes(b[j:j + n], "big")
        j += n
    return tag, j, j + ln


def children(b, start, end):
    out, i = [], start
    while i < end:
        t, s, e = tlv(b, i)
        out.append((t, i, s, e))
        i = e
    return out


der = open(sys.argv[1], "rb").read()
_, s, e = tlv(der, 0)                      # ContentInfo
ci = children(der, s, e)
_, _, s, e = ci[1]                         # [0] EXPLICIT
_, s, e = tlv(der, s)                      # SignedData
sd = children(der, s, e)
signer_infos = sd[-1]                      # SET OF SignerInfo
assert signer_infos[0] == 0x31
si_list = children(der, signer_infos[2], signer_infos[3])
assert len(si_list) == 1, "one SignerInfo expected"
_, _, s, e = si_list[0]
fields = children(der, s, e)
sig = next(f for f in fields if f[0] == 0x04)          # signature OCTET STRING
unsigned = [f for f in fields if f[0] == 0xa1]
if not unsigned:
    sys.exit(1)
for t, i, s, e in children(der, unsigned[0][2], unsigned[0][3]):   # Attributes
    parts = children(der, s, e)
    if der[parts[0][1]:parts[0][3]] == OID_SIG_TST:
        values = children(der, parts[1][2], parts[1][3])
        _, i0, _, e0 = values[0]
        open(sys.argv[2], "wb").write(der[i0:e0])
        print(hashlib.sha256(der[sig[2]:sig[3]]).hexdigest())
        sys.exit(0)
sys.exit(1)
