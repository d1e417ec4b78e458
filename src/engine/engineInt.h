/*
 * engineInt.h - private to the engine module.
 */
#ifndef OA_ENGINEINT_H
#define OA_ENGINEINT_H

#include "engine.h"

#define SLA_MAX_HOLIDAYS 512

typedef struct sla_cal {
	int64_t offset;          /* seconds east of UTC */
	int64_t start, end;      /* working window, seconds after local midnight */
	unsigned days;           /* bit 0 Monday .. bit 6 Sunday */
	int64_t holidays[SLA_MAX_HOLIDAYS]; /* local day numbers */
	size_t nholidays;
} sla_cal;

oa_err sla_cal_load(sla_cal *cal, const conf *cfg);

/* A case as the engine works on it inside one transaction. */
struct kase {
	int64_t id, version_id, step_opened_at;
	int transitions;
	char org[65], applicant[65], applicant_role[OA_MAX_SOP_ID + 1], state[16];
	char step[OA_MAX_SOP_ID + 1], serial[41], reason[OA_MAX_SOP_ID + 1], issued[41];
	/* The applicant as their account recorded them at open ("" if unknown). */
	char applicant_nik[17], applicant_nip[19], applicant_email[OA_MAX_EMAIL_CHARS + 1];
	const sop_def *def;
	int cur; /* current step index */
	int turn; /* in_turn steps: the place of the actor whose turn it is (0..) */
	int superseded; /* renewal: the old certificate was revoked by the issue */
	char issued_now[41], revoked_now[41]; /* done by the act in progress */
};

struct auth;
struct auth *engine_auth(engine *e);
const sla_cal *engine_cal(engine *e);
/* The definition of an installed version (cached; borrowed). */
oa_err engine_def(engine *e, int64_t version_id, const sop_def **out);
/* Identifiers of people, organisations, roles: [A-Za-z0-9._@-], 1..64. */
int engine_valid_id(const char *s);
/* OA_OK for an authenticated person with an id and an organisation. */
oa_err engine_check_who(const engine_who *who);
/* 1 if who holds role. */
int engine_holds(const engine_who *who, const char *role);
ca *engine_ca(engine *e);
/* The instance the engine is on, and its configuration (borrowed). */
inst *engine_inst(engine *e);
/* Records document doc (sha256, filename) on case_id at step, added by by
 * now; a document the case already holds is left as it is. */
oa_err engine_doc_insert(store *db, int64_t case_id, const char *doc, const char *sha256,
    const char *filename, const char *by, const char *step);
const conf *engine_conf(engine *e);
store *engine_store(engine *e);

/* engine.c: what act.c shares with the rest of a case's life. */
int engine_note_ok(const char *note);
oa_err engine_load_case(engine *e, int64_t id, struct kase *k);
oa_err engine_load_open_case(engine *e, const engine_who *who, int64_t id, struct kase *k);
oa_err engine_get_data(engine *e, int64_t case_id, const char *key, char *out, size_t outsz);
oa_err engine_set_data(engine *e, int64_t case_id, const char *key, const char *value,
    const char *by);
/* 1 if the case holds document doc (attached at step at_step, when not
 * NULL), 0 if not, -1 on a store failure. */
int engine_has_doc(engine *e, int64_t case_id, const char *doc, const char *at_step);
int engine_step_has_actor(const sop_def *d, const sop_step *s, const char *role);
/* 1 if role may act now at step s of case k: one of the step's actors, or
 * for an `in_turn` step, the actor whose turn it is. */
int engine_turn_has_actor(const struct kase *k, const sop_step *s, const char *role);
/* The role whose turn it is at k's current `in_turn` step; NULL if the
 * step is not in turn (any of its actors acts). */
const char *engine_turn_role(const struct kase *k);
/* The label of the case's revocation reason for people (mail, pages): the
 * chosen reason's, else a revoke step's fixed reason's; NULL when none. */
const char *engine_reason_label(const struct kase *k);
/* 1 if a step of d records the revocation reason (`records_reason`). */
int engine_def_records_reason(const sop_def *d);
oa_err engine_append_transition(engine *e, struct kase *k, const sop_step *s, const char *action,
    const char *actor, const char *role, const char *decision, const char *note, int64_t now,
    const char *next);
oa_err engine_advance(engine *e, struct kase *k, int next, int64_t now);
oa_err engine_case_audit(engine *e, const char *actor, const char *action, int64_t id,
    const char *detail);

/* act.c: what batch.c builds the group commit's calls on.  engine_act_check
 * runs an act's checks against its case (loaded into k) and changes
 * nothing; engine_act_effective is what the act does at step s (a decision's
 * yes action, nothing for a no); engine_act_documents checks the documents
 * the step needs; engine_cert_renews_first is 1 when a renewal must revoke
 * the old certificate before its new one; engine_cert_request fills g with
 * the certificate request of the case's issue step; engine_act_run is the
 * act as one transaction (or savepoint), given the serial of a certificate
 * already issued for it or NULL. */
oa_err engine_act_check(engine *e, const engine_who *who, const engine_act *a, struct kase *k);
sop_action engine_act_effective(const sop_step *s, const engine_act *a);
oa_err engine_act_documents(engine *e, struct kase *k, const sop_step *s, sop_action effective);
int engine_cert_renews_first(engine *e, const struct kase *k);
oa_err engine_cert_request(engine *e, const struct kase *k, const char *actor, engine_cert_need *g);
oa_err engine_act_run(engine *e, const engine_who *who, const engine_act *a,
    const engine_act_prep *p, const char *given, engine_result *res);

/* notify.c: e-mails caused by a transition, written to the outbox in its
 * transaction.  engine_notify_step runs an automatic notify step (index
 * step); engine_notify_act follows a person's act (a "no" at a decision,
 * a certificate issued or revoked with no notify step ahead). */
oa_err engine_notify_step(engine *e, struct kase *k, int step);
oa_err engine_notify_act(engine *e, struct kase *k, const sop_step *s, int said_no, int next,
    const char *note, const engine_result *res);
int64_t sla_day_length(const sla_cal *cal);
int64_t sla_working_between(const sla_cal *cal, int64_t from, int64_t to);
int64_t sla_add_working(const sla_cal *cal, int64_t from, int64_t secs);
/* The standard in seconds (working seconds for working-day steps); -1 if none. */
int64_t sla_standard(const sla_cal *cal, const sop_time *t);
/* When a step opened at `opened` is due; 0 if it has no standard time. */
int64_t sla_due(const sla_cal *cal, const sop_time *t, int64_t opened);
/* Measured duration, in working seconds for working-day steps. */
int64_t sla_duration(const sla_cal *cal, int working, int64_t opened, int64_t done);

#endif
