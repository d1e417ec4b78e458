/*
 * engine_fixture.h - what the SOP engine rule tests (test_engine_*.c) share:
 * one instance per program with every shipped SOP installed for ORG, the
 * people who act, store snapshots proving that a refusal changed nothing,
 * certificates, case histories, and the walker that drives a case along
 * its definition (checking the CA acts exactly once, at the right step).
 *
 * engine_fixture.c holds the instance, people, snapshots, certificates,
 * histories and definitions; engine_walk.c the walker and what checks it.
 * Each program runs its tests as one cmocka group with
 * engine_fixture_setup / engine_fixture_teardown.  The clock (OPENAMS_NOW)
 * is testutil's: tu_clock_set, tu_clock_tick, tu_clock_now.
 *
 * Failures are cmocka failures (fail_msg, assert_*): call all of this from
 * a running test.  Heap memory that a failing test could leak (CSRs, loaded
 * definitions) is owned by the fixture and freed at teardown.
 */
#ifndef OA_ENGINE_FIXTURE_H
#define OA_ENGINE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "ca/ca.h"
#include "engine/engine.h"
#include "testutil.h"

/* The organisation the shipped SOPs are installed for at setup. */
#define ORG "kominfo"

/* ---- the instance ------------------------------------------------------ */

extern tu_inst T; /* this program's instance */
extern ca *C;     /* T.c */
extern engine *E; /* the engine on C */
extern char sopdir[600]; /* the shipped definitions: tu_share()/sop */

/* Makes the instance at Monday 2026-11-23 08:00 WIB and installs every
 * shipped SOP for ORG; the teardown frees all the fixture holds. */
int engine_fixture_setup(void **state);
int engine_fixture_teardown(void **state);

/* The first column of the first row of the printf-formatted SQL on C. */
#define count(...) tu_countf(ca_store(C), __VA_ARGS__)

/* ---- SOP texts ----------------------------------------------------------- */

/* The text of the shipped definition file (in sopdir); caller frees. */
char *sop_text(const char *file);
/* Copies heap text into static slot (0..3) and frees it, so that a failed
 * assertion later on (a longjmp) leaks nothing.  Returns the slot. */
char *stash(char *heap, int slot);
/* text with the first occurrence of from replaced by to (which must exist);
 * text is freed, the result is the caller's. */
char *replace(char *text, const char *from, const char *to);
/* Installs text for org under name (version id in *vid); fails the test
 * with the first error when refused. */
void install_text(const char *org, const char *name, const char *text, int64_t *vid);
/* install_text of the shipped file (stashed in slot 3). */
void install_file(const char *org, const char *file);

/* ---- people -------------------------------------------------------------- */

struct person {
	char id[48], org[48];
	const char *roles[12];
	engine_who who;
};

/* p becomes id of org holding roles (NULL-terminated, at most 12). */
void person_v(struct person *p, const char *id, const char *org, const char *const *roles);
/* p becomes id of org holding the one role. */
void person1(struct person *p, const char *id, const char *org, const char *role);
/* p holds every actor role of d, except those of step except (if not NULL). */
void person_all(struct person *p, const char *id, const char *org, const sop_def *d,
    const sop_step *except);
/* The role of d's first step's first actor: the applicant's. */
const char *applicant_role(const sop_def *d);
/* 1 if role is one of step s's actors. */
int step_has_actor_role(const sop_def *d, const sop_step *s, const char *role);
/* Checks who's task list (engine_tasks, engine_tasks_page with its counts,
 * page by page) against the definition of a task applied to every open case
 * of who's agency: none missing, none extra, overdue first, then by due time
 * and number, then those without a due time by number. */
void tasks_match_definition(const engine_who *who);

/* ---- store snapshots: refusals change nothing ---------------------------- */

struct snap {
	int64_t n[9];
	char step[OA_MAX_SOP_ID + 1], state[16];
	int transitions;
};

/* Row counts of the case, transition, data, document, certificate, audit
 * and version tables, and (case_id > 0) the case's state, step and count of
 * transitions. */
void snap_take(struct snap *s, int64_t case_id);
/* Fails the test (naming what and line) when b differs from a. */
void snap_same(const struct snap *a, const struct snap *b, const char *what, int line);
/* The name of rc ("OA_ERR_STATE"). */
const char *ename(oa_err rc);
/* The message of the last refusal REFUSED saw ("" if it was accepted). */
extern char last_refusal[1024];

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

/* ---- certificates -------------------------------------------------------- */

/* The number the last next_nik used (also in applicant ids). */
extern int seq;
/* A new NIK, 1471 followed by the next sequence number. */
void next_nik(char out[17]);
/* A certificate for nik issued straight at c (tu_issue_nik); days 0: the
 * profile's default. */
void cert_in(ca *c, const char *nik, char serial[41], int days);
/* cert_in at C. */
void existing_cert(const char *nik, char serial[41], int days);
/* The status of serial at C (static storage), its reason in *reason. */
const char *cert_status(const char *serial, int *reason);
/* 1 if the published CRL (pki/issuing.crl) lists serial; *reason its CRL
 * reason (-1: none). */
int crl_has(const char *serial, int *reason);

/* ---- histories ----------------------------------------------------------- */

struct hist {
	int n;
	engine_transition t[128];
	char note[128][64];
};

/* The transitions of case id, oldest first. */
void history(int64_t id, struct hist *h);

/* ---- definitions and applicants ------------------------------------------ */

/* The shipped definition sop_id, loaded from its file (for roles before a
 * case exists); owned by the fixture. */
const sop_def *def_file(const char *sop_id);

struct applicant {
	struct person p;
	char nik[17];
	char serial[41]; /* the certificate the case is about */
	char *csr;       /* owned by the fixture until teardown */
};

/* A new applicant "<prefix><seq>" of org in role, with a new NIK and CSR. */
void applicant_new(struct applicant *a, const char *prefix, const char *org, const char *role);
/* Forgets a's CSR (the fixture frees it at teardown). */
void applicant_free(struct applicant *a);

/* ---- the walker (engine_walk.c) ------------------------------------------ */

struct walkopt {
	const char *no_at;   /* a decision answered "no" once */
	const char *stop_at; /* stop when the case is at this step */
	int refusals;        /* run the refusal battery at each step */
	int max_acts;        /* 0: unlimited */
	const char *passphrase; /* the key step sets this passphrase (a key made
	                         * server-side) instead of sending app->csr */
};

struct walkres {
	int acts, issued, revoked, no_done;
	char issued_serial[41], revoked_serial[41];
	char issue_step[OA_MAX_SOP_ID + 1], revoke_step[OA_MAX_SOP_ID + 1];
	char stray[512]; /* a revocation at a step that is not a revoke step */
};

/* Attaches document doc to the case as who (a made-up SHA-256). */
void attach(int64_t case_id, const engine_who *who, const char *doc);
/* The same with a SHA-256 made from doc and salt: another file of doc. */
void attach_salted(int64_t case_id, const engine_who *who, const char *doc, const char *salt);
/* The five identity fields of the SOP tests' holder for nik. */
void identity(const char *nik, const char **keys, const char **vals, size_t *n);
/* Active certificates of nik other than except (NULL: all). */
int64_t nik_active(const char *nik, const char *except);
/* Drives case id along as far as o allows (see engine_walk.c). */
void walk(int64_t id, struct applicant *app, const struct walkopt *o, struct walkres *w);
/* A new applicant with a case of sop_id open (and a certificate of
 * cert_days if the SOP needs one). */
int64_t open_case(const char *org, const char *sop_id, const char *reason,
    struct applicant *app, int cert_days);
/* Fails unless the case is in state (and at step, unless NULL). */
void expect_state(int64_t id, const char *state, const char *step);
/* The applicant withdraws the case. */
void withdraw(int64_t id, struct applicant *app);
/* Acting, attaching or closing the closed case is refused and changes nothing. */
void closed_refusals(int64_t id, struct applicant *app, const char *laststep);
/* The completed case and w show the CA acted as d's kind requires. */
void check_walk_result(const sop_def *d, int64_t id, struct applicant *app,
    const struct walkres *w);

#endif
