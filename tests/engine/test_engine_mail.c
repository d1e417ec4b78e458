/*
 * test_engine_mail.c - what the engine tells people, driven by the shared
 * walker (engine_walk.c): SOP 001's e-mails in the seed's order with a key
 * made server-side under the applicant's passphrase; SLA reminders and the
 * escalation of an overdue step; the revocation notice to the holder.  The
 * tests run in order on one instance (the later ones use the accounts and
 * the certificate the first one made).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "auth/auth.h"
#include "engine_fixture.h"
#include "keys/keys.h"
#include "mail/mail.h"

#define HOLDER "siti.rahma"
#define HOLDER_NIK "1471015505900001"
#define PASSPHRASE "langit biru di atas selat panjang"

struct events {
	char list[32][24];
	int n;
};

static int collect(const mail_info *m, void *arg)
{
	struct events *ev = arg;
	if (ev->n < 32)
		snprintf(ev->list[ev->n++], sizeof ev->list[0], "%s", m->event);
	return 0;
}

static int count_event(const char *ev)
{
	struct events all = {0};
	int n = 0;

	assert_int_equal(mail_list(ca_store(C), NULL, 1000, collect, &all), OA_OK);
	for (int i = 0; i < all.n; i++)
		n += strcmp(all.list[i], ev) == 0;
	return n;
}

/* The holder with an account (NIK and e-mail as the walker's identity form
 * gives them), as the walker's applicant. */
static void holder(struct applicant *app)
{
	memset(app, 0, sizeof *app);
	person1(&app->p, HOLDER, ORG, "pemohon");
	snprintf(app->nik, sizeof app->nik, "%s", HOLDER_NIK);
}

/* A signature with the holder's sealed key verifies against certificate serial. */
static void check_key(const char *serial)
{
	int64_t kid;
	char hold[65];
	uint8_t digest[32], *sig = NULL, *der = NULL;
	size_t siglen = 0, dlen = 0;
	keys_sign_req kr = {0};
	const unsigned char *q;
	X509 *x;
	EVP_PKEY_CTX *vctx;

	memset(digest, 0x42, sizeof digest);
	assert_int_equal(keys_find_by_serial(T.in, serial, &kid, hold), OA_OK);
	assert_string_equal(hold, HOLDER);
	kr.holder = HOLDER;
	kr.key_id = kid;
	kr.passphrase = PASSPHRASE;
	kr.digest = digest;
	kr.digest_len = sizeof digest;
	kr.md_nid = NID_sha256;
	kr.actor = HOLDER;
	assert_int_equal(keys_sign(T.in, &kr, &sig, &siglen), OA_OK);
	assert_int_equal(ca_cert_der(C, serial, &der, &dlen), OA_OK);
	q = der;
	x = d2i_X509(NULL, &q, (long)dlen);
	assert_non_null(x);
	vctx = EVP_PKEY_CTX_new(X509_get0_pubkey(x), NULL);
	assert_int_equal(EVP_PKEY_verify_init(vctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_signature_md(vctx, EVP_sha256()), 1);
	assert_int_equal(EVP_PKEY_verify(vctx, sig, siglen, digest, sizeof digest), 1);
	EVP_PKEY_CTX_free(vctx);
	X509_free(x);
	free(der);
	free(sig);
}

/* SOP 001 walked by people with accounts: the seed's e-mails, in order,
 * each in the same transaction as its step; a "no" at step 5 tells the
 * applicant what to complete; the key is made server-side, sealed under
 * the passphrase, which is nowhere in the case data. */
static void test_sop001_emails(void **state)
{
	static const char *const staff[][2] = {{"kadis1", "kadis"}, {"kabid1", "kabid"},
	    {"verif1", "verifikator"}, {"op1", "bsre"}};
	static const char *const want[] = {"file_incomplete", "identity_form", "account",
	    "set_passphrase", "cert_issued"};
	auth_person_in p = {0};
	auth *a = NULL;
	struct applicant app;
	struct walkopt o = {.no_at = "5", .passphrase = PASSPHRASE};
	struct walkres w;
	struct events ev = {0};
	engine_open_req r = {0};
	int64_t id;
	int j = 0;

	assert_int_equal(auth_open(T.in, &a), OA_OK);
	assert_int_equal(auth_org_create(a, ORG, "Dinas Kominfo Meranti", "test"), OA_OK);
	p.id = HOLDER;
	p.org = ORG;
	p.name = "Siti Rahmawati";
	p.nik = HOLDER_NIK;
	p.email = "siti@kominfo.merantikab.go.id";
	assert_int_equal(auth_person_create(a, &p, "test"), OA_OK);
	assert_int_equal(auth_role_grant(a, HOLDER, ORG, "pemohon", "test"), OA_OK);
	for (size_t i = 0; i < sizeof staff / sizeof staff[0]; i++) {
		char email[64], snik[17];
		snprintf(email, sizeof email, "%s@kominfo.merantikab.go.id", staff[i][0]);
		snprintf(snik, sizeof snik, "147101120380%04d", (int)i + 2);
		memset(&p, 0, sizeof p);
		p.id = staff[i][0];
		p.org = ORG;
		p.name = "Petugas Dinas";
		p.email = email;
		p.nik = snik;
		assert_int_equal(auth_person_create(a, &p, "test"), OA_OK);
		assert_int_equal(auth_role_grant(a, staff[i][0], ORG, staff[i][1], "test"),
		    OA_OK);
	}
	auth_free(a);
	holder(&app);
	r.org = ORG;
	r.sop_id = "meranti-penerbitan";
	r.applicant = HOLDER;
	assert_int_equal(engine_case_open(E, &app.p.who, &r, &id), OA_OK);
	walk(id, &app, &o, &w);
	expect_state(id, "completed", NULL);
	assert_int_equal(w.issued, 1);
	assert_int_equal(w.no_done, 1);
	check_key(w.issued_serial);
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case_data WHERE value LIKE '%%langit biru%%'"),
	    0);
	assert_int_equal(mail_list(ca_store(C), NULL, 100, collect, &ev), OA_OK);
	for (int i = ev.n - 1; i >= 0; i--) /* mail_list gives the newest first */
		if (j < 5 && strcmp(ev.list[i], want[j]) == 0)
			j++;
	if (j != 5 || ev.n != 5) {
		for (int i = 0; i < ev.n; i++)
			fprintf(stderr, "mail %d: %s\n", i, ev.list[i]);
		fail_msg("the e-mails of SOP 001 are not the seed's, in order");
	}
}

/* Overdue steps remind their role once per interval and escalate once
 * (after test_sop001_emails, which made the accounts). */
static void test_sla_reminders(void **state)
{
	struct applicant app;
	struct person kadis;
	struct walkopt o = {.max_acts = 1};
	struct walkres w;
	engine_open_req r = {0};
	engine_act a = {0};
	engine_result res;
	int64_t id, sent, t0;
	int rem0 = count_event("sla_reminder"), esc0 = count_event("sla_escalation");

	holder(&app);
	person1(&kadis, "kadis1", ORG, "kadis");
	r.org = ORG;
	r.sop_id = "meranti-penerbitan";
	r.applicant = HOLDER;
	assert_int_equal(engine_case_open(E, &app.p.who, &r, &id), OA_OK);
	walk(id, &app, &o, &w); /* step 1, the applicant's */
	expect_state(id, "open", "2");
	t0 = tu_clock_now(); /* step 2 (kadis, 5 Menit) opened now, due t0 + 300 */
	assert_int_equal(engine_remind(E, t0 + 200, &sent), OA_OK);
	assert_int_equal(sent, 0); /* not overdue yet */
	assert_int_equal(engine_remind(E, t0 + 400, &sent), OA_OK);
	assert_int_equal(sent, 1); /* kadis1 holds kadis */
	assert_int_equal(count_event("sla_reminder"), rem0 + 1);
	assert_int_equal(engine_remind(E, t0 + 500, &sent), OA_OK);
	assert_int_equal(sent, 0); /* once per sla.remind_minutes */
	assert_int_equal(engine_remind(E, t0 + 400 + 4 * 3600, &sent), OA_OK);
	assert_int_equal(sent, 1);
	assert_int_equal(count_event("sla_escalation"), esc0);
	/* A day past due: escalated once to sla.escalate_to (kadis) as well. */
	assert_int_equal(engine_remind(E, t0 + 300 + 86400 + 10, &sent), OA_OK);
	assert_int_equal(sent, 2);
	assert_int_equal(count_event("sla_escalation"), esc0 + 1);
	assert_int_equal(engine_remind(E, t0 + 300 + 86400 + 60, &sent), OA_OK);
	assert_int_equal(count_event("sla_escalation"), esc0 + 1);
	/* Once the step is done, nothing more for it. */
	a.case_id = id;
	a.step = "2";
	a.role = "kadis";
	assert_int_equal(engine_case_act(E, &kadis.who, &a, &res), OA_OK);
	assert_int_equal(engine_remind(E, tu_clock_now() + 200, &sent), OA_OK);
	assert_int_equal(sent, 0);
}

/* A revocation SOP tells the holder: SOP 004 revokes the certificate that
 * test_sop001_emails issued, and the holder gets the notice once. */
static void test_revocation_notice(void **state)
{
	struct applicant app;
	struct walkopt o = {0};
	struct walkres w;
	engine_open_req r = {0};
	int64_t id;
	char serial[41] = "";
	int before = count_event("cert_revoked");
	store_stmt *st = store_prepare(ca_store(C), "SELECT serial FROM certificate WHERE nik = '"
	                                            HOLDER_NIK "' AND status = 'active'");

	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	snprintf(serial, sizeof serial, "%s", store_col_text(st, 0));
	store_reset(st);
	holder(&app);
	snprintf(app.serial, sizeof app.serial, "%s", serial);
	r.org = ORG;
	r.sop_id = "sumbar-pencabutan";
	r.applicant = HOLDER;
	r.applicant_nik = HOLDER_NIK;
	r.serial = serial;
	r.reason = def_file("sumbar-pencabutan")->reasons[0].id;
	assert_int_equal(engine_case_open(E, &app.p.who, &r, &id), OA_OK);
	walk(id, &app, &o, &w);
	expect_state(id, "completed", NULL);
	assert_int_equal(w.revoked, 1);
	assert_string_equal(cert_status(serial, NULL), "revoked");
	assert_int_equal(count_event("cert_revoked"), before + 1);
	/* ... with the time of the revocation (the holder's language: Indonesian). */
	st = store_prepare(ca_store(C), "SELECT raw FROM mail_outbox WHERE event = 'cert_revoked'"
	                                " ORDER BY id DESC LIMIT 1");
	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	{
		static const char want[] = "Waktu pencabutan: 2026-";
		size_t n = 0;
		const void *raw = store_col_blob(st, 0, &n); /* a BLOB, bytea on PostgreSQL */
		assert_non_null(raw);
		assert_non_null(memmem(raw, n, want, sizeof want - 1));
	}
	store_reset(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sop001_emails),
		cmocka_unit_test(test_sla_reminders),
		cmocka_unit_test(test_revocation_notice),
	};
	return cmocka_run_group_tests(tests, engine_fixture_setup, engine_fixture_teardown);
}
