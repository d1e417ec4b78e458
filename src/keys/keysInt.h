/*
 * keysInt.h - private to the keys module (and its tests and benchmark):
 * the sealed-key format and the secret buffers.
 */
#ifndef OA_KEYS_INT_H
#define OA_KEYS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

#define KEYS_FORMAT      1
#define KEYS_SALT_LEN    16
#define KEYS_VERIFIER_LEN 32
#define KEYS_NONCE_LEN   12  /* NIST SP 800-38D 8.2.2: 96-bit random IV */
#define KEYS_TAG_LEN     16
#define KEYS_MAX_CT      8192 /* PKCS#8 of an RSA-4096 key is about 2.4 KB */

typedef struct keys_params {
	uint32_t memory_kib, iterations, parallelism;
} keys_params;

/* A sealed private key: nothing here is secret. */
typedef struct keys_sealed {
	keys_params kdf;
	uint8_t salt[KEYS_SALT_LEN];
	uint8_t verifier[KEYS_VERIFIER_LEN];
	uint8_t nonce[KEYS_NONCE_LEN];
	uint8_t tag[KEYS_TAG_LEN];
	uint8_t *ct; /* malloc'd */
	size_t ct_len;
} keys_sealed;

/* What the AAD binds the sealed key to. */
typedef struct keys_binding {
	const char *holder;
	int64_t key_id;
	const char *key_type;
} keys_binding;

/* Checks Argon2id parameters against the bounds of the schema. */
oa_err keys_params_check(const keys_params *p);

/*
 * Seals clear (n bytes) under passphrase with fresh salt and nonce.
 * out->ct is malloc'd; keys_sealed_free() frees it.
 */
oa_err keys_seal(const char *passphrase, const keys_params *p, const keys_binding *b,
    const uint8_t *clear, size_t n, keys_sealed *out);

/*
 * Unseals: OA_ERR_DENIED for a wrong passphrase (verifier mismatch),
 * OA_ERR_CRYPTO for an integrity failure.  *clear is a secret buffer
 * (keys_secret_alloc); release it with keys_secret_free(*clear, *n).
 */
oa_err keys_unseal(const char *passphrase, const keys_sealed *s, const keys_binding *b,
    uint8_t **clear, size_t *n);

void keys_sealed_free(keys_sealed *s);

/* Guarded, mlock'ed memory for secrets (libsodium); NULL on failure. */
void *keys_secret_alloc(size_t n);
/* Wipes and frees; accepts NULL. */
void keys_secret_free(void *p, size_t n);

/* Passphrase rules (rules.c). */
oa_err keys_rules_check(const char *holder, const char *passphrase, size_t min_chars,
    const char *name, const char *nik, const char *nip, const char *email,
    const char *birth_date);

#endif
