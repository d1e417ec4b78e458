/*
 * test_engine.c - the SOP engine driven through every shipped definition:
 * each path (every decision taken "no" once, then "yes"), with the CA
 * issuing or revoking exactly once at the right step; refusals of wrong
 * actors, missing documents, out-of-order steps and self-approval; SLA
 * figures against the recorded times.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>

#include <openssl/pem.h>

#include "ca/ca.h"
#include "auth/auth.h"
#include "engine/engine.h"
#include "keys/keys.h"
#include "mail/mail.h"
#include "testutil.h"

static tu_inst T;
static char sopdir[512];
/* Step 10 sets a passphrase (server-side key) instead of sending a CSR. */
static const char *use_passphrase;
static engine *E;
static int seq;

static int group_setup(void **state)
{
	/* Monday 2026-11-23 08:00 WIB; the engine reads the time from OPENAMS_NOW. */
	tu_clock_set(1795395600 - 7 * 3600 + 8 * 3600 - 8 * 3600 + 1 * 3600);
	if (tu_inst_new(&T, NULL, NULL) != 0)
		return -1;
	snprintf(sopdir, sizeof sopdir, "%s/sop", tu_share());
	return tu_engine_new(T.in, "kominfo", &E);
}

static int group_teardown(void **state)
{
	engine_free(E);
	tu_inst_free(&T);
	tu_clock_clear();
	return 0;
}

static int64_t count(const char *sql)
{
	return tu_count(ca_store(T.c), sql);
}

struct person {
	char id[32];
	const char *roles[1];
	engine_who who;
};

static void person(struct person *p, const char *id, const char *role)
{
	snprintf(p->id, sizeof p->id, "%s", id);
	p->roles[0] = role;
	p->who = (engine_who){p->id, "kominfo", p->roles, 1};
}

static const sop_def *def_of(const char *sop_id, int64_t case_id)
{
	/* Load the definition from the shipped file matching sop_id. */
	static sop_def *cache[16];
	static int n;
	DIR *d;
	struct dirent *de;
	(void)case_id;
	for (int i = 0; i < n; i++)
		if (strcmp(cache[i]->id, sop_id) == 0)
			return cache[i];
	d = opendir(sopdir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[1024];
		sop_def *s = NULL;
		sop_errors errs = {0};
		if (!strstr(de->d_name, ".yaml"))
			continue;
		snprintf(path, sizeof path, "%s/%s", sopdir, de->d_name);
		if (sop_load(path, &s, &errs) == OA_OK && strcmp(s->id, sop_id) == 0) {
			closedir(d);
			cache[n++] = s;
			return s;
		}
		sop_free(s);
		sop_errors_free(&errs);
	}
	closedir(d);
	fprintf(stderr, "no shipped SOP %s\n", sop_id);
	abort();
}

/* Attaches every document the step lists (and all reason documents). */
static void attach_all(int64_t case_id, const sop_def *d, const engine_who *who)
{
	for (size_t i = 0; i < d->n_documents; i++) {
		char sha[65];
		memset(sha, 'a' + (int)(i % 6), 64);
		sha[64] = 0;
		assert_int_equal(engine_case_attach(E, who, case_id, d->documents[i].id, sha, "berkas.pdf"),
		    OA_OK);
	}
}

struct walk {
	int issued, revoked, steps;
	char issued_serial[41];
};

/*
 * Drives case_id to its end.  no_at: step id whose decision is answered
 * "no" once (NULL: always yes).  The applicant is `app`; staff hold one role
 * each.
 */
static void drive(const sop_def *d, int64_t case_id, struct person *app, const char *nik,
    const char *no_at, struct walk *w)
{
	int no_used = 0;
	char *csr = tu_csr_pem("Pemohon Uji");

	memset(w, 0, sizeof *w);
	for (int guard = 0; guard < 200; guard++) {
		engine_case c;
		engine_result res;
		engine_act a = {0};
		const sop_step *s;
		const char *role;
		struct person staff;
		const engine_who *who;
		const char *keys[9], *vals[9];
		int idx;

		assert_int_equal(engine_case_get(E, case_id, &c), OA_OK);
		if (strcmp(c.state, "open") != 0) {
			assert_string_equal(c.state, "completed");
			break;
		}
		idx = sop_step_index(d, c.step);
		assert_true(idx >= 0);
		s = &d->steps[idx];
		role = d->actors[s->actors[0]].id;
		if (strcmp(role, d->actors[d->steps[0].actors[0]].id) == 0)
			who = &app->who;
		else {
			person(&staff, "staf", role);
			who = &staff.who;
		}
		attach_all(case_id, d, &app->who);
		a.case_id = case_id;
		a.step = c.step;
		a.role = role;
		if (s->action == SOP_ACT_DECIDE) {
			a.decision = (no_at && !no_used && strcmp(no_at, s->id) == 0) ? ENGINE_NO : ENGINE_YES;
			if (a.decision == ENGINE_NO)
				no_used = 1;
		}
		if (s->action == SOP_ACT_FILL_IDENTITY) {
			keys[0] = "name"; vals[0] = "Siti Rahmawati";
			keys[1] = "nik"; vals[1] = nik;
			keys[2] = "email"; vals[2] = "siti@kominfo.merantikab.go.id";
			keys[3] = "organization"; vals[3] = "Pemerintah Kabupaten Kepulauan Meranti";
			keys[4] = "unit"; vals[4] = "Dinas Kominfo";
			a.keys = keys;
			a.values = vals;
			a.ndata = 5;
		}
		if (s->action == SOP_ACT_SET_PASSPHRASE) {
			keys[0] = use_passphrase ? "passphrase" : "csr";
			vals[0] = use_passphrase ? use_passphrase : csr;
			a.keys = keys;
			a.values = vals;
			a.ndata = 1;
		}
		if (d->n_reasons > 0 && who == &app->who && c.reason[0] == 0)
			a.reason = d->reasons[0].id;
		tu_clock_tick(60);
		if (engine_case_act(E, who, &a, &res) != OA_OK)
			fail_msg("%s step %s as %s: %s", d->id, c.step, role, oa_errmsg());
		w->steps++;
		if (res.issued[0]) {
			w->issued++;
			strcpy(w->issued_serial, res.issued);
		}
		if (res.revoked[0])
			w->revoked++;
	}
	free(csr);
	if (no_at)
		assert_true(no_used);
}

static void next_nik(char out[17])
{
	snprintf(out, 17, "147101020270%04u", 1u + (unsigned)seq++ % 9999u); /* a valid NIK (common/nik.h) */
}

/* Issues a certificate for nik directly, for SOPs about an existing one. */
static void existing_cert(const char *nik, char serial[41], int days)
{
	assert_int_equal(tu_issue_nik(T.c, nik, days, serial), OA_OK);
}

static const char *const shipped[] = {"meranti-penerbitan", "meranti-pencabutan",
    "ciamis-pencabutan", "sumbar-pencabutan", NULL};

static void walk_sop(const char *sop_id)
{
	const sop_def *d = def_of(sop_id, 0);
	const char *nos[OA_MAX_SOP_STEPS + 1];
	size_t nn = 0;

	nos[nn++] = NULL;
	for (size_t i = 0; i < d->n_steps; i++)
		if (d->steps[i].action == SOP_ACT_DECIDE)
			nos[nn++] = d->steps[i].id;
	for (size_t p = 0; p < nn; p++) {
		struct person app;
		char nik[17], uid[32], serial[41] = "";
		engine_open_req r = {0};
		int64_t id;
		struct walk w;
		int64_t certs_before;

		next_nik(nik);
		snprintf(uid, sizeof uid, "pemohon%d", seq);
		person(&app, uid, d->actors[d->steps[0].actors[0]].id);
		if (d->kind != SOP_KIND_ISSUANCE)
			existing_cert(nik, serial, d->kind == SOP_KIND_RENEWAL ? 20 : 0);
		certs_before = count("SELECT COUNT(*) FROM certificate");
		r.org = "kominfo";
		r.sop_id = sop_id;
		r.applicant = uid;
		r.applicant_nik = nik;
		r.serial = serial[0] ? serial : NULL;
		if (engine_case_open(E, &app.who, &r, &id) != OA_OK)
			fail_msg("%s: open: %s", sop_id, oa_errmsg());
		drive(d, id, &app, nik, nos[p], &w);
		switch (d->kind) {
		case SOP_KIND_ISSUANCE:
			assert_int_equal(w.issued, 1);
			assert_int_equal(w.revoked, 0);
			assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs_before + 1);
			break;
		case SOP_KIND_REVOCATION:
			assert_int_equal(w.issued, 0);
			assert_int_equal(w.revoked, 1);
			{
				ca_cert_info i;
				assert_int_equal(ca_status(T.c, serial, &i), OA_OK);
				assert_string_equal(i.status, "revoked");
			}
			break;
		default:
			assert_int_equal(w.issued, 1);
			break;
		}
	}
}

static void test_every_path_every_shipped_sop(void **state)
{
	for (const char *const *s = shipped; *s; s++)
		walk_sop(*s);
}

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

/* SOP 001 walked by people with accounts: the seed's four e-mails, in
 * order, each in the same transaction as its step; a "no" tells the
 * applicant what to complete. */
static void test_sop001_emails(void **state)
{
	auth *a;
	auth_person_in p = {0};
	const sop_def *d = def_of("meranti-penerbitan", 0);
	struct person app;
	engine_open_req r = {0};
	struct walk w;
	struct events ev = {0};
	int64_t id;
	char nik[17];
	static const char *const staff[][2] = {{"kadis1", "kadis"}, {"kabid1", "kabid"},
	    {"verif1", "verifikator"}, {"op1", "bsre"}};

	assert_int_equal(auth_open(T.in, &a), OA_OK);
	assert_int_equal(auth_org_create(a, "kominfo", "Dinas Kominfo Meranti", "test"), OA_OK);
	next_nik(nik);
	p.id = "siti.rahma";
	p.org = "kominfo";
	p.name = "Siti Rahmawati";
	p.nik = "1471015505900001";
	p.email = "siti@kominfo.merantikab.go.id";
	assert_int_equal(auth_person_create(a, &p, "test"), OA_OK);
	assert_int_equal(auth_role_grant(a, "siti.rahma", "kominfo", "pemohon", "test"), OA_OK);
	for (size_t i = 0; i < sizeof staff / sizeof staff[0]; i++) {
		char email[64], snik[17];
		snprintf(email, sizeof email, "%s@kominfo.merantikab.go.id", staff[i][0]);
		snprintf(snik, sizeof snik, "147101120380%04d", (int)i + 2);
		memset(&p, 0, sizeof p);
		p.id = staff[i][0];
		p.org = "kominfo";
		p.name = "Petugas Dinas";
		p.email = email;
		p.nik = snik;
		assert_int_equal(auth_person_create(a, &p, "test"), OA_OK);
		assert_int_equal(auth_role_grant(a, staff[i][0], "kominfo", staff[i][1], "test"), OA_OK);
	}
	person(&app, "siti.rahma", "pemohon");
	r.org = "kominfo";
	r.sop_id = "meranti-penerbitan";
	r.applicant = "siti.rahma";
	assert_int_equal(engine_case_open(E, &app.who, &r, &id), OA_OK);
	use_passphrase = "langit biru di atas selat panjang";
	drive(d, id, &app, "1471015505900001", "5", &w);
	use_passphrase = NULL;
	assert_int_equal(w.issued, 1);
	/* The key was made server-side, sealed under the passphrase, bound to
	 * the certificate: a signature with it verifies against the certificate. */
	{
		int64_t kid;
		char holder[65];
		uint8_t digest[32], *sig = NULL, *der;
		size_t siglen = 0, dlen;
		keys_sign_req kr = {0};
		const unsigned char *q;
		X509 *x;
		EVP_PKEY_CTX *vctx;
		memset(digest, 0x42, sizeof digest);
		assert_int_equal(keys_find_by_serial(T.in, w.issued_serial, &kid, holder), OA_OK);
		assert_string_equal(holder, "siti.rahma");
		kr.holder = "siti.rahma";
		kr.key_id = kid;
		kr.passphrase = "langit biru di atas selat panjang";
		kr.digest = digest;
		kr.digest_len = sizeof digest;
		kr.md_nid = NID_sha256;
		kr.actor = "siti.rahma";
		assert_int_equal(keys_sign(T.in, &kr, &sig, &siglen), OA_OK);
		assert_int_equal(ca_cert_der(T.c, w.issued_serial, &der, &dlen), OA_OK);
		q = der;
		x = d2i_X509(NULL, &q, (long)dlen);
		vctx = EVP_PKEY_CTX_new(X509_get0_pubkey(x), NULL);
		assert_int_equal(EVP_PKEY_verify_init(vctx), 1);
		assert_int_equal(EVP_PKEY_CTX_set_signature_md(vctx, EVP_sha256()), 1);
		assert_int_equal(EVP_PKEY_verify(vctx, sig, siglen, digest, sizeof digest), 1);
		EVP_PKEY_CTX_free(vctx);
		X509_free(x);
		free(der);
		free(sig);
		/* The passphrase is nowhere in the case data. */
		assert_int_equal(count("SELECT COUNT(*) FROM sop_case_data WHERE value LIKE '%langit biru%'"), 0);
	}
	assert_int_equal(mail_list(ca_store(T.c), NULL, 100, collect, &ev), OA_OK);
	{
		static const char *const want[] = {"file_incomplete", "identity_form", "account",
		    "set_passphrase", "cert_issued"};
		int j = 0;
		/* mail_list gives the newest first. */
		for (int i = ev.n - 1; i >= 0; i--) {
			if (j < 5 && strcmp(ev.list[i], want[j]) == 0)
				j++;
		}
		if (j != 5 || ev.n != 5) {
			for (int i = 0; i < ev.n; i++)
				fprintf(stderr, "mail %d: %s\n", i, ev.list[i]);
			fail_msg("the e-mails of SOP 001 are not the seed's, in order");
		}
	}
	auth_free(a);
}

static int count_event(const char *ev)
{
	struct events all = {0};
	int n = 0;

	assert_int_equal(mail_list(ca_store(T.c), NULL, 1000, collect, &all), OA_OK);
	for (int i = 0; i < all.n; i++)
		n += strcmp(all.list[i], ev) == 0;
	return n;
}

/* Overdue steps remind their role once per interval and escalate once
 * (runs after test_sop001_emails, which made the accounts). */
static void test_sla_reminders(void **state)
{
	struct person app, kadis;
	engine_open_req r = {0};
	engine_act a = {0};
	engine_result res;
	int64_t id, sent, t0;
	int rem0 = count_event("sla_reminder"), esc0 = count_event("sla_escalation");

	person(&app, "siti.rahma", "pemohon");
	person(&kadis, "kadis1", "kadis");
	r.org = "kominfo";
	r.sop_id = "meranti-penerbitan";
	r.applicant = "siti.rahma";
	assert_int_equal(engine_case_open(E, &app.who, &r, &id), OA_OK);
	attach_all(id, def_of("meranti-penerbitan", 0), &app.who);
	a.case_id = id;
	a.step = "1";
	a.role = "pemohon";
	assert_int_equal(engine_case_act(E, &app.who, &a, &res), OA_OK);
	assert_string_equal(res.step, "2");
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
	const sop_def *d = def_of("sumbar-pencabutan", 0);
	struct person app;
	engine_open_req r = {0};
	struct walk w;
	int64_t id;
	char serial[41] = "";
	int before = count_event("cert_revoked");
	store_stmt *st = store_prepare(ca_store(T.c), "SELECT serial FROM certificate WHERE"
	                                            " nik = '1471015505900001' AND status = 'active'");

	assert_non_null(st);
	assert_int_equal(store_step(st), STORE_ROW);
	snprintf(serial, sizeof serial, "%s", store_col_text(st, 0));
	store_reset(st);
	person(&app, "siti.rahma", "pemohon");
	r.org = "kominfo";
	r.sop_id = "sumbar-pencabutan";
	r.applicant = "siti.rahma";
	r.applicant_nik = "1471015505900001";
	r.serial = serial;
	assert_int_equal(engine_case_open(E, &app.who, &r, &id), OA_OK);
	drive(d, id, &app, "1471015505900001", NULL, &w);
	assert_int_equal(w.revoked, 1);
	assert_int_equal(count_event("cert_revoked"), before + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_path_every_shipped_sop),
		cmocka_unit_test(test_sop001_emails),
		cmocka_unit_test(test_sla_reminders),
		cmocka_unit_test(test_revocation_notice),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
