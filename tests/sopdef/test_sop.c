/*
 * test_sop.c - the sop module through its public header: standard times,
 * the loaded and resolved structure, every validation rule (all problems of
 * a file collected, at the right line), simulation and rendering of the
 * shipped definitions.  The CLI and the broken-file corpus are covered by
 * sopdef.py; this program checks what the CLI cannot show.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/limits.h"
#include "common/util.h"
#include "sop/sop.h"

/* ---- helpers ---------------------------------------------------------- */

/* Lines 1..18 of every test definition; steps start on line 20. */
static const char head_fmt[] =
    "format: 1\n"                                           /* 1 */
    "id: t\n"
    "number: \"1/T/2026\"\n"
    "name: T\n"
    "kind: %s\n"                                            /* 5 */
    "agency: {name: DINAS UJI}\n"
    "dates: {made: 1 Januari 2026, revised: \"-\", effective: \"\"}\n"
    "approved_by: {title: KEPALA DINAS, nip: \"19610824 198012 1 002\"}\n"
    "legal_basis: [UU 11/2008]\n"
    "actors:\n"                                             /* 10 */
    "  - {id: a, name: PEMOHON}\n"
    "  - {id: v, name: VERIFIKATOR}\n"
    "  - {id: ca, name: BSrE, ca_operator: true}\n"
    "documents:\n"
    "  - {id: d1, name: Surat Permohonan}\n"                /* 15 */
    "reasons:\n"
    "  - {id: r1, label: Lupa passphrase, rfc5280: superseded, documents: [d1]}\n"
    "%s"                                                    /* 18: extra */
    "steps:\n";                                             /* 19 */

static char *doc(const char *kind, const char *extra, const char *steps)
{
	char *s;

	if (asprintf(&s, head_fmt, kind, extra ? extra : "# no extra\n") < 0)
		return NULL;
	if (steps != NULL) {
		char *t;

		if (asprintf(&t, "%s%s", s, steps) < 0)
			t = NULL;
		free(s);
		s = t;
	}
	return s;
}

static oa_err load(const char *kind, const char *extra, const char *steps, sop_def **d,
    sop_errors *e)
{
	char *s = doc(kind, extra, steps);
	oa_err rc;

	assert_non_null(s);
	rc = sop_parse("t.yaml", s, strlen(s), d, e);
	free(s);
	return rc;
}

/* True if some problem is at line (0: any) and contains frag. */
static int has(const sop_errors *e, int line, const char *frag)
{
	for (size_t i = 0; i < e->n; i++)
		if ((line == 0 || e->v[i].line == line) && strstr(e->v[i].msg, frag))
			return 1;
	return 0;
}

static void dump(const sop_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		fprintf(stderr, "  %d: %s\n", e->v[i].line, e->v[i].msg);
}

/* Loads, expects refusal with frag at line; returns nothing. */
static void refuse(const char *kind, const char *extra, const char *steps, int line,
    const char *frag)
{
	sop_errors e = {0};
	sop_def *d = NULL;
	oa_err rc = load(kind, extra, steps, &d, &e);

	if (rc != OA_ERR_INVALID || !has(&e, line, frag)) {
		fprintf(stderr, "expected line %d: %s; got rc %d:\n", line, frag, rc);
		dump(&e);
	}
	assert_int_equal(rc, OA_ERR_INVALID);
	assert_null(d);
	assert_true(has(&e, line, frag));
	sop_errors_free(&e);
}

static sop_def *accept(const char *kind, const char *extra, const char *steps)
{
	sop_errors e = {0};
	sop_def *d = NULL;
	oa_err rc = load(kind, extra, steps, &d, &e);

	if (rc != OA_OK)
		dump(&e);
	assert_int_equal(rc, OA_OK);
	assert_int_equal(e.n, 0);
	assert_non_null(d);
	sop_errors_free(&e);
	return d;
}

/* A valid revocation: upload, decision revoking on yes (no -> 1), notify. */
static const char revocation_steps[] =
    "  - id: 1\n"                                           /* 20 */
    "    activity: Mengajukan\n"
    "    actor: [a, v]\n"
    "    action: upload\n"
    "    requires: [doc: d1, Internet]\n"
    "    time: 5 Menit\n"                                   /* 25 */
    "  - id: 2\n"
    "    activity: Memeriksa\n"
    "    actor: ca\n"
    "    action: decide\n"
    "    yes_action: revoke\n"                              /* 30 */
    "    time: 1-2 Hari\n"
    "    yes: 3\n"
    "    no: 1\n"
    "  - id: 3\n"
    "    activity: Pemberitahuan\n"                         /* 35 */
    "    actor: a\n"
    "    action: notify\n";

/* ---- standard times ---------------------------------------------------- */

static void test_time_valid(void **state)
{
	sop_time t;

	assert_int_equal(sop_time_parse("5 Menit", 0, &t), OA_OK);
	assert_false(t.none);
	assert_int_equal(t.min_s, 300);
	assert_int_equal(t.max_s, 300);
	assert_false(t.working);
	assert_int_equal(sop_time_parse("0.5 Menit", 0, &t), OA_OK);
	assert_int_equal(t.min_s, 30);
	assert_int_equal(sop_time_parse("1,5 jam", 0, &t), OA_OK);
	assert_int_equal(t.min_s, 5400);
	assert_int_equal(sop_time_parse("1-2 Hari", 0, &t), OA_OK);
	assert_int_equal(t.min_s, 86400);
	assert_int_equal(t.max_s, 2 * 86400);
	assert_false(t.working);
	assert_int_equal(sop_time_parse("1 - 2 Hari", 1, &t), OA_OK);
	assert_true(t.working);                    /* working_days: true */
	assert_int_equal(sop_time_parse("3 Hari Kerja", 0, &t), OA_OK);
	assert_true(t.working);
	assert_int_equal(t.max_s, 3 * 86400);
	assert_int_equal(sop_time_parse("2 working days", 0, &t), OA_OK);
	assert_true(t.working);
	assert_int_equal(sop_time_parse("5 Menit", 1, &t), OA_OK);
	assert_false(t.working);                   /* minutes are never working days */
	assert_int_equal(sop_time_parse("1 Minggu", 0, &t), OA_OK);
	assert_int_equal(t.min_s, 7 * 86400);
	assert_int_equal(sop_time_parse("-", 0, &t), OA_OK);
	assert_true(t.none);
	assert_int_equal(sop_time_parse("  ", 0, &t), OA_OK);
	assert_true(t.none);
}

static void test_time_invalid(void **state)
{
	static const char *const bad[] = {
		"lima menit", "5", "5 tahun", "2-1 Hari", "0 Menit", "3 Jam Kerja", "400 Hari",
		"5 Menit lagi", "1.2345 Menit", "-5 Menit", "5 Menit 3", "1- Hari", "99999999 detik",
	};
	sop_time t;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		oa_err rc = sop_time_parse(bad[i], 0, &t);

		if (rc != OA_ERR_INVALID)
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
		assert_int_equal(rc, OA_ERR_INVALID);
		assert_non_null(strstr(oa_errmsg(), bad[i]));   /* the message quotes it */
	}
}

static void test_time_format(void **state)
{
	char s[64];

	sop_time_format(s, sizeof s, 0);
	assert_string_equal(s, "0 min");
	sop_time_format(s, sizeof s, 30);
	assert_string_equal(s, "30 s");
	sop_time_format(s, sizeof s, 86400 + 3600 + 60 * 23 + 30);
	assert_string_equal(s, "1 day 1 h 23 min 30 s");
	sop_time_format(s, sizeof s, 7 * 86400 + 20 * 60);
	assert_string_equal(s, "7 days 20 min");
}

/* ---- the loaded structure --------------------------------------------- */

static void test_structure(void **state)
{
	sop_def *d = accept("revocation", NULL, revocation_steps);
	const sop_step *s;

	assert_int_equal(d->kind, SOP_KIND_REVOCATION);
	assert_string_equal(d->made, "1 Januari 2026");
	assert_string_equal(d->revised, "");     /* "-" is stored as empty */
	assert_string_equal(d->effective, "");
	assert_int_equal(d->n_actors, 3);
	assert_true(d->actors[2].ca_operator);
	assert_false(d->actors[0].ca_operator);
	assert_int_equal(d->n_steps, 3);
	assert_int_equal(sop_step_index(d, "2"), 1);
	assert_int_equal(sop_step_index(d, "9"), -1);
	assert_int_equal(sop_actor_index(d, "ca"), 2);
	assert_int_equal(sop_document_index(d, "d1"), 0);
	assert_int_equal(sop_reason_index(d, "r1"), 0);
	assert_int_equal(d->reasons[0].crl, SOP_CRL_SUPERSEDED);
	assert_int_equal(d->reasons[0].n_docs, 1);

	s = &d->steps[0];
	assert_int_equal(s->line, 20);
	assert_int_equal(s->n_actors, 2);
	assert_int_equal(s->actors[0], 0);
	assert_int_equal(s->actors[1], 1);
	assert_int_equal(s->n_inputs, 2);
	assert_int_equal(s->inputs[0].doc, 0);
	assert_null(s->inputs[0].text);
	assert_int_equal(s->inputs[1].doc, SOP_NONE);
	assert_string_equal(s->inputs[1].text, "Internet");
	assert_int_equal(s->next, 1);            /* defaults to the following step */
	assert_int_equal(s->yes, SOP_NONE);

	s = &d->steps[1];
	assert_int_equal(s->action, SOP_ACT_DECIDE);
	assert_int_equal(s->yes_action, SOP_ACT_REVOKE);
	assert_int_equal(s->yes, 2);
	assert_int_equal(s->no, 0);
	assert_int_equal(s->next, SOP_NONE);
	assert_string_equal(s->time.text, "1-2 Hari");

	s = &d->steps[2];
	assert_int_equal(s->next, SOP_END);      /* the last step ends the SOP */
	assert_true(s->time.none);
	sop_free(d);
	sop_free(NULL);
}

static void test_names(void **state)
{
	for (int a = SOP_ACT_NONE + 1; a < SOP_ACT__MAX; a++)
		assert_int_equal(sop_action_from_name(sop_action_name((sop_action)a)), a);
	assert_int_equal(sop_action_from_name("none"), -1);
	for (int k = 0; k < SOP_KIND__MAX; k++)
		assert_int_equal(sop_kind_from_name(sop_kind_name((sop_kind)k)), k);
	assert_int_equal(sop_crl_reason_from_name("keyCompromise"), 1);
	assert_int_equal(sop_crl_reason_from_name("cessationOfOperation"), 5);
	assert_int_equal(sop_crl_reason_from_name("certificateHold"), -1);
	assert_string_equal(sop_crl_reason_name(SOP_CRL_AFFILIATION_CHANGED), "affiliationChanged");
}

/* Text is normalised: block scalars fold, runs of white space become one. */
static void test_text_normalised(void **state)
{
	sop_def *d = accept("revocation", NULL,
	    "  - id: 1\n"
	    "    activity: |\n"
	    "      Baris satu\n"
	    "        dan   dua\n"
	    "    actor: ca\n"
	    "    action: revoke\n");

	assert_string_equal(d->steps[0].activity, "Baris satu dan dua");
	sop_free(d);
}

/* ---- validation: every problem, at its line ----------------------------- */

static void test_collects_all(void **state)
{
	sop_errors e = {0};
	sop_def *d = NULL;

	assert_int_equal(load("revocation", "colour: red\n",
	    "  - id: 1\n"                        /* 20 */
	    "    activity: A\n"
	    "    actor: nobody\n"
	    "    time: lima menit\n"
	    "    action: revoke\n"
	    "  - id: 2\n"                        /* 25 */
	    "    activity: B\n"
	    "    actor: ca\n"
	    "    action: fly\n"
	    "    next: 7\n",
	    &d, &e), OA_ERR_INVALID);
	assert_null(d);
	assert_true(has(&e, 18, "unknown key `colour`"));
	assert_true(has(&e, 22, "unknown actor `nobody`"));
	assert_true(has(&e, 23, "bad standard time"));
	assert_true(has(&e, 28, "unknown action `fly`"));
	assert_true(has(&e, 29, "names step `7`"));
	/* Sorted by line. */
	for (size_t i = 1; i < e.n; i++)
		assert_true(e.v[i - 1].line <= e.v[i].line);
	sop_errors_free(&e);
	sop_errors_free(NULL);
}

static void test_yaml_problems(void **state)
{
	sop_errors e = {0};
	sop_def *d = NULL;
	const char *alias = "format: 1\nid: &x t\nnumber: *x\n";
	const char *two = "format: 1\n---\nformat: 1\n";

	assert_int_equal(sop_parse("x", "a: [1,\n", 7, &d, &e), OA_ERR_INVALID);
	assert_true(has(&e, 0, "YAML syntax error"));
	sop_errors_free(&e);
	assert_int_equal(sop_parse("x", "", 0, &d, &e), OA_ERR_INVALID);
	assert_true(has(&e, 1, "empty"));
	sop_errors_free(&e);
	assert_int_equal(sop_parse("x", alias, strlen(alias), &d, &e), OA_ERR_INVALID);
	assert_true(has(&e, 3, "aliases"));
	sop_errors_free(&e);
	assert_int_equal(sop_parse("x", two, strlen(two), &d, &e), OA_ERR_INVALID);
	assert_true(has(&e, 3, "second YAML document"));
	sop_errors_free(&e);
	assert_int_equal(sop_parse("x", "- a\n- b\n", 8, &d, &e), OA_ERR_INVALID);
	assert_true(has(&e, 1, "must be a mapping"));
	sop_errors_free(&e);
	assert_int_equal(sop_parse("x", "format: \"\xc3\x28\"\n", 14, &d, &e), OA_ERR_INVALID);
	assert_true(has(&e, 0, "YAML syntax error"));   /* invalid UTF-8 */
	sop_errors_free(&e);
	assert_null(d);
}

static void test_header_rules(void **state)
{
	refuse("suspension", NULL, revocation_steps, 5, "unknown kind `suspension`");
	refuse("revocation", "renewal: {window_days: 30}\n", revocation_steps, 18,
	    "only for SOPs of kind renewal");
	refuse("revocation", "working_days: maybe\n", revocation_steps, 18, "true or false");
	refuse("revocation", "qualifications: {a: b}\n", revocation_steps, 18, "must be a list");
	refuse("revocation", "warnings: [\"\"]\n", revocation_steps, 18, "is empty");
	refuse("revocation", "equipment: [[nested]]\n", revocation_steps, 18, "must be text");
}

static void test_header_values(void **state)
{
	/* Replace parts of the fixed header through a hand-written file. */
	static const char *const cases[][3] = {
		{"dates: {made: 1 Januari 2026, revised: \"-\", effective: \"\"}",
		    "dates: {made: 31 Smarch 2026, revised: \"-\", effective: \"\"}", "is not a date"},
		{"nip: \"19610824 198012 1 002\"", "nip: \"1961\"", "a NIP has 18 digits"},
		{"  - {id: v, name: VERIFIKATOR}", "  - {id: a, name: VERIFIKATOR}", "duplicate actor id `a`"},
		{"  - {id: v, name: VERIFIKATOR}", "  - {id: \"v w\", name: VERIFIKATOR}", "may only contain"},
		{"  - {id: v, name: VERIFIKATOR}", "  - {id: end, name: VERIFIKATOR}", "reserved"},
		{"  - {id: v, name: VERIFIKATOR}", "  - {id: v, nama: VERIFIKATOR}", "did you mean `name`"},
		{"documents: [d1]}", "documents: [d9]}", "unknown document `d9`"},
		{"rfc5280: superseded", "rfc5280: certificateHold", "unknown RFC 5280 reason"},
		{"legal_basis: [UU 11/2008]", "legal_basis: []", "`legal_basis` is empty"},
		{"name: T\n", "name: \"\"\n", "`name` is empty"},
		{"format: 1\n", "format: 1\nformat: 1\n", "appears twice"},
		{"format: 1\n", "format: 2\n", "`format` must be 1"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = doc("revocation", NULL, revocation_steps), *p, *t;
		sop_errors e = {0};
		sop_def *d = NULL;
		size_t off;

		assert_non_null(s);
		assert_non_null(p = strstr(s, cases[i][0]));
		off = (size_t)(p - s);
		assert_true(asprintf(&t, "%.*s%s%s", (int)off, s, cases[i][1],
		    p + strlen(cases[i][0])) > 0);
		if (sop_parse("t.yaml", t, strlen(t), &d, &e) != OA_ERR_INVALID ||
		    !has(&e, 0, cases[i][2])) {
			fprintf(stderr, "case %zu (%s):\n", i, cases[i][2]);
			dump(&e);
			fail();
		}
		assert_null(d);
		sop_errors_free(&e);
		free(s);
		free(t);
	}
}

static void test_step_rules(void **state)
{
	/* Missing required keys. */
	refuse("revocation", NULL,
	    "  - id: 1\n    actor: ca\n    action: revoke\n", 20, "missing `activity`");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    action: revoke\n", 20, "missing `actor`");
	/* Decisions. */
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: decide\n    yes_action: revoke\n"
	    "    yes: end\n", 20, "without a `no` branch");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: decide\n    yes_action: revoke\n"
	    "    yes: end\n    no: end\n", 26, "lead to the same place");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: decide\n    yes_action: revoke\n"
	    "    yes: end\n    no: 1\n    next: end\n", 27, "not `next`");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: revoke\n    no: end\n", 24,
	    "`no` is only for decisions");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: revoke\n    yes_action: notify\n",
	    24, "only for decisions");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: decide\n    yes_action: done\n"
	    "    yes: end\n    no: 1\n", 24, "cannot be `done`");
	/* done, reason, duplicate ids, targets. */
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: revoke\n"
	    "  - id: 2\n    activity: Selesai\n    action: done\n    next: 1\n", 27, "remove `next`");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: a\n    reason: r1\n"
	    "  - id: 2\n    activity: B\n    actor: ca\n    action: revoke\n", 23,
	    "this step does not revoke");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: revoke\n    reason: r9\n", 24,
	    "unknown reason `r9`");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: revoke\n"
	    "  - id: 1\n    activity: B\n    actor: a\n", 24, "duplicate step id `1`");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: [ca, ca]\n    action: revoke\n", 22,
	    "listed twice");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: {x: y}\n    action: revoke\n", 22,
	    "must be an actor id or a list");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: revoke\n"
	    "    requires: [{doc: d1, extra: 1}]\n", 24, "unknown key `extra`");
	refuse("revocation", NULL, "", 19, "`steps` is empty");
}

static void test_graph_rules(void **state)
{
	/* Unreachable: step 2 is jumped over. */
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: revoke\n    next: 3\n"
	    "  - id: 2\n    activity: B\n    actor: a\n"
	    "  - id: 3\n    activity: C\n    actor: a\n", 25, "cannot be reached");
	/* A loop no decision leaves. */
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: revoke\n"
	    "  - id: 2\n    activity: B\n    actor: a\n    next: 3\n"
	    "  - id: 3\n    activity: C\n    actor: a\n    next: 2\n", 20, "no path reaches the end");
	/* A decision whose "no" loops back over the revoke step: twice on a path. */
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: revoke\n"
	    "  - id: 2\n    activity: B\n    actor: v\n    action: decide\n    yes: end\n    no: 1\n",
	    20, "a loop leads back to it");
	/* Two revoke steps in a row. */
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: revoke\n"
	    "  - id: 2\n    activity: B\n    actor: ca\n    action: revoke\n", 20,
	    "can do it again on the same path");
}

static void test_kind_rules(void **state)
{
	static const char issue_only[] =
	    "  - id: 1\n    activity: A\n    actor: a\n    action: set_passphrase\n"
	    "  - id: 2\n    activity: B\n    actor: ca\n    action: issue\n";

	refuse("issuance", NULL,
	    "  - id: 1\n    activity: A\n    actor: a\n    action: upload\n", 20,
	    "needs a step with `action: issue`");
	refuse("issuance", NULL,
	    "  - id: 1\n    activity: A\n    actor: v\n    action: issue\n", 20,
	    "not the CA-operator role");
	refuse("issuance", NULL,
	    "  - id: 1\n    activity: A\n    actor: [ca, v]\n    action: issue\n", 20,
	    "its actor `v` is not the CA-operator role");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: a\n    action: upload\n", 20,
	    "needs a step with `action: revoke`");
	refuse("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: v\n    action: decide\n    yes_action: revoke\n"
	    "    yes: end\n    no: 1\n", 20, "not the CA-operator role");
	refuse("revocation", NULL, issue_only, 20, "must not issue");
	/* Passphrase reset: revoke, then a new passphrase, then issue. */
	refuse("passphrase_reset", NULL, issue_only, 20, "needs a step with `action: revoke`");
	refuse("passphrase_reset", NULL,
	    "  - id: 1\n    activity: A\n    actor: a\n    action: set_passphrase\n"
	    "  - id: 2\n    activity: B\n    actor: ca\n    action: issue\n"
	    "  - id: 3\n    activity: C\n    actor: ca\n    action: revoke\n", 24,
	    "has not revoked the old one");
	refuse("passphrase_reset", NULL,
	    "  - id: 1\n    activity: A\n    actor: a\n    action: set_passphrase\n"
	    "  - id: 2\n    activity: B\n    actor: ca\n    action: revoke\n"
	    "  - id: 3\n    activity: C\n    actor: ca\n    action: issue\n", 28,
	    "has not set a new passphrase");
	refuse("passphrase_reset", NULL,
	    "  - id: 1\n    activity: B\n    actor: ca\n    action: revoke\n"
	    "  - id: 2\n    activity: C\n    actor: ca\n    action: issue\n", 20,
	    "needs a step with `action: set_passphrase`");
	/* Renewal: window, issue before revoke, superseded. */
	refuse("renewal", NULL, issue_only, 1, "needs `renewal: {window_days: N}`");
	refuse("renewal", "renewal: {window_days: 0}\n", issue_only, 18, "from 1 to 365");
	refuse("renewal", "renewal: {window_days: 30}\n", issue_only, 20,
	    "needs a step with `action: revoke`");
	refuse("renewal", "renewal: {window_days: 30}\n",
	    "  - id: 1\n    activity: A\n    actor: ca\n    action: revoke\n    reason: r1\n"
	    "  - id: 2\n    activity: B\n    actor: a\n    action: set_passphrase\n"
	    "  - id: 3\n    activity: C\n    actor: ca\n    action: issue\n", 20,
	    "before the new one is issued");
	refuse("renewal", "renewal: {window_days: 30}\n",
	    "  - id: 1\n    activity: C\n    actor: ca\n    action: issue\n"
	    "  - id: 2\n    activity: A\n    actor: ca\n    action: revoke\n", 24,
	    "supersedes the old one");
	refuse("renewal", "renewal: {window_days: 30}\n",
	    "  - id: 1\n    activity: C\n    actor: ca\n    action: issue\n"
	    "  - id: 2\n    activity: D\n    actor: v\n    action: decide\n    yes: 3\n    no: end\n"
	    "  - id: 3\n    activity: A\n    actor: ca\n    action: revoke\n    reason: r1\n", 20,
	    "can end without revoking");
	/* And the valid shapes. */
	sop_free(accept("renewal", "renewal: {window_days: 30}\n",
	    "  - id: 1\n    activity: C\n    actor: ca\n    action: issue\n"
	    "  - id: 2\n    activity: A\n    actor: ca\n    action: revoke\n    reason: r1\n"));
	sop_free(accept("passphrase_reset", NULL,
	    "  - id: 1\n    activity: B\n    actor: ca\n    action: revoke\n"
	    "  - id: 2\n    activity: A\n    actor: a\n    action: set_passphrase\n"
	    "  - id: 3\n    activity: C\n    actor: ca\n    action: issue\n"
	    "  - id: 4\n    activity: Selesai\n    action: done\n"));
}

static void test_limits(void **state)
{
	oa_buf b = {0};
	sop_errors e = {0};
	sop_def *d = NULL;
	char *s;

	/* A text one byte over OA_MAX_SOP_TEXT. */
	assert_int_equal(oa_buf_printf(&b, "  - id: 1\n    activity: "), OA_OK);
	for (int i = 0; i <= OA_MAX_SOP_TEXT; i++)
		assert_int_equal(oa_buf_append(&b, "x", 1), OA_OK);
	assert_int_equal(oa_buf_printf(&b, "\n    actor: ca\n    action: revoke\n"), OA_OK);
	refuse("revocation", NULL, (const char *)b.data, 21, "at most 4096 are allowed");
	oa_buf_free(&b);
	memset(&b, 0, sizeof b);

	/* A list of OA_MAX_SOP_LIST + 1 items. */
	assert_int_equal(oa_buf_printf(&b, "records:\n"), OA_OK);
	for (int i = 0; i <= OA_MAX_SOP_LIST; i++)
		assert_int_equal(oa_buf_printf(&b, "  - catatan %d\n", i), OA_OK);
	refuse("revocation", (const char *)b.data, revocation_steps, 19, "OA_MAX_SOP_LIST");
	oa_buf_free(&b);
	memset(&b, 0, sizeof b);

	/* OA_MAX_SOP_STEPS + 1 steps. */
	for (int i = 0; i <= OA_MAX_SOP_STEPS; i++)
		assert_int_equal(oa_buf_printf(&b, "  - {id: s%d, activity: A, actor: ca, action: "
		    "revoke}\n", i), OA_OK);
	refuse("revocation", NULL, (const char *)b.data, 20, "OA_MAX_SOP_STEPS");
	oa_buf_free(&b);
	memset(&b, 0, sizeof b);

	/* A file over OA_MAX_SOP_BYTES is refused before parsing. */
	assert_non_null(s = calloc(OA_MAX_SOP_BYTES + 2, 1));
	memset(s, '#', OA_MAX_SOP_BYTES + 1);
	assert_int_equal(sop_parse("big", s, OA_MAX_SOP_BYTES + 1, &d, &e), OA_ERR_LIMIT);
	assert_true(has(&e, 0, "OA_MAX_SOP_BYTES"));
	sop_errors_free(&e);
	free(s);

	/* A file that does not exist. */
	assert_int_equal(sop_load("/nonexistent/sop.yaml", &d, &e), OA_ERR_NOTFOUND);
	assert_true(has(&e, 0, "cannot read"));
	sop_errors_free(&e);
	assert_null(d);
}

/* Seconds on the monotonic clock. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* n copies of unit, NUL-terminated (the caller frees). */
static char *repeat(const char *unit, size_t n)
{
	size_t u = strlen(unit);
	char *s = malloc(u * n + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[u * n] = '\0';
	return s;
}

/*
 * Issue 16: libyaml's scanner costs O(depth) per token, so N `[` cost N^2
 * (98 s for 100,000 before the depth limit).  Refused at the first level
 * past OA_MAX_YAML_DEPTH, on line 1, in well under the bound (generous for
 * sanitizer builds on a busy machine).
 */
static void test_yaml_nesting(void **state)
{
	const char *units[] = {"[", "{a: ", "- "};

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		char *s = repeat(units[i], 100000);
		sop_errors e = {0};
		sop_def *d = NULL;
		double t0 = now_s(), dt;

		assert_int_equal(sop_parse("deep", s, strlen(s), &d, &e), OA_ERR_INVALID);
		dt = now_s() - t0;
		if (!has(&e, 1, "OA_MAX_YAML_DEPTH")) {
			fprintf(stderr, "%s x 100000:\n", units[i]);
			dump(&e);
		}
		assert_true(has(&e, 1, "nested deeper than 32 levels (OA_MAX_YAML_DEPTH)"));
		assert_null(d);
		assert_true(dt < 5.0);
		sop_errors_free(&e);
		free(s);
	}
}

/* Too many nodes, and anchors (libyaml registers them in N^2): refused at
 * their line, quickly. */
static void test_yaml_work(void **state)
{
	sop_errors e = {0};
	sop_def *d = NULL;
	char *s = repeat("- a\n", OA_MAX_YAML_NODES + 1), *t;
	double t0 = now_s();

	assert_int_equal(sop_parse("wide", s, strlen(s), &d, &e), OA_ERR_INVALID);
	assert_true(has(&e, OA_MAX_YAML_NODES, "more than 100000 YAML nodes"));
	sop_errors_free(&e);
	free(s);
	s = repeat("- &x a\n", 60000);
	assert_int_equal(sop_parse("anchors", s, strlen(s), &d, &e), OA_ERR_INVALID);
	assert_true(has(&e, 1, "anchors (&name) are not supported"));
	assert_true(now_s() - t0 < 5.0);
	sop_errors_free(&e);
	free(s);
	assert_null(d);

	/* Nesting at the limit is still read (and refused for what it is). */
	s = repeat("[", OA_MAX_YAML_DEPTH);
	t = repeat("]", OA_MAX_YAML_DEPTH);
	assert_non_null(s = realloc(s, 2 * OA_MAX_YAML_DEPTH + 1));
	strcat(s, t);
	assert_int_equal(sop_parse("deep", s, strlen(s), &d, &e), OA_ERR_INVALID);
	assert_false(has(&e, 0, "OA_MAX_YAML_DEPTH"));
	assert_true(has(&e, 1, "must be a mapping"));
	sop_errors_free(&e);
	free(s);
	free(t);
}

/* A wide but legal definition: OA_MAX_SOP_STEPS steps, each requiring
 * OA_MAX_SOP_LIST items (about 13,000 nodes), is accepted. */
static void test_yaml_wide_legal(void **state)
{
	oa_buf b = {0};
	sop_def *d;

	assert_int_equal(oa_buf_printf(&b, "%s", revocation_steps), OA_OK);
	for (int i = 4; i <= OA_MAX_SOP_STEPS; i++) {
		assert_int_equal(oa_buf_printf(&b, "  - {id: n%d, activity: Kabar, actor: a, "
		    "action: notify, requires: [", i), OA_OK);
		for (int j = 0; j < OA_MAX_SOP_LIST; j++)
			assert_int_equal(oa_buf_printf(&b, "%sbahan %d", j ? ", " : "", j), OA_OK);
		assert_int_equal(oa_buf_printf(&b, "]}\n"), OA_OK);
	}
	assert_int_equal(oa_buf_append(&b, "", 1), OA_OK);
	d = accept("revocation", NULL, (const char *)b.data);
	sop_free(d);
	oa_buf_free(&b);
}

/* ---- simulation -------------------------------------------------------- */

static void test_simulate(void **state)
{
	sop_def *d = accept("revocation", NULL, revocation_steps);
	const char *no2[] = {"2", "2"}, *bad[] = {"1"}, *unknown[] = {"9"};
	sop_trace tr;

	assert_int_equal(sop_simulate(d, NULL, 0, &tr), OA_OK);
	assert_int_equal(tr.n, 3);
	assert_int_equal(tr.v[1].decision, 1);
	assert_int_equal(tr.v[1].extra, SOP_ACT_REVOKE);
	assert_int_equal(tr.v[2].next, SOP_END);
	assert_int_equal(tr.min_s, 300 + 86400);
	assert_int_equal(tr.max_s, 300 + 2 * 86400);
	assert_int_equal(tr.untimed, 1);
	sop_trace_free(&tr);

	/* Each --no takes "no" once: 1 2(no) 1 2(no) 1 2(yes) 3. */
	assert_int_equal(sop_simulate(d, no2, 2, &tr), OA_OK);
	assert_int_equal(tr.n, 7);
	assert_int_equal(tr.v[1].decision, 2);
	assert_int_equal(tr.v[1].extra, SOP_ACT_NONE);   /* no revoke on "no" */
	assert_int_equal(tr.v[1].next, 0);
	assert_int_equal(tr.v[3].decision, 2);
	assert_int_equal(tr.v[5].decision, 1);
	assert_int_equal(tr.v[5].extra, SOP_ACT_REVOKE);
	sop_trace_free(&tr);

	assert_int_equal(sop_simulate(d, bad, 1, &tr), OA_ERR_INVALID);
	assert_non_null(strstr(oa_errmsg(), "not a decision"));
	sop_trace_free(&tr);
	assert_int_equal(sop_simulate(d, unknown, 1, &tr), OA_ERR_NOTFOUND);
	sop_trace_free(&tr);
	sop_free(d);

	/* A "no" that the walk never reaches is an error, not ignored. */
	d = accept("revocation", NULL,
	    "  - id: 1\n    activity: A\n    actor: v\n    action: decide\n    yes: 2\n    no: end\n"
	    "  - id: 2\n    activity: B\n    actor: v\n    action: decide\n    yes: 3\n    no: 1\n"
	    "  - id: 3\n    activity: C\n    actor: ca\n    action: revoke\n");
	{
		const char *nos[] = {"1", "2"};

		assert_int_equal(sop_simulate(d, nos, 2, &tr), OA_ERR_INVALID);
		assert_non_null(strstr(oa_errmsg(), "--no 2"));
		sop_trace_free(&tr);
	}
	sop_free(d);
}

/* ---- rendering of the shipped definitions -------------------------------- */

static char *escaped(const char *s)
{
	oa_buf b = {0};

	for (; *s; s++) {
		const char *r = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" :
		    *s == '"' ? "&quot;" : *s == '\'' ? "&#39;" : NULL;

		if (r)
			assert_int_equal(oa_buf_append(&b, r, strlen(r)), OA_OK);
		else
			assert_int_equal(oa_buf_append(&b, s, 1), OA_OK);
	}
	assert_int_equal(oa_buf_append(&b, "", 1), OA_OK);
	return (char *)b.data;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_render_shipped(void **state)
{
	const char *src = getenv("OPENAMS_SRC");
	char pattern[OA_MAX_PATH];
	glob_t g;

	snprintf(pattern, sizeof pattern, "%s/sop/*.yaml", src ? src : ".");
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 6);
	for (size_t f = 0; f < g.gl_pathc; f++) {
		sop_errors e = {0};
		sop_def *d = NULL;
		oa_buf html = {0}, svg = {0};
		size_t decisions = 0;

		if (sop_load(g.gl_pathv[f], &d, &e) != OA_OK)
			dump(&e);
		assert_non_null(d);
		assert_int_equal(sop_render_html(d, &html), OA_OK);
		assert_int_equal(sop_render_svg(d, &svg), OA_OK);
		assert_int_equal(oa_buf_append(&html, "", 1), OA_OK);
		assert_int_equal(oa_buf_append(&svg, "", 1), OA_OK);
		/* One column per actor, in the form and in the swimlane. */
		assert_int_equal(count((char *)html.data, "<th class=\"actor\">"), d->n_actors);
		assert_int_equal(count((char *)svg.data, "<g class=\"actor\">"), d->n_actors);
		assert_null(strstr((char *)html.data, "<script"));
		assert_null(strstr((char *)svg.data, "<script"));
		for (size_t i = 0; i < d->n_steps; i++) {
			char *act = escaped(d->steps[i].activity), *title;

			if (!strstr((char *)html.data, act))
				fprintf(stderr, "%s: step %s missing from HTML\n", g.gl_pathv[f],
				    d->steps[i].id);
			assert_non_null(strstr((char *)html.data, act));
			assert_true(asprintf(&title, "<title>%s. %s</title>", d->steps[i].id, act) > 0);
			assert_non_null(strstr((char *)svg.data, title));
			free(title);
			free(act);
			decisions += d->steps[i].action == SOP_ACT_DECIDE;
		}
		/* Decisions are diamonds with a Ya and a Tidak arrow each. */
		assert_int_equal(count((char *)svg.data, "<polygon class=\"dec\""), decisions);
		assert_int_equal(count((char *)svg.data, ">Tidak</text>"), decisions);
		assert_int_equal(count((char *)svg.data, "class=\"edge no\""), decisions);
		assert_int_equal(count((char *)svg.data, ">Mulai</text>"), 1);
		oa_buf_free(&html);
		oa_buf_free(&svg);
		sop_free(d);
		sop_errors_free(&e);
	}
	globfree(&g);
}

static void test_render_escapes(void **state)
{
	sop_def *d = accept("revocation", NULL,
	    "  - id: 1\n"
	    "    activity: \"<script>alert('x')</script> & \\\"kutip\\\"\"\n"
	    "    actor: ca\n"
	    "    action: revoke\n"
	    "    output: \"<b>tebal</b>\"\n"
	    "    requires: [\"a<b\"]\n");
	oa_buf html = {0}, svg = {0};

	assert_int_equal(sop_render_html(d, &html), OA_OK);
	assert_int_equal(sop_render_svg(d, &svg), OA_OK);
	assert_int_equal(oa_buf_append(&html, "", 1), OA_OK);
	assert_int_equal(oa_buf_append(&svg, "", 1), OA_OK);
	assert_null(strstr((char *)html.data, "<script>"));
	assert_null(strstr((char *)html.data, "<b>tebal"));
	assert_null(strstr((char *)svg.data, "<script>"));
	assert_non_null(strstr((char *)html.data,
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;kutip&quot;"));
	assert_non_null(strstr((char *)html.data, "&lt;b&gt;tebal&lt;/b&gt;"));
	assert_non_null(strstr((char *)html.data, "a&lt;b"));
	assert_non_null(strstr((char *)svg.data, "&lt;script&gt;"));
	oa_buf_free(&html);
	oa_buf_free(&svg);
	sop_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_valid),
		cmocka_unit_test(test_time_invalid),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_text_normalised),
		cmocka_unit_test(test_collects_all),
		cmocka_unit_test(test_yaml_problems),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_header_values),
		cmocka_unit_test(test_step_rules),
		cmocka_unit_test(test_graph_rules),
		cmocka_unit_test(test_kind_rules),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_yaml_nesting),
		cmocka_unit_test(test_yaml_work),
		cmocka_unit_test(test_yaml_wide_legal),
		cmocka_unit_test(test_simulate),
		cmocka_unit_test(test_render_shipped),
		cmocka_unit_test(test_render_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
