/*
 * enrol.c - a person enrolled for a certificate by a client application
 * (the e-sign API's user registration), as one transaction of the engine's:
 * the account (an existing one, or a new one under the first free user
 * name), the applicant role in the agency, the case of its issuance SOP and
 * an audit record commit together or not at all.  The API handler checks
 * the request and answers; the composite operation is here, so the web
 * layer holds no transaction.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "../store/store.h"
#include "engineInt.h"

/* The account: q->person, or a new one made under the first of q->ids
 * that is free. */
static oa_err enrol_account(engine *e, const engine_enrol_req *q, char *person, int *created)
{
	auth_person_in in = q->account;
	oa_err rc = OA_OK;

	if (q->person) {
		snprintf(person, AUTH_MAX_ID + 1, "%s", q->person);
		return OA_OK;
	}
	for (size_t i = 0; i < q->nids; i++) {
		in.id = q->ids[i];
		if ((rc = auth_person_create(engine_auth(e), &in, q->actor)) != OA_ERR_EXISTS ||
		    strstr(oa_errmsg(), "user name") == NULL)
			break;
	}
	if (rc == OA_OK) {
		snprintf(person, AUTH_MAX_ID + 1, "%s", in.id);
		*created = 1;
	}
	return rc;
}

oa_err engine_enrol(engine *e, const engine_enrol_req *q, char person[AUTH_MAX_ID + 1],
    int *created, int64_t *case_id)
{
	store *db = engine_store(e);
	const char *roles[1];
	engine_open_req o = {0};
	engine_who who = {0};
	char object[48], detail[256];
	oa_err rc;

	*created = 0;
	*case_id = 0;
	person[0] = '\0';
	if (q->person == NULL && q->nids == 0)
		return oa_fail(OA_ERR_INVALID, "no user name for the new account");
	if (store_in_tx(db))
		return oa_fail(OA_ERR_STATE, "engine_enrol runs its own transaction");
	if ((rc = store_begin(db)))
		return rc;
	if ((rc = enrol_account(e, q, person, created)))
		goto fail;
	if ((rc = auth_role_grant(engine_auth(e), person, q->org, q->role, q->actor)) ==
	    OA_ERR_EXISTS)
		rc = OA_OK;
	if (rc)
		goto fail;
	roles[0] = q->role;
	who.person = person;
	who.org = q->org;
	who.roles = roles;
	who.nroles = 1;
	o.org = q->org;
	o.sop_id = q->sop_id;
	o.applicant = person;
	o.applicant_nik = q->account.nik;
	if ((rc = engine_case_open(e, &who, &o, case_id)))
		goto fail;
	snprintf(object, sizeof object, "sop_case:%" PRId64, *case_id);
	snprintf(detail, sizeof detail, "nik=%s person=%s new_account=%d sop=%s client=%s",
	    q->account.nik, person, *created, q->sop_id, q->client ? q->client : "-");
	if ((rc = audit_append(db, q->actor, "esign.registration", object, detail)) ||
	    (rc = store_commit(db)))
		goto fail;
	return OA_OK;
fail:
	store_rollback(db);
	*created = 0;
	*case_id = 0;
	return rc;
}
