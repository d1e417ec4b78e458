/*
 * test_engine_rules.c - the SOP engine's rules (src/engine/engine.h), checked
 * on every shipped SOP (000, 001, 003, 004 and the designed 900 renewal and
 * 901 passphrase reset):
 *
 *   - every refusal leaves the store exactly as it was (row counts of the
 *     case, transition, data, document, certificate and audit tables and the
 *     case's step);
 *   - a "no" returns to the step the definition names and keeps history;
 *   - the CA issues or revokes exactly once, at the step whose action says so;
 *   - renewal window, passphrase reset, version pinning, SLA figures,
 *     working-day calendar, task lists, and the audit trail.
 *
 * One process, one instance under mkdtemp (plus a second one for the
 * working-day calendar with a configured holiday).  The clock is moved with
 * OPENAMS_NOW.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "audit/audit.h"
#include "ca/ca.h"
#include "engine/engine.h"
#include "../unit/testutil.h"

#define ORG "kominfo"

static char dir[64], inst[256], sopdir[600], share[512];
static ca *C;
static engine *E;
static int seq;
static int64_t clock_now;

/* ---- clock, store ---------------------------------------------------- */

static void set_clock(int64_t t)
{
	char s[32];

	clock_now = t;
	oa_time_iso(s, sizeof s, t);
	setenv("OPENAMS_NOW", s, 1);
}

static void tick(int64_t secs)
{
	set_clock(clock_now + secs);
}

static int64_t iso(const char *s)
{
	int64_t t;

	if (oa_time_parse(s, &t) != OA_OK)
		abort();
	return t;
}

static int64_t count_in(ca *c, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	store_stmt *st;
	int64_t n;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	st = store_prepare(ca_store(c), sql);
	if (st == NULL)
		fail_msg("prepare failed: %s: %s", sql, oa_errmsg());
	assert_int_equal(store_step(st), STORE_ROW);
	n = store_col_int(st, 0);
	store_reset(st);
	return n;
}

#define count(...) count_in(C, __VA_ARGS__)

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static char *sop_text(const char *file)
{
	char path[1024];

	snprintf(path, sizeof path, "%s/%s", sopdir, file);
	return slurp(path);
}

/* Copies a heap text into static storage and frees it, so that a failed
 * assertion later on (a longjmp) leaks nothing. */
static char *stash(char *heap, int slot)
{
	static char buf[4][OA_MAX_SOP_BYTES + 1];

	assert_true(strlen(heap) <= OA_MAX_SOP_BYTES);
	strcpy(buf[slot], heap);
	free(heap);
	return buf[slot];
}

/* text with the first occurrence of `from` replaced by `to` (must exist). */
static char *replace(char *text, const char *from, const char *to)
{
	char *p = strstr(text, from), *out;
	size_t a, b = strlen(from), c = strlen(to);

	if (p == NULL)
		fail_msg("replace: '%s' not found", from);
	a = (size_t)(p - text);
	out = malloc(strlen(text) - b + c + 1);
	assert_non_null(out);
	memcpy(out, text, a);
	memcpy(out + a, to, c);
	strcpy(out + a + c, p + b);
	free(text);
	return out;
}

/* ---- people ---------------------------------------------------------- */

struct person {
	char id[48], org[48];
	const char *roles[12];
	engine_who who;
};

/* roles: NULL-terminated. */
static void person_v(struct person *p, const char *id, const char *org, const char *const *roles)
{
	size_t n = 0;

	memset(p, 0, sizeof *p);
	snprintf(p->id, sizeof p->id, "%s", id);
	snprintf(p->org, sizeof p->org, "%s", org);
	for (; roles && roles[n] && n < 12; n++)
		p->roles[n] = roles[n];
	p->who = (engine_who){p->id, p->org, p->roles, n};
}

static void person1(struct person *p, const char *id, const char *org, const char *role)
{
	const char *r[2] = {role, NULL};
	person_v(p, id, org, r);
}

/* Every actor role of d (optionally except those of step s). */
static void person_all(struct person *p, const char *id, const char *org, const sop_def *d,
    const sop_step *except)
{
	const char *r[13];
	size_t n = 0;

	for (size_t i = 0; i < d->n_actors && n < 12; i++) {
		int skip = 0;
		for (size_t j = 0; except && j < except->n_actors; j++)
			skip |= except->actors[j] == (int)i;
		if (!skip)
			r[n++] = d->actors[i].id;
	}
	r[n] = NULL;
	person_v(p, id, org, r);
}

static const char *applicant_role(const sop_def *d)
{
	return d->actors[d->steps[0].actors[0]].id;
}

static int step_has_actor_role(const sop_def *d, const sop_step *s, const char *role)
{
	for (size_t i = 0; i < s->n_actors; i++)
		if (strcmp(d->actors[s->actors[i]].id, role) == 0)
			return 1;
	return 0;
}

/* ---- store snapshots: refusals change nothing ------------------------ */

struct snap {
	int64_t n[9];
	char step[OA_MAX_SOP_ID + 1], state[16];
	int transitions;
};

static const char *const snap_sql[9] = {
	"SELECT COUNT(*) FROM sop_case",
	"SELECT COUNT(*) FROM sop_transition",
	"SELECT COUNT(*) FROM sop_case_data",
	"SELECT COUNT(*) FROM sop_case_document",
	"SELECT COUNT(*) FROM certificate",
	"SELECT COUNT(*) FROM certificate WHERE status = 'revoked'",
	"SELECT COUNT(*) FROM audit",
	"SELECT COUNT(*) FROM sop_version",
	"SELECT COALESCE(SUM(length(value)), 0) FROM sop_case_data",
};

static void snap_take(struct snap *s, int64_t case_id)
{
	memset(s, 0, sizeof *s);
	for (int i = 0; i < 9; i++)
		s->n[i] = count("%s", snap_sql[i]);
	if (case_id > 0) {
		engine_case c;
		assert_int_equal(engine_case_get(E, case_id, &c), OA_OK);
		snprintf(s->step, sizeof s->step, "%s", c.step);
		snprintf(s->state, sizeof s->state, "%s", c.state);
		s->transitions = c.transitions;
	}
}

static void snap_same(const struct snap *a, const struct snap *b, const char *what, int line)
{
	for (int i = 0; i < 9; i++)
		if (a->n[i] != b->n[i])
			fail_msg("line %d: refusal of %s changed the store: %s was %" PRId64 ", now %" PRId64,
			    line, what, snap_sql[i], a->n[i], b->n[i]);
	if (strcmp(a->step, b->step) || strcmp(a->state, b->state) || a->transitions != b->transitions)
		fail_msg("line %d: refusal of %s moved the case: %s/%s/%d -> %s/%s/%d", line, what,
		    a->state, a->step, a->transitions, b->state, b->step, b->transitions);
}

static const char *const errname[] = {"OA_OK", "OA_ERR_INVALID", "OA_ERR_NOTFOUND",
    "OA_ERR_EXISTS", "OA_ERR_POLICY", "OA_ERR_LINT", "OA_ERR_STATE", "OA_ERR_LIMIT",
    "OA_ERR_DENIED", "OA_ERR_CRYPTO", "OA_ERR_STORE", "OA_ERR_IO", "OA_ERR_NOMEM",
    "OA_ERR_CONFIG", "OA_ERR_INTERNAL"};

static const char *ename(oa_err rc)
{
	return (unsigned)rc < sizeof errname / sizeof errname[0] ? errname[rc] : "?";
}

static char last_refusal[1024];

/* Runs expr, expects code, and checks the store did not change. */
#define REFUSED(cid, code, expr)                                                              \
	do {                                                                                      \
		struct snap b_, a_;                                                                   \
		oa_err rc_;                                                                           \
		snap_take(&b_, (cid));                                                                \
		rc_ = (expr);                                                                         \
		snprintf(last_refusal, sizeof last_refusal, "%s", rc_ ? oa_errmsg() : "");           \
		if (rc_ != (code))                                                                    \
			fail_msg("line %d: %s: expected %s, got %s (%s)", __LINE__, #expr, ename(code),     \
			    ename(rc_), rc_ ? oa_errmsg() : "accepted");                                  \
		snap_take(&a_, (cid));                                                                \
		snap_same(&b_, &a_, #expr, __LINE__);                                                 \
	} while (0)

/* ---- certificates ---------------------------------------------------- */

static char *make_csr(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *d, *out;
	long n;

	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Pemohon Uji", -1, -1, 0);
	X509_REQ_set_pubkey(req, k);
	X509_REQ_sign(req, k, EVP_sha256());
	PEM_write_bio_X509_REQ(b, req);
	n = BIO_get_mem_data(b, &d);
	out = strndup(d, (size_t)n);
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return out;
}

static void next_nik(char out[17])
{
	snprintf(out, 17, "1471%012d", ++seq);
}

/* A certificate for nik issued straight at the CA. days 0: profile default. */
static void cert_in(ca *c, const char *nik, char serial[41], int days)
{
	ca_request r = {0};
	ca_issued out;
	char *csr = make_csr();

	r.csr = (const uint8_t *)csr;
	r.csr_len = strlen(csr);
	r.cn = "Siti Rahmawati";
	r.o = "Pemkab";
	r.nik = nik;
	r.email = "siti@kominfo.merantikab.go.id";
	r.validity_days = days;
	if (ca_issue(c, &r, &out) != OA_OK)
		fail_msg("ca_issue: %s", oa_errmsg());
	strcpy(serial, out.serial);
	ca_issued_free(&out);
	free(csr);
}

static void existing_cert(const char *nik, char serial[41], int days)
{
	cert_in(C, nik, serial, days);
}

static const char *cert_status(const char *serial, int *reason)
{
	static ca_cert_info i;

	assert_int_equal(ca_status(C, serial, &i), OA_OK);
	if (reason)
		*reason = i.reason;
	return i.status;
}

/* 1 if DIR/pki/issuing.crl lists serial; *reason its CRL reason (-1: none). */
static int crl_has(const char *serial, int *reason)
{
	char path[600];
	FILE *f;
	X509_CRL *crl;
	BIGNUM *want = NULL;
	int found = 0;

	snprintf(path, sizeof path, "%s/pki/issuing.crl", inst);
	f = fopen(path, "rb");
	assert_non_null(f);
	crl = d2i_X509_CRL_fp(f, NULL);
	fclose(f);
	assert_non_null(crl);
	assert_true(BN_hex2bn(&want, serial) > 0);
	{
		STACK_OF(X509_REVOKED) *rs = X509_CRL_get_REVOKED(crl);
		for (int i = 0; rs && i < sk_X509_REVOKED_num(rs) && !found; i++) {
			X509_REVOKED *r = sk_X509_REVOKED_value(rs, i);
			BIGNUM *bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(r), NULL);
			if (BN_cmp(bn, want) == 0) {
				ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
				found = 1;
				if (reason)
					*reason = e ? (int)ASN1_ENUMERATED_get(e) : -1;
				ASN1_ENUMERATED_free(e);
			}
			BN_free(bn);
		}
	}
	BN_free(want);
	X509_CRL_free(crl);
	return found;
}

/* ---- histories ------------------------------------------------------- */

struct hist {
	int n;
	engine_transition t[128];
	char note[128][64];
};

static int hist_cb(const engine_transition *t, void *arg)
{
	struct hist *h = arg;

	if (h->n < 128) {
		h->t[h->n] = *t;
		snprintf(h->note[h->n], sizeof h->note[0], "%s", t->note);
		h->t[h->n].note = NULL;
		h->n++;
	}
	return 0;
}

static void history(int64_t id, struct hist *h)
{
	memset(h, 0, sizeof *h);
	assert_int_equal(engine_case_history(E, id, hist_cb, h), OA_OK);
}

/* ---- the walker ------------------------------------------------------ */

struct applicant {
	struct person p;
	char nik[17];
	char serial[41]; /* the certificate the case is about */
	char *csr;
};

/* CSRs live until teardown, so a failed assertion (a longjmp) leaks nothing. */
static char *csrs[1024];
static size_t ncsrs;

static void applicant_new(struct applicant *a, const char *prefix, const char *org, const char *role)
{
	char id[48];

	memset(a, 0, sizeof *a);
	next_nik(a->nik);
	snprintf(id, sizeof id, "%s%d", prefix, seq);
	person1(&a->p, id, org, role);
	a->csr = make_csr();
	if (ncsrs < sizeof csrs / sizeof csrs[0])
		csrs[ncsrs++] = a->csr;
}

static void applicant_free(struct applicant *a)
{
	a->csr = NULL;
}

struct walkopt {
	const char *no_at;   /* a decision answered "no" once */
	const char *stop_at; /* stop when the case is at this step */
	int refusals;        /* run the refusal battery at each step */
	int max_acts;        /* 0: unlimited */
};

struct walkres {
	int acts, issued, revoked, no_done;
	char issued_serial[41], revoked_serial[41];
	char issue_step[OA_MAX_SOP_ID + 1], revoke_step[OA_MAX_SOP_ID + 1];
	char stray[512]; /* a revocation at a step that is not a revoke step */
};

static int has_doc(int64_t case_id, const char *doc)
{
	return (int)count("SELECT COUNT(*) FROM sop_case_document WHERE case_id = %" PRId64
	                  " AND doc = '%s'", case_id, doc);
}

static void attach(int64_t case_id, const engine_who *who, const char *doc)
{
	char sha[65];
	unsigned h = 5381;

	for (const char *p = doc; *p; p++)
		h = h * 33 + (unsigned char)*p;
	for (int i = 0; i < 64; i++)
		sha[i] = "0123456789abcdef"[(h >> (i % 28)) & 15];
	sha[64] = 0;
	if (engine_case_attach(E, who, case_id, doc, sha, "berkas.pdf") != OA_OK)
		fail_msg("attach %s: %s", doc, oa_errmsg());
}

/* The documents step s needs now (its doc inputs; reason docs at upload/revoke). */
static size_t needed_docs(const sop_def *d, const sop_step *s, sop_action effective,
    const char *reason, const char **out)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_inputs; i++)
		if (s->inputs[i].doc >= 0)
			out[n++] = d->documents[s->inputs[i].doc].id;
	if (reason[0] && (s->action == SOP_ACT_UPLOAD || effective == SOP_ACT_REVOKE)) {
		int ri = sop_reason_index(d, reason);
		for (size_t i = 0; ri >= 0 && i < d->reasons[ri].n_docs; i++)
			out[n++] = d->documents[d->reasons[ri].docs[i]].id;
	}
	return n;
}

static void identity(const char *nik, const char **keys, const char **vals, size_t *n)
{
	keys[0] = "name"; vals[0] = "Siti Rahmawati";
	keys[1] = "nik"; vals[1] = nik;
	keys[2] = "email"; vals[2] = "siti@kominfo.merantikab.go.id";
	keys[3] = "organization"; vals[3] = "Pemerintah Kabupaten Kepulauan Meranti";
	keys[4] = "unit"; vals[4] = "Dinas Kominfo";
	*n = 5;
}

/* The refusal battery at the case's current step (a is the correct act). */
static void battery(int64_t id, const sop_def *d, const sop_step *s, const engine_act *good,
    const engine_who *actor, struct applicant *app)
{
	engine_act a;
	engine_result res;
	struct person x;
	const char *arole = applicant_role(d);
	const char *keys[4], *vals[4];

	static const char sha[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

	/* A person without the step's role (holding every other role). */
	person_all(&x, "tanpa-peran", app->p.org, d, s);
	if (d->n_documents > 0) {
		/* Documents: not theirs to add now; another organisation; not a document
		 * of this SOP; not a SHA-256. */
		REFUSED(id, OA_ERR_DENIED,
		    engine_case_attach(E, &x.who, id, d->documents[0].id, sha, "a.pdf"));
		person_all(&x, app->p.id, "dinas-lain", d, NULL);
		REFUSED(id, OA_ERR_DENIED,
		    engine_case_attach(E, &x.who, id, d->documents[0].id, sha, "a.pdf"));
		REFUSED(id, OA_ERR_INVALID,
		    engine_case_attach(E, &app->p.who, id, "bukan_dokumen", sha, "a.pdf"));
		REFUSED(id, OA_ERR_INVALID,
		    engine_case_attach(E, &app->p.who, id, d->documents[0].id, "ABC", "a.pdf"));
		REFUSED(id, OA_ERR_INVALID,
		    engine_case_attach(E, &app->p.who, id, d->documents[0].id, sha, "../a.pdf"));
		person_all(&x, "tanpa-peran", app->p.org, d, s);
	}
	a = *good;
	REFUSED(id, OA_ERR_DENIED, engine_case_act(E, &x.who, &a, &res));
	/* ... and acting in a role they hold that is not the step's. */
	if (x.who.nroles > 0) {
		a.role = x.roles[0];
		REFUSED(id, OA_ERR_DENIED, engine_case_act(E, &x.who, &a, &res));
	}
	/* The right role, another organisation (same person id too). */
	person_all(&x, actor->person, "dinas-lain", d, NULL);
	a = *good;
	REFUSED(id, OA_ERR_DENIED, engine_case_act(E, &x.who, &a, &res));
	/* The applicant in every staff role of this step, holding it (self-approval). */
	person_all(&x, app->p.id, app->p.org, d, NULL);
	for (size_t i = 0; i < s->n_actors; i++) {
		const char *r = d->actors[s->actors[i]].id;
		if (strcmp(r, arole) == 0)
			continue;
		a = *good;
		a.role = r;
		if (s->action == SOP_ACT_FILL_IDENTITY || s->action == SOP_ACT_SET_PASSPHRASE) {
			a.keys = good->keys;
			a.values = good->values;
		}
		a.reason = NULL;
		REFUSED(id, OA_ERR_DENIED, engine_case_act(E, &x.who, &a, &res));
	}
	/* A staff member (holding every role) in the applicant role of someone else's case. */
	if (step_has_actor_role(d, s, arole)) {
		person_all(&x, "staf-serba", app->p.org, d, NULL);
		a = *good;
		a.role = arole;
		REFUSED(id, OA_ERR_DENIED, engine_case_act(E, &x.who, &a, &res));
	}
	/* Out of order: every other step of the definition, and one that does not exist. */
	for (size_t i = 0; i < d->n_steps; i++) {
		if (&d->steps[i] == s)
			continue;
		a = *good;
		a.step = d->steps[i].id;
		REFUSED(id, OA_ERR_STATE, engine_case_act(E, actor, &a, &res));
	}
	a = *good;
	a.step = "99";
	REFUSED(id, OA_ERR_STATE, engine_case_act(E, actor, &a, &res));
	/* Decisions: none, or a bogus value, at a decision; yes/no at a non-decision. */
	a = *good;
	if (s->action == SOP_ACT_DECIDE) {
		a.decision = ENGINE_NO_DECISION;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
		a.decision = 7;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	} else {
		a.decision = ENGINE_YES;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
		a.decision = ENGINE_NO;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	}
	/* Data the step does not take (a valid first item, so a partial write would show). */
	a = *good;
	if (s->action == SOP_ACT_FILL_IDENTITY) {
		keys[0] = "name"; vals[0] = "Siti";
		keys[1] = "csr"; vals[1] = "-----BEGIN CERTIFICATE REQUEST-----";
		a.keys = keys; a.values = vals; a.ndata = 2;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
		keys[1] = "account"; vals[1] = "x";
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
		keys[1] = "serial"; vals[1] = "01";
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	} else if (s->action == SOP_ACT_SET_PASSPHRASE) {
		keys[0] = "csr"; vals[0] = app->csr;
		keys[1] = "name"; vals[1] = "Siti";
		a.keys = keys; a.values = vals; a.ndata = 2;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	} else {
		keys[0] = "name"; vals[0] = "Siti";
		a.keys = keys; a.values = vals; a.ndata = 1;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
		keys[0] = "csr"; vals[0] = app->csr;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	}
	/* Notes with control characters. */
	a = *good;
	a.note = "catatan\x01";
	REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	a.note = "\x1b[2Jhapus layar";
	REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	a.note = "baris\rtimpa";
	REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	/* A reason chosen by someone who is not the applicant. */
	if (d->n_reasons > 0 && strcmp(good->role, arole) != 0) {
		a = *good;
		a.reason = d->reasons[0].id;
		REFUSED(id, OA_ERR_INVALID, engine_case_act(E, actor, &a, &res));
	}
	/* Staff who does not hold the step's role rejecting; the applicant rejecting;
	 * someone else withdrawing. */
	person_all(&x, "tanpa-peran", app->p.org, d, s);
	REFUSED(id, OA_ERR_DENIED, engine_case_close(E, &x.who, id, ENGINE_REJECT, NULL));
	person_all(&x, app->p.id, app->p.org, d, NULL);
	REFUSED(id, OA_ERR_DENIED, engine_case_close(E, &x.who, id, ENGINE_REJECT, NULL));
	person_all(&x, "staf-serba", app->p.org, d, NULL);
	REFUSED(id, OA_ERR_DENIED, engine_case_close(E, &x.who, id, ENGINE_WITHDRAW, NULL));
}

static int64_t nik_active(const char *nik, const char *except)
{
	return count("SELECT COUNT(*) FROM certificate WHERE nik = '%s' AND status = 'active'"
	             " AND serial <> '%s'", nik, except ? except : "");
}

/*
 * Drives case id along: the right person at each step (the applicant in the
 * applicant role, "staf-<role>" otherwise), documents attached just in time
 * (with a try of all-but-one first when o->refusals), and after every act
 * checks that a certificate is issued or revoked only at a step whose
 * (effective) action is issue or revoke, that the transition row names it,
 * and that the certificate was absent/active before.
 */
static void walk(int64_t id, struct applicant *app, const struct walkopt *o, struct walkres *w)
{
	memset(w, 0, sizeof *w);
	for (int guard = 0; guard < 300; guard++) {
		engine_case c;
		const sop_def *d;
		const sop_step *s;
		const char *role, *arole, *need[32], *missing[32];
		char stepid[OA_MAX_SOP_ID + 1];
		const char *keys[9], *vals[9];
		struct person staff;
		const engine_who *who;
		engine_act a = {0};
		engine_result res;
		sop_action effective;
		size_t nneed, nmiss = 0;
		int64_t certs0, revoked0, other_active0;
		char serial_status0[16] = "";
		struct hist h;
		oa_err rc;
		int idx;

		assert_int_equal(engine_case_get(E, id, &c), OA_OK);
		if (strcmp(c.state, "open") != 0)
			break;
		if (o->stop_at && strcmp(c.step, o->stop_at) == 0)
			break;
		if (o->max_acts && w->acts >= o->max_acts)
			break;
		assert_int_equal(engine_case_def(E, id, &d), OA_OK);
		idx = sop_step_index(d, c.step);
		assert_true(idx >= 0);
		s = &d->steps[idx];
		snprintf(stepid, sizeof stepid, "%s", c.step);
		arole = applicant_role(d);
		role = d->actors[s->actors[0]].id;
		if (strcmp(role, arole) == 0)
			who = &app->p.who;
		else {
			char sid[80];
			snprintf(sid, sizeof sid, "staf-%s", role);
			person1(&staff, sid, app->p.org, role);
			who = &staff.who;
		}
		a.case_id = id;
		a.step = stepid;
		a.role = role;
		if (s->action == SOP_ACT_DECIDE) {
			a.decision = o->no_at && !w->no_done && strcmp(o->no_at, s->id) == 0 ? ENGINE_NO
			                                                                     : ENGINE_YES;
		}
		if (s->action == SOP_ACT_FILL_IDENTITY) {
			identity(app->nik, keys, vals, &a.ndata);
			a.keys = keys;
			a.values = vals;
		}
		if (s->action == SOP_ACT_SET_PASSPHRASE) {
			keys[0] = "csr";
			vals[0] = app->csr;
			a.keys = keys;
			a.values = vals;
			a.ndata = 1;
		}
		effective = s->action == SOP_ACT_DECIDE
		                ? (a.decision == ENGINE_YES ? s->yes_action : SOP_ACT_NONE)
		                : s->action;
		nneed = needed_docs(d, s, effective, c.reason, need);
		for (size_t i = 0; i < nneed; i++) {
			int dup = 0;
			for (size_t j = 0; j < nmiss; j++)
				dup |= strcmp(missing[j], need[i]) == 0;
			if (!dup && !has_doc(id, need[i]))
				missing[nmiss++] = need[i];
		}
		if (nmiss > 0 && o->refusals && a.decision != ENGINE_NO) {
			/* All but one attached: still refused, nothing changes. */
			for (size_t j = 0; j + 1 < nmiss; j++)
				attach(id, &app->p.who, missing[j]);
			REFUSED(id, OA_ERR_STATE, engine_case_act(E, who, &a, &res));
			if (!strstr(last_refusal, missing[nmiss - 1]))
				fail_msg("step %s: refusal does not name the missing document %s: %s", s->id,
				    missing[nmiss - 1], last_refusal);
			attach(id, &app->p.who, missing[nmiss - 1]);
		} else
			for (size_t j = 0; j < nmiss; j++)
				attach(id, &app->p.who, missing[j]);
		if (o->refusals)
			battery(id, d, s, &a, who, app);

		certs0 = count("SELECT COUNT(*) FROM certificate");
		revoked0 = count("SELECT COUNT(*) FROM certificate WHERE status = 'revoked'");
		other_active0 = nik_active(app->nik, c.serial);
		if (d->kind == SOP_KIND_ISSUANCE)
			other_active0 += count("SELECT COUNT(*) FROM certificate WHERE nik = '%s'", app->nik);
		if (c.serial[0])
			snprintf(serial_status0, sizeof serial_status0, "%s", cert_status(c.serial, NULL));
		tick(60);
		if ((rc = engine_case_act(E, who, &a, &res)) != OA_OK)
			fail_msg("%s case %" PRId64 " step %s (%s) as %s: %s: %s", d->id, id, s->id,
			    sop_action_name(effective), role, ename(rc), oa_errmsg());
		w->acts++;
		if (a.decision == ENGINE_NO)
			w->no_done = 1;

		/* The transition row of this act. */
		history(id, &h);
		assert_true(h.n > c.transitions);
		{
			const engine_transition *t = &h.t[c.transitions];
			assert_int_equal(t->seq, c.transitions + 1);
			assert_string_equal(t->step, s->id);
			assert_string_equal(t->actor, who->person);
			assert_string_equal(t->role, role);
			assert_string_equal(t->action,
			    sop_action_name(effective == SOP_ACT_NONE ? s->action : effective));
			assert_string_equal(t->decision, a.decision == ENGINE_YES ? "yes"
			                                 : a.decision == ENGINE_NO ? "no" : "");
			assert_int_equal(t->done_at, clock_now);
		}
		/* Exactly once, at the right step. */
		if (effective == SOP_ACT_ISSUE) {
			if (!res.issued[0])
				fail_msg("step %s issues but the result names no serial", s->id);
			if (other_active0 != 0)
				fail_msg("step %s: NIK %s had another active certificate before issuing", s->id,
				    app->nik);
			assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs0 + 1);
			assert_string_equal(cert_status(res.issued, NULL), "active");
			assert_int_equal(count("SELECT COUNT(*) FROM certificate WHERE serial = '%s'"
			                       " AND nik = '%s'", res.issued, app->nik), 1);
			w->issued++;
			snprintf(w->issued_serial, sizeof w->issued_serial, "%s", res.issued);
			snprintf(w->issue_step, sizeof w->issue_step, "%s", s->id);
		} else {
			if (res.issued[0])
				fail_msg("step %s (%s) issued %s", s->id, sop_action_name(effective), res.issued);
			assert_int_equal(count("SELECT COUNT(*) FROM certificate"), certs0);
		}
		/* Renewal: the new certificate supersedes the old one in the issue
		 * step's own transaction (the one-active-per-NIK policy allows no
		 * moment with two); the later revoke step then has nothing to do. */
		if (d->kind == SOP_KIND_RENEWAL && effective == SOP_ACT_ISSUE && res.revoked[0]) {
			ca_cert_info ci;
			assert_string_equal(res.revoked, c.serial);
			assert_string_equal(serial_status0, "active");
			assert_int_equal(ca_status(C, c.serial, &ci), OA_OK);
			assert_string_equal(ci.status, "revoked");
			assert_int_equal(ci.reason, CA_REASON_SUPERSEDED);
			if (!crl_has(c.serial, NULL))
				fail_msg("step %s superseded %s but the CRL does not list it", s->id, c.serial);
			w->revoked++;
			snprintf(w->revoked_serial, sizeof w->revoked_serial, "%s", res.revoked);
			snprintf(w->revoke_step, sizeof w->revoke_step, "%s", s->id);
		} else if (d->kind == SOP_KIND_RENEWAL && effective == SOP_ACT_REVOKE && !res.revoked[0] &&
		           strcmp(serial_status0, "revoked") == 0) {
			/* already superseded at the issue step: nothing to revoke */
		} else if (effective == SOP_ACT_REVOKE) {
			if (!res.revoked[0])
				fail_msg("step %s revokes but the result names no serial", s->id);
			assert_string_equal(res.revoked, c.serial);
			assert_string_equal(serial_status0, "active");
			assert_string_equal(cert_status(c.serial, NULL), "revoked");
			if (!crl_has(c.serial, NULL))
				fail_msg("step %s revoked %s but the published CRL does not list it", s->id,
				    c.serial);
			w->revoked++;
			snprintf(w->revoked_serial, sizeof w->revoked_serial, "%s", res.revoked);
			snprintf(w->revoke_step, sizeof w->revoke_step, "%s", s->id);
		} else if (res.revoked[0])
			fail_msg("step %s (%s) revoked %s", s->id, sop_action_name(effective), res.revoked);
		if (count("SELECT COUNT(*) FROM certificate WHERE status = 'revoked'") !=
		    revoked0 + (res.revoked[0] ? 1 : 0) && !w->stray[0])
			snprintf(w->stray, sizeof w->stray, "%s step %s (action %s, not revoke) revoked a certificate (%s was %s,"
			         " now %s); the result names none",
			    d->id, s->id, sop_action_name(effective), c.serial, serial_status0,
			    c.serial[0] ? cert_status(c.serial, NULL) : "-");
	}
	if (w->stray[0])
		fail_msg("%s", w->stray);
}

/* Shipped definitions, loaded from the files (for roles before a case exists). */
static sop_def *defs[16];
static size_t ndefs;

static const sop_def *def_file(const char *sop_id)
{
	const char *files[] = {"000-pencabutan-meranti.yaml", "001-penerbitan-meranti.yaml",
	    "003-pencabutan-ciamis.yaml", "004-pencabutan-sumbar.yaml", "900-pembaruan-contoh.yaml",
	    "901-lupa-passphrase-contoh.yaml"};

	for (size_t i = 0; i < ndefs; i++)
		if (strcmp(defs[i]->id, sop_id) == 0)
			return defs[i];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[1024];
		sop_def *s = NULL;
		sop_errors errs = {0};
		snprintf(path, sizeof path, "%s/%s", sopdir, files[i]);
		if (sop_load(path, &s, &errs) != OA_OK)
			fail_msg("%s does not load", path);
		sop_errors_free(&errs);
		if (strcmp(s->id, sop_id) == 0) {
			defs[ndefs++] = s;
			return s;
		}
		sop_free(s);
	}
	fail_msg("no shipped SOP %s", sop_id);
	abort();
}

/* A new applicant with a case of sop_id open (and a certificate if the SOP needs one). */
static int64_t open_case(const char *org, const char *sop_id, const char *reason,
    struct applicant *app, int cert_days)
{
	const sop_def *d = def_file(sop_id);
	engine_open_req r = {0};
	int64_t id;

	applicant_new(app, "pemohon", org, applicant_role(d));
	if (d->kind != SOP_KIND_ISSUANCE)
		existing_cert(app->nik, app->serial, cert_days);
	r.org = org;
	r.sop_id = sop_id;
	r.applicant = app->p.id;
	r.applicant_nik = app->nik;
	r.serial = app->serial[0] ? app->serial : NULL;
	r.reason = reason;
	tick(60);
	if (engine_case_open(E, &app->p.who, &r, &id) != OA_OK)
		fail_msg("open %s: %s", sop_id, oa_errmsg());
	return id;
}

static void expect_state(int64_t id, const char *state, const char *step)
{
	engine_case c;

	assert_int_equal(engine_case_get(E, id, &c), OA_OK);
	if (strcmp(c.state, state) || (step && strcmp(c.step, step)))
		fail_msg("case %" PRId64 ": expected %s at %s, is %s at %s", id, state, step ? step : "-",
		    c.state, c.step);
}

static void withdraw(int64_t id, struct applicant *app)
{
	tick(60);
	if (engine_case_close(E, &app->p.who, id, ENGINE_WITHDRAW, "ditarik") != OA_OK)
		fail_msg("withdraw: %s", oa_errmsg());
	expect_state(id, "withdrawn", "");
}

/* Acting, attaching or closing a closed case is refused and changes nothing. */
static void closed_refusals(int64_t id, struct applicant *app, const char *laststep)
{
	const sop_def *d;
	struct person x;
	engine_act a = {0};
	engine_result res;
	char sha[65];

	assert_int_equal(engine_case_def(E, id, &d), OA_OK);
	memset(sha, 'c', 64);
	sha[64] = 0;
	person_all(&x, "staf-serba", app->p.org, d, NULL);
	for (size_t i = 0; i < d->n_steps; i++) {
		const sop_step *s = &d->steps[i];
		if (s->n_actors == 0)
			continue;
		a.case_id = id;
		a.step = s->id;
		a.role = d->actors[s->actors[0]].id;
		a.decision = s->action == SOP_ACT_DECIDE ? ENGINE_YES : 0;
		REFUSED(id, OA_ERR_STATE, engine_case_act(E, strcmp(a.role, applicant_role(d)) == 0
		                                                 ? &app->p.who : &x.who, &a, &res));
	}
	(void)laststep;
	REFUSED(id, OA_ERR_STATE,
	    engine_case_attach(E, &app->p.who, id, d->documents[0].id, sha, "x.pdf"));
	REFUSED(id, OA_ERR_STATE, engine_case_close(E, &x.who, id, ENGINE_REJECT, NULL));
	REFUSED(id, OA_ERR_STATE, engine_case_close(E, &app->p.who, id, ENGINE_WITHDRAW, NULL));
}

static void check_walk_result(const sop_def *d, int64_t id, struct applicant *app,
    const struct walkres *w)
{
	engine_case c;
	int reason = -1, crlreason = -1;

	assert_int_equal(engine_case_get(E, id, &c), OA_OK);
	if (strcmp(c.state, "completed") != 0)
		fail_msg("%s case %" PRId64 " is %s at %s", d->id, id, c.state, c.step);
	switch (d->kind) {
	case SOP_KIND_ISSUANCE:
		assert_int_equal(w->issued, 1);
		assert_int_equal(w->revoked, 0);
		assert_int_equal(count("SELECT COUNT(*) FROM certificate WHERE nik = '%s'", app->nik), 1);
		assert_string_equal(c.issued, w->issued_serial);
		break;
	case SOP_KIND_REVOCATION:
		assert_int_equal(w->issued, 0);
		assert_int_equal(w->revoked, 1);
		assert_string_equal(cert_status(app->serial, &reason), "revoked");
		{
			int ri = sop_reason_index(d, c.reason);
			const sop_step *rs = &d->steps[sop_step_index(d, w->revoke_step)];
			if (rs->reason >= 0)
				ri = rs->reason;
			assert_true(ri >= 0);
			assert_int_equal(reason, (int)d->reasons[ri].crl);
		}
		assert_true(crl_has(app->serial, &crlreason));
		/* unspecified may be left out of the CRL entry (RFC 5280 5.3.1) */
		if (!(crlreason == reason || (reason == 0 && crlreason == -1)))
			fail_msg("CRL reason %d, database reason %d", crlreason, reason);
		break;
	case SOP_KIND_RENEWAL:
	case SOP_KIND_PASSPHRASE_RESET:
		assert_int_equal(w->issued, 1);
		assert_string_equal(cert_status(app->serial, &reason), "revoked");
		assert_int_equal(reason, CA_REASON_SUPERSEDED);
		assert_string_equal(cert_status(w->issued_serial, NULL), "active");
		assert_int_equal(nik_active(app->nik, NULL), 1);
		if (!crl_has(app->serial, &crlreason))
			fail_msg("%s: the CRL does not list the replaced certificate %s", d->id, app->serial);
		assert_int_equal(crlreason, CA_REASON_SUPERSEDED);
		assert_string_equal(c.issued, w->issued_serial);
		break;
	default:
		break;
	}
}

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
	tick(60);
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
	tick(60);
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
	/* Without a NIK at all: the form is incomplete. */
	keys[0] = "name"; vals[0] = "Siti";
	keys[1] = "email"; vals[1] = "siti@kominfo.merantikab.go.id";
	a.keys = keys;
	a.values = vals;
	a.ndata = 2;
	REFUSED(id, OA_ERR_STATE, engine_case_act(E, &app.p.who, &a, &res));
	/* A NULL value. */
	identity(app.nik, keys, vals, &n);
	vals[1] = NULL;
	a.ndata = n;
	REFUSED(id, OA_ERR_INVALID, engine_case_act(E, &app.p.who, &a, &res));
	/* And a good one goes through. */
	identity(app.nik, keys, vals, &n);
	keys[n] = "nip"; vals[n++] = "197904092010011014";
	a.ndata = n;
	tick(60);
	assert_int_equal(engine_case_act(E, &app.p.who, &a, &res), OA_OK);
	assert_string_equal(res.step, "8");
	assert_int_equal(count("SELECT COUNT(*) FROM sop_case_data WHERE case_id = %" PRId64
	                       " AND key = 'nik' AND value = '%s'", id, app.nik), 1);
	withdraw(id, &app);
	applicant_free(&app);
}

/* ---- the issue step before any key ----------------------------------- */

static void install_text(const char *org, const char *name, const char *text, int64_t *vid)
{
	sop_errors errs = {0};

	if (engine_sop_install(E, org, name, text, 1, "admin", vid, &errs) != OA_OK) {
		if (errs.n)
			fail_msg("install %s: line %d: %s", name, errs.v[0].line, errs.v[0].msg);
		fail_msg("install %s: %s", name, oa_errmsg());
	}
	sop_errors_free(&errs);
}

static void install_file(const char *org, const char *file)
{
	char *text = stash(sop_text(file), 3);
	int64_t vid;

	install_text(org, file, text, &vid);
}

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
	tick(60);
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
	tick(60);
	assert_int_equal(engine_case_open(E, &app.p.who, &r, &rid), OA_OK);
	snprintf(app.serial, sizeof app.serial, "%s", first);
	o.stop_at = NULL;
	walk(rid, &app, &o, &w);
	assert_int_equal(w.revoked, 1);
	assert_string_equal(cert_status(first, NULL), "revoked");
	tick(60);
	assert_int_equal(engine_case_act(E, &bsre.who, &a, &res), OA_OK);
	assert_true(res.issued[0]);
	assert_string_equal(res.state, "completed");
	assert_int_equal(nik_active(app.nik, NULL), 1);
	applicant_free(&app);
}

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
	tick(tick_after);
	r.org = ORG;
	r.sop_id = "contoh-pembaruan";
	r.applicant = app.p.id;
	r.applicant_nik = app.nik;
	r.serial = app.serial;
	if (want == OA_OK) {
		assert_true(info.not_after - clock_now <= 30 * 86400);
		if (engine_case_open(E, &app.p.who, &r, &id) != OA_OK)
			fail_msg("renewal %" PRId64 " s before expiry refused: %s", info.not_after - clock_now,
			    oa_errmsg());
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
 * shipped ones have none), to see the rest of their path. */
static const char step_identity_900[] =
    "  - id: 3a\n"
    "    activity: Pemohon melengkapi data diri untuk sertifikat baru\n"
    "    actor: pemohon\n"
    "    action: fill_identity\n"
    "    requires: [Internet]\n"
    "    time: 5 Menit\n"
    "    output: Data Registrasi Elektronik\n"
    "\n"
    "  - id: 4\n";

static const char step_identity_901[] =
    "  - id: 6a\n"
    "    activity: Pemohon melengkapi data diri untuk sertifikat baru\n"
    "    actor: pemohon\n"
    "    action: fill_identity\n"
    "    requires: [Internet]\n"
    "    time: 5 Menit\n"
    "    output: Data Registrasi Elektronik\n"
    "\n"
    "  - id: 7\n";

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

/* ---- SLA -------------------------------------------------------------- */

struct stats_set {
	int n;
	engine_step_stats s[64];
};

static int stats_cb(const engine_step_stats *s, void *arg)
{
	struct stats_set *ss = arg;

	if (ss->n < 64)
		ss->s[ss->n++] = *s;
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

	if (l->n < 64)
		l->c[l->n++] = *c;
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
	base = (clock_now / 3600 + 2) * 3600;
	for (int i = 0; i < 10; i++) {
		engine_open_req r = {0};
		engine_act a = {0};
		engine_result res;
		struct hist h;
		int64_t t0 = base + (int64_t)(i + 1) * 3600;

		applicant_new(&app[i], "sla", "sla", "pemohon");
		set_clock(t0);
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
		set_clock(t0 + d1[i]);
		a.case_id = id[i];
		a.step = "1";
		a.role = "pemohon";
		assert_int_equal(engine_case_act(E, &app[i].p.who, &a, &res), OA_OK);
		d2[i] = (int64_t)(i + 1) * 60;
		set_clock(t0 + d1[i] + d2[i]);
		a.step = "2";
		a.role = "kadis";
		assert_int_equal(engine_case_act(E, &kadis.who, &a, &res), OA_OK);
		opened3[i] = clock_now;
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
	assert_int_equal(engine_sla(E, "sla", "meranti-penerbitan", clock_now, stats_cb, &ss), OA_OK);
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
			tick(3 * 3600);
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
	for (int i = 0; i < 5; i++)
		assert_true(in_list(&l, id[i]));
	assert_false(in_list(&l, own));
	/* Most urgent first: overdue ones, then by due time. */
	for (int i = 0; i < l.n; i++) {
		int overdue = l.c[i].step_due_at && l.c[i].step_due_at < clock_now;
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
	assert_true(l.c[0].step_due_at < clock_now && l.c[1].step_due_at < clock_now);
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
	for (int i = 0; i < 8; i++) {
		withdraw(id[i], &app[i]);
		applicant_free(&app[i]);
	}
	tick(60);
	assert_int_equal(engine_case_close(E, &verif.who, own, ENGINE_WITHDRAW, NULL), OA_OK);
	applicant_free(&self);
}

/* ---- working-day calendar (second instance, with a holiday) ------------- */

static char dir2[64];
static ca *c2;
static engine *e2;

static void test_working_days_calendar(void **state)
{
	char inst2[256], confpath[300], serial[41], nik[17];
	ca_init_opts io = {0};
	FILE *f;
	char *text;
	int64_t vid, id, id2, saved = clock_now;
	sop_errors errs = {0};
	struct person app, app2;
	engine_open_req r = {0};
	engine_act a = {0};
	engine_result res;
	engine_case c;
	/* WIB = UTC+7.  2026-11-27 and 2026-12-04 are Fridays; 2026-12-07 (Monday) is a holiday. */
	int64_t fri15 = iso("2026-11-27T08:00:00Z"), mon15 = iso("2026-11-30T08:00:00Z");
	int64_t mon09 = iso("2026-11-30T02:00:00Z"), sat10 = iso("2026-11-28T03:00:00Z");
	int64_t fri15b = iso("2026-12-04T08:00:00Z"), tue15 = iso("2026-12-08T08:00:00Z");
	int64_t mon15b = iso("2026-12-07T08:00:00Z");

	assert_non_null(test_tmpdir(dir2, sizeof dir2));
	set_clock(iso("2026-11-20T00:00:00Z")); /* before everything below */
	snprintf(inst2, sizeof inst2, "%s/inst", dir2);
	io.dir = inst2;
	io.share = share;
	assert_int_equal(ca_init(&io), OA_OK);
	snprintf(confpath, sizeof confpath, "%s/openams.conf", inst2);
	f = fopen(confpath, "a");
	assert_non_null(f);
	fprintf(f, "\nsla.holidays = 2026-12-07\n");
	fclose(f);
	if (ca_open(inst2, &c2) != OA_OK)
		fail_msg("ca_open with holidays: %s", oa_errmsg());
	assert_int_equal(engine_open(c2, &e2), OA_OK);

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
	assert_int_equal(engine_working_seconds(e2, iso("2026-11-22T17:00:00Z"),
	                     iso("2026-11-29T17:00:00Z")), 5 * 8 * 3600);

	/* A "1 Hari Kerja" first step (SOP 004 modified). */
	text = sop_text("004-pencabutan-sumbar.yaml");
	text = stash(replace(text, "    time: 1 Menit\n    output: Surat keterangan",
	    "    time: 1 Hari Kerja\n    output: Surat keterangan"), 2);
	if (engine_sop_install(e2, "kal", "004-kerja", text, 1, "admin", &vid, &errs) != OA_OK)
		fail_msg("install: %s", errs.n ? errs.v[0].msg : oa_errmsg());
	sop_errors_free(&errs);
	set_clock(fri15 - 86400 * 3);
	next_nik(nik);
	cert_in(c2, nik, serial, 0);
	person1(&app, "pemohon-kal", "kal", "pemohon");
	r.org = "kal";
	r.sop_id = "sumbar-pencabutan";
	r.applicant = "pemohon-kal";
	r.applicant_nik = nik;
	r.serial = serial;
	r.reason = "perubahan_data";
	set_clock(fri15);
	assert_int_equal(engine_case_open(e2, &app.who, &r, &id), OA_OK);
	assert_int_equal(engine_case_get(e2, id, &c), OA_OK);
	assert_int_equal(c.step_opened_at, fri15);
	assert_int_equal(c.step_due_at, mon15);
	/* Done Monday 09:00: two working hours, against a standard of one working day. */
	assert_int_equal(engine_case_attach(e2, &app.who, id, "formulir_surat_keterangan",
	                     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	                     "f.pdf"), OA_OK);
	set_clock(mon09);
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
		set_clock(fri15b - 3600);
		next_nik(nik);
		cert_in(c2, nik, serial, 0);
		r.applicant = "pemohon-kal2";
		r.applicant_nik = nik;
		r.serial = serial;
		set_clock(fri15b);
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
	ca_free(c2);
	c2 = NULL;
	test_rmrf(dir2);
	dir2[0] = 0;
	set_clock(saved > clock_now ? saved : clock_now);
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
	tick(60);
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

static int group_setup(void **state)
{
	ca_init_opts o = {0};
	const char *sh = getenv("OPENAMS_SHARE");

	if (test_tmpdir(dir, sizeof dir) == NULL)
		return -1;
	/* Monday 2026-11-23 08:00 WIB. */
	set_clock(iso("2026-11-23T01:00:00Z"));
	snprintf(share, sizeof share, "%s", sh ? sh : OPENAMS_SHAREDIR);
	snprintf(inst, sizeof inst, "%s/inst", dir);
	o.dir = inst;
	o.share = share;
	if (ca_init(&o) != OA_OK || ca_open(inst, &C) != OA_OK || engine_open(C, &E) != OA_OK) {
		fprintf(stderr, "setup: %s\n", oa_errmsg());
		return -1;
	}
	snprintf(sopdir, sizeof sopdir, "%s/sop", share);
	if (engine_sop_install_dir(E, ORG, sopdir, "admin") != OA_OK) {
		fprintf(stderr, "install: %s\n", oa_errmsg());
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	for (size_t i = 0; i < ndefs; i++)
		sop_free(defs[i]);
	for (size_t i = 0; i < ncsrs; i++)
		free(csrs[i]);
	engine_free(e2);
	ca_free(c2);
	if (dir2[0])
		test_rmrf(dir2);
	engine_free(E);
	ca_free(C);
	test_rmrf(dir);
	unsetenv("OPENAMS_NOW");
	return 0;
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
		cmocka_unit_test(test_open_refusals),
		cmocka_unit_test(test_identity_form),
		cmocka_unit_test(test_issue_before_key),
		cmocka_unit_test(test_one_active_policy),
		cmocka_unit_test(test_closed_cases),
		cmocka_unit_test(test_close_note_control_chars),
		cmocka_unit_test(test_renewal_window),
		cmocka_unit_test(test_renewal_with_identity_form),
		cmocka_unit_test(test_passphrase_reset_with_identity_form),
		cmocka_unit_test(test_versions_pin_cases),
		cmocka_unit_test(test_sla_figures),
		cmocka_unit_test(test_tasks),
		cmocka_unit_test(test_working_days_calendar),
		cmocka_unit_test(test_audit_trail),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
