/*
 * keysInt.h - private to the keys module (and its tests and benchmark):
 * the sealed-key format and the secret buffers; and what attempt.c uses
 * of keys.c (the holder_key row, its checks).
 */
#ifndef OA_KEYS_INT_H
#define OA_KEYS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "../ca/ca.h"
#include "../inst/inst.h"
#include "../common/err.h"
#include "../store/store.h"

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

/* ---- the module's own (keys.c), for attempt.c ---- */

#define MAX_HOLDER 64
#define MAX_SPKI 2048

/* One holder_key row (no secret: the private key is sealed). */
struct keyrow {
	int64_t id;
	char holder[MAX_HOLDER + 1];
	char key_type[16];
	char state[12];
	char serial[41];
	uint8_t spki[MAX_SPKI];
	size_t spki_len;
	int64_t failures;
	keys_sealed s;
	int64_t created_at, sealed_at, locked_at, last_used_at;
};

/* Holder ids are account names: 1..64 of letters, digits and . _ @ + -. */
oa_err keys_check_holder(const char *h);
/* The Argon2id parameters of the configuration (keys.argon2_*). */
keys_params keys_config_params(inst *in);
/* keys.max_failures */
int64_t keys_max_failures(inst *in);
/* Runs st (a write) and resets it; a constraint or trigger refusal is
 * OA_ERR_STATE naming what. */
oa_err keys_run_or_constraint(store *db, store_stmt *st, const char *what);
/* The private key as PKCS#8 DER (RFC 5958) in a secret buffer (keys_secret_free). */
oa_err keys_pkcs8_of(EVP_PKEY *k, uint8_t **der, size_t *n);
/* The private key of a PKCS#8 DER. */
oa_err keys_key_of_pkcs8(const uint8_t *der, size_t n, EVP_PKEY **out);
/* Reads key id; the sealed part's ciphertext is malloc'd into r->s. */
oa_err keys_load_row(store *db, int64_t id, struct keyrow *r);
/* "holder_key:ID", the audit object of key id. */
void keys_object_of(char *out, size_t n, int64_t id);
/* The certificate may be used for signing now: active and within validity.
 * OA_ERR_STATE naming the status otherwise. */
oa_err keys_cert_usable(inst *in, const char *serial);
/* The certificate's SubjectPublicKeyInfo equals spki. */
oa_err keys_cert_holds(inst *in, const char *serial, const uint8_t *spki, size_t spki_len,
    int64_t key_id);

/* ---- the copy wrapped under the instance's key-wrapping key (wrap.c) ---- */

/* AES-256-GCM under the key-wrapping key (made at the first wrap): a fresh
 * nonce, *ct malloc'd (n bytes, the caller frees). */
oa_err keys_kek_wrap(inst *in, const uint8_t *aad, size_t aad_len, const uint8_t *clear, size_t n,
    uint8_t nonce[KEYS_NONCE_LEN], uint8_t **ct, uint8_t tag[KEYS_TAG_LEN]);
/* Opens it: *clear is a secret buffer of n bytes (keys_secret_free);
 * OA_ERR_CRYPTO when it fails its check. */
oa_err keys_kek_unwrap(inst *in, const uint8_t *aad, size_t aad_len,
    const uint8_t nonce[KEYS_NONCE_LEN], const uint8_t *ct, size_t n,
    const uint8_t tag[KEYS_TAG_LEN], uint8_t **clear);

/* Stores (or replaces) k wrapped for r's key, with its audit record; joins
 * the open transaction.  Makes the key-wrapping key at the first call. */
oa_err keys_wrap_store(inst *in, const struct keyrow *r, EVP_PKEY *k, const char *actor);
/* Deletes r's wrapped copy (audited when there was one); joins the open
 * transaction. */
oa_err keys_wrap_drop(inst *in, const struct keyrow *r, const char *actor);
/* Opens r's wrapped copy into *key (caller frees): OA_ERR_NOTFOUND when the
 * holder did not opt in, OA_ERR_CRYPTO when it fails its checks. */
oa_err keys_wrap_open(inst *in, const struct keyrow *r, EVP_PKEY **key);

#endif
