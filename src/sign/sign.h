/*
 * sign.h - document signing: PAdES baseline signatures (ETSI EN 319 142-1)
 * on PDF documents.
 *
 * This slice makes B-B level, invisible signatures.  The signed document is
 * the original bytes, unchanged, followed by one incremental update (ISO
 * 32000-1 section 7.5.6) that adds a signature dictionary (/SubFilter
 * /ETSI.CAdES.detached), its field's widget annotation on the first page, an
 * /AcroForm with /SigFlags 3 and a new revision of the catalog and the page.
 * The CMS SignedData (RFC 5652) is assembled here in DER: OpenSSL's CMS_sign
 * always adds a signing-time attribute, which PAdES forbids (EN 319 142-1
 * section 5.2.2: the time goes in the dictionary's /M).
 *
 * The module never keeps keys: the caller passes an unsealed key for one
 * call and wipes it afterwards.  It never writes files.
 */
#ifndef OA_SIGN_H
#define OA_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../common/err.h"

#define SIGN_MAX_PDF_BYTES   (64 * 1024 * 1024) /* a PDF to sign, whole */
#define SIGN_MAX_TEXT_BYTES  256                /* /Reason, /Location, /Name (UTF-8) */
#define SIGN_MAX_CHAIN       8                  /* certificates besides the signer's */
#define SIGN_MAX_FIELDS      1000               /* existing form fields, annotations on page 1 */

/* What goes in the signature dictionary besides the signature itself. */
typedef struct sign_opts {
	const char *reason;   /* /Reason, UTF-8; NULL or "" leaves it out */
	const char *location; /* /Location, UTF-8; NULL or "" leaves it out */
	const char *name;     /* /Name, UTF-8; NULL takes the certificate's CN, "" leaves it out */
	int64_t when;         /* /M, seconds since the epoch; 0 takes oa_now() */
} sign_opts;

/*
 * Signs the PDF pdf (len bytes) with key, whose certificate is cert; chain
 * (may be NULL) holds the certificates to embed after the signer's (issuing
 * CA, root).  key is RSA (PKCS#1 v1.5, SHA-256) or ECDSA on P-256 or P-384
 * (SHA-256) and must match cert.
 *
 * On success *out is a malloc'd buffer of *out_len bytes the caller frees:
 * pdf as an exact prefix, then the incremental update.  The update's
 * cross-reference section has the form of the original's last one: a
 * classic table after a table, an (uncompressed) cross-reference stream
 * after a stream.
 *
 * A PDF that is damaged (anything qpdf would have to repair), encrypted, has
 * no page, or exceeds the limits above is OA_ERR_INVALID or OA_ERR_LIMIT,
 * with the reason in oa_errmsg(); a document certified with no changes
 * permitted (DocMDP /P 1) is OA_ERR_POLICY.  Nothing is returned then.
 */
oa_err sign_pdf(const uint8_t *pdf, size_t len, EVP_PKEY *key, X509 *cert,
    STACK_OF(X509) *chain, const sign_opts *o, uint8_t **out, size_t *out_len);

#endif
