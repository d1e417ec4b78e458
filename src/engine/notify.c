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
	}
	rc = mail_enqueue(engine_store(x->e), ca_config(engine_ca(x->e)), &m, NULL);
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
		x.m.reason = k->reason[0] ? k->reason : NULL;
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
		m.reason = k->reason[0] ? k->reason : NULL;
		return send_applicant(e, k, &m);
	}
	return OA_OK;
}
