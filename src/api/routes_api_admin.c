/*
 * routes_api_admin.c - administration through the JSON API (role "admin").
 *
 *   GET  /api/v1/orgs                         agencies
 *   POST /api/v1/orgs                         {id, name}            (instance admin)
 *   GET  /api/v1/people?org=                  people of an agency
 *   POST /api/v1/people                       {id, org?, name, nik?, nip?, email,
 *                                              position?, unit?, staff_only?, password?}
 *   POST /api/v1/people/{id}/password         {password}
 *   GET  /api/v1/roles?org=                   role holders
 *   POST /api/v1/roles                        {person, org?, role}
 *   DELETE /api/v1/roles/{org}/{person}/{role}
 *   POST /api/v1/sops/check                   YAML body -> {valid, errors: [{line, message}],
 *                                             warnings: [{line, message}]}
 *   POST /api/v1/sops?activate=yes            YAML body -> installs (422 with errors)
 *   POST /api/v1/sops/versions/{id}/activate
 *   POST /api/v1/sops/render?format=html|svg  YAML body -> the rendering
 *   GET  /api/v1/audit?limit=N&org=&actor=&action=  the last N audit records of the
 *                                             caller's agency (max 1000; all: instance admins)
 *   GET  /api/v1/audit/verify                 the hash chain checked
 *
 * An administrator manages their own agency; an administrator of the
 * instance's agency (instance.org) manages every agency and creates them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "apiInt.h"

/* The caller if they are an admin allowed to manage org (NULL: their own). */
static web_user *admin(web_req *r, const char *org)
{
	web_user *u = api_auth(r);

	if (u == NULL)
		return NULL;
	if (!web_admin_may(r, u, org)) {
		api_denied(r);
		return NULL;
	}
	return u;
}

static int super(web_req *r, const web_user *u)
{
	return web_admin_super(r, u);
}

/* ---- organisations ---- */

struct orgs {
	json_t *a;
	const char *only; /* NULL: every agency */
};

static int org_cb(const auth_org *o, void *arg)
{
	struct orgs *x = arg;

	if (x->only == NULL || strcmp(x->only, o->id) == 0)
		json_array_append_new(x->a, json_pack("{s:s,s:s,s:o}", "id", o->id, "name", o->name,
		                                  "created_at", api_time(o->created_at)));
	return 0;
}

/* The instance's administrators see every agency; others their own. */
static void h_orgs(web_req *r)
{
	web_user *u = admin(r, NULL);
	struct orgs x;
	json_t *a;
	oa_err rc;

	if (u == NULL)
		return;
	a = x.a = json_array();
	x.only = super(r, u) ? NULL : u->w.org;
	if ((rc = auth_org_list(r->auth, org_cb, &x))) {
		json_decref(a);
		web_reply_err(r, rc);
		return;
	}
	web_reply_json(r, 200, json_pack("{s:o}", "orgs", a));
}

static void h_org_create(web_req *r)
{
	web_user *u = admin(r, NULL);
	json_t *j;
	const char *id, *name;
	oa_err rc;

	if (u == NULL)
		return;
	if (!super(r, u)) {
		api_denied(r);
		return;
	}
	if ((j = api_body(r)) == NULL)
		return;
	if (api_str(r, j, "id", 1, AUTH_MAX_ID, &id) &&
	    api_str(r, j, "name", 1, 4 * AUTH_MAX_TEXT, &name)) {
		if ((rc = auth_org_create(r->auth, id, name, u->w.person)))
			api_err(r, rc);
		else
			web_reply_json(r, 201, json_pack("{s:s,s:s}", "id", id, "name", name));
	}
	json_decref(j);
}

/* ---- people ---- */

static int person_cb(const auth_person *p, void *arg)
{
	json_array_append_new(arg,
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b}", "id", p->id, "org", p->org, "name",
	        p->name, "email", p->email, "position", p->position, "unit", p->unit, "staff_only",
	        p->staff_only, "disabled", p->disabled, "totp", p->totp_enrolled));
	return 0;
}

static void h_people(web_req *r)
{
	const char *org = web_query(r, "org");
	web_user *u = admin(r, org && *org ? org : NULL);
	json_t *a;
	oa_err rc;

	if (u == NULL)
		return;
	a = json_array();
	if ((rc = auth_person_list(r->auth, org && *org ? org : u->w.org, person_cb, a))) {
		json_decref(a);
		web_reply_err(r, rc);
		return;
	}
	web_reply_json(r, 200, json_pack("{s:o}", "people", a));
}

static int opt_bool(web_req *r, json_t *j, const char *key, int *out)
{
	json_t *v = json_object_get(j, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 1;
	if (!json_is_boolean(v)) {
		web_reply_fail(r, 400, "invalid_type", "Kolom harus boolean", "Field must be a boolean");
		return 0;
	}
	*out = json_is_true(v);
	return 1;
}

static void h_person_create(web_req *r)
{
	web_user *u;
	json_t *j;
	auth_person_in p = {0};
	const char *pass = NULL;
	oa_err rc;

	if ((u = api_auth(r)) == NULL)
		return;
	if ((j = api_body(r)) == NULL)
		return;
	/* Setting the new person's password is a credential change. */
	if (json_object_get(j, "password") && !json_is_null(json_object_get(j, "password")) &&
	    api_auth_credentials(r) == NULL) {
		json_decref(j);
		return;
	}
	if (!api_str(r, j, "id", 1, AUTH_MAX_ID, &p.id) || !api_str(r, j, "org", 0, AUTH_MAX_ID, &p.org) ||
	    !api_str(r, j, "name", 1, 4 * AUTH_MAX_TEXT, &p.name) ||
	    !api_str(r, j, "nik", 0, 16, &p.nik) || !api_str(r, j, "nip", 0, 18, &p.nip) ||
	    !api_str(r, j, "email", 1, OA_MAX_EMAIL_CHARS, &p.email) ||
	    !api_str(r, j, "position", 0, 4 * AUTH_MAX_TEXT, &p.position) ||
	    !api_str(r, j, "unit", 0, 4 * AUTH_MAX_TEXT, &p.unit) ||
	    !api_str(r, j, "lang", 0, 2, &p.lang) || !api_str(r, j, "password", 0, 1024, &pass) ||
	    !opt_bool(r, j, "staff_only", &p.staff_only))
		goto out;
	if (p.org == NULL)
		p.org = u->w.org;
	if (!web_holds(u, AUTH_ROLE_ADMIN) || (strcmp(p.org, u->w.org) != 0 && !super(r, u))) {
		api_denied(r);
		goto out;
	}
	/* The person and their password, together (auth's one transaction). */
	if ((rc = auth_person_create_with_password(r->auth, &p, pass, 0, u->w.person))) {
		api_err(r, rc);
		goto out;
	}
	web_reply_json(r, 201, json_pack("{s:s,s:s}", "id", p.id, "org", p.org));
out:
	if (pass)
		oa_wipe((void *)(uintptr_t)pass, strlen(pass));
	json_decref(j);
	if (r->body)
		oa_wipe(r->body, r->body_len);
}

static void h_password(web_req *r)
{
	web_user *u;
	json_t *j;
	const char *pass = NULL;
	auth_person p;
	oa_err rc;

	if ((u = api_auth_credentials(r)) == NULL)
		return;
	if ((rc = auth_person_get(r->auth, r->param[0], &p))) {
		api_err(r, rc);
		return;
	}
	if (!web_holds(u, AUTH_ROLE_ADMIN) || (strcmp(p.org, u->w.org) != 0 && !super(r, u))) {
		api_denied(r);
		return;
	}
	if ((j = api_body(r)) == NULL)
		return;
	if (api_str(r, j, "password", 1, 1024, &pass)) {
		if ((rc = auth_password_set(r->auth, p.id, pass, NULL, u->w.person)))
			api_err(r, rc);
		else
			web_reply(r, 204, NULL, "", 0, MHD_RESPMEM_PERSISTENT);
	}
	if (pass)
		oa_wipe((void *)(uintptr_t)pass, strlen(pass));
	json_decref(j);
	if (r->body)
		oa_wipe(r->body, r->body_len);
}

/* ---- roles ---- */

static int role_cb(const char *person, const char *role, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:s}", "person", person, "role", role));
	return 0;
}

static void h_roles(web_req *r)
{
	const char *org = web_query(r, "org");
	web_user *u = admin(r, org && *org ? org : NULL);
	json_t *a;
	oa_err rc;

	if (u == NULL)
		return;
	a = json_array();
	if ((rc = auth_role_list(r->auth, org && *org ? org : u->w.org, NULL, role_cb, a))) {
		json_decref(a);
		web_reply_err(r, rc);
		return;
	}
	web_reply_json(r, 200, json_pack("{s:o}", "roles", a));
}

static void h_role_grant(web_req *r)
{
	web_user *u;
	json_t *j;
	const char *person, *org, *role;
	oa_err rc;

	if ((u = api_auth(r)) == NULL || (j = api_body(r)) == NULL)
		return;
	if (api_str(r, j, "person", 1, AUTH_MAX_ID, &person) &&
	    api_str(r, j, "org", 0, AUTH_MAX_ID, &org) && api_str(r, j, "role", 1, AUTH_MAX_ID, &role)) {
		if (org == NULL)
			org = u->w.org;
		if (!web_holds(u, AUTH_ROLE_ADMIN) || (strcmp(org, u->w.org) != 0 && !super(r, u)))
			api_denied(r);
		else if ((rc = engine_role_grantable(r->engine, person, org, role)) ||
		         (rc = auth_role_grant(r->auth, person, org, role, u->w.person)))
			api_err(r, rc);
		else
			web_reply_json(r, 201, json_pack("{s:s,s:s,s:s}", "person", person, "org", org,
			                           "role", role));
	}
	json_decref(j);
}

static void h_role_revoke(web_req *r)
{
	web_user *u = admin(r, r->param[0]);
	oa_err rc;

	if (u == NULL)
		return;
	if ((rc = auth_role_revoke(r->auth, r->param[1], r->param[0], r->param[2], u->w.person)))
		api_err(r, rc);
	else
		web_reply(r, 204, NULL, "", 0, MHD_RESPMEM_PERSISTENT);
}

/* ---- SOP definitions ---- */

static json_t *errors_json(const sop_errors *e)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < e->n; i++)
		json_array_append_new(a, json_pack("{s:i,s:s}", "line", e->v[i].line, "message",
		                             e->v[i].msg ? e->v[i].msg : ""));
	return a;
}

/* The body as YAML text (non-empty, clean UTF-8); replies 400 otherwise. */
static const char *yaml_body(web_req *r)
{
	if (!web_yaml_ok((const char *)r->body, r->body_len)) {
		web_reply_fail(r, 400, oa_err_name(OA_ERR_INVALID),
		    "Isi harus berupa teks YAML (UTF-8)", "The body must be YAML text (UTF-8)");
		return NULL;
	}
	return (const char *)r->body;
}

static void h_sop_check(web_req *r)
{
	sop_def *d = NULL;
	sop_errors errs = {0}, warns = {0};
	const char *text;
	oa_err rc;

	if (admin(r, NULL) == NULL || (text = yaml_body(r)) == NULL)
		return;
	rc = sop_parse("upload.yaml", text, r->body_len, &d, &errs);
	if (rc && rc != OA_ERR_INVALID) {
		sop_errors_free(&errs);
		api_err(r, rc);
		return;
	}
	if (rc == OA_OK)
		sop_lint(d, &warns);
	web_reply_json(r, 200, json_pack("{s:b,s:o,s:o,s:o}", "valid", rc == OA_OK, "id",
	                           d ? json_string(d->id) : json_null(), "errors", errors_json(&errs),
	                           "warnings", errors_json(&warns)));
	sop_errors_free(&errs);
	sop_errors_free(&warns);
	sop_free(d);
	oa_err_clear();
}

static void h_sop_install(web_req *r)
{
	web_user *u = admin(r, NULL);
	const char *text, *act = web_query(r, "activate");
	sop_def *d = NULL;
	sop_errors errs = {0};
	int64_t vid = 0;
	int on;
	oa_err rc;

	if (u == NULL)
		return;
	/* activate=yes (documented), 1 or true; no, 0, false or absent: not */
	if (act && strcmp(act, "yes") && strcmp(act, "1") && strcmp(act, "true") &&
	    strcmp(act, "no") && strcmp(act, "0") && strcmp(act, "false")) {
		web_reply_fail(r, 400, oa_err_name(OA_ERR_INVALID),
		    "activate harus yes atau no", "activate must be yes or no");
		return;
	}
	on = act && (strcmp(act, "yes") == 0 || strcmp(act, "1") == 0 || strcmp(act, "true") == 0);
	if ((text = yaml_body(r)) == NULL)
		return;
	if ((rc = sop_parse("upload.yaml", text, r->body_len, &d, &errs)) == OA_OK)
		rc = engine_sop_install(r->engine, u->w.org, d->id, text, on, u->w.person, &vid,
		    &errs);
	if (rc == OA_ERR_INVALID && errs.n > 0) {
		json_t *j = json_pack("{s:{s:s,s:{s:s,s:s},s:o}}", "error", "code", "validation",
		    "message", "id", "Definisi SOP tidak sah", "en", "The SOP definition is invalid",
		    "errors", errors_json(&errs));
		r->errcode = "validation";
		web_reply_json(r, 422, j);
	} else if (rc)
		api_err(r, rc);
	else
		web_reply_json(r, 201, json_pack("{s:s,s:I,s:b}", "sop", d->id, "version_id",
		                           (json_int_t)vid, "active", on));
	sop_errors_free(&errs);
	sop_free(d);
}

static void h_sop_activate(web_req *r)
{
	web_user *u = admin(r, NULL);
	char org[AUTH_MAX_ID + 1], *end;
	long long v;
	oa_err rc = OA_ERR_NOTFOUND;

	if (u == NULL)
		return;
	v = strtoll(r->param[0], &end, 10);
	if (*end || v <= 0 || (rc = engine_sop_version(r->engine, v, org, sizeof org, NULL)) != OA_OK) {
		if (rc == OA_ERR_STORE) {
			web_reply_err(r, rc);
			return;
		}
		oa_err_clear();
		web_reply_fail(r, 404, oa_err_name(OA_ERR_NOTFOUND), "Versi tidak ditemukan",
		    "No such version");
		return;
	}
	/* Only a version of an agency the caller manages (as the portal). */
	if (!web_admin_may(r, u, org)) {
		api_denied(r);
		return;
	}
	if ((rc = engine_sop_activate(r->engine, v, u->w.person)))
		api_err(r, rc);
	else
		web_reply_json(r, 200, json_pack("{s:I,s:b}", "version_id", (json_int_t)v, "active", 1));
}

static void buf_free(void *p) { free(p); }

static void h_sop_render(web_req *r)
{
	const char *text, *fmt = web_query(r, "format");
	sop_def *d = NULL;
	sop_errors errs = {0};
	oa_buf out = {0};
	int svg;
	oa_err rc;

	if (admin(r, NULL) == NULL || (text = yaml_body(r)) == NULL)
		return;
	if (fmt == NULL || (strcmp(fmt, "html") && strcmp(fmt, "svg"))) {
		web_reply_fail(r, 422, "validation", "format: html atau svg", "format must be html or svg");
		return;
	}
	svg = strcmp(fmt, "svg") == 0;
	if ((rc = sop_parse("upload.yaml", text, r->body_len, &d, &errs))) {
		json_t *j = json_pack("{s:{s:s,s:{s:s,s:s},s:o}}", "error", "code", "validation",
		    "message", "id", "Definisi SOP tidak sah", "en", "The SOP definition is invalid",
		    "errors", errors_json(&errs));
		r->errcode = "validation";
		sop_errors_free(&errs);
		web_reply_json(r, 422, j);
		return;
	}
	rc = svg ? sop_render_svg(d, &out) : sop_render_html(d, &out);
	sop_free(d);
	if (rc) {
		free(out.data);
		web_reply_err(r, rc);
		return;
	}
	web_reply_owned(r, 200, svg ? "image/svg+xml" : "text/html; charset=utf-8", out.data, out.len,
	    buf_free, out.data);
	if (r->resp == NULL)
		free(out.data);
	web_header(r, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
}

/* ---- audit ---- */

static int audit_cb(const audit_record *x, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:s}", "seq",
	                               (json_int_t)x->seq, "at", api_time(x->at), "actor", x->actor,
	                               "action", x->action, "object", x->object, "detail", x->detail,
	                               "hash", x->hash));
	return 0;
}

/* An agency's administrator reads the records of their agency; the
 * instance's administrators read every record, or one agency's (?org=). */
static void h_audit(web_req *r)
{
	const char *ls = web_query(r, "limit"), *org = web_query(r, "org");
	audit_query q = {.limit = 100};
	web_user *u;
	json_t *a;
	oa_err rc;

	if ((u = admin(r, org)) == NULL)
		return;
	if (ls) {
		char *end;
		q.limit = strtol(ls, &end, 10);
		if (*end || q.limit < 1 || q.limit > OA_MAX_AUDIT_PAGE) {
			web_reply_fail(r, 422, "validation", "limit: 1..1000", "limit must be 1..1000");
			return;
		}
	}
	q.org = org ? org : super(r, u) ? NULL : u->w.org;
	q.actor = web_query(r, "actor");
	q.action = web_query(r, "action");
	a = json_array();
	if ((rc = audit_list(inst_store(r->in), &q, audit_cb, a))) {
		json_decref(a);
		web_reply_err(r, rc);
		return;
	}
	web_reply_json(r, 200, json_pack("{s:o}", "records", a));
}

static void h_audit_verify(web_req *r)
{
	audit_report rep;
	oa_err rc;

	if (admin(r, NULL) == NULL)
		return;
	memset(&rep, 0, sizeof rep);
	rc = audit_verify(inst_store(r->in), &rep);
	if (rc && rc != OA_ERR_STATE) {
		web_reply_err(r, rc);
		return;
	}
	oa_err_clear();
	web_reply_json(r, 200, json_pack("{s:b,s:I,s:I,s:s,s:s}", "intact", rc == OA_OK, "rows",
	                           (json_int_t)rep.rows, "first_bad", (json_int_t)rep.first_bad,
	                           "reason", rep.reason, "head", rep.head));
}

static const web_route routes[] = {
	{WEB_GET, "/api/v1/orgs", h_orgs, 0},
	{WEB_POST, "/api/v1/orgs", h_org_create, 8 * 1024},
	{WEB_GET, "/api/v1/people", h_people, 0},
	{WEB_POST, "/api/v1/people", h_person_create, 16 * 1024},
	{WEB_POST, "/api/v1/people/{id}/password", h_password, 8 * 1024},
	{WEB_GET, "/api/v1/roles", h_roles, 0},
	{WEB_POST, "/api/v1/roles", h_role_grant, 8 * 1024},
	{WEB_DELETE, "/api/v1/roles/{org}/{person}/{role}", h_role_revoke, 0},
	{WEB_POST, "/api/v1/sops/check", h_sop_check, OA_MAX_SOP_BYTES},
	{WEB_POST, "/api/v1/sops/render", h_sop_render, OA_MAX_SOP_BYTES},
	{WEB_POST, "/api/v1/sops", h_sop_install, OA_MAX_SOP_BYTES},
	{WEB_POST, "/api/v1/sops/versions/{id}/activate", h_sop_activate, OA_WEB_NO_PAYLOAD_BODY},
	{WEB_GET, "/api/v1/audit", h_audit, 0},
	{WEB_GET, "/api/v1/audit/verify", h_audit_verify, 0},
};

const web_route_table web_api_admin_table = {"api-admin", routes,
    sizeof routes / sizeof routes[0]};
