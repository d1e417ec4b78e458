/*
 * reply.c - the per-request arena, replies, and the one place where an
 * oa_err becomes an HTTP status and a JSON error body:
 *
 *   {"error": {"code": "not_found",
 *              "message": {"id": "...", "en": "..."}}}
 *
 * The code is oa_err_name() for module errors (stable, documented), or a
 * web-level code (method_not_allowed, unsupported_media_type, ...).  Also:
 * JSON request parsing with a depth limit, base64 for OCSP GET, HTTP dates
 * and ETags.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "httpInt.h"

struct web_chunk {
	web_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

#define CHUNK_DEFAULT 4096

void *web_alloc(web_req *r, size_t n)
{
	web_chunk *c = r->arena;
	size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	if (c == NULL || c->cap - c->used < need) {
		size_t cap = need > CHUNK_DEFAULT ? need : CHUNK_DEFAULT;
		if ((c = malloc(sizeof *c + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = r->arena;
		r->arena = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

char *web_printf(web_req *r, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = web_alloc(r, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void web_arena_free(web_req *r)
{
	while (r->arena) {
		web_chunk *n = r->arena->next;
		free(r->arena);
		r->arena = n;
	}
}

static void set_response(web_req *r, unsigned status, struct MHD_Response *resp, const char *type,
    size_t len)
{
	if (r->resp)
		MHD_destroy_response(r->resp);
	r->resp = resp;
	r->status = status;
	r->bytes = len;
	if (resp == NULL)
		return;
	if (type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (web_srv && web_srv->tls)
		MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
	if (web_srv && atomic_load(&web_srv->shutting_down))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
}

void web_reply(web_req *r, unsigned status, const char *type, const void *data, size_t len,
    enum MHD_ResponseMemoryMode mode)
{
	set_response(r, status, MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, mode),
	    type, len);
}

void web_reply_owned(web_req *r, unsigned status, const char *type, const void *data,
    size_t len, void (*freefn)(void *), void *cls)
{
	set_response(r, status,
	    MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)(uintptr_t)data,
	        freefn, cls), type,
	    len);
}

void web_reply_cert(web_req *r, uint8_t *der, size_t len, int pem)
{
	if (pem) {
		/* RFC 7468 section 2: base64 lines of 64 characters. */
		size_t b64 = 4 * ((len + 2) / 3), cap = b64 + b64 / 64 + 64, o = 0;
		char *out = web_alloc(r, cap);
		if (out == NULL) {
			free(der);
			web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
			return;
		}
		o += (size_t)snprintf(out, cap, "-----BEGIN CERTIFICATE-----\n");
		for (size_t i = 0; i < len; i += 48) {
			size_t n = len - i < 48 ? len - i : 48;
			o += (size_t)EVP_EncodeBlock((unsigned char *)out + o, der + i, (int)n);
			out[o++] = '\n';
		}
		o += (size_t)snprintf(out + o, cap - o, "-----END CERTIFICATE-----\n");
		free(der);
		web_reply(r, 200, "application/x-pem-file", out, o, MHD_RESPMEM_MUST_COPY);
	} else {
		web_reply(r, 200, "application/pkix-cert", der, len, MHD_RESPMEM_MUST_FREE);
		if (r->resp == NULL)
			free(der);
	}
}

void web_header(web_req *r, const char *name, const char *value)
{
	if (r->resp)
		MHD_add_response_header(r->resp, name, value);
}

void web_reply_json(web_req *r, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (s == NULL) {
		static const char oom[] = "{\"error\":{\"code\":\"nomem\",\"message\":{\"id\":"
		                          "\"Memori habis\",\"en\":\"Out of memory\"}}}";
		web_reply(r, 500, "application/json", oom, sizeof oom - 1, MHD_RESPMEM_PERSISTENT);
		r->errcode = "nomem";
		return;
	}
	set_response(r, status,
	    MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE),
	    "application/json", strlen(s));
	if (r->resp == NULL)
		free(s);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

/* A browser (Accept: text/html) asking for a path outside the JSON API. */
static int wants_page(web_req *r)
{
	const char *acc = r->conn ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                MHD_HTTP_HEADER_ACCEPT) : NULL;

	return r->path && strncmp(r->path, "/api/", 5) != 0 && acc && strstr(acc, "text/html");
}

/* "Not found" and "method not allowed" as a page for a browser: the
 * portal's stylesheet, both languages, the way home.  The sentences are the
 * callers' constants; escaped all the same. */
static void reply_page(web_req *r, unsigned status, const char *code, const char *msg_id,
    const char *msg_en)
{
	oa_buf b = {0};
	const char *t[2] = {msg_id, msg_en};

	if (oa_buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n"
	        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	        "<title>%u - openams</title>\n<link rel=\"stylesheet\" href=\"/static/portal.css\">\n"
	        "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\n"
	        "</head>\n<body>\n<main id=\"main\" class=\"wrap\">\n<h1>", status) != OA_OK)
		goto oom;
	for (int i = 0; i < 2; i++) {
		if (i == 1 && oa_buf_printf(&b, " <span class=\"en\" lang=\"en\">/ ") != OA_OK)
			goto oom;
		if (oa_buf_html(&b, t[i], strlen(t[i])) != OA_OK)
			goto oom;
	}
	if (oa_buf_printf(&b, "</span></h1>\n<p>%s</p>\n<p><a href=\"/\">Kembali ke beranda</a> "
	        "<span class=\"en\" lang=\"en\">/ <a href=\"/\">Back to the home page</a></span></p>\n"
	        "</main>\n</body>\n</html>\n", status == 404 ?
	        "Alamat ini tidak ada di openams. <span class=\"en\" lang=\"en\">/ This address does not"
	        " exist here.</span>" : "Alamat ini tidak menerima permintaan seperti itu. <span class=\"en\""
	        " lang=\"en\">/ This address does not take that kind of request.</span>") != OA_OK)
		goto oom;
	r->errcode = code;
	set_response(r, status, MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_FREE),
	    "text/html; charset=utf-8", b.len);
	if (r->resp == NULL)
		oa_buf_free(&b);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	return;
oom:
	oa_buf_free(&b);
	oa_err_clear();
	web_reply(r, 500, "text/plain; charset=utf-8", "Memori habis / Out of memory\n", 29,
	    MHD_RESPMEM_PERSISTENT);
	r->errcode = "nomem";
}

void web_reply_fail(web_req *r, unsigned status, const char *code, const char *msg_id,
    const char *msg_en)
{
	json_t *j;

	if ((status == 404 || status == 405) && wants_page(r)) {
		reply_page(r, status, code, msg_id, msg_en);
		return;
	}
	j = json_pack("{s:{s:s,s:{s:s,s:s}}}", "error", "code", code, "message", "id",
	    msg_id, "en", msg_en);

	r->errcode = code;
	web_reply_json(r, status, j);
}

unsigned web_status_of(oa_err code)
{
	switch (code) {
	case OA_OK:
		return 200;
	case OA_ERR_INVALID:
		return 400;   /* malformed: syntax, range, type */
	case OA_ERR_LINT:
		return 422;   /* well-formed, but breaks the profile */
	case OA_ERR_NOTFOUND:
		return 404;
	case OA_ERR_EXISTS:
	case OA_ERR_STATE:
	case OA_ERR_POLICY:
		return 409;
	case OA_ERR_LIMIT:
		return 413;
	case OA_ERR_DENIED:
		return 403;
	case OA_ERR_STORE:
		return store_last_busy() ? 503 : 500;
	default:
		return 500;
	}
}

/* Indonesian and English sentences per code; the module's message (English,
 * never secret) follows for 4xx answers. */
static const struct {
	oa_err code;
	const char *id, *en;
} sentences[] = {
	{OA_ERR_INVALID, "Masukan tidak sah", "Invalid input"},
	{OA_ERR_NOTFOUND, "Tidak ditemukan", "Not found"},
	{OA_ERR_EXISTS, "Sudah ada", "Already exists"},
	{OA_ERR_POLICY, "Ditolak oleh kebijakan", "Refused by policy"},
	{OA_ERR_LINT, "Tidak sesuai profil sertifikat", "Does not conform to the certificate profile"},
	{OA_ERR_STATE, "Tidak diizinkan pada keadaan saat ini", "Not allowed in the current state"},
	{OA_ERR_LIMIT, "Melebihi batas", "Over a limit"},
	{OA_ERR_DENIED, "Akses ditolak", "Access denied"},
};

void web_reply_err(web_req *r, oa_err code)
{
	unsigned st = web_status_of(code);
	const char *msg = oa_errmsg();
	const char *id = "Kesalahan internal server", *en = "Internal server error";
	char *men;

	for (size_t i = 0; i < sizeof sentences / sizeof sentences[0]; i++)
		if (sentences[i].code == code) {
			id = sentences[i].id;
			en = sentences[i].en;
		}
	if (code == OA_ERR_STORE && store_last_busy()) {
		/* Another process holds the database (a backup, a maintenance
		 * shell): not a fault, the client should come back. */
		snprintf(r->errmsg, sizeof r->errmsg, "%s", msg);
		web_reply_fail(r, 503, "unavailable", "Basis data sedang sibuk; coba lagi sebentar lagi",
		    "The database is busy; try again shortly");
		web_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
		oa_err_clear();
		return;
	}
	if (st >= 500) {
		snprintf(r->errmsg, sizeof r->errmsg, "%s", msg);
		men = (char *)en;
	} else if ((men = *msg ? web_printf(r, "%s: %s", en, msg) : NULL) == NULL)
		men = (char *)en;
	web_reply_fail(r, st, oa_err_name(code), id, men);
	oa_err_clear();
}

/* Each entry of If-None-Match, quoted, or "*". */
int web_not_modified(web_req *r, const char *etag)
{
	const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	size_t el = strlen(etag);

	if (inm == NULL)
		return 0;
	while (*inm) {
		size_t n;
		inm += strspn(inm, " \t,");
		if (strncmp(inm, "W/", 2) == 0)
			inm += 2; /* weak comparison (RFC 9110 13.1.2) */
		n = strcspn(inm, ",");
		while (n > 0 && (inm[n - 1] == ' ' || inm[n - 1] == '\t'))
			n--;
		if ((n == 1 && inm[0] == '*') || (n == el && memcmp(inm, etag, el) == 0)) {
			web_reply(r, 304, NULL, "", 0, MHD_RESPMEM_PERSISTENT);
			web_header(r, MHD_HTTP_HEADER_ETAG, etag);
			return 1;
		}
		inm += strcspn(inm, ",");
	}
	return 0;
}

static const char http_mons[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
    "Sep", "Oct", "Nov", "Dec"};

static int http_month(const char *m)
{
	for (int i = 0; i < 12; i++)
		if (memcmp(m, http_mons[i], 3) == 0)
			return i;
	return -1;
}

/* RFC 9110 5.6.7: the three forms a recipient must accept.  Returns 0 and
 * the time, or -1 for anything else (then the header is ignored). */
int web_http_date_parse(const char *s, int64_t *out)
{
	char wd[16], mon[4], gmt[4];
	int d, y, h, mi, sec, n = 0, m;
	struct tm tm = {0};

	mon[0] = 0;
	if (sscanf(s, "%15[A-Za-z], %2d %3s %4d %2d:%2d:%2d %3s%n", wd, &d, mon, &y, &h, &mi, &sec,
	        gmt, &n) == 8 && n > 0 && s[n] == 0 && strcmp(gmt, "GMT") == 0 && strlen(wd) == 3)
		; /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
	else if (n = 0, sscanf(s, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d %3s%n", wd, &d, mon, &y, &h,
	             &mi, &sec, gmt, &n) == 8 && n > 0 && s[n] == 0 && strcmp(gmt, "GMT") == 0)
		y += y < 70 ? 2000 : 1900; /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
	else if (n = 0, sscanf(s, "%3s %3s %2d %2d:%2d:%2d %4d%n", wd, mon, &d, &h, &mi, &sec, &y,
	             &n) == 7 && n > 0 && s[n] == 0)
		; /* asctime: Sun Nov  6 08:49:37 1994 */
	else
		return -1;
	if ((m = http_month(mon)) < 0 || strlen(mon) != 3 || d < 1 || d > 31 || y < 1970 ||
	    y > 9999 || h > 23 || mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int web_not_modified_since(web_req *r, const char *etag, int64_t last_modified)
{
	const char *ims;
	int64_t t;

	/* RFC 9110 13.2.2: If-None-Match, when present, decides alone. */
	if (MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH))
		return web_not_modified(r, etag);
	/* RFC 9110 13.1.3: only for GET and HEAD; an invalid date, or one later
	 * than the server's clock, is ignored. */
	ims = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	if (ims == NULL || (r->method != WEB_GET && r->method != WEB_HEAD) ||
	    web_http_date_parse(ims, &t) != 0 || t > oa_now() || last_modified > t)
		return 0;
	web_reply(r, 304, NULL, "", 0, MHD_RESPMEM_PERSISTENT);
	web_header(r, MHD_HTTP_HEADER_ETAG, etag);
	return 1;
}

void web_http_date(char *out, size_t outsz, int64_t t)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	/* RFC 9110 5.6.7 IMF-fixdate, independent of the locale. */
	snprintf(out, outsz, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
	    tm.tm_mday, http_mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void web_etag(char *out, const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int mdl = 0;

	EVP_Digest(data, len, md, &mdl, EVP_sha256(), NULL);
	out[0] = '"';
	oa_hex(out + 1, md, 32);
	out[65] = '"';
	out[66] = 0;
}

/* Depth of arrays and objects outside strings, before Jansson parses. */
static int json_depth_ok(const char *s, size_t n)
{
	int depth = 0, in_str = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
		} else if (ch == '"')
			in_str = 1;
		else if (ch == '[' || ch == '{') {
			if (++depth > OA_WEB_MAX_JSON_DEPTH)
				return 0;
		} else if (ch == ']' || ch == '}')
			depth--;
	}
	return 1;
}

oa_err web_json_parse(const char *text, size_t len, json_t **out)
{
	json_error_t e;

	*out = NULL;
	if (len > OA_WEB_MAX_JSON_BODY)
		return oa_fail(OA_ERR_LIMIT, "JSON body larger than %d bytes", OA_WEB_MAX_JSON_BODY);
	if (!json_depth_ok(text, len))
		return oa_fail(OA_ERR_LIMIT, "JSON nested deeper than %d levels",
		    OA_WEB_MAX_JSON_DEPTH);
	if ((*out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e)) == NULL)
		return oa_fail(OA_ERR_INVALID, "JSON: %s at line %d column %d", e.text, e.line,
		    e.column);
	return OA_OK;
}

static int b64val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-')
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

long web_base64_decode(const char *s, size_t n, unsigned char *out, size_t outsz)
{
	size_t o = 0, pad = 0;
	unsigned acc = 0;
	int bits = 0;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n % 4 == 1 || (pad && (n + pad) % 4 != 0))
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) /* non-canonical trailing bits */
		return -1;
	return (long)o;
}
