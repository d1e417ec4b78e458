/*
 * esign_v1.c - the BSrE API's v1 routes (docs/ESIGN_API.md): multipart
 * signing with a visible signature placed as the guide's v1 places it, the
 * signed document kept for one download (DIR/esign), verification and a
 * holder's status.  What v1 and v2 share is esign.c.
 */
#include "esignInt.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "../common/util.h"
#include "../docs/docs.h"

/* A number in a form field; 0 after a reply when absent or not a number. */
static int form_num(web_req *r, const docs_multipart *m, const char *k, double *out)
{
	const char *v = docs_multipart_get(m, k);
	char *end = NULL;

	if (v && *v) {
		errno = 0;
		*out = strtod(v, &end);
		if (errno == 0 && end && *end == 0 && isfinite(*out))
			return 1;
	}
	esign_fail(r, 400, "INVALID_REQUEST", "Parameter visualisasi tidak lengkap",
	    "tampilan visible needs %s (a number)", k);
	return 0;
}

/*
 * v1's visible signature (the guide's 5.2 and its illustration "API v1"):
 * origin at the bottom left of the page; (xAxis, yAxis) is the box's
 * lower-left corner (llx, lly) and (width, height) its upper-right corner
 * (urx, ury).  The specimen is imageTTD (image=true) or a QR code of
 * linkQR (image=false); text is a line beside it.
 */
/* 1 if pdf has page n. */
static int has_page(const uint8_t *pdf, size_t len, long n)
{
	double box[4];
	int rot;

	if (sign_pdf_page_box(pdf, len, (int)n, box, &rot) == OA_OK)
		return 1;
	oa_err_clear();
	return 0;
}

/* The number of the last page (1 when page 1 cannot be read either: the
 * signature then reports the broken PDF).  About 2 log2(pages) reads. */
static long last_page(const uint8_t *pdf, size_t len)
{
	long lo = 1, hi = 2;

	if (!has_page(pdf, len, 1))
		return 1;
	while (hi <= 100000 && has_page(pdf, len, hi)) {
		lo = hi;
		hi *= 2;
	}
	while (hi - lo > 1) {     /* lo exists, hi does not */
		long mid = lo + (hi - lo) / 2;
		if (has_page(pdf, len, mid))
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int v1_visual(web_req *r, const docs_multipart *m, const uint8_t *pdf, size_t len,
    sign_visual *v)
{
	const char *page = docs_multipart_get(m, "page"), *image = docs_multipart_get(m, "image");
	const char *qr = docs_multipart_get(m, "linkQR"), *text = docs_multipart_get(m, "text");
	const char *tag = docs_multipart_get(m, "tag_koordinat");
	const docs_part *img = docs_multipart_file(m, "imageTTD");
	double x, y, urx, ury;
	char *end = NULL;
	long pg;

	if (tag && *tag) {
		/* with a tag, width and height are the box's size */
		if (!form_num(r, m, "width", &urx) || !form_num(r, m, "height", &ury) ||
		    esign_tag_place(r, tag, pdf, len, urx, ury, v) < 0)
			return 0;
		goto specimen;
	}
	if (page == NULL || *page == 0) {
		const char *h = docs_multipart_get(m, "halaman");
		if (h && (strcasecmp(h, "awal") == 0 || strcasecmp(h, "pertama") == 0 ||
		        strcasecmp(h, "first") == 0)) {
			pg = 1;
		} else if (h && (strcasecmp(h, "akhir") == 0 || strcasecmp(h, "terakhir") == 0 ||
		               strcasecmp(h, "last") == 0)) {
			pg = last_page(pdf, len);
		} else {
			esign_fail(r, 400, "INVALID_REQUEST", "Parameter page atau halaman wajib diisi",
			    "tampilan visible needs page, or halaman (awal or akhir)");
			return 0;
		}
	} else {
		pg = strtol(page, &end, 10);
		if (*end || pg < 1 || pg > 100000) {
			esign_fail(r, 400, "INVALID_REQUEST", "Parameter page tidak valid",
			    "page is a page number");
			return 0;
		}
	}
	if (!form_num(r, m, "xAxis", &x) || !form_num(r, m, "yAxis", &y) ||
	    !form_num(r, m, "width", &urx) || !form_num(r, m, "height", &ury))
		return 0;
	if (urx <= x || ury <= y) {
		esign_fail(r, 400, "INVALID_REQUEST", "Koordinat visualisasi tidak valid",
		    "in v1 width and height are the box's upper-right corner (urx, ury): they must "
		    "exceed xAxis and yAxis");
		return 0;
	}
	v->page = (int)pg;
	v->x = x;
	v->y = y;
	v->w = urx - x;
	v->h = ury - y;
specimen:
	if (image && strcasecmp(image, "false") == 0) {
		if (qr == NULL || *qr == 0) {
			esign_fail(r, 400, "INVALID_REQUEST", "linkQR wajib diisi jika image false",
			    "image=false needs linkQR");
			return 0;
		}
		v->qr = qr;
	} else if (img && img->len > 0) {
		v->image = (const uint8_t *)img->data;
		v->image_len = img->len;
	} else if (qr && *qr) {
		v->qr = qr;
	} else {
		esign_fail(r, 400, "INVALID_REQUEST", "imageTTD wajib diisi jika image true",
		    "image=true needs the imageTTD file (JPEG or PNG)");
		return 0;
	}
	if (text && *text)
		v->lines[0] = text;
	return 1;
}

/* The documents waiting for their download: DIR/esign. */
static const char *store_dir(web_req *r)
{
	return web_printf(r, "%s/esign", inst_dir(r->in));
}

/* Removes documents older than esign.keep_seconds (and abandoned claims). */
static void sweep(web_req *r, const char *dir)
{
	int64_t keep = conf_int(inst_conf(r->in), "esign.keep_seconds");
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	char path[OA_MAX_PATH];
	time_t now = time(NULL);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > keep)
			unlink(path);
	}
	closedir(d);
}

static int id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n != 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

/* Keeps a signed document for its download; id (33 bytes). */
static oa_err keep_doc(web_req *r, const uint8_t *pdf, size_t len, char id[33])
{
	const char *dir = store_dir(r);
	unsigned char raw[16];
	oa_err rc;

	if (dir == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if ((rc = oa_mkdir_p(dir, 0700)))
		return rc;
	sweep(r, dir);
	if (RAND_bytes(raw, sizeof raw) != 1)
		return oa_fail(OA_ERR_CRYPTO, "no random bytes");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	return oa_write_file_atomic(web_printf(r, "%s/%s.pdf", dir, id), pdf, len, 0600);
}

/* The client and the multipart/form-data body of a v1 request: 1, or 0
 * once answered (401 or 429, 415, 400). */
static int v1_form(web_req *r, auth_client_info *ci, docs_multipart *m)
{
	const char *ct;

	if (!esign_client_auth(r, ci))
		return 0;
	ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!docs_multipart_type_ok(ct)) {
		esign_fail(r, 415, "UNSUPPORTED_MEDIA_TYPE", "Permintaan harus multipart/form-data",
		    "the request must be multipart/form-data");
		return 0;
	}
	if (r->body == NULL || docs_multipart_parse(ct, r->body, r->body_len, m) != OA_OK) {
		esign_fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid", "malformed multipart body: %s",
		    oa_errmsg());
		return 0;
	}
	return 1;
}

/* POST /api/sign/pdf (multipart): file, nik, passphrase, tampilan, reason,
 * location.  200: the signed PDF with the header id_dokumen. */
static void v1_sign(web_req *r)
{
	auth_client_info ci;
	docs_multipart m;
	const docs_part *file;
	const char *nik, *pass;
	uint8_t *out = NULL;
	size_t out_len = 0;
	sign_visual vis = {0};
	int visible = 0;
	char id[33];
	oa_err rc;

	if (!v1_form(r, &ci, &m))
		return;
	nik = docs_multipart_get(&m, "nik");
	pass = docs_multipart_get(&m, "passphrase");
	if (!esign_nik_ok(r, nik))
		return;
	if (pass == NULL || *pass == 0) {
		esign_fail(r, 400, "INVALID_REQUEST", "Passphrase wajib diisi", "passphrase is required");
		return;
	}
	if (!esign_tampilan_kind(r, docs_multipart_get(&m, "tampilan"), &visible))
		return;
	if ((file = docs_multipart_file(&m, "file")) == NULL || file->len == 0) {
		esign_fail(r, 400, "INVALID_REQUEST", "File wajib diisi", "file (a PDF) is required");
		return;
	}
	if (visible && !v1_visual(r, &m, (const uint8_t *)file->data, file->len, &vis))
		return;
	rc = esign_sign_one(r, &ci, nik, pass, KEYS_WRAP_NONE, (const uint8_t *)file->data, file->len,
	    docs_multipart_get(&m, "reason"), docs_multipart_get(&m, "location"),
	    visible ? &vis : NULL, &out, &out_len);
	if (rc) {
		esign_sign_fail(r, rc, nik);
		return;
	}
	if ((rc = keep_doc(r, out, out_len, id))) {
		free(out);
		esign_fail_internal(r, rc);
		return;
	}
	web_reply_owned(r, 200, "application/pdf", out, out_len, free, out);
	web_header(r, "id_dokumen", id);
	web_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
	    web_printf(r, "attachment; filename=\"%s.pdf\"", id));
}

/* GET /api/sign/download/{id}: once. */
static void v1_download(web_req *r)
{
	auth_client_info ci;
	const char *id = r->param[0], *dir;
	char *path, *claim;
	uint8_t *pdf = NULL;
	size_t len = 0;
	oa_err rc;

	if (!esign_client_auth(r, &ci))
		return;
	dir = store_dir(r);
	sweep(r, dir);
	if (!id_ok(id)) {
		esign_fail(r, 404, "DOCUMENT_NOT_FOUND", "Dokumen tidak ditemukan",
		    "no signed document with this id (downloaded already, expired, or never made)");
		return;
	}
	path = web_printf(r, "%s/%s.pdf", dir, id);
	claim = web_printf(r, "%s/.%s.%s", dir, id, r->id);
	/* Only one request renames it: the document is downloaded once. */
	if (path == NULL || claim == NULL || rename(path, claim) != 0) {
		esign_fail(r, 404, "DOCUMENT_NOT_FOUND", "Dokumen tidak ditemukan",
		    "no signed document with this id (downloaded already, expired, or never made)");
		return;
	}
	rc = oa_read_file(claim, SIGN_MAX_PDF_BYTES + (size_t)1024 * 1024, &pdf, &len);
	unlink(claim);
	if (rc) {
		esign_fail_internal(r, rc);
		return;
	}
	web_reply_owned(r, 200, "application/pdf", pdf, len, free, pdf);
	web_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
	    web_printf(r, "attachment; filename=\"%s.pdf\"", id));
}

/* GET /api/user/status/{nik} */
static void v1_status(web_req *r)
{
	auth_client_info ci;

	if (!esign_client_auth(r, &ci))
		return;
	if (!esign_nik_ok(r, r->param[0]))
		return;
	esign_reply_status(r, r->param[0]);
}

/* POST /api/sign/verify (multipart signed_file): the guide's 5.4 JSON. */
static void v1_verify(web_req *r)
{
	auth_client_info ci;
	docs_multipart m;
	const docs_part *file;
	const char *desc = "", *verdict;
	sign_report rep;
	json_t *details, *j;

	if (!v1_form(r, &ci, &m))
		return;
	if ((file = docs_multipart_file(&m, "signed_file")) == NULL || file->len == 0) {
		esign_fail(r, 400, "INVALID_REQUEST", "signed_file wajib diisi",
		    "signed_file (a signed PDF) is required");
		return;
	}
	if (esign_verify(r, (const uint8_t *)file->data, file->len, &rep))
		return;
	verdict = esign_conclusion(&rep, &desc);
	details = json_array();
	for (size_t i = 0; i < rep.n; i++) {
		const sign_sig_report *s = &rep.sig[i];
		char *na = esign_iso_ms(r, s->not_after, 1);
		char *validity = na ? web_printf(r, "until %s", na) : NULL;
		char *tname = NULL, *tvalid = NULL;
		if (s->timestamped && s->timestamp_valid)
			esign_tsa_info(r, &tname, &tvalid);
		json_array_append_new(details, json_pack("{s:{s:o,s:o},s:s,s:{s:s,s:s,s:s,s:s,s:b},"
		    "s:{s:b,s:o,s:b,s:n,s:o,s:o,s:n}}",
		    "info_tsa", "name", s->timestamped ? json_string(tname ? tname : "Timestamp Authority")
		                                        : json_null(),
		    "tsa_cert_validity", esign_str_or_null(tvalid),
		    "signature_field", s->field,
		    "info_signer", "issuer_dn", s->issuer, "signer_name", s->signer_cn,
		    "signer_cert_validity", validity ? validity : "", "signer_dn", s->signer,
		    "cert_user_certified", s->trusted,
		    "signature_document", "signed_using_tsa", s->timestamped && s->timestamp_valid,
		    "reason", esign_str_or_null(s->reason), "document_integrity", s->intact && !s->changed_after,
		    "signature_value",
		    "signed_in", esign_str_or_null(esign_iso_ms(r, s->signing_time, 1)),
		    "location", esign_str_or_null(s->location),
		    "hash_value"));
	}
	j = json_pack("{s:o,s:i,s:s,s:o,s:s}", "nama_dokumen", esign_str_or_null(file->filename),
	    "jumlah_signature", (int)rep.n, "notes", desc, "details", details, "summary", verdict);
	sign_report_free(&rep);
	web_reply_json(r, 200, j);
}

static const web_route v1_routes[] = {
	{WEB_POST, "/api/sign/pdf", v1_sign, ESIGN_MAX_V1_BODY},
	{WEB_GET, "/api/sign/download/{id}", v1_download, 0},
	{WEB_POST, "/api/sign/verify", v1_verify, ESIGN_MAX_V1_BODY},
	{WEB_GET, "/api/user/status/{nik}", v1_status, 0},
};

const web_route_table web_esign_v1_table = {"esign-v1", v1_routes,
    sizeof v1_routes / sizeof v1_routes[0]};
