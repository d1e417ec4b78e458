/*
 * child.c - the signer process: its sandbox, its request loop, and the
 * handling of each operation (with the re-checks from signer_checks).
 */
#include "signerInt.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <time.h>

oa_err signer_send2(int fd, uint8_t first, const uint8_t *a, size_t an, const uint8_t *b,
    size_t bn)
{
	uint8_t hdr[5];
	size_t total = 1 + an + bn;
	const uint8_t *parts[3] = {hdr, a, b};
	size_t lens[3] = {sizeof hdr, an, bn};

	if (total > SIGNER_MAX_FRAME)
		return oa_fail(OA_ERR_LIMIT, "signer frame larger than %u bytes", SIGNER_MAX_FRAME);
	hdr[0] = (uint8_t)(total >> 24);
	hdr[1] = (uint8_t)(total >> 16);
	hdr[2] = (uint8_t)(total >> 8);
	hdr[3] = (uint8_t)total;
	hdr[4] = first;
	for (int i = 0; i < 3; i++) {
		const uint8_t *p = parts[i];
		size_t n = lens[i];
		while (n > 0) {
			ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return oa_fail(OA_ERR_IO, "signer socket: %s", strerror(errno));
			}
			p += w;
			n -= (size_t)w;
		}
	}
	return OA_OK;
}

oa_err signer_send(int fd, uint8_t first, const uint8_t *p, size_t n)
{
	return signer_send2(fd, first, p, n, NULL, 0);
}

/* First allocation for a frame being read (signer_recv). */
#define SIGNER_RECV_CHUNK ((size_t)64 * 1024)

static oa_err read_full(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r == 0)
			return oa_fail(OA_ERR_IO, "signer socket closed");
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return oa_fail(OA_ERR_IO, "signer socket: %s", strerror(errno));
		}
		p += r;
		n -= (size_t)r;
	}
	return OA_OK;
}

oa_err signer_recv(int fd, uint8_t **msg, size_t *n)
{
	uint8_t hdr[4];
	uint32_t len;
	uint8_t *buf = NULL, *nb;
	size_t have = 0, cap = 0;
	oa_err rc;

	*msg = NULL;
	*n = 0;
	if ((rc = read_full(fd, hdr, sizeof hdr)))
		return rc;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > SIGNER_MAX_FRAME)
		return oa_fail(OA_ERR_LIMIT, "signer frame of %u bytes (1..%u)", len, SIGNER_MAX_FRAME);
	/* The buffer grows with what arrives (doubling from 64 KiB), so a header
	 * claiming 256 MiB that is followed by nothing costs 64 KiB, not 256 MiB. */
	while (have < len) {
		if (have == cap) {
			cap = cap ? cap * 2 : SIGNER_RECV_CHUNK;
			if (cap > len)
				cap = len;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return oa_fail(OA_ERR_NOMEM, "out of memory");
			}
			buf = nb;
		}
		if ((rc = read_full(fd, buf + have, cap - have))) {
			free(buf);
			return rc;
		}
		have = cap;
	}
	*msg = buf;
	*n = len;
	return OA_OK;
}

oa_err signer_core_open(signer_core *core, const signer_opts *o)
{
	oa_err rc;

	memset(core, 0, sizeof *core);
	core->checks = o->checks;
	for (int k = 0; k < SIGNER__MAX; k++) {
		if (o->certs[k] == NULL && k >= SIGNER_CA_KEYS)
			continue; /* a service (the TSA) this instance does not run */
		if (o->certs[k] == NULL || (core->certs[k] = X509_dup(o->certs[k])) == NULL) {
			signer_core_close(core);
			return oa_fail(OA_ERR_CONFIG, "the signer needs the three CA certificates");
		}
	}
	if ((rc = keystore_open(&core->ks, o))) {
		signer_core_close(core);
		return rc;
	}
	return OA_OK;
}

void signer_core_close(signer_core *core)
{
	keystore_close(&core->ks);
	for (int k = 0; k < SIGNER__MAX; k++)
		X509_free(core->certs[k]);
	memset(core, 0, sizeof *core);
}

static oa_err do_sign_cert(signer_core *core, const uint8_t *p, size_t n, oa_buf *out)
{
	char profile[64];
	const unsigned char *der;
	size_t plen;
	X509 *x = NULL;
	EVP_PKEY *key;
	unsigned char *signed_der = NULL;
	int len;
	oa_err rc;

	if (n < 1 || (plen = p[0]) == 0 || plen >= sizeof profile || n < 1 + plen + 1)
		return oa_fail(OA_ERR_INVALID, "sign-certificate request: bad profile field");
	memcpy(profile, p + 1, plen);
	profile[plen] = 0;
	der = p + 1 + plen;
	if ((x = d2i_X509(NULL, &der, (long)(n - 1 - plen))) == NULL || der != p + n) {
		X509_free(x);
		return oa_fail_ssl(OA_ERR_INVALID, "sign-certificate request: not one DER certificate");
	}
	/* The issuing CA signs only what names it as issuer... */
	if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(core->certs[SIGNER_ISSUING]))) {
		rc = oa_fail(OA_ERR_DENIED, "signer: the certificate does not name the issuing CA");
		goto out;
	}
	/* ...and what passes its profile's lint again, here. */
	if (core->checks.cert == NULL) {
		rc = oa_fail(OA_ERR_DENIED, "signer: no certificate checks configured");
		goto out;
	}
	if ((rc = core->checks.cert(core->checks.ctx, x, profile)))
		goto out;
	if ((rc = keystore_get(&core->ks, SIGNER_ISSUING, &key)))
		goto out;
	if (X509_sign(x, key, signer_digest_for(key)) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: signing the certificate");
		goto out;
	}
	if ((len = i2d_X509(x, &signed_der)) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: encoding");
		goto out;
	}
	rc = oa_buf_append(out, signed_der, (size_t)len);
out:
	OPENSSL_free(signed_der);
	X509_free(x);
	return rc;
}

static oa_err sign_raw(EVP_PKEY *key, const uint8_t *tbs, size_t n, oa_buf *out)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t len = 0;
	oa_err rc = OA_OK;

	if (md == NULL || EVP_DigestSignInit(md, NULL, signer_digest_for(key), NULL, key) <= 0 ||
	    EVP_DigestSign(md, NULL, &len, tbs, n) <= 0 || (rc = oa_buf_reserve(out, len)) ||
	    EVP_DigestSign(md, out->data + out->len, &len, tbs, n) <= 0)
		rc = rc ? rc : oa_fail_ssl(OA_ERR_CRYPTO, "signer: signing");
	else
		out->len += len;
	EVP_MD_CTX_free(md);
	return rc;
}

static oa_err do_sign_crl(signer_core *core, const uint8_t *p, size_t n, oa_buf *out)
{
	EVP_PKEY *key;
	signer_key k;
	oa_err rc;

	if (n < 2 || (p[0] != SIGNER_ROOT && p[0] != SIGNER_ISSUING))
		return oa_fail(OA_ERR_INVALID, "sign-CRL request: only the root and issuing CAs sign CRLs");
	k = (signer_key)p[0];
	if (core->checks.crl == NULL)
		return oa_fail(OA_ERR_DENIED, "signer: no CRL checks configured");
	if ((rc = core->checks.crl(core->checks.ctx, k, p + 1, n - 1)) ||
	    (rc = keystore_get(&core->ks, k, &key)))
		return rc;
	return sign_raw(key, p + 1, n - 1, out);
}

static int64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static oa_err do_sign_ocsp(signer_core *core, const uint8_t *p, size_t n, oa_buf *out)
{
	OCSP_REQUEST *rq = NULL;
	OCSP_BASICRESP *bs = NULL;
	ASN1_TIME *tu = NULL, *nu = NULL, *rt = NULL;
	const unsigned char *q;
	unsigned char *res = NULL;
	EVP_PKEY *key;
	size_t rlen;
	int count, len;
	oa_err rc = OA_OK;

	/* The length, then rlen request bytes and 16 bytes of times: n >= 20
	 * first, or n - 4 - 16 wraps and d2i reads past the frame. */
	if (n < 4 + 16 ||
	    (rlen = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]) > n - 4 - 16)
		return oa_fail(OA_ERR_INVALID, "sign-OCSP request: bad length");
	q = p + 4;
	if ((rq = d2i_OCSP_REQUEST(NULL, &q, (long)rlen)) == NULL || q != p + 4 + rlen) {
		OCSP_REQUEST_free(rq);
		return oa_fail_ssl(OA_ERR_INVALID, "sign-OCSP request: not one OCSPRequest");
	}
	count = OCSP_request_onereq_count(rq);
	if (count <= 0 || n != 4 + rlen + 16 + (size_t)count * 10) {
		rc = oa_fail(OA_ERR_INVALID, "sign-OCSP request: one answer per CertID is needed");
		goto out;
	}
	if (core->checks.ocsp == NULL) {
		rc = oa_fail(OA_ERR_DENIED, "signer: no OCSP checks configured");
		goto out;
	}
	q = p + 4 + rlen;
	if ((bs = OCSP_BASICRESP_new()) == NULL || (tu = ASN1_TIME_new()) == NULL ||
	    (nu = ASN1_TIME_new()) == NULL || (rt = ASN1_TIME_new()) == NULL ||
	    !ASN1_TIME_set(tu, (time_t)get64(q)) || !ASN1_TIME_set(nu, (time_t)get64(q + 8))) {
		rc = oa_fail_ssl(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	q += 16;
	for (int i = 0; i < count; i++, q += 10) {
		OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(rq, i));
		int st = q[0], reason = q[9] == 255 ? -1 : q[9];
		if (st != V_OCSP_CERTSTATUS_GOOD && st != V_OCSP_CERTSTATUS_REVOKED &&
		    st != V_OCSP_CERTSTATUS_UNKNOWN) {
			rc = oa_fail(OA_ERR_INVALID, "sign-OCSP request: bad status");
			goto out;
		}
		/* The signer answers only for the issuing CA's certificates. */
		if ((rc = core->checks.ocsp(core->checks.ctx, cid)))
			goto out;
		if (st == V_OCSP_CERTSTATUS_REVOKED && !ASN1_TIME_set(rt, (time_t)get64(q + 1))) {
			rc = oa_fail_ssl(OA_ERR_INVALID, "sign-OCSP request: bad revocation time");
			goto out;
		}
		if (!OCSP_basic_add1_status(bs, cid, st, reason, st == V_OCSP_CERTSTATUS_REVOKED ? rt : NULL,
		        tu, nu)) {
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: building the OCSP response");
			goto out;
		}
	}
	/* RFC 6960 4.4.1: echo the nonce when the request has one. */
	if (OCSP_copy_nonce(bs, rq) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: copying the nonce");
		goto out;
	}
	if ((rc = keystore_get(&core->ks, SIGNER_OCSP, &key)))
		goto out;
	/* RFC 5019 2.2.3: responderID byKey; the responder certificate is
	 * included so clients can check the delegation (RFC 6960 4.2.2.2). */
	if (!OCSP_basic_sign(bs, core->certs[SIGNER_OCSP], key, signer_digest_for(key), NULL,
	        OCSP_RESPID_KEY) ||
	    (len = i2d_OCSP_BASICRESP(bs, &res)) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: signing the OCSP response");
		goto out;
	}
	rc = oa_buf_append(out, res, (size_t)len);
out:
	OPENSSL_free(res);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(rq);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_TIME_free(rt);
	return rc;
}

/* A copy of the current responder certificate with a fresh serial, the new
 * key, its key identifier and the given validity, signed by the issuing CA;
 * then the new key sealed for DIR/keys/ocsp.key (file backend). */
static oa_err do_renew_ocsp(signer_core *core, const uint8_t *p, size_t n, oa_buf *out)
{
	X509 *x = NULL, *old = core->certs[SIGNER_OCSP], *is = core->certs[SIGNER_ISSUING];
	EVP_PKEY *nk = NULL, *ik, *pub;
	ASN1_OCTET_STRING *ski = NULL;
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	unsigned char sb[16], md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned mdlen = 0;
	const char *type;
	int64_t nb, na;
	int len, idx;
	oa_err rc = OA_OK;

	if (n != 16)
		return oa_fail(OA_ERR_INVALID, "renew-OCSP request: bad length");
	nb = get64(p);
	na = get64(p + 8);
	{
		struct tm tm;
		int64_t is_end;
		if (!ASN1_TIME_to_tm(X509_get0_notAfter(is), &tm))
			return oa_fail_ssl(OA_ERR_CRYPTO, "signer: the issuing CA's notAfter");
		is_end = (int64_t)timegm(&tm);
		/* nb >= 0 first: na - nb of two arbitrary 64-bit values could overflow */
		if (nb < 0 || na <= nb || na - nb > 1095 * 86400LL || na > is_end)
			return oa_fail(OA_ERR_INVALID, "renew-OCSP request: the validity must be at most 1095"
			                               " days and inside the issuing CA's");
	}
	/* The responder the issuing CA delegated to, nothing else. */
	if (X509_NAME_cmp(X509_get_issuer_name(old), X509_get_subject_name(is)) ||
	    X509_get_ext_by_NID(old, NID_id_pkix_OCSP_noCheck, -1) < 0)
		return oa_fail(OA_ERR_DENIED, "signer: the responder certificate is not the issuing CA's");
	if ((rc = keystore_get(&core->ks, SIGNER_ISSUING, &ik)))
		return rc;
	if (core->ks.pkcs11) {
		/* The token's responder key, certified again. */
		if ((rc = keystore_get(&core->ks, SIGNER_OCSP, &nk)))
			return rc;
		EVP_PKEY_up_ref(nk);
	} else {
		if ((type = signer_key_type_of(X509_get0_pubkey(old))) == NULL)
			return oa_fail(OA_ERR_CRYPTO, "signer: the responder key is of an unsupported type");
		if ((rc = signer_generate(type, &nk)))
			return rc;
	}
	if (RAND_bytes(sb, sizeof sb) != 1) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: random serial");
		goto out;
	}
	sb[0] = (uint8_t)((sb[0] & 0x7f) | 0x01);
	if ((x = X509_dup(old)) == NULL || (bn = BN_bin2bn(sb, sizeof sb, NULL)) == NULL ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || !X509_set_serialNumber(x, serial) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: building the responder certificate");
		goto out;
	}
	/* The public half alone goes into the certificate (a token key must not
	 * be referenced by it). */
	{
		unsigned char *spki = NULL;
		const unsigned char *q;
		int sl = i2d_PUBKEY(nk, &spki);
		pub = NULL;
		if (sl > 0) {
			q = spki;
			pub = d2i_PUBKEY(NULL, &q, sl);
		}
		OPENSSL_free(spki);
		if (pub == NULL || !X509_set_pubkey(x, pub)) {
			EVP_PKEY_free(pub);
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: the new public key");
			goto out;
		}
		EVP_PKEY_free(pub);
	}
	while ((idx = X509_get_ext_by_NID(x, NID_subject_key_identifier, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, idx));
	if (!X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) || (ski = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(ski, md, (int)mdlen) ||
	    X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT) != 1 ||
	    X509_sign(x, ik, signer_digest_for(ik)) <= 0 || (len = i2d_X509(x, &der)) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: signing the responder certificate");
		goto out;
	}
	{
		uint8_t h[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
		    (uint8_t)len};
		if ((rc = oa_buf_append(out, h, 4)) || (rc = oa_buf_append(out, der, (size_t)len)))
			goto out;
	}
	if (!core->ks.pkcs11)
		rc = keystore_seal(&core->ks, nk, out);
out:
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(nk);
	ASN1_OCTET_STRING_free(ski);
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	return rc;
}

/* RFC 3161: the signer's own clock (the clock hook in tests). */
static int tst_time(struct TS_resp_ctx *ctx, void *arg, long *sec, long *usec)
{
	(void)ctx;
	(void)arg;
	*sec = (long)oa_now();
	*usec = 0;
	return 1;
}

/* A random positive 128-bit serial for each token (RFC 3161 2.4.2: unique). */
static ASN1_INTEGER *tst_serial(struct TS_resp_ctx *ctx, void *arg)
{
	unsigned char b[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;

	(void)arg;
	if (RAND_bytes(b, sizeof b) == 1) {
		b[0] = (unsigned char)((b[0] & 0x7f) | 0x01);
		if ((bn = BN_bin2bn(b, sizeof b, NULL)) != NULL)
			ai = BN_to_ASN1_INTEGER(bn, NULL);
	}
	BN_free(bn);
	if (ai == NULL) {
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "no serial number");
		TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
	}
	return ai;
}

/*
 * A TimeStampResp for a TimeStampReq, built by OpenSSL's TS responder with
 * the TSA key.  The signer decides everything but the policy: the time,
 * the serial, the accepted digests; OpenSSL parses the request and turns a
 * bad one into a rejection.  The TSA certificate must be the issuing CA's
 * and carry the critical timeStamping EKU (TS_RESP_CTX_set_signer_cert
 * checks that).
 */
static oa_err do_sign_tst(signer_core *core, const uint8_t *p, size_t n, oa_buf *out)
{
	X509 *tsa = core->certs[SIGNER_TSA], *is = core->certs[SIGNER_ISSUING];
	TS_RESP_CTX *ctx = NULL;
	TS_RESP *resp = NULL;
	ASN1_OBJECT *policy = NULL;
	STACK_OF(X509) *chain = NULL;
	BIO *in = NULL;
	EVP_PKEY *key;
	unsigned char *der = NULL;
	char oid[128];
	uint32_t plen;
	int len;
	oa_err rc = OA_OK;

	if (tsa == NULL)
		return oa_fail(OA_ERR_STATE, "this instance has no time-stamping authority");
	if (n < 4 || (plen = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3])
	    == 0 || plen >= sizeof oid || plen > n - 4)
		return oa_fail(OA_ERR_INVALID, "time-stamp request: bad policy length");
	memcpy(oid, p + 4, plen);
	oid[plen] = '\0';
	if (strlen(oid) != plen || (policy = OBJ_txt2obj(oid, 1)) == NULL)
		return oa_fail(OA_ERR_INVALID, "time-stamp request: the policy is not a dotted OID");
	p += 4 + plen;
	n -= 4 + plen;
	if (X509_NAME_cmp(X509_get_issuer_name(tsa), X509_get_subject_name(is)) != 0) {
		rc = oa_fail(OA_ERR_DENIED, "signer: the TSA certificate is not the issuing CA's");
		goto out;
	}
	if ((rc = keystore_get(&core->ks, SIGNER_TSA, &key)))
		goto out;
	if ((ctx = TS_RESP_CTX_new()) == NULL || (chain = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(chain, is) ||
	    !TS_RESP_CTX_set_signer_cert(ctx, tsa) || !TS_RESP_CTX_set_signer_key(ctx, key) ||
	    !TS_RESP_CTX_set_signer_digest(ctx, signer_digest_for(key)) ||
	    !TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()) ||
	    !TS_RESP_CTX_set_certs(ctx, chain) || !TS_RESP_CTX_set_def_policy(ctx, policy) ||
	    !TS_RESP_CTX_add_md(ctx, EVP_sha256()) || !TS_RESP_CTX_add_md(ctx, EVP_sha384()) ||
	    !TS_RESP_CTX_add_md(ctx, EVP_sha512()) || !TS_RESP_CTX_set_accuracy(ctx, 1, 0, 0)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: setting up the time-stamp responder");
		goto out;
	}
	if (X509_check_private_key(tsa, key) != 1) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: the TSA key does not match its certificate");
		goto out;
	}
	TS_RESP_CTX_add_flags(ctx, TS_TSA_NAME);
	TS_RESP_CTX_set_time_cb(ctx, tst_time, NULL);
	TS_RESP_CTX_set_serial_cb(ctx, tst_serial, NULL);
	if ((in = BIO_new_mem_buf(p, (int)n)) == NULL ||
	    (resp = TS_RESP_create_response(ctx, in)) == NULL ||
	    (len = i2d_TS_RESP(resp, &der)) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signer: building the time-stamp response");
		goto out;
	}
	rc = oa_buf_append(out, der, (size_t)len);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	TS_RESP_free(resp);
	BIO_free(in);
	TS_RESP_CTX_free(ctx);
	sk_X509_free(chain);
	ASN1_OBJECT_free(policy);
	return rc;
}

oa_err signer_handle(signer_core *core, const uint8_t *msg, size_t n, oa_buf *out)
{
	EVP_PKEY *key;
	oa_err rc;

	ERR_clear_error();
	if (n < 1)
		return oa_fail(OA_ERR_INVALID, "empty signer request");
	switch ((signer_op)msg[0]) {
	case SIGNER_OP_HELLO:
		return oa_buf_append(out, "openams-signer 1", 16);
	case SIGNER_OP_SIGN_CERT:
		return do_sign_cert(core, msg + 1, n - 1, out);
	case SIGNER_OP_SIGN_CRL:
		return do_sign_crl(core, msg + 1, n - 1, out);
	case SIGNER_OP_SIGN_OCSP:
		return do_sign_ocsp(core, msg + 1, n - 1, out);
	case SIGNER_OP_SIGN_TST:
		return do_sign_tst(core, msg + 1, n - 1, out);
	case SIGNER_OP_CHECK_PAIR:
		if (n != 2 || msg[1] >= SIGNER__MAX || core->certs[msg[1]] == NULL)
			return oa_fail(OA_ERR_INVALID, "check-pair request: bad key");
		if ((rc = keystore_get(&core->ks, (signer_key)msg[1], &key)))
			return rc;
		if (X509_check_private_key(core->certs[msg[1]], key) != 1)
			return oa_fail_ssl(OA_ERR_CRYPTO, "%s does not match its certificate",
			    signer_key_file[msg[1]]);
		return OA_OK;
	case SIGNER_OP_RENEW_OCSP:
		return do_renew_ocsp(core, msg + 1, n - 1, out);
	default:
		return oa_fail(OA_ERR_INVALID, "unknown signer operation %u", msg[0]);
	}
}

/* Drops what the signer no longer needs: privileges, network, syscalls. */
static oa_err sandbox(const signer_opts *o, int pkcs11)
{
	scmp_filter_ctx f;
	/* What signing needs: memory, time, randomness, the socket, exit. */
	static const int allow[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(sendto),
		SCMP_SYS(recvfrom), SCMP_SYS(close), SCMP_SYS(exit), SCMP_SYS(exit_group),
		SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
		SCMP_SYS(madvise), SCMP_SYS(mlock), SCMP_SYS(munlock), SCMP_SYS(futex),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(getrandom),
		SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(fstat),
		SCMP_SYS(newfstatat), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(sched_yield),
		SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(restart_syscall),
		SCMP_SYS(lseek), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
		SCMP_SYS(getegid), SCMP_SYS(sigaltstack), SCMP_SYS(poll), SCMP_SYS(ppoll),
		SCMP_SYS(getppid),
	};
	/* A PKCS#11 module (SoftHSM2, an HSM's library) reads its token files. */
	static const int allow_pkcs11[] = {
		SCMP_SYS(openat), SCMP_SYS(fcntl), SCMP_SYS(flock), SCMP_SYS(pread64),
		SCMP_SYS(pwrite64), SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(statx),
		SCMP_SYS(getdents64), SCMP_SYS(unlink), SCMP_SYS(rename), SCMP_SYS(ftruncate),
		SCMP_SYS(access), SCMP_SYS(umask), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	};

	if (geteuid() == 0 && !(o->user && strcmp(o->user, "root") == 0)) {
		const char *user = o->user && *o->user ? o->user : "nobody";
		struct passwd *pw = getpwnam(user);
		/* No network: a namespace with nothing but its own loopback. */
		if (unshare(CLONE_NEWNET) != 0)
			fprintf(stderr, "openams signer: warning: no network namespace: %s\n",
			    strerror(errno));
		if (pw == NULL)
			return oa_fail(OA_ERR_CONFIG, "signer.user '%s' does not exist", user);
		if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
			return oa_fail(OA_ERR_IO, "signer: cannot switch to user %s: %s", user,
			    strerror(errno));
		if (setuid(0) == 0)
			return oa_fail(OA_ERR_INTERNAL, "signer: could regain root after dropping it");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return oa_fail(OA_ERR_IO, "signer: prctl: %s", strerror(errno));
	if ((f = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL)
		return oa_fail(OA_ERR_IO, "signer: seccomp_init failed");
	for (size_t i = 0; i < sizeof allow / sizeof allow[0]; i++)
		seccomp_rule_add(f, SCMP_ACT_ALLOW, allow[i], 0);
	for (size_t i = 0; pkcs11 && i < sizeof allow_pkcs11 / sizeof allow_pkcs11[0]; i++)
		seccomp_rule_add(f, SCMP_ACT_ALLOW, allow_pkcs11[i], 0);
	/* Whatever would reach out or become something else ends the process. */
	seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(execve), 0);
	seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(execveat), 0);
	/* A PKCS#11 module may try to log through syslog: refuse, don't kill. */
	seccomp_rule_add(f, pkcs11 ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_KILL_PROCESS, SCMP_SYS(socket), 0);
	seccomp_rule_add(f, pkcs11 ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_KILL_PROCESS, SCMP_SYS(connect), 0);
	seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(ptrace), 0);
	if (seccomp_load(f) != 0) {
		seccomp_release(f);
		return oa_fail(OA_ERR_IO, "signer: seccomp_load failed");
	}
	seccomp_release(f);
	return OA_OK;
}

int signer_child_main(int fd, const signer_opts *o)
{
	signer_core core;
	pid_t parent = getppid();
	oa_err rc;

	signal(SIGPIPE, SIG_IGN);
	rc = signer_core_open(&core, o);
	/* The secrets are read (or failed to be): this process keeps no copy
	 * of one that came through its environment. */
	oa_wipe_env("OPENAMS_CA_PASSPHRASE");
	oa_wipe_env("OPENAMS_PKCS11_PIN");
	if (rc == OA_OK)
		rc = sandbox(o, core.ks.pkcs11);
	if (rc) {
		/* Tell the parent why, on the first request, then stop. */
		uint8_t *msg;
		size_t n;
		char why[1024];
		snprintf(why, sizeof why, "the signer could not start: %s", oa_errmsg());
		if (signer_recv(fd, &msg, &n) == OA_OK) {
			signer_send(fd, (uint8_t)rc, (const uint8_t *)why, strlen(why));
			free(msg);
		}
		signer_core_close(&core);
		_exit(1);
	}
	for (;;) {
		uint8_t *msg;
		size_t n;
		oa_buf out = {0};
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r;
		/* A parent that died ends the signer, even if some other process
		 * (a child the parent forked) still holds the socket open. */
		if ((r = poll(&p, 1, SIGNER_PARENT_CHECK_MS)) == 0) {
			if (getppid() != parent)
				break;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if ((rc = signer_recv(fd, &msg, &n))) {
			/* EOF: the parent is gone or closed us.  A bad frame: say so. */
			if (rc == OA_ERR_LIMIT)
				signer_send(fd, (uint8_t)rc, (const uint8_t *)oa_errmsg(), strlen(oa_errmsg()));
			break;
		}
		rc = signer_handle(&core, msg, n, &out);
		free(msg);
		if (rc)
			rc = signer_send(fd, (uint8_t)rc, (const uint8_t *)oa_errmsg(), strlen(oa_errmsg()));
		else
			rc = signer_send(fd, 0, out.data, out.len);
		oa_buf_free(&out);
		if (rc)
			break;
	}
	signer_core_close(&core);
	/* The signer's process ends here: no atexit handlers (in fork mode they
	 * are the parent's, with the parent's buffered output). */
	_exit(0);
}
