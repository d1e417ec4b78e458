#!/usr/bin/python3
"""certs.py - checks of openams certificates and CRLs with python3-cryptography.

    certs.py sigs ROOT ISSUING [LEAF...]
        every certificate parses; the root is self-signed, the issuing CA is
        signed by the root, each LEAF by the issuing CA (signature checked with
        the issuer's public key); serials positive, >= 64 bits, <= 20 octets,
        unique; AKI = issuer's SKI; validity inside the issuer's.
    certs.py leaf PEM PROFILE [nik=N] [nip=N] [email=E] [cn=CN]
        the profile's extensions and subject, read by cryptography.
    certs.py crl CRL.der ISSUER [--count N] [SERIAL=REASON[@YYYY-MM-DD]]...
        the CRL parses, its signature verifies with ISSUER's key, issuer and
        AKI match; each named serial is listed with that reason (none for
        "unspecified") and invalidity date; prints the CRL number.
Exit 1 with a message on the first failed check.
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import CRLEntryExtensionOID, ExtendedKeyUsageOID, ExtensionOID, NameOID

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_util import check, load_cert, run, verify_sig  # noqa: E402

DOC_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


def signed_by(cert, issuer):
    try:
        verify_sig(issuer.public_key(), cert.signature, cert.tbs_certificate_bytes,
                   cert.signature_hash_algorithm)
        return True
    except Exception as e:  # noqa: BLE001 - any failure is a failed check
        print("#   signature check: %r" % e)
        return False


_bad_exts = set()


def ext(cert, oid):
    """the extension, or None; extensions that are not valid DER are a failed
    check (reported once per certificate), never a crash."""
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None
    except ValueError as e:
        key = cert.fingerprint(hashes.SHA256())
        if key not in _bad_exts:
            _bad_exts.add(key)
            check(False, "%s: extensions are not valid DER: %s" % (cert.subject.rfc4514_string(), e))
        return None


def ext_ok(cert):
    return cert.fingerprint(hashes.SHA256()) not in _bad_exts


def key_id(cert):
    """RFC 5280 4.2.1.2 method 1 (what openams writes), from the public key."""
    return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest


def serial_ok(cert, name):
    s = cert.serial_number
    check(s > 0, "%s: serial must be positive" % name)
    check(s.bit_length() >= 64, "%s: serial has only %d bits" % (name, s.bit_length()))
    octets = s.bit_length() // 8 + 1  # DER INTEGER content length of a positive value
    check(octets <= 20, "%s: serial is %d octets" % (name, octets))


def cmd_sigs(args):
    root, issuing = load_cert(args[0]), load_cert(args[1])
    leaves = [(p, load_cert(p)) for p in args[2:]]
    check(root.issuer == root.subject, "root is not self-issued")
    check(signed_by(root, root), "root self-signature does not verify")
    check(issuing.issuer == root.subject, "issuing CA's issuer is not the root")
    check(signed_by(issuing, root), "issuing CA is not signed by the root")
    serials = set()
    all_certs = [(args[0], root), (args[1], issuing)] + leaves
    for path, c in all_certs:
        serial_ok(c, path)
        check(c.serial_number not in serials, "%s: serial repeated" % path)
        serials.add(c.serial_number)
        check(c.version == x509.Version.v3, "%s: not X.509 v3" % path)
        ski = ext(c, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
        if ext_ok(c):
            check(ski is not None and ski.value.digest == key_id(c), "%s: SKI" % path)
    for path, c in [(args[1], issuing)] + leaves:
        parent = root if c is issuing else issuing
        if c is not issuing:
            check(c.issuer == issuing.subject, "%s: issuer is not the issuing CA" % path)
            check(signed_by(c, issuing), "%s: not signed by the issuing CA" % path)
        aki = ext(c, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
        if ext_ok(c):
            check(aki is not None and aki.value.key_identifier == key_id(parent),
                  "%s: AKI != issuer's key id" % path)
        check(c.not_valid_before >= parent.not_valid_before and
              c.not_valid_after <= parent.not_valid_after,
              "%s: validity outside the issuer's" % path)
    bc = ext(root, ExtensionOID.BASIC_CONSTRAINTS)
    if ext_ok(root):
        check(bc is not None and bc.critical and bc.value.ca, "root: basicConstraints CA critical")
    bc = ext(issuing, ExtensionOID.BASIC_CONSTRAINTS)
    if ext_ok(issuing):
        check(bc is not None and bc.critical and bc.value.ca and bc.value.path_length == 0,
              "issuing: basicConstraints CA pathlen 0 critical")
    for c, nm in ((root, "root"), (issuing, "issuing")):
        ku = ext(c, ExtensionOID.KEY_USAGE)
        if ext_ok(c):
            check(ku is not None and ku.critical and ku.value.key_cert_sign and ku.value.crl_sign,
                  "%s: keyUsage keyCertSign+cRLSign critical" % nm)
    for path, c in all_certs[2:]:
        if not ext_ok(c):
            continue
        bc = ext(c, ExtensionOID.BASIC_CONSTRAINTS)
        check(bc is not None and bc.critical and not bc.value.ca, "%s: CA:FALSE critical" % path)
    print("checked %d certificates" % len(all_certs))


def attr(cert, oid):
    v = cert.subject.get_attributes_for_oid(oid)
    return [a.value for a in v]


def cmd_leaf(args):
    c = load_cert(args[0])
    profile = args[1]
    want = dict(a.split("=", 1) for a in args[2:])
    bc = ext(c, ExtensionOID.BASIC_CONSTRAINTS)
    check(bc is not None and bc.critical and not bc.value.ca, "basicConstraints CA:FALSE critical")
    ku = ext(c, ExtensionOID.KEY_USAGE)
    check(ku is not None and ku.critical, "keyUsage present and critical")
    if ku is not None:
        k = ku.value
        check(k.digital_signature and k.content_commitment, "keyUsage digitalSignature+nonRepudiation")
        check(not (k.key_cert_sign or k.crl_sign or k.key_encipherment or k.data_encipherment
                   or k.key_agreement), "keyUsage has no other bits")
    eku = ext(c, ExtensionOID.EXTENDED_KEY_USAGE)
    check(eku is not None and not eku.critical, "EKU present, not critical")
    want_eku = [DOC_SIGNING] if profile == "seal" else [ExtendedKeyUsageOID.EMAIL_PROTECTION, DOC_SIGNING]
    if eku is not None:
        check(sorted(o.dotted_string for o in eku.value) ==
              sorted(o.dotted_string for o in want_eku),
              "EKU is %s" % [o.dotted_string for o in eku.value])
    check(attr(c, NameOID.COUNTRY_NAME) == ["ID"], "C=ID")
    if "cn" in want:
        check(attr(c, NameOID.COMMON_NAME) == [want["cn"]], "CN=%s" % want["cn"])
    if "nik" in want:
        check(attr(c, NameOID.SERIAL_NUMBER) == ["PNOID-" + want["nik"]], "serialNumber=PNOID-NIK")
    else:
        check(attr(c, NameOID.SERIAL_NUMBER) == [], "no serialNumber")
    if "nip" in want:
        check(attr(c, NameOID.USER_ID) == [want["nip"]], "UID=NIP")
    else:
        check(attr(c, NameOID.USER_ID) == [], "no UID")
    san = ext(c, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if "email" in want:
        check(san is not None and not san.critical and
              san.value.get_values_for_type(x509.RFC822Name) == [want["email"]] and
              len(list(san.value)) == 1, "SAN is exactly rfc822Name %s" % want["email"])
    else:
        check(san is None, "no SAN")
    cdp = ext(c, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    check(cdp is not None and any(isinstance(n, x509.UniformResourceIdentifier)
                                  for dp in cdp.value for n in (dp.full_name or [])),
          "CRL distribution point URI")
    aia = ext(c, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    methods = sorted(d.access_method.dotted_string for d in aia.value) if aia else []
    check(methods == ["1.3.6.1.5.5.7.48.1", "1.3.6.1.5.5.7.48.2"], "AIA OCSP + caIssuers")
    days = (c.not_valid_after - c.not_valid_before).days
    check(0 < days <= (1096 if profile == "seal" else 731), "validity %d days" % days)
    serial_ok(c, args[0])


def cmd_crl(args):
    crl = x509.load_der_x509_crl(open(args[0], "rb").read())
    issuer = load_cert(args[1])
    rest = args[2:]
    count = None
    if rest[:1] == ["--count"]:
        count, rest = int(rest[1]), rest[2:]
    check(crl.is_signature_valid(issuer.public_key()), "CRL signature does not verify")
    check(crl.issuer == issuer.subject, "CRL issuer != issuer subject")
    check(crl.next_update is not None and crl.next_update > crl.last_update, "nextUpdate > thisUpdate")
    aki = crl.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    check(aki.value.key_identifier == key_id(issuer), "CRL AKI == issuer's key id")
    num = crl.extensions.get_extension_for_oid(ExtensionOID.CRL_NUMBER).value.crl_number
    entries = list(crl)
    if count is not None:
        check(len(entries) == count, "CRL has %d entries, want %d" % (len(entries), count))
    for spec in rest:
        serial, _, r = spec.partition("=")
        reason, _, inv = r.partition("@")
        e = crl.get_revoked_certificate_by_serial_number(int(serial, 16))
        check(e is not None, "serial %s is not on the CRL" % serial)
        if e is None:
            continue
        try:
            got = e.extensions.get_extension_for_oid(CRLEntryExtensionOID.CRL_REASON).value.reason.name
        except x509.ExtensionNotFound:
            got = "unspecified"
        want = {"keyCompromise": "key_compromise", "affiliationChanged": "affiliation_changed",
                "superseded": "superseded", "cessationOfOperation": "cessation_of_operation",
                "unspecified": "unspecified"}[reason]
        check(got == want, "serial %s: reason %s, want %s" % (serial, got, want))
        try:
            gotinv = e.extensions.get_extension_for_oid(CRLEntryExtensionOID.INVALIDITY_DATE).value.invalidity_date
        except x509.ExtensionNotFound:
            gotinv = None
        if inv:
            wantinv = datetime.datetime.strptime(inv, "%Y-%m-%dT%H:%M:%SZ" if "T" in inv else "%Y-%m-%d")
            check(gotinv == wantinv, "serial %s: invalidity date %s, want %s" % (serial, gotinv, wantinv))
        else:
            check(gotinv is None, "serial %s: unexpected invalidity date %s" % (serial, gotinv))
        check(e.revocation_date <= crl.last_update, "serial %s: revoked after thisUpdate" % serial)
    print(num)


def main():
    run({"sigs": cmd_sigs, "leaf": cmd_leaf, "crl": cmd_crl})


if __name__ == "__main__":
    main()
