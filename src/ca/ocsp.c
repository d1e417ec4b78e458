/*
 * ocsp.c - the OCSP responder (RFC 6960, with the RFC 5019 profile).
 *
 * Answers for certificates of the issuing CA only (the delegated responder's
 * own included), signed by the delegated responder (id-kp-OCSPSigning,
 * id-pkix-ocsp-nocheck).  CertIDs may be hashed with SHA-1 or SHA-2.  Every
 * input byte is hostile: a request that does not parse, is too large,
 * carries too many CertIDs, a nonce outside 1..32 octets (RFC 8954 2.1) or a
 * critical extension that is not understood (RFC 6960 4.4) gets the
 * malformedRequest status; a CertID for another issuer (or hashed with an
 * algorithm not listed) gets unauthorized (RFC 5019 2.2.3); a store failure
 * gets internalError.  None of them is an error to the caller, who always
 * receives a DER OCSPResponse to send.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "../common/der.h"
#include "../common/limits.h"
#include "caInt.h"

/* RFC 8954 2.1: a nonce is 1..32 octets; a responder must refuse others
 * with malformedRequest. */
#define MAX_NONCE_BYTES 32

/* The hash algorithms a CertID may use (RFC 6960 4.1.1 hashAlgorithm; RFC
 * 5019 2.1.1 makes SHA-1 the default).  A CertID hashed with another
 * algorithm cannot be matched and gets unauthorized. */
static const int certid_mds[CA_CERTID_MDS] = {NID_sha1, NID_sha224, NID_sha256, NID_sha384,
    NID_sha512};

oa_err ca_key_hashes(ca *c)
{
	X509 *is = c->cert[SIGNER_ISSUING];
	const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(is);
	unsigned char *name = NULL;
	int nl = i2d_X509_NAME(X509_get_subject_name(is), &name), ok = nl > 0 && key != NULL;

	for (int i = 0; ok && i < CA_CERTID_MDS; i++) {
		struct ca_certid_hash *h = &c->certid[i];
		const EVP_MD *md = EVP_get_digestbynid(certid_mds[i]);
		h->nid = certid_mds[i];
		ok = md != NULL && EVP_Digest(name, (size_t)nl, h->name, &h->len, md, NULL) &&
		    EVP_Digest(key->data, (size_t)key->length, h->key, NULL, md, NULL);
	}
	OPENSSL_free(name);
	return ok ? OA_OK : oa_fail_ssl(OA_ERR_CRYPTO, "hashing the issuing CA for OCSP");
}

/* The request extensions openams understands (RFC 6960 4.4): the nonce
 * (4.4.1) and acceptable response types (4.4.3; only basic is produced). */
static int ext_understood(const X509_EXTENSION *e)
{
	int nid = OBJ_obj2nid(X509_EXTENSION_get_object((X509_EXTENSION *)e));
	return nid == NID_id_pkix_OCSP_Nonce || nid == NID_id_pkix_OCSP_acceptableResponses;
}

/* RFC 6960 4.4: an extension that is critical and not understood must not
 * be ignored; the request (and each of its CertIDs) is then refused. */
static int has_unknown_critical(OCSP_REQUEST *rq)
{
	int n = OCSP_request_onereq_count(rq);

	for (int i = 0; i < OCSP_REQUEST_get_ext_count(rq); i++) {
		X509_EXTENSION *e = OCSP_REQUEST_get_ext(rq, i);
		if (X509_EXTENSION_get_critical(e) && !ext_understood(e))
			return 1;
	}
	for (int i = 0; i < n; i++) {
		OCSP_ONEREQ *one = OCSP_request_onereq_get0(rq, i);
		for (int j = 0; j < OCSP_ONEREQ_get_ext_count(one); j++)
			if (X509_EXTENSION_get_critical(OCSP_ONEREQ_get_ext(one, j)))
				return 1; /* no singleRequestExtension is understood */
	}
	return 0;
}

/* RFC 8954 2.1: the nonce, Nonce ::= OCTET STRING (SIZE(1..32)), is 1..32
 * octets.  The extension value is the DER of that OCTET STRING; a value
 * that is not (the raw nonce some older clients send) counts as the nonce
 * itself. */
static int nonce_ok(X509_EXTENSION *e)
{
	const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(e);
	const unsigned char *p = ASN1_STRING_get0_data(v);
	int vl = ASN1_STRING_length(v), nl = vl;
	ASN1_OCTET_STRING *inner;

	if ((inner = d2i_ASN1_OCTET_STRING(NULL, &p, vl)) != NULL &&
	    p == ASN1_STRING_get0_data(v) + vl)
		nl = ASN1_STRING_length(inner);
	ASN1_OCTET_STRING_free(inner);
	ERR_clear_error();
	return nl >= 1 && nl <= MAX_NONCE_BYTES;
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
	int nid;

	if (!OCSP_id_get0_info(&nh, &md, &kh, &serial, cid) || nh == NULL || kh == NULL)
		return -1;
	nid = OBJ_obj2nid(md);
	for (int i = 0; i < CA_CERTID_MDS; i++) {
		const struct ca_certid_hash *h = &c->certid[i];
		int l = (int)h->len;
		if (h->nid != nid || nid == NID_undef)
			continue;
		return ASN1_STRING_length(nh) == l && ASN1_STRING_length(kh) == l &&
		    memcmp(ASN1_STRING_get0_data(nh), h->name, (size_t)l) == 0 &&
		    memcmp(ASN1_STRING_get0_data(kh), h->key, (size_t)l) == 0;
	}
	return 0;
}

/* The OCSPResponse { successful, responseBytes { id-pkix-ocsp-basic,
 * OCTET STRING } } around the BasicOCSPResponse the signer made (RFC 6960
 * 4.2.1), written directly: decoding and encoding it again through
 * OpenSSL's object model decodes the embedded responder certificate's key
 * with a new OpenSSL 3.0 decoder chain, a third of a response's CPU. */
static oa_err wrap_basic(const uint8_t *basic, size_t n, uint8_t **out, size_t *len)
{
	static const uint8_t status_ok[] = {0x0a, 0x01, 0x00};
	static const uint8_t basic_oid[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30,
	    0x01, 0x01}; /* 1.3.6.1.5.5.7.48.1.1 */
	size_t octet = der_hdr_len(n) + n, bytes = sizeof basic_oid + octet,
	       explicit0 = der_hdr_len(bytes) + bytes,
	       body = sizeof status_ok + der_hdr_len(explicit0) + explicit0;
	oa_buf b = {0};
	oa_err rc;

	if ((rc = der_hdr(&b, 0x30, body)) || (rc = oa_buf_append(&b, status_ok, sizeof status_ok)) ||
	    (rc = der_hdr(&b, 0xa0, explicit0)) || (rc = der_hdr(&b, 0x30, bytes)) ||
	    (rc = oa_buf_append(&b, basic_oid, sizeof basic_oid)) || (rc = der_tlv(&b, 0x04, basic, n))) {
		oa_buf_free(&b);
		return rc;
	}
	*out = b.data;
	*len = b.len;
	return OA_OK;
}

/* One DER TLV at p (n bytes left): its tag, and its content in *v, *vl;
 * the bytes it takes, or 0 if it does not fit. */
static size_t tlv(const uint8_t *p, size_t n, uint8_t *tag, const uint8_t **v, size_t *vl)
{
	size_t h = 2, l;

	if (n < 2)
		return 0;
	l = p[1];
	if (l & 0x80) {
		size_t k = l & 0x7f;
		if (k == 0 || k > 4 || n < 2 + k)
			return 0;
		l = 0;
		for (size_t i = 0; i < k; i++)
			l = l << 8 | p[2 + i];
		h += k;
	}
	if (l > n - h)
		return 0;
	*tag = p[0];
	*v = p + h;
	*vl = l;
	return h + l;
}

/* producedAt of a DER BasicOCSPResponse (RFC 6960 4.2.1: tbsResponseData
 * { [0] version OPTIONAL, responderID [1] or [2], producedAt, ... }), as
 * the signer's clock set it; 0 if it cannot be read. */
static int64_t produced_at(const uint8_t *basic, size_t n)
{
	const uint8_t *v, *t;
	size_t vl, tl, k;
	uint8_t tag;
	struct tm tm = {0};

	if (!tlv(basic, n, &tag, &v, &vl) || tag != 0x30 || !tlv(v, vl, &tag, &t, &tl) || tag != 0x30)
		return 0;
	for (int field = 0; field < 3; field++) {
		const uint8_t *x;
		size_t xl;
		if ((k = tlv(t, tl, &tag, &x, &xl)) == 0)
			return 0;
		if (tag == 0x18) {
			char g[16];
			if (xl != 15 || x[14] != 'Z')
				return 0;
			memcpy(g, x, 14);
			g[14] = 0;
			if (strspn(g, "0123456789") != 14 ||
			    sscanf(g, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			        &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
				return 0;
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			return (int64_t)timegm(&tm);
		}
		t += k;
		tl -= k;
	}
	return 0;
}

oa_err ca_ocsp_respond(ca *c, const uint8_t *req, size_t req_len, uint8_t **resp,
    size_t *resp_len)
{
	return ca_ocsp_answer(c, req, req_len, resp, resp_len, NULL);
}

oa_err ca_ocsp_answer(ca *c, const uint8_t *req, size_t req_len, uint8_t **resp,
    size_t *resp_len, ca_ocsp_meta *meta)
{
	const unsigned char *p = req;
	OCSP_REQUEST *rq = NULL;
	signer_ocsp_item items[OA_MAX_OCSP_REQ_CERTS];
	int64_t now = oa_now(), next = now + conf_int(c->cfg, "ocsp.validity_minutes") * 60;
	int n, idx, status = OCSP_RESPONSE_STATUS_SUCCESSFUL, nonce = 0;
	uint8_t *basic = NULL;
	size_t blen = 0;
	signer *sg;
	store_stmt *st = NULL;
	oa_err rc = OA_OK;
	ca_ocsp_meta m0;

	if (meta == NULL)
		meta = &m0;
	memset(meta, 0, sizeof *meta);
	*resp = NULL;
	*resp_len = 0;
	if (req_len == 0 || req_len > OA_MAX_OCSP_REQ_BYTES ||
	    (rq = d2i_OCSP_REQUEST(NULL, &p, (long)req_len)) == NULL || p != req + req_len) {
		OCSP_REQUEST_free(rq);
		ERR_clear_error();
		meta->status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
		return status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, resp, resp_len);
	}
	n = OCSP_request_onereq_count(rq);
	if (n <= 0 || n > OA_MAX_OCSP_REQ_CERTS) {
		status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
		goto status;
	}
	if (has_unknown_critical(rq)) {
		status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
		goto status;
	}
	if ((idx = OCSP_REQUEST_get_ext_by_NID(rq, NID_id_pkix_OCSP_Nonce, -1)) >= 0) {
		nonce = 1; /* echoed by the signer */
		if (!nonce_ok(OCSP_REQUEST_get_ext(rq, idx)) ||
		    OCSP_REQUEST_get_ext_by_NID(rq, NID_id_pkix_OCSP_Nonce, idx) >= 0) {
			status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
			goto status;
		}
	}
	/* The issuing CA's certificates, and the delegated responder's own
	 * (which init records in ca_cert, not among the subscribers). */
	if ((st = store_prepare(c->db, "SELECT status, revoked_at, reason FROM certificate"
	                               " WHERE serial = ?1 AND issuer_id = ?2"
	                               " UNION ALL SELECT 'active', NULL, NULL FROM ca_cert"
	                               " WHERE serial = ?1 AND role = 'ocsp'")) == NULL) {
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
	    (rc = signer_sign_ocsp(sg, req, req_len, items, (size_t)n, now, next, &basic, &blen))) {
		/* The client learns only internalError; the operator learns why. */
		fprintf(stderr, "openams: ocsp: cannot sign: %s\n", oa_errmsg());
		status = OCSP_RESPONSE_STATUS_INTERNALERROR;
		rc = OA_OK;
		goto status;
	}
	if ((rc = wrap_basic(basic, blen, resp, resp_len)) == OA_OK) {
		int64_t pa = produced_at(basic, blen);
		meta->nonce = nonce;
		meta->produced = pa > 0 ? pa : now;
		meta->next_update = next;
	}
	goto out;
status:
	meta->status = status;
	rc = status_only(status, resp, resp_len);
out:
	free(basic);
	OCSP_REQUEST_free(rq);
	return rc;
}
