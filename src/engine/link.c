/*
 * link.c - what the e-mailed one-time links do, each as one transaction of
 * its own: using a link (consume it and act: the identity form, the
 * passphrase, a new password) and mailing a password-reset link (the link
 * and its e-mail).  The portal's link pages only read the form and answer;
 * the composite operation is here, so the web layer holds no transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mail/mail.h"
#include "../common/util.h"
#include "engineInt.h"

/* The case is open at a step of action act for person; fills the step and
 * the role to act in. */
static oa_err link_step(engine *e, int64_t case_id, const char *person, sop_action act,
    engine_case *c, const char **role)
{
	const sop_def *def;
	oa_err rc;

	if ((rc = engine_case_get(e, case_id, c)) || (rc = engine_case_def(e, case_id, &def)))
		return rc;
	if (strcmp(c->state, "open") != 0 || strcmp(c->applicant, person) != 0)
		return oa_fail(OA_ERR_STATE, "the case is no longer waiting for this link");
	for (size_t i = 0; i < def->n_steps; i++) {
		const sop_step *s = &def->steps[i];
		if (strcmp(s->id, c->step) != 0)
			continue;
		if (s->action != act || s->n_actors == 0)
			break;
		*role = def->actors[s->actors[0]].id;
		return OA_OK;
	}
	return oa_fail(OA_ERR_STATE, "the case is not at the step of this link");
}

static oa_err link_act(engine *e, const engine_link_req *u, const char *person, int64_t case_id)
{
	engine_case c;
	engine_act a = {0};
	engine_result res;
	const char *role = NULL;
	const char *pk[1] = {"passphrase"};
	auth_who *w;
	oa_err rc;

	if ((w = malloc(sizeof *w)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if ((rc = link_step(e, case_id, person, u->kind == AUTH_LINK_IDENTITY_FORM ?
	         SOP_ACT_FILL_IDENTITY : SOP_ACT_SET_PASSPHRASE, &c, &role)) ||
	    (rc = auth_who_get(engine_auth(e), person, c.org, w)))
		goto out;
	a.case_id = case_id;
	a.step = c.step;
	a.role = role;
	if (u->kind == AUTH_LINK_IDENTITY_FORM) {
		if ((rc = engine_case_photo(e, &w->who, case_id, u->photo_sha256, u->photo_name)))
			goto out;
		a.keys = u->keys;
		a.values = u->values;
		a.ndata = u->ndata;
	} else {
		a.keys = pk;
		a.values = &u->secret;
		a.ndata = 1;
	}
	memset(&res, 0, sizeof res);
	rc = engine_case_act(e, &w->who, &a, &res);
out:
	free(w);
	return rc;
}

oa_err engine_link_use(engine *e, const engine_link_req *u, char person[AUTH_MAX_ID + 1],
    int *link_refused)
{
	store *db = engine_store(e);
	int64_t case_id = 0;
	int own;
	oa_err rc;

	*link_refused = 0;
	person[0] = 0;
	if (u->kind != AUTH_LINK_IDENTITY_FORM && u->kind != AUTH_LINK_SET_PASSPHRASE &&
	    u->kind != AUTH_LINK_ACTIVATION && u->kind != AUTH_LINK_PASSWORD_RESET)
		return oa_fail(OA_ERR_INVALID, "no such link kind");
	if ((rc = store_tx_begin(db, &own)))
		return rc;
	if ((rc = auth_link_consume(engine_auth(e), u->kind, u->token, person, &case_id))) {
		*link_refused = 1;
		person[0] = 0;
		goto out;
	}
	if (u->kind == AUTH_LINK_IDENTITY_FORM || u->kind == AUTH_LINK_SET_PASSPHRASE)
		rc = link_act(e, u, person, case_id);
	else
		rc = auth_password_set(engine_auth(e), person, u->secret, NULL, person);
out:
	return store_tx_end(db, own, rc);
}

oa_err engine_link_mail_reset(engine *e, const auth_person *p)
{
	store *db = engine_store(e);
	char tok[AUTH_TOKEN_LEN + 1], path[128];
	mail_msg m;
	int en, own;
	oa_err rc;

	if ((rc = store_tx_begin(db, &own)))
		return rc;
	if ((rc = auth_link_create(engine_auth(e), AUTH_LINK_PASSWORD_RESET, p->id, 0, 0, p->id,
	         tok)))
		return store_tx_end(db, own, rc);
	en = strcmp(p->lang, "en") == 0;
	snprintf(path, sizeof path, "%s%s/%s", MAIL_PATH_LINK,
	    auth_link_kind_name(AUTH_LINK_PASSWORD_RESET), tok);
	memset(&m, 0, sizeof m);
	m.event = MAIL_NOTICE;
	m.lang = en ? "en" : "id";
	m.to_name = p->name;
	m.to_addr = p->email;
	m.person = p->id;
	m.actor = p->id;
	m.token = tok;
	m.path = path;
	m.subject = en ? "Choose a new password" : "Buat kata sandi baru";
	m.text = en ? "Someone (hopefully you) asked for a new password for your account. Choose "
	              "a new password with the link below. The link works once and expires.\n\n"
	              "If you did not ask for it, ignore this e-mail: your password stays as it is."
	            : "Seseorang (semoga Anda) meminta kata sandi baru untuk akun Anda. Buat kata "
	              "sandi baru melalui tautan di bawah. Tautan ini hanya dapat digunakan satu "
	              "kali dan berlaku terbatas.\n\nJika Anda tidak memintanya, abaikan e-mail "
	              "ini: kata sandi Anda tetap seperti semula.";
	rc = mail_enqueue(db, engine_conf(e), &m, NULL);
	oa_wipe(tok, sizeof tok);
	oa_wipe(path, sizeof path);
	return store_tx_end(db, own, rc);
}
