#!/usr/bin/env python3
"""byterange.py SIGNED.pdf N CONTENT SIGDER - for the N-th signature (1 =
first) of SIGNED.pdf, writes the bytes its /ByteRange covers to CONTENT and
its /Contents, hex-decoded and with the zero padding cut at the end of the
DER, to SIGDER; prints the byte range.  Found with a regular expression, not
a PDF parser: the test checks what openams writes, with tools of its own."""
import re
import sys

pdf = open(sys.argv[1], "rb").read()
n = int(sys.argv[2])
m = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf))[n - 1]
a, b, c, d = (int(x) for x in m.groups())
open(sys.argv[3], "wb").write(pdf[a:a + b] + pdf[c:c + d])
hexs = pdf[a + b:c]
assert hexs[:1] == b"<" and hexs[-1:] == b">", "the gap is not the /Contents hex string"
der = bytes.fromhex(hexs[1:-1].decode())
# the DER's own length: a SEQUENCE with a long-form length
assert der[0] == 0x30 and der[1] & 0x80
ln = int.from_bytes(der[2:2 + (der[1] & 0x7f)], "big") + 2 + (der[1] & 0x7f)
open(sys.argv[4], "wb").write(der[:ln])
print(a, b, c, d, len(pdf))
