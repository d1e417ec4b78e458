/*
 * notify.c - who gets which e-mail when a case moves, written to the mail
 * outbox in the same transaction as the transition (DESIGN invariant 1).
 *
 * The step's place in the flow picks the message, as in SOP 001:
 *   - the next step that waits for a person fills the identity form
 *     -> the identity-form link (the "first e-mail");
 *   - it sets the passphrase -> the account e-mail and the set-passphrase
 *     link (the "second and third");
 *   - this act issued or revoked a certificate -> "issued" / "revoked";
 *   - otherwise a notice carrying the step's activity text.
 * The first four concern the holder and always go to the applicant (the
 * seeds name either side as the notify step's actor: "the applicant
 * receives" in SOP 001, "OP informs the applicant" in SOP 004).  A notice
 * goes to the step's actors: the applicant role means the case's applicant,
 * any other role everyone holding it in the organisation.  A certificate
 * notice is sent once per act, however many notify steps follow.
 * Outside notify steps: a "no" at a decision tells the applicant what to
 * complete, and an issue or revoke with no notify step ahead tells the
 * applicant directly ("fourth e-mail").  People without an account (and so
 * without an address) are skipped; link tokens exist only long enough to be
 * rendered into the message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../common/limits.h"
#include "../mail/mail.h"
#include "engineInt.h"

struct send_ctx {
	engine *e;
	struct kase *k;
	mail_msg m;
	int kind;          /* auth link kind to mint per recipient, or -1 */
	oa_err rc;
	const char *role;
};

static oa_err send_to(struct send_ctx *x, const char *person)
{
	auth_person p;
	char token[AUTH_TOKEN_LEN + 1] = "";
	mail_msg m = x->m;
	oa_err rc;

	if (auth_person_get(engine_auth(x->e), person, &p) != OA_OK || p.disabled || !p.email[0])
		return OA_OK; /* no account, no address: nothing to send */
	m.to_name = p.name;
	m.to_addr = p.email;
	m.person = p.id;
	m.lang = p.lang[0] ? p.lang : "id";
	if (m.event == MAIL_ACCOUNT)
		m.username = p.id;
	if (x->kind >= 0) {
		if ((rc = auth_link_create(engine_auth(x->e), (auth_link_kind)x->kind, p.id, x->k->id, 0,
		         "system", token)))
			return rc;
		m.token = token;
		/* the e-mail says until when (auth_link_create's default lifetime) */
		m.due_at = oa_now() + conf_int(engine_conf(x->e), "auth.link_ttl_hours") * 3600;
	}
	rc = mail_enqueue(engine_store(x->e), engine_conf(x->e), &m, NULL);
	oa_wipe(token, sizeof token);
	return rc;
}

static int holder_cb(const char *person, const char *role, void *arg)
{
	struct send_ctx *x = arg;

	if (strcmp(role, x->role) != 0)
		return 0;
	return (x->rc = send_to(x, person)) != OA_OK;
}

/* Sends x->m to the holders of role (the applicant for the applicant role). */
static oa_err send_role(struct send_ctx *x, const char *role)
{
	oa_err rc;

	if (strcmp(role, x->k->applicant_role) == 0)
		return send_to(x, x->k->applicant);
	x->role = role;
	x->rc = OA_OK;
	if ((rc = auth_role_list(engine_auth(x->e), x->k->org, NULL, holder_cb, x)))
		return rc;
	return x->rc;
}

static oa_err send_applicant(engine *e, struct kase *k, const mail_msg *m)
{
	struct send_ctx x = {e, k, *m, -1, OA_OK, NULL};
	return send_to(&x, k->applicant);
}

/* The first step after index i (following next) that waits for a person. */
static const sop_step *next_manual(const sop_def *d, int i)
{
	for (int guard = 0; i >= 0 && guard < OA_MAX_SOP_STEPS; guard++) {
		const sop_step *s = &d->steps[i];
		if (s->action != SOP_ACT_NOTIFY && s->action != SOP_ACT_DONE)
			return s;
		i = s->next;
	}
	return NULL;
}

/* 1 if a notify step lies ahead before the next person's step or the end. */
static int notify_ahead(const sop_def *d, int i)
{
	for (int guard = 0; i >= 0 && guard < OA_MAX_SOP_STEPS; guard++) {
		const sop_step *s = &d->steps[i];
		if (s->action == SOP_ACT_NOTIFY)
			return 1;
		if (s->action != SOP_ACT_DONE)
			return 0;
		i = s->next;
	}
	return 0;
}

oa_err engine_notify_step(engine *e, struct kase *k, int step)
{
	const sop_step *s = &k->def->steps[step], *nm = next_manual(k->def, s->next);
	struct send_ctx x = {e, k, {0}, -1, OA_OK, NULL};
	oa_err rc;

	x.m.actor = "system";
	x.m.case_id = k->id;
	x.m.step = s->id;
	if (k->issued_now[0]) {
		x.m.event = MAIL_CERT_ISSUED;
		x.m.serial = k->issued_now;
		rc = send_to(&x, k->applicant);
		k->issued_now[0] = 0;
		return rc;
	} else if (k->revoked_now[0]) {
		x.m.event = MAIL_CERT_REVOKED;
		x.m.serial = k->revoked_now;
		x.m.reason = engine_reason_label(k);
		x.m.at = oa_now(); /* revoked by this act, in this transaction */
		rc = send_to(&x, k->applicant);
		k->revoked_now[0] = 0;
		return rc;
	} else if (nm && nm->action == SOP_ACT_FILL_IDENTITY) {
		x.m.event = MAIL_IDENTITY_FORM;
		x.kind = AUTH_LINK_IDENTITY_FORM;
		return send_to(&x, k->applicant);
	} else if (nm && nm->action == SOP_ACT_SET_PASSPHRASE) {
		/* The account e-mail, then the set-passphrase link. */
		x.m.event = MAIL_ACCOUNT;
		if ((rc = send_to(&x, k->applicant)))
			return rc;
		x.m.event = MAIL_SET_PASSPHRASE;
		x.kind = AUTH_LINK_SET_PASSPHRASE;
		return send_to(&x, k->applicant);
	} else {
		x.m.event = MAIL_NOTICE;
		x.m.subject = k->def->name;
		x.m.text = s->activity;
	}
	for (size_t i = 0; i < s->n_actors; i++)
		if ((rc = send_role(&x, k->def->actors[s->actors[i]].id)))
			return rc;
	return OA_OK;
}

oa_err engine_notify_act(engine *e, struct kase *k, const sop_step *s, int said_no, int next,
    const char *note, const engine_result *res)
{
	mail_msg m = {0};

	m.actor = "system";
	m.case_id = k->id;
	m.step = s->id;
	if (said_no) {
		/* The note, on one line: it travels as a message variable. */
		char line[OA_MAX_SOP_TEXT + 1];
		snprintf(line, sizeof line, "%s", note ? note : "");
		for (char *p = line; *p; p++)
			if (*p == '\n' || *p == '\t' || *p == '\r')
				*p = ' ';
		m.event = MAIL_FILE_INCOMPLETE;
		m.reason = line[0] ? line : NULL;
		return send_applicant(e, k, &m);
	}
	if (notify_ahead(k->def, next))
		return OA_OK; /* the definition's own notify step will tell them */
	if (res->issued[0]) {
		m.event = MAIL_CERT_ISSUED;
		m.serial = res->issued;
		return send_applicant(e, k, &m);
	}
	if (res->revoked[0]) {
		m.event = MAIL_CERT_REVOKED;
		m.serial = res->revoked;
		m.reason = engine_reason_label(k);
		m.at = oa_now(); /* revoked by this act, in this transaction */
		return send_applicant(e, k, &m);
	}
	return OA_OK;
}

/* ---- SLA reminders and escalations ---------------------------------- */

struct remind_row {
	int64_t id, version_id, opened, due;
	int turn;
	char org[65], applicant[65], arole[OA_MAX_SOP_ID + 1], step[OA_MAX_SOP_ID + 1];
};

/* When a reminder (or escalation) of this kind was last sent for the
 * step's current opening; 0 if never. */
static oa_err last_sent(engine *e, const struct remind_row *r, const char *kind, int64_t *at)
{
	store_stmt *st = store_prepare(engine_store(e),
	    "SELECT COALESCE(MAX(sent_at), 0) FROM sop_reminder WHERE case_id = ? AND step = ?"
	    " AND step_opened_at = ? AND kind = ?");
	int step;

	*at = 0;
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, r->id);
	store_bind_text(st, 2, r->step);
	store_bind_int(st, 3, r->opened);
	store_bind_text(st, 4, kind);
	if ((step = store_step(st)) == STORE_ROW)
		*at = store_col_int(st, 0);
	store_reset(st);
	return step < 0 ? OA_ERR_STORE : OA_OK;
}

static oa_err note_sent(engine *e, const struct remind_row *r, const char *kind, int64_t now,
    int64_t n)
{
	store_stmt *st = store_prepare(engine_store(e),
	    "INSERT INTO sop_reminder(case_id, step, step_opened_at, kind, sent_at, recipients)"
	    " VALUES (?, ?, ?, ?, ?, ?)");

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, r->id);
	store_bind_text(st, 2, r->step);
	store_bind_int(st, 3, r->opened);
	store_bind_text(st, 4, kind);
	store_bind_int(st, 5, now);
	store_bind_int(st, 6, n);
	return store_run(st);
}

struct count_ctx {
	struct send_ctx x;
	int64_t n;
};

static int count_holder_cb(const char *person, const char *role, void *arg)
{
	struct count_ctx *c = arg;
	auth_person p;

	if (strcmp(role, c->x.role) != 0)
		return 0;
	if (auth_person_get(engine_auth(c->x.e), person, &p) == OA_OK && !p.disabled && p.email[0])
		c->n++;
	return (c->x.rc = send_to(&c->x, person)) != OA_OK;
}

/* Sends m to the holders of role (the applicant for the applicant role). */
static oa_err send_counted(engine *e, struct kase *k, const mail_msg *m, const char *role,
    int64_t *n)
{
	struct count_ctx c = {{e, k, *m, -1, OA_OK, role}, 0};
	oa_err rc;

	if (strcmp(role, k->applicant_role) == 0) {
		if ((rc = send_to(&c.x, k->applicant)))
			return rc;
		(*n)++;
		return OA_OK;
	}
	if ((rc = auth_role_list(engine_auth(e), k->org, NULL, count_holder_cb, &c)))
		return rc;
	*n += c.n;
	return c.x.rc;
}

static oa_err remind_one(engine *e, const struct remind_row *r, int64_t now, int64_t *sent)
{
	const conf *cfg = engine_conf(e);
	int64_t every = conf_int(cfg, "sla.remind_minutes") * 60;
	int64_t escalate = conf_int(cfg, "sla.escalate_minutes") * 60;
	const char *head = conf_str(cfg, "sla.escalate_to");
	struct kase k;
	const sop_step *s;
	mail_msg m = {0};
	int64_t last, n = 0;
	int own = !store_in_tx(engine_store(e)), i;
	oa_err rc;

	if (own && (rc = store_begin(engine_store(e))))
		return rc;
	memset(&k, 0, sizeof k);
	k.id = r->id;
	snprintf(k.org, sizeof k.org, "%s", r->org);
	snprintf(k.applicant, sizeof k.applicant, "%s", r->applicant);
	snprintf(k.applicant_role, sizeof k.applicant_role, "%s", r->arole);
	if ((rc = engine_case_def(e, r->id, &k.def)))
		goto out;
	if ((i = sop_step_index(k.def, r->step)) < 0)
		goto out;
	s = &k.def->steps[i];
	m.actor = "system";
	m.case_id = r->id;
	m.step = s->id;
	m.due_at = r->due;
	if ((rc = last_sent(e, r, "reminder", &last)))
		goto out;
	if (last == 0 || now - last >= every) {
		m.event = MAIL_SLA_REMINDER;
		for (size_t j = 0; j < s->n_actors; j++)
			if ((!s->in_turn || (int)j == r->turn) &&
			    (rc = send_counted(e, &k, &m, k.def->actors[s->actors[j]].id, &n)))
				goto out;
		if ((rc = note_sent(e, r, "reminder", now, n)))
			goto out;
		*sent += n;
	}
	if (*head && now - r->due >= escalate) {
		if ((rc = last_sent(e, r, "escalation", &last)))
			goto out;
		if (last == 0) {
			n = 0;
			m.event = MAIL_SLA_ESCALATION;
			if ((rc = send_counted(e, &k, &m, head, &n)) ||
			    (rc = note_sent(e, r, "escalation", now, n)))
				goto out;
			*sent += n;
		}
	}
out:
	if (own) {
		if (rc == OA_OK)
			rc = store_commit(engine_store(e));
		else
			store_rollback(engine_store(e));
	}
	return rc;
}

oa_err engine_remind(engine *e, int64_t now, int64_t *sent)
{
	store_stmt *st;
	struct remind_row *rows = NULL, *nr;
	size_t n = 0, cap = 0;
	int64_t total = 0;
	int step;
	oa_err rc = OA_OK;

	if (sent)
		*sent = 0;
	st = store_prepare(engine_store(e),
	    "SELECT id, version_id, step_opened_at, step_due_at, org, applicant, applicant_role, step,"
	    " turn FROM sop_case WHERE state = 'open' AND step_due_at < ? ORDER BY step_due_at LIMIT 1000");
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, now);
	while ((step = store_step(st)) == STORE_ROW) {
		if (n == cap) {
			if ((nr = realloc(rows, (cap = cap ? cap * 2 : 32) * sizeof *rows)) == NULL) {
				rc = oa_fail(OA_ERR_NOMEM, "out of memory");
				break;
			}
			rows = nr;
		}
		memset(&rows[n], 0, sizeof rows[n]);
		rows[n].id = store_col_int(st, 0);
		rows[n].version_id = store_col_int(st, 1);
		rows[n].opened = store_col_int(st, 2);
		rows[n].due = store_col_int(st, 3);
		snprintf(rows[n].org, sizeof rows[n].org, "%s", store_col_text(st, 4));
		snprintf(rows[n].applicant, sizeof rows[n].applicant, "%s", store_col_text(st, 5));
		snprintf(rows[n].arole, sizeof rows[n].arole, "%s", store_col_text(st, 6));
		snprintf(rows[n].step, sizeof rows[n].step, "%s", store_col_text(st, 7));
		rows[n].turn = (int)store_col_int(st, 8);
		n++;
	}
	store_reset(st);
	if (rc == OA_OK && step < 0)
		rc = OA_ERR_STORE;
	for (size_t i = 0; rc == OA_OK && i < n; i++)
		rc = remind_one(e, &rows[i], now, &total);
	free(rows);
	if (sent)
		*sent = total;
	return rc;
}
