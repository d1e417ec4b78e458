/*
 * attempt.c - what takes a holder's passphrase: keys_sign and
 * keys_change_passphrase, each in the three short transactions around the
 * slow, store-free unseal that keys.c describes (A count the attempt, B a
 * wrong passphrase locks at keys.max_failures, C a success forgives, writes
 * and audits, and only then the result leaves).
 *
 * Must never: hold the store's write lock during Argon2id, or hand out a
 * signature whose audit record did not commit.
 */
#include "keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "keysInt.h"

/* ---- attempts with a passphrase ------------------------------------ */

static oa_err lock_key(store *db, int64_t id, const char *actor, int64_t failures)
{
	store_stmt *st = store_prepare(db, "UPDATE holder_key SET state = 'locked', locked_at = ?"
	                                   " WHERE id = ? AND state <> 'locked'");
	char object[64], detail[64];
	oa_err rc;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, oa_now());
	store_bind_int(st, 2, id);
	if ((rc = keys_run_or_constraint(db, st, "locking the key")))
		return rc;
	keys_object_of(object, sizeof object, id);
	snprintf(detail, sizeof detail, "failures=%" PRId64, failures);
	return audit_append(db, actor, "keys.lock", object, detail);
}

static oa_err locked_error(int64_t id)
{
	return oa_fail(OA_ERR_STATE,
	    "holder key %" PRId64 " is locked after too many wrong passphrases; only the "
	    "passphrase-reset SOP (revoke and reissue with a new key) replaces it",
	    id);
}

/*
 * Transaction A: checks the key may be tried and counts the attempt.  On
 * OA_OK, r holds the row as it was (r->failures before this attempt).
 */
static oa_err attempt_begin(inst *in, const char *holder, int64_t id, int need_cert,
    const char *actor, struct keyrow *r)
{
	store *db = inst_store(in);
	store_stmt *st;
	int64_t max = keys_max_failures(in);
	int locked_now = 0;
	oa_err rc;

	if (store_in_tx(db))
		return oa_fail(OA_ERR_INTERNAL,
		    "holder key attempts must run outside a transaction: the failure count commits "
		    "on its own");
	if ((rc = store_begin(db)))
		return rc;
	/* Another holder's key and no key read the same. */
	if ((rc = keys_load_row(db, id, r)) == OA_ERR_NOTFOUND ||
	    (rc == OA_OK && strcmp(r->holder, holder) != 0))
		rc = oa_fail(OA_ERR_NOTFOUND, "no holder key %" PRId64 " for %s", id, holder);
	if (rc)
		goto out;
	if (strcmp(r->state, "locked") == 0) {
		rc = locked_error(id);
		goto out;
	}
	if (need_cert && strcmp(r->state, "active") != 0) {
		rc = oa_fail(OA_ERR_STATE, "holder key %" PRId64 " has no certificate bound yet", id);
		goto out;
	}
	if (need_cert && (rc = keys_cert_usable(in, r->serial)))
		goto out;
	if (r->failures >= max) {
		/* keys.max_failures was lowered since: lock now. */
		if ((rc = lock_key(db, id, actor, r->failures)) == OA_OK)
			locked_now = 1;
		goto out;
	}
	if ((st = store_prepare(db, "UPDATE holder_key SET failures = failures + 1 WHERE id = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, id);
	rc = keys_run_or_constraint(db, st, "counting the attempt");
out:
	if (rc == OA_OK)
		rc = store_commit(db);
	if (rc)
		store_rollback(db); /* nothing if the commit already ended it */
	else if (locked_now)
		rc = locked_error(id);
	if (rc)
		keys_sealed_free(&r->s);
	return rc;
}

/* Transaction B after a failed unseal.  Returns the code to report. */
static oa_err attempt_failed(inst *in, int64_t id, const char *actor, oa_err why)
{
	store *db = inst_store(in);
	store_stmt *st;
	char msg[512], object[64], detail[64];
	int64_t failures = 0, max = keys_max_failures(in);
	int locked = 0, step;
	oa_err rc;

	snprintf(msg, sizeof msg, "%s", oa_errmsg());
	if ((rc = store_begin(db)))
		return rc;
	keys_object_of(object, sizeof object, id);
	if (why == OA_ERR_CRYPTO) {
		/* Integrity failure: not the holder's fault, undo the count. */
		if ((st = store_prepare(db, "UPDATE holder_key SET failures = MAX(failures - 1, 0)"
		                            " WHERE id = ? AND state <> 'locked'")) == NULL)
			rc = OA_ERR_STORE;
		else if (store_bind_int(st, 1, id) == OA_OK &&
		    (rc = keys_run_or_constraint(db, st, "uncounting the attempt")) == OA_OK)
			rc = audit_append(db, actor, "keys.integrity_failure", object, NULL);
		goto out;
	}
	if ((st = store_prepare(db, "SELECT failures, state = 'locked' FROM holder_key WHERE id = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, id);
	if ((step = store_step(st)) == STORE_ROW) {
		failures = store_col_int(st, 0);
		locked = (int)store_col_int(st, 1);
	}
	store_reset(st);
	if (step != STORE_ROW) {
		rc = OA_ERR_STORE;
		goto out;
	}
	snprintf(detail, sizeof detail, "failures=%" PRId64 " max=%" PRId64, failures, max);
	if ((rc = audit_append(db, actor, "keys.wrong_passphrase", object, detail)))
		goto out;
	if (!locked && failures >= max && (rc = lock_key(db, id, actor, failures)) == OA_OK)
		locked = 1;
out:
	if (rc) {
		store_rollback(db);
		return rc;
	}
	if ((rc = store_commit(db)))
		return rc;
	if (why == OA_ERR_DENIED)
		return locked ? oa_fail(OA_ERR_DENIED,
		                    "wrong passphrase for holder key %" PRId64 "; the key is now locked "
		                    "(%" PRId64 " failures): only the passphrase-reset SOP replaces it",
		                    id, failures)
		              : oa_fail(OA_ERR_DENIED,
		                    "wrong passphrase for holder key %" PRId64 " (%" PRId64 " of %" PRId64
		                    " failures before it locks)",
		                    id, failures, max);
	return oa_fail(why, "%s", msg);
}

/*
 * Unseals r's key with passphrase into *key, checking it matches the stored
 * public key.  A failure goes through transaction B.
 */
static oa_err attempt_unseal(inst *in, const struct keyrow *r, const char *passphrase,
    const char *actor, EVP_PKEY **key)
{
	keys_binding b = {r->holder, r->id, r->key_type};
	uint8_t *der = NULL, *pk = NULL;
	size_t n = 0;
	int len;
	oa_err rc;

	*key = NULL;
	rc = keys_unseal(passphrase, &r->s, &b, &der, &n);
	if (rc == OA_OK && (rc = keys_key_of_pkcs8(der, n, key)) == OA_OK) {
		len = i2d_PUBKEY(*key, &pk);
		if (len <= 0 || (size_t)len != r->spki_len || memcmp(pk, r->spki, r->spki_len) != 0)
			rc = oa_fail(OA_ERR_CRYPTO,
			    "holder key %" PRId64 ": unsealed key does not match its public key", r->id);
		OPENSSL_free(pk);
	}
	keys_secret_free(der, n);
	if (rc == OA_OK)
		return OA_OK;
	EVP_PKEY_free(*key);
	*key = NULL;
	if (rc == OA_ERR_DENIED || rc == OA_ERR_CRYPTO)
		return attempt_failed(in, r->id, actor, rc);
	/* Out of memory and the like: the holder did nothing wrong either. */
	{
		char msg[512];
		snprintf(msg, sizeof msg, "%s", oa_errmsg());
		attempt_failed(in, r->id, actor, OA_ERR_CRYPTO);
		return oa_fail(rc, "%s", msg);
	}
}

/* The UPDATE of transaction C that forgives the failures before attempt r. */
static oa_err forgive(store *db, const struct keyrow *r)
{
	store_stmt *st = store_prepare(db, "UPDATE holder_key SET failures = MAX(failures - ?, 0),"
	                                   " last_used_at = ? WHERE id = ? AND state <> 'locked'");

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, r->failures + 1);
	store_bind_int(st, 2, oa_now());
	store_bind_int(st, 3, r->id);
	if (store_step(st) == STORE_ERROR) {
		store_reset(st);
		return OA_ERR_STORE;
	}
	store_reset(st);
	if (store_changes(db) != 1)
		return locked_error(r->id); /* locked by concurrent wrong guesses */
	return OA_OK;
}

/*
 * After the right passphrase, when the operation is refused or fails later:
 * forgive this attempt in a transaction of its own and keep the message.
 */
static oa_err forgive_only(inst *in, const struct keyrow *r, oa_err rc)
{
	store *db = inst_store(in);
	char msg[512];

	snprintf(msg, sizeof msg, "%s", oa_errmsg());
	if (store_begin(db) == OA_OK) {
		if (forgive(db, r) != OA_OK || store_commit(db) != OA_OK)
			store_rollback(db);
	}
	return oa_fail(rc, "%s", msg);
}

/* ---- signing -------------------------------------------------------- */

static oa_err sign_digest(EVP_PKEY *k, const keys_sign_req *r, uint8_t **sig, size_t *n)
{
	const EVP_MD *md = EVP_get_digestbynid(r->md_nid);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	int rsa = EVP_PKEY_is_a(k, "RSA");
	size_t len = 0;
	oa_err rc = OA_OK;

	*sig = NULL;
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx, r->scheme == KEYS_SIG_PSS
	                                                  ? RSA_PKCS1_PSS_PADDING
	                                                  : RSA_PKCS1_PADDING) <= 0) ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0 ||
	    (rsa && r->scheme == KEYS_SIG_PSS &&
	        (EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
	            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0)) ||
	    EVP_PKEY_sign(ctx, NULL, &len, r->digest, r->digest_len) <= 0) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signing with the holder key");
		goto out;
	}
	if ((*sig = malloc(len)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_PKEY_sign(ctx, *sig, &len, r->digest, r->digest_len) <= 0) {
		free(*sig);
		*sig = NULL;
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "signing with the holder key");
		goto out;
	}
	*n = len;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static oa_err check_sign_req(const keys_sign_req *r)
{
	const EVP_MD *md;
	oa_err rc;

	if ((rc = keys_check_holder(r->holder)))
		return rc;
	if (r->wrap < KEYS_WRAP_NONE || r->wrap > KEYS_WRAP_USE)
		return oa_fail(OA_ERR_INVALID, "unknown wrapped-key mode %d", r->wrap);
	if (r->wrap != KEYS_WRAP_USE &&
	    (r->passphrase == NULL || strlen(r->passphrase) > OA_MAX_PASSPHRASE_BYTES))
		return oa_fail(OA_ERR_INVALID, "passphrase missing or longer than %d bytes",
		    OA_MAX_PASSPHRASE_BYTES);
	if (r->md_nid != NID_sha256 && r->md_nid != NID_sha384 && r->md_nid != NID_sha512)
		return oa_fail(OA_ERR_INVALID, "digest must be SHA-256, SHA-384 or SHA-512");
	md = EVP_get_digestbynid(r->md_nid);
	if (md == NULL || r->digest == NULL || r->digest_len != (size_t)EVP_MD_get_size(md))
		return oa_fail(OA_ERR_INVALID, "digest length %zu does not match %s", r->digest_len,
		    OBJ_nid2sn(r->md_nid));
	if (r->scheme != KEYS_SIG_PKCS1 && r->scheme != KEYS_SIG_PSS)
		return oa_fail(OA_ERR_INVALID, "unknown signature scheme %d", r->scheme);
	if (r->ref && (!oa_is_clean_utf8(r->ref) || strlen(r->ref) > 256))
		return oa_fail(OA_ERR_INVALID, "reference must be clean text of at most 256 bytes");
	return OA_OK;
}

/* The audit detail of a signature. */
static void sign_detail(char *out, size_t n, const struct keyrow *row, const keys_sign_req *r,
    const char *via)
{
	char hex[2 * 64 + 1];

	oa_hex(hex, r->digest, r->digest_len);
	snprintf(out, n, "serial=%s digest=%s:%s scheme=%s%s%s%s", row->serial,
	    OBJ_nid2sn(r->md_nid), hex,
	    strncmp(row->key_type, "rsa", 3) == 0 ? (r->scheme == KEYS_SIG_PSS ? "rsa-pss" : "rsa-pkcs1")
	                                          : "ecdsa",
	    via, r->ref ? " ref=" : "", r->ref ? r->ref : "");
}

/*
 * KEYS_WRAP_USE: signs with the copy wrapped under the instance's
 * key-wrapping key.  No passphrase, so no attempt is counted here (the
 * caller counted the one-time code's); a locked key, an unbound one and an
 * unusable certificate are refused as with the passphrase, and the record
 * "keys.sign ... via=totp" commits before the signature leaves.
 */
static oa_err sign_wrapped(inst *in, const keys_sign_req *r, const char *actor, uint8_t **sig,
    size_t *siglen)
{
	store *db = inst_store(in);
	struct keyrow row;
	EVP_PKEY *k = NULL;
	store_stmt *st;
	char object[64], detail[OA_MAX_AUDIT_DETAIL];
	uint8_t *s = NULL;
	size_t sn = 0;
	oa_err rc;

	memset(&row, 0, sizeof row);
	if (store_in_tx(db))
		return oa_fail(OA_ERR_INTERNAL, "holder key signatures run outside a transaction");
	if ((rc = store_begin_read(db)))
		return rc;
	if ((rc = keys_load_row(db, r->key_id, &row)) == OA_ERR_NOTFOUND ||
	    (rc == OA_OK && strcmp(row.holder, r->holder) != 0))
		rc = oa_fail(OA_ERR_NOTFOUND, "no holder key %" PRId64 " for %s", r->key_id, r->holder);
	if (rc == OA_OK && strcmp(row.state, "locked") == 0)
		rc = locked_error(row.id);
	else if (rc == OA_OK && strcmp(row.state, "active") != 0)
		rc = oa_fail(OA_ERR_STATE, "holder key %" PRId64 " has no certificate bound yet", row.id);
	if (rc == OA_OK && (rc = keys_cert_usable(in, row.serial)) == OA_OK)
		rc = keys_wrap_open(in, &row, &k);
	store_rollback(db);
	if (rc)
		goto done;
	if (r->scheme == KEYS_SIG_PSS && !EVP_PKEY_is_a(k, "RSA"))
		rc = oa_fail(OA_ERR_INVALID, "PSS needs an RSA key; holder key %" PRId64 " is %s",
		    row.id, row.key_type);
	else if ((rc = keys_cert_holds(in, row.serial, row.spki, row.spki_len, row.id)) == OA_OK)
		rc = sign_digest(k, r, &s, &sn);
	EVP_PKEY_free(k);
	if (rc)
		goto done;
	if ((rc = store_begin(db)))
		goto done;
	keys_object_of(object, sizeof object, row.id);
	sign_detail(detail, sizeof detail, &row, r, " via=totp");
	if ((st = store_prepare(db, "UPDATE holder_key SET last_used_at = ? WHERE id = ?"
	                            " AND state = 'active'")) == NULL)
		rc = OA_ERR_STORE;
	else {
		store_bind_int(st, 1, oa_now());
		store_bind_int(st, 2, row.id);
		if ((rc = keys_run_or_constraint(db, st, "recording the use")) == OA_OK &&
		    store_changes(db) != 1)
			rc = locked_error(row.id); /* locked meanwhile */
	}
	if (rc == OA_OK && (rc = keys_cert_usable(in, row.serial)) == OA_OK &&
	    (rc = audit_append(db, actor, "keys.sign", object, detail)) == OA_OK)
		rc = store_commit(db);
	if (rc) {
		store_rollback(db);
		goto done;
	}
	*sig = s;
	*siglen = sn;
	s = NULL;
done:
	free(s);
	keys_sealed_free(&row.s);
	return rc;
}

oa_err keys_sign(inst *in, const keys_sign_req *r, uint8_t **sig, size_t *siglen)
{
	store *db = inst_store(in);
	struct keyrow row;
	EVP_PKEY *k = NULL;
	const char *actor;
	char object[64], detail[OA_MAX_AUDIT_DETAIL];
	uint8_t *s = NULL;
	size_t sn = 0;
	oa_err rc;

	*sig = NULL;
	*siglen = 0;
	memset(&row, 0, sizeof row);
	if ((rc = check_sign_req(r)))
		return rc;
	actor = r->actor ? r->actor : r->holder;
	if (r->wrap == KEYS_WRAP_USE)
		return sign_wrapped(in, r, actor, sig, siglen);
	if ((rc = attempt_begin(in, r->holder, r->key_id, 1, actor, &row)))
		return rc;
	if ((rc = attempt_unseal(in, &row, r->passphrase, actor, &k)))
		goto done;
	if (r->scheme == KEYS_SIG_PSS && !EVP_PKEY_is_a(k, "RSA"))
		rc = oa_fail(OA_ERR_INVALID, "PSS needs an RSA key; holder key %" PRId64 " is %s",
		    row.id, row.key_type);
	else if ((rc = keys_cert_holds(in, row.serial, row.spki, row.spki_len, row.id)) == OA_OK)
		rc = sign_digest(k, r, &s, &sn);
	if (rc) {
		EVP_PKEY_free(k);
		rc = forgive_only(in, &row, rc);
		goto done;
	}
	/* Transaction C: the use is on record before the signature leaves. */
	if ((rc = store_begin(db))) {
		EVP_PKEY_free(k);
		rc = forgive_only(in, &row, rc);
		goto done;
	}
	keys_object_of(object, sizeof object, row.id);
	sign_detail(detail, sizeof detail, &row, r, "");
	/* The holder's opt-in (or out) of signing with a one-time code commits
	 * with the signature made under the passphrase. */
	if ((rc = keys_cert_usable(in, row.serial)) || (rc = forgive(db, &row)) ||
	    (r->wrap == KEYS_WRAP_KEEP && (rc = keys_wrap_store(in, &row, k, actor))) ||
	    (r->wrap == KEYS_WRAP_DROP && (rc = keys_wrap_drop(in, &row, actor))) ||
	    (rc = audit_append(db, actor, "keys.sign", object, detail)) || (rc = store_commit(db))) {
		EVP_PKEY_free(k);
		store_rollback(db);
		rc = forgive_only(in, &row, rc); /* a no-op if the key was locked meanwhile */
		goto done;
	}
	EVP_PKEY_free(k);
	*sig = s;
	*siglen = sn;
	s = NULL;
done:
	free(s);
	keys_sealed_free(&row.s);
	return rc;
}

/* ---- changing the passphrase --------------------------------------- */

oa_err keys_change_passphrase(inst *in, const char *holder, int64_t key_id, const char *old_pass,
    const char *new_pass, const keys_person *p)
{
	store *db = inst_store(in);
	struct keyrow row;
	EVP_PKEY *k = NULL;
	keys_sealed ns = {0};
	keys_params kp = keys_config_params(in);
	keys_binding b;
	uint8_t *der = NULL;
	size_t der_len = 0;
	store_stmt *st;
	char object[64], detail[128];
	oa_err rc;

	memset(&row, 0, sizeof row);
	if ((rc = keys_check_holder(holder)))
		return rc;
	if (old_pass == NULL || strlen(old_pass) > OA_MAX_PASSPHRASE_BYTES)
		return oa_fail(OA_ERR_INVALID, "current passphrase missing or too long");
	if ((rc = keys_params_check(&kp)) || (rc = keys_check_passphrase(in, holder, new_pass, p)))
		return rc;
	if (strcmp(old_pass, new_pass) == 0)
		return oa_fail(OA_ERR_POLICY, "the new passphrase is the same as the current one");
	if ((rc = attempt_begin(in, holder, key_id, 0, holder, &row)))
		return rc;
	if ((rc = attempt_unseal(in, &row, old_pass, holder, &k)))
		goto done;
	b = (keys_binding){row.holder, row.id, row.key_type};
	rc = keys_pkcs8_of(k, &der, &der_len);
	EVP_PKEY_free(k);
	if (rc == OA_OK)
		rc = keys_seal(new_pass, &kp, &b, der, der_len, &ns);
	keys_secret_free(der, der_len);
	if (rc == OA_OK && (rc = store_begin(db)) == OA_OK) {
		if ((st = store_prepare(db,
		         "UPDATE holder_key SET kdf_memory_kib = ?, kdf_iterations = ?,"
		         " kdf_parallelism = ?, salt = ?, verifier = ?, nonce = ?, ciphertext = ?,"
		         " tag = ?, sealed_at = ? WHERE id = ? AND state <> 'locked'")) == NULL) {
			rc = OA_ERR_STORE;
			goto tx;
		}
		store_bind_int(st, 1, ns.kdf.memory_kib);
		store_bind_int(st, 2, ns.kdf.iterations);
		store_bind_int(st, 3, ns.kdf.parallelism);
		store_bind_blob(st, 4, ns.salt, KEYS_SALT_LEN);
		store_bind_blob(st, 5, ns.verifier, KEYS_VERIFIER_LEN);
		store_bind_blob(st, 6, ns.nonce, KEYS_NONCE_LEN);
		store_bind_blob(st, 7, ns.ct, ns.ct_len);
		store_bind_blob(st, 8, ns.tag, KEYS_TAG_LEN);
		store_bind_int(st, 9, oa_now());
		store_bind_int(st, 10, row.id);
		if ((rc = keys_run_or_constraint(db, st, "re-sealing the key")))
			goto tx;
		keys_object_of(object, sizeof object, row.id);
		snprintf(detail, sizeof detail, "seal=argon2id(m=%u,t=%u,p=%u)+aes-256-gcm",
		    ns.kdf.memory_kib, ns.kdf.iterations, ns.kdf.parallelism);
		if ((rc = forgive(db, &row)) == OA_OK)
			rc = audit_append(db, holder, "keys.passphrase_change", object, detail);
tx:
		if (rc == OA_OK)
			rc = store_commit(db);
		if (rc)
			store_rollback(db);
	}
	if (rc)
		rc = forgive_only(in, &row, rc); /* right passphrase: not a failure */
done:
	keys_sealed_free(&ns);
	keys_sealed_free(&row.s);
	return rc;
}
