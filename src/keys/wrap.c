/*
 * wrap.c - the holder key's second sealing, for signing with an e-mailed
 * one-time code instead of the passphrase (the BSrE API's TOTP, guide 6.2:
 * "cukup memilih salah satu dari passphrase atau TOTP").  A one-time code
 * cannot unseal a key sealed under the passphrase, so a holder who opts in
 * (at a signing with the passphrase: keys_sign with KEYS_WRAP_KEEP) gets a
 * copy of the same private key wrapped under the instance's key-wrapping
 * key (KEK):
 *
 *   ciphertext, tag = AES-256-GCM(KEK, nonce 12 random bytes, PKCS#8 DER,
 *                                 AAD = "openams-holder-key-wrap" 0x00,
 *                                 key id (8 bytes big-endian), holder 0x00,
 *                                 key type)
 *
 * in table holder_key_wrap (migration 12), one row per key at most.  The
 * KEK is 32 random bytes in DIR/secrets/totp-signing.kek (mode 0600, made
 * at the first opt-in; a file readable by group or others is refused).
 * The code itself is checked by the caller (src/esign) before keys_sign is
 * asked to use the copy (KEYS_WRAP_USE); a locked key, an unbound one or an
 * unusable certificate is refused exactly as with the passphrase, and the
 * signature is audited ("keys.sign", "via=totp") before it leaves.
 *
 * Must never: write the KEK or a clear key anywhere but a secret buffer,
 * or reuse a nonce (each wrap draws a new one).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "../audit/audit.h"
#include "../common/util.h"
#include "keys.h"
#include "keysInt.h"

#define KEK_LEN 32
#define KEK_FILE "secrets/totp-signing.kek"

/* Reads (or, with create, makes) the KEK into a secret buffer. */
static oa_err kek_load(inst *in, int create, uint8_t **kek)
{
	char path[4096], dir[4096];
	struct stat sb;
	uint8_t *k;
	ssize_t got;
	int fd;
	oa_err rc = OA_OK;

	*kek = NULL;
	snprintf(dir, sizeof dir, "%s/secrets", inst_dir(in));
	if ((size_t)snprintf(path, sizeof path, "%s/%s", inst_dir(in), KEK_FILE) >= sizeof path)
		return oa_fail(OA_ERR_CONFIG, "data directory path too long");
	if ((k = keys_secret_alloc(KEK_LEN)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "secret buffer");
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 && errno == ENOENT && create) {
		if ((rc = oa_mkdir_p(dir, 0700)))
			goto out;
		if (RAND_bytes(k, KEK_LEN) != 1) {
			rc = oa_fail_ssl(OA_ERR_CRYPTO, "random key-wrapping key");
			goto out;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			int ok = write(fd, k, KEK_LEN) == KEK_LEN && fsync(fd) == 0;
			close(fd);
			if (!ok) {
				unlink(path);
				rc = oa_fail(OA_ERR_IO, "writing %s: %s", KEK_FILE, strerror(errno));
				goto out;
			}
			*kek = k;
			return OA_OK;
		}
		if (errno != EEXIST) {
			rc = oa_fail(OA_ERR_IO, "creating %s: %s", KEK_FILE, strerror(errno));
			goto out;
		}
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC); /* made by another process */
	}
	if (fd < 0) {
		rc = errno == ENOENT ? oa_fail(OA_ERR_NOTFOUND, "no key-wrapping key %s", KEK_FILE)
		                     : oa_fail(OA_ERR_IO, "opening %s: %s", KEK_FILE, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0 ||
	    sb.st_size != KEK_LEN) {
		close(fd);
		rc = oa_fail(OA_ERR_CONFIG, "%s must be a regular file of %d bytes, mode 0600", KEK_FILE,
		    KEK_LEN);
		goto out;
	}
	got = read(fd, k, KEK_LEN);
	close(fd);
	if (got != KEK_LEN) {
		rc = oa_fail(OA_ERR_IO, "reading %s", KEK_FILE);
		goto out;
	}
	*kek = k;
	return OA_OK;
out:
	keys_secret_free(k, KEK_LEN);
	return rc;
}

static size_t wrap_aad(const struct keyrow *r, uint8_t *out, size_t outsz)
{
	static const char label[] = "openams-holder-key-wrap";
	size_t hl = strlen(r->holder), tl = strlen(r->key_type), n;

	if (sizeof label + 8 + hl + 1 + tl > outsz)
		return 0;
	memcpy(out, label, sizeof label);
	n = sizeof label;
	for (int i = 7; i >= 0; i--)
		out[n++] = (uint8_t)((uint64_t)r->id >> (8 * i));
	memcpy(out + n, r->holder, hl + 1);
	n += hl + 1;
	memcpy(out + n, r->key_type, tl);
	return n + tl;
}

oa_err keys_kek_wrap(inst *in, const uint8_t *aad, size_t aad_len, const uint8_t *clear, size_t n,
    uint8_t nonce[KEYS_NONCE_LEN], uint8_t **ct, uint8_t tag[KEYS_TAG_LEN])
{
	uint8_t *kek = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	int l1 = 0, l2 = 0;
	oa_err rc;

	*ct = NULL;
	if (n == 0 || n > KEYS_MAX_CT)
		return oa_fail(OA_ERR_LIMIT, "key of %zu bytes cannot be wrapped", n);
	if ((rc = kek_load(in, 1, &kek)))
		return rc;
	if ((*ct = malloc(n)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (RAND_bytes(nonce, KEYS_NONCE_LEN) != 1 || (ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, kek, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &l1, aad, (int)aad_len) != 1 ||
	    EVP_EncryptUpdate(ctx, *ct, &l1, clear, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, *ct + l1, &l2) != 1 || (size_t)(l1 + l2) != n ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, KEYS_TAG_LEN, tag) != 1)
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "AES-256-GCM wrap");
out:
	EVP_CIPHER_CTX_free(ctx);
	keys_secret_free(kek, KEK_LEN);
	if (rc) {
		free(*ct);
		*ct = NULL;
	}
	return rc;
}

oa_err keys_kek_unwrap(inst *in, const uint8_t *aad, size_t aad_len,
    const uint8_t nonce[KEYS_NONCE_LEN], const uint8_t *ct, size_t n,
    const uint8_t tag[KEYS_TAG_LEN], uint8_t **clear)
{
	uint8_t *kek = NULL, *pt = NULL, t[KEYS_TAG_LEN];
	EVP_CIPHER_CTX *ctx = NULL;
	int l1 = 0, l2 = 0;
	oa_err rc;

	*clear = NULL;
	if (n == 0 || n > KEYS_MAX_CT)
		return oa_fail(OA_ERR_CRYPTO, "wrapped key of %zu bytes is not valid", n);
	if ((rc = kek_load(in, 0, &kek)))
		return rc;
	if ((pt = keys_secret_alloc(n)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "secret buffer");
		goto out;
	}
	memcpy(t, tag, sizeof t);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, kek, nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &l1, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(ctx, pt, &l1, ct, (int)n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, KEYS_TAG_LEN, t) != 1 ||
	    EVP_DecryptFinal_ex(ctx, pt + l1, &l2) != 1 || (size_t)(l1 + l2) != n) {
		oa_err_clear();
		rc = oa_fail(OA_ERR_CRYPTO, "a wrapped key failed its integrity check (or the "
		    "key-wrapping key changed)");
		goto out;
	}
	*clear = pt;
	pt = NULL;
out:
	EVP_CIPHER_CTX_free(ctx);
	keys_secret_free(pt, n);
	keys_secret_free(kek, KEK_LEN);
	return rc;
}

oa_err keys_wrap_store(inst *in, const struct keyrow *r, EVP_PKEY *k, const char *actor)
{
	store *db = inst_store(in);
	uint8_t *der = NULL, nonce[KEYS_NONCE_LEN], tag[KEYS_TAG_LEN], aad[256], *ct = NULL;
	size_t n = 0, aad_len = wrap_aad(r, aad, sizeof aad);
	store_stmt *st;
	char object[64];
	oa_err rc;

	if (aad_len == 0)
		return oa_fail(OA_ERR_LIMIT, "holder id or key type too long");
	if ((rc = keys_pkcs8_of(k, &der, &n)) ||
	    (rc = keys_kek_wrap(in, aad, aad_len, der, n, nonce, &ct, tag)))
		goto out;
	if ((st = store_prepare(db, "INSERT INTO holder_key_wrap (key_id, nonce, ciphertext, tag,"
	                            " created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_id) DO UPDATE"
	                            " SET nonce = excluded.nonce, ciphertext = excluded.ciphertext,"
	                            " tag = excluded.tag, created_at = excluded.created_at")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, r->id);
	store_bind_blob(st, 2, nonce, sizeof nonce);
	store_bind_blob(st, 3, ct, n);
	store_bind_blob(st, 4, tag, sizeof tag);
	store_bind_int(st, 5, oa_now());
	if ((rc = keys_run_or_constraint(db, st, "wrapping the key")))
		goto out;
	keys_object_of(object, sizeof object, r->id);
	rc = audit_append(db, actor, "keys.totp_enable", object, "wrap=aes-256-gcm kek=file");
out:
	keys_secret_free(der, n);
	free(ct);
	return rc;
}

oa_err keys_wrap_drop(inst *in, const struct keyrow *r, const char *actor)
{
	store *db = inst_store(in);
	store_stmt *st = store_prepare(db, "DELETE FROM holder_key_wrap WHERE key_id = ?");
	char object[64];
	oa_err rc;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, r->id);
	if ((rc = keys_run_or_constraint(db, st, "dropping the wrapped key")))
		return rc;
	if (store_changes(db) == 0)
		return OA_OK;
	keys_object_of(object, sizeof object, r->id);
	return audit_append(db, actor, "keys.totp_disable", object, NULL);
}

oa_err keys_wrap_open(inst *in, const struct keyrow *r, EVP_PKEY **key)
{
	store *db = inst_store(in);
	store_stmt *st = store_prepare(db, "SELECT nonce, ciphertext, tag FROM holder_key_wrap"
	                                   " WHERE key_id = ?");
	uint8_t nonce[KEYS_NONCE_LEN], tag[KEYS_TAG_LEN], aad[256], *ct = NULL, *pt = NULL, *pk = NULL;
	size_t n = 0, aad_len = wrap_aad(r, aad, sizeof aad);
	const void *p;
	size_t pl;
	int step, len;
	oa_err rc = OA_OK;

	*key = NULL;
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, r->id);
	if ((step = store_step(st)) != STORE_ROW) {
		store_reset(st);
		return step == STORE_DONE
		           ? oa_fail(OA_ERR_NOTFOUND, "holder key %" PRId64 " is not enabled for "
		                     "signing with a one-time code", r->id)
		           : OA_ERR_STORE;
	}
	if ((p = store_col_blob(st, 0, &pl)) == NULL || pl != sizeof nonce)
		rc = OA_ERR_CRYPTO;
	else
		memcpy(nonce, p, pl);
	if (rc == OA_OK && ((p = store_col_blob(st, 2, &pl)) == NULL || pl != sizeof tag))
		rc = OA_ERR_CRYPTO;
	else if (rc == OA_OK)
		memcpy(tag, p, pl);
	if (rc == OA_OK && ((p = store_col_blob(st, 1, &n)) == NULL || n == 0 || n > KEYS_MAX_CT ||
	                       (ct = malloc(n)) == NULL))
		rc = OA_ERR_CRYPTO;
	else if (rc == OA_OK)
		memcpy(ct, p, n);
	store_reset(st);
	if (rc || aad_len == 0) {
		rc = oa_fail(OA_ERR_CRYPTO, "holder key %" PRId64 ": wrapped copy is invalid", r->id);
		goto out;
	}
	if ((rc = keys_kek_unwrap(in, aad, aad_len, nonce, ct, n, tag, &pt)) ||
	    (rc = keys_key_of_pkcs8(pt, n, key)))
		goto out;
	len = i2d_PUBKEY(*key, &pk);
	if (len <= 0 || (size_t)len != r->spki_len || memcmp(pk, r->spki, r->spki_len) != 0)
		rc = oa_fail(OA_ERR_CRYPTO,
		    "holder key %" PRId64 ": wrapped key does not match its public key", r->id);
	OPENSSL_free(pk);
out:
	if (rc) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	keys_secret_free(pt, n);
	free(ct);
	return rc;
}

oa_err keys_totp_enabled(inst *in, int64_t key_id)
{
	store *db = inst_store(in);
	store_stmt *st = store_prepare(db, "SELECT 1 FROM holder_key_wrap w JOIN holder_key k"
	                                   " ON k.id = w.key_id WHERE w.key_id = ?");
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, key_id);
	step = store_step(st);
	store_reset(st);
	if (step == STORE_ROW)
		return OA_OK;
	return step == STORE_DONE ? oa_fail(OA_ERR_NOTFOUND, "holder key %" PRId64 " is not enabled "
	                                    "for signing with a one-time code", key_id)
	                          : OA_ERR_STORE;
}
