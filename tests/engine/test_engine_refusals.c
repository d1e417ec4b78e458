/*
 * test_engine_refusals.c - what the SOP engine refuses before and along a
 * case, each refusal leaving the store exactly as it was: opening a case
 * (wrong person, role, organisation, certificate, reason, or a second
 * case), a bad identity form, an issue step reached without a key, and a
 * second active certificate for one NIK.
 *
 * One process, one instance under mkdtemp (engine_fixture.c); the clock is
 * moved with OPENAMS_NOW.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <string.h>

#include "engine_fixture.h"

/* ---- opening refusals ------------------------------------------------- */

static void test_open_refusals(void **state)
{
	const sop_def *d1 = def_file("meranti-penerbitan");
	struct applicant app, other;
	struct person x;
	engine_open_req r = {0};
	int64_t id, id2, rid;
	char sn_other[41], sn_revoked[41];

	/* Issuance. */
	id = open_case(ORG, "meranti-penerbitan", NULL, &app, 0);
	r.org = ORG;
	r.sop_id = "meranti-penerbitan";
	r.applicant = app.p.id;
	r.applicant_nik = app.nik;
	REFUSED(0, OA_ERR_EXISTS, engine_case_open(E, &app.p.who, &r, &id2));
	/* Only the applicant role may open 001 (step 1 is the applicant's alone). */
	person_all(&x, "staf-serba", ORG, d1, &d1->steps[0]);
	REFUSED(0, OA_ERR_DENIED, engine_case_open(E, &x.who, &r, &id2));
	r.applicant = "orang-lain";
	REFUSED(0, OA_ERR_DENIED, engine_case_open(E, &x.who, &r, &id2));
	/* Without the applicant role, for oneself. */
	person1(&x, app.p.id, ORG, "kadis");
	r.applicant = app.p.id;
	REFUSED(0, OA_ERR_DENIED, engine_case_open(E, &x.who, &r, &id2));
	/* Another organisation's person, or opening in another organisation. */
	person1(&x, "pemohon-lain", "dinas-lain", "pemohon");
	r.applicant = "pemohon-lain";
	REFUSED(0, OA_ERR_DENIED, engine_case_open(E, &x.who, &r, &id2));
	r.org = "dinas-lain";
	REFUSED(0, OA_ERR_NOTFOUND, engine_case_open(E, &x.who, &r, &id2));
	r.org = ORG;
	r.sop_id = "tidak-ada";
	person1(&x, "pemohon-lain", ORG, "pemohon");
	REFUSED(0, OA_ERR_NOTFOUND, engine_case_open(E, &x.who, &r, &id2));
	r.sop_id = "meranti-penerbitan";
	r.reason = "mutasi";
	REFUSED(0, OA_ERR_INVALID, engine_case_open(E, &x.who, &r, &id2));
	r.reason = NULL;
	withdraw(id, &app);
	/* Withdrawn does not block a new case. */
	r.applicant = app.p.id;
	tu_clock_tick(60);
	assert_int_equal(engine_case_open(E, &app.p.who, &r, &id2), OA_OK);
	withdraw(id2, &app);
	applicant_free(&app);

	/* Revocation (000): whose certificate, which state. */
	applicant_new(&app, "pemohon", ORG, "pengguna");
	applicant_new(&other, "pemohon", ORG, "pengguna");
	existing_cert(app.nik, app.serial, 0);
	existing_cert(other.nik, sn_other, 0);
	memset(&r, 0, sizeof r);
	r.org = ORG;
	r.sop_id = "meranti-pencabutan";
	r.applicant = app.p.id;
	r.applicant_nik = app.nik;
	r.reason = "mutasi";
	r.serial = sn_other; /* another person's certificate */
	REFUSED(0, OA_ERR_DENIED, engine_case_open(E, &app.p.who, &r, &rid));
	r.serial = app.serial;
	r.applicant_nik = NULL; /* NIK unknown */
	REFUSED(0, OA_ERR_DENIED, engine_case_open(E, &app.p.who, &r, &rid));
	r.applicant_nik = other.nik;
	REFUSED(0, OA_ERR_DENIED, engine_case_open(E, &app.p.who, &r, &rid));
	r.applicant_nik = app.nik;
	r.serial = "7fffffffffffffff0000000000000000000000ab"; /* unknown */
	REFUSED(0, OA_ERR_NOTFOUND, engine_case_open(E, &app.p.who, &r, &rid));
	r.serial = NULL;
	REFUSED(0, OA_ERR_INVALID, engine_case_open(E, &app.p.who, &r, &rid));
	r.serial = app.serial;
	r.reason = "bukan_alasan";
	REFUSED(0, OA_ERR_INVALID, engine_case_open(E, &app.p.who, &r, &rid));
	r.reason = "mutasi";
	/* A revoked certificate. */
	{
		struct applicant gone;
		applicant_new(&gone, "pemohon", ORG, "pengguna");
		existing_cert(gone.nik, sn_revoked, 0);
		assert_int_equal(ca_revoke(C, sn_revoked, CA_REASON_UNSPECIFIED, 0, "uji"), OA_OK);
		r.serial = sn_revoked;
		r.applicant = gone.p.id;
		r.applicant_nik = gone.nik;
		REFUSED(0, OA_ERR_STATE, engine_case_open(E, &gone.p.who, &r, &rid));
		applicant_free(&gone);
	}
	/* The verifier may open 000 on the holder's behalf (step 1 is theirs too). */
	r.serial = app.serial;
	r.applicant = app.p.id;
	r.applicant_nik = app.nik;
	person1(&x, "verif-000", ORG, "verifikator");
	tu_clock_tick(60);
	assert_int_equal(engine_case_open(E, &x.who, &r, &rid), OA_OK);
	/* A second revocation of the same certificate, under any revocation SOP. */
	REFUSED(0, OA_ERR_EXISTS, engine_case_open(E, &app.p.who, &r, &id2));
	r.sop_id = "ciamis-pencabutan";
	r.reason = "alasan_lain";
	person1(&x, app.p.id, ORG, "pemohon");
	REFUSED(0, OA_ERR_EXISTS, engine_case_open(E, &x.who, &r, &id2));
	r.sop_id = "sumbar-pencabutan";
	r.reason = "perubahan_data";
	REFUSED(0, OA_ERR_EXISTS, engine_case_open(E, &x.who, &r, &id2));
	withdraw(rid, &app);
	applicant_free(&app);
	applicant_free(&other);
}

/* ---- the identity form ---------------------------------------------- */

static void test_identity_form(void **state)
{
	struct applicant app;
	struct walkopt o = {.stop_at = "7"};
	struct walkres w;
	engine_act a = {0};
	engine_result res;
	const char *keys[9], *vals[9];
	size_t n;
	char longmail[200];
	int64_t id = open_case(ORG, "meranti-penerbitan", NULL, &app, 0);
	struct {
		const char *key, *val;
	} bad[] = {
		{"nik", "12345"}, {"nik", "abcdefghijklmnop"}, {"nik", "14710000000000012"},
		{"nik", "1471 00000000001"}, {"nik", "147100000000001\xd9"}, {"nik", ""},
		{"nip", "19790409201001101"}, {"nip", "19790409201001101x"},
		{"name", ""}, {"name", "Siti\x07"}, {"name", "Siti\xff"}, {"email", longmail},
	};

	memset(longmail, 'a', 150);
	strcpy(longmail + 150, "@x.go.id");
	walk(id, &app, &o, &w);
	expect_state(id, "open", "7");
	a.case_id = id;
	a.step = "7";
	a.role = "pemohon";
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		identity(app.nik, keys, vals, &n);
		for (size_t k = 0; k < n; k++)
			if (strcmp(keys[k], bad[i].key) == 0)
				vals[k] = bad[i].val;
		if (strcmp(bad[i].key, "nip") == 0) {
			keys[n] = "nip";
			vals[n++] = bad[i].val;
		}
		a.keys = keys;
		a.values = vals;
		a.ndata = n;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, &app.p.who, &a, &res));
	}
	/* Without a name: the form is incomplete. */
	keys[0] = "nik"; vals[0] = app.nik;
	keys[1] = "email"; vals[1] = "siti@kominfo.merantikab.go.id";
	a.keys = keys;
	a.values = vals;
	a.ndata = 2;
	REFUSED(id, OA_ERR_STATE, engine_case_act(E, &app.p.who, &a, &res));
	/* Security review, finding 1: a well-formed NIK that is not the
	 * applicant's own (here another person's, who has a certificate) is
	 * refused at that field, and nothing is stored. */
	{
		struct applicant other;
		applicant_new(&other, "lain", ORG, "pemohon");
		identity(other.nik, keys, vals, &n);
		a.ndata = n;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, &app.p.who, &a, &res));
		assert_non_null(strstr(last_refusal, "nik:"));
		assert_non_null(strstr(last_refusal, "not the NIK on the applicant's account"));
		applicant_free(&other);
	}
	/* A NULL value. */
	identity(app.nik, keys, vals, &n);
	vals[1] = NULL;
	a.ndata = n;
	REFUSED(id, OA_ERR_INVALID, engine_case_act(E, &app.p.who, &a, &res));
	/* And a good one goes through; the NIK need not be typed: the case
	 * takes the applicant's own. */
	identity(app.nik, keys, vals, &n);
	keys[1] = "nip"; vals[1] = "197904092010011014";
	a.ndata = n;
	tu_clock_tick(60);
	assert_int_equal(engine_case_act(E, &app.p.who, &a, &res), OA_OK);
	assert_string_equal(res.step, "8");
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case_data WHERE case_id = %" PRId64
	                       " AND key = 'nik' AND value = '%s'", id, app.nik), 1);
	withdraw(id, &app);
	applicant_free(&app);
}

/* ---- the issue step before any key ----------------------------------- */

/* text with everything from `from` up to (not including) `upto` removed. */
static char *cut(char *text, const char *from, const char *upto)
{
	char *p = strstr(text, from), *q;

	if (p == NULL || (q = strstr(p, upto)) == NULL)
		fail_msg("cut: '%s'..'%s' not found", from, upto);
	memmove(p, q, strlen(q) + 1);
	return text;
}

/* SOP 001 without its set-passphrase step: the issue step comes with no key. */
static void test_issue_before_key(void **state)
{
	char *text = cut(sop_text("001-penerbitan-meranti.yaml"), "  - id: 10\n", "  - id: 11\n");
	struct applicant app;
	struct walkopt o = {.stop_at = "11"};
	struct walkres w;
	engine_act a = {0};
	engine_result res;
	struct person bsre;
	int64_t vid, id;

	text = stash(text, 2);
	install_text("khusus", "001-tanpa-passphrase", text, &vid);
	id = open_case("khusus", "meranti-penerbitan", NULL, &app, 0);
	walk(id, &app, &o, &w);
	expect_state(id, "open", "11");
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case_data WHERE case_id = %" PRId64
	                       " AND key = 'csr'", id), 0);
	a.case_id = id;
	a.step = "11";
	a.role = "bsre";
	person1(&bsre, "staf-bsre", "khusus", "bsre");
	REFUSED(id, OA_ERR_STATE, engine_case_act(E, &bsre.who, &a, &res));
	expect_state(id, "open", "11");
	assert_int_equal(count("SELECT COUNT(*) FROM certificate WHERE nik = '%s'", app.nik), 0);
	withdraw(id, &app);
	applicant_free(&app);
}

/* ---- documents per level ------------------------------------------------ */

/* SOP 001 with a disposition of each level's own (steps 2 and 3, `own:
 * true`): the head's disposition attached at step 2 does not satisfy step
 * 3; the head of division's own copy does.  The walker then completes the
 * case with the refusal battery. */
static void test_own_documents(void **state)
{
	char *text = sop_text("001-penerbitan-meranti.yaml");
	struct applicant app;
	struct walkopt o = {.stop_at = "3"}, all = {.refusals = 1};
	struct walkres w;
	engine_act a = {0};
	engine_result res;
	struct person kabid;
	int64_t vid, id;

	text = replace(text, "  - id: fc_sk\n", "  - id: disposisi\n    name: Lembar Disposisi\n"
	                                          "  - id: fc_sk\n");
	text = replace(text, "requires: [Berkas Pemohon dan Disposisi]",
	    "requires: [Berkas Pemohon, {doc: disposisi, own: true}]");
	text = replace(text, "requires: [Berkas Pemohon dan Disposisi Lanjutan]\n    time: 5 Menit\n"
	                     "    output: Dokumen\n\n  - id: 4",
	    "requires: [Berkas Pemohon, {doc: disposisi, own: true}]\n    time: 5 Menit\n"
	    "    output: Dokumen\n\n  - id: 4");
	text = stash(text, 2);
	install_text("berjenjang", "001-disposisi", text, &vid);
	id = open_case("berjenjang", "meranti-penerbitan", NULL, &app, 0);
	walk(id, &app, &o, &w); /* step 2's own disposition attached by the head */
	expect_state(id, "open", "3");
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case_document WHERE case_id = %" PRId64
	                       " AND doc = 'disposisi' AND step = '2'", id), 1);
	person1(&kabid, "staf-kabid", "berjenjang", "kabid");
	a.case_id = id;
	a.step = "3";
	a.role = "kabid";
	REFUSED(id, OA_ERR_STATE, engine_case_act(E, &kabid.who, &a, &res));
	if (!strstr(last_refusal, "own document 'disposisi'"))
		fail_msg("the refusal does not say the step needs its own disposisi: %s", last_refusal);
	attach_salted(id, &kabid.who, "disposisi", "kabid");
	assert_int_equal(engine_case_act(E, &kabid.who, &a, &res), OA_OK);
	expect_state(id, "open", "4");
	walk(id, &app, &all, &w);
	expect_state(id, "completed", NULL);
	assert_int_equal(w.issued, 1);
	applicant_free(&app);
}

/* ---- the reason recorded by staff ---------------------------------------- */

/* A revocation SOP that names no reasons: the operator reads the reason in
 * the applicant's letter and records it at the decision (`records_reason`).
 * The applicant cannot choose one when opening; the operator cannot say
 * "yes" without one, nor name one that is not an RFC 5280 reason; the
 * certificate is revoked with the recorded reason and the holder's e-mail
 * gives its label, not its id. */
static void test_reason_recorded_by_staff(void **state)
{
	char path[600], *text = NULL;
	uint8_t *raw = NULL;
	size_t len = 0;
	struct applicant app;
	struct person op;
	engine_open_req r = {0};
	engine_act a = {0};
	engine_result res;
	int64_t vid, id;
	int crl = -1;

	snprintf(path, sizeof path, "%s/tests/sopdef/good.yaml", tu_share());
	tu_must(oa_read_file(path, 1 << 20, &raw, &len));
	text = strndup((const char *)raw, len);
	free(raw);
	text = replace(text, "reasons:\n  - id: lupa\n    label: Lupa passphrase\n"
	                     "    rfc5280: superseded\n", "");
	text = replace(text, "    yes_action: revoke\n", "    yes_action: revoke\n"
	                                                    "    records_reason: true\n");
	text = stash(text, 2);
	install_text("alasan", "uji-alasan", text, &vid);
	applicant_new(&app, "pemohon", "alasan", "pemohon");
	existing_cert(app.nik, app.serial, 0);
	{
		/* an account, so that the holder is told */
		auth *au = NULL;
		auth_person_in pi = {0};
		assert_int_equal(auth_open(T.in, &au), OA_OK);
		assert_int_equal(auth_org_create(au, "alasan", "Dinas Uji Alasan", "test"), OA_OK);
		pi.id = app.p.id;
		pi.org = "alasan";
		pi.name = "Pemohon Uji";
		pi.nik = app.nik;
		pi.email = "pemohon.alasan@uji.go.id";
		assert_int_equal(auth_person_create(au, &pi, "test"), OA_OK);
		auth_free(au);
	}
	r.org = "alasan";
	r.sop_id = "uji-pencabutan";
	r.applicant = app.p.id;
	r.applicant_nik = app.nik;
	r.serial = app.serial;
	r.reason = "key_compromise";
	REFUSED(0, OA_ERR_INVALID, engine_case_open(E, &app.p.who, &r, &id));
	if (!strstr(last_refusal, "staff record the reason"))
		fail_msg("the refusal does not say the staff record the reason: %s", last_refusal);
	r.reason = NULL;
	assert_int_equal(engine_case_open(E, &app.p.who, &r, &id), OA_OK);
	attach(id, &app.p.who, "surat");
	a.case_id = id;
	a.step = "1";
	a.role = "pemohon";
	assert_int_equal(engine_case_act(E, &app.p.who, &a, &res), OA_OK);
	person1(&op, "staf-op", "alasan", "op");
	a.step = "2";
	a.role = "op";
	a.decision = ENGINE_YES;
	REFUSED(id, OA_ERR_INVALID, engine_case_act(E, &op.who, &a, &res));
	if (!strstr(last_refusal, "records the revocation reason") ||
	    !strstr(last_refusal, "key_compromise"))
		fail_msg("the refusal does not ask for a reason among the choices: %s", last_refusal);
	a.reason = "lupa";
	REFUSED(id, OA_ERR_INVALID, engine_case_act(E, &op.who, &a, &res));
	a.reason = "key_compromise";
	assert_int_equal(engine_case_act(E, &op.who, &a, &res), OA_OK);
	assert_string_equal(res.revoked, app.serial);
	assert_string_equal(cert_status(app.serial, &crl), "revoked");
	assert_int_equal(crl, 1); /* keyCompromise */
	{
		/* the message as it will be sent (read as bytes: SQLite and PostgreSQL) */
		store_stmt *st = store_prepare(ca_store(C), "SELECT raw FROM mail_outbox WHERE"
		                                            " case_id = ? AND event = 'cert_revoked'");
		const void *m;
		size_t n = 0;
		assert_non_null(st);
		store_bind_int(st, 1, id);
		assert_int_equal(store_step(st), STORE_ROW);
		m = store_col_blob(st, 0, &n);
		assert_non_null(m);
		assert_non_null(memmem(m, n, "Kunci privat bocor", 18));
		assert_null(memmem(m, n, "key_compromise", 14));
		assert_int_equal(store_step(st), STORE_DONE);
		store_reset(st);
	}
	applicant_free(&app);
}

/* ---- a step done by several actors in turn (SOP format `in_turn`) ------ */

static int count_task(const engine_case *c, void *arg)
{
	int64_t *want = arg;
	if (c->id == want[0])
		want[1]++;
	return 0;
}

/* 1 if case id is among who's tasks (engine_tasks and the paged list). */
static int has_task(const engine_who *who, int64_t id)
{
	int64_t w[2] = {id, 0}, p[2] = {id, 0}, total = 0, overdue = 0;
	assert_int_equal(engine_tasks(E, who, count_task, w), OA_OK);
	assert_int_equal(engine_tasks_page(E, who, oa_now(), 0, 100, &total, &overdue, count_task, p),
	    OA_OK);
	assert_int_equal(w[1], p[1]);
	tasks_match_definition(who);
	return (int)w[1];
}

/* tests/sopdef/in-turn.yaml: step 2 is the verifier's, then the head's,
 * who decides.  The head cannot act (nor see the task) before the verifier;
 * the verifier passes without a decision and cannot act twice; a "no"
 * sends the case back and the next round starts with the verifier again. */
static void test_in_turn(void **state)
{
	char path[700];
	uint8_t *raw = NULL;
	size_t len = 0;
	struct applicant app;
	struct person ver, head, op;
	engine_open_req r = {0};
	engine_act a = {0};
	engine_result res;
	engine_case c;
	struct hist h;
	int64_t vid, id;

	snprintf(path, sizeof path, "%s/tests/sopdef/in-turn.yaml", tu_share());
	tu_must(oa_read_file(path, 1 << 20, &raw, &len));
	install_text("giliran", "uji-giliran", stash(strndup((const char *)raw, len), 3), &vid);
	free(raw);
	applicant_new(&app, "pemohon", "giliran", "pemohon");
	existing_cert(app.nik, app.serial, 0);
	person1(&ver, "staf-verifikator", "giliran", "verifikator");
	person1(&head, "staf-kepala", "giliran", "kepala");
	person1(&op, "staf-op-giliran", "giliran", "op");
	r.org = "giliran";
	r.sop_id = "uji-giliran";
	r.applicant = app.p.id;
	r.applicant_nik = app.nik;
	r.serial = app.serial;
	r.reason = "lupa";
	assert_int_equal(engine_case_open(E, &app.p.who, &r, &id), OA_OK);
	{
		/* the agency's registry finds it by applicant, NIK, number, serial */
		char num[32];
		const char *hits[] = {app.p.id, app.nik, num, app.serial, NULL};
		engine_case_find q = {.org = "giliran", .limit = 50};
		int64_t w[2];
		snprintf(num, sizeof num, "#%" PRId64, id);
		for (int i = 0; hits[i]; i++) {
			w[0] = id;
			w[1] = 0;
			q.text = hits[i];
			assert_int_equal(engine_cases_find(E, &q, count_task, w), OA_OK);
			if (w[1] != 1)
				fail_msg("engine_cases_find does not find case %" PRId64 " by %s", id, hits[i]);
		}
		w[1] = 0;
		q.text = "tidak-ada";
		assert_int_equal(engine_cases_find(E, &q, count_task, w), OA_OK);
		assert_int_equal(w[1], 0);
		q.text = NULL;
		q.state = "completed";
		assert_int_equal(engine_cases_find(E, &q, count_task, w), OA_OK);
		assert_int_equal(w[1], 0);
		q.state = "bogus";
		assert_int_equal(engine_cases_find(E, &q, count_task, w), OA_ERR_INVALID);
		q.state = NULL;
		q.org = "dinas-lain";
		assert_int_equal(engine_cases_find(E, &q, count_task, w), OA_OK);
		assert_int_equal(w[1], 0);
	}
	for (int round = 0; round < 2; round++) {
		attach(id, &app.p.who, "surat");
		memset(&a, 0, sizeof a);
		a.case_id = id;
		a.step = "1";
		a.role = "pemohon";
		assert_int_equal(engine_case_act(E, &app.p.who, &a, &res), OA_OK);
		assert_string_equal(res.step, "2");
		/* The head's turn has not come: refused, and no task yet. */
		assert_int_equal(has_task(&ver.who, id), 1);
		assert_int_equal(has_task(&head.who, id), 0);
		a.step = "2";
		a.role = "kepala";
		a.decision = ENGINE_YES;
		REFUSED(id, OA_ERR_STATE, engine_case_act(E, &head.who, &a, &res));
		if (!strstr(last_refusal, "verifikator's turn"))
			fail_msg("the refusal does not say whose turn it is: %s", last_refusal);
		REFUSED(id, OA_ERR_DENIED, engine_case_close(E, &head.who, id, ENGINE_REJECT, "x"));
		REFUSED(id, OA_ERR_DENIED,
		    engine_case_attach(E, &head.who, id, "rekomendasi", "00000000000000000000000000000000"
		        "00000000000000000000000000000000", "r.pdf"));
		/* The verifier passes the step on: a decision is not theirs. */
		a.role = "verifikator";
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, &ver.who, &a, &res));
		if (!strstr(last_refusal, "kepala"))
			fail_msg("the refusal does not name who decides: %s", last_refusal);
		attach(id, &ver.who, "rekomendasi");
		a.decision = ENGINE_NO_DECISION;
		a.note = "rekomendasi disusun";
		assert_int_equal(engine_case_act(E, &ver.who, &a, &res), OA_OK);
		assert_string_equal(res.step, "2");
		assert_int_equal(engine_case_get(E, id, &c), OA_OK);
		assert_int_equal(c.turn, 1);
		assert_int_equal(has_task(&ver.who, id), 0);
		assert_int_equal(has_task(&head.who, id), 1);
		REFUSED(id, OA_ERR_STATE, engine_case_act(E, &ver.who, &a, &res));
		/* The head decides: "no" in the first round, "yes" in the second. */
		a.role = "kepala";
		a.note = NULL;
		a.decision = round == 0 ? ENGINE_NO : ENGINE_YES;
		assert_int_equal(engine_case_act(E, &head.who, &a, &res), OA_OK);
		assert_string_equal(res.step, round == 0 ? "1" : "3");
		assert_int_equal(engine_case_get(E, id, &c), OA_OK);
		assert_int_equal(c.turn, 0);
	}
	history(id, &h);
	{
		int turns = 0;
		for (int i = 0; i < h.n; i++)
			if (strcmp(h.t[i].action, "turn") == 0) {
				turns++;
				assert_string_equal(h.t[i].role, "verifikator");
				assert_string_equal(h.t[i].step, "2");
				assert_string_equal(h.t[i].next, "2");
			}
		assert_int_equal(turns, 2);
	}
	memset(&a, 0, sizeof a);
	a.case_id = id;
	a.step = "3";
	a.role = "op";
	assert_int_equal(engine_case_act(E, &op.who, &a, &res), OA_OK);
	assert_string_equal(res.revoked, app.serial);
	applicant_free(&app);
}

/* ---- the CA's last line: a case's certificate is its applicant's ------ */

/* Even if the case data named someone else (here written behind the
 * engine's back), the CA refuses to issue the case's certificate for a NIK
 * other than the applicant's, and nothing is issued (finding 1). */
static void test_ca_issues_for_applicant_only(void **state)
{
	struct applicant app, other;
	struct walkopt o = {.stop_at = "11"};
	struct walkres w;
	engine_act a = {0};
	engine_result res;
	struct person bsre;
	char sql[256];
	int64_t id;

	id = open_case(ORG, "meranti-penerbitan", NULL, &app, 0);
	applicant_new(&other, "korban", ORG, "pemohon");
	walk(id, &app, &o, &w);
	expect_state(id, "open", "11");
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case WHERE id = %" PRId64
	                       " AND applicant_nik = '%s'", id, app.nik), 1);
	snprintf(sql, sizeof sql, "UPDATE sop_case_data SET value = '%s' WHERE case_id = %" PRId64
	    " AND key = 'nik'", other.nik, id);
	assert_int_equal(store_exec(ca_store(C), sql), OA_OK);
	a.case_id = id;
	a.step = "11";
	a.role = "bsre";
	person1(&bsre, "staf-bsre2", ORG, "bsre");
	REFUSED(id, OA_ERR_POLICY, engine_case_act(E, &bsre.who, &a, &res));
	assert_non_null(strstr(last_refusal, "not the NIK of the case's applicant"));
	assert_int_equal(count("SELECT COUNT(*) FROM certificate WHERE nik = '%s'", other.nik), 0);
	expect_state(id, "open", "11");
	withdraw(id, &app);
	applicant_free(&app);
	applicant_free(&other);
}

/* ---- one active certificate per NIK ----------------------------------- */

static void test_one_active_policy(void **state)
{
	struct applicant app;
	struct walkopt o = {0};
	struct walkres w;
	engine_open_req r = {0};
	engine_act a = {0};
	engine_result res;
	struct person bsre;
	char first[41];
	int64_t id, id2, rid;

	id = open_case(ORG, "meranti-penerbitan", NULL, &app, 0);
	walk(id, &app, &o, &w);
	check_walk_result(def_file("meranti-penerbitan"), id, &app, &w);
	strcpy(first, w.issued_serial);
	/* The same person asks again: stopped at the issue step, naming the blocker. */
	r.org = ORG;
	r.sop_id = "meranti-penerbitan";
	r.applicant = app.p.id;
	r.applicant_nik = app.nik;
	tu_clock_tick(60);
	assert_int_equal(engine_case_open(E, &app.p.who, &r, &id2), OA_OK);
	o.stop_at = "11";
	walk(id2, &app, &o, &w);
	expect_state(id2, "open", "11");
	a.case_id = id2;
	a.step = "11";
	a.role = "bsre";
	person1(&bsre, "staf-bsre", ORG, "bsre");
	REFUSED(id2, OA_ERR_POLICY, engine_case_act(E, &bsre.who, &a, &res));
	if (strstr(last_refusal, first) == NULL)
		fail_msg("the policy refusal does not name the blocking serial %s: %s", first,
		    last_refusal);
	expect_state(id2, "open", "11");
	assert_int_equal(nik_active(app.nik, NULL), 1);
	/* Revoke it under SOP 004, then the waiting case goes through. */
	memset(&r, 0, sizeof r);
	r.org = ORG;
	r.sop_id = "sumbar-pencabutan";
	r.applicant = app.p.id;
	r.applicant_nik = app.nik;
	r.serial = first;
	r.reason = "lupa_passphrase";
	tu_clock_tick(60);
	assert_int_equal(engine_case_open(E, &app.p.who, &r, &rid), OA_OK);
	snprintf(app.serial, sizeof app.serial, "%s", first);
	o.stop_at = NULL;
	walk(rid, &app, &o, &w);
	assert_int_equal(w.revoked, 1);
	assert_string_equal(cert_status(first, NULL), "revoked");
	tu_clock_tick(60);
	assert_int_equal(engine_case_act(E, &bsre.who, &a, &res), OA_OK);
	assert_true(res.issued[0]);
	assert_string_equal(res.state, "completed");
	assert_int_equal(nik_active(app.nik, NULL), 1);
	applicant_free(&app);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_refusals),
		cmocka_unit_test(test_identity_form),
		cmocka_unit_test(test_issue_before_key),
		cmocka_unit_test(test_ca_issues_for_applicant_only),
		cmocka_unit_test(test_one_active_policy),
		cmocka_unit_test(test_own_documents),
		cmocka_unit_test(test_reason_recorded_by_staff),
		cmocka_unit_test(test_in_turn),
	};
	return cmocka_run_group_tests(tests, engine_fixture_setup, engine_fixture_teardown);
}
