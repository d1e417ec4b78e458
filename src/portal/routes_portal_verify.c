/*
 * routes_portal_verify.c - the public verification page: anyone uploads a
 * signed PDF and sees each signature (who signed, when, why and where,
 * whether the bytes are intact, the chain trusted to this instance's root,
 * the certificate's status now and at signing time, the time-stamp, the
 * long-term validation data, and whether anything but allowed additions
 * came after it).  No account, no session, nothing stored: the upload is
 * verified in memory (sign_verify_pdf_cached: the same document again is
 * answered from the cache until something is revoked) and forgotten.
 *
 *   GET  /verify    the form
 *   POST /verify    multipart/form-data, field "file" (a PDF, at most
 *                   SIGN_MAX_PDF_BYTES)
 *
 * The QR code of a visible signature made by openams can point here.
 */
#include <stdio.h>
#include <string.h>

#include "../sign/sign.h"
#include "portalInt.h"

#define VERIFY_MAX_BODY (SIGN_MAX_PDF_BYTES + 64 * 1024)

static void form(pg *p)
{
	pg_raw(p, "<form method=\"post\" action=\"/verify\" enctype=\"multipart/form-data\">\n"
	          "<label for=\"file\">");
	pg_bi(p, "Dokumen PDF yang ditandatangani", "Signed PDF document");
	pg_raw(p, "</label>\n<input id=\"file\" name=\"file\" type=\"file\" "
	          "accept=\"application/pdf,.pdf\" required>\n");
	pg_button(p, NULL, NULL, "Verifikasi", "Verify", NULL);
	pg_raw(p, "</form>\n");
}

static void h_form(web_req *r)
{
	web_user *u = portal_user_opt(r);
	pg p;

	pg_start(&p, r, u, "Verifikasi dokumen", "Verify a document");
	pg_para(&p, NULL, "Unggah PDF yang ditandatangani secara elektronik untuk memeriksa setiap "
	                  "tanda tangannya. Dokumen tidak disimpan.",
	    "Upload an electronically signed PDF to check each of its signatures. The document is "
	    "not kept.");
	form(&p);
	pg_send(&p, 200);
}

static void row(pg *p, const char *id, const char *en)
{
	pg_raw(p, "<tr><th scope=\"row\">");
	pg_bi(p, id, en);
	pg_raw(p, "</th><td>");
}

static void yesno(pg *p, int ok, const char *yid, const char *yen, const char *nid,
    const char *nen)
{
	pg_raw(p, "<span class=\"%s\">", ok ? "ok" : "bad");
	pg_bi(p, ok ? yid : nid, ok ? yen : nen);
	pg_raw(p, "</span>");
}

static void signature(pg *p, const sign_sig_report *s, size_t i)
{
	int good = s->intact && s->trusted && !s->changed_after &&
	    (!s->timestamped || s->timestamp_valid) &&
	    !(s->revoked_at && (!s->timestamp_valid || s->timestamp_time >= s->revoked_at));

	pg_raw(p, "<section class=\"signature\">\n<h2>");
	pg_bi(p, "Tanda tangan", "Signature");
	pg_raw(p, " %zu: <span class=\"status %s\">", i + 1, good ? "good" : "revoked");
	pg_bi(p, good ? "Sah" : "Tidak sah", good ? "Valid" : "Not valid");
	pg_raw(p, "</span></h2>\n<div class=\"table\"><table>\n");
	row(p, "Penanda tangan", "Signer");
	pg_text(p, s->signer_cn[0] ? s->signer_cn : s->name);
	pg_raw(p, "<br><small>");
	pg_text(p, s->signer);
	pg_raw(p, "</small></td></tr>\n");
	row(p, "Penerbit sertifikat", "Certificate issuer");
	pg_text(p, s->issuer);
	pg_raw(p, "</td></tr>\n");
	row(p, "Nomor seri", "Serial number");
	pg_raw(p, "<code>");
	pg_text(p, s->serial);
	pg_raw(p, "</code></td></tr>\n");
	if (s->signing_time) {
		row(p, "Waktu (menurut penanda tangan)", "Time (as the signer states)");
		pg_time(p, s->signing_time);
		pg_raw(p, "</td></tr>\n");
	}
	if (s->reason[0]) {
		row(p, "Alasan", "Reason");
		pg_text(p, s->reason);
		pg_raw(p, "</td></tr>\n");
	}
	if (s->location[0]) {
		row(p, "Lokasi", "Location");
		pg_text(p, s->location);
		pg_raw(p, "</td></tr>\n");
	}
	row(p, "Keutuhan", "Integrity");
	yesno(p, s->intact, "Utuh: isi yang ditandatangani tidak berubah",
	    "Intact: the signed content is unchanged", "Rusak", "Broken");
	if (s->problem[0]) {
		pg_raw(p, "<br><small>");
		pg_text(p, s->problem);
		pg_raw(p, "</small>");
	}
	pg_raw(p, "</td></tr>\n");
	row(p, "Rantai sertifikat", "Certificate chain");
	yesno(p, s->trusted, "Dipercaya (sampai CA induk instans ini)",
	    "Trusted (to this instance's root CA)", "Tidak dipercaya", "Not trusted");
	if (s->trust_problem[0]) {
		pg_raw(p, "<br><small>");
		pg_text(p, s->trust_problem);
		pg_raw(p, "</small>");
	}
	pg_raw(p, "</td></tr>\n");
	row(p, "Status sertifikat", "Certificate status");
	if (strcmp(s->revocation, "good") == 0)
		yesno(p, 1, "Baik", "Good", "", "");
	else if (strcmp(s->revocation, "revoked") == 0) {
		yesno(p, 0, "", "", "Dicabut", "Revoked");
		pg_raw(p, " ");
		pg_time(p, s->revoked_at);
		if (s->timestamp_valid && s->timestamp_time < s->revoked_at) {
			pg_raw(p, "<br><small>");
			pg_bi(p, "setelah cap waktu tanda tangan", "after the signature's time-stamp");
			pg_raw(p, "</small>");
		}
	} else
		pg_bi(p, "Tidak diketahui (bukan dari instans ini)", "Unknown (not from this instance)");
	pg_raw(p, "</td></tr>\n");
	row(p, "Cap waktu", "Time-stamp");
	if (s->timestamped) {
		yesno(p, s->timestamp_valid, "Sah", "Valid", "Tidak sah", "Not valid");
		if (s->timestamp_time) {
			pg_raw(p, " ");
			pg_time(p, s->timestamp_time);
		}
	} else
		pg_bi(p, "Tidak ada", "None");
	pg_raw(p, "</td></tr>\n");
	row(p, "Data validasi jangka panjang", "Long-term validation data");
	pg_bi(p, s->ltv ? "Ada (LTV)" : "Tidak ada", s->ltv ? "Present (LTV)" : "None");
	pg_raw(p, "</td></tr>\n");
	row(p, "Setelah tanda tangan", "After the signature");
	if (s->whole)
		pg_bi(p, "Mencakup seluruh dokumen", "Covers the whole document");
	else
		yesno(p, !s->changed_after, "Hanya tambahan yang diizinkan (tanda tangan lain, data validasi)",
		    "Only allowed additions (other signatures, validation data)",
		    "Dokumen diubah setelah ditandatangani", "The document was changed after signing");
	pg_raw(p, "</td></tr>\n</table></div>\n</section>\n");
}

static void h_verify(web_req *r)
{
	web_user *u = portal_user_opt(r);
	docs_multipart m;
	const docs_part *f;
	sign_report rep;
	char hex[65];
	int hit = 0;
	oa_err rc;
	pg p;

	if (!portal_multipart(r, &m))
		return;
	pg_start(&p, r, u, "Hasil verifikasi", "Verification result");
	if ((f = docs_multipart_file(&m, "file")) == NULL || f->len == 0) {
		r->errcode = "validation";
		pg_para(&p, "err", "Pilih sebuah berkas PDF.", "Choose a PDF file.");
		form(&p);
		pg_send(&p, 422);
		return;
	}
	rc = sign_verify_pdf_cached(r->ca, (const uint8_t *)f->data, f->len, &rep, &hit);
	if (rc == OA_ERR_INVALID || rc == OA_ERR_LIMIT) {
		r->errcode = "validation";
		pg_raw(&p, "<p class=\"err\">");
		pg_bi(&p, "Berkas ini tidak dapat dibaca sebagai PDF.", "This file cannot be read as a PDF.");
		pg_raw(&p, "<br><small>");
		pg_text(&p, oa_errmsg());
		pg_raw(&p, "</small></p>\n");
		oa_err_clear();
		form(&p);
		pg_send(&p, 422);
		return;
	}
	if (rc) {
		oa_buf_free(&p.b);
		pg_err(r, u, rc, "/verify");
		return;
	}
	oa_hex(hex, rep.sha256, sizeof rep.sha256);
	pg_raw(&p, "<div class=\"table\"><table>\n");
	row(&p, "Berkas", "File");
	pg_text(&p, f->filename ? f->filename : "-");
	pg_raw(&p, "</td></tr>\n");
	row(&p, "SHA-256 dokumen", "Document SHA-256");
	pg_raw(&p, "<code>%s</code></td></tr>\n", hex);
	row(&p, "Jumlah tanda tangan", "Signatures");
	pg_raw(&p, "%zu</td></tr>\n</table></div>\n", rep.n);
	if (rep.n == 0)
		pg_para(&p, "err", "Dokumen ini tidak memuat tanda tangan elektronik.",
		    "This document carries no electronic signature.");
	for (size_t i = 0; i < rep.n; i++)
		signature(&p, &rep.sig[i], i);
	sign_report_free(&rep);
	pg_raw(&p, "<p><a href=\"/verify\">");
	pg_bi(&p, "Verifikasi dokumen lain", "Verify another document");
	pg_raw(&p, "</a></p>\n");
	pg_send(&p, 200);
	web_header(r, "X-Openams-Verify-Cache", hit ? "hit" : "miss");
}

static const web_route routes[] = {
	{WEB_GET, "/verify", h_form, 0},
	{WEB_POST, "/verify", h_verify, VERIFY_MAX_BODY},
};

const web_route_table web_portal_verify_table = {"portal_verify", routes,
    sizeof routes / sizeof routes[0]};
