/*
 * routes_api_cases.c - cases of the SOP engine through the JSON API.
 *
 *   POST /api/v1/cases                          {sop, applicant?, nik?, serial?, reason?}
 *   GET  /api/v1/cases/{id}                     the case, current step, documents, history
 *   GET  /api/v1/tasks?offset=&limit=           a page of the caller's tasks, most urgent first
 *   POST /api/v1/cases/{id}/act                 {step, role, decision?, note?, reason?, data?}
 *   POST /api/v1/cases/{id}/close               {how: reject|withdraw, note?}
 *   POST /api/v1/cases/{id}/documents/{doc}     multipart/form-data, one file
 *   GET  /api/v1/cases/{id}/documents/{doc}     the document by SHA-256 (participants only)
 *
 * The engine decides who may act (roles per step, no self-approval); this
 * file authenticates, bounds and checks the input, and hides cases from
 * people who take no part in them (404, not 403: existence is not told).
 *
 * Every state change (open, act, close, attach) is a job of the committer
 * (commit.c): checked here, run in the committer's group transaction, and
 * answered only once that has committed.  An act with a passphrase makes
 * the holder key here first (engine_act_prepare), outside the write lock.
 *
 * Uploads: the documents module (src/docs) parses the body, judges the
 * type by content with libmagic (PDF, JPEG, PNG only; the declared type
 * and the file name's extension are ignored) and stores the bytes
 * content-addressed as DIR/docs/<2 hex>/<sha256> (temp file + rename),
 * then the committer attaches them to the case.  The request body is wiped
 * once parsed, the act's passphrase once the holder key is made, the rest
 * of its data once answered.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../docs/docs.h"
#include "apiInt.h"

/* ---- open ---- */

struct open_job {
	web_job job;
	web_user *u;
	json_t *j;               /* owns the strings of o */
	engine_open_req o;
	auth_person p;
	int64_t id;
};

static oa_err open_run(web_job *jb, inst *in, engine *e, auth *a)
{
	struct open_job *x = jb->arg;

	(void)in;
	(void)a;
	return engine_case_open(e, &x->u->w.who, &x->o, &x->id);
}

static void open_done(web_req *r, web_job *jb)
{
	struct open_job *x = jb->arg;

	if (jb->rc)
		api_err(r, jb->rc);
	else {
		web_reply_json(r, 201, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)x->id, "sop",
		                           x->o.sop_id, "applicant", x->o.applicant));
		web_header(r, MHD_HTTP_HEADER_LOCATION, web_printf(r, "/api/v1/cases/%" PRId64, x->id));
	}
	json_decref(x->j);
}

static void h_open(web_req *r)
{
	web_user *u = api_auth(r);
	struct open_job *x;
	json_t *j;
	const char *sop, *applicant, *nik, *serial, *reason;
	oa_err rc;

	if (u == NULL || (j = api_body(r)) == NULL)
		return;
	if (!api_str(r, j, "sop", 1, OA_MAX_SOP_ID, &sop) ||
	    !api_str(r, j, "applicant", 0, AUTH_MAX_ID, &applicant) ||
	    !api_str(r, j, "nik", 0, 16, &nik) || !api_str(r, j, "serial", 0, 80, &serial) ||
	    !api_str(r, j, "reason", 0, OA_MAX_SOP_ID, &reason))
		goto out;
	if ((x = web_alloc(r, sizeof *x)) == NULL) {
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		goto out;
	}
	memset(x, 0, sizeof *x);
	if (applicant == NULL)
		applicant = u->w.person;
	/* The NIK is the one the accounts know; a different one is refused. */
	if ((rc = auth_person_get(r->auth, applicant, &x->p))) {
		api_err(r, rc == OA_ERR_NOTFOUND ? oa_fail(OA_ERR_INVALID, "no such applicant") : rc);
		goto out;
	}
	if (nik && strcmp(nik, x->p.nik) != 0) {
		web_reply_fail(r, 422, "validation", "NIK tidak sesuai dengan akun pemohon",
		    "The NIK does not match the applicant's account");
		goto out;
	}
	x->u = u;
	x->j = j;
	x->o.org = u->w.org;
	x->o.sop_id = sop;
	x->o.applicant = applicant;
	x->o.applicant_nik = x->p.nik[0] ? x->p.nik : NULL;
	x->o.serial = serial;
	x->o.reason = reason;
	x->job = (web_job){.run = open_run, .done = open_done, .arg = x};
	if (web_commit(r, &x->job))
		return; /* open_done frees j */
out:
	json_decref(j);
}

/* ---- read ---- */

static json_t *case_json(web_req *r, const engine_case *c)
{
	json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:i}", "id",
	    (json_int_t)c->id, "org", c->org, "sop", c->sop_id, "kind", c->kind, "applicant",
	    c->applicant, "state", c->state, "step", c->step[0] ? json_string(c->step) : json_null(),
	    "created_at", api_time(c->created_at), "closed_at", api_time(c->closed_at),
	    "step_opened_at", api_time(c->step_opened_at), "due_at", api_time(c->step_due_at),
	    "transitions", c->transitions);

	(void)r;
	if (j == NULL)
		return NULL;
	json_object_set_new(j, "overdue", json_boolean(strcmp(c->state, "open") == 0 &&
	                                      c->step_due_at > 0 && c->step_due_at < oa_now()));
	json_object_set_new(j, "serial", c->serial[0] ? json_string(c->serial) : json_null());
	json_object_set_new(j, "issued", c->issued[0] ? json_string(c->issued) : json_null());
	json_object_set_new(j, "reason", c->reason[0] ? json_string(c->reason) : json_null());
	return j;
}

static int hist_cb(const engine_transition *t, void *arg)
{
	json_t *a = arg;

	json_array_append_new(a, json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "seq", t->seq,
	                             "step", t->step, "action", t->action, "actor", t->actor, "role",
	                             t->role, "decision", t->decision, "next", t->next, "note",
	                             t->note ? t->note : "", "opened_at", api_time(t->opened_at),
	                             "done_at", api_time(t->done_at)));
	return 0;
}

static int doc_cb(const engine_doc *d, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s,s:o}", "doc", d->doc, "sha256",
	                               d->sha256, "filename", d->filename, "added_by", d->added_by,
	                               "added_at", api_time(d->added_at)));
	return 0;
}

static int visible_case(web_req *r, web_user *u, int64_t id, engine_case *c)
{
	oa_err rc;

	if ((rc = engine_case_get(r->engine, id, c)) == OA_OK && web_participant(r, u, c))
		return 1;
	if (rc && rc != OA_ERR_NOTFOUND) {
		web_reply_err(r, rc);
		return 0;
	}
	oa_err_clear();
	web_reply_fail(r, 404, oa_err_name(OA_ERR_NOTFOUND), "Perkara tidak ditemukan",
	    "No such case");
	return 0;
}

static void h_get(web_req *r)
{
	web_user *u = api_auth(r);
	engine_case c;
	const sop_def *d = NULL;
	json_t *j, *hist, *docs;
	int64_t id;
	oa_err rc;

	if (u == NULL || !api_case_id(r, r->param[0], &id) || !visible_case(r, u, id, &c))
		return;
	if ((j = case_json(r, &c)) == NULL || (hist = json_array()) == NULL) {
		json_decref(j);
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		return;
	}
	if ((rc = engine_case_history(r->engine, id, hist_cb, hist))) {
		json_decref(j);
		json_decref(hist);
		web_reply_err(r, rc);
		return;
	}
	json_object_set_new(j, "history", hist);
	if ((docs = json_array()) == NULL || (rc = engine_case_documents(r->engine, id, doc_cb, docs))) {
		json_decref(j);
		json_decref(docs);
		web_reply_err(r, docs ? rc : oa_fail(OA_ERR_NOMEM, "out of memory"));
		return;
	}
	json_object_set_new(j, "documents", docs);
	if (strcmp(c.state, "open") == 0 && (rc = engine_case_def(r->engine, id, &d)) == OA_ERR_STORE) {
		json_decref(j);
		web_reply_err(r, rc);
		return;
	}
	if (strcmp(c.state, "open") == 0 && rc == OA_OK && d) {
		int si = sop_step_index(d, c.step);
		if (si >= 0) {
			const sop_step *s = &d->steps[si];
			json_t *roles = json_array();
			for (size_t i = 0; i < s->n_actors; i++)
				json_array_append_new(roles, json_string(d->actors[s->actors[i]].id));
			json_t *cur = json_pack("{s:s,s:s,s:o,s:s,s:b}", "step", s->id, "action",
			    sop_action_name(s->action), "roles", roles, "activity",
			    s->activity ? s->activity : "", "in_turn", s->in_turn);
			/* in turn: whose turn it is (the others wait) */
			if (cur && s->in_turn && c.turn >= 0 && (size_t)c.turn < s->n_actors)
				json_object_set_new(cur, "turn_role",
				    json_string(d->actors[s->actors[c.turn]].id));
			json_object_set_new(j, "current", cur);
		}
	}
	oa_err_clear(); /* a definition that no longer loads: the case without "current" */
	web_reply_json(r, 200, j);
}

static int task_cb(const engine_case *c, void *arg)
{
	json_t *a = arg;
	json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:o,s:o,s:b}", "id", (json_int_t)c->id, "sop",
	    c->sop_id, "applicant", c->applicant, "step", c->step, "step_opened_at",
	    api_time(c->step_opened_at), "due_at", api_time(c->step_due_at), "overdue",
	    c->step_due_at > 0 && c->step_due_at < oa_now());

	json_array_append_new(a, j);
	return 0;
}

#define API_TASKS_PAGE 25     /* tasks in a page unless ?limit= says (as the inbox) */
#define API_MAX_TASKS  1000   /* ?limit= at most */
#define API_MAX_OFFSET 10000000

/* ?name= as an integer in lo..hi into *v (unchanged when absent); 0 and a
 * 422 answered when it is not one. */
static int query_int(web_req *r, const char *name, int64_t lo, int64_t hi, int64_t *v)
{
	const char *s = web_query(r, name);
	char *end;
	long long n;

	if (s == NULL)
		return 1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s == '\0' || *end || errno || n < lo || n > hi) {
		char id[96], en[96];
		snprintf(id, sizeof id, "%s harus bilangan bulat %" PRId64 "..%" PRId64, name, lo, hi);
		snprintf(en, sizeof en, "%s must be an integer in %" PRId64 "..%" PRId64, name, lo, hi);
		web_reply_fail(r, 422, "validation", id, en);
		return 0;
	}
	*v = n;
	return 1;
}

/* A page of the caller's tasks in engine_tasks' order, chosen by the store
 * (?offset=, default 0; ?limit=, default API_TASKS_PAGE): the tasks, their
 * counts, and next_offset (null on the last page). */
static void h_tasks(web_req *r)
{
	web_user *u = api_auth(r);
	json_t *a;
	int64_t total, overdue, offset = 0, limit = API_TASKS_PAGE;
	oa_err rc;

	if (u == NULL || !query_int(r, "offset", 0, API_MAX_OFFSET, &offset) ||
	    !query_int(r, "limit", 1, API_MAX_TASKS, &limit))
		return;
	if ((a = json_array()) == NULL) {
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		return;
	}
	if ((rc = engine_tasks_page(r->engine, &u->w.who, oa_now(), offset, limit, &total, &overdue,
	         task_cb, a))) {
		json_decref(a);
		web_reply_err(r, rc);
		return;
	}
	web_reply_json(r, 200, json_pack("{s:o,s:I,s:I,s:I,s:I,s:o}", "tasks", a, "total",
	    (json_int_t)total, "overdue", (json_int_t)overdue, "offset", (json_int_t)offset, "limit",
	    (json_int_t)limit, "next_offset", offset + limit < total ?
	    json_integer((json_int_t)(offset + limit)) : json_null()));
}

/* ---- act and close ---- */

static size_t data_limit(const char *key)
{
	if (strcmp(key, "passphrase") == 0)
		return OA_MAX_PASSPHRASE_BYTES;
	if (strcmp(key, "csr") == 0)
		return OA_MAX_CSR_BYTES;
	return API_MAX_FIELD;
}

/* Overwrites the string values of data in place (jansson owns them). */
static void wipe_data(json_t *data)
{
	const char *k;
	json_t *v;

	if (!json_is_object(data))
		return;
	json_object_foreach(data, k, v)
		if (json_is_string(v))
			oa_wipe((void *)(uintptr_t)json_string_value(v), json_string_length(v));
}

/* Overwrites the passphrase among data, once the holder key is made. */
static void wipe_passphrase(json_t *data)
{
	json_t *v = json_is_object(data) ? json_object_get(data, "passphrase") : NULL;

	if (json_is_string(v))
		oa_wipe((void *)(uintptr_t)json_string_value(v), json_string_length(v));
}

struct act_job {
	web_job job;
	web_user *u;
	json_t *j;               /* owns the strings of a */
	engine_act a;
	const char *keys[API_MAX_DATA], *vals[API_MAX_DATA];
	engine_act_prep *prep;
	engine_batch_item item;  /* the committer runs it with the other acts */
};

static void act_free(struct act_job *x)
{
	engine_act_prep_free(x->prep);
	x->prep = NULL;
	wipe_data(json_object_get(x->j, "data"));
	json_decref(x->j);
}

static void act_done(web_req *r, web_job *jb)
{
	struct act_job *x = jb->arg;
	const engine_result *res = &x->item.res;

	if (jb->rc)
		api_err(r, jb->rc);
	else
		web_reply_json(r, 200, json_pack("{s:I,s:s,s:o,s:o,s:o}", "id", (json_int_t)x->a.case_id,
		                           "state", res->state,
		                           "step", res->step[0] ? json_string(res->step) : json_null(),
		                           "issued", res->issued[0] ? json_string(res->issued) : json_null(),
		                           "revoked", res->revoked[0] ? json_string(res->revoked) : json_null()));
	act_free(x);
}

static void h_act(web_req *r)
{
	web_user *u = api_auth(r);
	json_t *j = NULL, *data;
	const char *step, *role, *dec, *note, *reason;
	struct act_job *x = NULL;
	int64_t id;
	oa_err rc;

	if (u == NULL || !api_case_id(r, r->param[0], &id) || (j = api_body(r)) == NULL)
		goto out;
	/* The parsed copy is all that is used from here on. */
	oa_wipe(r->body, r->body_len);
	if ((x = web_alloc(r, sizeof *x)) == NULL) {
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		goto out;
	}
	memset(x, 0, sizeof *x);
	if (!api_str(r, j, "step", 1, OA_MAX_SOP_ID, &step) ||
	    !api_str(r, j, "role", 1, OA_MAX_SOP_ID, &role) ||
	    !api_str(r, j, "decision", 0, 8, &dec) || !api_str(r, j, "note", 0, API_MAX_NOTE, &note) ||
	    !api_str(r, j, "reason", 0, OA_MAX_SOP_ID, &reason))
		goto out;
	x->a.case_id = id;
	x->a.step = step;
	x->a.role = role;
	x->a.note = note;
	x->a.reason = reason;
	if (dec == NULL)
		x->a.decision = ENGINE_NO_DECISION;
	else if (strcmp(dec, "yes") == 0)
		x->a.decision = ENGINE_YES;
	else if (strcmp(dec, "no") == 0)
		x->a.decision = ENGINE_NO;
	else {
		web_reply_fail(r, 422, "validation", "Keputusan harus \"yes\" atau \"no\"",
		    "decision must be \"yes\" or \"no\"");
		goto out;
	}
	data = json_object_get(j, "data");
	if (data && !json_is_null(data)) {
		const char *k;
		json_t *v;
		if (!json_is_object(data)) {
			web_reply_fail(r, 400, "invalid_type", "Kolom 'data' harus berupa objek",
			    "Field 'data' must be an object");
			goto out;
		}
		if (json_object_size(data) > API_MAX_DATA) {
			web_reply_fail(r, 422, "validation", "Terlalu banyak kolom data",
			    "Too many data fields");
			goto out;
		}
		json_object_foreach(data, k, v) {
			const char *sv;
			if (strlen(k) > OA_MAX_SOP_ID) {
				web_reply_fail(r, 422, "field_too_long", "Nama kolom data terlalu panjang",
				    "A data key is too long");
				goto out;
			}
			if (!api_str(r, data, k, 1, data_limit(k), &sv))
				goto out;
			x->keys[x->a.ndata] = k;
			x->vals[x->a.ndata++] = sv;
		}
		x->a.keys = x->keys;
		x->a.values = x->vals;
	}
	/* The slow part (a holder key from a passphrase) here, in this worker;
	 * the passphrase is not needed after it. */
	rc = engine_act_prepare(r->engine, &u->w.who, &x->a, &x->prep);
	wipe_passphrase(data);
	if (rc) {
		api_err(r, rc);
		goto out;
	}
	x->u = u;
	x->j = j;
	x->item = (engine_batch_item){.who = &u->w.who, .act = &x->a, .prep = x->prep};
	x->job = (web_job){.act = &x->item, .done = act_done, .arg = x};
	if (web_commit(r, &x->job))
		return; /* act_done frees */
out:
	if (x && x->j == NULL)
		x->j = j;
	if (x)
		act_free(x);
	else {
		if (j)
			wipe_data(json_object_get(j, "data"));
		json_decref(j);
	}
}

struct close_job {
	web_job job;
	web_user *u;
	json_t *j;               /* owns note */
	int64_t id;
	int how;
	const char *note;
};

static oa_err close_run(web_job *jb, inst *in, engine *e, auth *a)
{
	struct close_job *x = jb->arg;

	(void)in;
	(void)a;
	return engine_case_close(e, &x->u->w.who, x->id, x->how, x->note);
}

static void close_done(web_req *r, web_job *jb)
{
	struct close_job *x = jb->arg;

	if (jb->rc)
		api_err(r, jb->rc);
	else
		web_reply_json(r, 200, json_pack("{s:I,s:s}", "id", (json_int_t)x->id, "state",
		                           x->how == ENGINE_REJECT ? "rejected" : "withdrawn"));
	json_decref(x->j);
}

static void h_close(web_req *r)
{
	web_user *u = api_auth(r);
	json_t *j = NULL;
	const char *how, *note;
	struct close_job *x;
	int64_t id;
	int h;

	if (u == NULL || !api_case_id(r, r->param[0], &id) || (j = api_body(r)) == NULL)
		goto out;
	if (!api_str(r, j, "how", 1, 16, &how) || !api_str(r, j, "note", 0, API_MAX_NOTE, &note))
		goto out;
	if (strcmp(how, "reject") == 0)
		h = ENGINE_REJECT;
	else if (strcmp(how, "withdraw") == 0)
		h = ENGINE_WITHDRAW;
	else {
		web_reply_fail(r, 422, "validation", "'how' harus \"reject\" atau \"withdraw\"",
		    "how must be \"reject\" or \"withdraw\"");
		goto out;
	}
	if ((x = web_alloc(r, sizeof *x)) == NULL) {
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		goto out;
	}
	*x = (struct close_job){.u = u, .j = j, .id = id, .how = h, .note = note};
	x->job = (web_job){.run = close_run, .done = close_done, .arg = x};
	if (web_commit(r, &x->job))
		return; /* close_done frees j */
out:
	json_decref(j);
}

/* ---- documents ---- */

static const char *const allowed_types[] = {"application/pdf", "image/jpeg", "image/png", NULL};

/* The one file part of a multipart/form-data body (the documents module's
 * parser), or NULL after a JSON reply. */
static const docs_part *upload_file(web_req *r, docs_multipart *m)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);

	if (!docs_multipart_type_ok(ct)) {
		web_reply_fail(r, 415, "unsupported_media_type",
		    "Unggah dengan multipart/form-data", "Upload with multipart/form-data");
		return NULL;
	}
	if (docs_multipart_parse(ct, r->body, r->body_len, m)) {
		oa_err_clear();
		web_reply_fail(r, 400, oa_err_name(OA_ERR_INVALID), "Isi multipart tidak sah",
		    "Malformed multipart/form-data body");
		return NULL;
	}
	if (docs_multipart_files(m) > 1) {
		web_reply_fail(r, 400, oa_err_name(OA_ERR_INVALID),
		    "Hanya satu berkas per unggahan", "One file per upload");
		return NULL;
	}
	for (size_t i = 0; i < m->n; i++)
		if (m->p[i].filename != NULL)
			return &m->p[i];
	web_reply_fail(r, 422, "missing_field", "Tidak ada berkas dalam unggahan",
	    "No file in the upload");
	return NULL;
}

struct attach_job {
	web_job job;
	web_user *u;
	int64_t id;
	const char *doc, *fname;
	docs_info d;
};

static oa_err attach_run(web_job *jb, inst *in, engine *e, auth *a)
{
	struct attach_job *x = jb->arg;

	(void)in;
	(void)a;
	return engine_case_attach(e, &x->u->w.who, x->id, x->doc, x->d.sha256, x->fname);
}

static void attach_done(web_req *r, web_job *jb)
{
	struct attach_job *x = jb->arg;

	if (jb->rc) {
		/* A refused attach removes the file it created. */
		docs_unstore(&x->d);
		api_err(r, jb->rc);
		return;
	}
	web_reply_json(r, 201, json_pack("{s:I,s:s,s:s,s:s,s:I}", "case", (json_int_t)x->id, "doc",
	                           x->doc, "sha256", x->d.sha256, "type",
	                           x->d.type[0] ? x->d.type : "application/octet-stream", "size",
	                           (json_int_t)x->d.len));
}

static void h_upload(web_req *r)
{
	web_user *u = api_auth(r);
	docs_multipart *m;
	const docs_part *file;
	struct attach_job *x;
	engine_case c;
	int64_t id;
	oa_err rc;

	if (u == NULL || !api_case_id(r, r->param[0], &id) || !visible_case(r, u, id, &c))
		return;
	if ((x = web_alloc(r, sizeof *x)) == NULL || (m = web_alloc(r, sizeof *m)) == NULL) {
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		return;
	}
	memset(x, 0, sizeof *x);
	if ((file = upload_file(r, m)) == NULL)
		return;
	if (!docs_filename_ok(file->filename)) {
		web_reply_fail(r, 422, "validation", "Nama berkas tidak sah",
		    "The file name is not valid (no path, no control characters, not hidden)");
		return;
	}
	if (file->len == 0 || file->len > OA_MAX_UPLOAD_BYTES) {
		web_reply_fail(r, file->len ? 413 : 422,
		    file->len ? oa_err_name(OA_ERR_LIMIT) : "validation",
		    file->len ? "Berkas terlalu besar" : "Berkas kosong",
		    file->len ? "The file is larger than the limit" : "The file is empty");
		return;
	}
	/* Stored before the attach commits (the case then never names a
	 * missing file); a refused attach removes a file it created. */
	if ((rc = docs_store(inst_dir(r->in), file->data, file->len, allowed_types, &x->d))) {
		if (rc == OA_ERR_INVALID && !docs_type_in(x->d.type, allowed_types)) {
			oa_err_clear();
			web_reply_fail(r, 415, "unsupported_media_type",
			    "Jenis berkas tidak diterima (hanya PDF, JPEG, PNG)",
			    "File type not accepted (PDF, JPEG and PNG only, judged by content)");
		} else
			web_reply_err(r, rc);
		return;
	}
	x->u = u;
	x->id = id;
	x->doc = r->param[1];
	x->fname = file->filename;
	x->job = (web_job){.run = attach_run, .done = attach_done, .arg = x};
	if (!web_commit(r, &x->job))
		docs_unstore(&x->d);
}

static void free_cb(void *p) { free(p); }

static void h_download(web_req *r)
{
	web_user *u = api_auth(r);
	const char *sha = r->param[1];
	char type[128], fname[300] = "", *disp;
	engine_case c;
	uint8_t *data = NULL;
	size_t len = 0;
	int64_t id;
	oa_err rc;

	if (u == NULL || !api_case_id(r, r->param[0], &id) || !visible_case(r, u, id, &c))
		return;
	if (!oa_is_hex(sha, 64))
		goto notfound;
	{
		engine_doc doc;
		if ((rc = engine_case_document(r->engine, id, sha, &doc)) == OA_ERR_NOTFOUND)
			goto notfound;
		if (rc) {
			web_reply_err(r, rc);
			return;
		}
		snprintf(fname, sizeof fname, "%s", doc.filename);
	}
	if ((rc = docs_read(inst_dir(r->in), sha, &data, &len, type, sizeof type))) {
		if (rc == OA_ERR_NOTFOUND)
			goto notfound;
		web_reply_err(r, rc);
		return;
	}
	/* The stored name, reduced to safe ASCII for the header. */
	for (char *p = fname; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' || *p == '\\' ||
		    *p == ';')
			*p = '_';
	disp = web_printf(r, "attachment; filename=\"%s\"", fname[0] ? fname : sha);
	web_reply_owned(r, 200, type[0] ? type : "application/octet-stream", data, len, free_cb,
	    data);
	if (r->resp == NULL) {
		free(data);
		return;
	}
	web_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp ? disp : "attachment");
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "private, no-store");
	web_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
	return;
notfound:
	oa_err_clear();
	web_reply_fail(r, 404, oa_err_name(OA_ERR_NOTFOUND), "Dokumen tidak ditemukan",
	    "No such document in this case");
}

static const web_route routes[] = {
	{WEB_POST, "/api/v1/cases", h_open, API_JSON_BODY},
	{WEB_GET, "/api/v1/tasks", h_tasks, 0},
	{WEB_GET, "/api/v1/cases/{id}", h_get, 0},
	{WEB_POST, "/api/v1/cases/{id}/act", h_act, OA_MAX_CSR_BYTES + API_JSON_BODY},
	{WEB_POST, "/api/v1/cases/{id}/close", h_close, API_JSON_BODY},
	{WEB_POST, "/api/v1/cases/{id}/documents/{doc}", h_upload, OA_MAX_UPLOAD_BYTES + 16 * 1024},
	{WEB_GET, "/api/v1/cases/{id}/documents/{doc}", h_download, 0}, /* doc: the SHA-256 */
};

const web_route_table web_api_cases_table = {"api-cases", routes,
    sizeof routes / sizeof routes[0]};
