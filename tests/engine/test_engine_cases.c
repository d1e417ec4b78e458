/*
 * test_engine_cases.c - cases of every shipped SOP (000, 001, 003, 004 and
 * the designed 900 renewal and 901 passphrase reset) driven to their end:
 *
 *   - a full walk of each, with every refusal tried at every step: each
 *     leaves the store exactly as it was, and the CA issues or revokes
 *     exactly once, at the step whose action says so;
 *   - a "no" returns to the step the definition names and keeps history;
 *   - closing (reject, withdraw) and what a closed case refuses;
 *   - SLA figures, task lists, the working-day calendar;
 *   - last, the audit trail all of these cases left.
 *
 * One process, one instance under mkdtemp (engine_fixture.c), plus a second
 * one for the working-day calendar with a configured holiday.  The clock is
 * moved with OPENAMS_NOW.  The other rules: test_engine_refusals.c and
 * test_engine_versions.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "engine_fixture.h"

/* ---- full walks ------------------------------------------------------- */

/* A full walk of sop_id with every refusal tried at every step. */
static void rules_walk(const char *sop_id, const char *reason)
{
	const sop_def *d = def_file(sop_id);
	struct applicant app;
	struct walkopt o = {.refusals = 1};
	struct walkres w;
	int64_t id = open_case(ORG, sop_id, reason, &app, d->kind == SOP_KIND_RENEWAL ? 20 : 0);

	walk(id, &app, &o, &w);
	check_walk_result(d, id, &app, &w);
	if (d->kind == SOP_KIND_REVOCATION)
		assert_true(d->steps[sop_step_index(d, w.revoke_step)].action == SOP_ACT_REVOKE ||
		            d->steps[sop_step_index(d, w.revoke_step)].yes_action == SOP_ACT_REVOKE);
	closed_refusals(id, &app, NULL);
	applicant_free(&app);
}

static void test_rules_000_meranti_pencabutan(void **state)
{
	rules_walk("meranti-pencabutan", "passphrase_diketahui");
}

static void test_rules_001_meranti_penerbitan(void **state)
{
	rules_walk("meranti-penerbitan", NULL);
}

/* Key lost: the police report is required at the upload and revoke steps. */
static void test_rules_003_ciamis_pencabutan(void **state)
{
	rules_walk("ciamis-pencabutan", "kunci_privat_hilang");
}

static void test_rules_004_sumbar_pencabutan(void **state)
{
	rules_walk("sumbar-pencabutan", "kehilangan_sertifikat");
}

static void test_rules_900_pembaruan(void **state)
{
	rules_walk("contoh-pembaruan", NULL);
}

static void test_rules_901_lupa_passphrase(void **state)
{
	rules_walk("contoh-lupa-passphrase", NULL);
}

/* ---- "no" returns to the named step, history kept --------------------- */

static const char *const all_sops[] = {"meranti-pencabutan", "meranti-penerbitan",
    "ciamis-pencabutan", "sumbar-pencabutan", "contoh-pembaruan", "contoh-lupa-passphrase", NULL};

static const char *sop_reason_for(const char *sop_id)
{
	if (strcmp(sop_id, "meranti-pencabutan") == 0)
		return "mutasi";
	if (strcmp(sop_id, "ciamis-pencabutan") == 0)
		return "alasan_lain";
	if (strcmp(sop_id, "sumbar-pencabutan") == 0)
		return "perubahan_data";
	return NULL;
}

static void test_no_returns_to_named_step(void **state)
{
	for (const char *const *sp = all_sops; *sp; sp++) {
		const sop_def *d = def_file(*sp);
		int seed = strncmp(*sp, "contoh-", 7) != 0;

		for (size_t i = 0; i < d->n_steps; i++) {
			const sop_step *s = &d->steps[i];
			struct applicant app;
			struct walkopt o = {0};
			struct walkres w;
			struct hist h0, h1, h2;
			engine_case c;
			int64_t id;
			int target;

			if (s->action != SOP_ACT_DECIDE)
				continue;
			id = open_case(ORG, *sp, sop_reason_for(*sp), &app,
			    d->kind == SOP_KIND_RENEWAL ? 20 : 0);
			o.stop_at = s->id;
			walk(id, &app, &o, &w);
			expect_state(id, "open", s->id);
			history(id, &h0);
			/* The "no". */
			o.stop_at = NULL;
			o.no_at = s->id;
			o.max_acts = 1;
			walk(id, &app, &o, &w);
			assert_int_equal(w.no_done, 1);
			history(id, &h1);
			assert_true(h1.n >= h0.n + 1);
			for (int k = 0; k < h0.n; k++) {
				assert_int_equal(h1.t[k].seq, h0.t[k].seq);
				assert_string_equal(h1.t[k].step, h0.t[k].step);
				assert_string_equal(h1.t[k].actor, h0.t[k].actor);
				assert_string_equal(h1.t[k].decision, h0.t[k].decision);
				assert_int_equal(h1.t[k].done_at, h0.t[k].done_at);
			}
			assert_int_equal(h1.t[h0.n].seq, h0.n + 1);
			assert_string_equal(h1.t[h0.n].step, s->id);
			assert_string_equal(h1.t[h0.n].decision, "no");
			assert_string_equal(h1.t[h0.n].next, s->no == SOP_END ? "" : d->steps[s->no].id);
			/* At the named step, or past the automatic steps that follow it. */
			target = s->no;
			for (int k = h0.n + 1; k < h1.n; k++) {
				assert_true(target >= 0);
				assert_string_equal(h1.t[k].step, d->steps[target].id);
				assert_string_equal(h1.t[k].actor, "system");
				target = d->steps[target].next;
			}
			assert_int_equal(engine_case_get(E, id, &c), OA_OK);
			if (target == SOP_END)
				assert_string_equal(c.state, "completed");
			else {
				assert_string_equal(c.state, "open");
				assert_string_equal(c.step, d->steps[target].id);
				assert_int_equal(c.transitions, h1.n);
			}
			/* No certificate moved on the "no". */
			assert_int_equal(count("SELECT COUNT(*) FROM certificate WHERE nik = '%s'", app.nik),
			    d->kind == SOP_KIND_ISSUANCE ? 0 : 1);
			if (app.serial[0])
				assert_string_equal(cert_status(app.serial, NULL), "active");
			if (strcmp(c.state, "open") == 0) {
				if (seed) {
					/* Yes from here on: completes, and the earlier rows stay. */
					memset(&o, 0, sizeof o);
					walk(id, &app, &o, &w);
					check_walk_result(d, id, &app, &w);
				} else
					withdraw(id, &app);
				history(id, &h2);
				assert_true(h2.n > h1.n);
				for (int k = 0; k < h1.n; k++) {
					assert_int_equal(h2.t[k].seq, k + 1);
					assert_string_equal(h2.t[k].step, h1.t[k].step);
					assert_string_equal(h2.t[k].decision, h1.t[k].decision);
				}
			}
			applicant_free(&app);
		}
	}
}

/* ---- closed cases ------------------------------------------------------ */

static void test_closed_cases(void **state)
{
	struct applicant app;
	struct walkopt o = {.stop_at = "5"};
	struct walkres w;
	struct person op;
	struct hist h;
	int64_t id;

	/* Rejected at the decision by the operator. */
	id = open_case(ORG, "sumbar-pencabutan", "lupa_passphrase", &app, 0);
	walk(id, &app, &o, &w);
	person1(&op, "staf-op", ORG, "op");
	tu_clock_tick(60);
	assert_int_equal(engine_case_close(E, &op.who, id, ENGINE_REJECT, "berkas tidak sesuai"), OA_OK);
	expect_state(id, "rejected", "");
	history(id, &h);
	assert_string_equal(h.t[h.n - 1].decision, "reject");
	assert_string_equal(h.t[h.n - 1].step, "5");
	assert_string_equal(h.note[h.n - 1], "berkas tidak sesuai");
	assert_string_equal(cert_status(app.serial, NULL), "active");
	closed_refusals(id, &app, "5");
	applicant_free(&app);

	/* Withdrawn by the applicant. */
	id = open_case(ORG, "sumbar-pencabutan", "lupa_passphrase", &app, 0);
	o.stop_at = "3";
	walk(id, &app, &o, &w);
	withdraw(id, &app);
	history(id, &h);
	assert_string_equal(h.t[h.n - 1].decision, "withdraw");
	closed_refusals(id, &app, "3");
	/* Closing a case that does not exist, or with a bogus "how". */
	REFUSED(0, OA_ERR_NOTFOUND, engine_case_close(E, &app.p.who, 999999, ENGINE_WITHDRAW, NULL));
	applicant_free(&app);
}

/* Notes given when rejecting or withdrawing are free text like those of
 * engine_case_act: UTF-8, tab and newline only. */
static void test_close_note_control_chars(void **state)
{
	struct applicant app;
	struct walkopt o = {.stop_at = "5"};
	struct walkres w;
	struct person op;
	int64_t id = open_case(ORG, "sumbar-pencabutan", "lupa_passphrase", &app, 0);

	walk(id, &app, &o, &w);
	person1(&op, "staf-op", ORG, "op");
	REFUSED(id, OA_ERR_INVALID, engine_case_close(E, &op.who, id, ENGINE_REJECT, "tolak\x1b[2J"));
	REFUSED(id, OA_ERR_INVALID, engine_case_close(E, &op.who, id, ENGINE_REJECT, "tolak\x01"));
	REFUSED(id, OA_ERR_INVALID, engine_case_close(E, &op.who, id, ENGINE_REJECT, "tolak\xff"));
	REFUSED(id, OA_ERR_INVALID,
	    engine_case_close(E, &app.p.who, id, ENGINE_WITHDRAW, "tarik\x07"));
	expect_state(id, "open", "5");
	withdraw(id, &app);
	applicant_free(&app);
}

/* ---- SLA -------------------------------------------------------------- */

struct stats_set {
	int n;
	engine_step_stats s[64];
};

/* Appends the size-byte *item to arr, a list of up to 64 counted by *n. */
static void collect(void *arr, int *n, const void *item, size_t size)
{
	if (*n < 64)
		memcpy((char *)arr + (size_t)(*n)++ * size, item, size);
}

static int stats_cb(const engine_step_stats *s, void *arg)
{
	struct stats_set *ss = arg;

	collect(ss->s, &ss->n, s, sizeof *s);
	return 0;
}

static const engine_step_stats *stats_of(const struct stats_set *ss, const char *step)
{
	for (int i = 0; i < ss->n; i++)
		if (strcmp(ss->s[i].step, step) == 0)
			return &ss->s[i];
	fail_msg("no statistics for step %s", step);
	abort();
}

static int cmpi64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank, computed independently: the smallest value with at least p% at or below. */
static int64_t nearest_rank(const int64_t *v, size_t n, double p)
{
	int64_t *s = malloc(n * sizeof *s);
	size_t rank;
	int64_t out;

	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, cmpi64);
	rank = (size_t)ceil(p / 100.0 * (double)n);
	out = s[rank ? rank - 1 : 0];
	free(s);
	return out;
}

struct caselist {
	int n;
	engine_case c[64];
};

static int case_cb(const engine_case *c, void *arg)
{
	struct caselist *l = arg;

	collect(l->c, &l->n, c, sizeof *c);
	return 0;
}

static void test_sla_figures(void **state)
{
	struct applicant app[10];
	int64_t id[10], opened3[10], d1[10], d2[10], base, now;
	struct stats_set ss = {0};
	struct caselist od = {0};
	const engine_step_stats *st;
	struct person kadis;
	int within = 0;

	install_file("sla", "001-penerbitan-meranti.yaml");
	person1(&kadis, "staf-kadis", "sla", "kadis");
	base = (tu_clock_now() / 3600 + 2) * 3600;
	for (int i = 0; i < 10; i++) {
		engine_open_req r = {0};
		engine_act a = {0};
		engine_result res;
		struct hist h;
		int64_t t0 = base + (int64_t)(i + 1) * 3600;

		applicant_new(&app[i], "sla", "sla", "pemohon");
		tu_clock_set(t0);
		r.org = "sla";
		r.sop_id = "meranti-penerbitan";
		r.applicant = app[i].p.id;
		r.applicant_nik = app[i].nik;
		assert_int_equal(engine_case_open(E, &app[i].p.who, &r, &id[i]), OA_OK);
		attach(id[i], &app[i].p.who, "surat_permohonan");
		attach(id[i], &app[i].p.who, "formulir_rekomendasi");
		attach(id[i], &app[i].p.who, "fc_ktp");
		attach(id[i], &app[i].p.who, "fc_sk");
		/* Step 1 takes 2 + i%3 minutes; step 2 takes i+1 minutes. */
		d1[i] = (2 + i % 3) * 60;
		tu_clock_set(t0 + d1[i]);
		a.case_id = id[i];
		a.step = "1";
		a.role = "pemohon";
		assert_int_equal(engine_case_act(E, &app[i].p.who, &a, &res), OA_OK);
		d2[i] = (int64_t)(i + 1) * 60;
		tu_clock_set(t0 + d1[i] + d2[i]);
		a.step = "2";
		a.role = "kadis";
		assert_int_equal(engine_case_act(E, &kadis.who, &a, &res), OA_OK);
		opened3[i] = tu_clock_now();
		history(id[i], &h);
		assert_int_equal(h.n, 2);
		assert_int_equal(h.t[0].opened_at, t0);
		assert_int_equal(h.t[0].done_at - h.t[0].opened_at, d1[i]);
		assert_int_equal(h.t[1].opened_at, t0 + d1[i]);
		assert_int_equal(h.t[1].done_at - h.t[1].opened_at, d2[i]);
		assert_int_equal(h.t[1].standard_s, 300);
		assert_int_equal(h.t[1].working, 0);
		expect_state(id[i], "open", "3");
	}
	/* Five cases overdue at step 3 (5 min standard): the first five. */
	now = opened3[4] + 301;
	assert_int_equal(engine_sla(E, "sla", "meranti-penerbitan", now, stats_cb, &ss), OA_OK);
	st = stats_of(&ss, "2");
	for (int i = 0; i < 10; i++)
		within += d2[i] <= 300;
	assert_int_equal(st->count, 10);
	assert_int_equal(st->standard_s, 300);
	assert_int_equal(st->median_s, nearest_rank(d2, 10, 50));
	assert_int_equal(st->p90_s, nearest_rank(d2, 10, 90));
	assert_int_equal(st->median_s, 300);
	assert_int_equal(st->p90_s, 540);
	assert_true(fabs(st->within - within / 10.0) < 1e-9);
	assert_true(fabs(st->within - 0.5) < 1e-9);
	st = stats_of(&ss, "1");
	assert_int_equal(st->count, 10);
	assert_int_equal(st->median_s, nearest_rank(d1, 10, 50));
	assert_int_equal(st->p90_s, nearest_rank(d1, 10, 90));
	assert_true(fabs(st->within - 1.0) < 1e-9);
	st = stats_of(&ss, "3");
	assert_int_equal(st->count, 0);
	assert_int_equal(st->open, 10);
	assert_int_equal(st->overdue, 5);
	st = stats_of(&ss, "6"); /* notify step: measured, never open */
	assert_int_equal(st->open, 0);
	assert_int_equal(engine_overdue(E, "sla", now, case_cb, &od), OA_OK);
	assert_int_equal(od.n, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(od.c[i].id, id[i]);
		assert_int_equal(od.c[i].step_due_at, opened3[i] + 300);
		assert_true(od.c[i].step_due_at < now);
	}
	/* Exactly at the due time is not yet overdue. */
	od.n = 0;
	assert_int_equal(engine_overdue(E, "sla", opened3[4] + 300, case_cb, &od), OA_OK);
	assert_int_equal(od.n, 4);
	for (int i = 0; i < 10; i++) {
		withdraw(id[i], &app[i]);
		applicant_free(&app[i]);
	}
	/* Closings are not measured as step durations. */
	ss.n = 0;
	assert_int_equal(engine_sla(E, "sla", "meranti-penerbitan", tu_clock_now(), stats_cb, &ss),
	    OA_OK);
	assert_int_equal(stats_of(&ss, "3")->count, 0);
	assert_int_equal(stats_of(&ss, "3")->open, 0);
}

/* ---- tasks ------------------------------------------------------------ */

static int in_list(const struct caselist *l, int64_t id)
{
	for (int i = 0; i < l->n; i++)
		if (l->c[i].id == id)
			return 1;
	return 0;
}

static void test_tasks(void **state)
{
	const char *vroles[] = {"verifikator", "pemohon", NULL};
	struct person verif;
	struct applicant app[8], self;
	int64_t id[8], own;
	struct walkopt o = {0};
	struct walkres w;
	struct caselist l = {0};
	engine_open_req r = {0};
	int seen_fresh = 0;
	install_file("tugas", "001-penerbitan-meranti.yaml");
	/* Cases 0..3 at step 4 (verifier, 15 min), 0 and 1 long overdue; 4 at step 5
	 * (verifier decision); 5 at step 2 (kadis); 6, 7 at step 7 (applicant). */
	const char *stops[8] = {"4", "4", "4", "4", "5", "2", "7", "7"};
	for (int i = 0; i < 8; i++) {
		id[i] = open_case("tugas", "meranti-penerbitan", NULL, &app[i], 0);
		o.stop_at = stops[i];
		walk(id[i], &app[i], &o, &w);
		expect_state(id[i], "open", stops[i]);
		if (i == 1)
			tu_clock_tick(3 * 3600);
	}
	/* The verifier's own case, also at step 4. */
	applicant_new(&self, "x", "tugas", "pemohon");
	person_v(&verif, "verif-tugas", "tugas", vroles);
	snprintf(self.p.id, sizeof self.p.id, "verif-tugas");
	self.p.who = verif.who;
	r.org = "tugas";
	r.sop_id = "meranti-penerbitan";
	r.applicant = "verif-tugas";
	r.applicant_nik = self.nik;
	assert_int_equal(engine_case_open(E, &verif.who, &r, &own), OA_OK);
	o.stop_at = "4";
	self.p.who = verif.who;
	walk(own, &self, &o, &w);
	expect_state(own, "open", "4");

	assert_int_equal(engine_tasks(E, &verif.who, case_cb, &l), OA_OK);
	assert_int_equal(l.n, 5);
	/* Every list against the definition, case by case: the verifier (who is
	 * also an applicant here), each applicant, a role per step, and people
	 * of another agency and without roles of these steps. */
	tasks_match_definition(&verif.who);
	for (int i = 0; i < 8; i++)
		tasks_match_definition(&app[i].p.who);
	{
		const sop_def *d = def_file("meranti-penerbitan");
		struct person each;
		for (size_t k = 0; k < d->n_actors; k++) {
			char pid[64];
			snprintf(pid, sizeof pid, "tugas-%zu", k);
			person1(&each, pid, "tugas", d->actors[k].id);
			tasks_match_definition(&each.who);
			snprintf(pid, sizeof pid, "lain-%zu", k);
			person1(&each, pid, "dinas-lain", d->actors[k].id);
			tasks_match_definition(&each.who);
		}
	}
	for (int i = 0; i < 5; i++)
		assert_true(in_list(&l, id[i]));
	assert_false(in_list(&l, own));
	/* Most urgent first: overdue ones, then by due time. */
	for (int i = 0; i < l.n; i++) {
		int overdue = l.c[i].step_due_at && l.c[i].step_due_at < tu_clock_now();
		if (!overdue)
			seen_fresh = 1;
		else if (seen_fresh)
			fail_msg("task %d (case %" PRId64 ") is overdue but listed after a fresh one", i,
			    l.c[i].id);
		if (i > 0)
			assert_true(l.c[i - 1].step_due_at <= l.c[i].step_due_at);
	}
	assert_int_equal(l.c[0].id, id[0]);
	assert_int_equal(l.c[1].id, id[1]);
	assert_true(l.c[0].step_due_at < tu_clock_now() && l.c[1].step_due_at < tu_clock_now());
	/* Applicants see their own case only, when it is at their step. */
	l.n = 0;
	assert_int_equal(engine_tasks(E, &app[6].p.who, case_cb, &l), OA_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.c[0].id, id[6]);
	l.n = 0;
	assert_int_equal(engine_tasks(E, &app[0].p.who, case_cb, &l), OA_OK);
	assert_int_equal(l.n, 0);
	/* A pemohon-role holder who is nobody's applicant has no tasks. */
	{
		struct person p;
		person1(&p, "pemohon-tanpa-kasus", "tugas", "pemohon");
		l.n = 0;
		assert_int_equal(engine_tasks(E, &p.who, case_cb, &l), OA_OK);
		assert_int_equal(l.n, 0);
		/* Another organisation's verifier sees none of these. */
		person1(&p, "verif-lain", "dinas-lain", "verifikator");
		assert_int_equal(engine_tasks(E, &p.who, case_cb, &l), OA_OK);
		assert_int_equal(l.n, 0);
	}
	/* 150 open cases that are not the verifier's, due before all of theirs
	 * (opened a month earlier): the page's walk along the agency's open
	 * cases stops short of the verifier's tasks and the page comes from
	 * their tasks sorted (query.c, task_ids); the same lists. */
	{
		int64_t now = tu_clock_now(), mid;
		engine_open_req q = {.org = "tugas", .sop_id = "meranti-penerbitan"};
		struct person many;
		char pid[32], nik[17];
		tu_clock_set(now - 30 * 86400);
		for (int i = 0; i < 150; i++) {
			snprintf(pid, sizeof pid, "banyak-%d", i);
			person1(&many, pid, "tugas", "pemohon");
			next_nik(nik);
			q.applicant = pid;
			q.applicant_nik = nik;
			assert_int_equal(engine_case_open(E, &many.who, &q, &mid), OA_OK);
			if (i == 149)
				tasks_match_definition(&many.who);
		}
		tu_clock_set(now);
		tasks_match_definition(&verif.who);
		tasks_match_definition(&app[6].p.who);
	}
	for (int i = 0; i < 8; i++) {
		withdraw(id[i], &app[i]);
		applicant_free(&app[i]);
	}
	tu_clock_tick(60);
	assert_int_equal(engine_case_close(E, &verif.who, own, ENGINE_WITHDRAW, NULL), OA_OK);
	applicant_free(&self);
}

/* The counts of a person's tasks are kept between requests (query.c,
 * task_counts): never stale after a case changes, here or through another
 * handle on the same store, nor after the clock passes a due time. */
static void test_task_counts_kept(void **state)
{
	struct person verif;
	struct applicant app[3];
	int64_t id[3], total, overdue, due = 0;
	struct walkopt o = {.stop_at = "4"};
	struct walkres w;
	engine_case c;
	inst *in2;
	engine *e2h;

	install_file("hitung", "001-penerbitan-meranti.yaml");
	person1(&verif, "verif-hitung", "hitung", "verifikator");
	for (int i = 0; i < 3; i++) {
		id[i] = open_case("hitung", "meranti-penerbitan", NULL, &app[i], 0);
		walk(id[i], &app[i], &o, &w);
		expect_state(id[i], "open", "4");
		assert_int_equal(engine_case_get(E, id[i], &c), OA_OK);
		assert_true(c.step_due_at > tu_clock_now());
		if (due == 0 || c.step_due_at < due)
			due = c.step_due_at;
		tu_clock_tick(60);
	}
	for (int k = 0; k < 2; k++) { /* counted, then kept */
		assert_int_equal(engine_tasks_page(E, &verif.who, tu_clock_now(), 0, 0, &total, &overdue,
		                     NULL, NULL), OA_OK);
		assert_int_equal(total, 3);
		assert_int_equal(overdue, 0);
	}
	/* At the earliest due time nothing is overdue yet; a second later one is. */
	assert_int_equal(engine_tasks_page(E, &verif.who, due, 0, 0, &total, &overdue, NULL, NULL),
	    OA_OK);
	assert_int_equal(overdue, 0);
	assert_int_equal(engine_tasks_page(E, &verif.who, due + 1, 0, 0, &total, &overdue, NULL, NULL),
	    OA_OK);
	assert_int_equal(overdue, 1);
	/* Earlier than they were counted at: counted again, not served. */
	assert_int_equal(engine_tasks_page(E, &verif.who, due - 3600, 0, 0, &total, &overdue, NULL,
	                     NULL), OA_OK);
	assert_int_equal(overdue, 0);
	/* A case leaves the desk: the counts follow at once, same clock. */
	withdraw(id[0], &app[0]);
	assert_int_equal(engine_tasks_page(E, &verif.who, tu_clock_now(), 0, 0, &total, &overdue, NULL,
	                     NULL), OA_OK);
	assert_int_equal(total, 2);
	/* ... and when another handle on the store (another connection, as
	 * another server would) withdraws one. */
	assert_int_equal(inst_open(T.path, &in2), OA_OK);
	assert_int_equal(engine_open(in2, &e2h), OA_OK);
	assert_int_equal(engine_case_close(e2h, &app[1].p.who, id[1], ENGINE_WITHDRAW, "ditarik"), OA_OK);
	engine_free(e2h);
	inst_free(in2);
	assert_int_equal(engine_tasks_page(E, &verif.who, tu_clock_now(), 0, 0, &total, &overdue, NULL,
	                     NULL), OA_OK);
	assert_int_equal(total, 1);
	tasks_match_definition(&verif.who);
	withdraw(id[2], &app[2]);
	for (int i = 0; i < 3; i++)
		applicant_free(&app[i]);
}

/* ---- working-day calendar (second instance, with a holiday) ------------- */

static tu_inst T2;
static engine *e2;

static void test_working_days_calendar(void **state)
{
	char serial[41], nik[17];
	char *text;
	int64_t vid, id, id2, saved = tu_clock_now();
	sop_errors errs = {0};
	struct person app, app2;
	engine_open_req r = {0};
	engine_act a = {0};
	engine_result res;
	engine_case c;
	/* WIB = UTC+7.  2026-11-27 and 2026-12-04 are Fridays; 2026-12-07 (Monday) is a holiday. */
	int64_t fri15 = tu_iso("2026-11-27T08:00:00Z"), mon15 = tu_iso("2026-11-30T08:00:00Z");
	int64_t mon09 = tu_iso("2026-11-30T02:00:00Z"), sat10 = tu_iso("2026-11-28T03:00:00Z");
	int64_t fri15b = tu_iso("2026-12-04T08:00:00Z"), tue15 = tu_iso("2026-12-08T08:00:00Z");
	int64_t mon15b = tu_iso("2026-12-07T08:00:00Z");

	tu_clock_set(tu_iso("2026-11-20T00:00:00Z")); /* before everything below */
	if (tu_inst_new(&T2, NULL, "\nsla.holidays = 2026-12-07\n") != 0)
		fail_msg("instance with holidays: %s", oa_errmsg());
	assert_int_equal(engine_open(T2.in, &e2), OA_OK);

	/* The calendar itself. */
	assert_int_equal(engine_add_working(e2, fri15, 8 * 3600), mon15);
	assert_int_equal(engine_working_seconds(e2, fri15, mon15), 8 * 3600);
	assert_int_equal(engine_working_seconds(e2, fri15, mon09), 2 * 3600);
	assert_int_equal(engine_working_seconds(e2, sat10, sat10 + 86400), 0);
	assert_int_equal(engine_add_working(e2, sat10, 3600), mon09);
	assert_int_equal(engine_add_working(e2, fri15b, 8 * 3600), tue15);
	assert_int_equal(engine_working_seconds(e2, fri15b, mon15b), 3600);
	assert_int_equal(engine_working_seconds(e2, fri15b, tue15), 8 * 3600);
	/* A whole Monday..Friday week without holidays: 5 working days. */
	assert_int_equal(engine_working_seconds(e2, tu_iso("2026-11-22T17:00:00Z"),
	                     tu_iso("2026-11-29T17:00:00Z")), 5 * 8 * 3600);

	/* A "1 Hari Kerja" first step (SOP 004 modified). */
	text = sop_text("004-pencabutan-sumbar.yaml");
	text = stash(replace(text, "    time: 1 Menit\n    output: Surat keterangan",
	    "    time: 1 Hari Kerja\n    output: Surat keterangan"), 2);
	if (engine_sop_install(e2, "kal", "004-kerja", text, 1, "admin", &vid, &errs) != OA_OK)
		fail_msg("install: %s", errs.n ? errs.v[0].msg : oa_errmsg());
	sop_errors_free(&errs);
	tu_clock_set(fri15 - 86400 * 3);
	next_nik(nik);
	cert_in(T2.c, nik, serial, 0);
	person1(&app, "pemohon-kal", "kal", "pemohon");
	r.org = "kal";
	r.sop_id = "sumbar-pencabutan";
	r.applicant = "pemohon-kal";
	r.applicant_nik = nik;
	r.serial = serial;
	r.reason = "perubahan_data";
	tu_clock_set(fri15);
	assert_int_equal(engine_case_open(e2, &app.who, &r, &id), OA_OK);
	assert_int_equal(engine_case_get(e2, id, &c), OA_OK);
	assert_int_equal(c.step_opened_at, fri15);
	assert_int_equal(c.step_due_at, mon15);
	/* Done Monday 09:00: two working hours, against a standard of one working day. */
	assert_int_equal(engine_case_attach(e2, &app.who, id, "formulir_surat_keterangan",
	                     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	                     "f.pdf"), OA_OK);
	tu_clock_set(mon09);
	a.case_id = id;
	a.step = "1";
	a.role = "pemohon";
	assert_int_equal(engine_case_act(e2, &app.who, &a, &res), OA_OK);
	{
		struct stats_set ss = {0};
		const engine_step_stats *st;
		struct caselist od = {0};
		assert_int_equal(engine_sla(e2, "kal", "sumbar-pencabutan", mon09, stats_cb, &ss), OA_OK);
		st = stats_of(&ss, "1");
		assert_int_equal(st->count, 1);
		assert_int_equal(st->working, 1);
		assert_int_equal(st->standard_s, 8 * 3600);
		assert_int_equal(st->median_s, 2 * 3600);
		assert_int_equal(st->p90_s, 2 * 3600);
		assert_true(fabs(st->within - 1.0) < 1e-9);

		/* Across the holiday: opened Friday 15:00, due Tuesday 15:00. */
		person1(&app2, "pemohon-kal2", "kal", "pemohon");
		tu_clock_set(fri15b - 3600);
		next_nik(nik);
		cert_in(T2.c, nik, serial, 0);
		r.applicant = "pemohon-kal2";
		r.applicant_nik = nik;
		r.serial = serial;
		tu_clock_set(fri15b);
		assert_int_equal(engine_case_open(e2, &app2.who, &r, &id2), OA_OK);
		assert_int_equal(engine_case_get(e2, id2, &c), OA_OK);
		assert_int_equal(c.step_due_at, tue15);
		assert_int_equal(engine_overdue(e2, "kal", mon15b + 3600, case_cb, &od), OA_OK);
		assert_false(in_list(&od, id2));
		assert_int_equal(engine_overdue(e2, "kal", tue15 + 1, case_cb, &od), OA_OK);
		assert_true(in_list(&od, id2));
	}
	engine_free(e2);
	e2 = NULL;
	tu_inst_free(&T2);
	tu_clock_set(saved > tu_clock_now() ? saved : tu_clock_now());
}

/* ---- audit trail -------------------------------------------------------- */

static void test_audit_trail(void **state)
{
	audit_report rep;
	int64_t cases = count("SELECT COUNT(*) FROM sop_case");

	assert_true(cases > 30);
	/* case.open once per case. */
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case c WHERE (SELECT COUNT(*) FROM audit a"
	                       " WHERE a.object = 'case:' || c.id AND a.action = 'case.open') <> 1"), 0);
	/* One case.act per transition done by a person. */
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case c WHERE (SELECT COUNT(*) FROM audit a"
	                       " WHERE a.object = 'case:' || c.id AND a.action = 'case.act') <>"
	                       " (SELECT COUNT(*) FROM sop_transition t WHERE t.case_id = c.id AND"
	                       " t.actor <> 'system' AND (t.decision IS NULL OR t.decision IN"
	                       " ('yes', 'no')))"), 0);
	/* One case.reject / case.withdraw per closing. */
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case c WHERE (SELECT COUNT(*) FROM audit a"
	                       " WHERE a.object = 'case:' || c.id AND a.action = 'case.reject') <>"
	                       " (SELECT COUNT(*) FROM sop_transition t WHERE t.case_id = c.id AND"
	                       " t.decision = 'reject')"), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case c WHERE (SELECT COUNT(*) FROM audit a"
	                       " WHERE a.object = 'case:' || c.id AND a.action = 'case.withdraw') <>"
	                       " (SELECT COUNT(*) FROM sop_transition t WHERE t.case_id = c.id AND"
	                       " t.decision = 'withdraw')"), 0);
	/* Each closed case's state matches its last transition. */
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case c WHERE c.state = 'rejected' AND"
	                       " NOT EXISTS (SELECT 1 FROM sop_transition t WHERE t.case_id = c.id AND"
	                       " t.decision = 'reject')"), 0);
	/* Transitions are numbered 1..n without gaps, n = sop_case.transitions. */
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case c WHERE c.transitions <>"
	                       " (SELECT COUNT(*) FROM sop_transition t WHERE t.case_id = c.id) OR"
	                       " c.transitions <> COALESCE((SELECT MAX(seq) FROM sop_transition t"
	                       " WHERE t.case_id = c.id), 0)"), 0);
	/* Every certificate a case issued is named by the case and the case.act record. */
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case c WHERE c.issued_serial IS NOT NULL AND"
	                       " NOT EXISTS (SELECT 1 FROM audit a WHERE a.object = 'case:' || c.id"
	                       " AND a.action = 'case.act' AND a.detail LIKE '%%issued=' ||"
	                       " c.issued_serial || '%%')"), 0);
	memset(&rep, 0, sizeof rep);
	if (audit_verify(ca_store(C), &rep) != OA_OK)
		fail_msg("audit chain broken at %" PRId64 ": %s", rep.first_bad, rep.reason);
	assert_true(rep.rows > cases);
}

/* ---- setup ------------------------------------------------------------- */

static int group_teardown(void **state)
{
	/* The calendar's instance, if its test failed before removing it. */
	engine_free(e2);
	e2 = NULL;
	tu_inst_free(&T2);
	return engine_fixture_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_000_meranti_pencabutan),
		cmocka_unit_test(test_rules_001_meranti_penerbitan),
		cmocka_unit_test(test_rules_003_ciamis_pencabutan),
		cmocka_unit_test(test_rules_004_sumbar_pencabutan),
		cmocka_unit_test(test_rules_900_pembaruan),
		cmocka_unit_test(test_rules_901_lupa_passphrase),
		cmocka_unit_test(test_no_returns_to_named_step),
		cmocka_unit_test(test_closed_cases),
		cmocka_unit_test(test_close_note_control_chars),
		cmocka_unit_test(test_sla_figures),
		cmocka_unit_test(test_tasks),
		cmocka_unit_test(test_task_counts_kept),
		cmocka_unit_test(test_working_days_calendar),
		cmocka_unit_test(test_audit_trail),
	};
	return cmocka_run_group_tests(tests, engine_fixture_setup, group_teardown);
}
