/*
 * checks.c - what the signer process checks again before it signs, built
 * from the CA's own knowledge (profiles, the CA certificates).  These run
 * inside the signer process, on what it was sent, whatever the sender
 * claims.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "../common/limits.h"
#include "caInt.h"

static oa_err check_cert(void *ctx, X509 *x, const char *profile)
{
	ca *c = ctx;
	const ca_profile *p = profile_find(c, profile);

	if (p == NULL)
		return oa_fail(OA_ERR_DENIED, "signer: unknown profile '%s'", profile);
	return ca_lint(p, c->cfg, x, c->cert[SIGNER_ISSUING], NULL);
}

/* A DER reader over [p, end): one TLV at a time, definite lengths only. */
struct der_rd {
	const uint8_t *p, *end;
};

static int der_read(struct der_rd *d, uint8_t *tag, const uint8_t **val, size_t *len,
    const uint8_t **tlv)
{
	size_t n, l = 0;
	const uint8_t *q = d->p;

	if (d->end - q < 2)
		return 0;
	*tag = *q++;
	n = *q++;
	if (n & 0x80) {
		n &= 0x7f;
		if (n == 0 || n > 4 || (size_t)(d->end - q) < n)
			return 0;
		while (n--)
			l = l << 8 | *q++;
		if (l < 0x80)
			return 0; /* not the shortest form: not DER */
	} else
		l = n;
	if ((size_t)(d->end - q) < l)
		return 0;
	if (tlv)
		*tlv = d->p;
	*val = q;
	*len = l;
	d->p = q + l;
	return 1;
}

static int der_time_ok(const uint8_t *tlv, const uint8_t *end, ASN1_TIME **out)
{
	const unsigned char *q = tlv;
	*out = d2i_ASN1_TIME(NULL, &q, (long)(end - tlv));
	return *out != NULL && q == end;
}

/*
 * The signer's look at a TBSCertList (RFC 5280 5.1.2), walked in place: a
 * million entries are checked for shape in milliseconds, where building
 * OpenSSL's per-entry objects would cost seconds and hundreds of MiB.
 */
static oa_err check_crl(void *ctx, signer_key k, const uint8_t *tbs, size_t n)
{
	ca *c = ctx;
	struct der_rd top = {tbs, tbs + n}, in, list, ents;
	const uint8_t *v, *tlv, *alg;
	size_t len, alglen;
	uint8_t tag;
	unsigned char *name = NULL;
	int namelen, nid, has_number = 0;
	ASN1_TIME *tu = NULL, *nu = NULL;
	oa_err rc = oa_fail(OA_ERR_DENIED, "signer: the TBSCertList is malformed");

	if (!der_read(&top, &tag, &v, &len, NULL) || tag != 0x30 || top.p != top.end)
		goto out;
	in = (struct der_rd){v, v + len};
	/* version v2 */
	if (!der_read(&in, &tag, &v, &len, NULL) || tag != 0x02 || len != 1 || v[0] != 1)
		goto out;
	/* signature: exactly the key's algorithm */
	if (signer_algorithm_of(X509_get0_pubkey(c->cert[k]), &alg, &alglen, &nid) ||
	    !der_read(&in, &tag, &v, &len, &tlv) || (size_t)(in.p - tlv) != alglen ||
	    memcmp(tlv, alg, alglen) != 0) {
		rc = oa_fail(OA_ERR_DENIED, "signer: the CRL names another signature algorithm");
		goto out;
	}
	/* issuer: exactly the key's CA */
	if ((namelen = i2d_X509_NAME(X509_get_subject_name(c->cert[k]), &name)) <= 0 ||
	    !der_read(&in, &tag, &v, &len, &tlv) || in.p - tlv != namelen ||
	    memcmp(tlv, name, (size_t)namelen) != 0) {
		rc = oa_fail(OA_ERR_DENIED, "signer: the CRL is not a CRL of this CA");
		goto out;
	}
	if (!der_read(&in, &tag, &v, &len, &tlv) || !der_time_ok(tlv, in.p, &tu) ||
	    !der_read(&in, &tag, &v, &len, &tlv) || !der_time_ok(tlv, in.p, &nu) ||
	    ASN1_TIME_compare(tu, nu) >= 0) {
		rc = oa_fail(OA_ERR_DENIED, "signer: the CRL lacks sane thisUpdate/nextUpdate");
		goto out;
	}
	if (getenv("OPENAMS_NOW") == NULL) {
		/* thisUpdate must be about now: no back- or forward-dated CRLs.
		 * (Under a faked clock, OPENAMS_NOW in tests, the signer's copy of
		 * the clock may be older than its caller's, so it cannot judge.) */
		int days, secs;
		ASN1_TIME *now = ASN1_TIME_set(NULL, (time_t)oa_now());
		int ok = now && ASN1_TIME_diff(&days, &secs, now, tu) && days == 0 && secs > -600 &&
		    secs < 600;
		ASN1_TIME_free(now);
		if (!ok) {
			rc = oa_fail(OA_ERR_DENIED, "signer: the CRL's thisUpdate is not now");
			goto out;
		}
	}
	if (!der_read(&in, &tag, &v, &len, NULL))
		goto out;
	if (tag == 0x30) {
		/* revokedCertificates: each entry SEQUENCE { INTEGER, Time, [Extensions] } */
		ents = (struct der_rd){v, v + len};
		while (ents.p < ents.end) {
			struct der_rd e;
			if (!der_read(&ents, &tag, &v, &len, NULL) || tag != 0x30)
				goto out;
			e = (struct der_rd){v, v + len};
			if (!der_read(&e, &tag, &v, &len, NULL) || tag != 0x02 || len == 0 || len > 21 ||
			    (v[0] & 0x80) || !der_read(&e, &tag, &v, &len, NULL) ||
			    (tag != 0x17 && tag != 0x18) ||
			    (e.p < e.end && (!der_read(&e, &tag, &v, &len, NULL) || tag != 0x30)) ||
			    e.p != e.end)
				goto out;
		}
		if (!der_read(&in, &tag, &v, &len, NULL))
			goto out;
	}
	/* crlExtensions [0] EXPLICIT: must carry the CRL number (2.5.29.20) */
	if (tag != 0xa0 || in.p != in.end)
		goto out;
	list = (struct der_rd){v, v + len};
	if (!der_read(&list, &tag, &v, &len, NULL) || tag != 0x30 || list.p != list.end)
		goto out;
	list = (struct der_rd){v, v + len};
	while (list.p < list.end) {
		struct der_rd x;
		if (!der_read(&list, &tag, &v, &len, NULL) || tag != 0x30)
			goto out;
		x = (struct der_rd){v, v + len};
		if (!der_read(&x, &tag, &v, &len, NULL) || tag != 0x06)
			goto out;
		if (len == 3 && memcmp(v, "\x55\x1d\x14", 3) == 0)
			has_number = 1;
	}
	if (!has_number) {
		rc = oa_fail(OA_ERR_DENIED, "signer: the CRL has no CRL number");
		goto out;
	}
	rc = OA_OK;
out:
	OPENSSL_free(name);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ERR_clear_error();
	return rc;
}

static oa_err check_ocsp(void *ctx, OCSP_CERTID *cid)
{
	if (ca_certid_ours(ctx, cid) != 1)
		return oa_fail(OA_ERR_DENIED, "signer: an OCSP answer for another issuer");
	return OA_OK;
}

signer_checks ca_signer_checks(ca *c)
{
	signer_checks k = {check_cert, check_crl, check_ocsp, c};
	return k;
}
