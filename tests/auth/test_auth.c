/*
 * test_auth.c - the auth module on fresh instances (one per group): every
 * validation rule refuses bad input with a message and changes nothing;
 * passwords, lockout, TOTP (codes computed here with liboath at controlled
 * times), sessions and CSRF, API tokens, one-time links; the database file
 * and the audit log never hold a secret; roles feed the SOP engine.
 *
 * Argon2 runs with tiny parameters (set in the instance's configuration)
 * so that the suite stays fast; the code path is the production one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <argon2.h>
#include <inttypes.h>
#include <liboath/oath.h>
#include <sodium.h>
#include <sys/stat.h>

#include "auth/auth.h"
#include "audit/audit.h"
#include "ca/ca.h"
#include "common/util.h"
#include "engine/engine.h"

#include "testutil.h"

static tu_inst T;
static auth *A;

static const char GOOD_PW[] = "Kopi-tubruk 7 gelas pagi";

static int64_t count(const char *sql)
{
	return tu_count(ca_store(T.c), sql);
}

/* Rows of every auth table plus the audit log: a refusal changes none. */
static int64_t snapshot(void)
{
	return count("SELECT (SELECT count(*) FROM auth_org) * 1000000000"
	             " + (SELECT count(*) FROM auth_person) * 10000000"
	             " + (SELECT count(*) FROM auth_role) * 100000"
	             " + (SELECT count(*) FROM auth_session) * 10000"
	             " + (SELECT count(*) FROM auth_token) * 1000"
	             " + (SELECT count(*) FROM auth_link) * 100"
	             " + (SELECT count(*) FROM audit)");
}

static const auth_person_in budi_in = {
    .id = "budi", .org = "kominfo", .name = "Budi Santoso", .nik = "1471021506900003",
    .nip = "199006152015031002", .email = "budi@kominfo.riau.go.id",
    .position = "Pranata Komputer", .unit = "Bidang Persandian", .lang = "id"};

static const auth_person_in siti_in = {
    .id = "siti", .org = "disdik", .name = "Siti Rahmawati", .nik = "1471025708920001",
    .email = "siti@disdik.riau.go.id", .lang = "en"};

static int group_setup(void **state)
{
	/* Everything reads the time from OPENAMS_NOW through oa_now(). */
	tu_clock_set(1795395600);
	/* Tiny Argon2 for speed; a name that needs escaping in SVG and URIs. */
	if (tu_inst_new(&T, "auth.argon2_memory_kib = 64\nauth.argon2_iterations = 1\n"
	                    "instance.name = Kominfo <Uji> & Co\n", NULL) != 0)
		return -1;
	if (auth_open(T.in, &A) != OA_OK) {
		fprintf(stderr, "setup: %s\n", oa_errmsg());
		return -1;
	}
	if (auth_org_create(A, "kominfo", "Dinas Kominfo Kab. Kepulauan Meranti", "init") ||
	    auth_org_create(A, "disdik", "Dinas Pendidikan", "init") ||
	    auth_person_create(A, &budi_in, "admin") || auth_person_create(A, &siti_in, "admin")) {
		fprintf(stderr, "setup: %s\n", oa_errmsg());
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	auth_free(A);
	A = NULL;
	tu_inst_free(&T);
	tu_clock_clear();
	return 0;
}

/* Asserts that rc is want, that a message was written, and that nothing changed. */
#define REFUSED(call, want, before)                                                   \
	do {                                                                          \
		oa_err rc_ = (call);                                                  \
		if (rc_ != (want))                                                    \
			fail_msg("%s: got %s (%s), want %s", #call, oa_err_name(rc_),     \
			    oa_errmsg(), oa_err_name(want));                              \
		assert_true(strlen(oa_errmsg()) > 5);                                 \
		assert_int_equal(snapshot(), (before));                               \
	} while (0)

/* ---- Organisations and people ---- */

static void test_org(void **state)
{
	int64_t before = snapshot();
	char longid[80];
	auth_org o;

	memset(longid, 'a', 65);
	longid[65] = 0;
	REFUSED(auth_org_create(A, "", "X", "t"), OA_ERR_INVALID, before);
	REFUSED(auth_org_create(A, "Kominfo2", "X", "t"), OA_ERR_INVALID, before);
	REFUSED(auth_org_create(A, "a b", "X", "t"), OA_ERR_INVALID, before);
	REFUSED(auth_org_create(A, "-x", "X", "t"), OA_ERR_INVALID, before);
	REFUSED(auth_org_create(A, "x/y", "X", "t"), OA_ERR_INVALID, before);
	REFUSED(auth_org_create(A, longid, "X", "t"), OA_ERR_INVALID, before);
	REFUSED(auth_org_create(A, "bkd", "", "t"), OA_ERR_INVALID, before);
	REFUSED(auth_org_create(A, "bkd", "   ", "t"), OA_ERR_INVALID, before);
	REFUSED(auth_org_create(A, "bkd", "Badan\nKepegawaian", "t"), OA_ERR_INVALID, before);
	REFUSED(auth_org_create(A, "kominfo", "Again", "t"), OA_ERR_EXISTS, before);
	tu_must(auth_org_create(A, "bkd", "Badan Kepegawaian Daerah", "t"));
	assert_int_equal(snapshot(), before + 1000000000 + 1);
	tu_must(auth_org_get(A, "bkd", &o));
	assert_string_equal(o.name, "Badan Kepegawaian Daerah");
	assert_int_equal(auth_org_get(A, "nope", &o), OA_ERR_NOTFOUND);
}

static void test_person_validation(void **state)
{
	int64_t before = snapshot();
	auth_person_in p = budi_in;
	char longname[200];

	p.id = "andi";
	p.nik = "1471021506900004";
	p.nip = NULL;
	p.email = "andi@kominfo.riau.go.id";
#define BAD(field, value, want)                                          \
	do {                                                                \
		auth_person_in q = p;                                       \
		q.field = value;                                            \
		REFUSED(auth_person_create(A, &q, "t"), want, before);      \
	} while (0)
	BAD(id, "Andi", OA_ERR_INVALID);
	BAD(id, "", OA_ERR_INVALID);
	BAD(id, "an di", OA_ERR_INVALID);
	BAD(org, "nope", OA_ERR_NOTFOUND);
	BAD(org, NULL, OA_ERR_INVALID);
	BAD(name, "", OA_ERR_INVALID);
	BAD(name, "Andi\x01", OA_ERR_INVALID);
	memset(longname, 'x', 129);
	longname[129] = 0;
	BAD(name, longname, OA_ERR_INVALID);
	BAD(position, longname, OA_ERR_INVALID);
	BAD(nik, NULL, OA_ERR_INVALID);                 /* required unless staff-only */
	BAD(nik, "147102150690000", OA_ERR_INVALID);    /* 15 digits */
	BAD(nik, "14710215069000041", OA_ERR_INVALID);  /* 17 digits */
	BAD(nik, "14710215069O0004", OA_ERR_INVALID);   /* a letter O */
	BAD(nik, "1471023206900004", OA_ERR_INVALID);   /* day 32 */
	BAD(nik, "1471021513900004", OA_ERR_INVALID);   /* month 13 */
	BAD(nik, "1471021506900000", OA_ERR_INVALID);   /* serial 0000 */
	BAD(nik, budi_in.nik, OA_ERR_EXISTS);           /* budi's */
	BAD(nip, "19900615201503100", OA_ERR_INVALID);  /* 17 digits */
	BAD(nip, "199013152015031002", OA_ERR_INVALID); /* month 13 */
	BAD(nip, "199006152015033002", OA_ERR_INVALID); /* sex digit 3 */
	BAD(nip, budi_in.nip, OA_ERR_EXISTS);
	BAD(email, "andi", OA_ERR_INVALID);
	BAD(email, "andi@@kominfo.go.id", OA_ERR_INVALID);
	BAD(email, "an..di@kominfo.go.id", OA_ERR_INVALID);
	BAD(email, ".andi@kominfo.go.id", OA_ERR_INVALID);
	BAD(email, "andi@-kominfo.go.id", OA_ERR_INVALID);
	BAD(email, "andi@kominfo", OA_ERR_INVALID);
	BAD(email, "andi@kom info.go.id", OA_ERR_INVALID);
	BAD(email, "andi@gmail.com", OA_ERR_POLICY);
	BAD(email, "andi@go.id", OA_ERR_POLICY);         /* must be a sub-domain */
	BAD(email, "andi@kominfo.go.id.evil.com", OA_ERR_POLICY);
	BAD(email, "BUDI@Kominfo.Riau.GO.ID", OA_ERR_EXISTS); /* case-insensitive */
	BAD(lang, "fr", OA_ERR_INVALID);
	BAD(staff_only, 2, OA_ERR_INVALID);
	{
		auth_person_in q = p;
		q.id = "budi";
		REFUSED(auth_person_create(A, &q, "t"), OA_ERR_EXISTS, before);
	}
#undef BAD
	assert_non_null(strstr((auth_check_email("andi@gmail.com", ".go.id"), oa_errmsg()), ".go.id"));
	assert_int_equal(auth_check_email("andi@gmail.com", ""), OA_OK);
	assert_int_equal(auth_check_email("andi@kominfo.go.id", "@kominfo.go.id"), OA_OK);
	assert_int_equal(auth_check_email("andi@xkominfo.go.id", "kominfo.go.id"), OA_ERR_POLICY);
	assert_int_equal(auth_check_nik("1471024506900004"), OA_OK); /* a woman: day + 40 */
	assert_int_equal(auth_check_nip("199006152021212001"), OA_OK); /* PPPK: month 21 */

	/* A staff-only account: any e-mail domain, NIK optional. */
	{
		auth_person_in q = {.id = "ops", .org = "kominfo", .name = "Operator CA",
		    .email = "ops@vendor.example.com", .staff_only = 1};
		tu_must(auth_person_create(A, &q, "t"));
	}
	tu_must(auth_person_create(A, &p, "t"));
	assert_int_equal(snapshot(), before + 2 * 10000000 + 2);
	assert_int_equal(count("SELECT count(*) FROM auth_credential"), 4);
}

static int list_people(const auth_person *q, void *arg)
{
	assert_string_equal(q->id, "siti");
	assert_string_equal(q->lang, "en");
	(*(int *)arg)++;
	return 0;
}

static void test_person_update(void **state)
{
	auth_person_in p = budi_in;
	auth_person got;
	int64_t before;

	tu_must(auth_person_get(A, "budi", &got));
	assert_string_equal(got.email, "budi@kominfo.riau.go.id");
	assert_string_equal(got.nip, "199006152015031002");
	assert_int_equal(got.has_password, 0);
	p.position = "Sandiman Ahli Pertama";
	tu_must(auth_person_update(A, &p, "admin"));
	tu_must(auth_person_by_email(A, "Budi@Kominfo.Riau.Go.Id", &got));
	assert_string_equal(got.position, "Sandiman Ahli Pertama");
	before = snapshot();
	p.email = "budi@gmail.com";
	REFUSED(auth_person_update(A, &p, "admin"), OA_ERR_POLICY, before);
	p.email = siti_in.email;
	REFUSED(auth_person_update(A, &p, "admin"), OA_ERR_EXISTS, before);
	p.email = budi_in.email;
	p.id = "ghost";
	p.nik = "1471021506900009";
	REFUSED(auth_person_update(A, &p, "admin"), OA_ERR_NOTFOUND, before);
	tu_must(auth_person_get(A, "budi", &got));
	assert_string_equal(got.email, "budi@kominfo.riau.go.id");
	assert_string_equal(got.position, "Sandiman Ahli Pertama");
	{
		int n = 0;
		assert_int_equal(auth_person_list(A, "disdik", list_people, &n), OA_OK);
		assert_int_equal(n, 1);
	}
	assert_int_equal(auth_person_get(A, "nobody", &got), OA_ERR_NOTFOUND);
}

/* ---- Roles and the engine ---- */

static void test_roles(void **state)
{
	int64_t before = snapshot();
	auth_who w;
	auth_person_in ops = {.id = "ops2", .org = "kominfo", .name = "Operator Dua",
	    .email = "ops2@vendor.example.com", .staff_only = 1};

	REFUSED(auth_role_grant(A, "budi", "kominfo", "Pemohon", "admin"), OA_ERR_INVALID, before);
	REFUSED(auth_role_grant(A, "budi", "kominfo", "x-y", "admin"), OA_ERR_INVALID, before);
	REFUSED(auth_role_grant(A, "budi", "kominfo", "", "admin"), OA_ERR_INVALID, before);
	REFUSED(auth_role_grant(A, "nobody", "kominfo", "pemohon", "admin"), OA_ERR_NOTFOUND, before);
	REFUSED(auth_role_grant(A, "budi", "nope", "pemohon", "admin"), OA_ERR_NOTFOUND, before);
	tu_must(auth_role_grant(A, "budi", "kominfo", "pemohon", "admin"));
	tu_must(auth_role_grant(A, "budi", "kominfo", "verifikator", "admin"));
	before = snapshot();
	REFUSED(auth_role_grant(A, "budi", "kominfo", "pemohon", "admin"), OA_ERR_EXISTS, before);
	tu_must(auth_person_create(A, &ops, "admin"));
	before = snapshot();
	REFUSED(auth_role_grant(A, "ops2", "kominfo", "verifikator", "admin"), OA_ERR_POLICY, before);
	tu_must(auth_role_grant(A, "ops2", "kominfo", AUTH_ROLE_CA_OPERATOR, "admin"));
	tu_must(auth_who_get(A, "budi", "kominfo", &w));
	assert_int_equal(w.who.nroles, 2);
	assert_string_equal(w.who.roles[0], "pemohon");
	assert_string_equal(w.who.roles[1], "verifikator");
	assert_string_equal(w.who.person, "budi");
	assert_string_equal(w.who.org, "kominfo");
	assert_true(auth_who_holds(&w, "verifikator"));
	assert_false(auth_who_holds(&w, "admin"));
	before = snapshot();
	REFUSED(auth_role_revoke(A, "budi", "kominfo", "kadis", "admin"), OA_ERR_NOTFOUND, before);
	tu_must(auth_role_revoke(A, "budi", "kominfo", "verifikator", "admin"));
	tu_must(auth_who_get(A, "budi", "kominfo", &w));
	assert_int_equal(w.who.nroles, 1);
	tu_must(auth_who_get(A, "siti", "kominfo", &w));
	assert_int_equal(w.who.nroles, 0);
	/* A disabled account is nobody. */
	tu_must(auth_person_set_disabled(A, "siti", 1, "admin"));
	assert_int_equal(auth_who_get(A, "siti", "kominfo", &w), OA_ERR_DENIED);
	tu_must(auth_person_set_disabled(A, "siti", 0, "admin"));
	/* The schema backstops the staff-only rule too. */
	assert_int_equal(store_run(store_prepare(ca_store(T.c),
	                     "INSERT INTO auth_role VALUES ('ops2', 'kominfo', 'pemohon', 'x', 0)")),
	    OA_ERR_STORE);
}

static void test_engine_who(void **state)
{
	engine *e = NULL;
	char sopdir[512];
	auth_who w;
	int64_t id = 0;
	engine_open_req r = {.org = "kominfo", .sop_id = "meranti-penerbitan"};

	tu_must(engine_open(T.in, &e));
	snprintf(sopdir, sizeof sopdir, "%s/sop", T.path);
	tu_must(engine_sop_install_dir(e, "kominfo", sopdir, "admin"));
	/* budi holds pemohon in kominfo: he may apply. */
	tu_must(auth_who_get(A, "budi", "kominfo", &w));
	r.applicant = "budi";
	tu_must(engine_case_open(e, &w.who, &r, &id));
	assert_true(id > 0);
	/* siti holds no role there: refused. */
	tu_must(auth_who_get(A, "siti", "kominfo", &w));
	r.applicant = "siti";
	assert_int_equal(engine_case_open(e, &w.who, &r, &id), OA_ERR_DENIED);
	/* ... until she is granted it. */
	tu_must(auth_role_grant(A, "siti", "kominfo", "pemohon", "admin"));
	tu_must(auth_who_get(A, "siti", "kominfo", &w));
	tu_must(engine_case_open(e, &w.who, &r, &id));
	engine_free(e);
}

/* ---- Passwords and lockout ---- */

static void test_password_policy(void **state)
{
	int64_t before = snapshot();
	static const char *const bad[] = {
	    "short7!",                     /* too short */
	    "ini-budi-punya-kunci",        /* the user name */
	    "aku 1471021506900003 xx",     /* the NIK */
	    "199006152015031002 nip",      /* the NIP */
	    "santoso-is-my-name!",         /* a word of the name */
	    "Budi@Kominfo.Riau.Go.Id!!",   /* the e-mail */
	    "aaaaaaaaaaaa",                /* guessable (libpwquality: a palindrome) */
	    "password1234",                /* guessable (strength 22 of 100) */
	    "qwertyuiop12",                /* a keyboard walk */
	    "1234567890123",               /* a sequence (cracklib) */
	    "bad\x01 control chars here",
	    "",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		REFUSED(auth_password_set(A, "budi", bad[i], NULL, "budi"), OA_ERR_INVALID, before);
		assert_null(strstr(oa_errmsg(), bad[i][0] ? bad[i] : "\x7f"));
	}
	assert_int_equal(count("SELECT count(*) FROM auth_credential WHERE password_hash IS NOT NULL"),
	    0);
	REFUSED(auth_password_set(A, "nobody", GOOD_PW, NULL, "x"), OA_ERR_NOTFOUND, before);
	tu_must(auth_password_check(A, "budi", GOOD_PW));
	tu_must(auth_password_set(A, "budi", GOOD_PW, NULL, "budi"));
	assert_int_equal(count("SELECT count(*) FROM auth_credential WHERE password_hash GLOB"
	                       " '$argon2id$v=19$m=64,t=1,p=1$*'"), 1);
}

static void test_password_verify(void **state)
{
	auth_person p;

	tu_must(auth_password_verify(A, "budi", GOOD_PW));
	assert_int_equal(auth_password_verify(A, "budi", "Kopi-tubruk 7 gelas sore"), OA_ERR_DENIED);
	assert_int_equal(auth_password_verify(A, "budi", ""), OA_ERR_DENIED);
	assert_int_equal(auth_password_verify(A, "siti", GOOD_PW), OA_ERR_DENIED); /* none set */
	assert_int_equal(auth_password_verify(A, "nobody", GOOD_PW), OA_ERR_DENIED);
	tu_must(auth_password_verify(A, "budi", GOOD_PW)); /* resets the count */
	assert_int_equal(count("SELECT failed_count FROM auth_credential WHERE person = 'budi'"), 0);
	tu_must(auth_person_get(A, "budi", &p));
	assert_int_equal(p.has_password, 1);
	/* Not inside a transaction: failures must commit on their own. */
	tu_must(store_begin(ca_store(T.c)));
	assert_int_equal(auth_password_verify(A, "budi", GOOD_PW), OA_ERR_INTERNAL);
	store_rollback(ca_store(T.c));
}

static void test_rehash(void **state)
{
	char enc[256];
	uint8_t salt[16] = {1, 2, 3};
	store_stmt *st;
	auth_login_req r = {.login = "budi", .password = GOOD_PW};
	auth_session_new s;

	/* A hash made with older (here: different) parameters ... */
	assert_int_equal(argon2id_hash_encoded(2, 128, 1, GOOD_PW, strlen(GOOD_PW), salt,
	                     sizeof salt, 32, enc, sizeof enc), ARGON2_OK);
	st = store_prepare(ca_store(T.c), "UPDATE auth_credential SET password_hash = ? WHERE person = 'budi'");
	store_bind_text(st, 1, enc);
	tu_must(store_run(st));
	/* ... is replaced at the next successful sign-in. */
	tu_must(auth_login(A, &r, &s));
	assert_int_equal(count("SELECT count(*) FROM auth_credential WHERE person = 'budi' AND"
	                       " password_hash GLOB '$argon2id$v=19$m=64,t=1,p=1$*'"), 1);
	tu_must(auth_login(A, &r, &s));
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'password.rehash'"), 1);
	auth_session_new_wipe(&s);
}

static void test_lockout(void **state)
{
	auth_login_req good = {.login = "budi", .password = GOOD_PW};
	auth_login_req bad = {.login = "budi", .password = "not the password at all"};
	auth_login_req ghost = {.login = "ghost", .password = "not the password at all"};
	auth_session_new s;
	char msg1[256];
	int64_t audit0 = count("SELECT count(*) FROM audit");

	/* The same message whatever went wrong, and nothing recorded for ghosts. */
	assert_int_equal(auth_login(A, &bad, &s), OA_ERR_DENIED);
	snprintf(msg1, sizeof msg1, "%s", oa_errmsg());
	assert_int_equal(count("SELECT failed_count FROM auth_credential WHERE person = 'budi'"), 1);
	assert_int_equal(auth_login(A, &ghost, &s), OA_ERR_DENIED);
	assert_string_equal(oa_errmsg(), msg1);
	assert_int_equal(count("SELECT count(*) FROM audit"), audit0 + 1);
	assert_null(strstr(msg1, "password is wrong"));
	/* auth.max_failures = 5 (default): four more lock the account. */
	for (int i = 2; i <= 4; i++) {
		assert_int_equal(auth_login(A, &bad, &s), OA_ERR_DENIED);
		assert_int_equal(count("SELECT failed_count FROM auth_credential WHERE person = 'budi'"), i);
	}
	assert_int_equal(count("SELECT locked_until FROM auth_credential WHERE person = 'budi'"), 0);
	assert_int_equal(auth_login(A, &bad, &s), OA_ERR_DENIED);
	assert_int_equal(count("SELECT locked_until FROM auth_credential WHERE person = 'budi'"),
	    tu_clock_now() + 15 * 60);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'auth.lock'"), 1);
	/* Even the right password fails while locked, with the same message. */
	assert_int_equal(auth_login(A, &good, &s), OA_ERR_DENIED);
	assert_string_equal(oa_errmsg(), msg1);
	tu_clock_tick(14 * 60);
	assert_int_equal(auth_login(A, &good, &s), OA_ERR_DENIED);
	assert_int_equal(auth_password_verify(A, "budi", GOOD_PW), OA_ERR_DENIED);
	tu_clock_tick(61);
	tu_must(auth_login(A, &good, &s));
	assert_int_equal(count("SELECT failed_count FROM auth_credential WHERE person = 'budi'"), 0);
	auth_session_new_wipe(&s);
	/* A new password clears a lockout. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(auth_login(A, &bad, &s), OA_ERR_DENIED);
	assert_int_equal(auth_login(A, &good, &s), OA_ERR_DENIED);
	tu_must(auth_password_set(A, "budi", GOOD_PW, NULL, "admin"));
	tu_must(auth_login(A, &good, &s));
	/* Disabled accounts cannot sign in. */
	tu_must(auth_person_set_disabled(A, "budi", 1, "admin"));
	assert_int_equal(auth_login(A, &good, &s), OA_ERR_DENIED);
	tu_must(auth_person_set_disabled(A, "budi", 0, "admin"));
	tu_must(auth_login(A, &good, &s));
	auth_session_new_wipe(&s);
}

/* ---- TOTP ---- */

static uint8_t secret[64];
static size_t secret_len;

static void code_at(int64_t t, char out[7])
{
	assert_int_equal(oath_totp_generate((const char *)secret, secret_len, (time_t)t, 30, 0, 6,
	                     out), OATH_OK);
}

static void test_totp(void **state)
{
	auth_totp_enrolment en = {0};
	auth_login_req r = {.login = "budi", .password = GOOD_PW};
	auth_session_new s;
	auth_person p;
	char code[7], *raw = NULL;
	int64_t before;

	tu_must(auth_password_set(A, "budi", GOOD_PW, NULL, "admin"));
	tu_must(auth_totp_enrol(A, "budi", "budi", &en));
	assert_int_equal(strlen(en.secret_b32), 32);
	assert_int_equal(oath_base32_decode(en.secret_b32, strlen(en.secret_b32), &raw, &secret_len),
	    OATH_OK);
	assert_int_equal(secret_len, 20);
	memcpy(secret, raw, secret_len);
	free(raw);
	/* The URI and the QR code, with the issuer escaped. */
	assert_true(strncmp(en.uri, "otpauth://totp/Kominfo%20%3CUji%3E%20%26%20Co:budi%40", 52) == 0);
	assert_non_null(strstr(en.uri, "secret="));
	assert_non_null(strstr(en.uri, "&issuer=Kominfo%20%3CUji%3E%20%26%20Co&"));
	assert_true(strncmp(en.svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
	assert_non_null(strstr(en.svg, "<title>Kominfo &lt;Uji&gt; &amp; Co:budi@kominfo.riau.go.id</title>"));
	assert_null(strstr(en.svg, "<Uji>"));
	assert_non_null(strstr(en.svg, "<rect x="));
	/* Until confirmed, the password alone still signs in. */
	tu_must(auth_login(A, &r, &s));
	before = snapshot();
	code_at(tu_clock_now() + 600, code);
	REFUSED(auth_totp_confirm(A, "budi", code, "budi"), OA_ERR_DENIED, before);
	REFUSED(auth_totp_confirm(A, "budi", "12345x", "budi"), OA_ERR_DENIED, before);
	code_at(tu_clock_now(), code);
	tu_must(auth_totp_confirm(A, "budi", code, "budi"));
	tu_must(auth_person_get(A, "budi", &p));
	assert_int_equal(p.totp_enrolled, 1);
	/* Now the code is required; the step used to confirm cannot sign in. */
	assert_int_equal(auth_login(A, &r, &s), OA_ERR_DENIED);
	r.code = code;
	assert_int_equal(auth_login(A, &r, &s), OA_ERR_DENIED);
	/* Next step: accepted once, then replay refused. */
	tu_clock_tick(30);
	code_at(tu_clock_now(), code);
	tu_must(auth_login(A, &r, &s));
	assert_string_equal(s.person, "budi");
	assert_int_equal(auth_login(A, &r, &s), OA_ERR_DENIED);
	/* Window: one step ahead is accepted, two are not. */
	code_at(tu_clock_now() + 60, code);
	assert_int_equal(auth_login(A, &r, &s), OA_ERR_DENIED);
	code_at(tu_clock_now() + 30, code);
	tu_must(auth_login(A, &r, &s));
	/* One step behind: accepted only if newer than the last used step. */
	tu_clock_tick(90);
	code_at(tu_clock_now() - 60, code);
	assert_int_equal(auth_login(A, &r, &s), OA_ERR_DENIED);
	code_at(tu_clock_now() - 30, code);
	tu_must(auth_login(A, &r, &s));
	/* A right code with a wrong password is the same generic failure. */
	tu_clock_tick(30);
	code_at(tu_clock_now(), code);
	r.password = "Kopi-tubruk 7 gelas sore";
	assert_int_equal(auth_login(A, &r, &s), OA_ERR_DENIED);
	r.password = GOOD_PW;
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'auth.fail'"
	                       " AND detail = 'failed=totp'"), 5);
	/* The step the failed attempt saw was not consumed. */
	tu_must(auth_login(A, &r, &s));
	auth_session_new_wipe(&s);
	auth_totp_enrolment_free(&en);

	/* A pending enrolment expires; the active authenticator stays. */
	tu_must(auth_totp_enrol(A, "budi", "budi", &en));
	tu_clock_tick(16 * 60);
	before = snapshot();
	REFUSED(auth_totp_confirm(A, "budi", "123456", "budi"), OA_ERR_STATE, before);
	auth_totp_enrolment_free(&en);
	code_at(tu_clock_now(), code);
	tu_must(auth_login(A, &r, &s));
	/* Removing the authenticator: password alone again. */
	tu_must(auth_totp_disable(A, "budi", "admin"));
	assert_int_equal(auth_totp_disable(A, "budi", "admin"), OA_ERR_STATE);
	r.code = NULL;
	tu_must(auth_login(A, &r, &s));
	auth_session_new_wipe(&s);
}

/* ---- Sessions and CSRF ---- */

static void test_sessions(void **state)
{
	auth_login_req r = {.login = "budi@kominfo.riau.go.id", .password = GOOD_PW};
	auth_session_new s, s2;
	auth_session v;
	auth_who w;
	char csrf[AUTH_TOKEN_LEN + 1], cookie[256];
	int64_t before;

	tu_must(auth_role_grant(A, "budi", "kominfo", "pemohon", "admin"));
	tu_must(auth_password_set(A, "budi", GOOD_PW, NULL, "admin"));
	tu_must(auth_login(A, &r, &s));
	assert_int_equal(strlen(s.token), AUTH_TOKEN_LEN);
	assert_string_equal(s.org, "kominfo");
	tu_must(auth_session_validate(A, s.token, &v));
	assert_string_equal(v.person, "budi");
	assert_string_equal(v.method, "password");
	tu_must(auth_session_who(A, s.token, &w));
	assert_true(auth_who_holds(&w, "pemohon"));
	/* CSRF: the form token of this session and no other. */
	tu_must(auth_csrf_token(s.token, csrf));
	assert_string_equal(csrf, s.csrf);
	tu_must(auth_csrf_check(s.token, s.csrf));
	assert_int_equal(auth_csrf_check(s.token, NULL), OA_ERR_DENIED);
	assert_int_equal(auth_csrf_check(s.token, ""), OA_ERR_DENIED);
	assert_int_equal(auth_csrf_check(s.token, s.token), OA_ERR_DENIED);
	tu_must(auth_login(A, &r, &s2));
	assert_string_not_equal(s.token, s2.token);
	assert_int_equal(auth_csrf_check(s.token, s2.csrf), OA_ERR_DENIED);
	assert_int_equal(auth_csrf_check("garbage", s.csrf), OA_ERR_DENIED);
	/* Bad tokens. */
	assert_int_equal(auth_session_validate(A, "", &v), OA_ERR_DENIED);
	assert_int_equal(auth_session_validate(A, NULL, &v), OA_ERR_DENIED);
	assert_int_equal(auth_session_validate(A, s.csrf, &v), OA_ERR_DENIED);
	/* Idle timeout (30 minutes by default): used every 29 minutes it lives ... */
	for (int i = 0; i < 3; i++) {
		tu_clock_tick(29 * 60);
		tu_must(auth_session_validate(A, s.token, &v));
	}
	/* ... while s2, unused, has expired. */
	assert_int_equal(auth_session_validate(A, s2.token, &v), OA_ERR_DENIED);
	/* Absolute lifetime (12 hours): no amount of use extends it. */
	while (tu_clock_now() + 29 * 60 < s.expires_at) {
		tu_clock_tick(29 * 60);
		tu_must(auth_session_validate(A, s.token, &v));
	}
	tu_clock_set(s.expires_at);
	assert_int_equal(auth_session_validate(A, s.token, &v), OA_ERR_DENIED);
	/* Sign-out. */
	tu_must(auth_login(A, &r, &s));
	tu_must(auth_session_validate(A, s.token, &v));
	tu_must(auth_session_revoke(A, s.token, "budi"));
	assert_int_equal(auth_session_validate(A, s.token, &v), OA_ERR_DENIED);
	tu_must(auth_session_revoke(A, s.token, "budi")); /* twice is fine */
	assert_int_equal(auth_session_revoke(A, s2.csrf, "budi"), OA_ERR_NOTFOUND);
	/* Revoke all; a password change keeps only the session it came from. */
	tu_must(auth_login(A, &r, &s));
	tu_must(auth_login(A, &r, &s2));
	tu_must(auth_password_set(A, "budi", GOOD_PW, s2.token, "budi"));
	assert_int_equal(auth_session_validate(A, s.token, &v), OA_ERR_DENIED);
	tu_must(auth_session_validate(A, s2.token, &v));
	{
		int64_t n = 0;
		tu_must(auth_session_revoke_all(A, "budi", "admin", &n));
		assert_int_equal(n, 1);
	}
	assert_int_equal(auth_session_validate(A, s2.token, &v), OA_ERR_DENIED);
	/* A revoked session never changes (schema). */
	assert_int_equal(store_run(store_prepare(ca_store(T.c),
	                     "UPDATE auth_session SET revoked_at = NULL")), OA_ERR_STORE);
	/* Disabling an account ends its sessions. */
	tu_must(auth_login(A, &r, &s));
	tu_must(auth_person_set_disabled(A, "budi", 1, "admin"));
	assert_int_equal(auth_session_validate(A, s.token, &v), OA_ERR_DENIED);
	tu_must(auth_person_set_disabled(A, "budi", 0, "admin"));
	assert_int_equal(auth_session_validate(A, s.token, &v), OA_ERR_DENIED);
	/* Signing in to another agency; an unknown one is refused. */
	r.org = "disdik";
	tu_must(auth_login(A, &r, &s));
	assert_string_equal(s.org, "disdik");
	tu_must(auth_session_who(A, s.token, &w));
	assert_int_equal(w.who.nroles, 0);
	r.org = "nope";
	before = snapshot();
	assert_int_equal(auth_login(A, &r, &s), OA_ERR_NOTFOUND);
	assert_int_equal(snapshot(), before);
	/* Cookies. */
	tu_must(auth_cookie_header(cookie, sizeof cookie, s2.token, 1, 3600));
	assert_true(strncmp(cookie, "__Host-openams_session=", 23) == 0);
	assert_non_null(strstr(cookie, "; Path=/;"));
	assert_non_null(strstr(cookie, "HttpOnly"));
	assert_non_null(strstr(cookie, "Secure"));
	assert_non_null(strstr(cookie, "SameSite=Strict"));
	assert_non_null(strstr(cookie, "Max-Age=3600"));
	tu_must(auth_cookie_header(cookie, sizeof cookie, s2.token, 0, 0));
	assert_true(strncmp(cookie, "openams_session=", 16) == 0);
	assert_null(strstr(cookie, "Secure"));
	assert_null(strstr(cookie, "Max-Age"));
	assert_non_null(strstr(cookie, "HttpOnly"));
	tu_must(auth_cookie_header(cookie, sizeof cookie, NULL, 1, 0));
	assert_non_null(strstr(cookie, "=; Path=/; Max-Age=0;"));
	assert_int_equal(auth_cookie_header(cookie, sizeof cookie, "a;b\r\nSet-Cookie: x", 1, 0),
	    OA_ERR_INVALID);
	assert_int_equal(auth_cookie_header(cookie, 20, s2.token, 1, 0), OA_ERR_LIMIT);
	auth_session_new_wipe(&s);
	auth_session_new_wipe(&s2);
}

/* ---- API tokens ---- */

static int list_cb(const auth_token_info *t, void *arg)
{
	int *n = arg;
	assert_string_equal(t->person, "budi");
	(*n)++;
	return 0;
}

static void test_tokens(void **state)
{
	const char *roles[] = {"pemohon"}, *more[] = {"pemohon", "admin"}, *twice[] = {"pemohon", "pemohon"};
	auth_token_req r = {.name = "SIMPEG sync", .person = "budi", .org = "kominfo",
	    .roles = roles, .nroles = 1, .expires_at = tu_clock_now() + 30 * 86400};
	char tok[AUTH_API_TOKEN_LEN + 1], tok2[AUTH_API_TOKEN_LEN + 1];
	int64_t before = snapshot(), id = 0, id2 = 0;
	auth_who w;
	int n = 0;

	tu_must(auth_role_grant(A, "budi", "kominfo", "pemohon", "admin"));
	before = snapshot();
	{
		auth_token_req q = r;
		q.roles = more;
		q.nroles = 2;
		REFUSED(auth_token_create(A, &q, "admin", tok, &id), OA_ERR_DENIED, before);
		q.roles = twice;
		REFUSED(auth_token_create(A, &q, "admin", tok, &id), OA_ERR_INVALID, before);
		q = r;
		q.expires_at = tu_clock_now() + 400 * 86400;
		REFUSED(auth_token_create(A, &q, "admin", tok, &id), OA_ERR_POLICY, before);
		q.expires_at = tu_clock_now();
		REFUSED(auth_token_create(A, &q, "admin", tok, &id), OA_ERR_INVALID, before);
		q = r;
		q.name = "";
		REFUSED(auth_token_create(A, &q, "admin", tok, &id), OA_ERR_INVALID, before);
		q = r;
		q.nroles = 0;
		REFUSED(auth_token_create(A, &q, "admin", tok, &id), OA_ERR_INVALID, before);
		q = r;
		q.person = "ghost";
		REFUSED(auth_token_create(A, &q, "admin", tok, &id), OA_ERR_INVALID, before);
	}
	tu_must(auth_token_create(A, &r, "admin", tok, &id));
	assert_int_equal(strlen(tok), AUTH_API_TOKEN_LEN);
	assert_true(strncmp(tok, "oat_", 4) == 0);
	before = snapshot();
	REFUSED(auth_token_create(A, &r, "admin", tok2, &id2), OA_ERR_EXISTS, before);
	tu_must(auth_token_verify(A, tok, &w, &id2));
	assert_int_equal(id2, id);
	assert_string_equal(w.who.person, "budi");
	assert_int_equal(w.who.nroles, 1);
	assert_string_equal(w.who.roles[0], "pemohon");
	tu_must(auth_token_list(A, "kominfo", list_cb, &n));
	assert_int_equal(n, 1);
	/* Wrong tokens. */
	tok2[0] = 0;
	strcpy(tok2, tok);
	tok2[10] = tok2[10] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_token_verify(A, tok2, &w, NULL), OA_ERR_DENIED);
	assert_int_equal(auth_token_verify(A, tok + 4, &w, NULL), OA_ERR_DENIED);
	assert_int_equal(auth_token_verify(A, NULL, &w, NULL), OA_ERR_DENIED);
	/* Revoked. */
	tu_must(auth_token_revoke(A, id, "admin"));
	assert_int_equal(auth_token_verify(A, tok, &w, NULL), OA_ERR_DENIED);
	assert_int_equal(auth_token_revoke(A, id, "admin"), OA_ERR_STATE);
	assert_int_equal(auth_token_revoke(A, 999, "admin"), OA_ERR_NOTFOUND);
	/* The name is free again; expiry. */
	r.expires_at = tu_clock_now() + 3600;
	tu_must(auth_token_create(A, &r, "admin", tok, &id));
	tu_must(auth_token_verify(A, tok, &w, NULL));
	tu_clock_tick(3600);
	assert_int_equal(auth_token_verify(A, tok, &w, NULL), OA_ERR_DENIED);
	/* A token never outlives its person's roles. */
	r.name = "second";
	r.expires_at = tu_clock_now() + 3600;
	tu_must(auth_token_create(A, &r, "admin", tok, &id));
	tu_must(auth_role_revoke(A, "budi", "kominfo", "pemohon", "admin"));
	assert_int_equal(auth_token_verify(A, tok, &w, NULL), OA_ERR_DENIED);
	tu_must(auth_role_grant(A, "budi", "kominfo", "pemohon", "admin"));
	tu_must(auth_token_verify(A, tok, &w, NULL));
	tu_must(auth_person_set_disabled(A, "budi", 1, "admin"));
	assert_int_equal(auth_token_verify(A, tok, &w, NULL), OA_ERR_DENIED);
	tu_must(auth_person_set_disabled(A, "budi", 0, "admin"));
	oa_wipe(tok, sizeof tok);
}

/* ---- One-time links ---- */

static void test_links(void **state)
{
	char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1], who[AUTH_MAX_ID + 1];
	int64_t case_id = -1, before = snapshot();

	REFUSED(auth_link_create(A, AUTH_LINK__MAX, "budi", 0, 0, "sys", t1), OA_ERR_INVALID, before);
	REFUSED(auth_link_create(A, AUTH_LINK_ACTIVATION, "ghost", 0, 0, "sys", t1), OA_ERR_NOTFOUND,
	    before);
	REFUSED(auth_link_create(A, AUTH_LINK_ACTIVATION, "budi", 0, 10, "sys", t1), OA_ERR_INVALID,
	    before);
	REFUSED(auth_link_create(A, AUTH_LINK_ACTIVATION, "budi", 0, 31 * 86400, "sys", t1),
	    OA_ERR_INVALID, before);
	REFUSED(auth_link_create(A, AUTH_LINK_ACTIVATION, "budi", -3, 0, "sys", t1), OA_ERR_INVALID,
	    before);
	assert_string_equal(auth_link_kind_name(AUTH_LINK_IDENTITY_FORM), "identity_form");
	assert_int_equal(auth_link_kind_parse("set_passphrase"), AUTH_LINK_SET_PASSPHRASE);
	assert_int_equal(auth_link_kind_parse("login"), -1);

	tu_must(auth_link_create(A, AUTH_LINK_IDENTITY_FORM, "budi", 7, 3600, "verifikator", t1));
	assert_int_equal(strlen(t1), AUTH_TOKEN_LEN);
	/* Wrong kind: refused, and the link stays usable for its own kind. */
	assert_int_equal(auth_link_consume(A, AUTH_LINK_PASSWORD_RESET, t1, who, &case_id),
	    OA_ERR_DENIED);
	assert_string_equal(who, "");
	tu_must(auth_link_consume(A, AUTH_LINK_IDENTITY_FORM, t1, who, &case_id));
	assert_string_equal(who, "budi");
	assert_int_equal(case_id, 7);
	/* Single use. */
	assert_int_equal(auth_link_consume(A, AUTH_LINK_IDENTITY_FORM, t1, who, &case_id),
	    OA_ERR_STATE);
	assert_int_equal(case_id, 0);
	/* Expiry. */
	tu_must(auth_link_create(A, AUTH_LINK_SET_PASSPHRASE, "budi", 0, 600, "verifikator", t1));
	tu_clock_tick(600);
	assert_int_equal(auth_link_consume(A, AUTH_LINK_SET_PASSPHRASE, t1, who, &case_id),
	    OA_ERR_STATE);
	assert_non_null(strstr(oa_errmsg(), "expired"));
	/* A newer link supersedes the older one of the same kind. */
	tu_must(auth_link_create(A, AUTH_LINK_PASSWORD_RESET, "budi", 0, 0, "budi", t1));
	tu_must(auth_link_create(A, AUTH_LINK_PASSWORD_RESET, "budi", 0, 0, "budi", t2));
	assert_int_equal(auth_link_consume(A, AUTH_LINK_PASSWORD_RESET, t1, who, &case_id),
	    OA_ERR_STATE);
	tu_must(auth_link_consume(A, AUTH_LINK_PASSWORD_RESET, t2, who, &case_id));
	assert_int_equal(case_id, 0);
	/* Garbage and unknown tokens. */
	assert_int_equal(auth_link_consume(A, AUTH_LINK_ACTIVATION, "short", who, &case_id),
	    OA_ERR_NOTFOUND);
	t2[5] = t2[5] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_link_consume(A, AUTH_LINK_ACTIVATION, t2, who, &case_id),
	    OA_ERR_NOTFOUND);
	/* Inside a caller's transaction that rolls back, the use is undone too. */
	tu_must(auth_link_create(A, AUTH_LINK_ACTIVATION, "budi", 0, 0, "sys", t1));
	tu_must(store_begin(ca_store(T.c)));
	tu_must(auth_link_consume(A, AUTH_LINK_ACTIVATION, t1, who, &case_id));
	store_rollback(ca_store(T.c));
	tu_must(auth_link_consume(A, AUTH_LINK_ACTIVATION, t1, who, &case_id));
	/* Used links are final (schema). */
	assert_int_equal(store_run(store_prepare(ca_store(T.c),
	                     "UPDATE auth_link SET state = 'pending', used_at = NULL")),
	    OA_ERR_STORE);
}

/* ---- No secret at rest ---- */

static uint8_t *slurp(const char *path, size_t *n)
{
	uint8_t *p = NULL;

	*n = 0;
	if (oa_read_file(path, 512 * 1024 * 1024, &p, n) != OA_OK)
		return NULL;
	return p;
}

static void assert_absent(const void *needle, size_t n, const char *what)
{
	static const char *const files[] = {"openams.db", "openams.db-wal"};

	for (size_t i = 0; i < 2; i++) {
		char path[512];
		size_t len;
		uint8_t *p;
		snprintf(path, sizeof path, "%s/%s", T.path, files[i]);
		if ((p = slurp(path, &len)) == NULL)
			continue;
		if (memmem(p, len, needle, n) != NULL)
			fail_msg("%s found in %s", what, files[i]);
		free(p);
	}
}

static void assert_not_in_audit(const char *s, const char *what)
{
	store_stmt *st = store_prepare(ca_store(T.c), "SELECT actor || ' ' || action || ' ' || object"
	                                            " || ' ' || detail FROM audit");
	int r;

	assert_non_null(st);
	while ((r = store_step(st)) == STORE_ROW)
		if (strstr(store_col_text(st, 0), s) != NULL)
			fail_msg("%s found in the audit log", what);
	store_reset(st);
	assert_int_equal(r, STORE_DONE);
}

static void secret_absent(const char *s, const char *what)
{
	uint8_t raw[64];
	size_t n = 0;

	assert_absent(s, strlen(s), what);
	assert_not_in_audit(s, what);
	/* Also as raw bytes, when it is base64url. */
	if (sodium_base642bin(raw, sizeof raw, s + (strncmp(s, "oat_", 4) == 0 ? 4 : 0),
	        strlen(s) - (strncmp(s, "oat_", 4) == 0 ? 4 : 0), NULL, &n, NULL,
	        sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 && n >= 16)
		assert_absent(raw, n, what);
}

static void test_no_secrets(void **state)
{
	auth_totp_enrolment en = {0};
	auth_login_req r = {.login = "budi", .password = GOOD_PW};
	const char *roles[] = {"pemohon"};
	auth_token_req tr = {.name = "integration", .person = "budi", .org = "kominfo",
	    .roles = roles, .nroles = 1, .expires_at = tu_clock_now() + 86400};
	auth_session_new s;
	char tok[AUTH_API_TOKEN_LEN + 1], link[AUTH_TOKEN_LEN + 1], code[7], *raw = NULL;
	char path[512], hexsecret[41];
	struct stat sb;
	audit_report rep;

	tu_must(auth_role_grant(A, "budi", "kominfo", "pemohon", "admin"));
	tu_must(auth_password_set(A, "budi", GOOD_PW, NULL, "admin"));
	tu_must(auth_totp_enrol(A, "budi", "budi", &en));
	assert_int_equal(oath_base32_decode(en.secret_b32, strlen(en.secret_b32), &raw, &secret_len),
	    OATH_OK);
	memcpy(secret, raw, secret_len);
	free(raw);
	code_at(tu_clock_now(), code);
	tu_must(auth_totp_confirm(A, "budi", code, "budi"));
	tu_clock_tick(30);
	code_at(tu_clock_now(), code);
	r.code = code;
	tu_must(auth_login(A, &r, &s));
	tu_must(auth_token_create(A, &tr, "admin", tok, NULL));
	tu_must(auth_link_create(A, AUTH_LINK_ACTIVATION, "budi", 3, 0, "verifikator", link));
	/* A failed attempt with a typed secret in the user-name field. */
	{
		auth_login_req oops = {.login = GOOD_PW, .password = GOOD_PW};
		auth_session_new x;
		assert_int_equal(auth_login(A, &oops, &x), OA_ERR_DENIED);
	}

	/* Positive control: the search does see what is stored in clear.  (On
	 * PostgreSQL there are no such files: the file searches find nothing,
	 * the audit log's still counts.) */
	if (!tu_store_pg()) {
		static const char email[] = "budi@kominfo.riau.go.id";
		int seen = 0;
		for (size_t i = 0; i < 2; i++) {
			char p[512];
			size_t len;
			uint8_t *b;
			snprintf(p, sizeof p, "%s/%s", T.path, i ? "openams.db-wal" : "openams.db");
			if ((b = slurp(p, &len)) != NULL) {
				seen |= memmem(b, len, email, strlen(email)) != NULL;
				free(b);
			}
		}
		assert_true(seen);
	}
	secret_absent(GOOD_PW, "the password");
	secret_absent(s.token, "the session id");
	secret_absent(s.csrf, "the CSRF token");
	secret_absent(tok, "the API token");
	secret_absent(link, "the link token");
	secret_absent(en.secret_b32, "the TOTP secret (base32)");
	assert_absent(secret, secret_len, "the TOTP secret (raw)");
	oa_hex(hexsecret, secret, secret_len);
	secret_absent(hexsecret, "the TOTP secret (hex)");
	/* Error messages do not carry them either. */
	assert_null(strstr(oa_errmsg(), GOOD_PW));

	/* The key is outside the database, private to its owner. */
	snprintf(path, sizeof path, "%s/secrets/auth.key", T.path);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* Every change was recorded, and the chain holds. */
	tu_must(audit_verify(ca_store(T.c), &rep));
	assert_true(count("SELECT count(*) FROM audit WHERE action LIKE 'auth.%' OR action LIKE"
	                  " 'totp.%' OR action LIKE 'token.%' OR action LIKE 'link.%' OR action LIKE"
	                  " 'password.%'") >= 6);
	auth_session_new_wipe(&s);
	auth_totp_enrolment_free(&en);
}

/* A TOTP secret moved to another account does not decrypt there. */
static void test_totp_bound_to_person(void **state)
{
	auth_login_req r = {.login = "siti", .password = GOOD_PW};
	auth_session_new s;

	tu_must(auth_password_set(A, "siti", GOOD_PW, NULL, "admin"));
	tu_must(store_run(store_prepare(ca_store(T.c), "UPDATE auth_credential SET totp_secret ="
	                                        " (SELECT totp_secret FROM auth_credential WHERE"
	                                        " person = 'budi') WHERE person = 'siti'")));
	assert_int_equal(auth_login(A, &r, &s), OA_ERR_CRYPTO);
	assert_int_equal(count("SELECT count(*) FROM auth_session WHERE person = 'siti'"), 0);
}

int main(void)
{
	const struct CMUnitTest accounts[] = {
	    cmocka_unit_test(test_org),
	    cmocka_unit_test(test_person_validation),
	    cmocka_unit_test(test_person_update),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_engine_who),
	};
	const struct CMUnitTest passwords[] = {
	    cmocka_unit_test(test_password_policy),
	    cmocka_unit_test(test_password_verify),
	    cmocka_unit_test(test_rehash),
	    cmocka_unit_test(test_lockout),
	};
	const struct CMUnitTest totp[] = {
	    cmocka_unit_test(test_totp),
	};
	const struct CMUnitTest sessions[] = {
	    cmocka_unit_test(test_sessions),
	};
	const struct CMUnitTest setup_roles[] = {
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_links),
	};
	const struct CMUnitTest secrets[] = {
	    cmocka_unit_test(test_no_secrets),
	    cmocka_unit_test(test_totp_bound_to_person),
	};
	int fails = 0;

	fails += cmocka_run_group_tests_name("accounts", accounts, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("passwords", passwords, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("totp", totp, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("sessions", sessions, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("tokens_links", setup_roles, group_setup, group_teardown);
	fails += cmocka_run_group_tests_name("secrets", secrets, group_setup, group_teardown);
	return fails ? 1 : 0;
}
