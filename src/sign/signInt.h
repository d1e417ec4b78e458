/*
 * signInt.h - private to src/sign: the CMS SignedData builder (cms.c) used
 * by the PDF writer (pdf.c).
 */
#ifndef OA_SIGN_INT_H
#define OA_SIGN_INT_H

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

/* Checks a visible signature's parameters (visual.c). */
oa_err sign_visual_check(const sign_visual *v);
/*
 * Appends the objects of v's appearance to b, numbered from first_id: the
 * Form XObject (first_id, for the widget's /AP /N), then its image and the
 * image's soft mask when there are any; offs[i] is where object i starts and
 * *nobj how many there are (1 to 3).  rotate is the page's /Rotate: the
 * form gets a /Matrix turning it back so that it shows upright.
 */
oa_err sign_visual_write(oa_buf *b, const sign_visual *v, int rotate, long long first_id,
    size_t offs[3], int *nobj);

#endif
