/*
 * password.c - passwords (Argon2id, RFC 9106), the password policy, sign-in
 * with the second factor, and the lockout.
 *
 * Hashes are libargon2 encoded strings ($argon2id$v=19$m=..,t=..,p=..$salt$hash)
 * with a 16-byte random salt and a 32-byte tag, so each carries its own
 * parameters: raising auth.argon2_* takes effect for new passwords at once
 * and for old ones at their next successful sign-in (rehash).
 *
 * Sign-in is uniform: an unknown account, a disabled or locked one, one
 * without a password, a wrong password and a wrong code all cost one
 * Argon2 verification (against a dummy hash when there is no real one),
 * all evaluate the TOTP code when one is enrolled, and all end in the same
 * OA_ERR_DENIED message.  Failures of existing accounts are counted in the
 * database and committed although the call fails (so a crash or a
 * rollback by the caller cannot reset the count); which factor failed goes
 * only to the audit log, for administrators.
 *
 * Must never: store, log or echo a password; compare secrets with strcmp.
 */
#include "authInt.h"

#include <argon2.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <pwquality.h>
#include <sodium.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/util.h"

#define SALT_BYTES 16
#define TAG_BYTES  32

static const char login_failed[] =
    "sign-in failed: the user name, password or code is wrong, or the account is locked "
    "after repeated failures";

static void params(auth *a, uint32_t *t, uint32_t *m, uint32_t *p)
{
	*t = (uint32_t)conf_int(a->cf, "auth.argon2_iterations");
	*m = (uint32_t)conf_int(a->cf, "auth.argon2_memory_kib");
	*p = (uint32_t)conf_int(a->cf, "auth.argon2_parallelism");
	if (*m < 8 * *p) /* libargon2: at least 8 KiB per lane */
		*m = 8 * *p;
}

oa_err auth_argon2_hash(auth *a, const char *password, char **out)
{
	uint32_t t, m, p;
	uint8_t salt[SALT_BYTES];
	size_t n;
	char *enc;
	int r;

	*out = NULL;
	params(a, &t, &m, &p);
	n = argon2_encodedlen(t, m, p, SALT_BYTES, TAG_BYTES, Argon2_id);
	if ((enc = malloc(n)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	randombytes_buf(salt, sizeof salt);
	r = argon2id_hash_encoded(t, m, p, password, strlen(password), salt, sizeof salt, TAG_BYTES,
	    enc, n);
	if (r != ARGON2_OK) {
		free(enc);
		return oa_fail(r == ARGON2_MEMORY_ALLOCATION_ERROR ? OA_ERR_NOMEM : OA_ERR_CRYPTO,
		    "Argon2id: %s", argon2_error_message(r));
	}
	*out = enc;
	return OA_OK;
}

oa_err auth_argon2_verify(auth *a, const char *encoded, const char *password, int *ok,
    int *stale)
{
	uint32_t t, m, p, v, et, em, ep;
	int r;

	*ok = 0;
	*stale = 0;
	params(a, &t, &m, &p);
	if (sscanf(encoded, "$argon2id$v=%u$m=%u,t=%u,p=%u$", &v, &em, &et, &ep) != 4)
		return oa_fail(OA_ERR_INTERNAL, "stored password hash is not an Argon2id string");
	*stale = v != ARGON2_VERSION_NUMBER || em != m || et != t || ep != p;
	/* argon2_verify compares the tags in constant time. */
	r = argon2id_verify(encoded, password, strlen(password));
	if (r == ARGON2_OK)
		*ok = 1;
	else if (r != ARGON2_VERIFY_MISMATCH)
		return oa_fail(r == ARGON2_MEMORY_ALLOCATION_ERROR ? OA_ERR_NOMEM : OA_ERR_CRYPTO,
		    "Argon2id: %s", argon2_error_message(r));
	return OA_OK;
}

/* The hash compared against when there is no real one (same cost). */
static oa_err dummy_hash(auth *a, const char **out)
{
	oa_err rc;

	if (a->dummy_hash == NULL) {
		char junk[AUTH_TOKEN_LEN + 1];
		uint8_t raw[AUTH_RAW_TOKEN];
		auth_random_token(raw, junk);
		rc = auth_argon2_hash(a, junk, &a->dummy_hash);
		oa_wipe(raw, sizeof raw);
		oa_wipe(junk, sizeof junk);
		if (rc)
			return rc;
	}
	*out = a->dummy_hash;
	return OA_OK;
}

/* ---- Policy ---- */

static void lower(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = 0;
}

/* 1 if the lower-cased password contains the lower-cased word. */
static int contains(const char *lpw, const char *word, size_t min)
{
	char w[4 * AUTH_MAX_TEXT + 1];

	if (strlen(word) < min)
		return 0;
	lower(w, sizeof w, word);
	return strstr(lpw, w) != NULL;
}

/*
 * Guessability, by libpwquality (cracklib's dictionary and its checks for
 * palindromes, repeats, sequences, the user name): an error is refused, and
 * so is a score under AUTH_MIN_PASSWORD_SCORE of 100 ("password1234" scores
 * 22, "aaaaaaaaaaaa" is a palindrome).  cracklib is not thread-safe: one
 * check at a time.  libpwquality keeps no copy of the password after the
 * call, but its internal buffers are not ours to wipe.
 */
#define AUTH_MIN_PASSWORD_SCORE 50

static pthread_mutex_t pwq_lock = PTHREAD_MUTEX_INITIALIZER;

static oa_err guessable(const auth_person *p, const char *password, int64_t min)
{
	pwquality_settings_t *s;
	void *aux = NULL;
	char why[PWQ_MAX_ERROR_MESSAGE_LEN], buf[PWQ_MAX_ERROR_MESSAGE_LEN];
	int score;

	pthread_mutex_lock(&pwq_lock);
	if ((s = pwquality_default_settings()) == NULL) {
		pthread_mutex_unlock(&pwq_lock);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	pwquality_set_int_value(s, PWQ_SETTING_MIN_LENGTH, (int)min);
	pwquality_set_int_value(s, PWQ_SETTING_DICT_CHECK, 1);
	pwquality_set_int_value(s, PWQ_SETTING_USER_CHECK, 1);
	score = pwquality_check(s, password, NULL, p->id, &aux);
	if (score < 0)
		snprintf(why, sizeof why, "%s", pwquality_strerror(buf, sizeof buf, score, aux));
	pwquality_free_settings(s);
	pthread_mutex_unlock(&pwq_lock);
	if (score < 0)
		return oa_fail_id(OA_ERR_INVALID, "pw_guessable", "password",
		    "password is too easy to guess: %s", why);
	if (score < AUTH_MIN_PASSWORD_SCORE)
		return oa_fail_id(OA_ERR_INVALID, "pw_guessable", "password",
		    "password is too easy to guess (strength %d of 100, at "
		    "least %d needed): a few random words with a number are strong and easy to remember",
		    score, AUTH_MIN_PASSWORD_SCORE);
	return OA_OK;
}

static oa_err policy(auth *a, const auth_person *p, const char *password)
{
	int64_t min = conf_int(a->cf, "auth.password_min_length");
	char *lpw = NULL, word[4 * AUTH_MAX_TEXT + 1], local[OA_MAX_EMAIL_CHARS + 1];
	const char *s, *why = NULL, *whyid = NULL;
	size_t n;
	oa_err rc = OA_OK;

	if (password == NULL || !*password)
		return oa_fail_id(OA_ERR_INVALID, "pw_empty", "password", "password is required");
	if ((n = strlen(password)) > OA_MAX_PASSPHRASE_BYTES)
		return oa_fail_id(OA_ERR_INVALID, "pw_long", "password",
		    "password is longer than %d bytes",
		    OA_MAX_PASSPHRASE_BYTES);
	if (!oa_is_clean_utf8(password))
		return oa_fail_id(OA_ERR_INVALID, "pw_chars", "password",
		    "password has control characters or is not UTF-8");
	if ((int64_t)oa_utf8_chars(password) < min)
		return oa_fail_id(OA_ERR_INVALID, "pw_short", "password",
		    "password must have at least %" PRId64 " characters",
		    min);
	if ((lpw = malloc(n + 1)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	lower(lpw, n + 1, password);
	snprintf(local, sizeof local, "%.*s", (int)strcspn(p->email, "@"), p->email);
	if (contains(lpw, p->id, 4))
		why = "your user name", whyid = "pw_account";
	else if (p->nik[0] && contains(lpw, p->nik, 1))
		why = "your NIK", whyid = "pw_nik";
	else if (p->nip[0] && contains(lpw, p->nip, 1))
		why = "your NIP", whyid = "pw_nip";
	else if (contains(lpw, p->email, 1) || contains(lpw, local, 4))
		why = "your e-mail address", whyid = "pw_email";
	else
		/* Each word of the name of four letters or more. */
		for (s = p->name; *s && why == NULL;) {
			size_t w = strcspn(s, " .,'-");
			snprintf(word, sizeof word, "%.*s", (int)w, s);
			if (contains(lpw, word, 4))
				why = "your name", whyid = "pw_name";
			s += w;
			s += strspn(s, " .,'-");
		}
	if (why)
		rc = oa_fail_id(OA_ERR_INVALID, whyid, "password", "password must not contain %s",
		    why);
	else
		rc = guessable(p, password, min);
	oa_wipe(lpw, n);
	free(lpw);
	return rc;
}

oa_err auth_password_check(auth *a, const char *person, const char *password)
{
	auth_person p;
	oa_err rc;

	if ((rc = auth_person_get(a, person, &p)))
		return rc;
	return policy(a, &p, password);
}

oa_err auth_password_set(auth *a, const char *person, const char *password,
    const char *keep_session, const char *actor)
{
	auth_person p;
	store_stmt *st;
	uint8_t keep_raw[AUTH_RAW_TOKEN], keep[32];
	char *hash = NULL;
	int own;
	oa_err rc;

	if ((rc = auth_person_get(a, person, &p)) || (rc = policy(a, &p, password)))
		return rc;
	if (keep_session) {
		if (auth_decode_token(keep_session, keep_raw) != 0)
			return oa_fail(OA_ERR_INVALID, "the session to keep is not a session token");
		auth_sha256(keep_raw, sizeof keep_raw, keep);
		oa_wipe(keep_raw, sizeof keep_raw);
	}
	if ((rc = auth_argon2_hash(a, password, &hash)))
		return rc;
	if ((rc = store_tx_begin(a->db, &own)))
		goto done;
	if ((st = store_prepare(a->db, "UPDATE auth_credential SET password_hash = ?,"
	                               " password_set_at = ?, failed_count = 0, locked_until = 0"
	                               " WHERE person = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, hash);
	store_bind_int(st, 2, oa_now());
	store_bind_text(st, 3, person);
	if ((rc = store_run(st)))
		goto out;
	if (store_changes(a->db) != 1) {
		rc = oa_fail(OA_ERR_NOTFOUND, "no person %s", person);
		goto out;
	}
	if ((rc = auth_sessions_revoke_person(a, person, keep_session ? keep : NULL, NULL)))
		goto out;
	rc = audit_append(a->db, actor ? actor : "system", "password.set", person, NULL);
out:
	rc = store_tx_end(a->db, own, rc);
done:
	oa_free_secret(hash);
	return rc;
}

/* ---- Sign-in ---- */

struct cred {
	char person[AUTH_MAX_ID + 1], org[AUTH_MAX_ID + 1];
	int found, disabled;
	char *hash;             /* NULL: no password set */
	uint8_t *totp;          /* encrypted secret, NULL: not enrolled */
	size_t totp_len;
	int64_t last_step, failed, locked_until;
};

static void cred_free(struct cred *c)
{
	oa_free_secret(c->hash);
	free(c->totp);
}

static oa_err cred_load(auth *a, const char *login, struct cred *c)
{
	char key[AUTH_MAX_LOGIN + 1];
	store_stmt *st;
	int r;

	memset(c, 0, sizeof *c);
	lower(key, sizeof key, login);
	if ((st = store_prepare(a->db,
	         strchr(key, '@')
	             ? "SELECT p.id, p.org, p.disabled, c.password_hash, c.totp_secret,"
	               " c.totp_last_step, c.failed_count, c.locked_until FROM auth_person p"
	               " JOIN auth_credential c ON c.person = p.id WHERE p.email = ?"
	             : "SELECT p.id, p.org, p.disabled, c.password_hash, c.totp_secret,"
	               " c.totp_last_step, c.failed_count, c.locked_until FROM auth_person p"
	               " JOIN auth_credential c ON c.person = p.id WHERE p.id = ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, key);
	if ((r = store_step(st)) == STORE_ROW) {
		const void *b;
		size_t n;
		c->found = 1;
		snprintf(c->person, sizeof c->person, "%s", store_col_text(st, 0));
		snprintf(c->org, sizeof c->org, "%s", store_col_text(st, 1));
		c->disabled = (int)store_col_int(st, 2);
		if (!store_col_isnull(st, 3) && (c->hash = strdup(store_col_text(st, 3))) == NULL)
			r = STORE_ERROR;
		if (!store_col_isnull(st, 4) && (b = store_col_blob(st, 4, &n)) != NULL && n > 0) {
			if ((c->totp = malloc(n)) == NULL)
				r = STORE_ERROR;
			else {
				memcpy(c->totp, b, n);
				c->totp_len = n;
			}
		}
		c->last_step = store_col_int(st, 5);
		c->failed = store_col_int(st, 6);
		c->locked_until = store_col_int(st, 7);
	}
	store_reset(st);
	if (r == STORE_ERROR) {
		cred_free(c);
		return oa_fail(OA_ERR_STORE, "reading credentials failed");
	}
	return OA_OK;
}

/* Records a failed attempt of an existing account (inside the transaction). */
static oa_err record_failure(auth *a, struct cred *c, const char *why, int64_t now)
{
	int64_t max = conf_int(a->cf, "auth.max_failures");
	int64_t failed = c->failed, until = c->locked_until;
	store_stmt *st;
	char detail[64];
	oa_err rc;

	if (c->locked_until <= now) {
		if (++failed >= max) {
			until = now + conf_int(a->cf, "auth.lockout_minutes") * 60;
			failed = 0;
		}
	}
	if ((st = store_prepare(a->db, "UPDATE auth_credential SET failed_count = ?,"
	                               " locked_until = ? WHERE person = ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, failed);
	store_bind_int(st, 2, until);
	store_bind_text(st, 3, c->person);
	if ((rc = store_run(st)))
		return rc;
	snprintf(detail, sizeof detail, "failed=%s", why);
	if ((rc = audit_append(a->db, "anonymous", "auth.fail", c->person, detail)))
		return rc;
	if (until != c->locked_until) {
		snprintf(detail, sizeof detail, "until=%" PRId64 " after=%" PRId64, until, max);
		rc = audit_append(a->db, "system", "auth.lock", c->person, detail);
	}
	return rc;
}

/*
 * Checks login/password (and the TOTP code when with_totp and enrolled)
 * inside the open transaction.  OA_OK with c filled and *step the TOTP step
 * used (0: none); OA_ERR_DENIED after recording the failure (the caller
 * commits); other codes: the caller rolls back.
 */
static oa_err attempt(auth *a, const char *login, const char *password, const char *code,
    int with_totp, struct cred *c, int64_t *step)
{
	int64_t now = oa_now();
	const char *hash;
	const char *why = NULL;
	int pw_ok = 0, totp_ok = 1, stale = 0;
	oa_err rc;

	*step = 0;
	if ((rc = cred_load(a, login, c)))
		return rc;
	if (c->hash)
		hash = c->hash;
	else if ((rc = dummy_hash(a, &hash)))
		return rc;
	if ((rc = auth_argon2_verify(a, hash, password, &pw_ok, &stale)))
		return rc;
	if (with_totp && c->totp &&
	    (rc = auth_totp_check(a, c->person, c->totp, c->totp_len, c->last_step, code, now,
	         &totp_ok, step)))
		return rc;
	if (!c->found)
		return oa_fail(OA_ERR_DENIED, "%s", login_failed);
	if (c->disabled)
		why = "disabled";
	else if (c->hash == NULL)
		why = "no_password";
	else if (c->locked_until > now)
		why = "locked";
	else if (!pw_ok)
		why = "password";
	else if (!totp_ok)
		why = "totp";
	if (why) {
		if ((rc = record_failure(a, c, why, now)))
			return rc;
		return oa_fail(OA_ERR_DENIED, "%s", login_failed);
	}
	if (stale) {
		char *fresh = NULL;
		store_stmt *st;
		if ((rc = auth_argon2_hash(a, password, &fresh)))
			return rc;
		if ((st = store_prepare(a->db, "UPDATE auth_credential SET password_hash = ?"
		                               " WHERE person = ?")) == NULL) {
			oa_free_secret(fresh);
			return OA_ERR_STORE;
		}
		store_bind_text(st, 1, fresh);
		store_bind_text(st, 2, c->person);
		rc = store_run(st);
		oa_free_secret(fresh);
		if (rc || (rc = audit_append(a->db, c->person, "password.rehash", c->person, NULL)))
			return rc;
	}
	{
		store_stmt *st = store_prepare(a->db,
		    "UPDATE auth_credential SET failed_count = 0, locked_until = 0,"
		    " totp_last_step = CASE WHEN ?1 > totp_last_step THEN ?1 ELSE totp_last_step END"
		    " WHERE person = ?2");
		if (st == NULL)
			return OA_ERR_STORE;
		store_bind_int(st, 1, *step);
		store_bind_text(st, 2, c->person);
		if ((rc = store_run(st)))
			return rc;
	}
	return OA_OK;
}

static oa_err check_inputs(const char *login, const char *password, const char *code)
{
	if (login == NULL || password == NULL)
		return oa_fail(OA_ERR_INVALID, "user name and password are required");
	if (strlen(login) > AUTH_MAX_LOGIN)
		return oa_fail(OA_ERR_INVALID, "user name is longer than %d characters",
		    AUTH_MAX_LOGIN);
	if (strlen(password) > OA_MAX_PASSPHRASE_BYTES)
		return oa_fail_id(OA_ERR_INVALID, "pw_long", "password",
		    "password is longer than %d bytes",
		    OA_MAX_PASSPHRASE_BYTES);
	if (code && strlen(code) > AUTH_MAX_TOTP_CODE)
		return oa_fail(OA_ERR_INVALID, "code is longer than %d characters", AUTH_MAX_TOTP_CODE);
	return OA_OK;
}

oa_err auth_login(auth *a, const auth_login_req *r, auth_session_new *out)
{
	struct cred c;
	int64_t step = 0;
	const char *org;
	char detail[160];
	oa_err rc;

	memset(out, 0, sizeof *out);
	if (store_in_tx(a->db))
		return oa_fail(OA_ERR_INTERNAL, "auth_login must run outside a transaction: failed "
		                                "attempts are committed on their own");
	if ((rc = check_inputs(r->login, r->password, r->code)))
		return rc;
	if (r->org && !auth_valid_id(r->org))
		return oa_fail(OA_ERR_INVALID, "organisation must be given by its id");
	/* Checked before the credentials, so that the answer does not depend
	 * on whether they were right. */
	if (r->org && !auth_org_exists(a, r->org))
		return oa_fail(OA_ERR_NOTFOUND, "no organisation %s", r->org);
	if ((rc = store_begin(a->db)))
		return rc;
	rc = attempt(a, r->login, r->password, r->code, 1, &c, &step);
	if (rc == OA_ERR_DENIED) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s", oa_errmsg());
		/* The failure count must survive this refusal. */
		if (c.found && store_commit(a->db) != OA_OK) {
			store_rollback(a->db);
			cred_free(&c);
			return OA_ERR_STORE;
		}
		if (!c.found)
			store_rollback(a->db);
		cred_free(&c);
		return oa_fail(OA_ERR_DENIED, "%s", msg);
	}
	if (rc)
		goto fail;
	org = r->org ? r->org : c.org;
	if ((rc = auth_session_insert(a, c.person, org, c.totp ? "password+totp" : "password", out)))
		goto fail;
	snprintf(detail, sizeof detail, "session=%" PRId64 " org=%s method=%s", out->id, org,
	    c.totp ? "password+totp" : "password");
	if ((rc = audit_append(a->db, c.person, "auth.login", c.person, detail)) ||
	    (rc = store_commit(a->db)))
		goto fail;
	cred_free(&c);
	return OA_OK;
fail:
	store_rollback(a->db);
	cred_free(&c);
	auth_session_new_wipe(out);
	memset(out, 0, sizeof *out);
	return rc;
}

oa_err auth_password_verify(auth *a, const char *person, const char *password)
{
	struct cred c;
	int64_t step;
	oa_err rc;

	if (store_in_tx(a->db))
		return oa_fail(OA_ERR_INTERNAL, "auth_password_verify must run outside a transaction");
	if ((rc = check_inputs(person, password, NULL)))
		return rc;
	if (!auth_valid_id(person))
		return oa_fail(OA_ERR_DENIED, "%s", login_failed);
	if ((rc = store_begin(a->db)))
		return rc;
	rc = attempt(a, person, password, NULL, 0, &c, &step);
	if (rc == OA_OK)
		rc = audit_append(a->db, c.person, "auth.reauth", c.person, NULL);
	if (rc == OA_OK || (rc == OA_ERR_DENIED && c.found)) {
		oa_err crc = store_commit(a->db);
		if (crc) {
			store_rollback(a->db);
			rc = crc;
		} else if (rc)
			oa_fail(OA_ERR_DENIED, "%s", login_failed);
	} else
		store_rollback(a->db);
	cred_free(&c);
	return rc;
}
