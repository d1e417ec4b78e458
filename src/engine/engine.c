/*
 * engine.c - cases, transitions and actions (see engine.h for the rules).
 *
 * Every public mutating function is one write transaction: it reads the
 * case, checks who may do what, performs the step's action (at the CA when
 * it is issue or revoke: ca_issue/ca_revoke join this transaction), records
 * the transition, opens the next step (running automatic ones), appends the
 * audit record, and commits.  Any refusal rolls everything back.
 */
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../auth/auth.h"
#include "../keys/keys.h"
#include "engineInt.h"

#define DEF_CACHE 64
#define MAX_AUTO_STEPS (OA_MAX_SOP_STEPS * 2)

struct cached_def {
	int64_t version_id;
	sop_def *def;
	char sop_id[OA_MAX_SOP_ID + 1];
	char org[65];
};

struct engine {
	ca *c;
	store *db;
	auth *au;
	sla_cal cal;
	struct cached_def cache[DEF_CACHE];
	size_t ncache;
};

static const char *const identity_keys[] = {"name", "nik", "nip", "email", "unit", "position",
    "organization", "locality", "province"};

oa_err engine_open(ca *c, engine **out)
{
	engine *e = calloc(1, sizeof *e);
	oa_err rc;

	*out = NULL;
	if (e == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	e->c = c;
	e->db = ca_store(c);
	if ((rc = sla_cal_load(&e->cal, ca_config(c))) || (rc = auth_open(c, &e->au))) {
		free(e);
		return rc;
	}
	*out = e;
	return OA_OK;
}

void engine_free(engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->ncache; i++)
		sop_free(e->cache[i].def);
	auth_free(e->au);
	free(e);
}

auth *engine_auth(engine *e)
{
	return e->au;
}

ca *engine_ca(engine *e)
{
	return e->c;
}

store *engine_store(engine *e)
{
	return e->db;
}

int64_t engine_working_seconds(engine *e, int64_t from, int64_t to)
{
	return sla_working_between(&e->cal, from, to);
}

int64_t engine_add_working(engine *e, int64_t from, int64_t secs)
{
	return sla_add_working(&e->cal, from, secs);
}

const sla_cal *engine_cal(engine *e)
{
	return &e->cal;
}

/* Identifiers of people, organisations, roles: [A-Za-z0-9._@-], 1..64. */
int engine_valid_id(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n]; n++)
		if (!(isalnum((unsigned char)s[n]) || strchr("._@-", s[n])))
			return 0;
	return n >= 1 && n <= 64;
}

/* Notes are free text: valid UTF-8, tab and newline allowed, no other controls. */
static int note_ok(const char *note)
{
	char buf[OA_MAX_SOP_TEXT + 1];
	size_t n = strlen(note);

	if (n > OA_MAX_SOP_TEXT)
		return 0;
	memcpy(buf, note, n + 1);
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\t')
			buf[i] = ' ';
	return oa_is_clean_utf8(buf);
}

oa_err engine_check_who(const engine_who *who)
{
	if (who == NULL || !engine_valid_id(who->person) || !engine_valid_id(who->org))
		return oa_fail(OA_ERR_DENIED, "no authenticated person");
	return OA_OK;
}

int engine_holds(const engine_who *who, const char *role)
{
	for (size_t i = 0; i < who->nroles; i++)
		if (who->roles[i] && strcmp(who->roles[i], role) == 0)
			return 1;
	return 0;
}

/* ---- definitions ---------------------------------------------------- */

oa_err engine_def(engine *e, int64_t version_id, const sop_def **out)
{
	store_stmt *st;
	sop_errors errs = {0};
	sop_def *d = NULL;
	oa_err rc;
	struct cached_def *slot;

	for (size_t i = 0; i < e->ncache; i++)
		if (e->cache[i].version_id == version_id) {
			*out = e->cache[i].def;
			return OA_OK;
		}
	if ((st = store_prepare(e->db, "SELECT body, sop_id, org FROM sop_version WHERE id = ?")) == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, version_id);
	if (store_step(st) != STORE_ROW) {
		store_reset(st);
		return oa_fail(OA_ERR_NOTFOUND, "no SOP version %" PRId64, version_id);
	}
	{
		const char *body = store_col_text(st, 0);
		char name[96];
		snprintf(name, sizeof name, "%s@%" PRId64, store_col_text(st, 1), version_id);
		rc = sop_parse(name, body, strlen(body), &d, &errs);
	}
	if (rc) {
		store_reset(st);
		sop_errors_free(&errs);
		return oa_fail(OA_ERR_INTERNAL, "stored SOP version %" PRId64 " no longer loads", version_id);
	}
	if (e->ncache == DEF_CACHE) {
		sop_free(e->cache[0].def);
		memmove(&e->cache[0], &e->cache[1], (DEF_CACHE - 1) * sizeof e->cache[0]);
		e->ncache--;
	}
	slot = &e->cache[e->ncache++];
	slot->version_id = version_id;
	slot->def = d;
	snprintf(slot->sop_id, sizeof slot->sop_id, "%s", store_col_text(st, 1));
	snprintf(slot->org, sizeof slot->org, "%s", store_col_text(st, 2));
	store_reset(st);
	*out = d;
	return OA_OK;
}

/* ---- cases ---------------------------------------------------------- */

static oa_err load_case(engine *e, int64_t id, struct kase *k)
{
	store_stmt *st = store_prepare(e->db,
	    "SELECT id, version_id, step_opened_at, transitions, org, applicant, applicant_role,"
	    " state, COALESCE(step, ''), COALESCE(serial, ''), COALESCE(reason, ''),"
	    " COALESCE(issued_serial, ''), COALESCE(applicant_nik, ''), COALESCE(applicant_nip, ''),"
	    " COALESCE(applicant_email, '') FROM sop_case WHERE id = ?");
	oa_err rc;

	memset(k, 0, sizeof *k);
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, id);
	if (store_step(st) != STORE_ROW) {
		store_reset(st);
		return oa_fail(OA_ERR_NOTFOUND, "no case %" PRId64, id);
	}
	k->id = store_col_int(st, 0);
	k->version_id = store_col_int(st, 1);
	k->step_opened_at = store_col_int(st, 2);
	k->transitions = (int)store_col_int(st, 3);
	snprintf(k->org, sizeof k->org, "%s", store_col_text(st, 4));
	snprintf(k->applicant, sizeof k->applicant, "%s", store_col_text(st, 5));
	snprintf(k->applicant_role, sizeof k->applicant_role, "%s", store_col_text(st, 6));
	snprintf(k->state, sizeof k->state, "%s", store_col_text(st, 7));
	snprintf(k->step, sizeof k->step, "%s", store_col_text(st, 8));
	snprintf(k->serial, sizeof k->serial, "%s", store_col_text(st, 9));
	snprintf(k->reason, sizeof k->reason, "%s", store_col_text(st, 10));
	snprintf(k->issued, sizeof k->issued, "%s", store_col_text(st, 11));
	snprintf(k->applicant_nik, sizeof k->applicant_nik, "%s", store_col_text(st, 12));
	snprintf(k->applicant_nip, sizeof k->applicant_nip, "%s", store_col_text(st, 13));
	snprintf(k->applicant_email, sizeof k->applicant_email, "%s", store_col_text(st, 14));
	store_reset(st);
	if ((rc = engine_def(e, k->version_id, &k->def)))
		return rc;
	k->cur = k->step[0] ? sop_step_index(k->def, k->step) : SOP_END;
	return OA_OK;
}

/* Loads a case that who may act on now: of their organisation, open. */
static oa_err load_open_case(engine *e, const engine_who *who, int64_t id, struct kase *k)
{
	oa_err rc;

	if ((rc = load_case(e, id, k)))
		return rc;
	if (strcmp(k->org, who->org) != 0)
		return oa_fail(OA_ERR_DENIED, "case %" PRId64 " belongs to another organisation", k->id);
	if (strcmp(k->state, "open") != 0)
		return oa_fail(OA_ERR_STATE, "case %" PRId64 " is %s", k->id, k->state);
	return OA_OK;
}

static oa_err get_data(engine *e, int64_t case_id, const char *key, char *out, size_t outsz)
{
	store_stmt *st = store_prepare(e->db, "SELECT value FROM sop_case_data WHERE case_id = ?"
	                                      " AND key = ?");
	int step;

	out[0] = 0;
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, case_id);
	store_bind_text(st, 2, key);
	step = store_step(st);
	if (step == STORE_ROW)
		snprintf(out, outsz, "%s", store_col_text(st, 0));
	store_reset(st);
	return step < 0 ? OA_ERR_STORE : OA_OK;
}

static oa_err set_data(engine *e, int64_t case_id, const char *key, const char *value,
    const char *by)
{
	store_stmt *st = store_prepare(e->db, "INSERT INTO sop_case_data(case_id, key, value, set_by,"
	                                      " set_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(case_id, key)"
	                                      " DO UPDATE SET value = excluded.value,"
	                                      " set_by = excluded.set_by, set_at = excluded.set_at");
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, case_id);
	store_bind_text(st, 2, key);
	store_bind_text(st, 3, value);
	store_bind_text(st, 4, by);
	store_bind_int(st, 5, oa_now());
	return store_run(st);
}

static int has_doc(engine *e, int64_t case_id, const char *doc)
{
	store_stmt *st = store_prepare(e->db, "SELECT 1 FROM sop_case_document WHERE case_id = ?"
	                                      " AND doc = ? LIMIT 1");
	int step;

	if (st == NULL)
		return -1;
	store_bind_int(st, 1, case_id);
	store_bind_text(st, 2, doc);
	step = store_step(st);
	store_reset(st);
	return step == STORE_ROW ? 1 : step == STORE_DONE ? 0 : -1;
}

static int step_is_automatic(const sop_step *s)
{
	return s->action == SOP_ACT_NOTIFY || s->action == SOP_ACT_DONE;
}

static int step_has_actor(const sop_def *d, const sop_step *s, const char *role)
{
	for (size_t i = 0; i < s->n_actors; i++)
		if (strcmp(d->actors[s->actors[i]].id, role) == 0)
			return 1;
	return 0;
}

static oa_err append_transition(engine *e, struct kase *k, const sop_step *s, const char *action,
    const char *actor, const char *role, const char *decision, const char *note, int64_t now,
    const char *next)
{
	store_stmt *st = store_prepare(e->db,
	    "INSERT INTO sop_transition(case_id, seq, step, action, actor, role, decision, note,"
	    " opened_at, done_at, standard_s, working, next_step)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	int64_t std = sla_standard(&e->cal, &s->time);

	if (st == NULL)
		return OA_ERR_STORE;
	k->transitions++;
	store_bind_int(st, 1, k->id);
	store_bind_int(st, 2, k->transitions);
	store_bind_text(st, 3, s->id);
	store_bind_text(st, 4, action);
	store_bind_text(st, 5, actor);
	store_bind_text(st, 6, role);
	store_bind_text(st, 7, decision);
	store_bind_text(st, 8, note && *note ? note : NULL);
	store_bind_int(st, 9, k->step_opened_at);
	store_bind_int(st, 10, now);
	if (std >= 0)
		store_bind_int(st, 11, std);
	else
		store_bind_null(st, 11);
	store_bind_int(st, 12, s->time.working);
	store_bind_text(st, 13, next);
	return store_run(st);
}

/* Moves the case to step index `next` (or closes it), running automatic steps. */
static oa_err advance(engine *e, struct kase *k, int next, int64_t now)
{
	store_stmt *st;
	oa_err rc;

	for (int guard = 0; guard < MAX_AUTO_STEPS; guard++) {
		const sop_step *s;
		if (next == SOP_END) {
			k->cur = SOP_END;
			k->step[0] = 0;
			snprintf(k->state, sizeof k->state, "completed");
			st = store_prepare(e->db, "UPDATE sop_case SET state = 'completed', step = NULL,"
			                          " step_opened_at = NULL, step_due_at = NULL, closed_at = ?,"
			                          " transitions = ?, issued_serial = NULLIF(?, '') WHERE id = ?");
			if (st == NULL)
				return OA_ERR_STORE;
			store_bind_int(st, 1, now);
			store_bind_int(st, 2, k->transitions);
			store_bind_text(st, 3, k->issued);
			store_bind_int(st, 4, k->id);
			return store_run(st);
		}
		s = &k->def->steps[next];
		k->cur = next;
		k->step_opened_at = now;
		snprintf(k->step, sizeof k->step, "%s", s->id);
		if (!step_is_automatic(s))
			break;
		/* notify and done are the engine's own: record and move on; a
		 * notify step writes its e-mails to the outbox in this same
		 * transaction (engine/notify.c). */
		if (s->action == SOP_ACT_NOTIFY && (rc = engine_notify_step(e, k, next)))
			return rc;
		if ((rc = append_transition(e, k, s, sop_action_name(s->action), "system",
		         s->n_actors ? k->def->actors[s->actors[0]].id : "system", NULL, NULL, now,
		         s->next == SOP_END ? NULL : k->def->steps[s->next].id)))
			return rc;
		next = s->next;
	}
	if (k->cur == SOP_END || step_is_automatic(&k->def->steps[k->cur]))
		return oa_fail(OA_ERR_INTERNAL, "automatic steps do not end");
	st = store_prepare(e->db, "UPDATE sop_case SET step = ?, step_opened_at = ?, step_due_at = ?,"
	                          " transitions = ?, issued_serial = NULLIF(?, ''),"
	                          " reason = NULLIF(?, '') WHERE id = ?");
	if (st == NULL)
		return OA_ERR_STORE;
	{
		int64_t due = sla_due(&e->cal, &k->def->steps[k->cur].time, now);
		store_bind_text(st, 1, k->step);
		store_bind_int(st, 2, now);
		if (due)
			store_bind_int(st, 3, due);
		else
			store_bind_null(st, 3);
		store_bind_int(st, 4, k->transitions);
		store_bind_text(st, 5, k->issued);
		store_bind_text(st, 6, k->reason);
		store_bind_int(st, 7, k->id);
	}
	return store_run(st);
}

static oa_err case_audit(engine *e, const char *actor, const char *action, int64_t id,
    const char *detail)
{
	char object[48];

	snprintf(object, sizeof object, "case:%" PRId64, id);
	return audit_append(e->db, actor, action, object, detail);
}

/* Checks the certificate a revocation/renewal/reset case is about; *info
 * receives it. */
static oa_err check_subject_cert(engine *e, const sop_def *d, const engine_open_req *r,
    const char *applicant_nik, char serial[41], ca_cert_info *out)
{
	ca_cert_info info;
	int64_t now = oa_now();
	oa_err rc;

	if (r->serial == NULL)
		return oa_fail(OA_ERR_INVALID, "a %s case needs the certificate's serial",
		    sop_kind_name(d->kind));
	if ((rc = ca_status(e->c, r->serial, &info)))
		return rc;
	strcpy(serial, info.serial);
	if (strcmp(info.status, "revoked") == 0)
		return oa_fail(OA_ERR_STATE, "certificate %s is already revoked", info.serial);
	if (strcmp(info.status, "expired") == 0)
		return oa_fail(OA_ERR_STATE,
		    d->kind == SOP_KIND_RENEWAL
		        ? "certificate %s has expired: an expired certificate needs a new application"
		        : "certificate %s has expired",
		    info.serial);
	if (info.nik[0] && strcmp(info.nik, applicant_nik) != 0)
		return oa_fail(OA_ERR_DENIED, "certificate %s does not belong to applicant %s",
		    info.serial, r->applicant);
	if (d->kind == SOP_KIND_RENEWAL && d->renewal_window_days > 0 &&
	    info.not_after - now > (int64_t)d->renewal_window_days * 86400) {
		char when[32];
		oa_time_iso(when, sizeof when, info.not_after - (int64_t)d->renewal_window_days * 86400);
		return oa_fail(OA_ERR_STATE,
		    "certificate %s can be renewed only in the %d days before it expires (from %s)",
		    info.serial, d->renewal_window_days, when);
	}
	*out = info;
	return OA_OK;
}

/* A case about an existing certificate starts with the identity it carries,
 * so renewal and reset SOPs need no identity form of their own. */
static oa_err identity_from_cert(engine *e, int64_t case_id, const ca_cert_info *i,
    const char *by)
{
	const struct {
		const char *key, *value;
	} kv[] = {
		{"name", i->cn}, {"nik", i->nik}, {"nip", i->nip}, {"email", i->email},
		{"organization", i->o}, {"unit", i->ou}, {"locality", i->l}, {"province", i->st},
	};
	oa_err rc;

	for (size_t k = 0; k < sizeof kv / sizeof kv[0]; k++)
		if (kv[k].value[0] && (rc = set_data(e, case_id, kv[k].key, kv[k].value, by)))
			return rc;
	return OA_OK;
}

/* The role who uses to open a case: applicant role for the applicant, a
 * first-step role other than it for someone acting on their behalf. */
static const char *opening_role(const engine_who *who, const sop_def *d, const char *applicant,
    const char *applicant_role)
{
	const sop_step *s0 = &d->steps[0];

	if (strcmp(who->person, applicant) == 0)
		return engine_holds(who, applicant_role) ? applicant_role : NULL;
	for (size_t i = 0; i < s0->n_actors; i++) {
		const char *role = d->actors[s0->actors[i]].id;
		if (strcmp(role, applicant_role) != 0 && engine_holds(who, role))
			return role;
	}
	return NULL;
}

/* 1 if the definition issues a certificate at some step. */
static int def_issues(const sop_def *d)
{
	for (size_t i = 0; i < d->n_steps; i++)
		if (d->steps[i].action == SOP_ACT_ISSUE || d->steps[i].yes_action == SOP_ACT_ISSUE ||
		    d->steps[i].action == SOP_ACT_FILL_IDENTITY)
			return 1;
	return 0;
}

/*
 * The applicant's NIK, NIP and e-mail as the accounts know them, into k:
 * from their account where they have one (a different NIK from the caller
 * is refused), else as the caller gives them.
 */
static oa_err applicant_identity(engine *e, const engine_open_req *r, struct kase *k)
{
	auth_person p;
	oa_err rc = auth_person_get(e->au, r->applicant, &p);

	if (rc == OA_OK) {
		if (r->applicant_nik && *r->applicant_nik && strcmp(r->applicant_nik, p.nik) != 0)
			return oa_fail(OA_ERR_DENIED, "the NIK given is not the one on %s's account",
			    r->applicant);
		snprintf(k->applicant_nik, sizeof k->applicant_nik, "%s", p.nik);
		snprintf(k->applicant_nip, sizeof k->applicant_nip, "%s", p.nip);
		snprintf(k->applicant_email, sizeof k->applicant_email, "%s", p.email);
		return OA_OK;
	}
	if (rc != OA_ERR_NOTFOUND)
		return rc;
	oa_err_clear();
	if (r->applicant_nik && *r->applicant_nik) {
		if (!oa_is_digits(r->applicant_nik, 16))
			return oa_fail(OA_ERR_INVALID, "the applicant's NIK must be exactly 16 digits");
		snprintf(k->applicant_nik, sizeof k->applicant_nik, "%s", r->applicant_nik);
	}
	if (r->applicant_nip && *r->applicant_nip) {
		if (!oa_is_digits(r->applicant_nip, 18))
			return oa_fail(OA_ERR_INVALID, "the applicant's NIP must be exactly 18 digits");
		snprintf(k->applicant_nip, sizeof k->applicant_nip, "%s", r->applicant_nip);
	}
	if (r->applicant_email && *r->applicant_email) {
		if (strlen(r->applicant_email) > OA_MAX_EMAIL_CHARS || !strchr(r->applicant_email, '@'))
			return oa_fail(OA_ERR_INVALID, "the applicant's e-mail address is not valid");
		for (size_t i = 0; r->applicant_email[i]; i++)
			k->applicant_email[i] = (char)tolower((unsigned char)r->applicant_email[i]);
	}
	return OA_OK;
}

oa_err engine_case_open(engine *e, const engine_who *who, const engine_open_req *r,
    int64_t *case_id)
{
	store_stmt *st;
	const sop_def *d;
	struct kase k;
	int64_t version_id = 0, now = oa_now(), clash = 0;
	const char *role;
	char serial[41] = "", detail[256];
	ca_cert_info cert;
	int own;
	oa_err rc;

	*case_id = 0;
	if ((rc = engine_check_who(who)))
		return rc;
	if (!engine_valid_id(r->org) || !engine_valid_id(r->applicant) || r->sop_id == NULL ||
	    strlen(r->sop_id) > OA_MAX_SOP_ID)
		return oa_fail(OA_ERR_INVALID, "organisation, SOP and applicant must be given as ids");
	if (strcmp(who->org, r->org) != 0)
		return oa_fail(OA_ERR_DENIED, "%s may not open cases in organisation %s", who->person,
		    r->org);
	if ((rc = store_tx_begin(e->db, &own)))
		return rc;
	if ((st = store_prepare(e->db, "SELECT id FROM sop_version WHERE org = ? AND sop_id = ?"
	                               " AND active = 1")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, r->org);
	store_bind_text(st, 2, r->sop_id);
	if (store_step(st) == STORE_ROW)
		version_id = store_col_int(st, 0);
	store_reset(st);
	if (version_id == 0) {
		rc = oa_fail(OA_ERR_NOTFOUND, "organisation %s has no active SOP '%s'", r->org, r->sop_id);
		goto out;
	}
	if ((rc = engine_def(e, version_id, &d)))
		goto out;
	memset(&k, 0, sizeof k);
	k.def = d;
	snprintf(k.applicant_role, sizeof k.applicant_role, "%s", d->actors[d->steps[0].actors[0]].id);
	if ((role = opening_role(who, d, r->applicant, k.applicant_role)) == NULL) {
		rc = oa_fail(OA_ERR_DENIED, "%s holds no role that may start '%s'%s", who->person,
		    r->sop_id, strcmp(who->person, r->applicant) ? " for someone else" : "");
		goto out;
	}
	if ((rc = applicant_identity(e, r, &k)))
		goto out;
	if (!k.applicant_nik[0] && def_issues(d)) {
		rc = oa_fail(OA_ERR_STATE, "%s has no NIK on record: SOP '%s' issues a certificate,"
		    " which names its holder's NIK (an administrator records it on the account first)",
		    r->applicant, r->sop_id);
		goto out;
	}
	if (d->kind != SOP_KIND_ISSUANCE &&
	    (rc = check_subject_cert(e, d, r, k.applicant_nik, serial, &cert)))
		goto out;
	if (r->reason && *r->reason) {
		if (d->kind == SOP_KIND_ISSUANCE || sop_reason_index(d, r->reason) < 0) {
			rc = oa_fail(OA_ERR_INVALID, "'%s' is not a reason of SOP '%s'", r->reason, r->sop_id);
			goto out;
		}
		snprintf(k.reason, sizeof k.reason, "%s", r->reason);
	}
	/* One open case per applicant, SOP kind and certificate. */
	if ((st = store_prepare(e->db, "SELECT c.id FROM sop_case c JOIN sop_version v"
	                               " ON v.id = c.version_id WHERE c.applicant = ? AND c.org = ?"
	                               " AND c.state = 'open' AND v.kind = ?"
	                               " AND COALESCE(c.serial, '') = ? LIMIT 1")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, r->applicant);
	store_bind_text(st, 2, r->org);
	store_bind_text(st, 3, sop_kind_name(d->kind));
	store_bind_text(st, 4, serial);
	if (store_step(st) == STORE_ROW)
		clash = store_col_int(st, 0);
	store_reset(st);
	if (clash) {
		rc = oa_fail(OA_ERR_EXISTS, "applicant %s already has open case %" PRId64 " of this kind",
		    r->applicant, clash);
		goto out;
	}
	if ((st = store_prepare(e->db,
	         "INSERT INTO sop_case(org, version_id, applicant, applicant_role, opened_by, serial,"
	         " reason, state, step, step_opened_at, created_at, applicant_nik, applicant_nip,"
	         " applicant_email) VALUES (?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), 'open', ?, ?, ?,"
	         " NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''))")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, r->org);
	store_bind_int(st, 2, version_id);
	store_bind_text(st, 3, r->applicant);
	store_bind_text(st, 4, k.applicant_role);
	store_bind_text(st, 5, who->person);
	store_bind_text(st, 6, serial);
	store_bind_text(st, 7, k.reason);
	store_bind_text(st, 8, d->steps[0].id);
	store_bind_int(st, 9, now);
	store_bind_int(st, 10, now);
	store_bind_text(st, 11, k.applicant_nik);
	store_bind_text(st, 12, k.applicant_nip);
	store_bind_text(st, 13, k.applicant_email);
	if ((rc = store_run(st)))
		goto out;
	k.id = store_last_id(e->db);
	if (serial[0] && (rc = identity_from_cert(e, k.id, &cert, "system")))
		goto out;
	snprintf(k.org, sizeof k.org, "%s", r->org);
	snprintf(k.applicant, sizeof k.applicant, "%s", r->applicant);
	snprintf(k.serial, sizeof k.serial, "%s", serial);
	if ((rc = advance(e, &k, 0, now)))
		goto out;
	snprintf(detail, sizeof detail, "sop=%s version=%" PRId64 " applicant=%s role=%s%s%s", r->sop_id,
	    version_id, r->applicant, role, serial[0] ? " certificate=" : "", serial);
	rc = case_audit(e, who->person, "case.open", k.id, detail);
out:
	if ((rc = store_tx_end(e->db, own, rc)) == OA_OK)
		*case_id = k.id;
	return rc;
}

/*
 * Identity data must be the applicant's own: the NIK, NIP and e-mail their
 * account records (security review, finding 1: an applicant typed another
 * agency's person's NIK and obtained a certificate in that name).  A field
 * the account leaves empty is taken as entered, but the CA still issues for
 * the account's NIK only.
 */
static oa_err identity_is_applicants(const struct kase *k, const char *key, const char *v)
{
	if (strcmp(key, "nik") == 0 && k->applicant_nik[0] && strcmp(v, k->applicant_nik) != 0)
		return oa_fail(OA_ERR_INVALID, "nik: %s is not the NIK on the applicant's account; a"
		    " certificate is issued only in the applicant's own name (NIK di akun pemohon)", v);
	if (strcmp(key, "nik") == 0 && !k->applicant_nik[0])
		return oa_fail(OA_ERR_INVALID, "nik: the applicant's account records no NIK, so no NIK"
		    " can be confirmed for this case");
	if (strcmp(key, "nip") == 0 && k->applicant_nip[0] && strcmp(v, k->applicant_nip) != 0)
		return oa_fail(OA_ERR_INVALID, "nip: %s is not the NIP on the applicant's account", v);
	if (strcmp(key, "email") == 0 && k->applicant_email[0] &&
	    strcasecmp(v, k->applicant_email) != 0)
		return oa_fail(OA_ERR_INVALID, "email: %s is not the e-mail address on the applicant's"
		    " account (%s)", v, k->applicant_email);
	return OA_OK;
}

/* Validates and stores the data entered at a step. */
static oa_err take_data(engine *e, struct kase *k, const sop_step *s, const engine_act *a,
    const char *by)
{
	oa_err rc;

	for (size_t i = 0; i < a->ndata; i++) {
		const char *key = a->keys[i], *v = a->values[i];
		int ok = 0;
		if (key == NULL || v == NULL)
			return oa_fail(OA_ERR_INVALID, "data item %zu has no key or value", i);
		if (s->action == SOP_ACT_FILL_IDENTITY)
			for (size_t j = 0; j < sizeof identity_keys / sizeof identity_keys[0]; j++)
				ok |= strcmp(key, identity_keys[j]) == 0;
		if (s->action == SOP_ACT_SET_PASSPHRASE) {
			if (strcmp(key, "passphrase") == 0)
				continue; /* sealed into the holder key, never stored */
			ok = strcmp(key, "csr") == 0;
		}
		if (!ok)
			return oa_fail(OA_ERR_INVALID, "step %s (%s) does not take '%.32s'", s->id,
			    sop_action_name(s->action), key);
		if (strcmp(key, "csr") == 0) {
			if (strlen(v) > OA_MAX_CSR_BYTES || strncmp(v, "-----BEGIN", 10) != 0)
				return oa_fail(OA_ERR_INVALID, "csr must be a PEM certificate request of at most %d bytes",
				    OA_MAX_CSR_BYTES);
		} else {
			if (!oa_is_clean_utf8(v) || oa_utf8_chars(v) > 128 || !*v)
				return oa_fail(OA_ERR_INVALID, "%s must be 1..128 characters of clean text", key);
			if (strcmp(key, "nik") == 0 && !oa_is_digits(v, 16))
				return oa_fail(OA_ERR_INVALID, "nik must be exactly 16 digits");
			if (strcmp(key, "nip") == 0 && !oa_is_digits(v, 18))
				return oa_fail(OA_ERR_INVALID, "nip must be exactly 18 digits");
			if ((rc = identity_is_applicants(k, key, v)))
				return rc;
		}
		if ((rc = set_data(e, k->id, key, v, by)))
			return rc;
	}
	/* What the account says needs no typing: the form starts from it. */
	if (s->action == SOP_ACT_FILL_IDENTITY) {
		const struct {
			const char *key, *value;
		} acct[] = {{"nik", k->applicant_nik}, {"nip", k->applicant_nip},
		    {"email", k->applicant_email}};
		char cur[OA_MAX_EMAIL_CHARS + 1];
		for (size_t i = 0; i < sizeof acct / sizeof acct[0]; i++) {
			if (!acct[i].value[0])
				continue;
			if ((rc = get_data(e, k->id, acct[i].key, cur, sizeof cur)))
				return rc;
			if (!cur[0] && (rc = set_data(e, k->id, acct[i].key, acct[i].value, "system")))
				return rc;
		}
	}
	return OA_OK;
}

/* The documents a step needs: its own doc inputs, and at upload and
 * revoke steps those the chosen reason needs. */
static oa_err check_documents(engine *e, struct kase *k, const sop_step *s, sop_action effective)
{
	for (size_t i = 0; i < s->n_inputs; i++) {
		int doc = s->inputs[i].doc, h;
		if (doc < 0)
			continue;
		if ((h = has_doc(e, k->id, k->def->documents[doc].id)) < 0)
			return OA_ERR_STORE;
		if (!h)
			return oa_fail(OA_ERR_STATE, "step %s needs document '%s' (%s) attached first", s->id,
			    k->def->documents[doc].id, k->def->documents[doc].name);
	}
	if (k->reason[0] && (s->action == SOP_ACT_UPLOAD || effective == SOP_ACT_REVOKE)) {
		int ri = sop_reason_index(k->def, k->reason);
		for (size_t i = 0; ri >= 0 && i < k->def->reasons[ri].n_docs; i++) {
			const sop_document *doc = &k->def->documents[k->def->reasons[ri].docs[i]];
			int h = has_doc(e, k->id, doc->id);
			if (h < 0)
				return OA_ERR_STORE;
			if (!h)
				return oa_fail(OA_ERR_STATE, "reason '%s' needs document '%s' (%s) attached first",
				    k->reason, doc->id, doc->name);
		}
	}
	return OA_OK;
}

/* 1 if the certificate is already revoked. */
static int old_revoked(engine *e, const char *serial)
{
	ca_cert_info i;
	return ca_status(e->c, serial, &i) == OA_OK && strcmp(i.status, "revoked") == 0;
}

/*
 * How an act's issue step gets its certificate (engine_case_act_batch):
 *   ISSUE_NOW     ca_issue() here (every other caller);
 *   ISSUE_GATHER  the request is copied into the control and the act stops
 *                 there with ISSUE_STOPPED (the caller rolls it back and
 *                 issues many requests with one ca_issue_batch());
 *   ISSUE_GIVEN   the certificate was issued already in this transaction
 *                 (serial), the act goes on from there.
 * A renewal (which revokes the old certificate first) is never gathered:
 * its control says plain and the act stops the same way.
 */
enum { ISSUE_NOW, ISSUE_GATHER, ISSUE_GIVEN };

struct issue_ctl {
	int mode;
	int stopped;             /* GATHER: the act stopped at its issue step */
	int plain;               /* GATHER: ... and must run the ordinary way */
	char serial[41];         /* GIVEN */
	/* GATHER: the request and the values it points to */
	ca_request r;
	char name[129], nik[17], nip[19], email[OA_MAX_EMAIL_CHARS + 1], unit[129], org[129];
	char loc[129], prov[129], ref[48], holder_nik[17];
	char *csr;
};

/* The sentinel error of a gathered act; the control tells it from others. */
static oa_err issue_stop(struct issue_ctl *ctl, int plain)
{
	ctl->stopped = 1;
	ctl->plain = plain;
	return oa_fail(OA_ERR_INTERNAL, "act stopped at its issue step (group commit)");
}

static oa_err do_issue(engine *e, struct kase *k, const char *actor, struct issue_ctl *ctl)
{
	struct issue_ctl local;
	struct issue_ctl *g = ctl && ctl->mode == ISSUE_GATHER ? ctl : &local;
	char *csr;
	ca_request *r = &g->r;
	ca_issued out = {0};
	oa_err rc;

	if (g == &local)
		memset(&local, 0, sizeof local);
	free(g->csr);
	memset(r, 0, sizeof *r);
	if ((csr = g->csr = malloc(OA_MAX_CSR_BYTES + 1)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if ((rc = get_data(e, k->id, "name", g->name, sizeof g->name)) ||
	    (rc = get_data(e, k->id, "nik", g->nik, sizeof g->nik)) ||
	    (rc = get_data(e, k->id, "nip", g->nip, sizeof g->nip)) ||
	    (rc = get_data(e, k->id, "email", g->email, sizeof g->email)) ||
	    (rc = get_data(e, k->id, "unit", g->unit, sizeof g->unit)) ||
	    (rc = get_data(e, k->id, "organization", g->org, sizeof g->org)) ||
	    (rc = get_data(e, k->id, "locality", g->loc, sizeof g->loc)) ||
	    (rc = get_data(e, k->id, "province", g->prov, sizeof g->prov)) ||
	    (rc = get_data(e, k->id, "csr", csr, OA_MAX_CSR_BYTES + 1)))
		goto out;
	if (!csr[0]) {
		rc = oa_fail(OA_ERR_STATE, "case %" PRId64 " has no key yet: the set-passphrase step must come first",
		    k->id);
		goto out;
	}
	/* Renewal: the new certificate supersedes the old one (RFC 5280 superseded). */
	if (k->def->kind == SOP_KIND_RENEWAL && k->serial[0] && !old_revoked(e, k->serial)) {
		if (g == ctl) {
			rc = issue_stop(ctl, 1);
			goto out;
		}
		if ((rc = ca_revoke(e->c, k->serial, CA_REASON_SUPERSEDED, 0, actor)))
			goto out;
		k->superseded = 1;
	}
	snprintf(g->ref, sizeof g->ref, "case:%" PRId64, k->id);
	r->csr = (const uint8_t *)csr;
	r->csr_len = strlen(csr);
	r->cn = g->name[0] ? g->name : NULL;
	r->nik = g->nik[0] ? g->nik : NULL;
	r->nip = g->nip[0] ? g->nip : NULL;
	r->email = g->email[0] ? g->email : NULL;
	r->ou = g->unit[0] ? g->unit : NULL;
	r->o = g->org[0] ? g->org : NULL;
	r->l = g->loc[0] ? g->loc : NULL;
	r->st = g->prov[0] ? g->prov : NULL;
	r->actor = actor;
	r->ref = g->ref;
	snprintf(g->holder_nik, sizeof g->holder_nik, "%s", k->applicant_nik);
	r->holder_nik = g->holder_nik[0] ? g->holder_nik : NULL;
	if (g == ctl) {
		/* The csr stays with the control, for ca_issue_batch. */
		return issue_stop(ctl, 0);
	}
	if (ctl && ctl->mode == ISSUE_GIVEN)
		snprintf(k->issued, sizeof k->issued, "%s", ctl->serial);
	else {
		if ((rc = ca_issue(e->c, r, &out)))
			goto out;
		snprintf(k->issued, sizeof k->issued, "%s", out.serial);
		ca_issued_free(&out);
	}
	/* A server-generated holder key now belongs to this certificate. */
	{
		char kid[32];
		if ((rc = get_data(e, k->id, "key_id", kid, sizeof kid)))
			goto out;
		if (kid[0] && (rc = keys_bind_certificate(e->c, strtoll(kid, NULL, 10), k->issued, actor)))
			goto out;
	}
out:
	if (g == &local || rc != OA_OK) {
		free(g->csr);
		g->csr = NULL;
	}
	return rc;
}

static oa_err do_revoke(engine *e, struct kase *k, const sop_step *s, const char *actor)
{
	int crl = CA_REASON_UNSPECIFIED, ri;

	if (!k->serial[0])
		return oa_fail(OA_ERR_STATE, "case %" PRId64 " names no certificate to revoke", k->id);
	/* A renewal's new certificate already superseded the old one. */
	if (k->def->kind == SOP_KIND_RENEWAL && old_revoked(e, k->serial))
		return OA_OK;
	if (s->reason >= 0)
		crl = (int)k->def->reasons[s->reason].crl;
	else if (k->reason[0] && (ri = sop_reason_index(k->def, k->reason)) >= 0)
		crl = (int)k->def->reasons[ri].crl;
	else if (k->def->n_reasons > 0)
		return oa_fail(OA_ERR_STATE, "case %" PRId64 " has no revocation reason chosen yet", k->id);
	return ca_revoke(e->c, k->serial, crl, 0, actor);
}

static oa_err run_action(engine *e, struct kase *k, const sop_step *s, sop_action act,
    const char *actor, engine_result *res, struct issue_ctl *ctl)
{
	char v[129];
	oa_err rc;

	switch (act) {
	case SOP_ACT_ISSUE:
		if ((rc = do_issue(e, k, actor, ctl)))
			return rc;
		snprintf(res->issued, sizeof res->issued, "%s", k->issued);
		snprintf(k->issued_now, sizeof k->issued_now, "%s", k->issued);
		if (k->superseded)
			snprintf(res->revoked, sizeof res->revoked, "%s", k->serial);
		return OA_OK;
	case SOP_ACT_REVOKE: {
		int before = old_revoked(e, k->serial);
		if ((rc = do_revoke(e, k, s, actor)))
			return rc;
		if (!before) {
			snprintf(res->revoked, sizeof res->revoked, "%s", k->serial);
			snprintf(k->revoked_now, sizeof k->revoked_now, "%s", k->serial);
		}
		return OA_OK;
	}
	case SOP_ACT_FILL_IDENTITY:
	case SOP_ACT_APPROVE_IDENTITY:
		/* The certificate needs at least a name, a NIK and an e-mail. */
		for (int i = 0; i < 3; i++) {
			const char *key = i == 0 ? "name" : i == 1 ? "nik" : "email";
			if ((rc = get_data(e, k->id, key, v, sizeof v)))
				return rc;
			if (!v[0])
				return oa_fail(OA_ERR_STATE, "the identity data lacks '%s'", key);
		}
		return OA_OK;
	case SOP_ACT_SET_PASSPHRASE:
		if ((rc = get_data(e, k->id, "csr", v, sizeof v)))
			return rc;
		if (!v[0])
			return oa_fail(OA_ERR_STATE, "step %s needs the applicant's key (csr)", s->id);
		return OA_OK;
	case SOP_ACT_REGISTER_ACCOUNT:
		/* Accounts belong to the auth module; the engine records that the
		 * registration happened at this step. */
		return set_data(e, k->id, "account", k->applicant, actor);
	default:
		return OA_OK;
	}
}

/*
 * The set-passphrase step with a passphrase: checks (without the write
 * lock) that the applicant acts at that step of their open case, then
 * generates and seals their key pair (keys_prepare).  The transaction that
 * follows checks everything again and stores the draft.
 */
static oa_err prepare_holder_key(engine *e, const engine_who *who, const engine_act *a,
    const char *passphrase, keys_draft **out)
{
	struct kase k;
	char name[129], nik[17], nip[19], email[OA_MAX_EMAIL_CHARS + 1];
	keys_person p = {0};
	oa_err rc;

	*out = NULL;
	if ((rc = load_case(e, a->case_id, &k)))
		return rc;
	if (strcmp(k.state, "open") != 0 || k.cur < 0 || strcmp(a->step, k.step) != 0 ||
	    k.def->steps[k.cur].action != SOP_ACT_SET_PASSPHRASE)
		return oa_fail(OA_ERR_STATE, "a passphrase is set only at the case's set-passphrase step");
	if (strcmp(who->person, k.applicant) != 0 || strcmp(who->org, k.org) != 0)
		return oa_fail(OA_ERR_DENIED, "only the applicant sets their passphrase");
	if ((rc = get_data(e, k.id, "name", name, sizeof name)) ||
	    (rc = get_data(e, k.id, "nik", nik, sizeof nik)) ||
	    (rc = get_data(e, k.id, "nip", nip, sizeof nip)) ||
	    (rc = get_data(e, k.id, "email", email, sizeof email)))
		return rc;
	p.name = name[0] ? name : NULL;
	p.nik = nik[0] ? nik : NULL;
	p.nip = nip[0] ? nip : NULL;
	p.email = email[0] ? email : NULL;
	return keys_prepare(e->c, k.applicant, conf_str(ca_config(e->c), "ca.key_type"), passphrase,
	    &p, out);
}

/* The checks of an act that need no store. */
static oa_err act_args_ok(const engine_who *who, const engine_act *a)
{
	oa_err rc;

	if ((rc = engine_check_who(who)))
		return rc;
	if (a->step == NULL || a->role == NULL)
		return oa_fail(OA_ERR_INVALID, "an action names the step and the role acted in");
	if (a->note && strlen(a->note) > OA_MAX_SOP_TEXT)
		return oa_fail(OA_ERR_LIMIT, "note longer than %d bytes", OA_MAX_SOP_TEXT);
	if (a->note && !note_ok(a->note))
		return oa_fail(OA_ERR_INVALID, "a note is UTF-8 text; only tab and newline controls");
	return OA_OK;
}

/* The passphrase among the act's data, or NULL. */
static const char *act_passphrase(const engine_act *a)
{
	for (size_t i = 0; i < a->ndata; i++)
		if (a->keys[i] && strcmp(a->keys[i], "passphrase") == 0 && a->values[i])
			return a->values[i];
	return NULL;
}

struct engine_act_prep {
	keys_draft *draft;
};

void engine_act_prep_free(engine_act_prep *p)
{
	if (p == NULL)
		return;
	keys_draft_free(p->draft);
	free(p);
}

oa_err engine_act_prepare(engine *e, const engine_who *who, const engine_act *a,
    engine_act_prep **out)
{
	const char *passphrase = act_passphrase(a);
	engine_act_prep *p;
	oa_err rc;

	*out = NULL;
	if ((rc = act_args_ok(who, a)) || passphrase == NULL)
		return rc;
	if ((p = calloc(1, sizeof *p)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	/* A passphrase makes the holder's key here, before the transaction:
	 * Argon2id takes a moment and must not hold the write lock. */
	if ((rc = prepare_holder_key(e, who, a, passphrase, &p->draft))) {
		engine_act_prep_free(p);
		return rc;
	}
	*out = p;
	return OA_OK;
}

oa_err engine_case_act(engine *e, const engine_who *who, const engine_act *a,
    engine_result *res)
{
	engine_act_prep *p = NULL;
	oa_err rc;

	memset(res, 0, sizeof *res);
	if ((rc = engine_act_prepare(e, who, a, &p)) == OA_OK)
		rc = engine_case_act_prepared(e, who, a, p, res);
	engine_act_prep_free(p);
	return rc;
}

static oa_err act_tx(engine *e, const engine_who *who, const engine_act *a,
    const engine_act_prep *p, engine_result *res, struct issue_ctl *ctl);

oa_err engine_case_act_prepared(engine *e, const engine_who *who, const engine_act *a,
    const engine_act_prep *p, engine_result *res)
{
	return act_tx(e, who, a, p, res, NULL);
}

/* An act as one transaction (or savepoint); ctl: see struct issue_ctl. */
static oa_err act_tx(engine *e, const engine_who *who, const engine_act *a,
    const engine_act_prep *p, engine_result *res, struct issue_ctl *ctl)
{
	struct kase k;
	const sop_step *s;
	sop_action effective;
	int next;
	int64_t now = oa_now();
	char detail[512];
	const keys_draft *draft = p ? p->draft : NULL;
	int own;
	oa_err rc;

	memset(res, 0, sizeof *res);
	if ((rc = act_args_ok(who, a)))
		return rc;
	if (act_passphrase(a) != NULL && draft == NULL)
		return oa_fail(OA_ERR_INTERNAL, "an act with a passphrase is prepared first");
	if ((rc = store_tx_begin(e->db, &own)))
		return rc;
	if ((rc = load_open_case(e, who, a->case_id, &k)))
		goto out;
	if (strcmp(a->step, k.step) != 0) {
		rc = oa_fail(OA_ERR_STATE, "step %.64s is not the current step of case %" PRId64
		                           " (it is at step %s)", a->step, k.id, k.step);
		goto out;
	}
	s = &k.def->steps[k.cur];
	if (!step_has_actor(k.def, s, a->role)) {
		rc = oa_fail(OA_ERR_DENIED, "step %s is not done by role '%.64s'", s->id, a->role);
		goto out;
	}
	if (!engine_holds(who, a->role)) {
		rc = oa_fail(OA_ERR_DENIED, "%s does not hold role '%s' in %s", who->person, a->role,
		    k.org);
		goto out;
	}
	if (strcmp(who->person, k.applicant) == 0 && strcmp(a->role, k.applicant_role) != 0) {
		rc = oa_fail(OA_ERR_DENIED, "an applicant never acts as %s on their own case", a->role);
		goto out;
	}
	if (strcmp(who->person, k.applicant) != 0 && strcmp(a->role, k.applicant_role) == 0) {
		rc = oa_fail(OA_ERR_DENIED, "only the applicant acts as %s in case %" PRId64, a->role, k.id);
		goto out;
	}
	if ((s->action == SOP_ACT_DECIDE) != (a->decision != ENGINE_NO_DECISION) ||
	    (a->decision != ENGINE_NO_DECISION && a->decision != ENGINE_YES &&
	        a->decision != ENGINE_NO)) {
		rc = oa_fail(OA_ERR_INVALID, s->action == SOP_ACT_DECIDE
		                                 ? "step %s is a decision: answer yes or no"
		                                 : "step %s is not a decision", s->id);
		goto out;
	}
	if (a->reason && *a->reason) {
		if (k.def->kind == SOP_KIND_ISSUANCE || sop_reason_index(k.def, a->reason) < 0 ||
		    strcmp(a->role, k.applicant_role) != 0) {
			rc = oa_fail(OA_ERR_INVALID, "'%.64s' is not a reason the applicant can choose here",
			    a->reason);
			goto out;
		}
		snprintf(k.reason, sizeof k.reason, "%s", a->reason);
	}
	if ((rc = take_data(e, &k, s, a, who->person)))
		goto out;
	if (draft) {
		char kid[32];
		snprintf(kid, sizeof kid, "%" PRId64, keys_draft_id(draft));
		if ((rc = keys_draft_store(e->c, draft, who->person)) ||
		    (rc = set_data(e, k.id, "csr", keys_draft_csr(draft), who->person)) ||
		    (rc = set_data(e, k.id, "key_id", kid, who->person)))
			goto out;
	}
	effective = s->action == SOP_ACT_DECIDE ? (a->decision == ENGINE_YES ? s->yes_action
	                                                                     : SOP_ACT_NONE)
	                                        : s->action;
	if (a->decision != ENGINE_NO && (rc = check_documents(e, &k, s, effective)))
		goto out;
	if ((rc = run_action(e, &k, s, effective, who->person, res, ctl)))
		goto out;
	next = s->action == SOP_ACT_DECIDE ? (a->decision == ENGINE_YES ? s->yes : s->no) : s->next;
	if ((rc = engine_notify_act(e, &k, s, a->decision == ENGINE_NO, next, a->note, res)))
		goto out;
	if ((rc = append_transition(e, &k, s,
	         sop_action_name(effective == SOP_ACT_NONE ? s->action : effective), who->person,
	         a->role, a->decision == ENGINE_YES ? "yes" : a->decision == ENGINE_NO ? "no" : NULL,
	         a->note, now, next == SOP_END ? NULL : k.def->steps[next].id)) ||
	    (rc = advance(e, &k, next, now)))
		goto out;
	snprintf(detail, sizeof detail, "step=%s role=%s action=%s%s%s%s%s%s%s", s->id, a->role,
	    sop_action_name(s->action), a->decision ? " decision=" : "",
	    a->decision == ENGINE_YES ? "yes" : a->decision == ENGINE_NO ? "no" : "",
	    res->issued[0] ? " issued=" : "", res->issued, res->revoked[0] ? " revoked=" : "",
	    res->revoked);
	rc = case_audit(e, who->person, "case.act", k.id, detail);
out:
	if ((rc = store_tx_end(e->db, own, rc))) {
		memset(res, 0, sizeof *res);
		return rc;
	}
	snprintf(res->step, sizeof res->step, "%s", k.step);
	snprintf(res->state, sizeof res->state, "%s", k.state);
	/* Inside a caller's transaction the caller publishes after its commit. */
	if (own && res->revoked[0] && ca_crl_publish(e->c, 0, NULL, NULL) != OA_OK)
		fprintf(stderr, "openams: warning: revocation of %s recorded; CRL not republished: %s\n",
		    res->revoked, oa_errmsg());
	return OA_OK;
}

/* ---- many acts in one transaction ----------------------------------- */

static void item_fail(engine_batch_item *it, oa_err rc, const char *msg)
{
	it->rc = rc ? rc : OA_ERR_INTERNAL;
	snprintf(it->msg, sizeof it->msg, "%s", msg && *msg ? msg : "failed");
	memset(&it->res, 0, sizeof it->res);
}

/* One act in a savepoint of its own; -1 if the transaction itself failed. */
static int item_run(engine *e, engine_batch_item *it, struct issue_ctl *ctl)
{
	oa_err rc;

	if (store_savepoint(e->db))
		return -1;
	rc = act_tx(e, it->who, it->act, it->prep, &it->res, ctl);
	if (!store_tx_alive(e->db))
		return -1;
	if (rc == OA_OK) {
		if (store_release(e->db))
			return -1;
		it->rc = OA_OK;
		it->msg[0] = 0;
		return 0;
	}
	item_fail(it, rc, oa_errmsg());
	store_rollback_to(e->db);
	return 0;
}

oa_err engine_case_act_batch(engine *e, engine_batch_item *items, size_t n)
{
	struct issue_ctl *ctl = calloc(n ? n : 1, sizeof *ctl);
	size_t *grp = calloc(n ? n : 1, sizeof *grp), ng = 0;
	char *plain = calloc(n ? n : 1, 1);
	ca_request *reqs = NULL;
	ca_issued *outs = NULL;
	oa_err *rcs = NULL;
	char (*msgs)[256] = NULL;
	oa_err rc = OA_OK;

	if (ctl == NULL || grp == NULL || plain == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!store_in_tx(e->db)) {
		rc = oa_fail(OA_ERR_INTERNAL, "engine_case_act_batch runs in the caller's transaction");
		goto out;
	}
	/* 1. Every act runs; one that reaches its issue step stops there (and
	 *    is rolled back): its request is gathered. */
	for (size_t i = 0; i < n; i++) {
		ctl[i].mode = ISSUE_GATHER;
		if (item_run(e, &items[i], &ctl[i]) < 0)
			goto broken;
		if (!ctl[i].stopped)
			continue; /* done or refused, for good */
		items[i].rc = OA_OK;
		items[i].msg[0] = 0;
		plain[i] = 1;
		if (ctl[i].plain)
			continue; /* a renewal */
		for (size_t k = 0; k < ng && plain[i]; k++)
			if (items[grp[k]].act->case_id == items[i].act->case_id)
				plain[i] = 2; /* a second act on a case: after the first */
		if (plain[i] == 1) {
			plain[i] = 0;
			grp[ng++] = i;
		}
	}
	/* 2. Their certificates, with one ca_issue_batch (one signing round
	 *    trip); 3. each act again from its certificate.  Should an act fail
	 *    after its certificate was stored, the whole group is undone and
	 *    runs the ordinary way, one by one. */
	if (ng > 0) {
		int fallback = 0;
		if ((reqs = calloc(ng, sizeof *reqs)) == NULL || (outs = calloc(ng, sizeof *outs)) == NULL ||
		    (rcs = calloc(ng, sizeof *rcs)) == NULL || (msgs = calloc(ng, sizeof *msgs)) == NULL) {
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t k = 0; k < ng; k++)
			reqs[k] = ctl[grp[k]].r;
		if (store_savepoint(e->db))
			goto broken;
		if (ca_issue_batch(e->c, reqs, ng, outs, rcs, msgs) != OA_OK) {
			if (!store_tx_alive(e->db))
				goto broken;
			oa_err_clear();
			fallback = 1;
		}
		for (size_t k = 0; k < ng && !fallback; k++) {
			size_t i = grp[k];
			if (rcs[k]) {
				item_fail(&items[i], rcs[k], msgs[k]); /* as ca_issue would have */
				continue;
			}
			ctl[i].mode = ISSUE_GIVEN;
			snprintf(ctl[i].serial, sizeof ctl[i].serial, "%s", outs[k].serial);
			if (item_run(e, &items[i], &ctl[i]) < 0)
				goto broken;
			/* It must have gone the way it went before: its issue step. */
			fallback = items[i].rc != OA_OK || strcmp(items[i].res.issued, ctl[i].serial) != 0;
		}
		if (fallback) {
			store_rollback_to(e->db);
			if (!store_tx_alive(e->db))
				goto broken;
			for (size_t k = 0; k < ng; k++)
				plain[grp[k]] = 1;
		} else if (store_release(e->db))
			goto broken;
	}
	/* 4. The ordinary way: renewals, second acts on a case, a fallen group. */
	for (int round = 1; round <= 2; round++)
		for (size_t i = 0; i < n; i++)
			if (plain[i] == round && item_run(e, &items[i], NULL) < 0)
				goto broken;
	goto out;
broken:
	rc = *oa_errmsg() ? OA_ERR_STORE : oa_fail(OA_ERR_STORE, "database: the transaction was lost");
out:
	for (size_t i = 0; ctl && i < n; i++)
		free(ctl[i].csr);
	for (size_t k = 0; outs && k < ng; k++)
		ca_issued_free(&outs[k]);
	free(ctl);
	free(grp);
	free(plain);
	free(reqs);
	free(outs);
	free(rcs);
	free(msgs);
	return rc;
}

oa_err engine_case_close(engine *e, const engine_who *who, int64_t case_id, int how,
    const char *note)
{
	struct kase k;
	const sop_step *s;
	store_stmt *st;
	int64_t now = oa_now();
	const char *role = NULL;
	int own;
	oa_err rc;

	if ((rc = engine_check_who(who)))
		return rc;
	if (how != ENGINE_REJECT && how != ENGINE_WITHDRAW)
		return oa_fail(OA_ERR_INVALID, "close a case by rejecting or withdrawing it");
	if (note && strlen(note) > OA_MAX_SOP_TEXT)
		return oa_fail(OA_ERR_LIMIT, "note longer than %d bytes", OA_MAX_SOP_TEXT);
	if (note && !note_ok(note))
		return oa_fail(OA_ERR_INVALID, "a note is UTF-8 text; only tab and newline controls");
	if ((rc = store_tx_begin(e->db, &own)))
		return rc;
	if ((rc = load_open_case(e, who, case_id, &k)))
		goto out;
	s = &k.def->steps[k.cur];
	if (how == ENGINE_WITHDRAW) {
		if (strcmp(who->person, k.applicant) != 0) {
			rc = oa_fail(OA_ERR_DENIED, "only the applicant withdraws case %" PRId64, k.id);
			goto out;
		}
		role = k.applicant_role;
	} else {
		if (strcmp(who->person, k.applicant) == 0) {
			rc = oa_fail(OA_ERR_DENIED, "an applicant never rejects their own case");
			goto out;
		}
		for (size_t i = 0; i < s->n_actors && !role; i++) {
			const char *r = k.def->actors[s->actors[i]].id;
			if (strcmp(r, k.applicant_role) != 0 && engine_holds(who, r))
				role = r;
		}
		if (role == NULL) {
			rc = oa_fail(OA_ERR_DENIED, "%s holds no role of step %s of case %" PRId64,
			    who->person, s->id, k.id);
			goto out;
		}
	}
	if ((rc = append_transition(e, &k, s, sop_action_name(s->action), who->person, role,
	         how == ENGINE_REJECT ? "reject" : "withdraw", note, now, NULL)))
		goto out;
	if ((st = store_prepare(e->db, "UPDATE sop_case SET state = ?, step = NULL,"
	                               " step_opened_at = NULL, step_due_at = NULL, closed_at = ?,"
	                               " transitions = ? WHERE id = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_text(st, 1, how == ENGINE_REJECT ? "rejected" : "withdrawn");
	store_bind_int(st, 2, now);
	store_bind_int(st, 3, k.transitions);
	store_bind_int(st, 4, k.id);
	if ((rc = store_run(st)) == OA_OK)
		rc = case_audit(e, who->person, how == ENGINE_REJECT ? "case.reject" : "case.withdraw",
		    k.id, s->id);
out:
	return store_tx_end(e->db, own, rc);
}

oa_err engine_case_attach(engine *e, const engine_who *who, int64_t case_id, const char *doc,
    const char *sha256, const char *filename)
{
	struct kase k;
	store_stmt *st;
	const sop_step *s;
	char detail[200];
	int allowed, own;
	oa_err rc;

	if ((rc = engine_check_who(who)))
		return rc;
	if (sha256 == NULL || strlen(sha256) != 64 || strspn(sha256, "0123456789abcdef") != 64)
		return oa_fail(OA_ERR_INVALID, "a document is named by its SHA-256 (64 lower-case hex)");
	if (filename == NULL || !*filename || strlen(filename) > 255 || !oa_is_clean_utf8(filename) ||
	    strpbrk(filename, "/\\") != NULL)
		return oa_fail(OA_ERR_INVALID, "file name must be 1..255 characters without / or \\");
	if ((rc = store_tx_begin(e->db, &own)))
		return rc;
	if ((rc = load_open_case(e, who, case_id, &k)))
		goto out;
	if (doc == NULL || sop_document_index(k.def, doc) < 0) {
		rc = oa_fail(OA_ERR_INVALID, "'%.64s' is not a document of this SOP", doc ? doc : "");
		goto out;
	}
	s = &k.def->steps[k.cur];
	allowed = strcmp(who->person, k.applicant) == 0;
	for (size_t i = 0; !allowed && i < s->n_actors; i++) {
		const char *r = k.def->actors[s->actors[i]].id;
		allowed = strcmp(r, k.applicant_role) != 0 && engine_holds(who, r);
	}
	if (!allowed) {
		rc = oa_fail(OA_ERR_DENIED, "%s may not add documents to case %" PRId64 " now",
		    who->person, k.id);
		goto out;
	}
	if ((st = store_prepare(e->db, "INSERT OR IGNORE INTO sop_case_document(case_id, doc, sha256,"
	                               " filename, added_by, added_at, step) VALUES (?, ?, ?, ?, ?, ?, ?)")) ==
	    NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, k.id);
	store_bind_text(st, 2, doc);
	store_bind_text(st, 3, sha256);
	store_bind_text(st, 4, filename);
	store_bind_text(st, 5, who->person);
	store_bind_int(st, 6, oa_now());
	store_bind_text(st, 7, k.step);
	snprintf(detail, sizeof detail, "doc=%s sha256=%.16s step=%s", doc, sha256, k.step);
	if ((rc = store_run(st)) == OA_OK)
		rc = case_audit(e, who->person, "case.attach", k.id, detail);
out:
	return store_tx_end(e->db, own, rc);
}

