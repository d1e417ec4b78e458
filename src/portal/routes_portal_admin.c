/*
 * routes_portal_admin.c - the administrators' pages of the portal
 * (docs/PORTAL.md, "Administration and SLA"): agencies, people and their
 * roles, failed e-mails and the audit log with its verification; the
 * helpers shared with routes_portal_sops.c (portalInt.h).
 *
 * Authorization mirrors the JSON API (the rules in http/caller.c): every page needs the role
 * "admin"; an administrator manages their own agency, one of the
 * instance's agency (instance.org) every agency (?org=) and creates them.
 * The SOP definition pages are in routes_portal_sops.c.  Failed
 * e-mails are shown for the agency of their recipient (every message to
 * the instance administrator).  Every POST carries the session's CSRF
 * token and redirects to the page showing its result.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../audit/audit.h"
#include "../mail/mail.h"
#include "portalInt.h"

#define PAGE_ROWS 25        /* people per page */
#define AUDIT_ROWS 50       /* audit records per page */
#define MAIL_ROWS 200       /* failed e-mails listed */
#define MAX_ROLES 64        /* roles offered for one agency */
#define MAX_QUERY 128       /* search and filter texts, bytes */

/* ---- who may ---- */

/* The agency a page is about: ?org= (or the form's org), else the admin's. */
static const char *page_org(const web_user *u, const char *org)
{
	return org && *org ? org : u->w.org;
}

void admin_page_denied(web_req *r, const web_user *u)
{
	r->errcode = "denied";
	pg_refused(r, u, 403, "Akses ditolak", "Access denied", "admin_only", "/portal");
}

int admin_page_may(web_req *r, const web_user *u, const char *org)
{
	if (web_admin_may(r, u, org))
		return 1;
	admin_page_denied(r, u);
	return 0;
}

/* s percent-encoded for a query value (arena; "" when out of memory). */
static const char *qenc(web_req *r, const char *s)
{
	char *o = s ? web_alloc(r, 3 * strlen(s) + 1) : NULL;
	size_t n = 0;

	if (o == NULL)
		return "";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.')
			o[n++] = (char)c;
		else
			n += (size_t)snprintf(o + n, 4, "%%%02X", c);
	}
	o[n] = 0;
	return o;
}

/* The signed-in admin for a GET page about org (NULL after a reply). */
web_user *admin_page_get(web_req *r, const char **org)
{
	web_user *u = portal_user(r);

	if (u == NULL)
		return NULL;
	*org = page_org(u, web_query(r, "org"));
	if (strlen(*org) > AUTH_MAX_ID || !admin_page_may(r, u, *org))
		return NULL;
	return u;
}

/* The admin of a POST form about org (the form's "org", else their own). */
static web_user *admin_post(web_req *r, web_form *f, const char **org)
{
	web_user *u = portal_post(r, f);

	if (u == NULL)
		return NULL;
	*org = page_org(u, web_form_get(f, "org"));
	if (strlen(*org) > AUTH_MAX_ID || !admin_page_may(r, u, *org))
		return NULL;
	return u;
}

void admin_page_sections(pg *p, const char *org)
{
	pg_raw(p, "<nav class=\"subnav\" aria-label=\"Administrasi\"><ul>");
	pg_raw(p, "<li>");
	pg_link(p, "/portal/admin", "Instansi", "Organisations");
	pg_raw(p, "</li><li>");
	pg_link(p, web_printf(p->r, "/portal/admin/people?org=%s", org), "Pengguna", "People");
	pg_raw(p, "</li><li>");
	pg_link(p, "/portal/admin/sops", "Definisi SOP", "SOP definitions");
	pg_raw(p, "</li><li>");
	pg_link(p, "/portal/admin/mail", "E-mail gagal", "Failed e-mails");
	pg_raw(p, "</li><li>");
	pg_link(p, "/portal/admin/audit", "Log audit", "Audit log");
	pg_raw(p, "</li><li>");
	pg_link(p, web_printf(p->r, "/portal/sla?org=%s", org), "SLA", "SLA");
	pg_raw(p, "</li></ul></nav>\n");
}

void admin_page_refused(web_req *r, const web_user *u, oa_err rc, const char *back)
{
	pg_err(r, u, rc, back);
}

/* ---- organisations ---- */

static int org_row(const auth_org *o, void *arg)
{
	pg *p = arg;

	pg_raw(p, "<tr><td><code>");
	pg_text(p, o->id);
	pg_raw(p, "</code></td><td>");
	pg_text(p, o->name);
	pg_raw(p, "</td><td>");
	pg_time(p, o->created_at);
	pg_raw(p, "</td><td>");
	pg_link(p, web_printf(p->r, "/portal/admin/people?org=%s", o->id), "Pengguna", "People");
	pg_raw(p, " &middot; ");
	pg_link(p, web_printf(p->r, "/portal/sla?org=%s", o->id), "SLA", "SLA");
	pg_raw(p, "</td></tr>\n");
	return 0;
}

static int own_org(const auth_org *o, void *arg)
{
	pg *p = arg;

	return strcmp(o->id, p->u->w.org) == 0 ? org_row(o, p), 1 : 0;
}

static void h_admin(web_req *r)
{
	const char *org;
	web_user *u = admin_page_get(r, &org);
	int sup;
	pg p;
	oa_err rc;

	if (u == NULL)
		return;
	sup = web_admin_super(r, u);
	pg_start(&p, r, u, "Administrasi", "Administration");
	admin_page_sections(&p, org);
	pg_h2(&p, "Instansi", "Organisations");
	pg_raw(&p, "<div class=\"table\"><table><thead><tr><th scope=\"col\">ID</th>"
	           "<th scope=\"col\">Nama <span class=\"en\" lang=\"en\">/ Name</span></th>"
	           "<th scope=\"col\">Dibuat <span class=\"en\" lang=\"en\">/ Created</span></th>"
	           "<th scope=\"col\">Kelola <span class=\"en\" lang=\"en\">/ Manage</span></th>"
	           "</tr></thead><tbody>\n");
	rc = auth_org_list(r->auth, sup ? org_row : own_org, &p);
	pg_raw(&p, "</tbody></table></div>\n");
	if (rc) {
		oa_buf_free(&p.b);
		pg_err(r, u, rc, "/portal");
		return;
	}
	if (sup) {
		pg_h2(&p, "Instansi baru", "New organisation");
		pg_form(&p, "/portal/admin/orgs", 0);
		pg_field(&p, "id", "text", "ID (huruf kecil, angka, . _ -)",
		    "ID (lower-case letters, digits, . _ -)", NULL, "off", 1);
		pg_field(&p, "name", "text", "Nama instansi", "Organisation name", NULL, "off", 1);
		pg_button(&p, NULL, NULL, "Buat instansi", "Create organisation", NULL);
		pg_raw(&p, "</form>\n");
	}
	pg_send(&p, 200);
}

static void h_org_create(web_req *r)
{
	web_form f;
	const char *org, *id, *name;
	web_user *u = admin_post(r, &f, &org);
	oa_err rc;

	if (u == NULL)
		return;
	if (!web_admin_super(r, u)) {
		admin_page_denied(r, u);
		return;
	}
	id = web_form_get(&f, "id");
	name = web_form_get(&f, "name");
	if (id == NULL || name == NULL || !*id || !*name) {
		admin_page_refused(r, u, oa_fail_id(OA_ERR_INVALID, "org_required", NULL,
		                                 "an agency needs its id and name"),
		    "/portal/admin");
		return;
	}
	if (strlen(id) > AUTH_MAX_ID || strlen(name) > 4 * AUTH_MAX_TEXT) {
		admin_page_refused(r, u, oa_fail_id(OA_ERR_INVALID, "too_long", NULL, "too long"),
		    "/portal/admin");
		return;
	}
	if ((rc = auth_org_create(r->auth, id, name, u->w.person))) {
		admin_page_refused(r, u, rc, "/portal/admin");
		return;
	}
	web_redirect(r, "/portal/admin?done=org");
}

/* ---- people ---- */

struct people {
	pg *p;
	const char *q;
	long first, shown, total;
};

static int ci_has(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

static int person_row(const auth_person *ap, void *arg)
{
	struct people *pp = arg;
	pg *p = pp->p;

	if (pp->q && *pp->q && !ci_has(ap->id, pp->q) && !ci_has(ap->name, pp->q) &&
	    !ci_has(ap->email, pp->q))
		return 0;
	if (pp->total++ < pp->first || pp->shown >= PAGE_ROWS)
		return 0;
	pp->shown++;
	pg_raw(p, "<tr><td>");
	pg_link(p, web_printf(p->r, "/portal/admin/people/%s", ap->id), ap->id, "");
	pg_raw(p, "</td><td class=\"pname\">");
	pg_text(p, ap->name);
	pg_raw(p, "</td><td>");
	pg_text(p, ap->email);
	pg_raw(p, "</td><td>");
	if (ap->disabled)
		pg_raw(p, "<span class=\"badge late\">nonaktif <span lang=\"en\">/ disabled</span></span>");
	else
		pg_raw(p, "<span class=\"badge ok\">aktif <span lang=\"en\">/ active</span></span>");
	pg_raw(p, "</td></tr>\n");
	return 0;
}

static void person_fields(pg *p, const auth_person *ap)
{
	pg_field(p, "name", "text", "Nama lengkap", "Full name", ap ? ap->name : NULL, "off", 1);
	pg_field(p, "email", "email", "E-mail", "E-mail", ap ? ap->email : NULL, "off", 1);
	pg_field(p, "nik", "text", "NIK (16 angka)", "NIK (16 digits)", ap ? ap->nik : NULL, "off", 0);
	pg_field(p, "nip", "text", "NIP (18 angka, opsional)", "NIP (18 digits, optional)",
	    ap ? ap->nip : NULL, "off", 0);
	pg_field(p, "position", "text", "Jabatan", "Position", ap ? ap->position : NULL, "off", 0);
	pg_field(p, "unit", "text", "Unit kerja", "Unit", ap ? ap->unit : NULL, "off", 0);
	pg_raw(p, "<div class=\"field\"><input type=\"checkbox\" id=\"f_staff_only\" "
	          "name=\"staff_only\" value=\"1\"%s> <label class=\"inline\" for=\"f_staff_only\">"
	          "Akun staf saja (admin, operator CA) <span class=\"en\" lang=\"en\">/ Staff-only "
	          "account (admin, CA operator)</span></label></div>\n",
	    ap && ap->staff_only ? " checked" : "");
}

static void h_people(web_req *r)
{
	const char *org, *q = web_query(r, "q"), *ps = web_query(r, "page");
	web_user *u = admin_page_get(r, &org);
	struct people pp = {0};
	long page = 1;
	pg p;
	oa_err rc;

	if (u == NULL)
		return;
	if (ps && (page = strtol(ps, NULL, 10)) < 1)
		page = 1;
	if (page > 100000)
		page = 100000;
	if (q && strlen(q) > MAX_QUERY)
		q = NULL;
	pg_start(&p, r, u, "Pengguna", "People");
	admin_page_sections(&p, org);
	pg_raw(&p, "<p>Instansi <span class=\"en\" lang=\"en\">/ Organisation</span>: <code>");
	pg_text(&p, org);
	pg_raw(&p, "</code></p>\n<form method=\"get\" action=\"/portal/admin/people\" role=\"search\">");
	pg_hidden(&p, "org", org);
	pg_field(&p, "q", "search", "Cari (ID, nama, e-mail)", "Search (id, name, e-mail)", q, "off", 0);
	pg_button(&p, NULL, NULL, "Cari", "Search", "secondary");
	pg_raw(&p, "</form>\n<div class=\"table\"><table><thead><tr><th scope=\"col\">ID</th>"
	           "<th scope=\"col\">Nama <span class=\"en\" lang=\"en\">/ Name</span></th>"
	           "<th scope=\"col\">E-mail</th><th scope=\"col\">Status</th></tr></thead><tbody>\n");
	pp.p = &p;
	pp.q = q;
	pp.first = (page - 1) * PAGE_ROWS;
	rc = auth_person_list(r->auth, org, person_row, &pp);
	pg_raw(&p, "</tbody></table></div>\n");
	if (rc) {
		oa_buf_free(&p.b);
		pg_err(r, u, rc, "/portal/admin");
		return;
	}
	pg_raw(&p, "<p class=\"pager\">%ld orang <span class=\"en\" lang=\"en\">/ people</span>. ",
	    pp.total);
	if (page > 1)
		pg_link(&p, web_printf(r, "/portal/admin/people?org=%s&q=%s&page=%ld", org,
		                qenc(r, q), page - 1),
		    "Sebelumnya", "Previous");
	pg_raw(&p, " ");
	if (pp.first + pp.shown < pp.total)
		pg_link(&p, web_printf(r, "/portal/admin/people?org=%s&q=%s&page=%ld", org,
		                qenc(r, q), page + 1),
		    "Berikutnya", "Next");
	pg_raw(&p, "</p>\n");
	pg_h2(&p, "Pengguna baru", "New person");
	pg_form(&p, "/portal/admin/people", 0);
	pg_hidden(&p, "org", org);
	pg_field(&p, "id", "text", "Nama pengguna (ID)", "User name (id)", NULL, "off", 1);
	person_fields(&p, NULL);
	pg_button(&p, NULL, NULL, "Buat pengguna", "Create person", NULL);
	pg_raw(&p, "</form>\n");
	pg_send(&p, 200);
}

/* The profile fields of a form into in. */
static void person_in(const web_form *f, auth_person_in *in)
{
	const char *so = web_form_get(f, "staff_only");

	in->name = web_form_get(f, "name");
	in->email = web_form_get(f, "email");
	in->nik = web_form_get(f, "nik");
	in->nip = web_form_get(f, "nip");
	in->position = web_form_get(f, "position");
	in->unit = web_form_get(f, "unit");
	in->staff_only = so && strcmp(so, "1") == 0;
}

static void h_person_create(web_req *r)
{
	web_form f;
	const char *org;
	web_user *u = admin_post(r, &f, &org);
	auth_person_in in = {0};
	const char *back;
	oa_err rc;

	if (u == NULL)
		return;
	back = web_printf(r, "/portal/admin/people?org=%s", org);
	in.id = web_form_get(&f, "id");
	in.org = org;
	person_in(&f, &in);
	if (in.id == NULL || in.name == NULL || in.email == NULL) {
		admin_page_refused(r, u, oa_fail_id(OA_ERR_INVALID, "person_required", NULL,
		                                 "id, name and e-mail are required"), back);
		return;
	}
	if ((rc = auth_person_create(r->auth, &in, u->w.person))) {
		admin_page_refused(r, u, rc, back);
		return;
	}
	web_redirect(r, web_printf(r, "/portal/admin/people/%s?done=created", in.id));
}

/* The person named in the path, if u may manage their agency (else a reply). */
static int person_of(web_req *r, const web_user *u, auth_person *ap)
{
	oa_err rc;

	if (strlen(r->param[0]) > AUTH_MAX_ID ||
	    (rc = auth_person_get(r->auth, r->param[0], ap)) != OA_OK) {
		oa_err_clear();
		r->errcode = oa_err_name(OA_ERR_NOTFOUND);
		pg_refused(r, u, 404, "Tidak ditemukan", "Not found",
		    "person_unknown", "/portal/admin/people");
		return 0;
	}
	return admin_page_may(r, u, ap->org);
}

struct roles {
	const char *v[MAX_ROLES];
	size_t n;
	web_req *r;
};

static void role_add(struct roles *rs, const char *role)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i], role) == 0)
			return;
	if (rs->n < MAX_ROLES)
		rs->v[rs->n++] = web_printf(rs->r, "%s", role);
}

static int sop_roles(const engine_sop_info *in, void *arg)
{
	struct roles *rs = arg;
	const sop_def *d = NULL;

	if (engine_sop_version(rs->r->engine, in->version_id, NULL, 0, &d) != OA_OK || d == NULL) {
		oa_err_clear();
		return 0;
	}
	for (size_t i = 0; i < d->n_actors; i++)
		role_add(rs, d->actors[i].id);
	return 0;
}

/* The roles a person of org may be given: a staff-only account admin and
 * ca_operator, any other account the actors of org's active SOPs (what
 * engine_role_grantable allows). */
static void org_roles(web_req *r, const char *org, int staff_only, struct roles *rs)
{
	memset(rs, 0, sizeof *rs);
	rs->r = r;
	if (staff_only) {
		role_add(rs, AUTH_ROLE_ADMIN);
		role_add(rs, AUTH_ROLE_CA_OPERATOR);
	} else if (engine_sop_list(r->engine, org, 1, sop_roles, rs) != OA_OK)
		oa_err_clear(); /* the role picker offers less; the roles held are listed above */
}

struct held {
	pg *p;
	const char *person;
	int n;
};

static int held_row(const char *person, const char *role, void *arg)
{
	struct held *h = arg;
	pg *p = h->p;

	h->n++;
	pg_raw(p, "<tr><td><code>");
	pg_text(p, role);
	pg_raw(p, "</code></td><td>");
	pg_form(p, web_printf(p->r, "/portal/admin/people/%s/roles/%s/remove", person, role), 0);
	pg_button(p, NULL, NULL, "Cabut", "Remove", "danger");
	pg_raw(p, "</form></td></tr>\n");
	return 0;
}

static void h_person(web_req *r)
{
	web_user *u = portal_user(r);
	const char *done = web_query(r, "done");
	auth_person ap;
	struct roles rs;
	struct held h = {0};
	pg p;

	if (u == NULL || !person_of(r, u, &ap))
		return;
	pg_start(&p, r, u, "Pengguna", "Person");
	admin_page_sections(&p, ap.org);
	if (done)
		pg_para(&p, "ok", "Tersimpan.", "Saved.");
	pg_raw(&p, "<p><code>");
	pg_text(&p, ap.id);
	pg_raw(&p, "</code> &middot; <span class=\"pname\">");
	pg_text(&p, ap.name);
	pg_raw(&p, "</span> &middot; ");
	pg_text(&p, ap.org);
	pg_raw(&p, "</p>\n");
	pg_h2(&p, "Peran", "Roles");
	pg_raw(&p, "<div class=\"table\"><table><thead><tr><th scope=\"col\">Peran <span class=\"en\" "
	           "lang=\"en\">/ Role</span></th><th scope=\"col\">Tindakan <span class=\"en\" "
	           "lang=\"en\">/ Action</span></th></tr></thead><tbody>\n");
	h.p = &p;
	h.person = ap.id;
	{
		oa_err lrc = auth_role_list(r->auth, ap.org, ap.id, held_row, &h);
		if (lrc != OA_OK) {
			pg_abort(&p, lrc, "/portal/admin/people");
			return;
		}
	}
	pg_raw(&p, "</tbody></table></div>\n");
	org_roles(r, ap.org, ap.staff_only, &rs);
	pg_form(&p, web_printf(r, "/portal/admin/people/%s/roles", ap.id), 0);
	pg_raw(&p, "<div class=\"field\"><label for=\"f_role\">Tambah peran <span class=\"en\" "
	           "lang=\"en\">/ Add a role</span></label><select id=\"f_role\" name=\"role\">");
	for (size_t i = 0; i < rs.n; i++) {
		pg_raw(&p, "<option>");
		pg_text(&p, rs.v[i]);
		pg_raw(&p, "</option>");
	}
	pg_raw(&p, "</select></div>\n");
	pg_button(&p, NULL, NULL, "Tambahkan", "Assign", NULL);
	pg_raw(&p, "</form>\n");
	pg_h2(&p, "Ubah profil", "Edit profile");
	pg_form(&p, web_printf(r, "/portal/admin/people/%s", ap.id), 0);
	person_fields(&p, &ap);
	pg_button(&p, NULL, NULL, "Simpan", "Save", NULL);
	pg_raw(&p, "</form>\n");
	pg_h2(&p, "Status akun", "Account status");
	pg_form(&p, web_printf(r, "/portal/admin/people/%s/disable", ap.id), 0);
	pg_hidden(&p, "disabled", ap.disabled ? "0" : "1");
	if (ap.disabled)
		pg_button(&p, NULL, NULL, "Aktifkan kembali", "Re-enable", "secondary");
	else
		pg_button(&p, NULL, NULL, "Nonaktifkan", "Deactivate", "danger");
	pg_raw(&p, "</form>\n");
	pg_send(&p, 200);
}

/* The person of a POST route, with the CSRF check (0 after a reply). */
static web_user *person_post(web_req *r, web_form *f, auth_person *ap)
{
	web_user *u = portal_post(r, f);

	if (u == NULL || !person_of(r, u, ap))
		return NULL;
	return u;
}

static int any_cb(const void *x, void *arg)
{
	(void)x;
	*(int *)arg = 1;
	return 1;
}

static int case_open_cb(const engine_case *c, void *arg)
{
	if (strcmp(c->state, "open") == 0)
		return any_cb(c, arg);
	return 0;
}

static int cert_cb(const ca_cert_info *ci, void *arg)
{
	return any_cb(ci, arg);
}

/* *busy = 1 if p has an open case or an active certificate under their NIK. */
static oa_err nik_in_use(web_req *r, const auth_person *p, int *busy)
{
	ca_filter f = {.status = "active", .nik = p->nik};
	oa_err rc;

	*busy = 0;
	if ((rc = engine_cases_of(r->engine, p->id, 0, case_open_cb, busy)) || *busy)
		return rc;
	return ca_list(r->ca, &f, cert_cb, busy);
}

static void h_person_update(web_req *r)
{
	web_form f;
	auth_person ap;
	web_user *u = person_post(r, &f, &ap);
	auth_person_in in = {0};
	oa_err rc;

	if (u == NULL)
		return;
	in.id = ap.id;
	in.org = ap.org;
	in.lang = ap.lang;
	person_in(&f, &in);
	if (in.name == NULL || in.email == NULL) {
		admin_page_refused(r, u, oa_fail_id(OA_ERR_INVALID, "name_email_required", NULL,
		                                 "name and e-mail are required"),
		    web_printf(r, "/portal/admin/people/%s", ap.id));
		return;
	}
	/* The NIK names the holder of every certificate the person gets: it
	 * does not change under an open case or an active certificate (issue
	 * 16, finding 1: a case's certificate is issued for the account's NIK). */
	if (ap.nik[0] && in.nik && strcmp(in.nik, ap.nik) != 0) {
		int busy = 0;
		if ((rc = nik_in_use(r, &ap, &busy))) {
			admin_page_refused(r, u, rc, web_printf(r, "/portal/admin/people/%s", ap.id));
			return;
		}
		if (busy) {
			admin_page_refused(r, u, oa_fail_id(OA_ERR_STATE, "nik_locked", NULL,
			    "the NIK cannot change while the person has an open case or an active "
			    "certificate"),
			    web_printf(r, "/portal/admin/people/%s", ap.id));
			return;
		}
	}
	/* The e-mail address is a credential (password resets go there): a
	 * change needs a recent sign-in (security review, finding 4). */
	if (strcasecmp(in.email, ap.email) != 0 && oa_now() - u->authenticated_at > OA_REAUTH_WINDOW_S) {
		admin_page_refused(r, u, oa_fail_id(OA_ERR_DENIED, "email_reauth", NULL,
		    "changing an e-mail address needs a recent sign-in"), web_printf(r, "/portal/admin/people/%s", ap.id));
		return;
	}
	if ((rc = auth_person_update(r->auth, &in, u->w.person))) {
		admin_page_refused(r, u, rc, web_printf(r, "/portal/admin/people/%s", ap.id));
		return;
	}
	web_redirect(r, web_printf(r, "/portal/admin/people/%s?done=saved", ap.id));
}

static void h_person_disable(web_req *r)
{
	web_form f;
	auth_person ap;
	web_user *u = person_post(r, &f, &ap);
	const char *d;
	oa_err rc;

	if (u == NULL)
		return;
	d = web_form_get(&f, "disabled");
	if ((rc = auth_person_set_disabled(r->auth, ap.id, d && strcmp(d, "0") == 0 ? 0 : 1,
	         u->w.person))) {
		admin_page_refused(r, u, rc, web_printf(r, "/portal/admin/people/%s", ap.id));
		return;
	}
	web_redirect(r, web_printf(r, "/portal/admin/people/%s?done=status", ap.id));
}

static void h_role_grant(web_req *r)
{
	web_form f;
	auth_person ap;
	web_user *u = person_post(r, &f, &ap);
	const char *role;
	oa_err rc;

	if (u == NULL)
		return;
	role = web_form_get(&f, "role");
	if (role == NULL || strlen(role) > AUTH_MAX_ID) {
		admin_page_refused(r, u, oa_fail_id(OA_ERR_INVALID, "role_choose", NULL, "no role chosen"),
		    web_printf(r, "/portal/admin/people/%s", ap.id));
		return;
	}
	if ((rc = engine_role_grantable(r->engine, ap.id, ap.org, role)) ||
	    (rc = auth_role_grant(r->auth, ap.id, ap.org, role, u->w.person))) {
		admin_page_refused(r, u, rc, web_printf(r, "/portal/admin/people/%s", ap.id));
		return;
	}
	web_redirect(r, web_printf(r, "/portal/admin/people/%s?done=role", ap.id));
}

static void h_role_revoke(web_req *r)
{
	web_form f;
	auth_person ap;
	web_user *u = person_post(r, &f, &ap);
	oa_err rc;

	if (u == NULL)
		return;
	if ((rc = auth_role_revoke(r->auth, ap.id, ap.org, r->param[1], u->w.person))) {
		admin_page_refused(r, u, rc, web_printf(r, "/portal/admin/people/%s", ap.id));
		return;
	}
	web_redirect(r, web_printf(r, "/portal/admin/people/%s?done=role", ap.id));
}

/* ---- failed e-mails ---- */

struct mails {
	web_req *r;
	pg *p;
	const web_user *u;
	int sup, n;
};

/* 1 if the message's recipient belongs to u's agency (always for the
 * instance's administrators). */
static int mail_visible(web_req *r, const web_user *u, int sup, const char *person)
{
	auth_person ap;

	if (sup)
		return 1;
	if (!*person || auth_person_get(r->auth, person, &ap) != OA_OK) {
		oa_err_clear();
		return 0;
	}
	return strcmp(ap.org, u->w.org) == 0;
}

static int mail_row(const mail_info *mi, void *arg)
{
	struct mails *ms = arg;
	pg *p = ms->p;

	if (!mail_visible(ms->r, ms->u, ms->sup, mi->person))
		return 0;
	ms->n++;
	pg_raw(p, "<tr><td>%" PRId64 "</td><td>", mi->id);
	pg_time(p, mi->created_at);
	pg_raw(p, "</td><td>");
	pg_text(p, mi->rcpt);
	pg_raw(p, "</td><td>");
	pg_text(p, mi->event);
	pg_raw(p, "</td><td>%d</td><td>", mi->attempts);
	pg_text(p, mi->last_error);
	pg_raw(p, "</td><td>");
	pg_form(p, web_printf(ms->r, "/portal/admin/mail/%" PRId64 "/retry", mi->id), 0);
	pg_button(p, NULL, NULL, "Kirim ulang", "Retry", "secondary");
	pg_raw(p, "</form></td></tr>\n");
	return 0;
}

static void h_mail(web_req *r)
{
	const char *org;
	web_user *u = admin_page_get(r, &org);
	struct mails ms = {0};
	pg p;
	oa_err rc;

	if (u == NULL)
		return;
	pg_start(&p, r, u, "E-mail gagal", "Failed e-mails");
	admin_page_sections(&p, org);
	if (web_query(r, "done"))
		pg_para(&p, "ok", "Pesan dimasukkan kembali ke antrean.", "The message is queued again.");
	pg_raw(&p, "<div class=\"table\"><table><thead><tr><th scope=\"col\">#</th>"
	           "<th scope=\"col\">Dibuat <span class=\"en\" lang=\"en\">/ Created</span></th>"
	           "<th scope=\"col\">Penerima <span class=\"en\" lang=\"en\">/ Recipient</span></th>"
	           "<th scope=\"col\">Jenis <span class=\"en\" lang=\"en\">/ Kind</span></th>"
	           "<th scope=\"col\">Percobaan <span class=\"en\" lang=\"en\">/ Attempts</span></th>"
	           "<th scope=\"col\">Galat terakhir <span class=\"en\" lang=\"en\">/ Last error</span>"
	           "</th><th scope=\"col\">Tindakan <span class=\"en\" lang=\"en\">/ Action</span>"
	           "</th></tr></thead><tbody>\n");
	ms.r = r;
	ms.p = &p;
	ms.u = u;
	ms.sup = web_admin_super(r, u);
	rc = mail_list(inst_store(r->in), "failed", MAIL_ROWS, mail_row, &ms);
	pg_raw(&p, "</tbody></table></div>\n");
	if (rc) {
		oa_buf_free(&p.b);
		pg_err(r, u, rc, "/portal/admin");
		return;
	}
	if (ms.n == 0)
		pg_para(&p, "note", "Tidak ada e-mail gagal.", "No failed e-mails.");
	pg_send(&p, 200);
}

static void h_mail_retry(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);
	mail_info mi;
	char *end;
	long long id;
	oa_err rc;

	if (u == NULL || !admin_page_may(r, u, NULL))
		return;
	id = strtoll(r->param[0], &end, 10);
	if (*end || id <= 0 || mail_get(inst_store(r->in), id, &mi, NULL) != OA_OK ||
	    !mail_visible(r, u, web_admin_super(r, u), mi.person)) {
		oa_err_clear();
		r->errcode = oa_err_name(OA_ERR_NOTFOUND);
		pg_refused(r, u, 404, "Tidak ditemukan", "Not found",
		    "mail_unknown", "/portal/admin/mail");
		return;
	}
	if ((rc = mail_retry(inst_store(r->in), id, u->w.person))) {
		admin_page_refused(r, u, rc, "/portal/admin/mail");
		return;
	}
	web_redirect(r, "/portal/admin/mail?done=retry");
}

/* ---- audit log ---- */

static void audit_status(pg *p)
{
	audit_report rep;
	oa_err rc;

	memset(&rep, 0, sizeof rep);
	rc = audit_verify(inst_store(p->r->in), &rep);
	if (rc == OA_OK)
		pg_raw(p, "<p class=\"ok audit-ok\" id=\"verify\">Rantai hash utuh <span class=\"en\" "
		          "lang=\"en\">/ Hash chain intact</span>: OK, %" PRId64 " catatan <span "
		          "class=\"en\" lang=\"en\">/ records</span>.</p>\n", rep.rows);
	else if (rc == OA_ERR_STATE) {
		pg_raw(p, "<p class=\"err audit-bad\" id=\"verify\" role=\"alert\">Rantai hash rusak "
		          "<span class=\"en\" lang=\"en\">/ Hash chain broken</span>: catatan pertama "
		          "yang rusak <span class=\"en\" lang=\"en\">/ first bad record</span> "
		          "#<span class=\"first-bad\">%" PRId64 "</span> (", rep.first_bad);
		pg_text(p, rep.reason);
		pg_raw(p, ")</p>\n");
	} else {
		pg_para(p, "err", "Log audit tidak dapat diperiksa.", "The audit log could not be checked.");
	}
	oa_err_clear();
}

struct audit_rows {
	pg *p;
	long n;
};

static int audit_row(const audit_record *x, void *arg)
{
	struct audit_rows *ar = arg;
	const char *v[4] = {x->actor, x->action, x->object, x->detail};

	if (++ar->n > AUDIT_ROWS)
		return 1;
	pg_raw(ar->p, "<tr><td>%" PRId64 "</td><td>", x->seq);
	pg_time(ar->p, x->at);
	for (int c = 0; c < 4; c++) {
		pg_raw(ar->p, "</td><td>");
		pg_text(ar->p, v[c]);
	}
	pg_raw(ar->p, "</td></tr>\n");
	return 0;
}

/* An agency's administrator sees their agency's records; the instance's
 * administrators every record (or one agency's, ?org=). */
static void h_audit(web_req *r)
{
	const char *org, *actor = web_query(r, "actor"), *action = web_query(r, "action");
	const char *ps = web_query(r, "page");
	web_user *u = admin_page_get(r, &org);
	long page = 1, n = 0;
	audit_query q = {0};
	struct audit_rows ar;
	oa_err rc;
	pg p;

	if (u == NULL)
		return;
	if (ps && (page = strtol(ps, NULL, 10)) < 1)
		page = 1;
	if (page > 1000000)
		page = 1000000;
	if (actor && strlen(actor) > MAX_QUERY)
		actor = NULL;
	if (action && strlen(action) > MAX_QUERY)
		action = NULL;
	pg_start(&p, r, u, "Log audit", "Audit log");
	admin_page_sections(&p, org);
	audit_status(&p);
	pg_raw(&p, "<form method=\"get\" action=\"/portal/admin/audit\" role=\"search\">");
	pg_field(&p, "actor", "text", "Pelaku", "Actor", actor, "off", 0);
	pg_field(&p, "action", "text", "Tindakan", "Action", action, "off", 0);
	pg_button(&p, NULL, NULL, "Saring", "Filter", "secondary");
	pg_raw(&p, "</form>\n");
	q.org = web_admin_super(r, u) && web_query(r, "org") == NULL ? NULL : org;
	q.actor = actor;
	q.action = action;
	q.limit = AUDIT_ROWS + 1;
	q.offset = (page - 1) * AUDIT_ROWS;
	pg_raw(&p, "<div class=\"table\"><table class=\"audit\"><thead><tr><th scope=\"col\">#</th>"
	           "<th scope=\"col\">Waktu <span class=\"en\" lang=\"en\">/ Time</span></th>"
	           "<th scope=\"col\">Pelaku <span class=\"en\" lang=\"en\">/ Actor</span></th>"
	           "<th scope=\"col\">Tindakan <span class=\"en\" lang=\"en\">/ Action</span></th>"
	           "<th scope=\"col\">Objek <span class=\"en\" lang=\"en\">/ Object</span></th>"
	           "<th scope=\"col\">Rincian <span class=\"en\" lang=\"en\">/ Detail</span></th>"
	           "</tr></thead><tbody>\n");
	ar.p = &p;
	ar.n = 0;
	if ((rc = audit_list(inst_store(r->in), &q, audit_row, &ar))) {
		oa_buf_free(&p.b);
		pg_err(r, u, rc, "/portal/admin");
		return;
	}
	n = ar.n;
	pg_raw(&p, "</tbody></table></div>\n<p class=\"pager\">");
	if (page > 1)
		pg_link(&p, web_printf(r, "/portal/admin/audit?actor=%s&action=%s&page=%ld",
		                qenc(r, actor), qenc(r, action), page - 1),
		    "Lebih baru", "Newer");
	pg_raw(&p, " ");
	if (n > AUDIT_ROWS)
		pg_link(&p, web_printf(r, "/portal/admin/audit?actor=%s&action=%s&page=%ld",
		                qenc(r, actor), qenc(r, action), page + 1),
		    "Lebih lama", "Older");
	pg_raw(&p, "</p>\n");
	pg_send(&p, 200);
}

static const web_route routes[] = {
	{WEB_GET, "/portal/admin", h_admin, 0},
	{WEB_POST, "/portal/admin/orgs", h_org_create, 8 * 1024},
	{WEB_GET, "/portal/admin/people", h_people, 0},
	{WEB_POST, "/portal/admin/people", h_person_create, 16 * 1024},
	{WEB_GET, "/portal/admin/people/{id}", h_person, 0},
	{WEB_POST, "/portal/admin/people/{id}", h_person_update, 16 * 1024},
	{WEB_POST, "/portal/admin/people/{id}/disable", h_person_disable, 1024},
	{WEB_POST, "/portal/admin/people/{id}/roles", h_role_grant, 1024},
	{WEB_POST, "/portal/admin/people/{id}/roles/{role}/remove", h_role_revoke, 1024},
	{WEB_GET, "/portal/admin/mail", h_mail, 0},
	{WEB_POST, "/portal/admin/mail/{id}/retry", h_mail_retry, 1024},
	{WEB_GET, "/portal/admin/audit", h_audit, 0},
};

const web_route_table web_portal_admin_table = {"portal_admin", routes,
    sizeof routes / sizeof routes[0]};
