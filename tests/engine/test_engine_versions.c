/*
 * test_engine_versions.c - SOP definitions over time: the renewal window,
 * the renewal (900) and passphrase-reset (901) SOPs with an identity form
 * added, and version pinning (a case stays on the version it was opened
 * under; installing the same text again is not a new version).
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
#include <stdlib.h>
#include <string.h>

#include "engine_fixture.h"

/* ---- renewal ---------------------------------------------------------- */

static void renewal_try(int days, int64_t tick_after, oa_err want, const char *msg_has)
{
	struct applicant app;
	engine_open_req r = {0};
	ca_cert_info info;
	int64_t id;

	applicant_new(&app, "pemohon", ORG, "pemohon");
	existing_cert(app.nik, app.serial, days);
	assert_int_equal(ca_status(C, app.serial, &info), OA_OK);
	tu_clock_tick(tick_after);
	r.org = ORG;
	r.sop_id = "contoh-pembaruan";
	r.applicant = app.p.id;
	r.applicant_nik = app.nik;
	r.serial = app.serial;
	if (want == OA_OK) {
		assert_true(info.not_after - tu_clock_now() <= 30 * 86400);
		if (engine_case_open(E, &app.p.who, &r, &id) != OA_OK)
			fail_msg("renewal %" PRId64 " s before expiry refused: %s",
			    info.not_after - tu_clock_now(), oa_errmsg());
		withdraw(id, &app);
	} else {
		REFUSED(0, want, engine_case_open(E, &app.p.who, &r, &id));
		if (msg_has && strstr(last_refusal, msg_has) == NULL)
			fail_msg("refusal should say '%s': %s", msg_has, last_refusal);
	}
	applicant_free(&app);
}

static void test_renewal_window(void **state)
{
	const sop_def *d = def_file("contoh-pembaruan");

	assert_int_equal(d->renewal_window_days, 30);
	renewal_try(45, 60, OA_ERR_STATE, "30 days");
	renewal_try(32, 60, OA_ERR_STATE, "30 days");
	renewal_try(29, 60, OA_OK, NULL);
	renewal_try(10, 60, OA_OK, NULL);
	/* Expired: a new application is needed. */
	renewal_try(1, 2 * 86400, OA_ERR_STATE, "new application");
}

/* SOP 900 and 901 with an identity form added before the approval (the
 * shipped ones have none), to see the rest of their path: step id, then
 * the start of step next, the text it is put in front of. */
#define STEP_IDENTITY(id, next)                                               \
	"  - id: " id "\n"                                                     \
	"    activity: Pemohon melengkapi data diri untuk sertifikat baru\n"   \
	"    actor: pemohon\n"                                                 \
	"    action: fill_identity\n"                                          \
	"    requires: [Internet]\n"                                           \
	"    time: 5 Menit\n"                                                  \
	"    output: Data Registrasi Elektronik\n"                             \
	"\n"                                                                   \
	"  - id: " next "\n"

static const char step_identity_900[] = STEP_IDENTITY("3a", "4");
static const char step_identity_901[] = STEP_IDENTITY("6a", "7");

static void variant_walk(const char *file, const char *sop_id, const char *at, const char *step,
    const char *from, const char *to)
{
	char *text = sop_text(file);
	int64_t vid, id;
	struct applicant app;
	struct walkopt o = {0};
	struct walkres w;
	const sop_def *d;

	text = replace(text, at, step);
	if (from)
		text = replace(text, from, to);
	text = stash(text, 2);
	install_text("varian", file, text, &vid);
	id = open_case("varian", sop_id, NULL, &app, 20);
	assert_int_equal(engine_case_def(E, id, &d), OA_OK);
	walk(id, &app, &o, &w);
	check_walk_result(d, id, &app, &w);
	applicant_free(&app);
}

static void test_renewal_with_identity_form(void **state)
{
	variant_walk("900-pembaruan-contoh.yaml", "contoh-pembaruan", "  - id: 4\n", step_identity_900,
	    "    yes: 4\n    no: 11\n", "    yes: 3a\n    no: 11\n");
}

static void test_passphrase_reset_with_identity_form(void **state)
{
	variant_walk("901-lupa-passphrase-contoh.yaml", "contoh-lupa-passphrase", "  - id: 7\n",
	    step_identity_901, NULL, NULL);
}

/* ---- versions --------------------------------------------------------- */

static int hist_has_step(const struct hist *h, const char *step)
{
	for (int i = 0; i < h->n; i++)
		if (strcmp(h->t[i].step, step) == 0)
			return 1;
	return 0;
}

static void test_versions_pin_cases(void **state)
{
	char *orig = stash(sop_text("004-pencabutan-sumbar.yaml"), 0), *mod;
	int64_t v1, v1b, v2, v2b, id_old, id_new, versions, installs;
	struct applicant a_old, a_new;
	struct walkopt o = {.stop_at = "3"};
	struct walkres w;
	engine_case c;
	const sop_def *d;
	struct hist h;

	install_text("versi", "004", orig, &v1);
	id_old = open_case("versi", "sumbar-pencabutan", "perubahan_data", &a_old, 0);
	walk(id_old, &a_old, &o, &w);
	expect_state(id_old, "open", "3");
	/* Version 2: step 2 takes 2 minutes, an extra confirmation step before the end. */
	mod = strdup(orig);
	assert_non_null(mod);
	mod = replace(mod, "    time: 0.5 Menit\n    output: Dashboard AMS dapat diakses\n",
	    "    time: 2 Menit\n    output: Dashboard AMS dapat diakses\n");
	mod = replace(mod, "  - id: 9\n",
	    "  - id: 8a\n"
	    "    activity: Pemohon mengonfirmasi penerimaan notifikasi\n"
	    "    actor: pemohon\n"
	    "    time: 1 Menit\n"
	    "    output: Konfirmasi\n"
	    "\n"
	    "  - id: 9\n");
	mod = stash(mod, 1);
	install_text("versi", "004b", mod, &v2);
	assert_true(v2 != v1);
	assert_int_equal(count("SELECT COUNT(*) FROM sop_version WHERE org = 'versi' AND"
	                       " sop_id = 'sumbar-pencabutan' AND active = 1 AND id = %" PRId64, v2), 1);
	/* Installing the same text again is not a new version. */
	versions = count("SELECT COUNT(*) FROM sop_version");
	installs = count("SELECT COUNT(*) FROM audit WHERE action = 'sop.install'");
	install_text("versi", "004b-lagi", mod, &v2b);
	assert_int_equal(v2b, v2);
	assert_int_equal(count("SELECT COUNT(*) FROM sop_version"), versions);
	assert_int_equal(count("SELECT COUNT(*) FROM audit WHERE action = 'sop.install'"), installs);
	/* The old case stays on version 1. */
	assert_int_equal(engine_case_get(E, id_old, &c), OA_OK);
	assert_int_equal(c.version_id, v1);
	assert_int_equal(engine_case_def(E, id_old, &d), OA_OK);
	assert_int_equal(d->n_steps, 9);
	/* A new case runs version 2, with its 2-minute step 2. */
	id_new = open_case("versi", "sumbar-pencabutan", "perubahan_data", &a_new, 0);
	assert_int_equal(engine_case_get(E, id_new, &c), OA_OK);
	assert_int_equal(c.version_id, v2);
	assert_int_equal(engine_case_def(E, id_new, &d), OA_OK);
	assert_int_equal(d->n_steps, 10);
	o.stop_at = "2";
	walk(id_new, &a_new, &o, &w);
	assert_int_equal(engine_case_get(E, id_new, &c), OA_OK);
	assert_int_equal(c.step_due_at - c.step_opened_at, 120);
	o.stop_at = NULL;
	walk(id_new, &a_new, &o, &w);
	check_walk_result(d, id_new, &a_new, &w);
	history(id_new, &h);
	assert_true(hist_has_step(&h, "8a"));
	assert_int_equal(h.t[1].standard_s, 120);
	walk(id_old, &a_old, &o, &w);
	assert_int_equal(engine_case_def(E, id_old, &d), OA_OK);
	check_walk_result(d, id_old, &a_old, &w);
	history(id_old, &h);
	assert_false(hist_has_step(&h, "8a"));
	assert_int_equal(h.t[1].standard_s, 30);
	/* Re-installing version 1's text names version 1 again. */
	install_text("versi", "004-lagi", orig, &v1b);
	assert_int_equal(v1b, v1);
	assert_int_equal(count("SELECT COUNT(*) FROM sop_version"), versions);
	applicant_free(&a_old);
	applicant_free(&a_new);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_renewal_window),
		cmocka_unit_test(test_renewal_with_identity_form),
		cmocka_unit_test(test_passphrase_reset_with_identity_form),
		cmocka_unit_test(test_versions_pin_cases),
	};
	return cmocka_run_group_tests(tests, engine_fixture_setup, engine_fixture_teardown);
}
