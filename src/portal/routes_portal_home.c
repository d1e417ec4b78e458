/*
 * routes_portal_home.c - the applicants' and staff's lists and the request
 * form (docs/PORTAL.md, "Applicant and staff pages"; the case page is in
 * routes_portal_cases.c):
 *
 *   GET  /portal                              start page: my open requests, my tasks
 *   GET  /portal/cases                        my requests (open first, newest first)
 *   GET  /portal/requests/new                 start a request: the agency's active SOPs
 *   POST /portal/requests                     sop, serial?, reason? -> the case page
 *   GET  /portal/inbox                        the tasks of my roles, overdue first, paged
 *   GET  /portal/certificates                 my certificates with download links
 *
 * A refused request shows the form again with the error and its status.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "portalInt.h"

#define INBOX_ROWS 25        /* tasks per inbox page */
#define CASES_ROWS 200       /* my requests listed */
#define HOME_ROWS 5          /* open requests on the start page */
#define MAX_SOPS 64          /* SOPs offered on the request form */
#define MAX_CERTS 200        /* certificates listed */

/* ---- the start page and my requests ---- */

struct rows {
	pg *p;
	web_req *r;
	int64_t n, skip, limit, late, now;
};

void pc_case_row(pg *p, web_req *r, const engine_case *c, int64_t now, int with_applicant)
{
	const sop_def *d = NULL;
	const sop_step *s;

	if (engine_case_def_of(r->engine, c, &d) != OA_OK)
		oa_err_clear();
	s = pc_def_step(d, c->step);

	pg_raw(p, "<tr><td><a href=\"/portal/cases/%" PRId64 "\">#%" PRId64 "</a></td><td>", c->id,
	    c->id);
	pg_text(p, d && d->name ? d->name : c->sop_id);
	pg_raw(p, "<br><small>");
	pg_bi(p, pc_kind_id(c->kind), pc_kind_en(c->kind));
	pg_raw(p, "</small></td>");
	if (with_applicant) {
		pg_raw(p, "<td>");
		pg_text(p, c->applicant);
		pg_raw(p, "</td>");
	}
	pg_raw(p, "<td>");
	if (s) {
		pg_text(p, s->id);
		pg_raw(p, " &middot; ");
		pg_text(p, s->activity ? s->activity : "");
	} else
		pc_state_badge(p, c->state);
	pg_raw(p, "</td><td>");
	pg_time(p, strcmp(c->state, "open") == 0 ? c->step_opened_at : c->closed_at);
	pg_raw(p, "</td><td>");
	if (strcmp(c->state, "open") == 0)
		pc_sla_badge(p, c->step_due_at, now);
	else
		pc_state_badge(p, c->state);
	pg_raw(p, "</td></tr>\n");
}

static int mine_cb(const engine_case *c, void *arg)
{
	struct rows *x = arg;

	if (x->n++ < x->limit)
		pc_case_row(x->p, x->r, c, x->now, 0);
	return x->n >= x->limit;
}

void pc_cases_table_head(pg *p, int with_applicant)
{
	pg_raw(p, "<div class=\"table\"><table>\n<thead><tr><th scope=\"col\">No.</th><th scope=\"col\">");
	pg_bi(p, "Layanan", "Service");
	if (with_applicant) {
		pg_raw(p, "</th><th scope=\"col\">");
		pg_bi(p, "Pemohon", "Applicant");
	}
	pg_raw(p, "</th><th scope=\"col\">");
	pg_bi(p, "Langkah", "Step");
	pg_raw(p, "</th><th scope=\"col\">");
	pg_bi(p, "Sejak", "Since");
	pg_raw(p, "</th><th scope=\"col\">");
	pg_bi(p, "Status", "Status");
	pg_raw(p, "</th></tr></thead>\n<tbody>\n");
}

static void h_home(web_req *r)
{
	web_user *u = portal_user(r);
	struct rows x = {0};
	auth_person me;
	pg p;
	oa_err rc;

	if (u == NULL)
		return;
	if (auth_person_get(r->auth, u->w.person, &me) != OA_OK) {
		oa_err_clear();
		snprintf(me.name, sizeof me.name, "%s", u->w.person);
	}
	pg_start(&p, r, u, "Beranda", "Home");
	pg_raw(&p, "<p>Selamat datang, <strong>");
	pg_text(&p, me.name);
	pg_raw(&p, "</strong>. <span class=\"en\" lang=\"en\">/ Welcome.</span></p>\n");
	x.now = oa_now();
	if ((rc = engine_tasks_page(r->engine, &u->w.who, x.now, 0, 0, &x.n, &x.late, NULL,
	         NULL)) != OA_OK) {
		pg_abort(&p, rc, "");
		return;
	}
	pg_raw(&p, "<div class=\"cards\">\n<div class=\"card\">");
	pg_h2(&p, "Permohonan baru", "New request");
	pg_para(&p, NULL, "Ajukan penerbitan, pencabutan, pembaruan sertifikat atau atur ulang "
	                  "passphrase.",
	    "Apply for a certificate, its revocation or renewal, or a passphrase reset.");
	pg_raw(&p, "<p><a class=\"button\" href=\"/portal/requests/new\">Ajukan permohonan <span "
	           "class=\"en\" lang=\"en\">/ Start a request</span></a></p></div>\n"
	           "<div class=\"card\">");
	pg_h2(&p, "Kotak tugas", "Inbox");
	pg_raw(&p, "<p><strong>%" PRId64 "</strong> tugas, <strong>%" PRId64 "</strong> terlambat "
	           "<span class=\"en\" lang=\"en\">/ tasks, overdue</span></p><p>",
	    x.n, x.late);
	pg_link(&p, "/portal/inbox", "Buka kotak tugas", "Open the inbox");
	pg_raw(&p, "</p></div>\n<div class=\"card\">");
	pg_h2(&p, "Sertifikat saya", "My certificates");
	pg_para(&p, NULL, "Status, unduh PEM/DER dan rantai sertifikat.",
	    "Status, PEM/DER downloads and the chain.");
	pg_raw(&p, "<p>");
	pg_link(&p, "/portal/certificates", "Lihat sertifikat", "See certificates");
	pg_raw(&p, "</p></div>\n</div>\n");
	pg_h2(&p, "Permohonan saya", "My requests");
	memset(&x, 0, sizeof x);
	x.p = &p;
	x.r = r;
	x.limit = HOME_ROWS;
	x.now = oa_now();
	pc_cases_table_head(&p, 0);
	if ((rc = engine_cases_of(r->engine, u->w.person, HOME_ROWS, mine_cb, &x)) != OA_OK) {
		pg_abort(&p, rc, "");
		return;
	}
	pg_raw(&p, "</tbody></table></div>\n");
	if (x.n == 0)
		pg_para(&p, "note", "Belum ada permohonan.", "No requests yet.");
	pg_raw(&p, "<p>");
	pg_link(&p, "/portal/cases", "Semua permohonan saya", "All my requests");
	pg_raw(&p, "</p>\n");
	pg_send(&p, 200);
}

static void h_cases(web_req *r)
{
	web_user *u = portal_user(r);
	struct rows x = {0};
	pg p;
	oa_err rc;

	if (u == NULL)
		return;
	pg_start(&p, r, u, "Permohonan saya", "My requests");
	pg_raw(&p, "<p><a class=\"button\" href=\"/portal/requests/new\">Ajukan permohonan <span "
	           "class=\"en\" lang=\"en\">/ Start a request</span></a></p>\n");
	x.p = &p;
	x.r = r;
	x.limit = CASES_ROWS;
	x.now = oa_now();
	pc_cases_table_head(&p, 0);
	if ((rc = engine_cases_of(r->engine, u->w.person, CASES_ROWS, mine_cb, &x)) != OA_OK) {
		pg_abort(&p, rc, "/portal");
		return;
	}
	pg_raw(&p, "</tbody></table></div>\n");
	if (x.n == 0)
		pg_para(&p, "note", "Belum ada permohonan.", "No requests yet.");
	pg_send(&p, 200);
}

/* ---- start a request ---- */

struct sops {
	int64_t ver[MAX_SOPS];
	size_t n;
};

static int sop_cb(const engine_sop_info *in, void *arg)
{
	struct sops *s = arg;

	if (in->active && s->n < MAX_SOPS)
		s->ver[s->n++] = in->version_id;
	return s->n >= MAX_SOPS;
}

/* Issuance first, then revocation, renewal, passphrase reset; by name. */
static int def_cmp(const void *a, const void *b)
{
	const sop_def *x = *(const sop_def *const *)a, *y = *(const sop_def *const *)b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

/* The active SOPs of u's agency whose applicant role u holds, sorted.  An
 * error when the database could not list them (not "no service"). */
static oa_err my_sops(web_req *r, const web_user *u, const sop_def **defs, size_t *n)
{
	struct sops s = {0};
	oa_err rc;

	*n = 0;
	if ((rc = engine_sop_list(r->engine, u->w.org, 1, sop_cb, &s)) != OA_OK)
		return rc;
	for (size_t i = 0; i < s.n; i++) {
		const sop_def *d = NULL;
		if (engine_sop_version(r->engine, s.ver[i], NULL, 0, &d) != OA_OK || d == NULL) {
			oa_err_clear(); /* a version that no longer loads is not offered */
			continue;
		}
		if (d->n_steps == 0 || d->steps[0].n_actors == 0 ||
		    !auth_who_holds(&u->w, d->actors[d->steps[0].actors[0]].id))
			continue;
		defs[(*n)++] = d;
	}
	qsort(defs, *n, sizeof *defs, def_cmp);
	return OA_OK;
}

struct certs {
	pg *p;
	const char *sel;
	size_t n;
	int64_t now;
};

static int cert_opt_cb(const ca_cert_info *ci, void *arg)
{
	struct certs *x = arg;

	if (strcmp(ci->status, "active") != 0 || ci->not_after <= x->now)
		return 0;
	pg_raw(x->p, "<option value=\"");
	pg_text(x->p, ci->serial);
	pg_raw(x->p, "\"%s>", x->sel && strcmp(x->sel, ci->serial) == 0 ? " selected" : "");
	pg_text(x->p, ci->serial);
	pg_raw(x->p, " &middot; ");
	pg_text(x->p, ci->cn);
	pg_raw(x->p, " (s.d. ");
	pg_time(x->p, ci->not_after);
	pg_raw(x->p, ")</option>\n");
	return ++x->n >= MAX_CERTS;
}

/*
 * What an applicant needs to know before choosing a service: the documents
 * they will attach (every document required at a step their role does) and
 * the total standard time of the way through where every check says yes
 * (sop_simulate), with the working-day part apart.
 */
static void sop_summary(pg *p, const sop_def *d)
{
	int arole = d->steps[0].actors[0], ndoc = 0;
	unsigned char seen[OA_MAX_SOP_LIST] = {0};
	sop_trace tr = {0};

	for (size_t i = 0; i < d->n_steps; i++) {
		const sop_step *s = &d->steps[i];
		int theirs = 0;
		for (size_t a = 0; a < s->n_actors; a++)
			theirs |= s->actors[a] == arole;
		for (size_t k = 0; theirs && k < s->n_inputs; k++) {
			int doc = s->inputs[k].doc; /* < n_documents <= OA_MAX_SOP_LIST (the loader) */
			if (doc < 0 || (size_t)doc >= d->n_documents || seen[doc])
				continue;
			seen[doc] = 1;
			if (ndoc++ == 0) {
				pg_raw(p, "<br><small class=\"docs\">");
				pg_bi(p, "Dokumen yang Anda lampirkan", "Documents you attach");
				pg_raw(p, ": ");
			} else
				pg_raw(p, ", ");
			pg_text(p, d->documents[doc].name);
		}
	}
	if (ndoc)
		pg_raw(p, "</small>");
	if (sop_simulate(d, NULL, 0, &tr) == OA_OK && (tr.max_s > 0 || tr.work_max_s > 0)) {
		pg_raw(p, "<br><small class=\"sla\">");
		pg_bi(p, "Waktu baku seluruhnya", "Total standard time");
		pg_raw(p, ": ");
		if (tr.max_s > 0) {
			pg_duration(p, tr.min_s);
			if (tr.max_s != tr.min_s) {
				pg_raw(p, " &ndash; ");
				pg_duration(p, tr.max_s);
			}
		}
		if (tr.work_max_s > 0) {
			pg_raw(p, "%s", tr.max_s > 0 ? " + " : "");
			pg_duration(p, tr.work_min_s);
			if (tr.work_max_s != tr.work_min_s) {
				pg_raw(p, " &ndash; ");
				pg_duration(p, tr.work_max_s);
			}
			pg_raw(p, " ");
			pg_bi(p, "(hari kerja)", "(working days)");
		}
		pg_raw(p, "</small>");
	} else
		oa_err_clear(); /* a definition that cannot be walked shows no total */
	sop_trace_free(&tr);
}

static void request_form(web_req *r, web_user *u, unsigned status, const pg_errs *errs,
    const char *sel_sop, const char *sel_serial, const char *sel_reason)
{
	const sop_def *defs[MAX_SOPS];
	size_t n, nrev = 0;
	auth_person me;
	struct certs cx = {0};
	pg p;
	oa_err rc;

	if ((rc = my_sops(r, u, defs, &n))) {
		pg_err(r, u, rc, "/portal");
		return;
	}
	pg_start(&p, r, u, "Ajukan permohonan", "Start a request");
	p.errs = errs;
	pg_errs_summary(&p);
	if (n == 0) {
		pg_para(&p, "note", "Tidak ada layanan yang dapat Anda ajukan di instansi ini.",
		    "There is no service you can apply for in this agency.");
		pg_send(&p, status);
		return;
	}
	pg_form(&p, "/portal/requests", 0);
	pg_raw(&p, "<fieldset id=\"f_sop\"");
	pg_field_aria(&p, "sop");
	pg_raw(&p, "><legend>");
	pg_bi(&p, "Layanan", "Service");
	pg_raw(&p, "</legend>\n");
	pg_field_msgs(&p, "sop");
	for (size_t i = 0; i < n; i++) {
		const char *k = sop_kind_name(defs[i]->kind);
		int checked = sel_sop ? strcmp(sel_sop, defs[i]->id) == 0 : i == 0;
		pg_raw(&p, "<div class=\"field\"><input type=\"radio\" name=\"sop\" id=\"f_sop_%zu\" "
		           "value=\"", i);
		pg_text(&p, defs[i]->id);
		pg_raw(&p, "\"%s> <label class=\"inline\" for=\"f_sop_%zu\"><strong>", checked ? " checked" : "",
		    i);
		pg_bi(&p, pc_kind_id(k), pc_kind_en(k));
		pg_raw(&p, "</strong> &middot; ");
		pg_text(&p, defs[i]->name);
		pg_raw(&p, "<br><small>");
		if (defs[i]->agency.government && *defs[i]->agency.government) {
			pg_text(&p, defs[i]->agency.government);
			pg_raw(&p, ", ");
		}
		pg_text(&p, defs[i]->agency.name ? defs[i]->agency.name : "");
		if (defs[i]->number && *defs[i]->number && defs[i]->number[0] != '(') {
			pg_raw(&p, " &middot; SOP ");
			pg_text(&p, defs[i]->number);
		}
		pg_raw(&p, "</small>");
		sop_summary(&p, defs[i]);
		pg_raw(&p, "</label></div>\n");
		if (defs[i]->kind == SOP_KIND_REVOCATION)
			nrev++;
	}
	pg_raw(&p, "</fieldset>\n<fieldset><legend>");
	pg_bi(&p, "Untuk pencabutan, pembaruan, atur ulang passphrase",
	    "For revocation, renewal, passphrase reset");
	pg_raw(&p, "</legend>\n<div class=\"field\"><label for=\"f_serial\">");
	pg_bi(&p, "Sertifikat", "Certificate");
	pg_raw(&p, "</label><select id=\"f_serial\" name=\"serial\"");
	pg_field_aria(&p, "serial");
	pg_raw(&p, "><option value=\"\">-</option>\n");
	if (auth_person_get(r->auth, u->w.person, &me) == OA_OK && me.nik[0]) {
		ca_filter f = {.status = "active", .nik = me.nik};
		cx.p = &p;
		cx.sel = sel_serial;
		cx.now = oa_now();
		if ((rc = ca_list(r->ca, &f, cert_opt_cb, &cx)) == OA_ERR_STORE) {
			pg_abort(&p, rc, "/portal");
			return;
		}
		oa_err_clear(); /* a NIK the CA refuses has no certificates to choose */
	} else
		oa_err_clear(); /* no account NIK: no certificates to choose */
	pg_raw(&p, "</select>");
	pg_field_msgs(&p, "serial");
	pg_raw(&p, "</div>\n");
	if (nrev) {
		pg_raw(&p, "<div class=\"field\"><label for=\"f_reason\">");
		pg_bi(&p, "Alasan pencabutan", "Reason for revocation");
		pg_raw(&p, "</label><select id=\"f_reason\" name=\"reason\"");
		pg_field_aria(&p, "reason");
		pg_raw(&p, "><option value=\"\">-</option>\n");
		for (size_t i = 0; i < n; i++) {
			if (defs[i]->kind != SOP_KIND_REVOCATION || defs[i]->n_reasons == 0)
				continue;
			pg_raw(&p, "<optgroup label=\"");
			pg_text(&p, defs[i]->name);
			pg_raw(&p, "\">\n");
			for (size_t j = 0; j < defs[i]->n_reasons; j++) {
				const sop_reason *rs = &defs[i]->reasons[j];
				pg_raw(&p, "<option value=\"");
				pg_text(&p, rs->id);
				pg_raw(&p, "\"%s>", sel_reason && strcmp(sel_reason, rs->id) == 0 ? " selected" : "");
				pg_text(&p, rs->label ? rs->label : rs->id);
				if (rs->n_docs) {
					pg_raw(&p, " (");
					for (size_t k = 0; k < rs->n_docs; k++) {
						if (k)
							pg_raw(&p, ", ");
						pg_text(&p, defs[i]->documents[rs->docs[k]].name);
					}
					pg_raw(&p, ")");
				}
				pg_raw(&p, "</option>\n");
			}
			pg_raw(&p, "</optgroup>\n");
		}
		pg_raw(&p, "</select>");
		pg_field_msgs(&p, "reason");
		pg_raw(&p, "</div>\n");
	}
	pg_raw(&p, "</fieldset>\n");
	pg_button(&p, NULL, NULL, "Ajukan", "Submit", NULL);
	pg_raw(&p, "</form>\n");
	pg_send(&p, status);
}

static void h_request_new(web_req *r)
{
	web_user *u = portal_user(r);

	if (u)
		request_form(r, u, 200, NULL, pc_query(r, "sop"), pc_query(r, "serial"), NULL);
}

static void h_request_post(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);
	const char *sop, *serial, *reason;
	const sop_def *defs[MAX_SOPS], *d = NULL;
	engine_open_req o = {0};
	auth_person me;
	pg_errs *e;
	size_t n = 0;
	int64_t id;
	oa_err rc;

	if (u == NULL)
		return;
	sop = web_form_get(&f, "sop");
	serial = web_form_get(&f, "serial");
	reason = web_form_get(&f, "reason");
	if ((e = web_alloc(r, sizeof *e)) == NULL) {
		pg_err(r, u, oa_fail(OA_ERR_NOMEM, "out of memory"), "/portal");
		return;
	}
	e->n = 0;
	/* Every problem of the form at once; the engine checks again. */
	if (serial && strlen(serial) > 80) {
		pg_errs_add(r, e, "serial", "too_long", NULL, NULL);
		serial = NULL;
	}
	if (reason && strlen(reason) > OA_MAX_SOP_ID) {
		pg_errs_add(r, e, "reason", "reason_unknown", NULL, NULL);
		reason = NULL;
	}
	if (sop == NULL || *sop == 0 || strlen(sop) > OA_MAX_SOP_ID) {
		pg_errs_add(r, e, "sop", "sop_choose", NULL, NULL);
		sop = NULL;
	} else {
		if ((rc = my_sops(r, u, defs, &n))) {
			pg_err(r, u, rc, "/portal");
			return;
		}
		for (size_t i = 0; i < n; i++)
			if (strcmp(defs[i]->id, sop) == 0)
				d = defs[i];
		if (d == NULL)
			pg_errs_add(r, e, "sop", "sop_denied", NULL, NULL);
	}
	if (d && d->kind != SOP_KIND_ISSUANCE && (serial == NULL || *serial == 0))
		pg_errs_add(r, e, "serial", "serial_choose", NULL, NULL);
	if (d && d->kind == SOP_KIND_REVOCATION && reason && *reason && d->n_reasons > 0 &&
	    sop_reason_index(d, reason) < 0)
		pg_errs_add(r, e, "reason", "reason_unknown", NULL, NULL);
	if (e->n) {
		r->errcode = "validation";
		request_form(r, u, 422, e, d ? sop : NULL, serial, reason);
		return;
	}
	if ((rc = auth_person_get(r->auth, u->w.person, &me))) {
		pg_err(r, u, rc, "/portal/requests/new");
		return;
	}
	o.org = u->w.org;
	o.sop_id = d->id;
	o.applicant = u->w.person;
	o.applicant_nik = me.nik[0] ? me.nik : NULL;
	if (d->kind != SOP_KIND_ISSUANCE)
		o.serial = serial;
	if (d->kind == SOP_KIND_REVOCATION && reason && *reason)
		o.reason = reason;
	if ((rc = engine_case_open(r->engine, &u->w.who, &o, &id))) {
		unsigned st = web_status_of(rc);
		if (st >= 500) {
			pg_err(r, u, rc, "/portal/requests/new");
			return;
		}
		r->errcode = oa_err_name(rc);
		pg_errs_take(r, e, rc, d, NULL);
		request_form(r, u, rc == OA_ERR_INVALID ? 422 : st, e, sop, serial, reason);
		return;
	}
	web_redirect(r, web_printf(r, "/portal/cases/%" PRId64 "?done=opened", id));
}

/* ---- the inbox ---- */

static int inbox_cb(const engine_case *c, void *arg)
{
	struct rows *x = arg;

	pc_case_row(x->p, x->r, c, x->now, 1);
	return 0;
}

static void h_inbox(web_req *r)
{
	web_user *u = portal_user(r);
	const char *pq = pc_query(r, "page");
	struct rows x = {0};
	int64_t page = 1, pages;
	pg p;
	oa_err rc;

	if (u == NULL)
		return;
	if (pq && (!pc_parse_id(pq, &page) || page > 100000)) {
		r->errcode = "validation";
		pg_refused(r, u, 422, "Halaman tidak sah", "Invalid page", "page_number",
		    "/portal/inbox");
		return;
	}
	pg_start(&p, r, u, "Kotak tugas", "Inbox");
	x.p = &p;
	x.r = r;
	x.now = oa_now();
	x.skip = (page - 1) * INBOX_ROWS;
	x.limit = INBOX_ROWS;
	pg_para(&p, NULL, "Tugas peran Anda, yang terlambat lebih dulu, lalu yang paling dekat "
	                  "batas waktunya.",
	    "The tasks of your roles: overdue first, then the ones due soonest.");
	pc_cases_table_head(&p, 1);
	if ((rc = engine_tasks_page(r->engine, &u->w.who, x.now, x.skip, x.limit, &x.n, &x.late,
	         inbox_cb, &x)) != OA_OK) {
		oa_buf_free(&p.b);
		pg_err(r, u, rc, "/portal");
		return;
	}
	pg_raw(&p, "</tbody></table></div>\n");
	pages = (x.n + INBOX_ROWS - 1) / INBOX_ROWS;
	pg_raw(&p, "<p id=\"summary\"><strong>%" PRId64 "</strong> tugas, <strong>%" PRId64
	           "</strong> terlambat <span class=\"en\" lang=\"en\">/ tasks, overdue</span>",
	    x.n, x.late);
	if (pages > 1)
		pg_raw(&p, " &middot; halaman %" PRId64 " dari %" PRId64
		           " <span class=\"en\" lang=\"en\">/ page %" PRId64 " of %" PRId64 "</span>",
		    page, pages, page, pages);
	pg_raw(&p, "</p>\n");
	if (x.n == 0)
		pg_para(&p, "note", "Tidak ada tugas.", "No tasks.");
	if (pages > 1) {
		pg_raw(&p, "<nav aria-label=\"Halaman\"><p>");
		if (page > 1)
			pg_raw(&p, "<a rel=\"prev\" href=\"/portal/inbox?page=%" PRId64 "\">&larr; "
			           "Sebelumnya <span class=\"en\" lang=\"en\">/ Previous</span></a> ",
			    page - 1);
		if (page < pages)
			pg_raw(&p, "<a rel=\"next\" href=\"/portal/inbox?page=%" PRId64 "\">Berikutnya "
			           "<span class=\"en\" lang=\"en\">/ Next</span> &rarr;</a>",
			    page + 1);
		pg_raw(&p, "</p></nav>\n");
	}
	pg_send(&p, 200);
}

/* ---- my certificates ---- */

static int cert_row_cb(const ca_cert_info *ci, void *arg)
{
	struct certs *x = arg;
	pg *p = x->p;
	const char *st = ci->status;

	if (strcmp(st, "active") == 0 && ci->not_after <= x->now)
		st = "expired";
	pg_raw(p, "<tr><td><code>");
	pg_text(p, ci->serial);
	pg_raw(p, "</code></td><td>");
	pg_text(p, ci->cn);
	pg_raw(p, "<br><small>");
	pg_text(p, ci->profile);
	pg_raw(p, "</small></td><td>");
	if (strcmp(st, "active") == 0)
		pg_raw(p, "<span class=\"badge ok\">Aktif <span class=\"en\" lang=\"en\">/ active</span></span>");
	else if (strcmp(st, "revoked") == 0) {
		pg_raw(p, "<span class=\"badge late\">Dicabut <span class=\"en\" lang=\"en\">/ revoked</span></span><br><small>");
		pg_time(p, ci->revoked_at);
		pg_raw(p, " &middot; ");
		pg_text(p, ca_reason_name(ci->reason));
		pg_raw(p, "</small>");
	} else
		pg_raw(p, "<span class=\"badge due\">Kedaluwarsa <span class=\"en\" lang=\"en\">/ expired</span></span>");
	pg_raw(p, "</td><td>");
	pg_time(p, ci->not_before);
	pg_raw(p, " &ndash; ");
	pg_time(p, ci->not_after);
	pg_raw(p, "</td><td><a href=\"/api/v1/certificates/");
	pg_text(p, ci->serial);
	pg_raw(p, ".pem\" download=\"");
	pg_text(p, ci->serial);
	pg_raw(p, ".pem\">PEM</a> &middot; <a href=\"/api/v1/certificates/");
	pg_text(p, ci->serial);
	pg_raw(p, ".der\" download=\"");
	pg_text(p, ci->serial);
	pg_raw(p, ".cer\">DER</a></td></tr>\n");
	return ++x->n >= MAX_CERTS;
}

static void h_certs(web_req *r)
{
	web_user *u = portal_user(r);
	struct certs x = {0};
	auth_person me;
	pg p;
	oa_err rc;

	if (u == NULL)
		return;
	pg_start(&p, r, u, "Sertifikat saya", "My certificates");
	pg_raw(&p, "<div class=\"table\"><table>\n<thead><tr><th scope=\"col\">");
	pg_bi(&p, "Nomor seri", "Serial");
	pg_raw(&p, "</th><th scope=\"col\">");
	pg_bi(&p, "Nama", "Name");
	pg_raw(&p, "</th><th scope=\"col\">");
	pg_bi(&p, "Status", "Status");
	pg_raw(&p, "</th><th scope=\"col\">");
	pg_bi(&p, "Masa berlaku", "Validity");
	pg_raw(&p, "</th><th scope=\"col\">");
	pg_bi(&p, "Unduh", "Download");
	pg_raw(&p, "</th></tr></thead>\n<tbody>\n");
	x.p = &p;
	x.now = oa_now();
	if (auth_person_get(r->auth, u->w.person, &me) == OA_OK && me.nik[0]) {
		ca_filter f = {.nik = me.nik};
		if ((rc = ca_list(r->ca, &f, cert_row_cb, &x)) == OA_ERR_STORE) {
			pg_abort(&p, rc, "/portal");
			return;
		}
		oa_err_clear(); /* a NIK the CA refuses has no certificates */
	} else
		oa_err_clear(); /* no account NIK: no certificates */
	pg_raw(&p, "</tbody></table></div>\n");
	if (x.n == 0)
		pg_para(&p, "note", "Anda belum memiliki sertifikat.", "You have no certificate yet.");
	pg_h2(&p, "Rantai sertifikat", "Certificate chain");
	pg_para(&p, NULL, "Sertifikat CA penerbit dan root, untuk memeriksa sertifikat Anda.",
	    "The issuing and root CA certificates, to check your certificate.");
	pg_raw(&p, "<p><a href=\"/pki/chain.pem\" download=\"chain.pem\">chain.pem</a> &middot; ");
	pg_link(&p, "/ca", "Sertifikat CA dan CRL", "CA certificates and CRLs");
	pg_raw(&p, "</p>\n");
	pg_send(&p, 200);
}

static const web_route routes[] = {
	{WEB_GET, "/portal", h_home, 0},
	{WEB_GET, "/portal/cases", h_cases, 0},
	{WEB_GET, "/portal/requests/new", h_request_new, 0},
	{WEB_POST, "/portal/requests", h_request_post, CASE_FORM_BODY},
	{WEB_GET, "/portal/inbox", h_inbox, 0},
	{WEB_GET, "/portal/certificates", h_certs, 0},
};

const web_route_table web_portal_home_table = {"portal_home", routes,
    sizeof routes / sizeof routes[0]};
