/*
 * case_util.c - what the portal's case pages share (pc_*, portalInt.h):
 * ids and query values, who may see a case, the labels of kinds, states,
 * SLA badges, actors and documents of a definition, and the role a person
 * acts in at a step.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "portalInt.h"

/* ---- small helpers ---- */

int pc_parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (s == NULL || *s < '1' || *s > '9' || strlen(s) > 18)
		return 0;
	v = strtoll(s, &end, 10);
	if (*end || v <= 0)
		return 0;
	*id = (int64_t)v;
	return 1;
}

const char *pc_query(web_req *r, const char *k)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, k);
}

/* The case if u may see it; otherwise a 404 page and 0. */
int pc_visible(web_req *r, web_user *u, const char *param, engine_case *c)
{
	int64_t id;
	oa_err rc = OA_ERR_NOTFOUND;

	if (pc_parse_id(param, &id) && (rc = engine_case_get(r->engine, id, c)) == OA_OK &&
	    web_participant(r, u, c))
		return 1;
	if (rc && rc != OA_ERR_NOTFOUND) {
		pg_err(r, u, rc, "/portal");
		return 0;
	}
	oa_err_clear();
	r->errcode = oa_err_name(OA_ERR_NOTFOUND);
	pg_refused(r, u, 404, "Permohonan tidak ditemukan", "Case not found",
	    "case_unknown", "/portal");
	return 0;
}

const char *pc_kind_id(const char *k)
{
	if (strcmp(k, "issuance") == 0)
		return "Penerbitan";
	if (strcmp(k, "revocation") == 0)
		return "Pencabutan";
	if (strcmp(k, "renewal") == 0)
		return "Pembaruan";
	if (strcmp(k, "passphrase_reset") == 0)
		return "Atur ulang passphrase";
	return k;
}

const char *pc_kind_en(const char *k)
{
	if (strcmp(k, "issuance") == 0)
		return "Issuance";
	if (strcmp(k, "revocation") == 0)
		return "Revocation";
	if (strcmp(k, "renewal") == 0)
		return "Renewal";
	if (strcmp(k, "passphrase_reset") == 0)
		return "Passphrase reset";
	return k;
}

void pc_state_badge(pg *p, const char *state)
{
	if (strcmp(state, "open") == 0)
		pg_raw(p, "<span class=\"badge due\">Berjalan <span class=\"en\" lang=\"en\">/ open</span></span>");
	else if (strcmp(state, "completed") == 0)
		pg_raw(p, "<span class=\"badge ok\">Selesai <span class=\"en\" lang=\"en\">/ completed</span></span>");
	else if (strcmp(state, "rejected") == 0)
		pg_raw(p, "<span class=\"badge late\">Ditolak <span class=\"en\" lang=\"en\">/ rejected</span></span>");
	else
		pg_raw(p, "<span class=\"badge\">Ditarik <span class=\"en\" lang=\"en\">/ withdrawn</span></span>");
}

/* The SLA state of an open step: time left, or how late; none without a standard. */
void pc_sla_badge(pg *p, int64_t due, int64_t now)
{
	if (due <= 0) {
		pg_raw(p, "<span class=\"badge\">Tanpa waktu baku <span class=\"en\" lang=\"en\">/ no "
		          "standard time</span></span>");
		return;
	}
	if (due < now) {
		pg_raw(p, "<span class=\"badge late\">Terlambat ");
		pg_duration(p, now - due);
		pg_raw(p, " <span class=\"en\" lang=\"en\">/ overdue</span></span>");
	} else {
		pg_raw(p, "<span class=\"badge due\">Sisa ");
		pg_duration(p, due - now);
		pg_raw(p, " <span class=\"en\" lang=\"en\">/ left</span></span>");
	}
}

const sop_def *pc_case_def(web_req *r, int64_t id)
{
	const sop_def *d = NULL;

	if (engine_case_def(r->engine, id, &d) != OA_OK) {
		oa_err_clear();
		return NULL;
	}
	return d;
}

const sop_step *pc_def_step(const sop_def *d, const char *id)
{
	int i = d && id && *id ? sop_step_index(d, id) : -1;

	return i >= 0 ? &d->steps[i] : NULL;
}

const char *pc_actor_name(const sop_def *d, const char *role)
{
	if (d)
		for (size_t i = 0; i < d->n_actors; i++)
			if (strcmp(d->actors[i].id, role) == 0)
				return d->actors[i].name ? d->actors[i].name : role;
	return role;
}

const char *pc_doc_name(const sop_def *d, const char *doc)
{
	if (strcmp(doc, ENGINE_DOC_PHOTO) == 0)
		return "Pasfoto / Photo";
	if (d)
		for (size_t i = 0; i < d->n_documents; i++)
			if (strcmp(d->documents[i].id, doc) == 0)
				return d->documents[i].name ? d->documents[i].name : doc;
	return doc;
}

/* The step's actors as a list of names ("A, B"; in turn "A &rarr; B"). */
void pc_step_actors(pg *p, const sop_def *d, const sop_step *s)
{
	for (size_t i = 0; i < s->n_actors; i++) {
		if (i)
			pg_raw(p, s->in_turn ? " &rarr; " : ", ");
		pg_text(p, d->actors[s->actors[i]].name ? d->actors[s->actors[i]].name
		                                         : d->actors[s->actors[i]].id);
	}
}

/* The role u acts in at step s of case c, or NULL: a role of the step u
 * holds; the applicant role (first actor of the first step) only for the
 * applicant, the other roles never on one's own case.  The engine checks
 * again. */
const char *pc_acting_role(const web_user *u, const engine_case *c, const sop_def *d,
    const sop_step *s)
{
	int app = d->n_steps > 0 && d->steps[0].n_actors > 0 ? d->steps[0].actors[0] : -1;
	int mine = strcmp(u->w.person, c->applicant) == 0;

	if (strcmp(c->state, "open") != 0 || strcmp(u->w.org, c->org) != 0)
		return NULL;
	for (size_t i = 0; i < s->n_actors; i++) {
		const char *role = d->actors[s->actors[i]].id;
		if ((s->actors[i] == app) != mine || (s->in_turn && (int)i != c->turn))
			continue;
		if (auth_who_holds(&u->w, role))
			return role;
	}
	return NULL;
}
