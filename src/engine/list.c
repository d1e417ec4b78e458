/*
 * list.c - listings for the portal and the API: the SOP versions of an
 * organisation and the roles they declare.  Nothing here writes.  (Cases
 * are read in query.c, with the one row reader.)
 */
#include <stdio.h>
#include <string.h>

#include "engineInt.h"

oa_err engine_sop_list(engine *e, const char *org, int active_only,
    int (*fn)(const engine_sop_info *, void *), void *arg)
{
	store_stmt *st = store_prepare(engine_store(e),
	    "SELECT id, sop_id, name, kind, version, active, created_at, created_by, sha256"
	    " FROM sop_version WHERE org = ? AND (? = 0 OR active = 1)"
	    " ORDER BY sop_id, version DESC");
	engine_sop_info in;
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, org);
	store_bind_int(st, 2, active_only ? 1 : 0);
	while ((step = store_step(st)) == STORE_ROW) {
		memset(&in, 0, sizeof in);
		in.version_id = store_col_int(st, 0);
		in.sop_id = store_col_text(st, 1);
		in.name = store_col_text(st, 2);
		in.kind = store_col_text(st, 3);
		in.version = store_col_int(st, 4);
		in.active = (int)store_col_int(st, 5);
		in.created_at = store_col_int(st, 6);
		in.created_by = store_col_text(st, 7);
		in.sha256 = store_col_text(st, 8);
		if (fn(&in, arg))
			break;
	}
	store_reset(st);
	return step < 0 ? OA_ERR_STORE : OA_OK;
}

oa_err engine_sop_version(engine *e, int64_t version_id, char *org, size_t orgsz,
    const sop_def **def)
{
	store_stmt *st = store_prepare(engine_store(e), "SELECT org FROM sop_version WHERE id = ?");
	int step;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, version_id);
	step = store_step(st);
	if (step == STORE_ROW && org)
		snprintf(org, orgsz, "%s", store_col_text(st, 0));
	store_reset(st);
	if (step == STORE_DONE)
		return oa_fail(OA_ERR_NOTFOUND, "no SOP version %lld", (long long)version_id);
	if (step != STORE_ROW)
		return OA_ERR_STORE;
	return def ? engine_def(e, version_id, def) : OA_OK;
}

int engine_role_declared(engine *e, const char *org, const char *role)
{
	store_stmt *st = store_prepare(engine_store(e),
	    "SELECT 1 FROM sop_step_role r JOIN sop_version v ON v.id = r.version_id"
	    " WHERE v.org = ? AND r.role = ? LIMIT 1");
	int step;

	if (st == NULL)
		return -1;
	store_bind_text(st, 1, org);
	store_bind_text(st, 2, role);
	step = store_step(st);
	store_reset(st);
	return step == STORE_ROW ? 1 : step == STORE_DONE ? 0 : -1;
}

oa_err engine_role_grantable(engine *e, const char *person, const char *org, const char *role)
{
	auth_person p;
	int d;
	oa_err rc;

	if (strcmp(role, AUTH_ROLE_ADMIN) != 0 && strcmp(role, AUTH_ROLE_CA_OPERATOR) != 0) {
		if ((d = engine_role_declared(e, org, role)) < 0)
			return OA_ERR_STORE;
		if (d == 0)
			return oa_fail(OA_ERR_INVALID, "role '%s' is neither built in (admin, ca_operator) nor"
			    " an actor of an SOP installed for %s", role, org);
		return OA_OK;
	}
	if ((rc = auth_person_get(engine_auth(e), person, &p)))
		return rc;
	if (!p.staff_only)
		return oa_fail(OA_ERR_POLICY, "%s is an applicant account: %s is held only by staff-only"
		    " accounts (create a separate account for administration)", person, role);
	return OA_OK;
}
