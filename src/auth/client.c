/*
 * client.c - client applications of the BSrE-compatible signing API
 * (src/esign): an agency administrator registers an application (a
 * username and a random secret, the guide's "API Credentials"), scoped to
 * the agency, with an optional IP allow-list and a rate per minute; it can
 * be disabled, enabled again, and revoked for ever.  Every change is in
 * the audit log.
 *
 * The secret is "oas_" + base64url of 32 random bytes and only its SHA-256
 * is stored (a high-entropy secret needs no slow hash); it is compared in
 * constant time, and an unknown username costs the same hash.  The rate is
 * counted per process in fixed one-minute windows (a small table under a
 * mutex shared by the server's worker threads).
 *
 * Must never: store, log or put into a message a client secret.
 */
#include "authInt.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/util.h"

#define SECRET_PREFIX "oas_"
#define RATE_SLOTS 512

static const char client_denied[] = "unknown, disabled or revoked client application, or wrong "
                                    "secret";

static int username_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 3 || n > AUTH_CLIENT_MAX_USER)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		        ch == '.' || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}

static int ips_ok(const char *s)
{
	if (s == NULL)
		return 1;
	if (strlen(s) > AUTH_CLIENT_MAX_IPS)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
		        *p == '.' || *p == ':' || *p == ',' || *p == ' '))
			return 0;
	return 1;
}

static int ip_allowed(const char *list, const char *ip)
{
	const char *p = list;
	size_t n;

	if (list == NULL || *list == 0)
		return 1;
	if (ip == NULL)
		return 0;
	n = strlen(ip);
	while (*p) {
		p += strspn(p, ", ");
		size_t w = strcspn(p, ", ");
		if (w && w == n && strncasecmp(p, ip, n) == 0)
			return 1;
		p += w;
	}
	return 0;
}

oa_err auth_client_create(auth *a, const auth_client_req *r, const char *actor, char *secret,
    int64_t *id)
{
	uint8_t raw[AUTH_RAW_TOKEN], hash[32];
	char b64[AUTH_TOKEN_LEN + 1], object[96], detail[OA_MAX_AUDIT_DETAIL];
	int rate = r->rate_per_min ? r->rate_per_min : 60;
	store_stmt *st;
	int own, s;
	oa_err rc;

	secret[0] = 0;
	if (id)
		*id = 0;
	if (!username_ok(r->username))
		return oa_fail(OA_ERR_INVALID, "username must be 3 to 64 of A-Z a-z 0-9 . _ -");
	if (r->info && strlen(r->info) > 256)
		return oa_fail(OA_ERR_INVALID, "info is longer than 256 bytes");
	if (!ips_ok(r->ip_allow))
		return oa_fail(OA_ERR_INVALID, "the IP allow-list holds IP addresses separated by commas");
	if (rate < 1 || rate > 100000)
		return oa_fail(OA_ERR_INVALID, "rate must be 1 to 100000 requests per minute");
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if (!auth_org_exists(a, r->org)) {
		rc = oa_fail(OA_ERR_NOTFOUND, "no organisation %s", r->org ? r->org : "");
		goto out;
	}
	auth_random_token(raw, b64);
	snprintf(secret, AUTH_CLIENT_SECRET_LEN + 1, SECRET_PREFIX "%s", b64);
	auth_sha256(secret, AUTH_CLIENT_SECRET_LEN, hash);
	oa_wipe(raw, sizeof raw);
	oa_wipe(b64, sizeof b64);
	if ((st = store_prepare(a->db, "INSERT INTO auth_client(username, hash, org, info, ip_allow,"
	                               " rate_per_min, created_by, created_at) VALUES (?, ?, ?, ?, ?,"
	                               " ?, ?, ?)")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, r->username);
	store_bind_blob(st, 2, hash, sizeof hash);
	store_bind_text(st, 3, r->org);
	store_bind_text(st, 4, r->info ? r->info : "");
	store_bind_text(st, 5, r->ip_allow ? r->ip_allow : "");
	store_bind_int(st, 6, rate);
	store_bind_text(st, 7, actor ? actor : "system");
	store_bind_int(st, 8, oa_now());
	if ((s = store_step(st)) == STORE_CONSTRAINT)
		rc = oa_fail(OA_ERR_EXISTS, "client application username '%s' is taken", r->username);
	else if (s != STORE_DONE)
		rc = OA_ERR_STORE;
	store_reset(st);
	if (rc)
		goto out;
	if (id)
		*id = store_last_id(a->db);
	snprintf(object, sizeof object, "client:%s", r->username);
	snprintf(detail, sizeof detail, "org=%s rate=%d ip_allow=%s", r->org, rate,
	    r->ip_allow && *r->ip_allow ? r->ip_allow : "any");
	rc = audit_append(a->db, actor ? actor : "system", "client.create", object, detail);
out:
	if ((rc = store_tx_end(a->db, own, rc))) {
		oa_wipe(secret, AUTH_CLIENT_SECRET_LEN + 1);
		return rc;
	}
	return OA_OK;
}

#define CLIENT_COLS "id, username, org, info, ip_allow, rate_per_min, enabled, created_by," \
                    " created_at, COALESCE(last_used_at, 0), COALESCE(revoked_at, 0)"

static void client_row(store_stmt *st, auth_client_info *c)
{
	memset(c, 0, sizeof *c);
	c->id = store_col_int(st, 0);
	snprintf(c->username, sizeof c->username, "%s", store_col_text(st, 1));
	snprintf(c->org, sizeof c->org, "%s", store_col_text(st, 2));
	snprintf(c->info, sizeof c->info, "%s", store_col_text(st, 3));
	snprintf(c->ip_allow, sizeof c->ip_allow, "%s", store_col_text(st, 4));
	c->rate_per_min = (int)store_col_int(st, 5);
	c->enabled = (int)store_col_int(st, 6);
	snprintf(c->created_by, sizeof c->created_by, "%s", store_col_text(st, 7));
	c->created_at = store_col_int(st, 8);
	c->last_used_at = store_col_int(st, 9);
	c->revoked_at = store_col_int(st, 10);
}

oa_err auth_client_list(auth *a, const char *org, int (*fn)(const auth_client_info *, void *),
    void *arg)
{
	store_stmt *st;
	auth_client_info c;
	int r;

	if ((st = store_prepare(a->db, org ? "SELECT " CLIENT_COLS " FROM auth_client WHERE org = ?"
	                                     " ORDER BY id"
	                                   : "SELECT " CLIENT_COLS " FROM auth_client ORDER BY id"))
	    == NULL)
		return OA_ERR_STORE;
	if (org)
		store_bind_text(st, 1, org);
	while ((r = store_step(st)) == STORE_ROW) {
		client_row(st, &c);
		if (fn(&c, arg))
			break;
	}
	store_reset(st);
	return r == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}

oa_err auth_client_get(auth *a, const char *username, auth_client_info *out)
{
	store_stmt *st;
	int r;

	memset(out, 0, sizeof *out);
	if (!username_ok(username))
		return oa_fail(OA_ERR_NOTFOUND, "no such client application");
	if ((st = store_prepare(a->db, "SELECT " CLIENT_COLS " FROM auth_client WHERE username = ?"))
	    == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, username);
	if ((r = store_step(st)) == STORE_ROW)
		client_row(st, out);
	store_reset(st);
	if (r == STORE_ERROR)
		return OA_ERR_STORE;
	return r == STORE_ROW ? OA_OK : oa_fail(OA_ERR_NOTFOUND, "no client application %s", username);
}

static oa_err change(auth *a, const char *username, const char *sql, const char *action,
    const char *actor)
{
	auth_client_info c;
	store_stmt *st;
	char object[96];
	int own;
	oa_err rc;

	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((rc = auth_client_get(a, username, &c)))
		goto out;
	if (c.revoked_at) {
		rc = oa_fail(OA_ERR_STATE, "client application %s is revoked", username);
		goto out;
	}
	if ((st = store_prepare(a->db, sql)) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, oa_now());
	store_bind_int(st, 2, c.id);
	if ((rc = store_run(st)))
		goto out;
	snprintf(object, sizeof object, "client:%s", username);
	rc = audit_append(a->db, actor ? actor : "system", action, object, "");
out:
	return store_tx_end(a->db, own, rc);
}

oa_err auth_client_revoke(auth *a, const char *username, const char *actor)
{
	return change(a, username, "UPDATE auth_client SET revoked_at = ?1, enabled = 0 WHERE id = ?2",
	    "client.revoke", actor);
}

oa_err auth_client_set_enabled(auth *a, const char *username, int enabled, const char *actor)
{
	return change(a, username,
	    enabled ? "UPDATE auth_client SET enabled = 1 WHERE id = ?2 AND ?1 IS NOT NULL"
	            : "UPDATE auth_client SET enabled = 0 WHERE id = ?2 AND ?1 IS NOT NULL",
	    enabled ? "client.enable" : "client.disable", actor);
}

/* ---- the rate, per process ---- */

static pthread_mutex_t rate_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int64_t id, minute;
	int count;
} rate_tab[RATE_SLOTS];

/* 1 if the client may make one more request this minute (and counts it). */
static int rate_take(int64_t id, int per_min, int64_t now)
{
	int64_t minute = now / 60;
	size_t slot = (size_t)id % RATE_SLOTS;
	int ok;

	pthread_mutex_lock(&rate_mu);
	if (rate_tab[slot].id != id || rate_tab[slot].minute != minute) {
		rate_tab[slot].id = id;
		rate_tab[slot].minute = minute;
		rate_tab[slot].count = 0;
	}
	ok = rate_tab[slot].count < per_min;
	if (ok)
		rate_tab[slot].count++;
	pthread_mutex_unlock(&rate_mu);
	return ok;
}

oa_err auth_client_verify(auth *a, const char *username, const char *secret, const char *ip,
    auth_client_info *out)
{
	uint8_t hash[32], want[32] = {0};
	const void *blob;
	size_t n = 0, slen = secret ? strlen(secret) : 0;
	int64_t now = oa_now();
	store_stmt *st;
	int r, found = 0, match;

	memset(out, 0, sizeof *out);
	auth_sha256(secret ? secret : "", slen, hash);
	if (!username_ok(username))
		return oa_fail(OA_ERR_DENIED, "%s", client_denied);
	if ((st = store_prepare(a->db, "SELECT " CLIENT_COLS ", hash FROM auth_client"
	                               " WHERE username = ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, username);
	if ((r = store_step(st)) == STORE_ROW) {
		client_row(st, out);
		blob = store_col_blob(st, 11, &n);
		if (blob && n == sizeof want) {
			memcpy(want, blob, sizeof want);
			found = 1;
		}
	}
	store_reset(st);
	if (r == STORE_ERROR)
		return OA_ERR_STORE;
	match = sodium_memcmp(hash, want, sizeof hash) == 0;
	if (!found || !match || slen != AUTH_CLIENT_SECRET_LEN || out->revoked_at || !out->enabled ||
	    !ip_allowed(out->ip_allow, ip)) {
		memset(out, 0, sizeof *out);
		return oa_fail(OA_ERR_DENIED, "%s", client_denied);
	}
	if (!rate_take(out->id, out->rate_per_min, now))
		return oa_fail(OA_ERR_LIMIT, "client application %s made more than %d requests this "
		                             "minute", out->username, out->rate_per_min);
	if (now - out->last_used_at >= 60 &&
	    (st = store_prepare(a->db, "UPDATE auth_client SET last_used_at = ? WHERE id = ?"))) {
		store_bind_int(st, 1, now);
		store_bind_int(st, 2, out->id);
		(void)store_run(st); /* best effort: a busy database does not refuse the request */
	}
	return OA_OK;
}

oa_err auth_person_by_nik(auth *a, const char *nik, auth_person *out)
{
	char id[AUTH_MAX_ID + 1] = "";
	store_stmt *st;
	int r;

	memset(out, 0, sizeof *out);
	if (auth_check_nik(nik) != OA_OK)
		return oa_fail(OA_ERR_NOTFOUND, "no such person");
	if ((st = store_prepare(a->db, "SELECT id FROM auth_person WHERE nik = ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, nik);
	if ((r = store_step(st)) == STORE_ROW)
		snprintf(id, sizeof id, "%s", store_col_text(st, 0));
	store_reset(st);
	if (r == STORE_ERROR)
		return OA_ERR_STORE;
	if (r != STORE_ROW)
		return oa_fail(OA_ERR_NOTFOUND, "no such person");
	return auth_person_get(a, id, out);
}
