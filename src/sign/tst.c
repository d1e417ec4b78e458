/*
 * tst.c - PAdES B-T: the signature time-stamp token, asked of the
 * instance's own time-stamping authority (ca_timestamp) with OpenSSL's RFC
 * 3161 request and response types, and checked before it is embedded: the
 * reply is granted, its token's imprint is the one asked for, with SHA-256,
 * and its nonce is ours.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include "signInt.h"

oa_err sign_tst_from_ca(void *arg, const uint8_t imprint[32], uint8_t **token, size_t *len)
{
	ca *c = arg;
	TS_REQ *rq = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = NULL;
	TS_RESP *resp = NULL;
	TS_TST_INFO *info;
	const uint8_t *p;
	uint8_t *req = NULL, *rbytes = NULL, nb[8];
	unsigned char *tok = NULL;
	size_t rlen = 0;
	int reqlen, toklen;
	oa_err rc = OA_OK;

	*token = NULL;
	*len = 0;
	if (!rq || !mi || !alg || RAND_bytes(nb, sizeof nb) != 1 ||
	    (bn = BN_bin2bn(nb, sizeof nb, NULL)) == NULL ||
	    (nonce = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) ||
	    !TS_MSG_IMPRINT_set_algo(mi, alg) || !TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)imprint, 32) ||
	    !TS_REQ_set_version(rq, 1) || !TS_REQ_set_msg_imprint(rq, mi) || !TS_REQ_set_nonce(rq, nonce) ||
	    !TS_REQ_set_cert_req(rq, 1) || (reqlen = i2d_TS_REQ(rq, &req)) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "building the time-stamp request");
		goto out;
	}
	if ((rc = ca_timestamp(c, req, (size_t)reqlen, &rbytes, &rlen)))
		goto out;
	p = rbytes;
	if ((resp = d2i_TS_RESP(NULL, &p, (long)rlen)) == NULL) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "the time-stamp reply does not parse");
		goto out;
	}
	if (ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))) !=
	        TS_STATUS_GRANTED ||
	    TS_RESP_get_token(resp) == NULL || (info = TS_RESP_get_tst_info(resp)) == NULL) {
		rc = oa_fail(OA_ERR_CRYPTO, "the time-stamping authority did not grant the request");
		goto out;
	}
	{
		TS_MSG_IMPRINT *got = TS_TST_INFO_get_msg_imprint(info);
		ASN1_OCTET_STRING *m = TS_MSG_IMPRINT_get_msg(got);
		X509_ALGOR *ga = TS_MSG_IMPRINT_get_algo(got);
		const ASN1_INTEGER *gn = TS_TST_INFO_get_nonce(info);
		if (OBJ_obj2nid(ga->algorithm) != NID_sha256 || ASN1_STRING_length(m) != 32 ||
		    memcmp(ASN1_STRING_get0_data(m), imprint, 32) != 0 || !gn ||
		    ASN1_INTEGER_cmp(gn, nonce) != 0) {
			rc = oa_fail(OA_ERR_CRYPTO, "the time-stamp token is not for this signature");
			goto out;
		}
	}
	if ((toklen = i2d_PKCS7(TS_RESP_get_token(resp), &tok)) <= 0 ||
	    (size_t)toklen > SIGN_MAX_TST_BYTES) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "the time-stamp token does not encode");
		goto out;
	}
	if ((*token = malloc((size_t)toklen)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*token, tok, (size_t)toklen);
	*len = (size_t)toklen;
out:
	ERR_clear_error();
	OPENSSL_free(tok);
	OPENSSL_free(req);
	free(rbytes);
	TS_RESP_free(resp);
	TS_REQ_free(rq);
	TS_MSG_IMPRINT_free(mi);
	X509_ALGOR_free(alg);
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	return rc;
}
