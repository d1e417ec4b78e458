/*
 * test_engine_batch.c - engine_case_act_batch, the group commit of many
 * acts in one transaction (what `openams serve`'s committer runs): each act
 * succeeds or fails on its own, as engine_case_act would, and a refused act
 * leaves no trace while the others of its transaction commit; the issue
 * steps among them get their certificates from one ca_issue_batch; a
 * renewal and a second act on a case go the ordinary way; an act that fails
 * after its certificate was stored undoes its group, which then runs one
 * by one (only that act fails); the two calls it is built on
 * (engine_act_cert, engine_case_act_issued) on their own; the audit chain
 * verifies afterwards.
 *
 * One process, one instance under mkdtemp (engine_fixture.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "engine_fixture.h"

/* A case of SOP 001 walked to the BSrE issue step (11). */
static int64_t at_issue(struct applicant *app)
{
	struct walkopt o = {.stop_at = "11"};
	struct walkres w;
	int64_t id = open_case(ORG, "meranti-penerbitan", NULL, app, 0);

	walk(id, app, &o, &w);
	expect_state(id, "open", "11");
	return id;
}

struct probe {
	int64_t id;
	struct snap before;
};

static void probe_take(struct probe *p, int64_t id)
{
	p->id = id;
	snap_take(&p->before, id);
}

/* The case did not move and has no certificate of its own. */
static void untouched(const struct probe *p, const char *nik, int line)
{
	engine_case c;

	assert_int_equal(engine_case_get(E, p->id, &c), OA_OK);
	if (strcmp(c.step, p->before.step) || strcmp(c.state, p->before.state) ||
	    c.transitions != p->before.transitions || c.issued[0])
		fail_msg("line %d: refused act on case %" PRId64 " moved it: %s/%s/%d -> %s/%s/%d (%s)",
		    line, p->id, p->before.state, p->before.step, p->before.transitions, c.state, c.step,
		    c.transitions, c.issued);
	if (nik && nik_active(nik, NULL) != 0)
		fail_msg("line %d: refused act on case %" PRId64 " left a certificate", line, p->id);
	if (count("SELECT COUNT(*) FROM audit WHERE object = 'case:%" PRId64 "' AND action = 'case.act'"
	          " AND detail LIKE 'step=%s %%'", p->id, p->before.step) != 0)
		fail_msg("line %d: refused act on case %" PRId64 " left an audit record", line, p->id);
}

/* The case completed with the certificate res names, active, for nik. */
static void issued(int64_t id, const engine_batch_item *it, const char *nik, int line)
{
	engine_case c;

	if (it->rc != OA_OK)
		fail_msg("line %d: case %" PRId64 ": %s: %s", line, id, ename(it->rc), it->msg);
	assert_int_equal(engine_case_get(E, id, &c), OA_OK);
	if (strcmp(c.state, "completed") || !it->res.issued[0] || strcmp(c.issued, it->res.issued))
		fail_msg("line %d: case %" PRId64 " is %s with %s, the act said %s", line, id, c.state,
		    c.issued, it->res.issued);
	assert_string_equal(cert_status(it->res.issued, NULL), "active");
	assert_int_equal(nik_active(nik, NULL), 1);
	assert_int_equal(count("SELECT COUNT(*) FROM audit WHERE action = 'cert.issue'"
	                       " AND object = 'certificate:%s'", it->res.issued), 1);
}

static void audit_ok(void)
{
	audit_report rep;

	if (audit_verify(ca_store(C), &rep) != OA_OK)
		fail_msg("audit chain: %s", oa_errmsg());
}

static oa_err run_batch(engine_batch_item *items, size_t n)
{
	oa_err rc;

	assert_int_equal(store_begin(ca_store(C)), OA_OK);
	if ((rc = engine_case_act_batch(E, items, n)) != OA_OK) {
		store_rollback(ca_store(C));
		return rc;
	}
	return store_commit(ca_store(C));
}

/* Refusals of every kind mixed with acts that succeed, in one transaction. */
static void test_mixed(void **state)
{
	struct applicant a, b, d, f, g, h;
	struct person bsre, kadis, wrong;
	struct probe pb, pd, pf;
	engine_act acts[8];
	engine_batch_item it[8];
	int64_t ia, ib, id, ie, iff, ig;
	char blocking[41];
	int64_t certs0;

	(void)state;
	ia = at_issue(&a);
	ib = at_issue(&b);
	id = at_issue(&d);
	iff = at_issue(&f);
	ig = at_issue(&g);
	ie = open_case(ORG, "meranti-penerbitan", NULL, &h, 0);
	{
		struct walkopt o = {.stop_at = "2"};
		struct walkres w;
		walk(ie, &h, &o, &w);
		expect_state(ie, "open", "2");
	}
	/* d's NIK already holds an active certificate: the CA refuses. */
	existing_cert(d.nik, blocking, 0);
	person1(&bsre, "bsre-batch", ORG, "bsre");
	person1(&kadis, "kadis-batch", ORG, "kadis");
	person1(&wrong, "verif-batch", ORG, "verifikator");
	probe_take(&pb, ib);
	probe_take(&pd, id);
	probe_take(&pf, iff);
	certs0 = count("SELECT COUNT(*) FROM certificate");

	memset(acts, 0, sizeof acts);
	memset(it, 0, sizeof it);
	acts[0] = (engine_act){.case_id = ia, .step = "11", .role = "bsre"};
	acts[1] = (engine_act){.case_id = ib, .step = "11", .role = "verifikator"}; /* not the step's role */
	acts[2] = (engine_act){.case_id = ig, .step = "11", .role = "bsre"};
	acts[3] = (engine_act){.case_id = ia, .step = "11", .role = "bsre"};        /* a second time */
	acts[4] = (engine_act){.case_id = id, .step = "11", .role = "bsre"};        /* NIK policy */
	acts[5] = (engine_act){.case_id = ie, .step = "2", .role = "kadis"};        /* not an issue */
	acts[6] = (engine_act){.case_id = iff, .step = "10", .role = "bsre"};       /* not current */
	acts[7] = (engine_act){.case_id = ib, .step = "11", .role = "bsre", .note = "\x01"};
	for (int i = 0; i < 8; i++) {
		it[i].act = &acts[i];
		it[i].who = i == 1 ? &wrong.who : i == 5 ? &kadis.who : &bsre.who;
	}
	assert_int_equal(run_batch(it, 8), OA_OK);

	issued(ia, &it[0], a.nik, __LINE__);
	issued(ig, &it[2], g.nik, __LINE__);
	assert_string_not_equal(it[0].res.issued, it[2].res.issued);
	assert_int_equal(it[1].rc, OA_ERR_DENIED);
	assert_non_null(strstr(it[1].msg, "not done by role 'verifikator'"));
	/* The second act on a's case came after the first: a's case is done. */
	assert_int_equal(it[3].rc, OA_ERR_STATE);
	assert_non_null(strstr(it[3].msg, "is completed"));
	assert_int_equal(it[4].rc, OA_ERR_POLICY);
	assert_non_null(strstr(it[4].msg, blocking));
	assert_int_equal(it[5].rc, OA_OK);
	expect_state(ie, "open", "3");
	assert_int_equal(it[6].rc, OA_ERR_STATE);
	assert_non_null(strstr(it[6].msg, "not the current step"));
	assert_int_equal(it[7].rc, OA_ERR_INVALID);
	/* No trace of the refusals; exactly two new certificates. */
	untouched(&pb, b.nik, __LINE__);
	untouched(&pf, f.nik, __LINE__);
	untouched(&pd, NULL, __LINE__);
	assert_int_equal(nik_active(d.nik, blocking), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs0 + 2);
	for (int i = 0; i < 8; i++)
		if (it[i].rc != OA_OK && it[i].res.issued[0])
			fail_msg("refused item %d reports a certificate", i);
	audit_ok();

	/* The refused ones, acted on properly afterwards, go through. */
	memset(it, 0, 2 * sizeof it[0]);
	acts[0] = (engine_act){.case_id = ib, .step = "11", .role = "bsre"};
	acts[1] = (engine_act){.case_id = iff, .step = "11", .role = "bsre"};
	it[0] = (engine_batch_item){.who = &bsre.who, .act = &acts[0]};
	it[1] = (engine_batch_item){.who = &bsre.who, .act = &acts[1]};
	assert_int_equal(run_batch(it, 2), OA_OK);
	issued(ib, &it[0], b.nik, __LINE__);
	issued(iff, &it[1], f.nik, __LINE__);
	audit_ok();
	applicant_free(&a);
	applicant_free(&b);
	applicant_free(&d);
	applicant_free(&f);
	applicant_free(&g);
	applicant_free(&h);
}

/* A renewal (revokes the old certificate first) beside plain issuances. */
static void test_renewal(void **state)
{
	struct applicant a, r;
	struct person bsre;
	struct walkopt o = {.stop_at = "7"};
	struct walkres w;
	engine_act acts[2];
	engine_batch_item it[2];
	int64_t ia, ir;
	int reason = -1;

	(void)state;
	ia = at_issue(&a);
	ir = open_case(ORG, "contoh-pembaruan", NULL, &r, 20);
	walk(ir, &r, &o, &w);
	expect_state(ir, "open", "7");
	person1(&bsre, "bsre-renew", ORG, "bsre");
	acts[0] = (engine_act){.case_id = ir, .step = "7", .role = "bsre"};
	acts[1] = (engine_act){.case_id = ia, .step = "11", .role = "bsre"};
	memset(it, 0, sizeof it);
	it[0] = (engine_batch_item){.who = &bsre.who, .act = &acts[0]};
	it[1] = (engine_batch_item){.who = &bsre.who, .act = &acts[1]};
	assert_int_equal(run_batch(it, 2), OA_OK);
	issued(ia, &it[1], a.nik, __LINE__);
	if (it[0].rc != OA_OK)
		fail_msg("renewal: %s: %s", ename(it[0].rc), it[0].msg);
	assert_true(it[0].res.issued[0] != 0);
	assert_string_equal(it[0].res.revoked, r.serial);
	assert_string_equal(cert_status(r.serial, &reason), "revoked");
	assert_int_equal(reason, CA_REASON_SUPERSEDED);
	assert_string_equal(cert_status(it[0].res.issued, NULL), "active");
	audit_ok();
	applicant_free(&a);
	applicant_free(&r);
}

/* An act that fails after its certificate was stored (a trigger refuses its
 * transition once the certificate exists): the group is undone and runs one
 * by one; only that act fails, and leaves nothing. */
static void test_group_fallback(void **state)
{
	struct applicant a, b, c;
	struct person bsre;
	struct probe pb;
	engine_act acts[3];
	engine_batch_item it[3];
	int64_t ia, ib, ic, certs0;
	char sql[512];

	(void)state;
	ia = at_issue(&a);
	ib = at_issue(&b);
	ic = at_issue(&c);
	person1(&bsre, "bsre-fall", ORG, "bsre");
	snprintf(sql, sizeof sql,
	    "CREATE TEMP TRIGGER refuse_b BEFORE INSERT ON sop_transition"
	    " WHEN NEW.case_id = %" PRId64 " AND (SELECT COUNT(*) FROM certificate WHERE nik = '%s') > 0"
	    " BEGIN SELECT RAISE(ABORT, 'injected refusal'); END",
	    ib, b.nik);
	assert_int_equal(store_exec(ca_store(C), sql), OA_OK);
	probe_take(&pb, ib);
	certs0 = count("SELECT COUNT(*) FROM certificate");
	acts[0] = (engine_act){.case_id = ia, .step = "11", .role = "bsre"};
	acts[1] = (engine_act){.case_id = ib, .step = "11", .role = "bsre"};
	acts[2] = (engine_act){.case_id = ic, .step = "11", .role = "bsre"};
	memset(it, 0, sizeof it);
	for (int i = 0; i < 3; i++)
		it[i] = (engine_batch_item){.who = &bsre.who, .act = &acts[i]};
	assert_int_equal(run_batch(it, 3), OA_OK);
	assert_int_equal(store_exec(ca_store(C), "DROP TRIGGER temp.refuse_b"), OA_OK);
	issued(ia, &it[0], a.nik, __LINE__);
	issued(ic, &it[2], c.nik, __LINE__);
	assert_int_equal(it[1].rc, OA_ERR_STORE);
	assert_non_null(strstr(it[1].msg, "injected refusal"));
	untouched(&pb, b.nik, __LINE__);
	assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs0 + 2);
	audit_ok();
	applicant_free(&a);
	applicant_free(&b);
	applicant_free(&c);
}

/* The two calls the batch is built on: engine_act_cert names the
 * certificate an act needs and changes nothing; engine_case_act_issued
 * finishes the act with a certificate issued for that request. */
static void test_two_calls(void **state)
{
	struct applicant a;
	struct person bsre, other;
	struct probe p;
	engine_act act, wrong;
	engine_cert_need need = {0};
	engine_batch_item it = {0};
	ca_issued out = {0};
	char ref[48];
	int64_t ia;

	(void)state;
	ia = at_issue(&a);
	person1(&bsre, "bsre-two", ORG, "bsre");
	person1(&other, "verif-two", ORG, "verifikator");
	probe_take(&p, ia);
	act = (engine_act){.case_id = ia, .step = "11", .role = "bsre"};
	/* Refused: the error, and no certificate named. */
	wrong = (engine_act){.case_id = ia, .step = "11", .role = "bsre"};
	assert_int_equal(engine_act_cert(E, &other.who, &wrong, &need), OA_ERR_DENIED);
	assert_int_equal(need.need, ENGINE_CERT_NONE);
	oa_err_clear();
	wrong.step = "10";
	assert_int_equal(engine_act_cert(E, &bsre.who, &wrong, &need), OA_ERR_STATE);
	assert_int_equal(need.need, ENGINE_CERT_NONE);
	oa_err_clear();
	/* The issue step: the request for the applicant's own NIK. */
	assert_int_equal(engine_act_cert(E, &bsre.who, &act, &need), OA_OK);
	assert_int_equal(need.need, ENGINE_CERT_ISSUE);
	assert_string_equal(need.r.nik, a.nik);
	assert_string_equal(need.r.holder_nik, a.nik);
	snprintf(ref, sizeof ref, "case:%" PRId64, ia);
	assert_string_equal(need.r.ref, ref);
	assert_non_null(need.r.csr);
	untouched(&p, a.nik, __LINE__);
	/* Finished with the serial of a certificate issued for it. */
	assert_int_equal(store_begin(ca_store(C)), OA_OK);
	assert_int_equal(engine_case_act_issued(E, &bsre.who, &act, NULL, "", &it.res),
	    OA_ERR_INTERNAL);
	oa_err_clear();
	assert_int_equal(ca_issue(C, &need.r, &out), OA_OK);
	it.rc = engine_case_act_issued(E, &bsre.who, &act, NULL, out.serial, &it.res);
	assert_int_equal(it.rc, OA_OK);
	assert_int_equal(store_commit(ca_store(C)), OA_OK);
	assert_string_equal(it.res.issued, out.serial);
	issued(ia, &it, a.nik, __LINE__);
	/* A completed case needs nothing more. */
	assert_int_equal(engine_act_cert(E, &bsre.who, &act, &need), OA_ERR_STATE);
	assert_int_equal(need.need, ENGINE_CERT_NONE);
	oa_err_clear();
	engine_cert_need_free(&need);
	ca_issued_free(&out);
	audit_ok();
	applicant_free(&a);
}

/* Outside a transaction the call is refused and changes nothing. */
static void test_needs_tx(void **state)
{
	struct applicant a;
	struct person bsre;
	struct probe p;
	engine_act act;
	engine_batch_item it;
	int64_t ia;

	(void)state;
	ia = at_issue(&a);
	person1(&bsre, "bsre-notx", ORG, "bsre");
	probe_take(&p, ia);
	act = (engine_act){.case_id = ia, .step = "11", .role = "bsre"};
	it = (engine_batch_item){.who = &bsre.who, .act = &act};
	assert_int_equal(engine_case_act_batch(E, &it, 1), OA_ERR_INTERNAL);
	untouched(&p, a.nik, __LINE__);
	applicant_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_renewal),
		cmocka_unit_test(test_group_fallback),
		cmocka_unit_test(test_needs_tx),
		cmocka_unit_test(test_two_calls),
	};
	return cmocka_run_group_tests(tests, engine_fixture_setup, engine_fixture_teardown);
}
