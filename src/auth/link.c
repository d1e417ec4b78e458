/*
 * link.c - one-time links sent by e-mail: account activation, the identity
 * form, setting the certificate passphrase, password reset (seed 001 steps
 * 5, 6 and 9; a forgotten password).
 *
 * A link token is 32 random bytes in base64url; the database keeps its
 * SHA-256, its kind, person, optional case, expiry and state:
 *
 *   auth_link_create()        auth_link_consume()
 *   (none) -------> pending ---------------------> used        (final)
 *                     |
 *                     | a newer link of the same kind for the person
 *                     v
 *                  superseded                                  (final)
 *
 * Expiry is judged at use (expires_at), not written.  Consumption is one
 * conditional UPDATE (state = 'pending' AND kind AND not expired), so two
 * concurrent uses cannot both succeed; the triggers of migration 5 keep
 * used and superseded links final.
 *
 * Must never: store or log a link token.
 */
#include "authInt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "../common/util.h"

#define MAX_TTL (30 * 86400)

static const char *const kinds[AUTH_LINK__MAX] = {
    "activation", "identity_form", "set_passphrase", "password_reset"};

const char *auth_link_kind_name(auth_link_kind k)
{
	return (unsigned)k < AUTH_LINK__MAX ? kinds[k] : "unknown";
}

int auth_link_kind_parse(const char *s)
{
	for (int i = 0; s && i < AUTH_LINK__MAX; i++)
		if (strcmp(s, kinds[i]) == 0)
			return i;
	return -1;
}

oa_err auth_link_create(auth *a, auth_link_kind kind, const char *person, int64_t case_id,
    int64_t ttl_s, const char *actor, char *out)
{
	uint8_t raw[AUTH_RAW_TOKEN], hash[32];
	int64_t now = oa_now(), id;
	char object[32], detail[128];
	store_stmt *st;
	int own;
	oa_err rc;

	out[0] = 0;
	if ((unsigned)kind >= AUTH_LINK__MAX)
		return oa_fail(OA_ERR_INVALID, "link kind must be activation, identity_form, "
		                               "set_passphrase or password_reset");
	if (!auth_valid_id(person))
		return oa_fail(OA_ERR_INVALID, "person must be given by user name");
	if (case_id < 0)
		return oa_fail(OA_ERR_INVALID, "case id must be positive (0: none)");
	if (ttl_s == 0)
		ttl_s = conf_int(a->cf, "auth.link_ttl_hours") * 3600;
	if (ttl_s < 60 || ttl_s > MAX_TTL)
		return oa_fail(OA_ERR_INVALID, "link validity must be 60 s .. 30 days");
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if (!auth_person_enabled(a, person)) {
		rc = oa_fail(OA_ERR_NOTFOUND, "no enabled person %s", person);
		goto out;
	}
	if ((st = store_prepare(a->db, "UPDATE auth_link SET state = 'superseded', used_at = ?"
	                               " WHERE person = ? AND kind = ? AND state = 'pending'")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, now);
	store_bind_text(st, 2, person);
	store_bind_text(st, 3, kinds[kind]);
	if ((rc = store_run(st)))
		goto out;
	auth_random_token(raw, out);
	auth_sha256(raw, sizeof raw, hash);
	oa_wipe(raw, sizeof raw);
	if ((st = store_prepare(a->db, "INSERT INTO auth_link(hash, kind, person, case_id,"
	                               " created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"))
	    == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_blob(st, 1, hash, sizeof hash);
	store_bind_text(st, 2, kinds[kind]);
	store_bind_text(st, 3, person);
	if (case_id)
		store_bind_int(st, 4, case_id);
	else
		store_bind_null(st, 4);
	store_bind_text(st, 5, actor ? actor : "system");
	store_bind_int(st, 6, now);
	store_bind_int(st, 7, now + ttl_s);
	if ((rc = store_run(st)))
		goto out;
	id = store_last_id(a->db);
	snprintf(object, sizeof object, "link:%" PRId64, id);
	snprintf(detail, sizeof detail, "kind=%s person=%s case=%" PRId64 " expires=%" PRId64,
	    kinds[kind], person, case_id, now + ttl_s);
	rc = audit_append(a->db, actor ? actor : "system", "link.create", object, detail);
out:
	if ((rc = store_tx_end(a->db, own, rc)))
		oa_wipe(out, AUTH_TOKEN_LEN + 1);
	return rc;
}

/* The pending link of kind with this token: its row id, person and case;
 * the refusals of auth_link_consume() otherwise.  Reads only. */
static oa_err link_find(auth *a, auth_link_kind kind, const char *token, char *person,
    int64_t *case_id, int64_t *idp)
{
	uint8_t raw[AUTH_RAW_TOKEN], hash[32];
	int64_t now = oa_now(), id = 0, expires = 0;
	char state[16] = "", lkind[20] = "";
	store_stmt *st;
	int r;
	oa_err rc = OA_OK;

	person[0] = 0;
	*case_id = 0;
	*idp = 0;
	if ((unsigned)kind >= AUTH_LINK__MAX)
		return oa_fail(OA_ERR_INVALID, "unknown link kind");
	if (auth_decode_token(token, raw) != 0)
		return oa_fail(OA_ERR_NOTFOUND, "this link is not valid: check that the whole address "
		                                "was copied");
	auth_sha256(raw, sizeof raw, hash);
	oa_wipe(raw, sizeof raw);
	if ((st = store_prepare(a->db, "SELECT id, kind, person, COALESCE(case_id, 0), expires_at,"
	                               " state FROM auth_link WHERE hash = ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_blob(st, 1, hash, sizeof hash);
	if ((r = store_step(st)) == STORE_ROW) {
		id = store_col_int(st, 0);
		snprintf(lkind, sizeof lkind, "%s", store_col_text(st, 1));
		snprintf(person, AUTH_MAX_ID + 1, "%s", store_col_text(st, 2));
		*case_id = store_col_int(st, 3);
		expires = store_col_int(st, 4);
		snprintf(state, sizeof state, "%s", store_col_text(st, 5));
	}
	store_reset(st);
	if (r == STORE_ERROR)
		rc = OA_ERR_STORE;
	else if (id == 0)
		rc = oa_fail(OA_ERR_NOTFOUND, "this link is not valid: check that the whole address "
		                              "was copied");
	else if (strcmp(lkind, kinds[kind]) != 0)
		rc = oa_fail(OA_ERR_DENIED, "this link is not a %s link", kinds[kind]);
	else if (strcmp(state, "used") == 0)
		rc = oa_fail(OA_ERR_STATE, "this link has already been used");
	else if (strcmp(state, "superseded") == 0)
		rc = oa_fail(OA_ERR_STATE, "a newer link was sent: use the latest e-mail");
	else if (now >= expires)
		rc = oa_fail(OA_ERR_STATE, "this link has expired: ask for a new one");
	if (rc) {
		person[0] = 0;
		*case_id = 0;
		return rc;
	}
	*idp = id;
	return OA_OK;
}

oa_err auth_link_peek(auth *a, auth_link_kind kind, const char *token, char *person,
    int64_t *case_id)
{
	int64_t id;

	return link_find(a, kind, token, person, case_id, &id);
}

oa_err auth_link_consume(auth *a, auth_link_kind kind, const char *token, char *person,
    int64_t *case_id)
{
	int64_t now = oa_now(), id = 0;
	char object[32], detail[64];
	store_stmt *st;
	int own;
	oa_err rc;

	person[0] = 0;
	*case_id = 0;
	if ((unsigned)kind >= AUTH_LINK__MAX)
		return oa_fail(OA_ERR_INVALID, "unknown link kind");
	if ((rc = store_tx_begin(a->db, &own)))
		return rc;
	if ((rc = link_find(a, kind, token, person, case_id, &id)))
		goto out;
	if ((st = store_prepare(a->db, "UPDATE auth_link SET state = 'used', used_at = ? WHERE id = ?"
	                               " AND state = 'pending' AND expires_at > ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, now);
	store_bind_int(st, 2, id);
	store_bind_int(st, 3, now);
	if ((rc = store_run(st)))
		goto out;
	if (store_changes(a->db) != 1) {
		rc = oa_fail(OA_ERR_STATE, "this link has already been used");
		goto out;
	}
	snprintf(object, sizeof object, "link:%" PRId64, id);
	snprintf(detail, sizeof detail, "kind=%s", kinds[kind]);
	rc = audit_append(a->db, person, "link.use", object, detail);
out:
	if ((rc = store_tx_end(a->db, own, rc))) {
		person[0] = 0;
		*case_id = 0;
	}
	return rc;
}
