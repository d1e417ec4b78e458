/*
 * otp.c - the one-time codes of the BSrE API's TOTP (guide 6.3 "Request
 * Sign TOTP": a code sent to the holder's e-mail, then the credential of
 * one signing request instead of the passphrase; docs/ESIGN_API.md).
 *
 * A code is 6 random decimal digits, good for ESIGN_OTP_SECONDS, for one
 * signing request of the client application that asked for it, of at most
 * the number of files it was asked for; ESIGN_OTP_MAX_ATTEMPTS wrong tries
 * burn it; a new code replaces the ones not used yet; a NIK gets at most
 * ESIGN_OTP_PER_HOUR codes an hour.  The row keeps a salted SHA-256 of the
 * code only; the e-mail goes through the outbox in the same transaction as
 * the row and its audit record, marked secret (its bytes are discarded once
 * sent).
 *
 * Must never: write a code to a log, an audit record or an error message.
 */
#include "esignInt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../audit/audit.h"
#include "../common/util.h"
#include "../mail/mail.h"
#include "../store/store.h"

#define SALT_LEN 16

/* SHA-256(salt || NIK || code). */
/*
 * The newest waiting code of a SELECT id, salt, hash, files, attempts ...
 * (bound): its id, 0 when there is none, -1 when its salt or hash is not
 * what this file writes; salt, hash, files allowed and attempts so far.
 */
static int64_t code_row(store_stmt *st, uint8_t salt[SALT_LEN], uint8_t want[32],
    int64_t *allowed, int64_t *attempts)
{
	const void *p;
	size_t n;
	int64_t id;

	if (store_step(st) != STORE_ROW)
		return 0;
	id = store_col_int(st, 0);
	if ((p = store_col_blob(st, 1, &n)) != NULL && n == SALT_LEN)
		memcpy(salt, p, n);
	else
		id = -1;
	if ((p = store_col_blob(st, 2, &n)) != NULL && n == 32)
		memcpy(want, p, n);
	else
		id = -1;
	*allowed = store_col_int(st, 3);
	*attempts = store_col_int(st, 4);
	return id;
}

static oa_err otp_hash(const uint8_t salt[SALT_LEN], const char *nik, const char *code,
    uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, salt, SALT_LEN) == 1 && EVP_DigestUpdate(md, nik, strlen(nik)) == 1 &&
	    EVP_DigestUpdate(md, "\0", 1) == 1 && EVP_DigestUpdate(md, code, strlen(code)) == 1 &&
	    EVP_DigestFinal_ex(md, out, &n) == 1 && n == 32;

	EVP_MD_CTX_free(md);
	return ok ? OA_OK : oa_fail_ssl(OA_ERR_CRYPTO, "SHA-256 of a one-time code");
}

/* digits (6 or 8) uniform decimal digits into code (digits + 1 bytes). */
static oa_err otp_draw_n(char *code, int digits)
{
	uint32_t v, mod = digits == 8 ? 100000000u : 1000000u;
	uint32_t lim = UINT32_MAX - UINT32_MAX % mod; /* a multiple of mod */

	do {
		if (RAND_bytes((unsigned char *)&v, sizeof v) != 1)
			return oa_fail_ssl(OA_ERR_CRYPTO, "random one-time code");
	} while (v >= lim);
	snprintf(code, (size_t)digits + 1, "%0*u", digits, (unsigned)(v % mod));
	return OA_OK;
}

static oa_err otp_draw(char code[ESIGN_OTP_DIGITS + 1])
{
	return otp_draw_n(code, ESIGN_OTP_DIGITS);
}

static oa_err run(store *db, store_stmt *st)
{
	int r = store_step(st);

	store_reset(st);
	return r == STORE_DONE || r == STORE_ROW ? OA_OK : OA_ERR_STORE;
}

oa_err esign_otp_issue(inst *in, const esign_otp_to *to, int64_t *expires)
{
	store *db = inst_store(in);
	store_stmt *st;
	uint8_t salt[SALT_LEN], hash[32];
	char code[ESIGN_OTP_DIGITS + 1], text[1024], object[40], detail[160];
	mail_msg m = {0};
	int64_t now = oa_now(), recent = 0;
	oa_err rc;

	*expires = now + ESIGN_OTP_SECONDS;
	if ((rc = otp_draw(code)))
		return rc;
	if (RAND_bytes(salt, sizeof salt) != 1) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "random salt");
		goto wipe;
	}
	if ((rc = otp_hash(salt, to->nik, code, hash)))
		goto wipe;
	snprintf(text, sizeof text,
	    "Kode OTP untuk menandatangani dokumen secara elektronik melalui aplikasi %s:\n\n"
	    "    %s\n\n"
	    "Kode ini berlaku %d menit, hanya untuk satu permintaan tanda tangan (paling banyak "
	    "%d dokumen), dan hanya dapat digunakan satu kali. Jangan memberitahukan kode ini "
	    "kepada siapa pun, termasuk petugas. Jika Anda tidak meminta kode ini, abaikan e-mail "
	    "ini dan laporkan kepada admin instansi Anda.\n\n"
	    "Your one-time code to sign documents through %s is %s. It is valid for %d minutes, "
	    "for one signing request of at most %d documents, once. Never tell it to anyone.",
	    to->client, code, ESIGN_OTP_SECONDS / 60, to->files, to->client, code,
	    ESIGN_OTP_SECONDS / 60, to->files);
	m.event = MAIL_NOTICE;
	m.lang = "id";
	m.to_name = to->name;
	m.to_addr = to->email;
	m.person = to->person;
	m.actor = to->actor;
	m.subject = "Kode OTP tanda tangan elektronik";
	m.text = text;
	m.path = "/";
	m.secret = 1;
	if ((rc = store_begin(db)))
		goto wipe;
	if ((st = store_prepare(db, "SELECT count(*) FROM esign_otp WHERE nik = ? AND created_at > ?")) ==
	    NULL) {
		rc = OA_ERR_STORE;
		goto tx;
	}
	store_bind_text(st, 1, to->nik);
	store_bind_int(st, 2, now - 3600);
	if (store_step(st) == STORE_ROW)
		recent = store_col_int(st, 0);
	store_reset(st);
	if (recent >= ESIGN_OTP_PER_HOUR) {
		rc = oa_fail(OA_ERR_LIMIT, "NIK %s was sent %d one-time codes in the last hour", to->nik,
		    ESIGN_OTP_PER_HOUR);
		goto tx;
	}
	/* A new code replaces the ones not used yet. */
	if ((st = store_prepare(db, "UPDATE esign_otp SET used_at = ? WHERE nik = ? AND used_at IS NULL")) ==
	    NULL) {
		rc = OA_ERR_STORE;
		goto tx;
	}
	store_bind_int(st, 1, now);
	store_bind_text(st, 2, to->nik);
	if ((rc = run(db, st)))
		goto tx;
	if ((st = store_prepare(db, "INSERT INTO esign_otp (nik, client, salt, hash, files,"
	                            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) == NULL) {
		rc = OA_ERR_STORE;
		goto tx;
	}
	store_bind_text(st, 1, to->nik);
	store_bind_text(st, 2, to->client);
	store_bind_blob(st, 3, salt, sizeof salt);
	store_bind_blob(st, 4, hash, sizeof hash);
	store_bind_int(st, 5, to->files);
	store_bind_int(st, 6, now);
	store_bind_int(st, 7, *expires);
	if ((rc = run(db, st)))
		goto tx;
	snprintf(object, sizeof object, "esign_otp:%" PRId64, store_last_id(db));
	snprintf(detail, sizeof detail, "nik=%s client=%s files=%d expires=%" PRId64, to->nik,
	    to->client, to->files, *expires);
	if ((rc = audit_append(db, to->actor, "esign.otp_send", object, detail)))
		goto tx;
	rc = mail_enqueue(db, inst_conf(in), &m, NULL);
tx:
	if (rc == OA_OK)
		rc = store_commit(db);
	if (rc)
		store_rollback(db);
wipe:
	OPENSSL_cleanse(code, sizeof code);
	OPENSSL_cleanse(text, sizeof text);
	return rc;
}

oa_err esign_otp_use(inst *in, const char *nik, const char *client, const char *code, size_t files,
    const char *actor)
{
	store *db = inst_store(in);
	store_stmt *st;
	uint8_t salt[SALT_LEN], want[32], got[32];
	int64_t id = 0, allowed = 0, attempts = 0, now = oa_now();
	char object[40], detail[96];
	int match = 0, wellformed;
	oa_err rc, verdict = OA_OK;

	wellformed = strlen(code) == ESIGN_OTP_DIGITS && strspn(code, "0123456789") == ESIGN_OTP_DIGITS;
	if ((rc = store_begin(db)))
		return rc;
	if ((st = store_prepare(db, "SELECT id, salt, hash, files, attempts FROM esign_otp"
	                            " WHERE nik = ? AND client = ? AND used_at IS NULL AND expires_at > ?"
	                            " ORDER BY id DESC LIMIT 1")) == NULL) {
		rc = OA_ERR_STORE;
		goto tx;
	}
	store_bind_text(st, 1, nik);
	store_bind_text(st, 2, client);
	store_bind_int(st, 3, now);
	id = code_row(st, salt, want, &allowed, &attempts);
	store_reset(st);
	if (id == 0) {
		rc = oa_fail(OA_ERR_DENIED, "no one-time code waiting for NIK %s from this client "
		    "application (none asked, expired, or used)", nik);
		goto tx;
	}
	if (id < 0) {
		rc = oa_fail(OA_ERR_STORE, "a stored one-time code is not valid");
		goto tx;
	}
	if ((int64_t)files > allowed) {
		rc = oa_fail(OA_ERR_LIMIT, "the one-time code was asked for %" PRId64 " document(s), "
		    "the request has %zu", allowed, files);
		goto tx;
	}
	if (wellformed && (rc = otp_hash(salt, nik, code, got)) == OA_OK)
		match = CRYPTO_memcmp(got, want, sizeof got) == 0;
	if (rc)
		goto tx;
	attempts++;
	snprintf(object, sizeof object, "esign_otp:%" PRId64, id);
	st = store_prepare(db, "UPDATE esign_otp SET used_at = ?, attempts = ? WHERE id = ?");
	if (match)
		snprintf(detail, sizeof detail, "nik=%s client=%s files=%zu", nik, client, files);
	else
		snprintf(detail, sizeof detail, "nik=%s client=%s attempts=%" PRId64 " max=%d", nik,
		    client, attempts, ESIGN_OTP_MAX_ATTEMPTS);
	if (st == NULL) {
		rc = OA_ERR_STORE;
		goto tx;
	}
	/* used once it matched, and burnt at the last allowed wrong try */
	if (match || attempts >= ESIGN_OTP_MAX_ATTEMPTS)
		store_bind_int(st, 1, now);
	else
		store_bind_null(st, 1);
	store_bind_int(st, 2, attempts);
	store_bind_int(st, 3, id);
	if ((rc = run(db, st)) ||
	    (rc = audit_append(db, actor, match ? "esign.otp_use" : "esign.otp_wrong", object, detail)))
		goto tx;
	if (!match)
		verdict = oa_fail(OA_ERR_DENIED, "wrong one-time code for NIK %s (%" PRId64 " of %d tries%s)",
		    nik, attempts, ESIGN_OTP_MAX_ATTEMPTS,
		    attempts >= ESIGN_OTP_MAX_ATTEMPTS ? "; the code is burnt, ask for a new one" : "");
tx:
	OPENSSL_cleanse(got, sizeof got);
	if (rc == OA_OK)
		rc = store_commit(db);
	if (rc) {
		store_rollback(db);
		return rc;
	}
	return verdict;
}

/* ---- the codes of the seal API (seal.c) ---- */

oa_err esign_seal_code_issue(inst *in, const esign_seal_code_req *q, char *code, int64_t *expires)
{
	store *db = inst_store(in);
	store_stmt *st;
	uint8_t salt[SALT_LEN], hash[32];
	int activation = strcmp(q->kind, "activation") == 0;
	int digits = activation ? ESIGN_SEAL_ACTIVATION_DIGITS : ESIGN_OTP_DIGITS;
	char text[1024], object[48], detail[200];
	mail_msg m = {0};
	int64_t now = oa_now(), recent = 0;
	oa_err rc;

	*expires = now + (activation ? ESIGN_SEAL_ACTIVATION_SECONDS : ESIGN_OTP_SECONDS);
	if ((rc = otp_draw_n(code, digits)))
		return rc;
	if (RAND_bytes(salt, sizeof salt) != 1) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "random salt");
		goto wipe;
	}
	if ((rc = otp_hash(salt, q->seal, code, hash)))
		goto wipe;
	if ((rc = store_begin(db)))
		goto wipe;
	if ((st = store_prepare(db, "SELECT count(*) FROM seal_code WHERE seal = ? AND kind = ?"
	                            " AND created_at > ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto tx;
	}
	store_bind_text(st, 1, q->seal);
	store_bind_text(st, 2, q->kind);
	store_bind_int(st, 3, now - 3600);
	if (store_step(st) == STORE_ROW)
		recent = store_col_int(st, 0);
	store_reset(st);
	if (recent >= ESIGN_OTP_PER_HOUR) {
		rc = oa_fail(OA_ERR_LIMIT, "seal %s was given %d %s codes in the last hour", q->seal,
		    ESIGN_OTP_PER_HOUR, q->kind);
		goto tx;
	}
	/* a new code replaces the ones of its kind not used yet */
	if ((st = store_prepare(db, "UPDATE seal_code SET used_at = ? WHERE seal = ? AND kind = ?"
	                            " AND used_at IS NULL")) == NULL) {
		rc = OA_ERR_STORE;
		goto tx;
	}
	store_bind_int(st, 1, now);
	store_bind_text(st, 2, q->seal);
	store_bind_text(st, 3, q->kind);
	if ((rc = run(db, st)))
		goto tx;
	if ((st = store_prepare(db, "INSERT INTO seal_code (seal, kind, client, salt, hash, files,"
	                            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) == NULL) {
		rc = OA_ERR_STORE;
		goto tx;
	}
	store_bind_text(st, 1, q->seal);
	store_bind_text(st, 2, q->kind);
	store_bind_text(st, 3, q->client);
	store_bind_blob(st, 4, salt, sizeof salt);
	store_bind_blob(st, 5, hash, sizeof hash);
	store_bind_int(st, 6, q->files);
	store_bind_int(st, 7, now);
	store_bind_int(st, 8, *expires);
	if ((rc = run(db, st)))
		goto tx;
	snprintf(object, sizeof object, "seal_code:%" PRId64, store_last_id(db));
	snprintf(detail, sizeof detail, "seal=%s kind=%s client=%s files=%d expires=%" PRId64,
	    q->seal, q->kind, q->client, q->files, *expires);
	if ((rc = audit_append(db, q->actor, "esign.seal_code_send", object, detail)))
		goto tx;
	if (q->email) {
		snprintf(text, sizeof text,
		    "Kode aktivasi (TOTP Aktivasi) Segel Elektronik %s untuk aplikasi %s:\n\n"
		    "    %s\n\n"
		    "Kode ini berlaku %d hari dan dapat diperpanjang atau dicabut oleh aplikasi. "
		    "Simpan kode ini hanya di aplikasi tersebut dan jangan memberitahukannya kepada "
		    "siapa pun. Jika Anda tidak meminta kode ini, laporkan kepada admin instansi Anda.\n\n"
		    "The activation code of the electronic seal %s for %s is %s. It is valid for %d "
		    "days; keep it in that application only.",
		    q->seal_name, q->client, code, ESIGN_SEAL_ACTIVATION_SECONDS / 86400, q->seal_name,
		    q->client, code, ESIGN_SEAL_ACTIVATION_SECONDS / 86400);
		m.event = MAIL_NOTICE;
		m.lang = "id";
		m.to_name = q->seal_name;
		m.to_addr = q->email;
		m.actor = q->actor;
		m.subject = "Kode aktivasi Segel Elektronik";
		m.text = text;
		m.path = "/";
		m.secret = 1;
		rc = mail_enqueue(db, inst_conf(in), &m, NULL);
		OPENSSL_cleanse(text, sizeof text);
	}
tx:
	if (rc == OA_OK)
		rc = store_commit(db);
	if (rc)
		store_rollback(db);
wipe:
	if (rc)
		OPENSSL_cleanse(code, (size_t)digits + 1);
	return rc;
}

oa_err esign_seal_code_use(inst *in, const char *seal, const char *kind, const char *client,
    const char *code, size_t files, int op, const char *actor, int64_t *expires)
{
	store *db = inst_store(in);
	store_stmt *st;
	uint8_t salt[SALT_LEN], want[32], got[32];
	size_t clen = strlen(code);
	int64_t id = 0, allowed = 0, attempts = 0, exp = 0, now = oa_now();
	int activation = strcmp(kind, "activation") == 0;
	int digits = activation ? ESIGN_SEAL_ACTIVATION_DIGITS : ESIGN_OTP_DIGITS;
	char object[48], detail[160];
	int match = 0;
	oa_err rc, verdict = OA_OK;

	memset(got, 0, sizeof got);
	if ((rc = store_begin(db)))
		return rc;
	if ((st = store_prepare(db, "SELECT id, salt, hash, files, attempts, expires_at FROM seal_code"
	                            " WHERE seal = ? AND kind = ? AND client = ? AND used_at IS NULL"
	                            " AND expires_at > ? ORDER BY id DESC LIMIT 1")) == NULL) {
		rc = OA_ERR_STORE;
		goto tx;
	}
	store_bind_text(st, 1, seal);
	store_bind_text(st, 2, kind);
	store_bind_text(st, 3, client);
	store_bind_int(st, 4, now);
	if ((id = code_row(st, salt, want, &allowed, &attempts)) != 0)
		exp = store_col_int(st, 5);
	store_reset(st);
	if (id == 0) {
		rc = oa_fail(OA_ERR_DENIED, "no %s code of seal %s waiting for this client application "
		    "(none asked, expired, used or revoked)", kind, seal);
		goto tx;
	}
	if (id < 0) {
		rc = oa_fail(OA_ERR_STORE, "a stored seal code is not valid");
		goto tx;
	}
	if (!activation && (int64_t)files > allowed) {
		rc = oa_fail(OA_ERR_LIMIT, "the code was asked for %" PRId64 " document(s), the request "
		    "has %zu", allowed, files);
		goto tx;
	}
	if (clen == (size_t)digits && strspn(code, "0123456789") == clen &&
	    (rc = otp_hash(salt, seal, code, got)) == OA_OK)
		match = CRYPTO_memcmp(got, want, sizeof got) == 0;
	if (rc)
		goto tx;
	attempts++;
	if (match && op == ESIGN_SEAL_REFRESH)
		exp = now + ESIGN_SEAL_ACTIVATION_SECONDS;
	st = store_prepare(db, "UPDATE seal_code SET used_at = ?, attempts = ?, expires_at = ?"
	                       " WHERE id = ?");
	if (st == NULL) {
		rc = OA_ERR_STORE;
		goto tx;
	}
	/* spent when it matched and the operation spends it; burnt at the last
	 * allowed wrong try */
	if ((match && op == ESIGN_SEAL_SPEND) || (!match && attempts >= ESIGN_OTP_MAX_ATTEMPTS))
		store_bind_int(st, 1, now);
	else
		store_bind_null(st, 1);
	/* a right code forgives the wrong tries before it */
	store_bind_int(st, 2, match ? 0 : attempts);
	store_bind_int(st, 3, exp);
	store_bind_int(st, 4, id);
	snprintf(object, sizeof object, "seal_code:%" PRId64, id);
	snprintf(detail, sizeof detail, "seal=%s kind=%s client=%s op=%s%s", seal, kind, client,
	    op == ESIGN_SEAL_SPEND ? "spend" : op == ESIGN_SEAL_REFRESH ? "refresh" : "check",
	    match ? "" : " wrong");
	if ((rc = run(db, st)) ||
	    (rc = audit_append(db, actor, match ? "esign.seal_code_use" : "esign.seal_code_wrong",
	         object, detail)))
		goto tx;
	if (!match)
		verdict = oa_fail(OA_ERR_DENIED, "wrong %s code for seal %s (%" PRId64 " of %d tries%s)",
		    kind, seal, attempts, ESIGN_OTP_MAX_ATTEMPTS,
		    attempts >= ESIGN_OTP_MAX_ATTEMPTS ? "; the code is burnt, ask for a new one" : "");
	else if (expires)
		*expires = exp;
tx:
	OPENSSL_cleanse(got, sizeof got);
	if (rc == OA_OK)
		rc = store_commit(db);
	if (rc) {
		store_rollback(db);
		return rc;
	}
	return verdict;
}
