#!/usr/bin/python3
"""ocsp.py - checks of openams OCSP responses with python3-cryptography.

    ocsp.py build ISSUER CERT OUT.der NONCEHEX|none sha1|sha256|sha384|sha512
        writes a request for CERT (a cryptography-built request).
    ocsp.py addext IN.der OUT.der OID VALUEHEX critical|noncritical [single]
        writes IN (an OCSPRequest without requestExtensions) with one more
        extension: in requestExtensions, or with "single" in the first
        Request's singleRequestExtensions (DER built by hand, so that
        values no library would produce can be sent).
    ocsp.py status RESP.der
        prints the responseStatus name (successful, malformedRequest, ...).
    ocsp.py check RESP.der REQ.der ISSUER RESPONDER EXPECT [key=value...]
        EXPECT: good, revoked or unknown.  The response is successful, signed
        by RESPONDER (included in the response, issued and signed by ISSUER,
        with id-kp-OCSPSigning), responderID = key hash of RESPONDER; the
        single response names the request's CertID; thisUpdate <= now <
        nextUpdate; the nonce equals the request's (or is absent when the
        request had none).  Options: reason=NAME (revoked; "none" for no
        reason), revtime=EPOCH (revocation time, +-1 s).
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, OCSPExtensionOID

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_util import check, failed, load_cert, run, verify_sig  # noqa: E402


def verify(pub, sig, data, h):
    try:
        verify_sig(pub, sig, data, h)
        return True
    except Exception as e:  # noqa: BLE001
        print("#   signature: %r" % e)
        return False


def nonce_of(obj):
    try:
        return obj.extensions.get_extension_for_oid(OCSPExtensionOID.NONCE).value.nonce
    except x509.ExtensionNotFound:
        return None


def cmd_status(args):
    r = ocsp.load_der_ocsp_response(open(args[0], "rb").read())
    s = r.response_status
    print({ocsp.OCSPResponseStatus.SUCCESSFUL: "successful",
           ocsp.OCSPResponseStatus.MALFORMED_REQUEST: "malformedRequest",
           ocsp.OCSPResponseStatus.INTERNAL_ERROR: "internalError",
           ocsp.OCSPResponseStatus.TRY_LATER: "tryLater",
           ocsp.OCSPResponseStatus.SIG_REQUIRED: "sigRequired",
           ocsp.OCSPResponseStatus.UNAUTHORIZED: "unauthorized"}[s])
    if s != ocsp.OCSPResponseStatus.SUCCESSFUL:
        # RFC 6960 4.2.1: no responseBytes with an error status.
        try:
            r.certificates
            check(False, "error response carries responseBytes")
        except ValueError:
            pass


def cmd_check(args):
    resp = ocsp.load_der_ocsp_response(open(args[0], "rb").read())
    req = ocsp.load_der_ocsp_request(open(args[1], "rb").read())
    issuer, responder = load_cert(args[2]), load_cert(args[3])
    expect = args[4]
    opts = dict(a.split("=", 1) for a in args[5:])
    check(resp.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL,
          "response status %s" % resp.response_status)
    if failed:
        return
    # The responder: delegated, included, issued by the CA, OCSPSigning.
    included = resp.certificates
    check(len(included) == 1 and included[0] == responder, "response includes exactly the responder cert")
    check(verify(issuer.public_key(), responder.signature, responder.tbs_certificate_bytes,
                 responder.signature_hash_algorithm), "responder cert signed by the issuing CA")
    eku = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    check(ExtendedKeyUsageOID.OCSP_SIGNING in eku, "responder has id-kp-OCSPSigning")
    check(responder.extensions.get_extension_for_class(x509.OCSPNoCheck) is not None,
          "responder has id-pkix-ocsp-nocheck")
    check(verify(responder.public_key(), resp.signature, resp.tbs_response_bytes,
                 resp.signature_hash_algorithm), "response signature by the responder")
    kh = x509.SubjectKeyIdentifier.from_public_key(responder.public_key()).digest
    check(resp.responder_key_hash == kh and resp.responder_name is None,
          "responderID byKey = the responder's key hash")
    # The single response answers the request's CertID.
    check(resp.serial_number == req.serial_number, "serial %x != request %x" %
          (resp.serial_number, req.serial_number))
    check(resp.issuer_key_hash == req.issuer_key_hash and
          resp.issuer_name_hash == req.issuer_name_hash and
          resp.hash_algorithm.name == req.hash_algorithm.name, "CertID echoes the request")
    singles = list(resp.responses) if hasattr(resp, "responses") else [resp]
    check(len(singles) == 1, "%d single responses" % len(singles))
    now = datetime.datetime.utcnow()
    slack = datetime.timedelta(seconds=5)
    check(resp.this_update <= now + slack, "thisUpdate in the future")
    check(resp.next_update is not None and resp.next_update > now, "nextUpdate missing or past")
    check(resp.produced_at <= now + slack, "producedAt in the future")
    want = {"good": ocsp.OCSPCertStatus.GOOD, "revoked": ocsp.OCSPCertStatus.REVOKED,
            "unknown": ocsp.OCSPCertStatus.UNKNOWN}[expect]
    check(resp.certificate_status == want, "cert_status %s, want %s" % (resp.certificate_status, expect))
    if expect == "revoked":
        if "revtime" in opts:
            want_t = datetime.datetime.utcfromtimestamp(int(opts["revtime"]))
            check(abs((resp.revocation_time - want_t).total_seconds()) <= 1,
                  "revocation_time %s, want %s" % (resp.revocation_time, want_t))
        if "reason" in opts:
            got = resp.revocation_reason.name if resp.revocation_reason is not None else "none"
            check(got == opts["reason"], "revocation_reason %s, want %s" % (got, opts["reason"]))
    else:
        check(resp.revocation_time is None and resp.revocation_reason is None,
              "revocation fields on a %s answer" % expect)
    rn, sn = nonce_of(req), nonce_of(resp)
    if rn is None:
        check(sn is None, "nonce in the response to a request without one")
    else:
        check(sn == rn, "nonce %r != request nonce %r" % (sn, rn))
    print("%s %s nonce=%s" % (expect, hex(resp.serial_number), sn.hex() if sn else "-"))


def cmd_build(args):
    """build ISSUER CERT OUT NONCEHEX|none HASH: one request (unsigned)."""
    issuer, cert = load_cert(args[0]), load_cert(args[1])
    alg = {"sha1": hashes.SHA1(), "sha256": hashes.SHA256(), "sha384": hashes.SHA384(),
           "sha512": hashes.SHA512()}[args[4]]
    b = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, alg)
    if args[3] != "none":
        b = b.add_extension(x509.OCSPNonce(bytes.fromhex(args[3])), critical=False)
    with open(args[2], "wb") as f:
        f.write(b.build().public_bytes(serialization.Encoding.DER))


def _tlv(tag, content):
    n = len(content)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + content


def _read(b, off):
    """(tag, content start, content end) of the TLV at off."""
    tag, n = b[off], b[off + 1]
    off += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[off:off + k], "big")
        off += k
    return tag, off, off + n


def _oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.insert(0, 0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(enc)
    return _tlv(0x06, out)


def cmd_addext(args):
    """addext IN OUT OID VALUEHEX critical|noncritical [single]"""
    der = open(args[0], "rb").read()
    ext = _oid(args[2])
    if args[4] == "critical":
        ext += b"\x01\x01\xff"
    ext = _tlv(0x30, ext + _tlv(0x04, bytes.fromhex(args[3])))
    exts = _tlv(0x30, ext)
    _, s0, e0 = _read(der, 0)              # OCSPRequest
    t1, s1, e1 = _read(der, s0)            # TBSRequest
    tbs = der[s1:e1]
    if len(args) > 5 and args[5] == "single":
        # TBSRequest: [version] [requestorName] requestList [requestExtensions]
        off = 0
        while tbs[off] != 0x30:
            off = _read(tbs, off)[2]
        _, ls, le = _read(tbs, off)        # requestList
        _, rs, re_ = _read(tbs, ls)        # the first Request
        req = _tlv(0x30, tbs[rs:re_] + _tlv(0xA0, exts))
        rl = _tlv(0x30, req + tbs[re_:le])
        tbs = tbs[:off] + rl + tbs[le:]
    else:
        tbs += _tlv(0xA2, exts)
    out = _tlv(0x30, _tlv(t1, tbs) + der[e1:e0])
    open(args[1], "wb").write(out)


def main():
    run({"status": cmd_status, "check": cmd_check, "build": cmd_build, "addext": cmd_addext})


if __name__ == "__main__":
    main()
