/*
 * esign.c - the BSrE "Esign Client Service" API, v1 and v2 (esign.h,
 * docs/ESIGN_API.md).
 *
 * Each handler first authenticates the client application (HTTP Basic,
 * auth_client_verify: 401 with WWW-Authenticate, or 429 over its rate),
 * then checks its input, then signs or verifies.  Every error is one JSON
 * object {status_code, error (Indonesian), code (stable), message
 * (English, with the detail)}; a 500 only for a fault of the server, its
 * detail in the request log, not the reply.
 *
 * Must never: log or echo a passphrase or a client secret; keep a signed
 * document after its download or ESIGN_KEEP_SECONDS; serve a file whose
 * name did not come from RAND_bytes here.
 */
#include "esign.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "../ca/ca.h"
#include "../common/util.h"
#include "../docs/docs.h"
#include "../keys/keys.h"

#define MAX_SECRET_HDR 512

/* ---- replies ---- */

static void fail(web_req *r, unsigned status, const char *code, const char *id_msg,
    const char *en_fmt, ...) __attribute__((format(printf, 5, 6)));

static void fail(web_req *r, unsigned status, const char *code, const char *id_msg,
    const char *en_fmt, ...)
{
	char en[512];
	va_list ap;

	va_start(ap, en_fmt);
	vsnprintf(en, sizeof en, en_fmt, ap);
	va_end(ap);
	r->errcode = code;
	web_reply_json(r, status, json_pack("{s:i,s:s,s:s,s:s}", "status_code", (int)status,
	    "error", id_msg, "code", code, "message", en));
	oa_err_clear();
}

/* A fault of the server (store, I/O, memory): 503 when the database is
 * busy, else 500 with its detail in the log only. */
static void fail_internal(web_req *r, oa_err rc)
{
	snprintf(r->errmsg, sizeof r->errmsg, "%s: %s", oa_err_name(rc), oa_errmsg());
	if (rc == OA_ERR_STORE)
		fail(r, 503, "UNAVAILABLE", "Layanan sedang sibuk, coba lagi",
		    "The service is busy; try again shortly");
	else
		fail(r, 500, "INTERNAL", "Terjadi kesalahan pada server", "Internal error");
}

/* ---- who is asking ---- */

static const char *peer_ip(web_req *r, char *buf, size_t n)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	buf[0] = 0;
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
			    (socklen_t)n);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			    buf, (socklen_t)n);
	}
	return buf[0] ? buf : NULL;
}

/* HTTP Basic: 1 and *ci when the client application is known, else the
 * reply is made (401 or 429) and 0. */
static int client_auth(web_req *r, auth_client_info *ci)
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned char dec[MAX_SECRET_HDR + 1];
	char ipbuf[INET6_ADDRSTRLEN];
	long n = -1;
	char *colon;
	oa_err rc = OA_ERR_DENIED;

	if (h && strncasecmp(h, "Basic ", 6) == 0) {
		h += 6;
		h += strspn(h, " ");
		n = web_base64_decode(h, strlen(h), dec, MAX_SECRET_HDR);
	}
	if (n > 0) {
		dec[n] = 0;
		if (memchr(dec, 0, (size_t)n) == NULL && (colon = strchr((char *)dec, ':')) != NULL) {
			*colon = 0;
			rc = auth_client_verify(r->auth, (char *)dec, colon + 1, peer_ip(r, ipbuf,
			    sizeof ipbuf), ci);
		}
	}
	oa_wipe(dec, sizeof dec);
	if (rc == OA_OK) {
		r->user = web_printf(r, "client:%s", ci->username);
		return 1;
	}
	if (rc == OA_ERR_LIMIT) {
		fail(r, 429, "RATE_LIMITED", "Terlalu banyak permintaan", "%s", oa_errmsg());
		web_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "60");
		return 0;
	}
	if (rc == OA_ERR_DENIED) {
		fail(r, 401, "UNAUTHORIZED", "Unauthorized",
		    "HTTP Basic credentials of a registered, enabled client application are required");
		web_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"esign\", charset=\"UTF-8\"");
		return 0;
	}
	fail_internal(r, rc);
	return 0;
}

/* ---- signing ---- */

/* Answers a refusal of sign_pdf_holder() (or sign_holder_find()). */
static void sign_fail(web_req *r, oa_err rc, const char *nik)
{
	const char *m = oa_errmsg();
	auth_person p;

	switch (rc) {
	case OA_ERR_DENIED:
		fail(r, 400, "PASSPHRASE_INVALID", "Passphrase anda salah", "wrong passphrase: %s", m);
		return;
	case OA_ERR_STATE:
		if (strstr(m, "locked"))
			fail(r, 403, "KEY_LOCKED", "Kunci penandatangan terkunci karena terlalu banyak "
			    "percobaan passphrase yang salah", "%s", m);
		else if (strstr(m, "revoked"))
			fail(r, 403, "CERTIFICATE_REVOKED", "Sertifikat Elektronik sudah dicabut", "%s", m);
		else if (strstr(m, "expired"))
			fail(r, 403, "CERTIFICATE_EXPIRED", "Masa berlaku Sertifikat Elektronik telah "
			    "berakhir", "%s", m);
		else
			fail(r, 403, "CERTIFICATE_NOT_VALID", "Sertifikat Elektronik tidak dapat dipakai",
			    "%s", m);
		return;
	case OA_ERR_NOTFOUND:
		if (auth_person_by_nik(r->auth, nik, &p) == OA_OK)
			fail(r, 404, "NO_CERTIFICATE", "Pengguna belum memiliki Sertifikat Elektronik",
			    "NIK %s has no certificate with a key sealed here", nik);
		else
			fail(r, 404, "NOT_REGISTERED", "Pengguna belum terdaftar",
			    "NIK %s is not registered", nik);
		return;
	case OA_ERR_INVALID:
		if (strncmp(m, "broken PDF", 10) != 0 && (strstr(m, "visible signature") ||
		        strstr(m, "image") || strstr(m, "JPEG") || strstr(m, "PNG") || strstr(m, "page")))
			fail(r, 400, "VISUAL_INVALID", "Parameter visualisasi tidak valid", "%s", m);
		else
			fail(r, 400, "PDF_INVALID", "Dokumen PDF tidak valid", "%s", m);
		return;
	case OA_ERR_LIMIT:
		if (strstr(m, "image") || strstr(m, "JPEG") || strstr(m, "PNG") || strstr(m, "QR"))
			fail(r, 400, "VISUAL_INVALID", "Parameter visualisasi tidak valid", "%s", m);
		else
			fail(r, 413, "LIMIT", "Dokumen terlalu besar", "%s", m);
		return;
	case OA_ERR_POLICY:
		fail(r, 409, "DOCUMENT_LOCKED", "Dokumen tidak mengizinkan perubahan", "%s", m);
		return;
	default:
		fail_internal(r, rc);
	}
}

static int nik_ok(web_req *r, const char *nik)
{
	if (nik == NULL || *nik == 0) {
		fail(r, 400, "INVALID_REQUEST", "NIK wajib diisi", "nik is required");
		return 0;
	}
	if (auth_check_nik(nik) != OA_OK) {
		fail(r, 400, "INVALID_REQUEST", "NIK harus 16 digit angka", "nik must be 16 digits");
		return 0;
	}
	return 1;
}

/* tampilan: *visible 0 or 1; 0 after a reply when it is neither. */
static int tampilan_kind(web_req *r, const char *tampilan, int *visible)
{
	*visible = 0;
	if (tampilan == NULL || *tampilan == 0 || strcasecmp(tampilan, "invisible") == 0)
		return 1;
	if (strcasecmp(tampilan, "visible") == 0) {
		*visible = 1;
		return 1;
	}
	fail(r, 400, "INVALID_REQUEST", "Tampilan harus visible atau invisible",
	    "tampilan must be visible or invisible");
	return 0;
}

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
	fail(r, 400, "INVALID_REQUEST", "Parameter visualisasi tidak lengkap",
	    "tampilan visible needs %s (a number)", k);
	return 0;
}

/*
 * tag_koordinat (v1 and v2): the box, the guide's width x height, centred
 * where the tag first appears in the page text (sign_visual_at_tag, which
 * keeps it inside the page).  1: placed; -1: answered (refused).
 */
static int tag_place(web_req *r, const char *tag, const uint8_t *pdf, size_t len, double w,
    double h, sign_visual *v)
{
	oa_err rc;

	v->w = w;
	v->h = h;
	if ((rc = sign_visual_at_tag(pdf, len, tag, v)) == OA_OK)
		return 1;
	if (rc == OA_ERR_NOTFOUND)
		fail(r, 400, "VISUAL_INVALID", "tag_koordinat tidak ditemukan di dokumen", "%s",
		    oa_errmsg());
	else if (rc == OA_ERR_INVALID && strncmp(oa_errmsg(), "broken PDF", 10) != 0)
		fail(r, 400, "VISUAL_INVALID", "tag_koordinat atau ukuran visualisasi tidak valid",
		    "%s", oa_errmsg());
	else
		sign_fail(r, rc, "");
	return -1;
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
		    tag_place(r, tag, pdf, len, urx, ury, v) < 0)
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
			fail(r, 400, "INVALID_REQUEST", "Parameter page atau halaman wajib diisi",
			    "tampilan visible needs page, or halaman (awal or akhir)");
			return 0;
		}
	} else {
		pg = strtol(page, &end, 10);
		if (*end || pg < 1 || pg > 100000) {
			fail(r, 400, "INVALID_REQUEST", "Parameter page tidak valid",
			    "page is a page number");
			return 0;
		}
	}
	if (!form_num(r, m, "xAxis", &x) || !form_num(r, m, "yAxis", &y) ||
	    !form_num(r, m, "width", &urx) || !form_num(r, m, "height", &ury))
		return 0;
	if (urx <= x || ury <= y) {
		fail(r, 400, "INVALID_REQUEST", "Koordinat visualisasi tidak valid",
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
			fail(r, 400, "INVALID_REQUEST", "linkQR wajib diisi jika image false",
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
		fail(r, 400, "INVALID_REQUEST", "imageTTD wajib diisi jika image true",
		    "image=true needs the imageTTD file (JPEG or PNG)");
		return 0;
	}
	if (text && *text)
		v->lines[0] = text;
	return 1;
}

static oa_err sign_one(web_req *r, const auth_client_info *ci, const char *nik,
    const char *pass, const uint8_t *pdf, size_t len, const char *reason, const char *location,
    const sign_visual *vis, uint8_t **out, size_t *out_len)
{
	sign_holder h = {0};
	sign_opts o = {0};
	char serial[41];

	h.nik = nik;
	h.passphrase = pass;
	h.actor = web_printf(r, "client:%s", ci->username);
	h.client = ci->username;
	o.reason = reason;
	o.location = location;
	o.visual = vis;
	return sign_pdf_holder(r->ca, &h, pdf, len, &o, out, out_len, serial);
}

/* The documents waiting for their download: DIR/esign. */
static const char *store_dir(web_req *r)
{
	return web_printf(r, "%s/esign", ca_dir(r->ca));
}

/* Removes documents older than ESIGN_KEEP_SECONDS (and abandoned claims). */
static void sweep(const char *dir)
{
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
		    now - st.st_mtime > ESIGN_KEEP_SECONDS)
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
	sweep(dir);
	if (RAND_bytes(raw, sizeof raw) != 1)
		return oa_fail(OA_ERR_CRYPTO, "no random bytes");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	return oa_write_file_atomic(web_printf(r, "%s/%s.pdf", dir, id), pdf, len, 0600);
}

/* POST /api/sign/pdf (multipart): file, nik, passphrase, tampilan, reason,
 * location.  200: the signed PDF with the header id_dokumen. */
static void v1_sign(web_req *r)
{
	auth_client_info ci;
	docs_multipart m;
	const docs_part *file;
	const char *nik, *pass, *ct;
	uint8_t *out = NULL;
	size_t out_len = 0;
	sign_visual vis = {0};
	int visible = 0;
	char id[33];
	oa_err rc;

	if (!client_auth(r, &ci))
		return;
	ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!docs_multipart_type_ok(ct)) {
		fail(r, 415, "UNSUPPORTED_MEDIA_TYPE", "Permintaan harus multipart/form-data",
		    "the request must be multipart/form-data");
		return;
	}
	if (r->body == NULL ||
	    docs_multipart_parse(ct, r->body, r->body_len, &m) != OA_OK) {
		fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid", "malformed multipart body: %s",
		    oa_errmsg());
		return;
	}
	nik = docs_multipart_get(&m, "nik");
	pass = docs_multipart_get(&m, "passphrase");
	if (!nik_ok(r, nik))
		return;
	if (pass == NULL || *pass == 0) {
		fail(r, 400, "INVALID_REQUEST", "Passphrase wajib diisi", "passphrase is required");
		return;
	}
	if (!tampilan_kind(r, docs_multipart_get(&m, "tampilan"), &visible))
		return;
	if ((file = docs_multipart_file(&m, "file")) == NULL || file->len == 0) {
		fail(r, 400, "INVALID_REQUEST", "File wajib diisi", "file (a PDF) is required");
		return;
	}
	if (visible && !v1_visual(r, &m, (const uint8_t *)file->data, file->len, &vis))
		return;
	rc = sign_one(r, &ci, nik, pass, (const uint8_t *)file->data, file->len,
	    docs_multipart_get(&m, "reason"), docs_multipart_get(&m, "location"),
	    visible ? &vis : NULL, &out, &out_len);
	if (rc) {
		sign_fail(r, rc, nik);
		return;
	}
	if ((rc = keep_doc(r, out, out_len, id))) {
		free(out);
		fail_internal(r, rc);
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

	if (!client_auth(r, &ci))
		return;
	dir = store_dir(r);
	sweep(dir);
	if (!id_ok(id)) {
		fail(r, 404, "DOCUMENT_NOT_FOUND", "Dokumen tidak ditemukan",
		    "no signed document with this id (downloaded already, expired, or never made)");
		return;
	}
	path = web_printf(r, "%s/%s.pdf", dir, id);
	claim = web_printf(r, "%s/.%s.%s", dir, id, r->id);
	/* Only one request renames it: the document is downloaded once. */
	if (path == NULL || claim == NULL || rename(path, claim) != 0) {
		fail(r, 404, "DOCUMENT_NOT_FOUND", "Dokumen tidak ditemukan",
		    "no signed document with this id (downloaded already, expired, or never made)");
		return;
	}
	rc = oa_read_file(claim, SIGN_MAX_PDF_BYTES + (size_t)1024 * 1024, &pdf, &len);
	unlink(claim);
	if (rc) {
		fail_internal(r, rc);
		return;
	}
	web_reply_owned(r, 200, "application/pdf", pdf, len, free, pdf);
	web_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
	    web_printf(r, "attachment; filename=\"%s.pdf\"", id));
}

/* ---- user status ---- */

typedef struct status_walk {
	ca_cert_info newest, usable;
	int any, has_usable;
	ca *c;
} status_walk;

static int status_cb(const ca_cert_info *ci, void *arg)
{
	status_walk *w = arg;
	int64_t kid;
	char holder[65];

	w->newest = *ci;
	w->any = 1;
	if (strcmp(ci->status, "active") == 0 && keys_find_by_serial(w->c, ci->serial, &kid,
	    holder) == OA_OK) {
		w->usable = *ci;
		w->has_usable = 1;
	}
	return 0;
}

/* The guide's status of nik (6.7) and its description; NULL after a
 * reply (a fault). */
static const char *user_status(web_req *r, const char *nik, const char **desc, int64_t *kid_out)
{
	status_walk *w = web_alloc(r, sizeof *w);
	ca_filter f = {0};
	auth_person p;
	oa_err rc;

	*kid_out = 0;
	if (w == NULL) {
		fail_internal(r, OA_ERR_NOMEM);
		return NULL;
	}
	memset(w, 0, sizeof *w);
	w->c = r->ca;
	f.nik = nik;
	if ((rc = ca_list(r->ca, &f, status_cb, w))) {
		fail_internal(r, rc);
		return NULL;
	}
	if (w->has_usable) {
		int64_t kid;
		char holder[65];
		keys_info ki;
		if (keys_find_by_serial(r->ca, w->usable.serial, &kid, holder) == OA_OK &&
		    keys_status(r->ca, kid, &ki) == OA_OK && ki.locked) {
			*desc = "Kunci penandatangan pengguna terkunci (terlalu banyak passphrase salah)";
			return "SUSPEND";
		}
		if (auth_person_by_nik(r->auth, nik, &p) == OA_OK && p.disabled) {
			*desc = "Pengguna terdaftar namun dalam kondisi suspend";
			return "SUSPEND";
		}
		*desc = "Pengguna memiliki Sertifikat Elektronik aktif dan bisa melakukan tanda tangan "
		        "elektronik";
		return "ISSUE";
	}
	if (w->any) {
		if (strcmp(w->newest.status, "revoked") == 0) {
			*desc = "Sertifikat Elektronik milik pengguna sudah dicabut";
			return "REVOKE";
		}
		if (strcmp(w->newest.status, "expired") == 0) {
			*desc = "Masa berlaku Sertifikat Elektronik pengguna telah berakhir";
			return "EXPIRED";
		}
		*desc = "Pengguna memiliki Sertifikat Elektronik namun kuncinya tidak tersimpan di "
		        "layanan ini (belum aktif untuk tanda tangan di sini)";
		return "NEW";
	}
	if (auth_person_by_nik(r->auth, nik, &p) == OA_OK) {
		*desc = "Pengguna sudah terdaftar namun belum memiliki Sertifikat Elektronik";
		return "NO_CERTIFICATE";
	}
	*desc = "Pengguna belum terdaftar dan belum memiliki Sertifikat Elektronik";
	return "NOT_REGISTERED";
}

static void reply_status(web_req *r, const char *nik)
{
	const char *desc = "", *st;
	int64_t kid;

	if ((st = user_status(r, nik, &desc, &kid)) == NULL)
		return;
	web_reply_json(r, 200, json_pack("{s:i,s:s,s:s,s:s}", "status_code", 200, "nik", nik,
	    "status", st, "message", desc));
}

/* GET /api/user/status/{nik} */
static void v1_status(web_req *r)
{
	auth_client_info ci;

	if (!client_auth(r, &ci))
		return;
	if (!nik_ok(r, r->param[0]))
		return;
	reply_status(r, r->param[0]);
}

/* ---- verification ---- */

static char *iso_ms(web_req *r, int64_t t, int space)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[40];

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return NULL;
	if (space)
		strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S.00", &tm);
	else
		strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000+00:00", &tm);
	return web_printf(r, "%s", buf);
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* The instance's TSA: its CN and "until <notAfter>" (arena), or NULLs. */
static void tsa_info(web_req *r, char **name, char **validity)
{
	X509 *t = ca_tsa_cert(r->ca);
	char cn[130] = "";
	struct tm tm;

	*name = *validity = NULL;
	if (t == NULL)
		return;
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(t), NID_commonName, cn, sizeof cn) > 0)
		*name = web_printf(r, "%s", cn);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(t), &tm) == 1) {
		char buf[40];
		strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S.00", &tm);
		*validity = web_printf(r, "until %s", buf);
	}
}

/* The PAdES baseline level a signature shows. */
static const char *level_of(const sign_sig_report *s)
{
	if (s->timestamped && s->ltv)
		return "PAdES-BASELINE-LT";
	return s->timestamped ? "PAdES-BASELINE-T" : "PAdES-BASELINE-B";
}

/* The verdict over every signature: VALID, WARNING, INVALID, NO_SIGNATURE. */
static const char *conclusion(const sign_report *rep, const char **desc)
{
	int invalid = 0, warning = 0;

	if (rep->n == 0) {
		*desc = "Dokumen tidak memiliki tandatangan elektronik";
		return "NO_SIGNATURE";
	}
	for (size_t i = 0; i < rep->n; i++) {
		const sign_sig_report *s = &rep->sig[i];
		if (!s->intact || s->changed_after || s->revoked_before_signing)
			invalid = 1;
		else if (!s->trusted || strcmp(s->revocation, "good") != 0 ||
		         (s->timestamped && !s->timestamp_valid))
			warning = 1;
	}
	if (invalid) {
		*desc = "Dokumen atau tanda tangan elektronik tidak utuh, atau diubah setelah "
		        "ditandatangani";
		return "INVALID";
	}
	if (warning) {
		*desc = "Tanda tangan elektronik utuh namun sertifikatnya tidak terpercaya atau status "
		        "pencabutannya tidak diketahui";
		return "WARNING";
	}
	*desc = "Dokumen valid, tanda tangan elektronik utuh dan terpercaya";
	return "VALID";
}

static oa_err verify(web_req *r, const uint8_t *pdf, size_t len, sign_report *rep)
{
	int hit = 0;
	oa_err rc;

	memset(rep, 0, sizeof *rep);
	if ((rc = sign_verify_pdf_cached(r->ca, pdf, len, rep, &hit)) == OA_OK)
		return OA_OK;
	if (rc == OA_ERR_INVALID)
		fail(r, 400, "PDF_INVALID", "Dokumen PDF tidak valid", "%s", oa_errmsg());
	else if (rc == OA_ERR_LIMIT)
		fail(r, 413, "LIMIT", "Dokumen terlalu besar", "%s", oa_errmsg());
	else
		fail_internal(r, rc);
	return rc;
}

/* POST /api/sign/verify (multipart signed_file): the guide's 5.4 JSON. */
static void v1_verify(web_req *r)
{
	auth_client_info ci;
	docs_multipart m;
	const docs_part *file;
	const char *ct, *desc = "", *verdict;
	sign_report rep;
	json_t *details, *j;

	if (!client_auth(r, &ci))
		return;
	ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!docs_multipart_type_ok(ct)) {
		fail(r, 415, "UNSUPPORTED_MEDIA_TYPE", "Permintaan harus multipart/form-data",
		    "the request must be multipart/form-data");
		return;
	}
	if (r->body == NULL || docs_multipart_parse(ct, r->body, r->body_len, &m) != OA_OK) {
		fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid", "malformed multipart body: %s",
		    oa_errmsg());
		return;
	}
	if ((file = docs_multipart_file(&m, "signed_file")) == NULL || file->len == 0) {
		fail(r, 400, "INVALID_REQUEST", "signed_file wajib diisi",
		    "signed_file (a signed PDF) is required");
		return;
	}
	if (verify(r, (const uint8_t *)file->data, file->len, &rep))
		return;
	verdict = conclusion(&rep, &desc);
	details = json_array();
	for (size_t i = 0; i < rep.n; i++) {
		const sign_sig_report *s = &rep.sig[i];
		char *na = iso_ms(r, s->not_after, 1);
		char *validity = na ? web_printf(r, "until %s", na) : NULL;
		char *tname = NULL, *tvalid = NULL;
		if (s->timestamped && s->timestamp_valid)
			tsa_info(r, &tname, &tvalid);
		json_array_append_new(details, json_pack("{s:{s:o,s:o},s:s,s:{s:s,s:s,s:s,s:s,s:b},"
		    "s:{s:b,s:o,s:b,s:n,s:o,s:o,s:n}}",
		    "info_tsa", "name", s->timestamped ? json_string(tname ? tname : "Timestamp Authority")
		                                        : json_null(),
		    "tsa_cert_validity", str_or_null(tvalid),
		    "signature_field", s->field,
		    "info_signer", "issuer_dn", s->issuer, "signer_name", s->signer_cn,
		    "signer_cert_validity", validity ? validity : "", "signer_dn", s->signer,
		    "cert_user_certified", s->trusted,
		    "signature_document", "signed_using_tsa", s->timestamped && s->timestamp_valid,
		    "reason", str_or_null(s->reason), "document_integrity", s->intact && !s->changed_after,
		    "signature_value",
		    "signed_in", str_or_null(iso_ms(r, s->signing_time, 1)),
		    "location", str_or_null(s->location),
		    "hash_value"));
	}
	j = json_pack("{s:o,s:i,s:s,s:o,s:s}", "nama_dokumen", str_or_null(file->filename),
	    "jumlah_signature", (int)rep.n, "notes", desc, "details", details, "summary", verdict);
	sign_report_free(&rep);
	web_reply_json(r, 200, j);
}

/* ---- v2 (JSON) ---- */

static json_t *body_json(web_req *r)
{
	json_error_t e;
	json_t *j;

	if (r->body == NULL || r->body_len == 0) {
		fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid", "a JSON body is required");
		return NULL;
	}
	if ((j = json_loadb((const char *)r->body, r->body_len, JSON_REJECT_DUPLICATES, &e)) == NULL ||
	    !json_is_object(j)) {
		json_decref(j);
		fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid",
		    "the body is not a JSON object");
		return NULL;
	}
	return j;
}

/* A string member, NULL when absent or null; *bad when of another type. */
static const char *jstr(json_t *o, const char *k, int *bad)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* Base64 (an optional data: URL prefix) into arena memory. */
static uint8_t *unbase64(web_req *r, const char *s, size_t *len)
{
	const char *comma;
	size_t n;
	uint8_t *out;
	long got;

	if (strncmp(s, "data:", 5) == 0 && (comma = strstr(s, ";base64,")) != NULL)
		s = comma + 8;
	n = strlen(s);
	if (n == 0 || (out = web_alloc(r, n / 4 * 3 + 3)) == NULL)
		return NULL;
	got = web_base64_decode(s, n, out, n / 4 * 3 + 3);
	if (got <= 0)
		return NULL;
	*len = (size_t)got;
	return out;
}

static char *base64(const uint8_t *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* The NIK a v2 request names: nik, or the person with email. */
static const char *v2_nik(web_req *r, json_t *j)
{
	int bad = 0;
	const char *nik = jstr(j, "nik", &bad), *email = jstr(j, "email", &bad);
	auth_person p;

	if (bad) {
		fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid", "nik and email are strings");
		return NULL;
	}
	if ((nik == NULL || *nik == 0) && email && *email) {
		if (auth_person_by_email(r->auth, email, &p) != OA_OK) {
			fail(r, 404, "NOT_REGISTERED", "Pengguna belum terdaftar",
			    "no person with this e-mail address");
			return NULL;
		}
		if (p.nik[0] == 0) {
			fail(r, 404, "NO_CERTIFICATE", "Pengguna belum memiliki Sertifikat Elektronik",
			    "the person with this e-mail address has no NIK");
			return NULL;
		}
		return web_printf(r, "%s", p.nik);
	}
	if (!nik_ok(r, nik))
		return NULL;
	return nik;
}

/* A number member of signatureProperties[i]; 0 after a reply. */
static int jnum(web_req *r, json_t *p, const char *k, size_t i, double *out)
{
	json_t *v = json_object_get(p, k);

	if (v && json_is_number(v) && isfinite(json_number_value(v))) {
		*out = json_number_value(v);
		return 1;
	}
	fail(r, 400, "INVALID_REQUEST", "Parameter visualisasi tidak lengkap",
	    "signatureProperties[%zu]: tampilan VISIBLE needs %s (a number)", i, k);
	return 0;
}

/*
 * v2's visible signature (the guide's 6.2 and its illustration "API v2"):
 * origin at the top left of the page, y downwards; (originX, originY) is
 * the box's top-left corner, width and height its size.  Converted to PDF
 * user space with the page's box (CropBox, else MediaBox).  The specimen is
 * imageBase64 (JPEG or PNG).
 */
static int v2_visual(web_req *r, json_t *p, size_t i, const uint8_t *pdf, size_t len,
    sign_visual *v)
{
	json_t *pg = json_object_get(p, "page");
	const char *img, *tag;
	double ox, oy, w, h, box[4];
	int bad = 0, rot = 0;
	oa_err rc;

	tag = jstr(p, "tag_koordinat", &bad);
	if (tag && *tag) {
		/* the box's size centred on the tag; page and origin are not used */
		if (!jnum(r, p, "width", i, &w) || !jnum(r, p, "height", i, &h) ||
		    tag_place(r, tag, pdf, len, w, h, v) < 0)
			return 0;
	} else if (!json_is_integer(pg) || json_integer_value(pg) < 1 || json_integer_value(pg) > 100000) {
		fail(r, 400, "INVALID_REQUEST", "Parameter page wajib diisi",
		    "signatureProperties[%zu]: tampilan VISIBLE needs page (a page number from 1) or "
		    "tag_koordinat", i);
		return 0;
	} else if (!jnum(r, p, "originX", i, &ox) || !jnum(r, p, "originY", i, &oy) ||
	    !jnum(r, p, "width", i, &w) || !jnum(r, p, "height", i, &h))
		return 0;
	img = jstr(p, "imageBase64", &bad);
	if (bad || img == NULL || *img == 0 ||
	    (v->image = unbase64(r, img, &v->image_len)) == NULL) {
		fail(r, 400, "INVALID_REQUEST", "imageBase64 wajib diisi",
		    "signatureProperties[%zu]: tampilan VISIBLE needs imageBase64 (a base64 JPEG or "
		    "PNG)", i);
		return 0;
	}
	if (tag && *tag)
		return 1;
	v->page = (int)json_integer_value(pg);
	if ((rc = sign_pdf_page_box(pdf, len, v->page, box, &rot))) {
		if (rc == OA_ERR_INVALID && strncmp(oa_errmsg(), "broken PDF", 10) != 0)
			fail(r, 400, "VISUAL_INVALID", "Halaman visualisasi tidak ada", "file[%zu]: %s",
			    i, oa_errmsg());
		else
			sign_fail(r, rc, "");
		return 0;
	}
	v->x = box[0] + ox;
	v->y = box[3] - oy - h;
	v->w = w;
	v->h = h;
	return 1;
}

/* POST /api/v2/sign/pdf: {nik|email, passphrase, signatureProperties[],
 * file[]} -> {"time": ms, "file": [base64...]}. */
static void v2_sign(web_req *r)
{
	auth_client_info ci;
	json_t *j, *props, *files, *outs = NULL;
	const char *nik, *pass, *totp;
	struct timespec t0, t1;
	int bad = 0;
	size_t nf;

	if (!client_auth(r, &ci))
		return;
	if ((j = body_json(r)) == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((nik = v2_nik(r, j)) == NULL)
		goto out;
	pass = jstr(j, "passphrase", &bad);
	totp = jstr(j, "totp", &bad);
	if (!totp)
		totp = jstr(j, "otp", &bad);
	props = json_object_get(j, "signatureProperties");
	files = json_object_get(j, "file");
	if (bad || !json_is_array(files) || (props && !json_is_array(props))) {
		fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid",
		    "passphrase is a string, file an array of base64 strings, signatureProperties an "
		    "array of objects");
		goto out;
	}
	if (pass == NULL || *pass == 0) {
		if (totp && *totp)
			fail(r, 400, "UNSUPPORTED_OPTION", "TOTP belum didukung, gunakan passphrase",
			    "signing with a TOTP is not supported yet: send the passphrase");
		else
			fail(r, 400, "INVALID_REQUEST", "Passphrase wajib diisi", "passphrase is required");
		goto out;
	}
	nf = json_array_size(files);
	if (nf == 0 || nf > ESIGN_MAX_FILES) {
		fail(r, 400, "INVALID_REQUEST", "Jumlah file tidak valid",
		    "file holds 1 to %d documents", ESIGN_MAX_FILES);
		goto out;
	}
	if (props && json_array_size(props) != 0 && json_array_size(props) != 1 &&
	    json_array_size(props) != nf) {
		fail(r, 400, "INVALID_REQUEST", "Jumlah signatureProperties tidak sesuai",
		    "signatureProperties holds one entry for every document, or one for all");
		goto out;
	}
	/* Every input checked before the first signature. */
	uint8_t **pdf = web_alloc(r, nf * sizeof *pdf);
	size_t *len = web_alloc(r, nf * sizeof *len);
	const char **reason = web_alloc(r, nf * sizeof *reason), **loc = web_alloc(r, nf * sizeof *loc);
	sign_visual **vis = web_alloc(r, nf * sizeof *vis);
	int visible = 0;
	if (!pdf || !len || !reason || !loc || !vis) {
		fail_internal(r, OA_ERR_NOMEM);
		goto out;
	}
	for (size_t i = 0; i < nf; i++) {
		json_t *f = json_array_get(files, i), *p = NULL;
		const char *pw;
		if (props && json_array_size(props) > 0)
			p = json_array_get(props, json_array_size(props) == 1 ? 0 : i);
		if (!json_is_string(f) || (pdf[i] = unbase64(r, json_string_value(f), &len[i])) == NULL) {
			fail(r, 400, "INVALID_REQUEST", "File bukan base64 yang valid",
			    "file[%zu] is not a base64 string", i);
			goto out;
		}
		reason[i] = loc[i] = NULL;
		vis[i] = NULL;
		if (p == NULL)
			continue;
		if (!json_is_object(p)) {
			fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid",
			    "signatureProperties[%zu] is not an object", i);
			goto out;
		}
		if (!tampilan_kind(r, jstr(p, "tampilan", &bad), &visible))
			goto out;
		if (visible) {
			if ((vis[i] = web_alloc(r, sizeof *vis[i])) == NULL) {
				fail_internal(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
				goto out;
			}
			memset(vis[i], 0, sizeof *vis[i]);
			if (!v2_visual(r, p, i, pdf[i], len[i], vis[i]))
				goto out;
		}
		reason[i] = jstr(p, "reason", &bad);
		loc[i] = jstr(p, "location", &bad);
		pw = jstr(p, "pdfPassword", &bad);
		if (bad) {
			fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid",
			    "tampilan, reason, location and pdfPassword are strings");
			goto out;
		}
		if (pw && *pw) {
			fail(r, 400, "UNSUPPORTED_OPTION", "Dokumen berpassword belum didukung",
			    "password-protected PDFs are not supported yet");
			goto out;
		}
	}
	outs = json_array();
	for (size_t i = 0; i < nf; i++) {
		uint8_t *o = NULL;
		size_t olen = 0;
		char *b;
		oa_err rc = sign_one(r, &ci, nik, pass, pdf[i], len[i], reason[i], loc[i], vis[i], &o,
		    &olen);
		if (rc) {
			sign_fail(r, rc, nik);
			goto out;
		}
		b = base64(o, olen);
		free(o);
		if (b == NULL) {
			fail_internal(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
			goto out;
		}
		json_array_append_new(outs, json_string(b));
		free(b);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	web_reply_json(r, 200, json_pack("{s:I,s:O}", "time",
	    (json_int_t)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
	    "file", outs));
out:
	json_decref(outs);
	json_decref(j);
}

/* The signer certificate's details when this instance issued it. */
static json_t *cert_details(web_req *r, const sign_sig_report *s)
{
	json_t *d = json_object(), *ku = json_array();
	uint8_t *der = NULL;
	size_t dlen = 0;
	X509 *x = NULL;
	BIGNUM *bn = NULL;
	char *dec = NULL;

	json_object_set_new(d, "id", json_string(web_printf(r, "C-%s", s->serial)));
	json_object_set_new(d, "commonName", json_string(s->signer_cn));
	json_object_set_new(d, "issuerName", json_string(s->issuer));
	if (BN_hex2bn(&bn, s->serial) > 0 && (dec = BN_bn2dec(bn)) != NULL)
		json_object_set_new(d, "serialNumber", json_string(dec));
	else
		json_object_set_new(d, "serialNumber", json_string(s->serial));
	OPENSSL_free(dec);
	BN_free(bn);
	json_object_set_new(d, "notAfterDate", str_or_null(iso_ms(r, s->not_after, 0)));
	json_object_set_new(d, "notBeforeDate", json_null());
	json_object_set_new(d, "signatureAlgoritm", json_null());
	if (s->issued_here && ca_cert_der(r->ca, s->serial, &der, &dlen) == OA_OK) {
		const uint8_t *p = der;
		if ((x = d2i_X509(NULL, &p, (long)dlen)) != NULL) {
			int nb = 0;
			uint32_t k = X509_get_key_usage(x);
			const ASN1_TIME *nbt = X509_get0_notBefore(x);
			struct tm tm;
			if (nbt && ASN1_TIME_to_tm(nbt, &tm) == 1) {
				char buf[40];
				strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000+00:00", &tm);
				json_object_set_new(d, "notBeforeDate", json_string(buf));
			}
			nb = X509_get_signature_nid(x);
			if (nb != NID_undef)
				json_object_set_new(d, "signatureAlgoritm", json_string(OBJ_nid2ln(nb)));
			if (k != UINT32_MAX) {
				if (k & KU_DIGITAL_SIGNATURE) json_array_append_new(ku, json_string("digitalSignature"));
				if (k & KU_NON_REPUDIATION) json_array_append_new(ku, json_string("nonRepudiation"));
				if (k & KU_KEY_ENCIPHERMENT) json_array_append_new(ku, json_string("keyEncipherment"));
				if (k & KU_KEY_CERT_SIGN) json_array_append_new(ku, json_string("keyCertSign"));
				if (k & KU_CRL_SIGN) json_array_append_new(ku, json_string("crlSign"));
			}
			X509_free(x);
		}
		free(der);
	}
	json_object_set_new(d, "keyUsages", ku);
	return d;
}

/* POST /api/v2/verify/pdf: {file, password} -> the guide's 6.9 JSON. */
static void v2_verify(web_req *r)
{
	auth_client_info ci;
	json_t *j, *infos, *out;
	const char *f, *pw, *desc = "", *verdict;
	uint8_t *pdf;
	size_t len = 0;
	sign_report rep;
	int bad = 0;

	if (!client_auth(r, &ci))
		return;
	if ((j = body_json(r)) == NULL)
		return;
	f = jstr(j, "file", &bad);
	pw = jstr(j, "password", &bad);
	if (bad || f == NULL || (pdf = unbase64(r, f, &len)) == NULL) {
		json_decref(j);
		fail(r, 400, "INVALID_REQUEST", "File bukan base64 yang valid",
		    "file (a base64 string) is required");
		return;
	}
	if (pw && *pw) {
		json_decref(j);
		fail(r, 400, "UNSUPPORTED_OPTION", "Dokumen berpassword belum didukung",
		    "password-protected PDFs are not supported yet");
		return;
	}
	json_decref(j);
	if (verify(r, pdf, len, &rep))
		return;
	verdict = conclusion(&rep, &desc);
	infos = json_array();
	for (size_t i = 0; i < rep.n; i++) {
		const sign_sig_report *s = &rep.sig[i];
		json_t *certs = json_array(), *ts = json_null();
		char hex[65];
		if (s->timestamped) {
			char *tname = NULL, *tvalid = NULL;
			if (s->timestamp_valid)
				tsa_info(r, &tname, &tvalid);
			ts = json_pack("{s:o,s:s,s:o}", "id", json_null(), "signerName",
			    tname ? tname : "Timestamp Authority", "timestampDate",
			    str_or_null(iso_ms(r, s->timestamp_time, 0)));
		}
		json_array_append_new(certs, cert_details(r, s));
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02X", rep.sha256[k]);
		json_array_append_new(infos, json_pack("{s:s,s:s,s:s,s:o,s:s,s:o,s:o,s:i,s:n,s:s,s:o,"
		    "s:o,s:b,s:b,s:b}",
		    "id", web_printf(r, "S-%s-%zu", hex, i + 1),
		    "signatureFormat", level_of(s),
		    "signerName", s->signer_cn,
		    "signatureDate", str_or_null(iso_ms(r, s->signing_time, 0)),
		    "fieldName", s->field,
		    "reason", str_or_null(s->reason),
		    "location", str_or_null(s->location),
		    "certLevelCode", 0,
		    "signatureAlgorithm",
		    "digestAlgorithm", "SHA256",
		    "timestampInfomation", ts,
		    "certificateDetails", certs,
		    "integrityValid", s->intact && !s->changed_after,
		    "certificateTrusted", s->trusted,
		    "lastSignature", i + 1 == rep.n));
	}
	out = json_pack("{s:s,s:s,s:o,s:i}", "conclusion", verdict, "description", desc,
	    "signatureInformations", infos, "signatureCount", (int)rep.n);
	sign_report_free(&rep);
	web_reply_json(r, 200, out);
}

/* POST /api/v2/user/check/status: {nik} or {email}. */
static void v2_status(web_req *r)
{
	auth_client_info ci;
	auth_person p;
	const char *nik, *email;
	json_t *j;
	int bad = 0;

	if (!client_auth(r, &ci))
		return;
	if ((j = body_json(r)) == NULL)
		return;
	nik = jstr(j, "nik", &bad);
	email = jstr(j, "email", &bad);
	if (!bad && (nik == NULL || *nik == 0) && email && *email) {
		const char *st = NULL, *desc = NULL;
		if (auth_person_by_email(r->auth, email, &p) != OA_OK) {
			st = "NOT_REGISTERED";
			desc = "Pengguna belum terdaftar dan belum memiliki Sertifikat Elektronik";
		} else if (p.nik[0] == 0) {
			st = "NO_CERTIFICATE";
			desc = "Pengguna sudah terdaftar namun belum memiliki Sertifikat Elektronik";
		}
		if (st) {
			web_reply_json(r, 200, json_pack("{s:i,s:s,s:s,s:s}", "status_code", 200, "email",
			    email, "status", st, "message", desc));
			json_decref(j);
			return;
		}
	}
	if ((nik = v2_nik(r, j)) != NULL)
		reply_status(r, web_printf(r, "%s", nik));
	json_decref(j);
}

/* The guide's other v2 endpoints: not built (docs/ESIGN_API.md). */
static void v2_not_built(web_req *r)
{
	auth_client_info ci;

	if (!client_auth(r, &ci))
		return;
	fail(r, 501, "NOT_IMPLEMENTED", "Layanan ini belum tersedia",
	    "%s is not provided by this server (see docs/ESIGN_API.md)", r->path);
}

static const web_route v1_routes[] = {
	{WEB_POST, "/api/sign/pdf", v1_sign, ESIGN_MAX_V1_BODY},
	{WEB_GET, "/api/sign/download/{id}", v1_download, 0},
	{WEB_POST, "/api/sign/verify", v1_verify, ESIGN_MAX_V1_BODY},
	{WEB_GET, "/api/user/status/{nik}", v1_status, 0},
};

static const web_route v2_routes[] = {
	{WEB_POST, "/api/v2/sign/pdf", v2_sign, ESIGN_MAX_V2_BODY},
	{WEB_POST, "/api/v2/verify/pdf", v2_verify, ESIGN_MAX_V2_BODY},
	{WEB_POST, "/api/v2/user/check/status", v2_status, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/sign/get/totp", v2_not_built, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/user/registration", v2_not_built, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/seal/get/activation", v2_not_built, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/seal/revoke/activation", v2_not_built, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/seal/get/totp", v2_not_built, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/seal/pdf", v2_not_built, ESIGN_MAX_V2_BODY},
};

const web_route_table web_esign_v1_table = {"esign-v1", v1_routes,
    sizeof v1_routes / sizeof v1_routes[0]};
const web_route_table web_esign_v2_table = {"esign-v2", v2_routes,
    sizeof v2_routes / sizeof v2_routes[0]};
