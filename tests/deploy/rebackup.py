"""rebackup.py - rewrites an openams backup as someone who knows its
passphrase could, for the tests of what restore checks beyond the archive's
integrity (issue 19): every chunk opened, OLD replaced by NEW (the same
length) in the plaintext stream, every chunk sealed again under the same
key, nonces and additional data (docs/DEPLOY.md has the layout).

  rebackup.py IN OUT PASSPHRASE-FILE OLD NEW

Exit status 1 when OLD is not in the stream exactly once."""
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

src, dst, pfile, old, new = sys.argv[1:6]
old, new = old.encode(), new.encode()
if len(old) != len(new):
    sys.exit("OLD and NEW must have the same length")
data = open(src, "rb").read()
hdr = data[:64]
pw = open(pfile, "rb").read().rstrip(b"\r\n")
key = Scrypt(salt=hdr[16:48], length=32, n=1 << hdr[9], r=hdr[10], p=hdr[11]).derive(pw)
aead = AESGCM(key)

chunks, plain, pos, n = [], b"", 64, 0
while pos < len(data):
    lw = data[pos:pos + 4]
    ln = struct.unpack(">I", lw)[0] & 0x7FFFFFFF
    ct = data[pos + 4:pos + 4 + ln + 16]
    plain += aead.decrypt(hdr[48:56] + struct.pack(">I", n), ct, hdr + lw)
    chunks.append((lw, ln))
    pos += 4 + ln + 16
    n += 1
if plain.count(old) != 1:
    sys.exit("OLD is in the stream %d times" % plain.count(old))
plain = plain.replace(old, new)

out, off = [hdr], 0
for n, (lw, ln) in enumerate(chunks):
    ct = aead.encrypt(hdr[48:56] + struct.pack(">I", n), plain[off:off + ln], hdr + lw)
    out += [lw, ct]
    off += ln
with open(dst, "wb") as f:
    f.write(b"".join(out))
