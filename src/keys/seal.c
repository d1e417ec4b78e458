/*
 * seal.c - the sealed-key format (version 1): Argon2id over the passphrase,
 * AES-256-GCM over the PKCS#8 DER of the private key.  See keys.h for the
 * layout and why there is a verifier.
 *
 * Argon2id comes from libargon2 (the reference implementation, RFC 9106)
 * rather than libsodium's crypto_pwhash: libsodium fixes the parallelism at
 * 1, and this machine's two cores let p = 2 fill twice the memory in the
 * same time.  libsodium is still used for the secret buffers
 * (sodium_malloc: mlock'ed, guard pages, wiped on free).
 *
 * Must never: let the passphrase, the derived key or the clear key leave a
 * secret buffer except into OpenSSL or libargon2 for the one operation, or
 * reuse a nonce (every seal draws a new salt, hence a new key, and a new
 * random 96-bit nonce).
 */
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "../common/limits.h"
#include "../common/util.h"
#include "keysInt.h"

#define DERIVED_LEN 64

void *keys_secret_alloc(size_t n)
{
	void *p;

	if (sodium_init() < 0)
		return NULL;
	/* sodium_malloc mlocks the pages (ignoring RLIMIT_MEMLOCK refusals,
	 * which leave the memory merely unswappable-by-intent) and surrounds
	 * them with guard pages. */
	if ((p = sodium_malloc(n ? n : 1)) != NULL)
		memset(p, 0, n ? n : 1);
	return p;
}

void keys_secret_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	sodium_memzero(p, n);
	sodium_free(p); /* wipes the whole allocation again */
}

void keys_sealed_free(keys_sealed *s)
{
	if (s == NULL)
		return;
	free(s->ct);
	s->ct = NULL;
	s->ct_len = 0;
}

oa_err keys_params_check(const keys_params *p)
{
	if (p->memory_kib < 8 * p->parallelism || p->memory_kib > 4194304)
		return oa_fail(OA_ERR_CONFIG, "Argon2id memory %u KiB outside %u..4194304",
		    p->memory_kib, 8 * p->parallelism);
	if (p->iterations < 1 || p->iterations > 100)
		return oa_fail(OA_ERR_CONFIG, "Argon2id iterations %u outside 1..100", p->iterations);
	if (p->parallelism < 1 || p->parallelism > 16)
		return oa_fail(OA_ERR_CONFIG, "Argon2id parallelism %u outside 1..16", p->parallelism);
	return OA_OK;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* AAD: "openams-holder-key" 0x00, format, then length-prefixed holder, the
 * key id (8 bytes big-endian) and the length-prefixed key type. */
static oa_err make_aad(const keys_binding *b, uint8_t *out, size_t outsz, size_t *len)
{
	static const char label[] = "openams-holder-key";
	size_t hl = strlen(b->holder), tl = strlen(b->key_type), n = 0;

	if (sizeof label + 1 + 4 + hl + 8 + 4 + tl > outsz)
		return oa_fail(OA_ERR_LIMIT, "holder id or key type too long for a sealed key");
	memcpy(out, label, sizeof label); /* with its NUL */
	n = sizeof label;
	out[n++] = KEYS_FORMAT;
	put32(out + n, (uint32_t)hl);
	n += 4;
	memcpy(out + n, b->holder, hl);
	n += hl;
	for (int i = 7; i >= 0; i--)
		out[n++] = (uint8_t)((uint64_t)b->key_id >> (8 * i));
	put32(out + n, (uint32_t)tl);
	n += 4;
	memcpy(out + n, b->key_type, tl);
	n += tl;
	*len = n;
	return OA_OK;
}

/* Argon2id(passphrase, salt) into k (DERIVED_LEN bytes, a secret buffer). */
static oa_err derive(const char *passphrase, const keys_params *p, const uint8_t *salt,
    uint8_t *k)
{
	size_t pl = strlen(passphrase);
	int rc;

	if (pl > OA_MAX_PASSPHRASE_BYTES)
		return oa_fail(OA_ERR_LIMIT, "passphrase longer than %d bytes", OA_MAX_PASSPHRASE_BYTES);
	if (keys_params_check(p))
		return OA_ERR_CONFIG;
	rc = argon2id_hash_raw(p->iterations, p->memory_kib, p->parallelism, passphrase, pl,
	    salt, KEYS_SALT_LEN, k, DERIVED_LEN);
	if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
		return oa_fail(OA_ERR_NOMEM, "Argon2id: cannot allocate %u KiB", p->memory_kib);
	if (rc != ARGON2_OK)
		return oa_fail(OA_ERR_CRYPTO, "Argon2id: %s", argon2_error_message(rc));
	return OA_OK;
}

static oa_err verifier_of(const uint8_t *k, uint8_t out[KEYS_VERIFIER_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(k + 32, DERIVED_LEN - 32, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != KEYS_VERIFIER_LEN)
		return oa_fail_ssl(OA_ERR_CRYPTO, "SHA-256 of the verifier");
	return OA_OK;
}

oa_err keys_seal(const char *passphrase, const keys_params *p, const keys_binding *b,
    const uint8_t *clear, size_t n, keys_sealed *out)
{
	uint8_t aad[512], *k = NULL;
	size_t aad_len;
	EVP_CIPHER_CTX *ctx = NULL;
	int l1 = 0, l2 = 0;
	oa_err rc;

	memset(out, 0, sizeof *out);
	if (n == 0 || n > KEYS_MAX_CT)
		return oa_fail(OA_ERR_LIMIT, "key of %zu bytes cannot be sealed (limit %d)", n,
		    KEYS_MAX_CT);
	if ((rc = make_aad(b, aad, sizeof aad, &aad_len)))
		return rc;
	if ((k = keys_secret_alloc(DERIVED_LEN)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "secret buffer");
	out->kdf = *p;
	if (RAND_bytes(out->salt, sizeof out->salt) != 1 ||
	    RAND_bytes(out->nonce, sizeof out->nonce) != 1) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "random salt and nonce");
		goto out;
	}
	if ((rc = derive(passphrase, p, out->salt, k)) || (rc = verifier_of(k, out->verifier)))
		goto out;
	if ((out->ct = malloc(n)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k, out->nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &l1, aad, (int)aad_len) != 1 ||
	    EVP_EncryptUpdate(ctx, out->ct, &l1, clear, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out->ct + l1, &l2) != 1 ||
	    (size_t)(l1 + l2) != n ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, KEYS_TAG_LEN, out->tag) != 1) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "AES-256-GCM seal");
		goto out;
	}
	out->ct_len = n;
out:
	EVP_CIPHER_CTX_free(ctx); /* cleanses its key schedule */
	keys_secret_free(k, DERIVED_LEN);
	if (rc)
		keys_sealed_free(out);
	return rc;
}

oa_err keys_unseal(const char *passphrase, const keys_sealed *s, const keys_binding *b,
    uint8_t **clear, size_t *n)
{
	uint8_t aad[512], ver[KEYS_VERIFIER_LEN], tag[KEYS_TAG_LEN], *k = NULL, *pt = NULL;
	size_t aad_len;
	EVP_CIPHER_CTX *ctx = NULL;
	int l1 = 0, l2 = 0;
	oa_err rc;

	*clear = NULL;
	*n = 0;
	if (s->ct_len == 0 || s->ct_len > KEYS_MAX_CT)
		return oa_fail(OA_ERR_CRYPTO, "sealed key %lld: ciphertext of %zu bytes is not valid",
		    (long long)b->key_id, s->ct_len);
	if ((rc = make_aad(b, aad, sizeof aad, &aad_len)))
		return rc;
	if ((k = keys_secret_alloc(DERIVED_LEN)) == NULL ||
	    (pt = keys_secret_alloc(s->ct_len)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "secret buffer");
		goto out;
	}
	if ((rc = derive(passphrase, &s->kdf, s->salt, k)) || (rc = verifier_of(k, ver)))
		goto out;
	if (CRYPTO_memcmp(ver, s->verifier, sizeof ver) != 0) {
		rc = oa_fail(OA_ERR_DENIED, "wrong passphrase for key %lld", (long long)b->key_id);
		goto out;
	}
	memcpy(tag, s->tag, sizeof tag);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k, s->nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &l1, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(ctx, pt, &l1, s->ct, (int)s->ct_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, KEYS_TAG_LEN, tag) != 1) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "AES-256-GCM open");
		goto out;
	}
	/* NIST SP 800-38D 7.2: on a tag mismatch nothing is released. */
	if (EVP_DecryptFinal_ex(ctx, pt + l1, &l2) != 1 || (size_t)(l1 + l2) != s->ct_len) {
		oa_err_clear();
		rc = oa_fail(OA_ERR_CRYPTO,
		    "sealed key %lld failed its integrity check (ciphertext, tag, nonce or a bound "
		    "field was changed); not counted as a wrong passphrase",
		    (long long)b->key_id);
		goto out;
	}
	*clear = pt;
	*n = s->ct_len;
	pt = NULL;
out:
	EVP_CIPHER_CTX_free(ctx);
	keys_secret_free(k, DERIVED_LEN);
	keys_secret_free(pt, s->ct_len);
	return rc;
}
