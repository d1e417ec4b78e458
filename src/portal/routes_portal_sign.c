/*
 * routes_portal_sign.c - a holder signs a PDF in the browser with the key
 * sealed for their certificate (sign_pdf_holder: the passphrase unseals it
 * for this one signature; wrong ones count towards the key's lock; the
 * signature is audited with the document's SHA-256):
 *
 *   GET  /portal/sign    the form: the PDF, visible or not, the page and the
 *                        corner the signature goes in, reason, location,
 *                        passphrase
 *   POST /portal/sign    multipart/form-data with the session's CSRF token:
 *                        the signed PDF as a download; nothing is kept
 *
 * The key is the account's own: the certificate is the newest active one of
 * the NIK on the person's account that has a key sealed here.  A visible
 * signature shows a QR code to the instance's verification page (/verify),
 * "Ditandatangani secara elektronik oleh", the holder's name and the time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/limits.h"
#include "../sign/sign.h"
#include "portalInt.h"

#define SIGN_PAGE_MAX_BODY (SIGN_MAX_PDF_BYTES + 64 * 1024)
#define BOX_W 220.0
#define BOX_H 70.0
#define MARGIN 36.0

static const struct corner {
	const char *value, *id, *en;
} corners[] = {
	{"br", "Kanan bawah", "Bottom right"},
	{"bl", "Kiri bawah", "Bottom left"},
	{"tr", "Kanan atas", "Top right"},
	{"tl", "Kiri atas", "Top left"},
};

/* The person's NIK and name (from their account). */
static int person_of(web_req *r, const web_user *u, auth_person *ap)
{
	if (auth_person_get(r->auth, u->w.person, ap) != OA_OK) {
		oa_err_clear();
		return 0;
	}
	return ap->nik[0] != 0;
}

static void form(pg *p, const char *serial)
{
	pg_form(p, "/portal/sign", 1);
	pg_raw(p, "<label for=\"file\">");
	pg_bi(p, "Dokumen PDF", "PDF document");
	pg_raw(p, "</label>\n<input id=\"file\" name=\"file\" type=\"file\" "
	          "accept=\"application/pdf,.pdf\" required>\n");
	pg_raw(p, "<fieldset><legend>");
	pg_bi(p, "Tampilan", "Appearance");
	pg_raw(p, "</legend>\n<label><input type=\"radio\" name=\"tampilan\" value=\"visible\" "
	          "checked> ");
	pg_bi(p, "Terlihat (kode QR, nama, waktu)", "Visible (QR code, name, time)");
	pg_raw(p, "</label>\n<label><input type=\"radio\" name=\"tampilan\" value=\"invisible\"> ");
	pg_bi(p, "Tidak terlihat", "Invisible");
	pg_raw(p, "</label>\n</fieldset>\n");
	pg_field(p, "page", "number", "Halaman", "Page", "1", "off", 0);
	pg_raw(p, "<label for=\"f_posisi\">");
	pg_bi(p, "Posisi di halaman", "Position on the page");
	pg_raw(p, "</label>\n<select id=\"f_posisi\" name=\"posisi\">\n");
	for (size_t i = 0; i < sizeof corners / sizeof corners[0]; i++) {
		pg_raw(p, "<option value=\"%s\">", corners[i].value);
		pg_bi(p, corners[i].id, corners[i].en);
		pg_raw(p, "</option>\n");
	}
	pg_raw(p, "</select>\n");
	pg_field(p, "reason", "text", "Alasan", "Reason", "Persetujuan", "off", 0);
	pg_field(p, "location", "text", "Lokasi", "Location", NULL, "off", 0);
	pg_field(p, "passphrase", "password", "Frasa sandi kunci Anda", "Your key's passphrase",
	    NULL, "off", 1);
	pg_field(p, "pdf_password", "password", "Kata sandi dokumen (jika dokumen dikunci)",
	    "The document's password (if it is protected)", NULL, "off", 0);
	pg_raw(p, "<p><small>");
	pg_bi(p, "Sertifikat yang dipakai", "Certificate used");
	pg_raw(p, ": <code>");
	pg_text(p, serial);
	pg_raw(p, "</code></small></p>\n");
	pg_button(p, NULL, NULL, "Tanda tangani dan unduh", "Sign and download", NULL);
	pg_raw(p, "</form>\n");
}

/* The signing form, or why there is none. */
static void page(web_req *r, web_user *u, unsigned status, const char *mid, const char *men)
{
	auth_person ap;
	char serial[41];
	pg p;

	pg_start(&p, r, u, "Tanda tangani dokumen", "Sign a document");
	if (mid)
		pg_para(&p, "err", mid, men);
	if (!person_of(r, u, &ap) || sign_holder_find(r->in, ap.nik, NULL, serial) != OA_OK) {
		oa_err_clear();
		pg_para(&p, NULL, "Anda belum memiliki sertifikat elektronik aktif yang kuncinya "
		                  "tersimpan di sini. Ajukan penerbitan sertifikat terlebih dahulu.",
		    "You have no active electronic certificate with its key kept here. Request a "
		    "certificate first.");
		pg_link(&p, "/portal/requests/new", "Ajukan permohonan", "Make a request");
		pg_send(&p, status == 200 ? 200 : status);
		return;
	}
	pg_para(&p, NULL, "Tanda tangan dibuat dengan kunci sertifikat Anda (PAdES). Dokumen tidak "
	                  "disimpan di server.",
	    "The signature is made with your certificate's key (PAdES). The document is not kept on "
	    "the server.");
	form(&p, serial);
	pg_send(&p, status);
}

static void h_form(web_req *r)
{
	web_user *u = portal_user(r);

	if (u)
		page(r, u, 200, NULL, NULL);
}

static void h_sign(web_req *r)
{
	web_user *u = portal_session(r);
	docs_multipart m;
	const docs_part *file;
	const char *tampilan, *posisi, *pass, *pagestr, *reason, *location;
	auth_person ap;
	sign_holder h = {0};
	sign_opts o = {0};
	sign_visual v = {0};
	char who[160], when[64], serial[41], name[SIGN_MAX_TEXT_BYTES + 1], *end, safe[200];
	uint8_t *out = NULL;
	size_t out_len = 0;
	double box[4];
	int rotate = 0;
	long pageno = 1;
	oa_err rc;

	if (u == NULL || !portal_multipart(r, &m))
		return;
	if (!portal_csrf_ok(u, docs_multipart_get(&m, "csrf"))) {
		web_body_wipe(r);
		portal_csrf_refused(r, u, "/portal/sign");
		return;
	}
	file = docs_multipart_file(&m, "file");
	tampilan = docs_multipart_get(&m, "tampilan");
	posisi = docs_multipart_get(&m, "posisi");
	pass = docs_multipart_get(&m, "passphrase");
	o.password = docs_multipart_get(&m, "pdf_password"); /* "" or absent: none */
	pagestr = docs_multipart_get(&m, "page");
	reason = docs_multipart_get(&m, "reason");
	location = docs_multipart_get(&m, "location");
	if (!file || file->len == 0 || !pass || !*pass) {
		web_body_wipe(r);
		r->errcode = "validation";
		page(r, u, 422, "Pilih berkas PDF dan isi frasa sandi.",
		    "Choose a PDF file and enter the passphrase.");
		return;
	}
	{
		/* the download's name: the original's, "-ttd" (ditandatangani) before .pdf,
		 * kept before the body (which holds the passphrase) is wiped */
		const char *fn = file->filename && docs_filename_ok(file->filename) ? file->filename
		                                                                     : "dokumen.pdf";
		size_t n = strlen(fn), k = 0;
		if (n > 4 && strcasecmp(fn + n - 4, ".pdf") == 0)
			n -= 4;
		for (size_t i = 0; i < n && k < sizeof safe - 1; i++)
			safe[k++] = (fn[i] >= 'a' && fn[i] <= 'z') || (fn[i] >= 'A' && fn[i] <= 'Z') ||
			    (fn[i] >= '0' && fn[i] <= '9') || fn[i] == '-' || fn[i] == '_' ? fn[i] : '_';
		safe[k] = 0;
	}
	if (!person_of(r, u, &ap)) {
		web_body_wipe(r);
		page(r, u, 409, "Akun Anda tidak memiliki NIK.", "Your account has no NIK.");
		return;
	}
	if (pagestr && *pagestr) {
		pageno = strtol(pagestr, &end, 10);
		if (*end || pageno < 1 || pageno > 100000) {
			web_body_wipe(r);
			r->errcode = "validation";
			page(r, u, 422, "Nomor halaman tidak sah.", "Not a page number.");
			return;
		}
	}
	if (!tampilan || strcmp(tampilan, "invisible") != 0) {
		const char *c = posisi ? posisi : "br";
		if ((rc = sign_pdf_page_box_pw((const uint8_t *)file->data, file->len, o.password,
		         (int)pageno, box, &rotate))) {
			web_body_wipe(r);
			r->errcode = "validation";
			page(r, u, 422, "Dokumen tidak dapat dibaca sebagai PDF, atau tidak memiliki halaman "
			                "itu.",
			    oa_errmsg());
			oa_err_clear();
			return;
		}
		sign_page_view_box(box, rotate, box); /* the corners as the page is seen */
		v.page = (int)pageno;
		v.w = BOX_W < box[2] - box[0] - 2 * MARGIN ? BOX_W : box[2] - box[0] - 2 * MARGIN;
		v.h = BOX_H;
		v.x = c[1] == 'l' ? box[0] + MARGIN : box[2] - MARGIN - v.w;
		v.y = c[0] == 't' ? box[3] - MARGIN - v.h : box[1] + MARGIN;
		{
			/* the verification page on this host, as the browser reached it */
			const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
			if (host && strlen(host) < 256 && !strpbrk(host, " \"<>\\"))
				v.qr = web_printf(r, "%s://%s/verify", web_srv && web_srv->tls ? "https" : "http",
				    host);
			else
				v.qr = NULL;
		}
		{
			/* at most SIGN_MAX_TEXT_BYTES, cut at a character boundary */
			size_t n = strlen(ap.name);
			if (n > SIGN_MAX_TEXT_BYTES) {
				n = SIGN_MAX_TEXT_BYTES;
				while (n > 0 && ((unsigned char)ap.name[n] & 0xc0) == 0x80)
					n--;
			}
			memcpy(name, ap.name, n);
			name[n] = 0;
		}
		oa_time_iso(when, sizeof when, oa_now());
		snprintf(who, sizeof who, "%s", "Ditandatangani secara elektronik oleh");
		v.lines[0] = who;
		v.lines[1] = name;
		v.lines[2] = when;
		o.visual = &v;
	}
	o.reason = reason && *reason ? reason : NULL;
	o.location = location && *location ? location : NULL;
	h.nik = ap.nik;
	h.passphrase = pass;
	h.actor = u->w.person;
	h.client = "portal";
	rc = sign_pdf_holder(r->in, &h, (const uint8_t *)file->data, file->len, &o, &out, &out_len,
	    serial);
	web_body_wipe(r); /* the passphrase was in the body */
	if (rc == OA_ERR_DENIED) {
		oa_err_clear();
		r->errcode = "denied";
		page(r, u, 403, "Frasa sandi salah. Setelah beberapa kali salah, kunci Anda terkunci.",
		    "Wrong passphrase. After a few wrong ones your key is locked.");
		return;
	}
	if (rc == OA_ERR_STATE || rc == OA_ERR_INVALID || rc == OA_ERR_LIMIT ||
	    rc == OA_ERR_NOTFOUND || rc == OA_ERR_POLICY) {
		char msg[300];
		snprintf(msg, sizeof msg, "%s", oa_errmsg());
		oa_err_clear();
		r->errcode = rc == OA_ERR_STATE ? "state" : "validation";
		page(r, u, rc == OA_ERR_STATE ? 409 : 422,
		    rc == OA_ERR_STATE ? "Kunci atau sertifikat Anda tidak dapat dipakai (terkunci, "
		                         "dicabut atau kedaluwarsa)."
		                       : "Dokumen ini tidak dapat ditandatangani.",
		    msg);
		return;
	}
	if (rc) {
		pg_err(r, u, rc, "/portal/sign");
		return;
	}
	web_reply_owned(r, 200, "application/pdf", out, out_len, free, out);
	if (r->resp == NULL) {
		free(out);
		return;
	}
	web_header(r, "Content-Disposition",
	    web_printf(r, "attachment; filename=\"%s-ttd.pdf\"", safe[0] ? safe : "dokumen"));
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	web_header(r, "X-Openams-Certificate", serial);
}

static const web_route routes[] = {
	{WEB_GET, "/portal/sign", h_form, 0},
	{WEB_POST, "/portal/sign", h_sign, SIGN_PAGE_MAX_BODY},
};

const web_route_table web_portal_sign_table = {"portal_sign", routes,
    sizeof routes / sizeof routes[0]};
