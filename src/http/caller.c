/*
 * caller.c - who is asking and what they may do, shared by the JSON API
 * and the portal so both decide alike: query arguments, roles, a case's
 * participants, the sign-in lockout, and the administration rules (who
 * manages which agency, which roles may be granted, acceptable SOP text).
 */
#include <string.h>

#include "../conf/conf.h"
#include "http.h"

const char *web_query(web_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int web_holds(const web_user *u, const char *role)
{
	return auth_who_holds(&u->w, role);
}

int web_locked(web_req *r, const char *login)
{
	auth_person p;
	int locked = 0;

	if ((strchr(login, '@') ? auth_person_by_email(r->auth, login, &p)
	                        : auth_person_get(r->auth, login, &p)) == OA_OK)
		locked = p.locked_until > oa_now();
	oa_err_clear();
	return locked;
}

int web_participant(web_req *r, const web_user *u, const engine_case *c)
{
	const sop_def *d = NULL;

	if (strcmp(u->w.person, c->applicant) == 0)
		return 1;
	if (strcmp(u->w.org, c->org) != 0)
		return 0;
	if (engine_case_def(r->engine, c->id, &d) != OA_OK || d == NULL) {
		oa_err_clear();
		return 0;
	}
	/* The applicant role (first actor of the first step) does not make
	 * someone a participant of another person's case. */
	for (size_t i = 0; i < d->n_actors; i++) {
		if (d->n_steps > 0 && d->steps[0].n_actors > 0 && (int)i == d->steps[0].actors[0])
			continue;
		if (auth_who_holds(&u->w, d->actors[i].id))
			return 1;
	}
	return 0;
}

int web_admin_super(web_req *r, const web_user *u)
{
	return strcmp(u->w.org, conf_str(inst_conf(r->in), "instance.org")) == 0;
}

int web_admin_may(web_req *r, const web_user *u, const char *org)
{
	return web_holds(u, AUTH_ROLE_ADMIN) &&
	    (org == NULL || strcmp(org, u->w.org) == 0 || web_admin_super(r, u));
}

int web_yaml_ok(const char *text, size_t len)
{
	if (text == NULL || len == 0 || strlen(text) != len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}
