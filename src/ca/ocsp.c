/*
 * ocsp.c - the OCSP responder (RFC 6960, with the RFC 5019 profile).
 *
 * Answers for certificates of the issuing CA only, signed by the delegated
 * responder (id-kp-OCSPSigning, id-pkix-ocsp-nocheck).  Every input byte is
 * hostile: a request that does not parse, is too large, carries too many
 * CertIDs or an oversized nonce gets the malformedRequest status; a CertID
 * for another issuer gets unauthorized (RFC 5019 2.2.3); a store failure
 * gets internalError.  None of them is an error to the caller, who always
 * receives a DER OCSPResponse to send.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "../common/limits.h"
#include "caInt.h"

/* Largest nonce echoed (RFC 8954 2.1 allows 1..32 octets; some clients send
 * a little more, so the extension value may carry a few bytes of DER). */
#define MAX_NONCE_EXT_BYTES 64

oa_err ca_key_hashes(ca *c)
{
	X509 *is = c->cert[SIGNER_ISSUING];
	const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(is);
	unsigned char *name = NULL;
	int nl = i2d_X509_NAME(X509_get_subject_name(is), &name);
	int ok = nl > 0 && key != NULL &&
	    EVP_Digest(name, (size_t)nl, c->name_sha1, NULL, EVP_sha1(), NULL) &&
	    EVP_Digest(name, (size_t)nl, c->name_sha256, NULL, EVP_sha256(), NULL) &&
	    EVP_Digest(key->data, (size_t)key->length, c->key_sha1, NULL, EVP_sha1(), NULL) &&
	    EVP_Digest(key->data, (size_t)key->length, c->key_sha256, NULL, EVP_sha256(), NULL);

	OPENSSL_free(name);
	return ok ? OA_OK : oa_fail_ssl(OA_ERR_CRYPTO, "hashing the issuing CA for OCSP");
}

static oa_err status_only(int status, uint8_t **out, size_t *len)
{
	OCSP_RESPONSE *r = OCSP_response_create(status, NULL);
	unsigned char *d = NULL;
	int n;

	if (r == NULL || (n = i2d_OCSP_RESPONSE(r, &d)) <= 0) {
		OCSP_RESPONSE_free(r);
		return oa_fail_ssl(OA_ERR_CRYPTO, "encoding an OCSP response");
	}
	OCSP_RESPONSE_free(r);
	if ((*out = malloc((size_t)n)) == NULL) {
		OPENSSL_free(d);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	memcpy(*out, d, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(d);
	return OA_OK;
}

int ca_certid_ours(ca *c, OCSP_CERTID *cid)
{
	ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
	ASN1_OBJECT *md = NULL;
	ASN1_INTEGER *serial = NULL;
	const uint8_t *want_n, *want_k;
	size_t l;

	if (!OCSP_id_get0_info(&nh, &md, &kh, &serial, cid) || nh == NULL || kh == NULL)
		return -1;
	switch (OBJ_obj2nid(md)) {
	case NID_sha1:
		want_n = c->name_sha1;
		want_k = c->key_sha1;
		l = 20;
		break;
	case NID_sha256:
		want_n = c->name_sha256;
		want_k = c->key_sha256;
		l = 32;
		break;
	default:
		return 0;
	}
	return ASN1_STRING_length(nh) == (int)l && ASN1_STRING_length(kh) == (int)l &&
	    memcmp(ASN1_STRING_get0_data(nh), want_n, l) == 0 &&
	    memcmp(ASN1_STRING_get0_data(kh), want_k, l) == 0;
}

oa_err ca_ocsp_respond(ca *c, const uint8_t *req, size_t req_len, uint8_t **resp,
    size_t *resp_len)
{
	const unsigned char *p = req;
	OCSP_REQUEST *rq = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *r = NULL;
	signer_ocsp_item items[OA_MAX_OCSP_REQ_CERTS];
	int64_t now = oa_now();
	int n, idx, status = OCSP_RESPONSE_STATUS_SUCCESSFUL;
	unsigned char *d = NULL;
	signer *sg;
	store_stmt *st = NULL;
	oa_err rc = OA_OK;

	*resp = NULL;
	*resp_len = 0;
	if (req_len == 0 || req_len > OA_MAX_OCSP_REQ_BYTES ||
	    (rq = d2i_OCSP_REQUEST(NULL, &p, (long)req_len)) == NULL || p != req + req_len) {
		OCSP_REQUEST_free(rq);
		ERR_clear_error();
		return status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, resp, resp_len);
	}
	n = OCSP_request_onereq_count(rq);
	if (n <= 0 || n > OA_MAX_OCSP_REQ_CERTS) {
		status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
		goto status;
	}
	if ((idx = OCSP_REQUEST_get_ext_by_NID(rq, NID_id_pkix_OCSP_Nonce, -1)) >= 0) {
		X509_EXTENSION *e = OCSP_REQUEST_get_ext(rq, idx);
		int nl = ASN1_STRING_length(X509_EXTENSION_get_data(e));
		if (nl <= 0 || nl > MAX_NONCE_EXT_BYTES ||
		    OCSP_REQUEST_get_ext_by_NID(rq, NID_id_pkix_OCSP_Nonce, idx) >= 0) {
			status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
			goto status;
		}
	}
	if ((st = store_prepare(c->db, "SELECT status, revoked_at, reason FROM certificate"
	                               " WHERE serial = ? AND issuer_id = ?")) == NULL) {
		status = OCSP_RESPONSE_STATUS_INTERNALERROR;
		goto status;
	}
	for (int i = 0; i < n; i++) {
		OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(rq, i));
		ASN1_OCTET_STRING *nh, *kh;
		ASN1_OBJECT *md;
		ASN1_INTEGER *serial;
		char hex[41];
		int step;

		items[i] = (signer_ocsp_item){V_OCSP_CERTSTATUS_UNKNOWN, 0, -1};
		switch (ca_certid_ours(c, cid)) {
		case -1:
			status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
			goto status;
		case 0:
			status = OCSP_RESPONSE_STATUS_UNAUTHORIZED;
			goto status;
		}
		OCSP_id_get0_info(&nh, &md, &kh, &serial, cid);
		if (ca_serial_hex(serial, hex) != OA_OK)
			continue; /* a serial we never issue: unknown */
		store_bind_text(st, 1, hex);
		store_bind_int(st, 2, c->cert_id[SIGNER_ISSUING]);
		step = store_step(st);
		if (step == STORE_ROW) {
			if (strcmp(store_col_text(st, 0), "revoked") == 0) {
				items[i].status = V_OCSP_CERTSTATUS_REVOKED;
				items[i].revoked_at = store_col_int(st, 1);
				items[i].reason = (int)store_col_int(st, 2);
				if (items[i].reason == CA_REASON_UNSPECIFIED)
					items[i].reason = -1; /* as on the CRL: no reason given */
			} else
				items[i].status = V_OCSP_CERTSTATUS_GOOD;
		}
		store_reset(st);
		if (step < 0) {
			status = OCSP_RESPONSE_STATUS_INTERNALERROR;
			goto status;
		}
	}
	if ((rc = ca_signer(c, &sg)) ||
	    (rc = signer_sign_ocsp(sg, req, req_len, items, (size_t)n, now,
	         now + conf_int(c->cfg, "ocsp.validity_minutes") * 60, &bs))) {
		/* The client learns only internalError; the operator learns why. */
		fprintf(stderr, "openams: ocsp: cannot sign: %s\n", oa_errmsg());
		status = OCSP_RESPONSE_STATUS_INTERNALERROR;
		rc = OA_OK;
		goto status;
	}
	if ((r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL ||
	    (n = i2d_OCSP_RESPONSE(r, &d)) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "encoding the OCSP response");
		goto out;
	}
	if ((*resp = malloc((size_t)n)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*resp, d, (size_t)n);
	*resp_len = (size_t)n;
	goto out;
status:
	rc = status_only(status, resp, resp_len);
out:
	OPENSSL_free(d);
	OCSP_RESPONSE_free(r);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(rq);
	return rc;
}
