/*
 * signInt.h - private to src/sign: the CMS SignedData builder (cms.c) used
 * by the PDF writer (pdf.c).
 */
#ifndef OA_SIGN_INT_H
#define OA_SIGN_INT_H

#include <qpdf/qpdf-c.h>

#include "../common/util.h"
#include "sign.h"

/*
 * Checks that a public key is one this module signs with (RSA of at least
 * 2048 bits, ECDSA on P-256 or P-384); sign_check_key also that the private
 * key matches cert.
 */
oa_err sign_check_pub(EVP_PKEY *pub);
oa_err sign_check_key(EVP_PKEY *key, X509 *cert);

/* A sign_digest_fn for an in-process key (arg is the EVP_PKEY). */
oa_err sign_with_pkey(void *arg, const uint8_t digest[32], uint8_t **sig, size_t *siglen);

/*
 * An upper bound, in bytes, of the DER SignedData sign_cms() makes for these
 * certificates: the size of the /Contents placeholder.
 */
size_t sign_cms_max(X509 *cert, STACK_OF(X509) *chain, int timestamped);

/*
 * Appends to out the DER ContentInfo of a detached CMS SignedData (RFC
 * 5652 section 5) over content whose SHA-256 is digest: id-data content
 * type; signed attributes exactly content-type, message-digest and
 * signing-certificate-v2 (RFC 5035); certificates cert then chain.  fn
 * signs the SHA-256 of the signed attributes; the signature is checked with
 * cert's public key before it is used (OA_ERR_CRYPTO if it does not verify).
 * With o->tst the SignerInfo gets the unsigned attribute
 * id-aa-signatureTimeStampToken over the signature value.
 */
oa_err sign_cms(const uint8_t digest[32], sign_digest_fn fn, void *arg, X509 *cert,
    STACK_OF(X509) *chain, const sign_opts *o, oa_buf *out);

/* How an encrypted document's update is encrypted (crypt.c). */
enum { SIGN_CRYPT_NONE = 0, SIGN_CRYPT_RC4, SIGN_CRYPT_AESV2, SIGN_CRYPT_AESV3 };
#define SIGN_CRYPT_MAX_ID 64 /* bytes of the trailer's first /ID string used */

typedef struct sign_crypt {
	int on;                  /* the document is encrypted */
	int r;                   /* the standard security handler's /R: 2 to 6 */
	int stm, str;            /* SIGN_CRYPT_*: streams' and strings' method */
	int meta;                /* /EncryptMetadata */
	int owner;               /* the password given is the owner's */
	long long perms;         /* /P */
	uint8_t key[32];         /* the file key (secret: sign_crypt_free wipes it) */
	size_t keylen;
	uint8_t o[48], u[48], oe[32], ue[32];
	uint8_t id0[SIGN_CRYPT_MAX_ID];
	size_t id0len;
	oa_buf ref;              /* the trailer's /Encrypt value as PDF text ("N G R") */
} sign_crypt;

/*
 * Reads the security handler of the document q opened (with password, NULL
 * or "" for none) and computes its file key.  Not encrypted: c->on 0.
 * OA_ERR_INVALID "PDF password: ..." when password opens it as neither
 * user nor owner, "encrypted PDF: ..." for a handler not supported;
 * OA_ERR_POLICY when opened without the owner password and /P does not
 * permit filling in form fields.  Free with sign_crypt_free (wipes the key).
 */
oa_err sign_crypt_open(qpdf_data q, const char *password, sign_crypt *c);
void sign_crypt_free(sign_crypt *c);
/*
 * Rewrites the text of b from from to its end (an object's dictionaries,
 * no stream data) with every string encrypted for object num gen, as a hex
 * string.  Nothing when c is NULL or off.
 */
oa_err sign_crypt_strings(const sign_crypt *c, oa_buf *b, size_t from, long long num, int gen);
/* Appends n bytes of stream data, encrypted for object num gen, to out. */
oa_err sign_crypt_stream(const sign_crypt *c, long long num, int gen, const uint8_t *in, size_t n,
    oa_buf *out);

/* Checks a visible signature's parameters (visual.c). */
oa_err sign_visual_check(const sign_visual *v);
/*
 * Appends the objects of v's appearance to b, numbered from first_id: the
 * Form XObject (first_id, for the widget's /AP /N), then its image and the
 * image's soft mask when there are any; offs[i] is where object i starts and
 * *nobj how many there are (1 to 3).  rotate is the page's /Rotate: the
 * form gets a /Matrix turning it back so that it shows upright.  cr (may
 * be NULL): the streams are encrypted as the document is.
 */
oa_err sign_visual_write(oa_buf *b, const sign_visual *v, int rotate, const sign_crypt *cr,
    long long first_id, size_t offs[3], int *nobj);

#endif
