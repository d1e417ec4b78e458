/*
 * backup_archive.c - the sealed stream of openams backup archives and what
 * backup and restore both count and ask (see cmd_backup.c for the format).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../common/util.h"
#include "backup_archive.h"
#include "cli.h"

/* ---- the sealed stream ---- */

void bk_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t bk_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void bk_put64(uint8_t *p, uint64_t v)
{
	bk_put32(p, (uint32_t)(v >> 32));
	bk_put32(p + 4, (uint32_t)v);
}

uint64_t bk_get64(const uint8_t *p)
{
	return (uint64_t)bk_get32(p) << 32 | bk_get32(p + 4);
}

oa_err bk_derive(const char *pass, const uint8_t *hdr, uint8_t key[KEY_LEN])
{
	int log2n = hdr[9], r = hdr[10], p = hdr[11];

	if (hdr[8] != 1 || log2n < 10 || log2n > 20 || r < 1 || r > 16 || p < 1 || p > 4)
		return oa_fail(OA_ERR_INVALID, "not an openams backup this version reads (key"
		    " derivation parameters)");
	if (EVP_PBE_scrypt(pass, strlen(pass), hdr + 16, 32, (uint64_t)1 << log2n, (uint64_t)r,
	        (uint64_t)p, (uint64_t)1100 << 20, key, KEY_LEN) != 1)
		return oa_fail_ssl(OA_ERR_CRYPTO, "scrypt");
	return OA_OK;
}

static void bk_nonce_of(const struct bk_sealer *s, uint8_t nonce[12])
{
	memcpy(nonce, s->hdr + 48, 8);
	bk_put32(nonce + 8, s->counter);
}

/* Seals the buffered plaintext as one chunk (final: the last one). */
oa_err bk_seal_chunk(struct bk_sealer *s, int final)
{
	uint8_t lenw[4], nonce[12], tag[TAG_LEN], *ct = NULL;
	EVP_CIPHER_CTX *x = NULL;
	int outl = 0, ok;
	oa_err rc = OA_OK;

	if (s->counter == UINT32_MAX)
		return oa_fail(OA_ERR_LIMIT, "backup too large");
	bk_put32(lenw, (uint32_t)s->n | (final ? FINAL_BIT : 0));
	bk_nonce_of(s, nonce);
	if ((ct = malloc(s->n + 1)) == NULL || (x = EVP_CIPHER_CTX_new()) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	ok = EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, s->key, nonce) == 1 &&
	    EVP_EncryptUpdate(x, NULL, &outl, s->hdr, HDR_LEN) == 1 &&
	    EVP_EncryptUpdate(x, NULL, &outl, lenw, 4) == 1 &&
	    (s->n == 0 || EVP_EncryptUpdate(x, ct, &outl, s->buf, (int)s->n) == 1) &&
	    EVP_EncryptFinal_ex(x, ct + (s->n ? outl : 0), &outl) == 1 &&
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
	if (!ok) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "AES-256-GCM");
		goto out;
	}
	if (fwrite(lenw, 1, 4, s->f) != 4 || fwrite(ct, 1, s->n, s->f) != s->n ||
	    fwrite(tag, 1, TAG_LEN, s->f) != TAG_LEN) {
		rc = oa_fail(OA_ERR_IO, "writing the backup: %s", strerror(errno));
		goto out;
	}
	s->counter++;
	OPENSSL_cleanse(s->buf, s->n);
	s->n = 0;
out:
	EVP_CIPHER_CTX_free(x);
	free(ct);
	return rc;
}

oa_err bk_put(struct bk_sealer *s, const void *p, size_t n)
{
	const uint8_t *b = p;
	oa_err rc;

	while (n > 0) {
		size_t k = CHUNK - s->n < n ? CHUNK - s->n : n;
		memcpy(s->buf + s->n, b, k);
		s->n += k;
		b += k;
		n -= k;
		if (s->n == CHUNK && (rc = bk_seal_chunk(s, 0)))
			return rc;
	}
	return OA_OK;
}

/* Reads and opens the next chunk into buf. */
oa_err bk_open_chunk(struct bk_sealer *s)
{
	uint8_t lenw[4], nonce[12], tag[TAG_LEN], *ct = NULL;
	EVP_CIPHER_CTX *x = NULL;
	uint32_t len;
	int outl = 0, ok;
	oa_err rc = OA_OK;

	if (s->final_seen)
		return oa_fail(OA_ERR_INVALID, "the backup ends early (truncated or damaged)");
	if (fread(lenw, 1, 4, s->f) != 4)
		return oa_fail(OA_ERR_INVALID, "the backup is cut off (no last chunk)");
	len = bk_get32(lenw) & ~FINAL_BIT;
	if (len > CHUNK)
		return oa_fail(OA_ERR_INVALID, "the backup is damaged (chunk %" PRIu32 ")", s->counter);
	if ((ct = malloc(len + 1)) == NULL || (x = EVP_CIPHER_CTX_new()) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (fread(ct, 1, len, s->f) != len || fread(tag, 1, TAG_LEN, s->f) != TAG_LEN) {
		rc = oa_fail(OA_ERR_INVALID, "the backup is cut off (chunk %" PRIu32 ")", s->counter);
		goto out;
	}
	bk_nonce_of(s, nonce);
	ok = EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, s->key, nonce) == 1 &&
	    EVP_DecryptUpdate(x, NULL, &outl, s->hdr, HDR_LEN) == 1 &&
	    EVP_DecryptUpdate(x, NULL, &outl, lenw, 4) == 1 &&
	    (len == 0 || EVP_DecryptUpdate(x, s->buf, &outl, ct, (int)len) == 1) &&
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1 &&
	    EVP_DecryptFinal_ex(x, s->buf + (len ? outl : 0), &outl) == 1;
	if (!ok) {
		OPENSSL_cleanse(s->buf, CHUNK);
		oa_err_clear();
		rc = oa_fail(OA_ERR_DENIED, s->counter == 0 ?
		    "wrong passphrase, or not this backup's (chunk 0 does not authenticate)" :
		    "the backup is damaged or was changed (chunk %" PRIu32 " does not authenticate)",
		    s->counter);
		goto out;
	}
	s->n = len;
	s->pos = 0;
	s->counter++;
	if (bk_get32(lenw) & FINAL_BIT) {
		s->final_seen = 1;
		if (fgetc(s->f) != EOF)
			rc = oa_fail(OA_ERR_INVALID, "the backup has bytes after its last chunk");
	}
out:
	EVP_CIPHER_CTX_free(x);
	free(ct);
	return rc;
}

oa_err bk_get(struct bk_sealer *s, void *p, size_t n)
{
	uint8_t *b = p;
	oa_err rc;

	while (n > 0) {
		size_t k;
		if (s->pos == s->n && (rc = bk_open_chunk(s)))
			return rc;
		k = s->n - s->pos < n ? s->n - s->pos : n;
		memcpy(b, s->buf + s->pos, k);
		s->pos += k;
		b += k;
		n -= k;
	}
	return OA_OK;
}

/* ---- what the database holds ---- */



/* The counts of db, as of one statement. */
oa_err bk_db_counts(store *db, struct bk_counts *c)
{
	store_stmt *st = store_prepare(db, "SELECT (SELECT count(*) FROM audit),"
	    " (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1), (SELECT count(*) FROM certificate),"
	    " (SELECT count(*) FROM sop_case), (SELECT count(*) FROM sop_case_document)");
	int step;

	memset(c, 0, sizeof *c);
	if (st == NULL)
		return OA_ERR_STORE;
	if ((step = store_step(st)) == STORE_ROW) {
		c->audit = store_col_int(st, 0);
		snprintf(c->head, sizeof c->head, "%s", store_col_text(st, 1));
		c->certificates = store_col_int(st, 2);
		c->cases = store_col_int(st, 3);
		c->documents = store_col_int(st, 4);
	}
	store_reset(st);
	if (step == STORE_ROW)
		return OA_OK;
	return step < 0 ? OA_ERR_STORE : oa_fail(OA_ERR_STORE, "counting the database: no row");
}

/* The counts of the database copy at path (a private file of backup's). */
oa_err bk_file_counts(const char *path, struct bk_counts *c)
{
	store *db = NULL;
	oa_err rc = store_open(path, &db);

	if (rc == OA_OK)
		rc = bk_db_counts(db, c);
	store_close(db);
	return rc;
}

/* ---- the passphrase ---- */

oa_err bk_passphrase(const char *file, char **out)
{
	oa_err rc = cli_read_password(file, "passphrase", out);

	if (rc == OA_OK && strlen(*out) < OA_BACKUP_MIN_PASSPHRASE) {
		oa_free_secret(*out);
		*out = NULL;
		return oa_fail(OA_ERR_INVALID, "the backup passphrase must have at least %d characters",
		    OA_BACKUP_MIN_PASSPHRASE);
	}
	return rc;
}

