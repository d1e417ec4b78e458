/*
 * session.c - browser sessions, their CSRF tokens and cookies, and API
 * tokens for integrations.
 *
 * A session id is 32 random bytes; the cookie carries them in base64url and
 * the database only their SHA-256, so a copy of the database cannot be
 * replayed as a cookie.  A session ends at the first of: sign-out
 * (revoked_at), auth.session_idle_minutes without use, and
 * auth.session_lifetime_hours after sign-in.  Use is recorded at most once
 * a minute (a write per request would serialise every page view on the
 * database lock), so idle time is measured to the minute.
 *
 * CSRF (synchroniser token, derived): token = HMAC-SHA-256(key = raw session
 * id, "openams csrf v1").  Forms carry it in a hidden field; the server
 * recomputes it from the cookie.  Nothing is stored, a token dies with its
 * session, and an attacker who cannot read the HttpOnly cookie cannot
 * compute it.  SameSite=Strict is the first line, this the second.
 *
 * API tokens ("oat_" + base64url of 32 bytes, stored as SHA-256) act as
 * their person in one agency with a chosen subset of the roles the person
 * holds; at each use the roles are intersected again with those the
 * person still holds, so revoking a person's role (or disabling them) also
 * limits their integrations.
 *
 * Must never: store or log a session id, CSRF token or API token; accept a
 * token that did not come from auth_random_token.
 */
#include "authInt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/util.h"

#define SEEN_GRANULARITY 60
#define API_PREFIX "oat_"

static const char session_denied[] = "session expired or unknown: sign in again";
static const char token_denied[] = "API token unknown, expired or revoked";

void auth_session_new_wipe(auth_session_new *s)
{
	if (s == NULL)
		return;
	oa_wipe(s->token, sizeof s->token);
	oa_wipe(s->csrf, sizeof s->csrf);
}

oa_err auth_csrf_token(const char *session_token, char *out)
{
	static const char label[] = "openams csrf v1";
	uint8_t raw[AUTH_RAW_TOKEN], mac[crypto_auth_hmacsha256_BYTES];

	out[0] = 0;
	if (auth_decode_token(session_token, raw) != 0)
		return oa_fail(OA_ERR_DENIED, "%s", session_denied);
	crypto_auth_hmacsha256(mac, (const uint8_t *)label, sizeof label - 1, raw);
	sodium_bin2base64(out, AUTH_TOKEN_LEN + 1, mac, sizeof mac,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	oa_wipe(raw, sizeof raw);
	oa_wipe(mac, sizeof mac);
	return OA_OK;
}

oa_err auth_csrf_check(const char *session_token, const char *submitted)
{
	char want[AUTH_TOKEN_LEN + 1];
	int ok;

	if (submitted == NULL || strnlen(submitted, AUTH_TOKEN_LEN + 1) != AUTH_TOKEN_LEN ||
	    auth_csrf_token(session_token, want) != OA_OK)
		return oa_fail(OA_ERR_DENIED, "the form's security token is missing or wrong: reload "
		                              "the page and submit again");
	ok = sodium_memcmp(want, submitted, AUTH_TOKEN_LEN) == 0;
	oa_wipe(want, sizeof want);
	return ok ? OA_OK
	          : oa_fail(OA_ERR_DENIED, "the form's security token is missing or wrong: reload "
	                                   "the page and submit again");
}

const char *auth_cookie_name(int tls)
{
	/* The __Host- prefix (RFC 6265bis 4.1.3.2) pins the cookie to this
	 * host, Secure and Path=/; browsers refuse it without TLS. */
	return tls ? "__Host-openams_session" : "openams_session";
}

oa_err auth_cookie_header(char *out, size_t outsz, const char *token, int tls, int64_t max_age)
{
	uint8_t raw[AUTH_RAW_TOKEN];
	int n;

	if (token && auth_decode_token(token, raw) != 0)
		return oa_fail(OA_ERR_INVALID, "not a session token");
	oa_wipe(raw, sizeof raw);
	if (token)
		n = max_age > 0
		        ? snprintf(out, outsz, "%s=%s; Path=/; Max-Age=%" PRId64 "; HttpOnly;%s SameSite=Strict",
		              auth_cookie_name(tls), token, max_age, tls ? " Secure;" : "")
		        : snprintf(out, outsz, "%s=%s; Path=/; HttpOnly;%s SameSite=Strict",
		              auth_cookie_name(tls), token, tls ? " Secure;" : "");
	else
		n = snprintf(out, outsz, "%s=; Path=/; Max-Age=0; HttpOnly;%s SameSite=Strict",
		    auth_cookie_name(tls), tls ? " Secure;" : "");
	if (n < 0 || (size_t)n >= outsz) {
		oa_wipe(out, outsz);
		return oa_fail(OA_ERR_LIMIT, "cookie buffer of %zu bytes too small", outsz);
	}
	return OA_OK;
}

/* ---- Sessions ---- */

oa_err auth_session_insert(auth *a, const char *person, const char *org, const char *method,
    auth_session_new *out)
{
	uint8_t raw[AUTH_RAW_TOKEN], hash[32];
	int64_t now = oa_now();
	store_stmt *st;
	oa_err rc;

	auth_random_token(raw, out->token);
	auth_sha256(raw, sizeof raw, hash);
	oa_wipe(raw, sizeof raw);
	out->expires_at = now + conf_int(a->cf, "auth.session_lifetime_hours") * 3600;
	if ((st = store_prepare(a->db, "INSERT INTO auth_session(hash, person, org, method,"
	                               " created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"))
	    == NULL)
		return OA_ERR_STORE;
	store_bind_blob(st, 1, hash, sizeof hash);
	store_bind_text(st, 2, person);
	store_bind_text(st, 3, org);
	store_bind_text(st, 4, method);
	store_bind_int(st, 5, now);
	store_bind_int(st, 6, now);
	store_bind_int(st, 7, out->expires_at);
	if ((rc = store_run(st)))
		return rc;
	out->id = store_last_id(a->db);
	snprintf(out->person, sizeof out->person, "%s", person);
	snprintf(out->org, sizeof out->org, "%s", org);
	return auth_csrf_token(out->token, out->csrf);
}

static int token_hash(const char *token, uint8_t hash[32])
{
	uint8_t raw[AUTH_RAW_TOKEN];

	if (auth_decode_token(token, raw) != 0)
		return -1;
	auth_sha256(raw, sizeof raw, hash);
	oa_wipe(raw, sizeof raw);
	return 0;
}

/* Records a use at most once per SEEN_GRANULARITY (sessions) or for tokens. */
static oa_err touch(auth *a, const char *sql, int64_t id, int64_t now)
{
	store_stmt *st;
	int own;
	oa_err rc;

	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((st = store_prepare(a->db, sql)) == NULL)
		rc = OA_ERR_STORE;
	else {
		store_bind_int(st, 1, now);
		store_bind_int(st, 2, id);
		rc = store_run(st);
	}
	return store_tx_end(a->db, own, rc);
}

oa_err auth_session_validate(auth *a, const char *token, auth_session *out)
{
	uint8_t hash[32];
	store_stmt *st;
	int64_t now = oa_now(), idle = conf_int(a->cf, "auth.session_idle_minutes") * 60;
	int r, ok = 0;

	memset(out, 0, sizeof *out);
	if (token_hash(token, hash) != 0)
		return oa_fail(OA_ERR_DENIED, "%s", session_denied);
	if ((st = store_prepare(a->db, "SELECT s.id, s.person, s.org, s.method, s.created_at,"
	                               " s.last_seen, s.expires_at, MAX(s.created_at,"
	                               " COALESCE(s.reauth_at, 0)) FROM auth_session s"
	                               " JOIN auth_person p ON p.id = s.person WHERE s.hash = ?"
	                               " AND s.revoked_at IS NULL AND p.disabled = 0")) == NULL)
		return OA_ERR_STORE;
	store_bind_blob(st, 1, hash, sizeof hash);
	if ((r = store_step(st)) == STORE_ROW) {
		out->id = store_col_int(st, 0);
		snprintf(out->person, sizeof out->person, "%s", store_col_text(st, 1));
		snprintf(out->org, sizeof out->org, "%s", store_col_text(st, 2));
		snprintf(out->method, sizeof out->method, "%s", store_col_text(st, 3));
		out->created_at = store_col_int(st, 4);
		out->last_seen = store_col_int(st, 5);
		out->expires_at = store_col_int(st, 6);
		out->authenticated_at = store_col_int(st, 7);
		ok = now < out->expires_at && now - out->last_seen < idle && now >= out->created_at;
	}
	store_reset(st);
	if (r == STORE_ERROR)
		return OA_ERR_STORE;
	if (!ok) {
		memset(out, 0, sizeof *out);
		return oa_fail(OA_ERR_DENIED, "%s", session_denied);
	}
	if (now - out->last_seen >= SEEN_GRANULARITY) {
		oa_err rc = touch(a, "UPDATE auth_session SET last_seen = ? WHERE id = ?", out->id, now);
		if (rc)
			return rc;
		out->last_seen = now;
	}
	return OA_OK;
}

oa_err auth_session_who_at(auth *a, const char *token, auth_who *out, int64_t *authenticated_at)
{
	auth_session s;
	oa_err rc;

	memset(out, 0, sizeof *out);
	if ((rc = auth_session_validate(a, token, &s)))
		return rc;
	if (authenticated_at)
		*authenticated_at = s.authenticated_at;
	return auth_who_get(a, s.person, s.org, out);
}

oa_err auth_session_who(auth *a, const char *token, auth_who *out)
{
	return auth_session_who_at(a, token, out, NULL);
}

oa_err auth_session_reauth(auth *a, const char *token, const char *password)
{
	auth_session s;
	oa_err rc;

	if ((rc = auth_session_validate(a, token, &s)) ||
	    (rc = auth_password_verify(a, s.person, password)))
		return rc;
	return touch(a, "UPDATE auth_session SET reauth_at = ? WHERE id = ? AND revoked_at IS NULL",
	    s.id, oa_now());
}

oa_err auth_session_revoke(auth *a, const char *token, const char *actor)
{
	uint8_t hash[32];
	store_stmt *st;
	int64_t id = 0, revoked = 0;
	char object[32];
	char person[AUTH_MAX_ID + 1] = "";
	int own, r;
	oa_err rc;

	if (token_hash(token, hash) != 0)
		return oa_fail(OA_ERR_NOTFOUND, "no such session");
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((st = store_prepare(a->db, "SELECT id, person, revoked_at IS NOT NULL FROM auth_session"
	                               " WHERE hash = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_blob(st, 1, hash, sizeof hash);
	if ((r = store_step(st)) == STORE_ROW) {
		id = store_col_int(st, 0);
		snprintf(person, sizeof person, "%s", store_col_text(st, 1));
		revoked = store_col_int(st, 2);
	}
	store_reset(st);
	if (r == STORE_ERROR) {
		rc = OA_ERR_STORE;
		goto out;
	}
	if (id == 0) {
		rc = oa_fail(OA_ERR_NOTFOUND, "no such session");
		goto out;
	}
	if (revoked) /* signing out twice is not an error */
		goto out;
	if ((st = store_prepare(a->db, "UPDATE auth_session SET revoked_at = ? WHERE id = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, oa_now());
	store_bind_int(st, 2, id);
	if ((rc = store_run(st)))
		goto out;
	snprintf(object, sizeof object, "session:%" PRId64, id);
	rc = audit_append(a->db, actor ? actor : person, "session.revoke", object, person);
out:
	return store_tx_end(a->db, own, rc);
}

oa_err auth_sessions_revoke_person(auth *a, const char *person, const uint8_t *keep, int64_t *n)
{
	store_stmt *st;
	oa_err rc;

	if ((st = store_prepare(a->db, "UPDATE auth_session SET revoked_at = ?1 WHERE person = ?2"
	                               " AND revoked_at IS NULL AND (?3 IS NULL OR hash <> ?3)"))
	    == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, oa_now());
	store_bind_text(st, 2, person);
	if (keep)
		store_bind_blob(st, 3, keep, 32);
	else
		store_bind_null(st, 3);
	if ((rc = store_run(st)))
		return rc;
	if (n)
		*n = store_changes(a->db);
	return OA_OK;
}

oa_err auth_session_revoke_all(auth *a, const char *person, const char *actor, int64_t *n)
{
	char detail[32];
	int64_t k = 0;
	int own;
	oa_err rc;

	if (n)
		*n = 0;
	if (!auth_valid_id(person))
		return oa_fail(OA_ERR_NOTFOUND, "no such person");
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if (!auth_person_exists(a, person))
		rc = oa_fail(OA_ERR_NOTFOUND, "no person %s", person);
	if (rc == OA_OK && (rc = auth_sessions_revoke_person(a, person, NULL, &k)) == OA_OK) {
		snprintf(detail, sizeof detail, "sessions=%" PRId64, k);
		rc = audit_append(a->db, actor ? actor : person, "session.revoke_all", person, detail);
	}
	if ((rc = store_tx_end(a->db, own, rc)) == OA_OK && n)
		*n = k;
	return rc;
}

/* ---- API tokens ---- */

static oa_err check_token_req(auth *a, const auth_token_req *r, char *roles, size_t rolesz)
{
	int64_t now = oa_now(), max = conf_int(a->cf, "auth.api_token_max_days") * 86400;
	auth_who w;
	size_t used = 0;
	oa_err rc;

	if (r->name == NULL || !*r->name || !oa_is_clean_utf8(r->name) ||
	    oa_utf8_chars(r->name) > 64)
		return oa_fail(OA_ERR_INVALID, "API token name must be 1..64 characters without "
		                               "control characters");
	if (!auth_valid_id(r->person) || !auth_valid_id(r->org))
		return oa_fail(OA_ERR_INVALID, "person and organisation must be given by id");
	if (r->nroles == 0 || r->nroles > AUTH_MAX_ROLES || r->roles == NULL)
		return oa_fail(OA_ERR_INVALID, "an API token needs 1..%d roles", AUTH_MAX_ROLES);
	if (r->expires_at <= now)
		return oa_fail(OA_ERR_INVALID, "API token expiry must be in the future");
	if (r->expires_at - now > max)
		return oa_fail(OA_ERR_POLICY, "API tokens live at most %" PRId64 " days "
		                              "(auth.api_token_max_days)", max / 86400);
	if ((rc = auth_who_get(a, r->person, r->org, &w)))
		return rc == OA_ERR_DENIED ? oa_fail(OA_ERR_INVALID, "no enabled person %s", r->person)
		                           : rc;
	roles[0] = 0;
	for (size_t i = 0; i < r->nroles; i++) {
		if (!auth_valid_role(r->roles[i]))
			return oa_fail(OA_ERR_INVALID, "role must be 1..%d of a-z 0-9 _", AUTH_MAX_ID);
		if (!auth_who_holds(&w, r->roles[i]))
			return oa_fail(OA_ERR_DENIED, "%s does not hold %s in %s: a token cannot grant more "
			                              "than its person holds", r->person, r->roles[i], r->org);
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->roles[i], r->roles[j]) == 0)
				return oa_fail(OA_ERR_INVALID, "role %s is listed twice", r->roles[i]);
		used += (size_t)snprintf(roles + used, rolesz - used, "%s%s", i ? " " : "", r->roles[i]);
	}
	return OA_OK;
}

oa_err auth_token_create(auth *a, const auth_token_req *r, const char *actor, char *out,
    int64_t *id)
{
	char roles[AUTH_MAX_ROLES * (AUTH_MAX_ID + 1)], object[32], detail[OA_MAX_AUDIT_DETAIL];
	uint8_t raw[AUTH_RAW_TOKEN], hash[32];
	char b64[AUTH_TOKEN_LEN + 1];
	int64_t now = oa_now(), tid = 0;
	store_stmt *st;
	int own, s;
	oa_err rc;

	out[0] = 0;
	if (id)
		*id = 0;
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((rc = check_token_req(a, r, roles, sizeof roles)))
		goto out;
	auth_random_token(raw, b64);
	snprintf(out, AUTH_API_TOKEN_LEN + 1, API_PREFIX "%s", b64);
	auth_sha256(out, AUTH_API_TOKEN_LEN, hash);
	oa_wipe(raw, sizeof raw);
	oa_wipe(b64, sizeof b64);
	if ((st = store_prepare(a->db, "INSERT INTO auth_token(hash, name, person, org, roles,"
	                               " created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?,"
	                               " ?, ?)")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_blob(st, 1, hash, sizeof hash);
	store_bind_text(st, 2, r->name);
	store_bind_text(st, 3, r->person);
	store_bind_text(st, 4, r->org);
	store_bind_text(st, 5, roles);
	store_bind_text(st, 6, actor ? actor : "system");
	store_bind_int(st, 7, now);
	store_bind_int(st, 8, r->expires_at);
	if ((s = store_step(st)) == STORE_CONSTRAINT)
		rc = oa_fail(OA_ERR_EXISTS, "organisation %s already has a live API token named '%s'",
		    r->org, r->name);
	else if (s != STORE_DONE)
		rc = OA_ERR_STORE;
	store_reset(st);
	if (rc)
		goto out;
	tid = store_last_id(a->db);
	snprintf(object, sizeof object, "token:%" PRId64, tid);
	snprintf(detail, sizeof detail, "person=%s org=%s roles=%s expires=%" PRId64, r->person,
	    r->org, roles, r->expires_at);
	rc = audit_append(a->db, actor ? actor : "system", "token.create", object, detail);
out:
	if ((rc = store_tx_end(a->db, own, rc))) {
		oa_wipe(out, AUTH_API_TOKEN_LEN + 1);
		return rc;
	}
	if (id)
		*id = tid;
	return OA_OK;
}

oa_err auth_token_verify(auth *a, const char *token, auth_who *out, int64_t *id)
{
	uint8_t raw[AUTH_RAW_TOKEN], hash[32];
	char person[AUTH_MAX_ID + 1], org[AUTH_MAX_ID + 1];
	char roles[AUTH_MAX_ROLES * (AUTH_MAX_ID + 1)];
	int64_t now = oa_now(), tid = 0, last = 0;
	store_stmt *st;
	size_t keep = 0;
	int r, ok = 0;
	oa_err rc;

	memset(out, 0, sizeof *out);
	if (id)
		*id = 0;
	if (token == NULL || strnlen(token, AUTH_API_TOKEN_LEN + 1) != AUTH_API_TOKEN_LEN ||
	    strncmp(token, API_PREFIX, 4) != 0 || auth_decode_token(token + 4, raw) != 0)
		return oa_fail(OA_ERR_DENIED, "%s", token_denied);
	oa_wipe(raw, sizeof raw);
	auth_sha256(token, AUTH_API_TOKEN_LEN, hash);
	if ((st = store_prepare(a->db, "SELECT id, person, org, roles, expires_at,"
	                               " COALESCE(last_used_at, 0) FROM auth_token WHERE hash = ?"
	                               " AND revoked_at IS NULL")) == NULL)
		return OA_ERR_STORE;
	store_bind_blob(st, 1, hash, sizeof hash);
	if ((r = store_step(st)) == STORE_ROW) {
		tid = store_col_int(st, 0);
		snprintf(person, sizeof person, "%s", store_col_text(st, 1));
		snprintf(org, sizeof org, "%s", store_col_text(st, 2));
		snprintf(roles, sizeof roles, "%s", store_col_text(st, 3));
		ok = now < store_col_int(st, 4);
		last = store_col_int(st, 5);
	}
	store_reset(st);
	if (r == STORE_ERROR)
		return OA_ERR_STORE;
	if (!ok || auth_who_get(a, person, org, out) != OA_OK) {
		memset(out, 0, sizeof *out);
		return oa_fail(OA_ERR_DENIED, "%s", token_denied);
	}
	/* Keep only the token's roles among those the person holds now. */
	for (size_t i = 0; i < out->who.nroles; i++) {
		const char *p = roles;
		size_t n = strlen(out->roles[i]);
		int listed = 0;
		while (*p && !listed) {
			size_t w = strcspn(p, " ");
			listed = w == n && strncmp(p, out->roles[i], n) == 0;
			p += w;
			p += strspn(p, " ");
		}
		if (listed) {
			if (keep != i)
				memcpy(out->roles[keep], out->roles[i], sizeof out->roles[0]);
			out->role_ptrs[keep] = out->roles[keep];
			keep++;
		}
	}
	out->who.nroles = keep;
	if (keep == 0) {
		memset(out, 0, sizeof *out);
		return oa_fail(OA_ERR_DENIED, "API token grants no role its person still holds");
	}
	if (now - last >= SEEN_GRANULARITY &&
	    (rc = touch(a, "UPDATE auth_token SET last_used_at = ? WHERE id = ?", tid, now))) {
		memset(out, 0, sizeof *out);
		return rc;
	}
	if (id)
		*id = tid;
	return OA_OK;
}

oa_err auth_token_list(auth *a, const char *org, int (*fn)(const auth_token_info *, void *),
    void *arg)
{
	store_stmt *st;
	auth_token_info t;
	int r;

	if ((st = store_prepare(a->db, "SELECT id, name, person, org, roles, created_by, created_at,"
	                               " expires_at, COALESCE(last_used_at, 0), COALESCE(revoked_at, 0)"
	                               " FROM auth_token WHERE org = ? ORDER BY id")) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, org);
	while ((r = store_step(st)) == STORE_ROW) {
		memset(&t, 0, sizeof t);
		t.id = store_col_int(st, 0);
		snprintf(t.name, sizeof t.name, "%s", store_col_text(st, 1));
		snprintf(t.person, sizeof t.person, "%s", store_col_text(st, 2));
		snprintf(t.org, sizeof t.org, "%s", store_col_text(st, 3));
		snprintf(t.roles, sizeof t.roles, "%s", store_col_text(st, 4));
		snprintf(t.created_by, sizeof t.created_by, "%s", store_col_text(st, 5));
		t.created_at = store_col_int(st, 6);
		t.expires_at = store_col_int(st, 7);
		t.last_used_at = store_col_int(st, 8);
		t.revoked_at = store_col_int(st, 9);
		if (fn(&t, arg))
			break;
	}
	store_reset(st);
	return r == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}

oa_err auth_token_revoke(auth *a, int64_t id, const char *actor)
{
	store_stmt *st;
	char object[32];
	int own;
	oa_err rc;

	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((st = store_prepare(a->db, "UPDATE auth_token SET revoked_at = ? WHERE id = ?"
	                               " AND revoked_at IS NULL")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, oa_now());
	store_bind_int(st, 2, id);
	if ((rc = store_run(st)))
		goto out;
	if (store_changes(a->db) != 1) {
		st = store_prepare(a->db, "SELECT 1 FROM auth_token WHERE id = ?");
		if (st == NULL) {
			rc = OA_ERR_STORE;
			goto out;
		}
		store_bind_int(st, 1, id);
		rc = store_step(st) == STORE_ROW
		         ? oa_fail(OA_ERR_STATE, "API token %" PRId64 " is already revoked", id)
		         : oa_fail(OA_ERR_NOTFOUND, "no API token %" PRId64, id);
		store_reset(st);
		goto out;
	}
	snprintf(object, sizeof object, "token:%" PRId64, id);
	rc = audit_append(a->db, actor ? actor : "system", "token.revoke", object, NULL);
out:
	return store_tx_end(a->db, own, rc);
}
