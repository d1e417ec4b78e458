/*
 * routes_portal_sops.c - the administrators' SOP definition pages of the
 * portal (docs/PORTAL.md, "Administration and SLA"): the agency's
 * versions, upload (a YAML file or pasted text), check with the error list
 * (file:line: message), install, the preview of the rendered official form
 * and swimlane (served on their own with a strict policy) and activation.
 *
 * As through the JSON API, definitions are installed into the
 * administrator's own agency; a version of another agency is refused
 * unless the administrator manages every agency (web_admin_may,
 * web_admin_super in http.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "portalInt.h"

/* ---- SOP definitions ---- */

static int sop_row(const engine_sop_info *in, void *arg)
{
	pg *p = arg;

	pg_raw(p, "<tr><td><code>");
	pg_text(p, in->sop_id);
	pg_raw(p, "</code></td><td>");
	pg_text(p, in->name);
	pg_raw(p, "</td><td>%" PRId64 "</td><td>", in->version);
	pg_time(p, in->created_at);
	pg_raw(p, "</td><td>%s</td><td>", in->active ? "<span class=\"badge ok\">aktif "
	                                               "<span lang=\"en\">/ active</span></span>" : "-");
	pg_link(p, web_printf(p->r, "/portal/admin/sops/%" PRId64, in->version_id), "Pratinjau",
	    "Preview");
	pg_raw(p, "</td></tr>\n");
	return 0;
}

/* The upload form (text: what was pasted, shown again after a check). */
static void sop_upload_form(pg *p, const char *text)
{
	pg_form(p, "/portal/admin/sops", 1);
	pg_raw(p, "<div class=\"field\"><label for=\"f_file\">Berkas YAML <span class=\"en\" "
	          "lang=\"en\">/ YAML file</span></label><input id=\"f_file\" name=\"file\" "
	          "type=\"file\" accept=\".yaml,.yml,text/yaml\"></div>\n");
	pg_raw(p, "<div class=\"field\"><label for=\"f_text\">atau tempel teksnya <span class=\"en\" "
	          "lang=\"en\">/ or paste its text</span></label><textarea id=\"f_text\" "
	          "name=\"text\" rows=\"12\" class=\"code\">");
	if (text)
		pg_text(p, text);
	pg_raw(p, "</textarea></div>\n");
	pg_button(p, "do", "check", "Periksa", "Check", "secondary");
	pg_button(p, "do", "install", "Pasang (belum aktif)", "Install (not active)", NULL);
	pg_raw(p, "</form>\n");
}

static void sops_page(web_req *r, const web_user *u, unsigned status, const sop_errors *errs,
    const char *fname, const char *text, int checked_ok)
{
	pg p;

	pg_start(&p, r, u, "Definisi SOP", "SOP definitions");
	admin_page_sections(&p, u->w.org);
	if (web_query(r, "done"))
		pg_para(&p, "ok", "Tersimpan.", "Saved.");
	if (checked_ok)
		pg_para(&p, "ok", "Definisi SOP sah.", "The SOP definition is valid.");
	if (errs) {
		pg_raw(&p, "<div class=\"err\" role=\"alert\"><p>Definisi SOP tidak sah <span "
		           "class=\"en\" lang=\"en\">/ The SOP definition is invalid</span> "
		           "(%zu)</p><ol class=\"errors\">\n", errs->n);
		for (size_t i = 0; i < errs->n; i++) {
			pg_raw(&p, "<li><code>");
			pg_text(&p, fname);
			if (errs->v[i].line > 0)
				pg_raw(&p, ":%d", errs->v[i].line);
			pg_raw(&p, "</code>: ");
			pg_text(&p, errs->v[i].msg ? errs->v[i].msg : "");
			pg_raw(&p, "</li>\n");
		}
		pg_raw(&p, "</ol></div>\n");
	}
	pg_h2(&p, "Unggah definisi", "Upload a definition");
	sop_upload_form(&p, text);
	pg_h2(&p, "Versi terpasang", "Installed versions");
	pg_raw(&p, "<div class=\"table\"><table><thead><tr><th scope=\"col\">SOP</th>"
	           "<th scope=\"col\">Nama <span class=\"en\" lang=\"en\">/ Name</span></th>"
	           "<th scope=\"col\">Versi <span class=\"en\" lang=\"en\">/ Version</span></th>"
	           "<th scope=\"col\">Dipasang <span class=\"en\" lang=\"en\">/ Installed</span></th>"
	           "<th scope=\"col\">Status</th><th scope=\"col\">Lihat <span class=\"en\" "
	           "lang=\"en\">/ View</span></th></tr></thead><tbody>\n");
	{
		oa_err lrc = engine_sop_list(r->engine, u->w.org, 0, sop_row, &p);
		if (lrc != OA_OK) {
			pg_abort(&p, lrc, "/portal");
			return;
		}
	}
	pg_raw(&p, "</tbody></table></div>\n");
	pg_send(&p, status);
}

static void h_sops(web_req *r)
{
	const char *org;
	web_user *u = admin_page_get(r, &org);

	if (u == NULL)
		return;
	sops_page(r, u, 200, NULL, NULL, NULL, 0);
}

/* A file name fit for the error list: its last component, printable ASCII. */
static const char *upload_name(web_req *r, const char *fn)
{
	const char *b = fn ? strrchr(fn, '/') : NULL;
	char *o;
	size_t n = 0;

	fn = b ? b + 1 : fn;
	if (fn == NULL || *fn == 0)
		return "upload.yaml";
	if ((o = web_alloc(r, 65)) == NULL)
		return "upload.yaml";
	for (; *fn && n < 64; fn++)
		o[n++] = (*fn > 0x20 && *fn < 0x7f && *fn != '\\') ? *fn : '_';
	o[n] = 0;
	return o;
}

static void h_sop_upload(web_req *r)
{
	web_user *u = portal_session(r);
	docs_multipart m;
	const docs_part *file;
	const char *text, *fname = "upload.yaml", *act;
	size_t len;
	sop_def *d = NULL;
	sop_errors errs = {0};
	int64_t vid = 0;
	oa_err rc;

	if (u == NULL || !portal_multipart(r, &m))
		return;
	if (!portal_csrf_ok(u, docs_multipart_get(&m, "csrf"))) {
		portal_csrf_refused(r, u, "/portal/admin/sops");
		return;
	}
	if (!admin_page_may(r, u, NULL))
		return;
	act = docs_multipart_get(&m, "do");
	file = docs_multipart_file(&m, "file");
	if (file && file->len > 0) {
		text = file->data;
		len = file->len;
		fname = upload_name(r, file->filename);
	} else {
		text = docs_multipart_text(&m, "text");
		len = text ? strlen(text) : 0;
	}
	if (!web_yaml_ok(text, len)) {
		admin_page_refused(r, u, oa_fail_id(OA_ERR_INVALID, "yaml_text", NULL,
		                                 "the definition is not YAML text (UTF-8)"),
		    "/portal/admin/sops");
		return;
	}
	rc = sop_parse(fname, text, len, &d, &errs);
	if (rc == OA_OK && act && strcmp(act, "install") == 0)
		rc = engine_sop_install(r->engine, u->w.org, d->id, text, 0, u->w.person, &vid, &errs);
	if (rc == OA_ERR_INVALID && errs.n > 0) {
		oa_err_clear();
		r->errcode = "validation";
		sops_page(r, u, 422, &errs, fname, file ? NULL : text, 0);
	} else if (rc)
		admin_page_refused(r, u, rc, "/portal/admin/sops");
	else if (vid)
		web_redirect(r, web_printf(r, "/portal/admin/sops/%" PRId64 "?done=installed", vid));
	else
		sops_page(r, u, 200, NULL, fname, file ? NULL : text, 1);
	sop_errors_free(&errs);
	sop_free(d);
}

/* The version in the path, of the admin's agency (else a reply). */
static int version_of(web_req *r, const web_user *u, int64_t *vid, const sop_def **d,
    char *org)
{
	char *end;
	long long v = strtoll(r->param[0], &end, 10);

	if (*end || v <= 0 || engine_sop_version(r->engine, v, org, AUTH_MAX_ID + 1, d) != OA_OK) {
		oa_err_clear();
		r->errcode = oa_err_name(OA_ERR_NOTFOUND);
		pg_refused(r, u, 404, "Tidak ditemukan", "Not found",
		    "version_unknown", "/portal/admin/sops");
		return 0;
	}
	*vid = v;
	return admin_page_may(r, u, org);
}

static int version_info(const engine_sop_info *in, void *arg)
{
	engine_sop_info *out = arg;

	if (in->version_id != out->version_id)
		return 0;
	out->active = in->active;
	out->version = in->version;
	return 1;
}

static void h_sop_version(web_req *r)
{
	web_user *u = portal_user(r);
	const sop_def *d;
	engine_sop_info info = {0};
	int64_t vid;
	char org[AUTH_MAX_ID + 1];
	pg p;

	if (u == NULL || !version_of(r, u, &vid, &d, org))
		return;
	info.version_id = vid;
	{
		oa_err lrc = engine_sop_list(r->engine, org, 0, version_info, &info);
		if (lrc != OA_OK) {
			pg_err(r, u, lrc, "/portal/admin/sops");
			return;
		}
	}
	pg_start(&p, r, u, "Definisi SOP", "SOP definition");
	admin_page_sections(&p, org);
	if (web_query(r, "done"))
		pg_para(&p, "ok", "Tersimpan.", "Saved.");
	pg_raw(&p, "<p><code>");
	pg_text(&p, d->id);
	pg_raw(&p, "</code> &middot; ");
	pg_text(&p, d->name);
	pg_raw(&p, " &middot; versi <span class=\"en\" lang=\"en\">/ version</span> %" PRId64 " "
	           "&middot; %s</p>\n", info.version, info.active ? "<span class=\"badge ok\">aktif "
	           "<span lang=\"en\">/ active</span></span>" : "<span class=\"badge due\">belum "
	           "aktif <span lang=\"en\">/ not active</span></span>");
	if (!info.active) {
		pg_form(&p, web_printf(r, "/portal/admin/sops/%" PRId64 "/activate", vid), 0);
		pg_button(&p, NULL, NULL, "Aktifkan versi ini", "Activate this version", NULL);
		pg_raw(&p, "</form>\n");
	}
	pg_h2(&p, "Bagan alir (swimlane)", "Swimlane flowchart");
	pg_raw(&p, "<p><img class=\"swimlane\" src=\"/portal/admin/sops/%" PRId64 "/swimlane.svg\" "
	           "alt=\"Bagan alir SOP / SOP swimlane flowchart\"></p>\n", vid);
	pg_h2(&p, "Formulir resmi", "Official form");
	pg_raw(&p, "<iframe class=\"preview\" title=\"Formulir SOP / SOP form\" "
	           "src=\"/portal/admin/sops/%" PRId64 "/form\"></iframe>\n<p>", vid);
	pg_link(&p, web_printf(r, "/portal/admin/sops/%" PRId64 "/form", vid),
	    "Buka formulir di halaman sendiri", "Open the form on its own page");
	pg_raw(&p, "</p>\n");
	pg_send(&p, 200);
}

static void h_sop_activate(web_req *r)
{
	web_form f;
	web_user *u = portal_post(r, &f);
	const sop_def *d;
	int64_t vid;
	char org[AUTH_MAX_ID + 1];
	oa_err rc;

	if (u == NULL || !version_of(r, u, &vid, &d, org))
		return;
	if ((rc = engine_sop_activate(r->engine, vid, u->w.person))) {
		admin_page_refused(r, u, rc, "/portal/admin/sops");
		return;
	}
	web_redirect(r, web_printf(r, "/portal/admin/sops/%" PRId64 "?done=activated", vid));
}

static void buf_release(void *q)
{
	free(q);
}

/*
 * A rendering served on its own with a strict policy: nothing but its one
 * <style> element, allowed by its SHA-256, and framing by this origin.
 */
static void render_send(web_req *r, oa_buf *out, const char *type)
{
	const char *s = out->data ? memmem(out->data, out->len, "<style>", 7) : NULL;
	const char *e = s ? memmem(s, out->len - (size_t)(s - (const char *)out->data), "</style>", 8)
	                  : NULL;
	unsigned char sum[32];
	char b64[64], csp[256];

	if (s && e) {
		s += 7;
		EVP_Digest(s, (size_t)(e - s), sum, NULL, EVP_sha256(), NULL);
		EVP_EncodeBlock((unsigned char *)b64, sum, sizeof sum);
		snprintf(csp, sizeof csp, "default-src 'none'; style-src 'sha256-%s'; "
		                          "frame-ancestors 'self'; base-uri 'none'; form-action 'none'", b64);
	} else
		snprintf(csp, sizeof csp, "default-src 'none'; frame-ancestors 'self'; base-uri 'none'; "
		                          "form-action 'none'");
	web_reply_owned(r, 200, type, out->data, out->len, buf_release, out->data);
	if (r->resp == NULL) {
		free(out->data);
		return;
	}
	web_header(r, "Content-Security-Policy", csp);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	web_header(r, "Referrer-Policy", "no-referrer");
	web_header(r, "X-Content-Type-Options", "nosniff");
	web_header(r, "X-Frame-Options", "SAMEORIGIN");
}

static void render(web_req *r, int svg)
{
	web_user *u = portal_user(r);
	const sop_def *d;
	int64_t vid;
	oa_buf out = {0};
	char org[AUTH_MAX_ID + 1];
	oa_err rc;

	if (u == NULL || !version_of(r, u, &vid, &d, org))
		return;
	rc = svg ? sop_render_svg(d, &out) : sop_render_html(d, &out);
	if (rc) {
		free(out.data);
		pg_err(r, u, rc, "/portal/admin/sops");
		return;
	}
	render_send(r, &out, svg ? "image/svg+xml" : "text/html; charset=utf-8");
}

static void h_sop_form(web_req *r)
{
	render(r, 0);
}

static void h_sop_svg(web_req *r)
{
	render(r, 1);
}

static const web_route routes[] = {
	{WEB_GET, "/portal/admin/sops", h_sops, 0},
	{WEB_POST, "/portal/admin/sops", h_sop_upload, OA_MAX_SOP_BYTES + 64 * 1024},
	{WEB_GET, "/portal/admin/sops/{id}", h_sop_version, 0},
	{WEB_POST, "/portal/admin/sops/{id}/activate", h_sop_activate, 1024},
	{WEB_GET, "/portal/admin/sops/{id}/form", h_sop_form, 0},
	{WEB_GET, "/portal/admin/sops/{id}/swimlane.svg", h_sop_svg, 0},
};

const web_route_table web_portal_sops_table = {"portal_sops", routes,
    sizeof routes / sizeof routes[0]};
