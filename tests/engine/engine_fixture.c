/*
 * engine_fixture.c - the SOP engine rule tests' instance, people, store
 * snapshots, certificates, histories, definitions and applicants
 * (engine_fixture.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include "engine_fixture.h"

tu_inst T;
ca *C;
engine *E;
char sopdir[600];
int seq;
char last_refusal[1024];

/* ---- SOP texts ----------------------------------------------------------- */

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

char *sop_text(const char *file)
{
	char path[1024];

	snprintf(path, sizeof path, "%s/%s", sopdir, file);
	return slurp(path);
}

/* Copies a heap text into static storage and frees it, so that a failed
 * assertion later on (a longjmp) leaks nothing. */
char *stash(char *heap, int slot)
{
	static char buf[4][OA_MAX_SOP_BYTES + 1];

	assert_true(strlen(heap) <= OA_MAX_SOP_BYTES);
	strcpy(buf[slot], heap);
	free(heap);
	return buf[slot];
}

/* text with the first occurrence of `from` replaced by `to` (must exist). */
char *replace(char *text, const char *from, const char *to)
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

void install_text(const char *org, const char *name, const char *text, int64_t *vid)
{
	sop_errors errs = {0};

	if (engine_sop_install(E, org, name, text, 1, "admin", vid, &errs) != OA_OK) {
		if (errs.n)
			fail_msg("install %s: line %d: %s", name, errs.v[0].line, errs.v[0].msg);
		fail_msg("install %s: %s", name, oa_errmsg());
	}
	sop_errors_free(&errs);
}

void install_file(const char *org, const char *file)
{
	char *text = stash(sop_text(file), 3);
	int64_t vid;

	install_text(org, file, text, &vid);
}

/* ---- people ---------------------------------------------------------- */

/* roles: NULL-terminated. */
void person_v(struct person *p, const char *id, const char *org, const char *const *roles)
{
	size_t n = 0;

	memset(p, 0, sizeof *p);
	snprintf(p->id, sizeof p->id, "%s", id);
	snprintf(p->org, sizeof p->org, "%s", org);
	for (; roles && roles[n] && n < 12; n++)
		p->roles[n] = roles[n];
	p->who = (engine_who){p->id, p->org, p->roles, n};
}

void person1(struct person *p, const char *id, const char *org, const char *role)
{
	const char *r[2] = {role, NULL};
	person_v(p, id, org, r);
}

/* Every actor role of d (optionally except those of step s). */
void person_all(struct person *p, const char *id, const char *org, const sop_def *d,
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

const char *applicant_role(const sop_def *d)
{
	return d->actors[d->steps[0].actors[0]].id;
}

int step_has_actor_role(const sop_def *d, const sop_step *s, const char *role)
{
	for (size_t i = 0; i < s->n_actors; i++)
		if (strcmp(d->actors[s->actors[i]].id, role) == 0)
			return 1;
	return 0;
}

/* ---- task lists against the definition of a task ---------------------- */

struct idlist {
	int64_t *id, *due;
	size_t n, cap;
};

static void idlist_add(struct idlist *l, int64_t id, int64_t due)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->id = realloc(l->id, l->cap * sizeof *l->id);
		l->due = realloc(l->due, l->cap * sizeof *l->due);
		assert_non_null(l->id);
		assert_non_null(l->due);
	}
	l->id[l->n] = id;
	l->due[l->n++] = due;
}

static int collect_case(const engine_case *c, void *arg)
{
	idlist_add(arg, c->id, c->step_due_at);
	return 0;
}

static int holds_role(const engine_who *who, const char *role)
{
	for (size_t i = 0; i < who->nroles; i++)
		if (strcmp(who->roles[i], role) == 0)
			return 1;
	return 0;
}

/* The definition (engine.h "Who may act"), written out again here: one of
 * who's roles acts at the case's step (at its turn in an in_turn step), the
 * applicant's role on their own case only, any other on others' cases only. */
static int is_task_by_definition(const engine_who *who, int64_t id)
{
	engine_case c;
	const sop_def *d;
	const sop_step *s;
	int i;

	assert_int_equal(engine_case_get(E, id, &c), OA_OK);
	assert_int_equal(engine_case_def(E, id, &d), OA_OK);
	if (strcmp(c.org, who->org) != 0 || strcmp(c.state, "open") != 0 ||
	    (i = sop_step_index(d, c.step)) < 0)
		return 0;
	s = &d->steps[i];
	for (size_t j = 0; j < s->n_actors; j++) {
		const char *r = d->actors[s->actors[j]].id;
		int mine = strcmp(who->person, c.applicant) == 0;
		if (!holds_role(who, r) || (s->in_turn && (int)j != c.turn))
			continue;
		if (strcmp(r, applicant_role(d)) == 0 ? mine : !mine)
			return 1;
	}
	return 0;
}

void tasks_match_definition(const engine_who *who)
{
	struct idlist open = {0}, want = {0}, all = {0}, paged = {0};
	engine_case_find q = {.org = who->org, .state = "open", .limit = OA_MAX_LIST_ROWS};
	int64_t now = oa_now(), total = -1, overdue = -1, late = 0, t2, o2;

	assert_int_equal(engine_cases_find(E, &q, collect_case, &open), OA_OK);
	for (size_t i = 0; i < open.n; i++)
		if (is_task_by_definition(who, open.id[i])) {
			idlist_add(&want, open.id[i], open.due[i]);
			late += open.due[i] > 0 && open.due[i] < now;
		}
	assert_int_equal(engine_tasks_page(E, who, now, 0, INT64_MAX, &total, &overdue, collect_case,
	                     &all), OA_OK);
	if ((size_t)total != want.n || overdue != late || all.n != want.n)
		fail_msg("%s's tasks: %" PRId64 " counted (%" PRId64 " overdue), %zu listed; the"
		    " definition gives %zu (%" PRId64 " overdue) of %zu open cases", who->person, total,
		    overdue, all.n, want.n, late, open.n);
	for (size_t i = 0; i < all.n; i++) {
		size_t k = 0;
		while (k < want.n && want.id[k] != all.id[i])
			k++;
		if (k == want.n)
			fail_msg("%s's tasks list case %" PRId64 ", not theirs", who->person, all.id[i]);
		if (i > 0) {
			int64_t a = all.due[i - 1], b = all.due[i];
			int ordered = a && b ? a < b || (a == b && all.id[i - 1] < all.id[i]) :
			              a ? 1 : !b && all.id[i - 1] < all.id[i];
			if (!ordered)
				fail_msg("%s's tasks: case %" PRId64 " before case %" PRId64, who->person,
				    all.id[i - 1], all.id[i]);
		}
	}
	/* Page by page (3 a page), the same list. */
	for (int64_t off = 0; off <= total; off += 3) {
		assert_int_equal(engine_tasks_page(E, who, now, off, 3, &t2, &o2, collect_case, &paged),
		    OA_OK);
		assert_int_equal(t2, total);
		assert_int_equal(o2, overdue);
	}
	assert_int_equal(paged.n, all.n);
	for (size_t i = 0; i < all.n; i++)
		assert_int_equal(paged.id[i], all.id[i]);
	free(open.id), free(open.due), free(want.id), free(want.due);
	free(all.id), free(all.due), free(paged.id), free(paged.due);
}

/* ---- store snapshots: refusals change nothing ------------------------ */

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

void snap_take(struct snap *s, int64_t case_id)
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

void snap_same(const struct snap *a, const struct snap *b, const char *what, int line)
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

const char *ename(oa_err rc)
{
	return (unsigned)rc < sizeof errname / sizeof errname[0] ? errname[rc] : "?";
}

/* ---- certificates ---------------------------------------------------- */

void next_nik(char out[17])
{
	snprintf(out, 17, "147101020270%04u", 1u + (unsigned)seq++ % 9999u); /* a valid NIK (common/nik.h) */
}

/* A certificate for nik issued straight at the CA. days 0: profile default. */
void cert_in(ca *c, const char *nik, char serial[41], int days)
{
	if (tu_issue_nik(c, nik, days, serial) != OA_OK)
		fail_msg("ca_issue: %s", oa_errmsg());
}

void existing_cert(const char *nik, char serial[41], int days)
{
	cert_in(C, nik, serial, days);
}

const char *cert_status(const char *serial, int *reason)
{
	static ca_cert_info i;

	assert_int_equal(ca_status(C, serial, &i), OA_OK);
	if (reason)
		*reason = i.reason;
	return i.status;
}

/* 1 if DIR/pki/issuing.crl lists serial; *reason its CRL reason (-1: none). */
int crl_has(const char *serial, int *reason)
{
	char path[600];
	FILE *f;
	X509_CRL *crl;
	BIGNUM *want = NULL;
	int found = 0;

	snprintf(path, sizeof path, "%s/pki/issuing.crl", T.path);
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

void history(int64_t id, struct hist *h)
{
	memset(h, 0, sizeof *h);
	assert_int_equal(engine_case_history(E, id, hist_cb, h), OA_OK);
}

/* ---- definitions and applicants ---------------------------------------- */

/* CSRs live until teardown, so a failed assertion (a longjmp) leaks nothing. */
static char *csrs[1024];
static size_t ncsrs;

void applicant_new(struct applicant *a, const char *prefix, const char *org, const char *role)
{
	char id[48];

	memset(a, 0, sizeof *a);
	next_nik(a->nik);
	snprintf(id, sizeof id, "%s%d", prefix, seq);
	person1(&a->p, id, org, role);
	a->csr = tu_csr_pem("Pemohon Uji");
	if (ncsrs < sizeof csrs / sizeof csrs[0])
		csrs[ncsrs++] = a->csr;
}

void applicant_free(struct applicant *a)
{
	a->csr = NULL;
}

/* Shipped definitions, loaded from the files (for roles before a case exists). */
static sop_def *defs[16];
static size_t ndefs;

const sop_def *def_file(const char *sop_id)
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

/* ---- setup ------------------------------------------------------------- */

int engine_fixture_setup(void **state)
{
	/* Monday 2026-11-23 08:00 WIB. */
	tu_clock_set(tu_iso("2026-11-23T01:00:00Z"));
	snprintf(sopdir, sizeof sopdir, "%s/sop", tu_share());
	if (tu_inst_new(&T, NULL, NULL) != 0)
		return -1;
	C = T.c;
	return tu_engine_new(T.in, ORG, &E);
}

int engine_fixture_teardown(void **state)
{
	for (size_t i = 0; i < ndefs; i++)
		sop_free(defs[i]);
	ndefs = 0;
	for (size_t i = 0; i < ncsrs; i++)
		free(csrs[i]);
	ncsrs = 0;
	engine_free(E);
	E = NULL;
	tu_inst_free(&T);
	C = NULL;
	tu_clock_clear();
	return 0;
}
