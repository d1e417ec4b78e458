/*
 * cms.c - the CMS SignedData of a PAdES signature, written in DER.
 *
 * OpenSSL 3.0's CMS_sign always adds a signing-time attribute, which ETSI
 * EN 319 142-1 section 5.2.2 forbids in a PAdES signature, so the structure
 * is assembled here from pre-encoded pieces (names, serials, certificates
 * come from OpenSSL's i2d functions).  The only thing signed is the DER of
 * the signed attributes (RFC 5652 section 5.4).  ca/der.c has a similar
 * writer, but it is private to the ca module (caInt.h); this one is six
 * small functions.
 *
 * Never keeps the key or any copy of it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "../common/der.h"
#include "signInt.h"

#define TRY(x) do { if ((rc = (x)) != OA_OK) goto out; } while (0)

/* Object identifiers, DER-encoded with their tag and length. */
static const uint8_t OID_SIGNED_DATA[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
static const uint8_t OID_DATA[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
static const uint8_t OID_SHA256[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
static const uint8_t OID_CONTENT_TYPE[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03};
static const uint8_t OID_MESSAGE_DIGEST[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
/* id-aa-signingCertificateV2, RFC 5035 section 3 */
static const uint8_t OID_SIGNING_CERT_V2[] = {0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f};
/* id-aa-signatureTimeStampToken, RFC 3161 appendix A */
static const uint8_t OID_SIG_TST[] = {0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0e};
static const uint8_t OID_RSA[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t OID_ECDSA_SHA256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t DER_NULL[] = {0x05, 0x00};
static const uint8_t DER_INT1[] = {0x02, 0x01, 0x01};

/* Appends in as the contents of a tag, then empties in for reuse. */
static oa_err d_wrap(oa_buf *b, uint8_t tag, oa_buf *in)
{
	oa_err rc = der_tlv(b, tag, in->data, in->len);
	in->len = 0;
	return rc;
}

/* Appends the n-byte DER of obj, written by fn (an i2d function). */
static oa_err d_i2d_len(oa_buf *b, int n, const void *obj, int (*fn)(const void *, unsigned char **))
{
	unsigned char *p;
	oa_err rc;

	if (n <= 0)
		return oa_fail_ssl(OA_ERR_CRYPTO, "cannot encode a certificate field");
	if ((rc = oa_buf_reserve(b, (size_t)n)))
		return rc;
	p = b->data + b->len;
	if (fn(obj, &p) != n)
		return oa_fail_ssl(OA_ERR_CRYPTO, "cannot encode a certificate field");
	b->len += (size_t)n;
	return OA_OK;
}

static int i2d_cert(const void *c, unsigned char **p) { return i2d_X509((X509 *)c, p); }
static int i2d_name(const void *c, unsigned char **p) { return i2d_X509_NAME((X509_NAME *)c, p); }
static int i2d_int(const void *c, unsigned char **p) { return i2d_ASN1_INTEGER((ASN1_INTEGER *)c, p); }

static oa_err d_obj(oa_buf *b, const void *obj, int (*fn)(const void *, unsigned char **))
{
	int n = obj ? fn(obj, NULL) : -1;
	return d_i2d_len(b, n, obj, fn);
}

oa_err sign_check_pub(EVP_PKEY *pub)
{
	char group[64];
	size_t glen = 0;

	if (!pub)
		return oa_fail(OA_ERR_INVALID, "the signer's certificate has no usable public key");
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(pub) < 2048)
			return oa_fail(OA_ERR_INVALID, "RSA key of %d bits: at least 2048 are needed",
			    EVP_PKEY_get_bits(pub));
		break;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_group_name(pub, group, sizeof group, &glen) ||
		    (strcmp(group, "prime256v1") && strcmp(group, "secp384r1")))
			return oa_fail(OA_ERR_INVALID, "ECDSA key on curve '%s': P-256 or P-384 is needed",
			    glen ? group : "?");
		break;
	default:
		return oa_fail(OA_ERR_INVALID, "signing key type '%s': RSA or ECDSA is needed",
		    OBJ_nid2sn(EVP_PKEY_get_base_id(pub)));
	}
	return OA_OK;
}

oa_err sign_check_key(EVP_PKEY *key, X509 *cert)
{
	oa_err rc;

	if (!key || !cert)
		return oa_fail(OA_ERR_INVALID, "a signing key and its certificate are needed");
	if ((rc = sign_check_pub(key)))
		return rc;
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		return oa_fail(OA_ERR_INVALID, "the signing key does not match the certificate");
	}
	return OA_OK;
}

oa_err sign_with_pkey(void *arg, const uint8_t digest[32], uint8_t **sig, size_t *siglen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new((EVP_PKEY *)arg, NULL);
	size_t n = 0;
	oa_err rc = OA_OK;

	*sig = NULL;
	*siglen = 0;
	if (!ctx || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1 ||
	    (EVP_PKEY_get_base_id((EVP_PKEY *)arg) == EVP_PKEY_RSA &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) ||
	    EVP_PKEY_sign(ctx, NULL, &n, digest, 32) != 1) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "cannot start the signature");
		goto out;
	}
	if ((*sig = malloc(n)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_PKEY_sign(ctx, *sig, &n, digest, 32) != 1) {
		free(*sig);
		*sig = NULL;
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signing failed");
		goto out;
	}
	*siglen = n;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

size_t sign_cms_max(X509 *cert, STACK_OF(X509) *chain, int timestamped)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	size_t n = 2048 + (size_t)(pub ? EVP_PKEY_get_size(pub) : 1024) +
	    (size_t)i2d_X509(cert, NULL) * 2 + (timestamped ? SIGN_MAX_TST_BYTES + 64 : 0);

	for (int i = 0; chain && i < sk_X509_num(chain); i++)
		n += (size_t)i2d_X509(sk_X509_value(chain, i), NULL) + 8;
	return n;
}

/* DER SET OF: elements sorted by their encodings (X.690 section 11.6). */
static int cmp_der(const void *a, const void *b)
{
	const oa_buf *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->data, y->data, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

oa_err sign_cms(const uint8_t digest[32], sign_digest_fn fn, void *arg, X509 *cert,
    STACK_OF(X509) *chain, const sign_opts *o, oa_buf *out)
{
	oa_buf t = {0}, u = {0}, v = {0}, attrs = {0}, si = {0}, sd = {0};
	oa_buf attr[3] = {{0}};
	uint8_t certhash[32], tbs[32], *sig = NULL;
	unsigned int hl = sizeof certhash;
	size_t siglen = 0;
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	EVP_PKEY_CTX *vctx = NULL;
	int ec = pub && EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC;
	oa_err rc = OA_OK;

	/* content-type: id-data (RFC 5652 section 11.1) */
	TRY(oa_buf_append(&t, OID_DATA, sizeof OID_DATA));
	TRY(oa_buf_append(&u, OID_CONTENT_TYPE, sizeof OID_CONTENT_TYPE));
	TRY(d_wrap(&u, 0x31, &t));
	TRY(d_wrap(&attr[0], 0x30, &u));
	/* message-digest (section 11.2) */
	TRY(der_tlv(&t, 0x04, digest, 32));
	TRY(oa_buf_append(&u, OID_MESSAGE_DIGEST, sizeof OID_MESSAGE_DIGEST));
	TRY(d_wrap(&u, 0x31, &t));
	TRY(d_wrap(&attr[1], 0x30, &u));
	/*
	 * signing-certificate-v2 (RFC 5035 section 3): SigningCertificateV2 {
	 * certs { ESSCertIDv2 { hashAlgorithm DEFAULT sha256 (left out),
	 * certHash, issuerSerial { GeneralNames { [4] issuer }, serial } } } }
	 */
	if (!X509_digest(cert, EVP_sha256(), certhash, &hl))
		TRY(oa_fail_ssl(OA_ERR_CRYPTO, "cannot hash the signer's certificate"));
	TRY(d_obj(&t, X509_get_issuer_name(cert), i2d_name));
	TRY(d_wrap(&u, 0xa4, &t));
	TRY(d_wrap(&v, 0x30, &u));                       /* GeneralNames */
	TRY(d_obj(&v, X509_get0_serialNumber(cert), i2d_int));
	TRY(der_tlv(&t, 0x04, certhash, sizeof certhash));
	TRY(d_wrap(&t, 0x30, &v));                       /* IssuerSerial */
	TRY(d_wrap(&u, 0x30, &t));                       /* ESSCertIDv2 */
	TRY(d_wrap(&t, 0x30, &u));                       /* certs */
	TRY(d_wrap(&u, 0x30, &t));                       /* SigningCertificateV2 */
	TRY(oa_buf_append(&t, OID_SIGNING_CERT_V2, sizeof OID_SIGNING_CERT_V2));
	TRY(d_wrap(&t, 0x31, &u));
	TRY(d_wrap(&attr[2], 0x30, &t));

	/* signedAttrs: DER SET OF, sorted; signed with the SET tag (section 5.4) */
	qsort(attr, 3, sizeof attr[0], cmp_der);
	for (int i = 0; i < 3; i++)
		TRY(oa_buf_append(&t, attr[i].data, attr[i].len));
	TRY(d_wrap(&attrs, 0x31, &t));

	/*
	 * The signer signs the SHA-256 of the attributes.  Its answer is
	 * checked against the certificate before it goes into the document: a
	 * key held elsewhere could be the wrong one.
	 */
	if (!SHA256(attrs.data, attrs.len, tbs))
		TRY(oa_fail_ssl(OA_ERR_CRYPTO, "cannot hash the signed attributes"));
	TRY(fn(arg, tbs, &sig, &siglen));
	if ((vctx = EVP_PKEY_CTX_new(pub, NULL)) == NULL || EVP_PKEY_verify_init(vctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(vctx, EVP_sha256()) != 1 ||
	    (!ec && EVP_PKEY_CTX_set_rsa_padding(vctx, RSA_PKCS1_PADDING) != 1))
		TRY(oa_fail_ssl(OA_ERR_CRYPTO, "cannot check the signature"));
	if (EVP_PKEY_verify(vctx, sig, siglen, tbs, sizeof tbs) != 1) {
		ERR_clear_error();
		TRY(oa_fail(OA_ERR_CRYPTO, "the signature does not verify with the signer's "
		    "certificate: the key is not the certificate's"));
	}

	/* SignerInfo (section 5.3), version 1: issuerAndSerialNumber */
	TRY(oa_buf_append(&si, DER_INT1, sizeof DER_INT1));
	TRY(d_obj(&t, X509_get_issuer_name(cert), i2d_name));
	TRY(d_obj(&t, X509_get0_serialNumber(cert), i2d_int));
	TRY(d_wrap(&si, 0x30, &t));
	TRY(oa_buf_append(&t, OID_SHA256, sizeof OID_SHA256));
	TRY(d_wrap(&si, 0x30, &t));
	{
		/* [0] IMPLICIT SET OF: the same contents under the context tag */
		size_t hdr = 1;
		const uint8_t *p = attrs.data + 1;
		hdr += (*p & 0x80) ? 1 + (*p & 0x7f) : 1;
		TRY(der_tlv(&si, 0xa0, attrs.data + hdr, attrs.len - hdr));
	}
	if (ec)
		TRY(oa_buf_append(&t, OID_ECDSA_SHA256, sizeof OID_ECDSA_SHA256));
	else {
		TRY(oa_buf_append(&t, OID_RSA, sizeof OID_RSA));
		TRY(oa_buf_append(&t, DER_NULL, sizeof DER_NULL));
	}
	TRY(d_wrap(&si, 0x30, &t));
	TRY(der_tlv(&si, 0x04, sig, siglen));
	if (o && o->tst) {
		/* unsignedAttrs [1] IMPLICIT: signature-time-stamp (RFC 3161 appendix A) */
		uint8_t imprint[32], *tok = NULL;
		size_t toklen = 0;
		if (!SHA256(sig, siglen, imprint))
			TRY(oa_fail_ssl(OA_ERR_CRYPTO, "cannot hash the signature value"));
		TRY(o->tst(o->tst_arg, imprint, &tok, &toklen));
		if (toklen == 0 || toklen > SIGN_MAX_TST_BYTES || tok[0] != 0x30) {
			free(tok);
			TRY(oa_fail(OA_ERR_CRYPTO, "the time-stamp token (%zu bytes) is not usable", toklen));
		}
		rc = oa_buf_append(&t, OID_SIG_TST, sizeof OID_SIG_TST);
		if (!rc)
			rc = der_tlv(&t, 0x31, tok, toklen);
		free(tok);
		if (rc)
			goto out;
		TRY(d_wrap(&u, 0x30, &t));
		TRY(d_wrap(&si, 0xa1, &u));
	}

	/* SignedData (section 5.1), version 1 */
	TRY(oa_buf_append(&sd, DER_INT1, sizeof DER_INT1));
	TRY(oa_buf_append(&t, OID_SHA256, sizeof OID_SHA256));
	TRY(d_wrap(&u, 0x30, &t));
	TRY(d_wrap(&sd, 0x31, &u));                      /* digestAlgorithms */
	TRY(oa_buf_append(&t, OID_DATA, sizeof OID_DATA));
	TRY(d_wrap(&sd, 0x30, &t));                      /* encapContentInfo, detached */
	TRY(d_obj(&t, cert, i2d_cert));
	for (int i = 0; chain && i < sk_X509_num(chain); i++)
		TRY(d_obj(&t, sk_X509_value(chain, i), i2d_cert));
	TRY(d_wrap(&sd, 0xa0, &t));                      /* certificates [0] IMPLICIT */
	TRY(d_wrap(&t, 0x30, &si));
	TRY(d_wrap(&sd, 0x31, &t));                      /* signerInfos */

	/* ContentInfo (section 3) */
	TRY(oa_buf_append(&t, OID_SIGNED_DATA, sizeof OID_SIGNED_DATA));
	TRY(d_wrap(&u, 0x30, &sd));
	TRY(d_wrap(&t, 0xa0, &u));
	TRY(d_wrap(out, 0x30, &t));
out:
	EVP_PKEY_CTX_free(vctx);
	free(sig);
	for (int i = 0; i < 3; i++)
		oa_buf_free(&attr[i]);
	oa_buf_free(&t);
	oa_buf_free(&u);
	oa_buf_free(&v);
	oa_buf_free(&attrs);
	oa_buf_free(&si);
	oa_buf_free(&sd);
	return rc;
}
