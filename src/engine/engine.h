/*
 * engine.h - the SOP engine: cases that run an agency's SOP definition,
 * step by step, each transition one transaction with its audit record and
 * whatever the step does at the CA (issue, revoke).
 *
 * Case lifecycle (mirrored by CHECKs and triggers in migration 3):
 *
 *   engine_case_open()        engine_case_act() ... last step done
 *   (none) --------> open ---------------------------------------> completed
 *                     |  \-- engine_case_close(REJECT)  ---------> rejected
 *                     \---- engine_case_close(WITHDRAW) ---------> withdrawn
 *
 *   - An open case is always at exactly one step (sop_case.step), opened at
 *     step_opened_at, due at step_due_at (its standard time, counted in
 *     calendar or working time).  Closed cases never change (trigger).
 *   - A "no" at a decision moves the case back to the step the definition
 *     names; the history keeps every transition (append-only table).
 *   - notify and done steps are carried out by the engine itself ("system")
 *     as soon as they open; every other step waits for a person.
 *   - A case is pinned to the definition version it was opened with; a
 *     newer active version only affects new cases.
 *
 * Transactions: each mutating call commits on its own; when the caller holds
 * a write transaction on inst_store() (group commit: a server batching
 * concurrent requests, a bulk import), the call runs in a savepoint of it,
 * a refusal undoes only that call, and the caller publishes the CRL after
 * its commit if any result names a revocation.
 *
 * Who may act: a person in the case's organisation holding the step's
 * role, naming the step they see as current (out-of-order actions are
 * refused), with the step's required documents attached.  The applicant
 * acts only in the applicant role (the first actor of the first step) and
 * never as verifier or approver on their own case; nobody else acts in the
 * applicant role.  Authentication is not this module's: callers (cli, web)
 * pass the authenticated person and the roles they hold.
 */
#ifndef OA_ENGINE_H
#define OA_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "../auth/auth.h"
#include "../ca/ca.h"
#include "../inst/inst.h"
#include "../common/err.h"
#include "../sop/sop.h"

typedef struct engine engine;

/* Opens the engine on an open instance (borrowed: it must outlive the
 * engine); it issues and revokes through the instance's CA. */
oa_err engine_open(inst *in, engine **out);
/* Frees; accepts NULL. */
void engine_free(engine *e);

/* engine_who, an authenticated person with the roles held in an agency,
 * is auth's (auth.h): the engine is above auth, never the other way. */

/*
 * Installs a definition (YAML text) for org as its next version, after
 * validating it; activates it when activate != 0 (new cases then use it).
 * Installing the same text again is not a new version: *version_id is the
 * existing one.  Invalid text is OA_ERR_INVALID with the problems in errs.
 */
oa_err engine_sop_install(engine *e, const char *org, const char *name, const char *text,
    int activate, const char *actor, int64_t *version_id, sop_errors *errs);
/* Makes a version the active one of its SOP. */
oa_err engine_sop_activate(engine *e, int64_t version_id, const char *actor);
/* Installs and activates every *.yaml in dir for org. */
oa_err engine_sop_install_dir(engine *e, const char *org, const char *dir, const char *actor);
/* Installs every *.yaml in dir for org (in name order) and activates those
 * whose SOP id activate names: "all", "none" or ids separated by commas
 * (an id no file has is OA_ERR_NOTFOUND, after the installs: the caller's
 * transaction undoes them).  each
 * (optional) is told every definition installed and whether it is active. */
oa_err engine_sop_install_dir_sel(engine *e, const char *org, const char *dir, const char *actor,
    const char *activate, int (*each)(const char *sop_id, int64_t version_id, int active,
    void *arg), void *arg);

typedef struct engine_open_req {
	const char *org;
	const char *sop_id;     /* the definition's id, e.g. "meranti-penerbitan" */
	const char *applicant;  /* the person the case is about */
	const char *applicant_nik; /* their NIK as the accounts know it (checked
	                            * against the certificate for revocations) */
	const char *serial;     /* revocation, renewal, passphrase reset: the certificate */
	const char *reason;     /* revocation: a reason id of the definition (or later) */
	/* The applicant's e-mail and NIP as the accounts know them.  When the
	 * applicant has an account (auth), its NIK, NIP and e-mail are used and
	 * a different applicant_nik is refused; these fields serve callers
	 * whose people are not accounts (tests, bulk tools). */
	const char *applicant_email;
	const char *applicant_nip;
} engine_open_req;

/*
 * Opens a case at the definition's first step.  For SOPs about an existing
 * certificate, the certificate must be active and the applicant's; renewal
 * is allowed only inside the definition's window before expiry.  One open
 * case per applicant and SOP kind (and certificate) at a time.
 *
 * The case records the applicant's NIK, NIP and e-mail as their account
 * holds them (engine_open_req); a SOP that issues a certificate needs the
 * NIK.  The identity step then takes no other NIK, NIP or e-mail (it fills
 * them in when not given), and the certificate is issued for that NIK only
 * (ca_request.holder_nik): nobody obtains a certificate in another's name.
 */
oa_err engine_case_open(engine *e, const engine_who *who, const engine_open_req *r,
    int64_t *case_id);

enum { ENGINE_NO_DECISION = 0, ENGINE_YES = 1, ENGINE_NO = 2 };

typedef struct engine_act {
	int64_t case_id;
	const char *step;       /* the step the actor completes (must be current) */
	const char *role;       /* the role they act in (an actor id of the step) */
	int decision;           /* decisions: ENGINE_YES or ENGINE_NO */
	const char *note;       /* optional, at most OA_MAX_SOP_TEXT bytes */
	const char *reason;     /* revocation cases: choose the reason (applicant) */
	/* Data entered at this step: fill_identity takes name nik nip email unit
	 * position organization locality province; set_passphrase takes either
	 * passphrase (the key pair is generated server-side and sealed under it
	 * by the keys module; the passphrase is never stored) or csr (a key the
	 * applicant made themselves). */
	const char *const *keys;
	const char *const *values;
	size_t ndata;
} engine_act;

typedef struct engine_result {
	char step[OA_MAX_SOP_ID + 1];  /* the step now current ("" when closed) */
	char state[16];                /* open, completed, rejected, withdrawn */
	char issued[41];               /* serial issued by this act, or "" */
	char revoked[41];              /* serial revoked by this act, or "" */
} engine_result;

/*
 * Completes the current step.  Everything it causes (the transition, the
 * automatic steps after it, a certificate issued or revoked, the audit
 * records) commits together, or nothing does.  After a revocation the CRL
 * is republished (a failure there is reported on stderr, not undone).
 */
oa_err engine_case_act(engine *e, const engine_who *who, const engine_act *a,
    engine_result *res);

/*
 * Group commit (a server's committer thread running many people's acts in
 * one transaction): engine_act_prepare() does, in the caller's own thread
 * and on its own handle, without the write lock, the slow part of an act
 * (the holder key made from a passphrase: Argon2id), after the checks that
 * need no store; engine_case_act_prepared() then completes the act exactly
 * like engine_case_act() (which is the two in a row), on any handle of the
 * same instance, in the committer's transaction.  *out is NULL when the act
 * needs nothing prepared.  A prepared act may run again after a rollback;
 * free it with engine_act_prep_free() (accepts NULL).
 */
typedef struct engine_act_prep engine_act_prep;
oa_err engine_act_prepare(engine *e, const engine_who *who, const engine_act *a,
    engine_act_prep **out);
oa_err engine_case_act_prepared(engine *e, const engine_who *who, const engine_act *a,
    const engine_act_prep *p, engine_result *res);
void engine_act_prep_free(engine_act_prep *p);

/*
 * The group commit's two calls (batch.c).  engine_act_cert says, changing
 * nothing, what certificate act a needs: ENGINE_CERT_ISSUE with the request
 * in out->r when the act issues one at its step; ENGINE_CERT_PLAIN when it
 * issues one only after another change (a renewal revokes the old
 * certificate first: run it the ordinary way); ENGINE_CERT_NONE when it
 * issues none (or would be refused: its error is returned, and the act
 * fails the same way when it runs).  out starts zeroed; the request is
 * good until the next call with out or engine_cert_need_free.
 * engine_case_act_issued then completes the act like
 * engine_case_act_prepared, with serial, the certificate issued for that
 * request in the same transaction, in place of one of its own.
 */
enum { ENGINE_CERT_NONE = 0, ENGINE_CERT_ISSUE, ENGINE_CERT_PLAIN };
typedef struct engine_cert_need {
	int need;                        /* ENGINE_CERT_* */
	ca_request r;                    /* ISSUE: the request, pointing into the fields below */
	char name[129], nik[17], nip[19], email[OA_MAX_EMAIL_CHARS + 1], unit[129], org[129];
	char loc[129], prov[129], ref[48], holder_nik[17];
	char *csr;
} engine_cert_need;
oa_err engine_act_cert(engine *e, const engine_who *who, const engine_act *a,
    engine_cert_need *out);
void engine_cert_need_free(engine_cert_need *n);
oa_err engine_case_act_issued(engine *e, const engine_who *who, const engine_act *a,
    const engine_act_prep *p, const char *serial, engine_result *res);

/*
 * Many acts in the caller's write transaction (group commit), with the
 * certificates of the issue steps among them issued by one ca_issue_batch()
 * (one signing round trip for them all), built on the two calls above
 * (batch.c).  Each act succeeds or fails on its own exactly as
 * engine_case_act_prepared() would, in a savepoint of its own: rc (and msg,
 * its message), res.  A refused act leaves no trace.
 * Returns an error only when the transaction itself failed (the caller
 * rolls back: nothing of it stands).
 */
typedef struct engine_batch_item {
	const engine_who *who;
	const engine_act *act;
	const engine_act_prep *prep;   /* may be NULL */
	engine_result res;             /* out */
	oa_err rc;                     /* out */
	char msg[512];                 /* out: the message when rc != OA_OK */
} engine_batch_item;
oa_err engine_case_act_batch(engine *e, engine_batch_item *items, size_t n);

enum { ENGINE_REJECT = 1, ENGINE_WITHDRAW = 2 };
/* Rejects (a non-applicant holding the current step's role) or withdraws
 * (the applicant) an open case. */
oa_err engine_case_close(engine *e, const engine_who *who, int64_t case_id, int how,
    const char *note);

/* Attaches a document (by content hash) to an open case.  doc is a document
 * id of the definition; the applicant or a holder of the current step's role
 * may attach. */
oa_err engine_case_attach(engine *e, const engine_who *who, int64_t case_id, const char *doc,
    const char *sha256, const char *filename);

/* The applicant's photo given with the identity data (photo.c): attached
 * under the reserved document id ENGINE_DOC_PHOTO, by the applicant only,
 * while the case waits at a fill_identity step. */
#define ENGINE_DOC_PHOTO "photo"
oa_err engine_case_photo(engine *e, const engine_who *who, int64_t case_id, const char *sha256,
    const char *filename);

/*
 * The e-mailed one-time links (link.c), each one transaction: the link is
 * consumed and what it is for is done, or nothing is (a refusal leaves the
 * link usable).  Identity form: the photo (already stored by content, see
 * docs.h) attached and the identity step completed with the data;
 * set-passphrase: the step completed with the passphrase; activation and
 * password reset: the password set.  person receives whom the link was for
 * once it is consumed; *link_refused is 1 when the link itself was refused
 * (unknown, used, expired: auth_link_consume's error).
 */
typedef struct engine_link_req {
	auth_link_kind kind;
	const char *token;
	const char *photo_sha256, *photo_name;     /* identity form */
	const char *const *keys;                   /* identity form: the data */
	const char *const *values;
	size_t ndata;
	const char *secret;                        /* the passphrase or the password */
} engine_link_req;
oa_err engine_link_use(engine *e, const engine_link_req *u, char person[AUTH_MAX_ID + 1],
    int *link_refused);

/* A password-reset link for p and its e-mail in the outbox, together. */
oa_err engine_link_mail_reset(engine *e, const auth_person *p);

/*
 * enrol.c: a person enrolled by a client application (the e-sign API's user
 * registration), in one transaction: the account (person, an existing one;
 * or, when person is NULL, account made under the first of ids that is
 * free), the role granted in org (kept if held), the case of SOP sop_id
 * opened with account.nik as the applicant's NIK, and the audit record
 * "esign.registration" by actor naming client.  person receives the
 * account's user name, *created whether it was made.
 */
typedef struct engine_enrol_req {
	const char *org, *sop_id, *role;
	const char *person;                        /* an existing account, or NULL */
	auth_person_in account;                    /* the new account (its id unset); .nik always */
	const char *ids[2];                        /* user names to try for a new account */
	size_t nids;
	const char *actor, *client;
} engine_enrol_req;
oa_err engine_enrol(engine *e, const engine_enrol_req *q, char person[AUTH_MAX_ID + 1],
    int *created, int64_t *case_id);

typedef struct engine_case {
	int64_t id, version_id;
	char org[65], sop_id[OA_MAX_SOP_ID + 1], kind[20];
	char applicant[65], state[16], step[OA_MAX_SOP_ID + 1];
	char serial[41], issued[41], reason[OA_MAX_SOP_ID + 1];
	int64_t created_at, closed_at, step_opened_at, step_due_at; /* due 0: no standard */
	int transitions;
	/* The applicant as their account recorded them when the case opened
	 * ("" where unknown): the identity step may not name anyone else. */
	char applicant_nik[17], applicant_nip[19], applicant_email[OA_MAX_EMAIL_CHARS + 1];
	int turn; /* a step done in turn (`in_turn`): the place of the actor whose turn it is */
} engine_case;

oa_err engine_case_get(engine *e, int64_t id, engine_case *out);

/* A document attached to a case (its bytes are stored by the caller,
 * content-addressed by sha256). */
typedef struct engine_doc {
	char doc[OA_MAX_SOP_ID + 1], sha256[65], filename[256], added_by[65];
	char step[OA_MAX_SOP_ID + 1];
	int64_t added_at;
} engine_doc;

/* Open and overdue (step due before now) cases per organisation, by id;
 * for monitoring. */
oa_err engine_case_counts(engine *e, int64_t now, int (*fn)(const char *org, int64_t open,
    int64_t overdue, void *arg), void *arg);

/* The documents of case id, oldest first; fn returning non-zero stops. */
oa_err engine_case_documents(engine *e, int64_t id, int (*fn)(const engine_doc *, void *),
    void *arg);
/* The first document of case id with these bytes (sha256, lower-case hex);
 * OA_ERR_NOTFOUND if the case has none. */
oa_err engine_case_document(engine *e, int64_t id, const char *sha256, engine_doc *out);
/* An item of the data entered on case id (identity keys, "csr", ...) into
 * value ("" when not set); *set_by and *set_at (optional) who and when. */
oa_err engine_case_datum(engine *e, int64_t id, const char *key, char *value, size_t valsz,
    char *set_by, size_t bysz, int64_t *set_at);

/* The definition version a case runs on (borrowed: valid while e lives). */
oa_err engine_case_def(engine *e, int64_t id, const sop_def **def);
/* The same for a case already read (c->version_id): no store read once the
 * version is loaded. */
oa_err engine_case_def_of(engine *e, const engine_case *c, const sop_def **def);
/* The documents act a on open case id still needs: what engine_case_act
 * checks before acting, all of them instead of the first (for a form that
 * shows every problem at once).  fn(doc, own, arg) for each (doc borrowed
 * from the case's definition; own: it must be attached at this step) until
 * it returns nonzero.  None for a "no" or a turn passed on; a->reason, when
 * given, is the reason the act records. */
oa_err engine_case_missing_docs(engine *e, int64_t id, const engine_act *a,
    int (*fn)(const sop_document *doc, int own, void *arg), void *arg);

typedef struct engine_transition {
	int seq;
	char step[OA_MAX_SOP_ID + 1], action[24], actor[65], role[OA_MAX_SOP_ID + 1];
	char decision[12], next[OA_MAX_SOP_ID + 1];
	const char *note;       /* borrowed for the callback's duration; "" if none */
	int64_t opened_at, done_at, standard_s;
	int working;
} engine_transition;

oa_err engine_case_history(engine *e, int64_t id,
    int (*fn)(const engine_transition *, void *), void *arg);

/*
 * The tasks of who: open cases of their organisation whose current step is
 * theirs to do (by role, never approving their own case), most urgent
 * first (overdue, then due soonest, then without standard time).
 */
oa_err engine_tasks(engine *e, const engine_who *who, int (*fn)(const engine_case *, void *),
    void *arg);

/*
 * One page of who's tasks in the order of engine_tasks(): at most limit of
 * them after the first offset, and in *total and *overdue (step due before
 * now) the counts of them all, counted by the store (a desk with 10,000
 * waiting cases is not walked to show 25).  Unless the caller has a
 * transaction open, it all reads one snapshot (a read transaction), and fn
 * (as engine_tasks' fn) runs inside it: fn must not write.
 */
oa_err engine_tasks_page(engine *e, const engine_who *who, int64_t now, int64_t offset,
    int64_t limit, int64_t *total, int64_t *overdue,
    int (*fn)(const engine_case *, void *), void *arg);

/* One installed SOP version (strings borrowed for the callback's duration). */
typedef struct engine_sop_info {
	int64_t version_id, version, created_at;
	const char *sop_id, *name, *kind, *created_by, *sha256;
	int active;
} engine_sop_info;

/* The SOP versions of org (active_only: the active one of each SOP), by
 * SOP id then newest version first.  fn returns non-zero to stop. */
/* 1 if role is an actor of some SOP version installed for org, 0 if not,
 * -1 on a store failure. */
int engine_role_declared(engine *e, const char *org, const char *role);
/* Whether role may be granted to person in org: a built-in role (admin,
 * ca_operator) only to a staff-only account (OA_ERR_POLICY otherwise), any
 * other only when it is an actor of an SOP installed for org
 * (OA_ERR_INVALID otherwise).  What the API, the portal and `openams role
 * grant` ask before auth_role_grant. */
oa_err engine_role_grantable(engine *e, const char *person, const char *org, const char *role);
oa_err engine_sop_list(engine *e, const char *org, int active_only,
    int (*fn)(const engine_sop_info *, void *), void *arg);
/* The organisation (into org, may be NULL) and the definition (may be
 * NULL; borrowed) of an installed version; OA_ERR_NOTFOUND if none. */
oa_err engine_sop_version(engine *e, int64_t version_id, char *org, size_t orgsz,
    const sop_def **def);
/* The cases applicant applied for, open ones first then newest first; at
 * most limit (0: all). */
oa_err engine_cases_of(engine *e, const char *applicant, int64_t limit,
    int (*fn)(const engine_case *, void *), void *arg);

/* An agency's cases for its administrators and CA operators, newest first. */
typedef struct engine_case_find {
	const char *org;   /* the agency (required) */
	const char *state; /* NULL, or open, completed, rejected, withdrawn */
	const char *text;  /* NULL, or 1..64 bytes: a case number ("12", "#12"), a NIK, a
	                    * certificate serial (the case's or the one it issued), or part
	                    * of the applicant's user name or name (letters without case) */
	int64_t limit;     /* 1..OA_MAX_LIST_ROWS */
} engine_case_find;

oa_err engine_cases_find(engine *e, const engine_case_find *q,
    int (*fn)(const engine_case *, void *), void *arg);

/* Open cases of org whose current step is past its standard time at now. */
oa_err engine_overdue(engine *e, const char *org, int64_t now,
    int (*fn)(const engine_case *, void *), void *arg);

/*
 * Reminds and escalates overdue steps of every organisation at now: the
 * holders of an overdue step's role (the applicant for the applicant role)
 * get an sla_reminder e-mail, again every sla.remind_minutes while it stays
 * overdue; a step overdue by sla.escalate_minutes is escalated once to the
 * holders of sla.escalate_to.  Each case is its own transaction.  *sent
 * (may be NULL) receives the number of e-mails written to the outbox.
 */
oa_err engine_remind(engine *e, int64_t now, int64_t *sent);

typedef struct engine_step_stats {
	char sop_id[OA_MAX_SOP_ID + 1], step[OA_MAX_SOP_ID + 1];
	int64_t count;          /* completed transitions measured */
	int64_t median_s, p90_s;/* measured durations (working seconds for working-day steps) */
	int64_t standard_s;     /* the standard (working seconds likewise); -1 if none */
	double within;          /* share done within the standard (0..1); -1 if none */
	int working;
	int64_t open, overdue;  /* cases now at this step, and how many are overdue */
} engine_step_stats;

/* Per step of each SOP of org (or only sop_id): measured median and 90th
 * percentile durations and the share within standard (mutu baku). */
oa_err engine_sla(engine *e, const char *org, const char *sop_id, int64_t now,
    int (*fn)(const engine_step_stats *, void *), void *arg);

/*
 * Revokes one of agency org's active certificates outside any SOP case (the
 * agency registry): reason is one of the RFC 5280 reasons by the names SOPs
 * use (sop_reason_choices(NULL, ...)), anything else OA_ERR_INVALID.  The
 * revocation, its audit records (ca_revoke_in_org: actor, via, note) and the
 * holder's "cert_revoked" e-mail (serial, the reason's label, the time; to
 * the certificate's address, else that of the account holding its NIK) are
 * one transaction: refused, nothing is revoked and no e-mail is queued.
 * Does not regenerate the CRL (ca_crl_publish after it).
 */
oa_err engine_revoke_in_org(engine *e, const char *org, const char *serial, const char *reason,
    const char *actor, const char *via, const char *note);

/* Working seconds between two instants under the configured calendar;
 * exposed for tests and the SLA dashboard. */
int64_t engine_working_seconds(engine *e, int64_t from, int64_t to);
/* The instant at which secs of working time have passed after from. */
int64_t engine_add_working(engine *e, int64_t from, int64_t secs);

#endif
