/*
 * batch.c - the group commit's acts (engine.h): what certificate an act
 * needs (engine_act_cert, which changes nothing), finishing an act with the
 * serial of a certificate already issued for it (engine_case_act_issued),
 * and many acts in the caller's transaction with their certificates issued
 * by one ca_issue_batch (engine_case_act_batch, built on those two).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engineInt.h"

void engine_cert_need_free(engine_cert_need *n)
{
	if (n == NULL)
		return;
	free(n->csr);
	n->csr = NULL;
}

oa_err engine_act_cert(engine *e, const engine_who *who, const engine_act *a,
    engine_cert_need *out)
{
	struct kase k;
	const sop_step *s;
	oa_err rc;

	engine_cert_need_free(out);
	memset(out, 0, sizeof *out);
	out->need = ENGINE_CERT_NONE;
	/* An act that would be refused, enters data or brings a key issues
	 * nothing here: it runs the ordinary way (and fails or succeeds there). */
	if ((rc = engine_act_check(e, who, a, &k)))
		return rc;
	s = &k.def->steps[k.cur];
	if (engine_act_effective(s, a) != SOP_ACT_ISSUE || a->ndata > 0)
		return OA_OK;
	if (a->decision != ENGINE_NO && (rc = engine_act_documents(e, &k, s, SOP_ACT_ISSUE)))
		return rc;
	/* A renewal revokes the old certificate first: the ordinary way. */
	if (engine_cert_renews_first(e, &k)) {
		out->need = ENGINE_CERT_PLAIN;
		return OA_OK;
	}
	if ((rc = engine_cert_request(e, &k, who->person, out))) {
		engine_cert_need_free(out);
		out->need = ENGINE_CERT_NONE;
		return rc;
	}
	out->need = ENGINE_CERT_ISSUE;
	return OA_OK;
}

oa_err engine_case_act_issued(engine *e, const engine_who *who, const engine_act *a,
    const engine_act_prep *p, const char *serial, engine_result *res)
{
	if (serial == NULL || !*serial)
		return oa_fail(OA_ERR_INTERNAL, "engine_case_act_issued needs the issued serial");
	return engine_act_run(e, who, a, p, serial, res);
}

/* ---- many acts in one transaction ----------------------------------- */

static void item_fail(engine_batch_item *it, oa_err rc, const char *msg)
{
	it->rc = rc ? rc : OA_ERR_INTERNAL;
	snprintf(it->msg, sizeof it->msg, "%s", msg && *msg ? msg : "failed");
	memset(&it->res, 0, sizeof it->res);
}

/* One act in a savepoint of its own, finished with serial when not NULL;
 * -1 if the transaction itself failed. */
static int item_run(engine *e, engine_batch_item *it, const char *serial)
{
	oa_err rc;

	if (store_savepoint(engine_store(e)))
		return -1;
	rc = serial ? engine_case_act_issued(e, it->who, it->act, it->prep, serial, &it->res)
	            : engine_case_act_prepared(e, it->who, it->act, it->prep, &it->res);
	if (!store_tx_alive(engine_store(e)))
		return -1;
	if (rc == OA_OK) {
		if (store_release(engine_store(e)))
			return -1;
		it->rc = OA_OK;
		it->msg[0] = 0;
		return 0;
	}
	item_fail(it, rc, oa_errmsg());
	store_rollback_to(engine_store(e));
	return 0;
}

oa_err engine_case_act_batch(engine *e, engine_batch_item *items, size_t n)
{
	engine_cert_need *need = calloc(n ? n : 1, sizeof *need);
	size_t *grp = calloc(n ? n : 1, sizeof *grp), ng = 0;
	char *plain = calloc(n ? n : 1, 1);
	ca_request *reqs = NULL;
	ca_issued *outs = NULL;
	oa_err *rcs = NULL;
	char (*msgs)[256] = NULL;
	oa_err rc = OA_OK;

	if (need == NULL || grp == NULL || plain == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!store_in_tx(engine_store(e))) {
		rc = oa_fail(OA_ERR_INTERNAL, "engine_case_act_batch runs in the caller's transaction");
		goto out;
	}
	/* 1. Every act that issues no certificate runs now, in order; the
	 *    certificates the others need are gathered (engine_act_cert). */
	for (size_t i = 0; i < n; i++) {
		if (engine_act_cert(e, items[i].who, items[i].act, &need[i]) != OA_OK) {
			oa_err_clear();
			if (!store_tx_alive(engine_store(e)))
				goto broken;
		}
		if (need[i].need == ENGINE_CERT_NONE) {
			if (item_run(e, &items[i], NULL) < 0)
				goto broken;
			continue; /* done or refused, for good */
		}
		items[i].rc = OA_OK;
		items[i].msg[0] = 0;
		plain[i] = 1;
		if (need[i].need == ENGINE_CERT_PLAIN)
			continue; /* a renewal */
		for (size_t k = 0; k < ng && plain[i]; k++)
			if (items[grp[k]].act->case_id == items[i].act->case_id)
				plain[i] = 2; /* a second act on a case: after the first */
		if (plain[i] == 1) {
			plain[i] = 0;
			grp[ng++] = i;
		}
	}
	/* 2. Their certificates, with one ca_issue_batch (one signing round
	 *    trip); 3. each act finished with its certificate.  Should an act
	 *    fail after its certificate was stored, the whole group is undone
	 *    and runs the ordinary way, one by one. */
	if (ng > 0) {
		int fallback = 0;
		if ((reqs = calloc(ng, sizeof *reqs)) == NULL || (outs = calloc(ng, sizeof *outs)) == NULL ||
		    (rcs = calloc(ng, sizeof *rcs)) == NULL || (msgs = calloc(ng, sizeof *msgs)) == NULL) {
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t k = 0; k < ng; k++)
			reqs[k] = need[grp[k]].r;
		if (store_savepoint(engine_store(e)))
			goto broken;
		if (ca_issue_batch(engine_ca(e), reqs, ng, outs, rcs, msgs) != OA_OK) {
			if (!store_tx_alive(engine_store(e)))
				goto broken;
			oa_err_clear();
			fallback = 1;
		}
		for (size_t k = 0; k < ng && !fallback; k++) {
			size_t i = grp[k];
			if (rcs[k]) {
				item_fail(&items[i], rcs[k], msgs[k]); /* as ca_issue would have */
				continue;
			}
			if (item_run(e, &items[i], outs[k].serial) < 0)
				goto broken;
			/* It must have gone the way it was asked: its issue step. */
			fallback = items[i].rc != OA_OK || strcmp(items[i].res.issued, outs[k].serial) != 0;
		}
		if (fallback) {
			store_rollback_to(engine_store(e));
			if (!store_tx_alive(engine_store(e)))
				goto broken;
			for (size_t k = 0; k < ng; k++)
				plain[grp[k]] = 1;
		} else if (store_release(engine_store(e)))
			goto broken;
	}
	/* 4. The ordinary way: renewals, second acts on a case, a fallen group. */
	for (int round = 1; round <= 2; round++)
		for (size_t i = 0; i < n; i++)
			if (plain[i] == round && item_run(e, &items[i], NULL) < 0)
				goto broken;
	goto out;
broken:
	rc = *oa_errmsg() ? OA_ERR_STORE : oa_fail(OA_ERR_STORE, "database: the transaction was lost");
out:
	for (size_t i = 0; need && i < n; i++)
		engine_cert_need_free(&need[i]);
	for (size_t k = 0; outs && k < ng; k++)
		ca_issued_free(&outs[k]);
	free(need);
	free(grp);
	free(plain);
	free(reqs);
	free(outs);
	free(rcs);
	free(msgs);
	return rc;
}
