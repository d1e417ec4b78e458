/*
 * esign.c - the BSrE "Esign Client Service" API, v1 and v2 (esign.h,
 * docs/ESIGN_API.md): what both versions share (esignInt.h); their routes
 * are esign_v1.c and esign_v2.c.
 *
 * Each handler first authenticates the client application (HTTP Basic,
 * auth_client_verify: 401 with WWW-Authenticate, or 429 over its rate),
 * then checks its input, then signs or verifies.  Every error is one JSON
 * object {status_code, error (Indonesian), code (stable), message
 * (English, with the detail)}; a 500 only for a fault of the server, its
 * detail in the request log, not the reply.
 *
 * Must never: log or echo a passphrase or a client secret; keep a signed
 * document after its download or esign.keep_seconds; serve a file whose
 * name did not come from RAND_bytes here.
 */
#include "esignInt.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "../ca/ca.h"
#include "../common/util.h"
#include "../engine/engine.h"
#include "../keys/keys.h"

#define MAX_SECRET_HDR 512

/* ---- replies ---- */

void esign_fail(web_req *r, unsigned status, const char *code, const char *id_msg,
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
void esign_fail_internal(web_req *r, oa_err rc)
{
	snprintf(r->errmsg, sizeof r->errmsg, "%s: %s", oa_err_name(rc), oa_errmsg());
	if (rc == OA_ERR_STORE)
		esign_fail(r, 503, "UNAVAILABLE", "Layanan sedang sibuk, coba lagi",
		    "The service is busy; try again shortly");
	else
		esign_fail(r, 500, "INTERNAL", "Terjadi kesalahan pada server", "Internal error");
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
int esign_client_auth(web_req *r, auth_client_info *ci)
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
		esign_fail(r, 429, "RATE_LIMITED", "Terlalu banyak permintaan", "%s", oa_errmsg());
		web_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "60");
		return 0;
	}
	if (rc == OA_ERR_DENIED) {
		esign_fail(r, 401, "UNAUTHORIZED", "Unauthorized",
		    "HTTP Basic credentials of a registered, enabled client application are required");
		web_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"esign\", charset=\"UTF-8\"");
		return 0;
	}
	esign_fail_internal(r, rc);
	return 0;
}

/* ---- signing ---- */

/* Answers a refusal of sign_pdf_holder() (or sign_holder_find()). */
void esign_sign_fail(web_req *r, oa_err rc, const char *nik)
{
	const char *m = oa_errmsg();
	auth_person p;

	switch (rc) {
	case OA_ERR_DENIED:
		esign_fail(r, 400, "PASSPHRASE_INVALID", "Passphrase anda salah", "wrong passphrase: %s", m);
		return;
	case OA_ERR_STATE:
		if (strstr(m, "locked"))
			esign_fail(r, 403, "KEY_LOCKED", "Kunci penandatangan terkunci karena terlalu banyak "
			    "percobaan passphrase yang salah", "%s", m);
		else if (strstr(m, "revoked"))
			esign_fail(r, 403, "CERTIFICATE_REVOKED", "Sertifikat Elektronik sudah dicabut", "%s", m);
		else if (strstr(m, "expired"))
			esign_fail(r, 403, "CERTIFICATE_EXPIRED", "Masa berlaku Sertifikat Elektronik telah "
			    "berakhir", "%s", m);
		else
			esign_fail(r, 403, "CERTIFICATE_NOT_VALID", "Sertifikat Elektronik tidak dapat dipakai",
			    "%s", m);
		return;
	case OA_ERR_NOTFOUND:
		if (auth_person_by_nik(r->auth, nik, &p) == OA_OK)
			esign_fail(r, 404, "NO_CERTIFICATE", "Pengguna belum memiliki Sertifikat Elektronik",
			    "NIK %s has no certificate with a key sealed here", nik);
		else
			esign_fail(r, 404, "NOT_REGISTERED", "Pengguna belum terdaftar",
			    "NIK %s is not registered", nik);
		return;
	case OA_ERR_INVALID:
		if (strncmp(m, "PDF password", 12) == 0)
			esign_fail(r, 400, "PDF_PASSWORD_INVALID", "Password dokumen salah atau tidak diisi",
			    "%s", m);
		else if (strncmp(m, "broken PDF", 10) != 0 && (strstr(m, "visible signature") ||
		        strstr(m, "image") || strstr(m, "JPEG") || strstr(m, "PNG") || strstr(m, "page")))
			esign_fail(r, 400, "VISUAL_INVALID", "Parameter visualisasi tidak valid", "%s", m);
		else
			esign_fail(r, 400, "PDF_INVALID", "Dokumen PDF tidak valid", "%s", m);
		return;
	case OA_ERR_LIMIT:
		if (strstr(m, "image") || strstr(m, "JPEG") || strstr(m, "PNG") || strstr(m, "QR"))
			esign_fail(r, 400, "VISUAL_INVALID", "Parameter visualisasi tidak valid", "%s", m);
		else
			esign_fail(r, 413, "LIMIT", "Dokumen terlalu besar", "%s", m);
		return;
	case OA_ERR_POLICY:
		esign_fail(r, 409, "DOCUMENT_LOCKED", "Dokumen tidak mengizinkan perubahan", "%s", m);
		return;
	default:
		esign_fail_internal(r, rc);
	}
}

int esign_nik_ok(web_req *r, const char *nik)
{
	if (nik == NULL || *nik == 0) {
		esign_fail(r, 400, "INVALID_REQUEST", "NIK wajib diisi", "nik is required");
		return 0;
	}
	if (auth_check_nik(nik) != OA_OK) {
		esign_fail(r, 400, "INVALID_REQUEST", "NIK harus 16 digit angka", "nik must be 16 digits");
		return 0;
	}
	return 1;
}

/* tampilan: *visible 0 or 1; 0 after a reply when it is neither. */
int esign_tampilan_kind(web_req *r, const char *tampilan, int *visible)
{
	*visible = 0;
	if (tampilan == NULL || *tampilan == 0 || strcasecmp(tampilan, "invisible") == 0)
		return 1;
	if (strcasecmp(tampilan, "visible") == 0) {
		*visible = 1;
		return 1;
	}
	esign_fail(r, 400, "INVALID_REQUEST", "Tampilan harus visible atau invisible",
	    "tampilan must be visible or invisible");
	return 0;
}

/*
 * tag_koordinat (v1 and v2): the box, the guide's width x height, centred
 * where the tag first appears in the page text (sign_visual_at_tag, which
 * keeps it inside the page).  1: placed; -1: answered (refused).
 */
int esign_tag_place(web_req *r, const char *tag, const uint8_t *pdf, size_t len, double w,
    double h, sign_visual *v)
{
	return esign_tag_place_pw(r, tag, pdf, len, NULL, w, h, v);
}

int esign_tag_place_pw(web_req *r, const char *tag, const uint8_t *pdf, size_t len,
    const char *password, double w, double h, sign_visual *v)
{
	oa_err rc;

	v->w = w;
	v->h = h;
	if ((rc = sign_visual_at_tag_pw(pdf, len, password, tag, v)) == OA_OK)
		return 1;
	if (rc == OA_ERR_NOTFOUND)
		esign_fail(r, 400, "VISUAL_INVALID", "tag_koordinat tidak ditemukan di dokumen", "%s",
		    oa_errmsg());
	else if (rc == OA_ERR_INVALID && strncmp(oa_errmsg(), "broken PDF", 10) != 0 &&
	    strncmp(oa_errmsg(), "PDF password", 12) != 0)
		esign_fail(r, 400, "VISUAL_INVALID", "tag_koordinat atau ukuran visualisasi tidak valid",
		    "%s", oa_errmsg());
	else
		esign_sign_fail(r, rc, "");
	return -1;
}

oa_err esign_sign_one(web_req *r, const auth_client_info *ci, const char *nik,
    const char *pass, int wrap, const uint8_t *pdf, size_t len, const char *reason,
    const char *location, const sign_visual *vis, uint8_t **out, size_t *out_len)
{
	return esign_sign_one_pw(r, ci, nik, pass, wrap, pdf, len, reason, location, vis, NULL, out,
	    out_len);
}

oa_err esign_sign_one_pw(web_req *r, const auth_client_info *ci, const char *nik,
    const char *pass, int wrap, const uint8_t *pdf, size_t len, const char *reason,
    const char *location, const sign_visual *vis, const char *pdf_password, uint8_t **out,
    size_t *out_len)
{
	sign_holder h = {0};
	sign_opts o = {0};
	char serial[41];

	h.nik = nik;
	h.passphrase = pass;
	h.wrap = wrap;
	h.actor = web_printf(r, "client:%s", ci->username);
	h.client = ci->username;
	o.reason = reason;
	o.location = location;
	o.visual = vis;
	o.password = pdf_password;
	return sign_pdf_holder(r->in, &h, pdf, len, &o, out, out_len, serial);
}

/* ---- user status ---- */

typedef struct status_walk {
	ca_cert_info newest, usable;
	int any, has_usable;
	inst *in;
} status_walk;

static int status_cb(const ca_cert_info *ci, void *arg)
{
	status_walk *w = arg;
	int64_t kid;
	char holder[65];

	w->newest = *ci;
	w->any = 1;
	if (strcmp(ci->status, "active") == 0 && keys_find_by_serial(w->in, ci->serial, &kid,
	    holder) == OA_OK) {
		w->usable = *ci;
		w->has_usable = 1;
	}
	return 0;
}

/* The guide's status of nik (6.7) and its description; NULL after a
 * reply (a fault). */
/* An open case of one kind among a person's: engine_cases_of's callback. */
struct open_kind {
	const char *kind;
	int found;
};

static int open_kind_cb(const engine_case *k, void *arg)
{
	struct open_kind *q = arg;

	q->found = strcmp(k->state, "open") == 0 && strcmp(k->kind, q->kind) == 0;
	return q->found;
}

/* 1 if the person with this NIK has an open renewal case (the guide's
 * RENEW: "Sertifikat Elektronik milik pengguna sedang dalam proses
 * pembaruan"); 0 otherwise, also when it cannot be read. */
static int renewing(web_req *r, const char *nik)
{
	auth_person p;
	struct open_kind q = {"renewal", 0};

	if (auth_person_by_nik(r->auth, nik, &p) != OA_OK ||
	    engine_cases_of(r->engine, p.id, 0, open_kind_cb, &q) != OA_OK)
		oa_err_clear();
	return q.found;
}

static const char *user_status(web_req *r, const char *nik, const char **desc, int64_t *kid_out)
{
	status_walk *w = web_alloc(r, sizeof *w);
	ca_filter f = {0};
	auth_person p;
	oa_err rc;

	*kid_out = 0;
	if (w == NULL) {
		esign_fail_internal(r, OA_ERR_NOMEM);
		return NULL;
	}
	memset(w, 0, sizeof *w);
	w->in = r->in;
	f.nik = nik;
	if ((rc = ca_list(r->ca, &f, status_cb, w))) {
		esign_fail_internal(r, rc);
		return NULL;
	}
	if (w->has_usable) {
		int64_t kid;
		char holder[65];
		keys_info ki;
		if (keys_find_by_serial(r->in, w->usable.serial, &kid, holder) == OA_OK &&
		    keys_status(r->in, kid, &ki) == OA_OK && ki.locked) {
			*desc = "Kunci penandatangan pengguna terkunci (terlalu banyak passphrase salah)";
			return "SUSPEND";
		}
		if (auth_person_by_nik(r->auth, nik, &p) == OA_OK && p.disabled) {
			*desc = "Pengguna terdaftar namun dalam kondisi suspend";
			return "SUSPEND";
		}
		if (renewing(r, nik)) {
			*desc = "Sertifikat Elektronik milik pengguna sedang dalam proses pembaruan";
			return "RENEW";
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
		if (strcmp(w->newest.status, "expired") == 0 && renewing(r, nik)) {
			*desc = "Sertifikat Elektronik milik pengguna sedang dalam proses pembaruan";
			return "RENEW";
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
		struct open_kind q = {"issuance", 0};
		if (engine_cases_of(r->engine, p.id, 0, open_kind_cb, &q) == OA_OK && q.found) {
			*desc = "Pengguna sudah terdaftar dan permohonan Sertifikat Elektronik sedang diproses";
			return "WAITING_FOR_VERIFICATION";
		}
		*desc = "Pengguna sudah terdaftar namun belum memiliki Sertifikat Elektronik";
		return "NO_CERTIFICATE";
	}
	*desc = "Pengguna belum terdaftar dan belum memiliki Sertifikat Elektronik";
	return "NOT_REGISTERED";
}

void esign_reply_status(web_req *r, const char *nik)
{
	const char *desc = "", *st;
	int64_t kid;

	if ((st = user_status(r, nik, &desc, &kid)) == NULL)
		return;
	web_reply_json(r, 200, json_pack("{s:i,s:s,s:s,s:s}", "status_code", 200, "nik", nik,
	    "status", st, "message", desc));
}

/* ---- verification ---- */

char *esign_iso_ms(web_req *r, int64_t t, int space)
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

json_t *esign_str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *esign_json_body(web_req *r)
{
	json_error_t e;
	json_t *j;

	if (r->body == NULL || r->body_len == 0) {
		esign_fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid", "a JSON body is required");
		return NULL;
	}
	if ((j = json_loadb((const char *)r->body, r->body_len, JSON_REJECT_DUPLICATES, &e)) == NULL ||
	    !json_is_object(j)) {
		json_decref(j);
		esign_fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid",
		    "the body is not a JSON object");
		return NULL;
	}
	return j;
}

const char *esign_jstr(json_t *o, const char *k, int *bad)
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

/* The instance's TSA: its CN and "until <notAfter>" (arena), or NULLs. */
void esign_tsa_info(web_req *r, char **name, char **validity)
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

/* The verdict over every signature: VALID, WARNING, INVALID, NO_SIGNATURE. */
const char *esign_conclusion(const sign_report *rep, const char **desc)
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

oa_err esign_verify(web_req *r, const uint8_t *pdf, size_t len, sign_report *rep)
{
	return esign_verify_pw(r, pdf, len, NULL, rep);
}

oa_err esign_verify_pw(web_req *r, const uint8_t *pdf, size_t len, const char *password,
    sign_report *rep)
{
	int hit = 0;
	oa_err rc;

	memset(rep, 0, sizeof *rep);
	/* with a password, never from the cache: it is keyed by the bytes alone */
	if ((rc = password && *password ? sign_verify_pdf_pw(r->ca, NULL, pdf, len, password, rep) :
	    sign_verify_pdf_cached(r->ca, pdf, len, rep, &hit)) == OA_OK)
		return OA_OK;
	if (rc == OA_ERR_INVALID && strncmp(oa_errmsg(), "PDF password", 12) == 0)
		esign_fail(r, 400, "PDF_PASSWORD_INVALID", "Password dokumen salah atau tidak diisi",
		    "%s", oa_errmsg());
	else if (rc == OA_ERR_INVALID)
		esign_fail(r, 400, "PDF_INVALID", "Dokumen PDF tidak valid", "%s", oa_errmsg());
	else if (rc == OA_ERR_LIMIT)
		esign_fail(r, 413, "LIMIT", "Dokumen terlalu besar", "%s", oa_errmsg());
	else
		esign_fail_internal(r, rc);
	return rc;
}
