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
	return ca_lint(p, c->cfg, x, c->cert[SIGNER_ISSUING]);
}

static oa_err check_crl(void *ctx, signer_key k, const uint8_t *tbs, size_t n)
{
	ca *c = ctx;
	oa_buf der = {0}, body = {0};
	const uint8_t *alg;
	size_t alglen;
	int nid;
	uint8_t bits[1] = {0};
	const unsigned char *p;
	X509_CRL *crl = NULL;
	ASN1_INTEGER *num = NULL;
	oa_err rc;

	/* Parse it as a whole CertificateList with an empty signature. */
	if ((rc = signer_algorithm_of(X509_get0_pubkey(c->cert[k]), &alg, &alglen, &nid)) ||
	    (rc = oa_buf_append(&body, tbs, n)) || (rc = oa_buf_append(&body, alg, alglen)) ||
	    (rc = der_tlv(&body, 0x03, bits, 1)) || (rc = der_tlv(&der, 0x30, body.data, body.len)))
		goto out;
	p = der.data;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)der.len)) == NULL || p != der.data + der.len) {
		rc = oa_fail_ssl(OA_ERR_DENIED, "signer: the TBSCertList does not parse");
		goto out;
	}
	if (X509_CRL_get_version(crl) != 1 ||
	    X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(c->cert[k])) != 0) {
		rc = oa_fail(OA_ERR_DENIED, "signer: the CRL is not a v2 CRL of this CA");
		goto out;
	}
	if ((num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL)) == NULL ||
	    X509_CRL_get0_nextUpdate(crl) == NULL ||
	    ASN1_TIME_compare(X509_CRL_get0_lastUpdate(crl), X509_CRL_get0_nextUpdate(crl)) >= 0) {
		rc = oa_fail(OA_ERR_DENIED, "signer: the CRL lacks a number or a sane nextUpdate");
		goto out;
	}
	if (getenv("OPENAMS_NOW") == NULL) {
		/* thisUpdate must be about now: no back- or forward-dated CRLs.
		 * (Under a faked clock, OPENAMS_NOW in tests, the signer's copy of
		 * the clock may be older than its caller's, so it cannot judge.) */
		int days, secs;
		ASN1_TIME *now = ASN1_TIME_set(NULL, (time_t)oa_now());
		int ok = now && ASN1_TIME_diff(&days, &secs, now, X509_CRL_get0_lastUpdate(crl)) &&
		    days == 0 && secs > -600 && secs < 600;
		ASN1_TIME_free(now);
		if (!ok) {
			rc = oa_fail(OA_ERR_DENIED, "signer: the CRL's thisUpdate is not now");
			goto out;
		}
	}
out:
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
	oa_buf_free(&der);
	oa_buf_free(&body);
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
