/*
 * signer.h - the only code that ever holds a CA private key.
 *
 * Responsible for: generating CA key pairs, writing them encrypted at rest
 * (PKCS#8, PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC), loading them from
 * a passphrase, and a closed set of signing operations: sign a certificate,
 * sign a CRL's TBSCertList, sign an OCSP BasicOCSPResponse.
 *
 * Must never: log or return key material, or keep a passphrase after use
 * longer than the handle lives (it is wiped by signer_free).  Keys are loaded
 * lazily, each on its first use, so a command that only issues never
 * decrypts the root key.
 *
 * Today the signer runs in the calling process; the issue "Keys" moves it to
 * a separate process behind this same header.
 */
#ifndef OA_SIGNER_H
#define OA_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "../common/err.h"

typedef enum signer_key {
	SIGNER_ROOT,
	SIGNER_ISSUING,
	SIGNER_OCSP,
	SIGNER__MAX
} signer_key;

typedef struct signer signer;

/* Key type names accepted everywhere: "ec-p256", "ec-p384", "rsa-2048",
 * "rsa-3072", "rsa-4096".  Returns 1 if name is one of them. */
int signer_key_type_valid(const char *name);
/* Describes a public or private key as one of those names; NULL otherwise
 * (unsupported algorithm, curve or size). */
const char *signer_key_type_of(const EVP_PKEY *pkey);

/* Generates a fresh key pair of the named type; the caller frees it. */
oa_err signer_generate(const char *key_type, EVP_PKEY **out);

/* Writes pkey to path (mode 0600), encrypted under passphrase. */
oa_err signer_write_key(const char *path, EVP_PKEY *pkey, const char *passphrase);

/*
 * A signer whose key files are keydir/root.key, issuing.key and ocsp.key,
 * encrypted under passphrase (copied; wiped by signer_free).
 */
oa_err signer_open(const char *keydir, const char *passphrase, signer **out);
/* Wipes the passphrase and frees the keys.  Accepts NULL. */
void signer_free(signer *s);

/*
 * Signs certificate x with key k (SHA-256 for EC P-256 and RSA, SHA-384 for
 * P-384), setting its signature algorithm.  The caller has linted x.
 */
oa_err signer_sign_cert(signer *s, signer_key k, X509 *x);

/*
 * The DER AlgorithmIdentifier key k signs with (borrowed, static), for
 * callers that assemble a TBS structure themselves.
 */
oa_err signer_algorithm(signer *s, signer_key k, const uint8_t **der, size_t *len);

/* Signs raw TBS bytes (e.g. a TBSCertList); *sig is malloc'd, caller frees. */
oa_err signer_sign_tbs(signer *s, signer_key k, const uint8_t *tbs, size_t n,
    uint8_t **sig, size_t *siglen);

/* Signs an OCSP response with the responder key; cert is the responder's. */
oa_err signer_sign_ocsp(signer *s, OCSP_BASICRESP *bs, X509 *responder_cert);

/* Checks that key k is the private half of cert's public key. */
oa_err signer_check_pair(signer *s, signer_key k, X509 *cert);

#endif
