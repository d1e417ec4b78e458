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
#include "../common/nik.h"
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
	inst *in;
	ca *c;                       /* inst_ca(in) */
	store *db;
	auth *au;
	sla_cal cal;
	struct cached_def cache[DEF_CACHE];
	size_t ncache;
};

oa_err engine_open(inst *in, engine **out)
{
	engine *e = calloc(1, sizeof *e);
	oa_err rc;

	*out = NULL;
	if (e == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	e->in = in;
	e->c = inst_ca(in);
	e->db = inst_store(in);
	if ((rc = sla_cal_load(&e->cal, inst_conf(in))) || (rc = auth_open(in, &e->au))) {
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

inst *engine_inst(engine *e)
{
	return e->in;
}

const conf *engine_conf(engine *e)
{
	return inst_conf(e->in);
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
int engine_note_ok(const char *note)
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

oa_err engine_load_case(engine *e, int64_t id, struct kase *k)
{
	store_stmt *st = store_prepare(e->db,
	    "SELECT id, version_id, step_opened_at, transitions, org, applicant, applicant_role,"
	    " state, COALESCE(step, ''), COALESCE(serial, ''), COALESCE(reason, ''),"
	    " COALESCE(issued_serial, ''), COALESCE(applicant_nik, ''), COALESCE(applicant_nip, ''),"
	    " COALESCE(applicant_email, ''), turn FROM sop_case WHERE id = ?");
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
	k->turn = (int)store_col_int(st, 15);
	store_reset(st);
	if ((rc = engine_def(e, k->version_id, &k->def)))
		return rc;
	k->cur = k->step[0] ? sop_step_index(k->def, k->step) : SOP_END;
	return OA_OK;
}

/* Loads a case that who may act on now: of their organisation, open. */
oa_err engine_load_open_case(engine *e, const engine_who *who, int64_t id, struct kase *k)
{
	oa_err rc;

	if ((rc = engine_load_case(e, id, k)))
		return rc;
	if (strcmp(k->org, who->org) != 0)
		return oa_fail(OA_ERR_DENIED, "case %" PRId64 " belongs to another organisation", k->id);
	if (strcmp(k->state, "open") != 0)
		return oa_fail(OA_ERR_STATE, "case %" PRId64 " is %s", k->id, k->state);
	return OA_OK;
}

oa_err engine_get_data(engine *e, int64_t case_id, const char *key, char *out, size_t outsz)
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

oa_err engine_set_data(engine *e, int64_t case_id, const char *key, const char *value,
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

int engine_has_doc(engine *e, int64_t case_id, const char *doc, const char *at_step)
{
	store_stmt *st = store_prepare(e->db, at_step
	    ? "SELECT 1 FROM sop_case_document WHERE case_id = ? AND doc = ? AND step = ? LIMIT 1"
	    : "SELECT 1 FROM sop_case_document WHERE case_id = ? AND doc = ? LIMIT 1");
	int step;

	if (st == NULL)
		return -1;
	store_bind_int(st, 1, case_id);
	store_bind_text(st, 2, doc);
	if (at_step)
		store_bind_text(st, 3, at_step);
	step = store_step(st);
	store_reset(st);
	return step == STORE_ROW ? 1 : step == STORE_DONE ? 0 : -1;
}

static int step_is_automatic(const sop_step *s)
{
	return s->action == SOP_ACT_NOTIFY || s->action == SOP_ACT_DONE;
}

int engine_step_has_actor(const sop_def *d, const sop_step *s, const char *role)
{
	for (size_t i = 0; i < s->n_actors; i++)
		if (strcmp(d->actors[s->actors[i]].id, role) == 0)
			return 1;
	return 0;
}

int engine_turn_has_actor(const struct kase *k, const sop_step *s, const char *role)
{
	if (!s->in_turn)
		return engine_step_has_actor(k->def, s, role);
	return k->turn >= 0 && (size_t)k->turn < s->n_actors &&
	       strcmp(k->def->actors[s->actors[k->turn]].id, role) == 0;
}

const char *engine_turn_role(const struct kase *k)
{
	const sop_step *s;

	if (k->cur < 0 || k->cur == SOP_END)
		return NULL;
	s = &k->def->steps[k->cur];
	if (!s->in_turn || k->turn < 0 || (size_t)k->turn >= s->n_actors)
		return NULL;
	return k->def->actors[s->actors[k->turn]].id;
}

oa_err engine_append_transition(engine *e, struct kase *k, const sop_step *s, const char *action,
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
oa_err engine_advance(engine *e, struct kase *k, int next, int64_t now)
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
		if ((rc = engine_append_transition(e, k, s, sop_action_name(s->action), "system",
		         s->n_actors ? k->def->actors[s->actors[0]].id : "system", NULL, NULL, now,
		         s->next == SOP_END ? NULL : k->def->steps[s->next].id)))
			return rc;
		next = s->next;
	}
	if (k->cur == SOP_END || step_is_automatic(&k->def->steps[k->cur]))
		return oa_fail(OA_ERR_INTERNAL, "automatic steps do not end");
	k->turn = 0;
	st = store_prepare(e->db, "UPDATE sop_case SET step = ?, step_opened_at = ?, step_due_at = ?,"
	                          " transitions = ?, issued_serial = NULLIF(?, ''),"
	                          " reason = NULLIF(?, ''), turn = 0 WHERE id = ?");
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

oa_err engine_case_audit(engine *e, const char *actor, const char *action, int64_t id,
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
		return oa_fail_id(OA_ERR_INVALID, "serial_choose", "serial",
		    "a %s case needs the certificate's serial",
		    sop_kind_name(d->kind));
	if ((rc = ca_status(e->c, r->serial, &info)))
		return rc;
	strcpy(serial, info.serial);
	if (strcmp(info.status, "revoked") == 0)
		return oa_fail_id(OA_ERR_STATE, "cert_revoked", "serial",
		    "certificate %s is already revoked", info.serial);
	if (strcmp(info.status, "expired") == 0)
		return oa_fail_id(OA_ERR_STATE, "cert_expired", "serial",
		    d->kind == SOP_KIND_RENEWAL
		        ? "certificate %s has expired: an expired certificate needs a new application"
		        : "certificate %s has expired",
		    info.serial);
	if (info.nik[0] && strcmp(info.nik, applicant_nik) != 0)
		return oa_fail_id(OA_ERR_DENIED, "cert_not_yours", "serial",
		    "certificate %s does not belong to applicant %s",
		    info.serial, r->applicant);
	if (d->kind == SOP_KIND_RENEWAL && d->renewal_window_days > 0 &&
	    info.not_after - now > (int64_t)d->renewal_window_days * 86400) {
		char when[32];
		oa_time_iso(when, sizeof when, info.not_after - (int64_t)d->renewal_window_days * 86400);
		return oa_fail_id(OA_ERR_STATE, "cert_renew_early", "serial",
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
		if (kv[k].value[0] && (rc = engine_set_data(e, case_id, kv[k].key, kv[k].value, by)))
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
	char why[128];
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
		if (!oa_nik_valid(r->applicant_nik, why, sizeof why))
			return oa_fail_id(OA_ERR_INVALID, "nik_format", "nik",
			    "the applicant's %s", why);
		snprintf(k->applicant_nik, sizeof k->applicant_nik, "%s", r->applicant_nik);
	}
	if (r->applicant_nip && *r->applicant_nip) {
		if (!oa_is_digits(r->applicant_nip, 18))
			return oa_fail_id(OA_ERR_INVALID, "nip_format", "nip",
			    "the applicant's NIP must be exactly 18 digits");
		snprintf(k->applicant_nip, sizeof k->applicant_nip, "%s", r->applicant_nip);
	}
	if (r->applicant_email && *r->applicant_email) {
		if (strlen(r->applicant_email) > OA_MAX_EMAIL_CHARS || !strchr(r->applicant_email, '@'))
			return oa_fail_id(OA_ERR_INVALID, "email_format", "email",
			    "the applicant's e-mail address is not valid");
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
			int staff = d->n_reasons == 0 && engine_def_records_reason(d);
			rc = oa_fail_id(OA_ERR_INVALID, staff ? "reason_by_staff" : "reason_unknown",
			    "reason", staff
			    ? "'%s': in SOP '%s' the staff record the reason from your letter; open "
			      "the case without one" : "'%s' is not a reason of SOP '%s'",
			    r->reason, r->sop_id);
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
		rc = oa_fail_id(OA_ERR_EXISTS, "case_open_exists", "sop",
		    "applicant %s already has open case %" PRId64 " of this kind",
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
	if ((rc = engine_advance(e, &k, 0, now)))
		goto out;
	snprintf(detail, sizeof detail, "sop=%s version=%" PRId64 " applicant=%s role=%s%s%s", r->sop_id,
	    version_id, r->applicant, role, serial[0] ? " certificate=" : "", serial);
	rc = engine_case_audit(e, who->person, "case.open", k.id, detail);
out:
	if ((rc = store_tx_end(e->db, own, rc)) == OA_OK)
		*case_id = k.id;
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
	if (note && !engine_note_ok(note))
		return oa_fail(OA_ERR_INVALID, "a note is UTF-8 text; only tab and newline controls");
	if ((rc = store_tx_begin(e->db, &own)))
		return rc;
	if ((rc = engine_load_open_case(e, who, case_id, &k)))
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
			if (strcmp(r, k.applicant_role) != 0 && engine_turn_has_actor(&k, s, r) &&
			    engine_holds(who, r))
				role = r;
		}
		if (role == NULL) {
			rc = oa_fail(OA_ERR_DENIED, "%s holds no role of step %s of case %" PRId64,
			    who->person, s->id, k.id);
			goto out;
		}
	}
	if ((rc = engine_append_transition(e, &k, s, sop_action_name(s->action), who->person, role,
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
		rc = engine_case_audit(e, who->person, how == ENGINE_REJECT ? "case.reject" : "case.withdraw",
		    k.id, s->id);
out:
	return store_tx_end(e->db, own, rc);
}

oa_err engine_doc_insert(store *db, int64_t case_id, const char *doc, const char *sha256,
    const char *filename, const char *by, const char *step)
{
	store_stmt *st = store_prepare(db, "INSERT OR IGNORE INTO sop_case_document(case_id, doc,"
	                                   " sha256, filename, added_by, added_at, step)"
	                                   " VALUES (?, ?, ?, ?, ?, ?, ?)");

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, case_id);
	store_bind_text(st, 2, doc);
	store_bind_text(st, 3, sha256);
	store_bind_text(st, 4, filename);
	store_bind_text(st, 5, by);
	store_bind_int(st, 6, oa_now());
	store_bind_text(st, 7, step);
	return store_run(st);
}

oa_err engine_case_attach(engine *e, const engine_who *who, int64_t case_id, const char *doc,
    const char *sha256, const char *filename)
{
	struct kase k;
	const sop_step *s;
	char detail[200];
	int allowed, own;
	oa_err rc;

	if ((rc = engine_check_who(who)))
		return rc;
	if (sha256 == NULL || !oa_is_hex(sha256, 64))
		return oa_fail(OA_ERR_INVALID, "a document is named by its SHA-256 (64 lower-case hex)");
	if (filename == NULL || !*filename || strlen(filename) > 255 || !oa_is_clean_utf8(filename) ||
	    strpbrk(filename, "/\\") != NULL)
		return oa_fail(OA_ERR_INVALID, "file name must be 1..255 characters without / or \\");
	if ((rc = store_tx_begin(e->db, &own)))
		return rc;
	if ((rc = engine_load_open_case(e, who, case_id, &k)))
		goto out;
	if (doc == NULL || sop_document_index(k.def, doc) < 0) {
		rc = oa_fail(OA_ERR_INVALID, "'%.64s' is not a document of this SOP", doc ? doc : "");
		goto out;
	}
	s = &k.def->steps[k.cur];
	allowed = strcmp(who->person, k.applicant) == 0;
	for (size_t i = 0; !allowed && i < s->n_actors; i++) {
		const char *r = k.def->actors[s->actors[i]].id;
		allowed = strcmp(r, k.applicant_role) != 0 && engine_turn_has_actor(&k, s, r) &&
		          engine_holds(who, r);
	}
	if (!allowed) {
		rc = oa_fail(OA_ERR_DENIED, "%s may not add documents to case %" PRId64 " now",
		    who->person, k.id);
		goto out;
	}
	snprintf(detail, sizeof detail, "doc=%s sha256=%.16s step=%s", doc, sha256, k.step);
	if ((rc = engine_doc_insert(e->db, k.id, doc, sha256, filename, who->person, k.step)) == OA_OK)
		rc = engine_case_audit(e, who->person, "case.attach", k.id, detail);
out:
	return store_tx_end(e->db, own, rc);
}

