/*
 * esign_v2.c - the BSrE API's v2 routes (docs/ESIGN_API.md): JSON bodies
 * with base64 documents, several documents and signatures in one request,
 * signing with the passphrase or an e-mailed TOTP (the codes are otp.c,
 * the key's second sealing src/keys/wrap.c), verification with
 * certificate details, a holder's status by NIK or e-mail, and sealing
 * with an agency's electronic seal (the seal's codes are seal.c).  What v1 and v2
 * share is esign.c.
 */
#include "esignInt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "../ca/ca.h"
#include "../common/util.h"

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
	const char *nik = esign_jstr(j, "nik", &bad), *email = esign_jstr(j, "email", &bad);
	auth_person p;

	if (bad) {
		esign_fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid", "nik and email are strings");
		return NULL;
	}
	if ((nik == NULL || *nik == 0) && email && *email) {
		if (auth_person_by_email(r->auth, email, &p) != OA_OK) {
			esign_fail(r, 404, "NOT_REGISTERED", "Pengguna belum terdaftar",
			    "no person with this e-mail address");
			return NULL;
		}
		if (p.nik[0] == 0) {
			esign_fail(r, 404, "NO_CERTIFICATE", "Pengguna belum memiliki Sertifikat Elektronik",
			    "the person with this e-mail address has no NIK");
			return NULL;
		}
		return web_printf(r, "%s", p.nik);
	}
	if (!esign_nik_ok(r, nik))
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
	esign_fail(r, 400, "INVALID_REQUEST", "Parameter visualisasi tidak lengkap",
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
    const char *pdfpw, sign_visual *v)
{
	json_t *pg = json_object_get(p, "page");
	const char *img, *tag;
	double ox = 0, oy = 0, w = 0, h = 0, box[4];
	int bad = 0, rot = 0;
	oa_err rc;

	tag = esign_jstr(p, "tag_koordinat", &bad);
	if (tag && *tag) {
		/* the box's size centred on the tag; page and origin are not used */
		if (!jnum(r, p, "width", i, &w) || !jnum(r, p, "height", i, &h) ||
		    esign_tag_place_pw(r, tag, pdf, len, pdfpw, w, h, v) < 0)
			return 0;
	} else if (!json_is_integer(pg) || json_integer_value(pg) < 1 || json_integer_value(pg) > 100000) {
		esign_fail(r, 400, "INVALID_REQUEST", "Parameter page wajib diisi",
		    "signatureProperties[%zu]: tampilan VISIBLE needs page (a page number from 1) or "
		    "tag_koordinat", i);
		return 0;
	} else if (!jnum(r, p, "originX", i, &ox) || !jnum(r, p, "originY", i, &oy) ||
	    !jnum(r, p, "width", i, &w) || !jnum(r, p, "height", i, &h))
		return 0;
	img = esign_jstr(p, "imageBase64", &bad);
	if (bad || img == NULL || *img == 0 ||
	    (v->image = unbase64(r, img, &v->image_len)) == NULL) {
		esign_fail(r, 400, "INVALID_REQUEST", "imageBase64 wajib diisi",
		    "signatureProperties[%zu]: tampilan VISIBLE needs imageBase64 (a base64 JPEG or "
		    "PNG)", i);
		return 0;
	}
	if (tag && *tag)
		return 1;
	v->page = (int)json_integer_value(pg);
	if ((rc = sign_pdf_page_box_pw(pdf, len, pdfpw, v->page, box, &rot))) {
		if (rc == OA_ERR_INVALID && strncmp(oa_errmsg(), "broken PDF", 10) != 0 &&
		    strncmp(oa_errmsg(), "PDF password", 12) != 0)
			esign_fail(r, 400, "VISUAL_INVALID", "Halaman visualisasi tidak ada", "file[%zu]: %s",
			    i, oa_errmsg());
		else
			esign_sign_fail(r, rc, "");
		return 0;
	}
	sign_page_view_box(box, rot, box); /* the page as seen, /Rotate applied */
	v->x = box[0] + ox;
	v->y = box[3] - oy - h;
	v->w = w;
	v->h = h;
	return 1;
}

/* The PAdES baseline level a signature shows. */
static const char *level_of(const sign_sig_report *s)
{
	if (s->timestamped && s->ltv)
		return "PAdES-BASELINE-LT";
	return s->timestamped ? "PAdES-BASELINE-T" : "PAdES-BASELINE-B";
}

/*
 * Whether nik's holder may sign with a TOTP: a usable certificate with a
 * key sealed here, not locked, and the holder opted in.  OA_OK, or a
 * negative value once the refusal is answered, or a positive oa_err (not
 * answered) for a fault.  serial is the holder's certificate.
 */
static int v2_totp_key(web_req *r, const char *nik, char serial[41])
{
	keys_info ki;
	int64_t kid = 0;
	char holder[65];
	oa_err rc;

	if ((rc = sign_holder_find(r->in, nik, NULL, serial)) ||
	    (rc = keys_find_by_serial(r->in, serial, &kid, holder))) {
		if (rc == OA_ERR_STORE || rc == OA_ERR_NOMEM || rc == OA_ERR_INTERNAL)
			return rc;
		esign_sign_fail(r, rc, nik);
		return -1;
	}
	if ((rc = keys_status(r->in, kid, &ki)))
		return (int)rc;
	if (ki.locked) {
		esign_fail(r, 403, "KEY_LOCKED", "Kunci penandatangan terkunci karena terlalu banyak "
		    "percobaan passphrase yang salah", "the holder key of NIK %s is locked", nik);
		return -1;
	}
	if ((rc = keys_totp_enabled(r->in, kid)) == OA_ERR_NOTFOUND) {
		esign_fail(r, 403, "TOTP_NOT_ENABLED", "Penandatanganan dengan TOTP belum diaktifkan; "
		    "tanda tangani sekali dengan passphrase dan totpEnable: true",
		    "NIK %s has not enabled signing with a TOTP: sign once with the passphrase and "
		    "\"totpEnable\": true", nik);
		return -1;
	}
	return (int)rc;
}

static int v2_totp_ready(web_req *r, const char *nik)
{
	char serial[41];

	return v2_totp_key(r, nik, serial);
}

/* a.b@c.d -> a***@c.d: where the code went, without the whole address. */
static const char *mask_email(web_req *r, const char *e)
{
	const char *at = strchr(e, '@');

	if (at == NULL || at == e)
		return "***";
	return web_printf(r, "%c***%s", e[0], at);
}

/*
 * POST /api/v2/sign/get/totp (guide 6.3): {nik|email, data} -> the code
 * goes to the holder's e-mail; data is the number of documents it will
 * sign (0 or absent: up to ESIGN_MAX_FILES).  200:
 * {"success": true, "message": "...", "data": {"email": masked,
 * "expires": ISO time, "data": n}}.
 */
static void v2_get_totp(web_req *r)
{
	auth_client_info ci;
	auth_person p;
	ca_cert_info cert;
	esign_otp_to to = {0};
	json_t *j, *d;
	const char *nik;
	char serial[41];
	int64_t expires = 0, files = ESIGN_MAX_FILES;
	int ready;
	oa_err rc;

	if (!esign_client_auth(r, &ci))
		return;
	if ((j = esign_json_body(r)) == NULL)
		return;
	if ((nik = v2_nik(r, j)) == NULL)
		goto out;
	d = json_object_get(j, "data");
	if (d && !json_is_null(d) && (!json_is_integer(d) || json_integer_value(d) < 0 ||
	                                  json_integer_value(d) > ESIGN_MAX_FILES)) {
		esign_fail(r, 400, "INVALID_REQUEST", "Parameter data tidak valid",
		    "data is the number of documents to sign: 0 to %d", ESIGN_MAX_FILES);
		goto out;
	}
	if (json_is_integer(d) && json_integer_value(d) > 0)
		files = json_integer_value(d);
	if ((ready = v2_totp_key(r, nik, serial)) < 0)
		goto out;
	if (ready) {
		esign_fail_internal(r, (oa_err)ready);
		goto out;
	}
	to.nik = nik;
	to.client = ci.username;
	to.files = (int)files;
	to.actor = web_printf(r, "client:%s", ci.username);
	if (auth_person_by_nik(r->auth, nik, &p) == OA_OK && p.email[0]) {
		to.person = web_printf(r, "%s", p.id);
		to.name = web_printf(r, "%s", p.name);
		to.email = web_printf(r, "%s", p.email);
	} else if (ca_status(r->ca, serial, &cert) == OA_OK && cert.email[0]) {
		to.name = web_printf(r, "%s", cert.cn);
		to.email = web_printf(r, "%s", cert.email);
	} else {
		esign_fail(r, 409, "EMAIL_MISSING", "Pengguna tidak memiliki email terdaftar",
		    "NIK %s has no e-mail address to send the TOTP to", nik);
		goto out;
	}
	if ((rc = esign_otp_issue(r->in, &to, &expires)) == OA_ERR_LIMIT) {
		web_header(r, "Retry-After", "3600");
		esign_fail(r, 429, "RATE_LIMITED", "Terlalu banyak permintaan TOTP", "%s", oa_errmsg());
		goto out;
	}
	if (rc) {
		esign_fail_internal(r, rc);
		goto out;
	}
	web_reply_json(r, 200, json_pack("{s:b,s:s,s:{s:s,s:s,s:I}}", "success", 1, "message",
	    "TOTP berhasil dikirim ke email terdaftar", "data", "email", mask_email(r, to.email),
	    "expires", esign_iso_ms(r, expires, 0), "data", (json_int_t)files));
out:
	json_decref(j);
}

/* The documents of a v2 sign or seal request, every input checked. */
typedef struct v2_docs {
	size_t n;
	uint8_t **pdf;
	size_t *len;
	const char **reason, **loc;
	const char **pdfpw; /* pdfPassword: NULL or "" when not encrypted */
	sign_visual **vis;
} v2_docs;

/*
 * file[] and signatureProperties[] of j, decoded and checked before the
 * first signature (the guide: one properties entry per file, or one for
 * all).  1, or 0 after a reply.
 */
static int v2_parse_docs(web_req *r, json_t *j, v2_docs *d)
{
	json_t *props = json_object_get(j, "signatureProperties"), *files = json_object_get(j, "file");
	int bad = 0, visible = 0;
	size_t nf;

	if (!json_is_array(files) || (props && !json_is_null(props) && !json_is_array(props))) {
		esign_fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid",
		    "file is an array of base64 strings, signatureProperties an array of objects");
		return 0;
	}
	if (json_is_null(props))
		props = NULL;
	nf = json_array_size(files);
	if (nf == 0 || nf > ESIGN_MAX_FILES) {
		esign_fail(r, 400, "INVALID_REQUEST", "Jumlah file tidak valid",
		    "file holds 1 to %d documents", ESIGN_MAX_FILES);
		return 0;
	}
	if (props && json_array_size(props) != 0 && json_array_size(props) != 1 &&
	    json_array_size(props) != nf) {
		esign_fail(r, 400, "INVALID_REQUEST", "Jumlah signatureProperties tidak sesuai",
		    "signatureProperties holds one entry for every document, or one for all");
		return 0;
	}
	d->n = nf;
	d->pdf = web_alloc(r, nf * sizeof *d->pdf);
	d->len = web_alloc(r, nf * sizeof *d->len);
	d->reason = web_alloc(r, nf * sizeof *d->reason);
	d->loc = web_alloc(r, nf * sizeof *d->loc);
	d->vis = web_alloc(r, nf * sizeof *d->vis);
	d->pdfpw = web_alloc(r, nf * sizeof *d->pdfpw);
	if (!d->pdf || !d->len || !d->reason || !d->loc || !d->vis || !d->pdfpw) {
		esign_fail_internal(r, OA_ERR_NOMEM);
		return 0;
	}
	for (size_t i = 0; i < nf; i++) {
		json_t *f = json_array_get(files, i), *p = NULL;
		if (props && json_array_size(props) > 0)
			p = json_array_get(props, json_array_size(props) == 1 ? 0 : i);
		if (!json_is_string(f) ||
		    (d->pdf[i] = unbase64(r, json_string_value(f), &d->len[i])) == NULL) {
			esign_fail(r, 400, "INVALID_REQUEST", "File bukan base64 yang valid",
			    "file[%zu] is not a base64 string", i);
			return 0;
		}
		d->reason[i] = d->loc[i] = d->pdfpw[i] = NULL;
		d->vis[i] = NULL;
		if (p == NULL)
			continue;
		if (!json_is_object(p)) {
			esign_fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid",
			    "signatureProperties[%zu] is not an object", i);
			return 0;
		}
		if (!esign_tampilan_kind(r, esign_jstr(p, "tampilan", &bad), &visible))
			return 0;
		d->pdfpw[i] = esign_jstr(p, "pdfPassword", &bad); /* "" or absent: not encrypted */
		if (visible) {
			if ((d->vis[i] = web_alloc(r, sizeof *d->vis[i])) == NULL) {
				esign_fail_internal(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
				return 0;
			}
			memset(d->vis[i], 0, sizeof *d->vis[i]);
			if (!v2_visual(r, p, i, d->pdf[i], d->len[i], d->pdfpw[i], d->vis[i]))
				return 0;
		}
		d->reason[i] = esign_jstr(p, "reason", &bad);
		d->loc[i] = esign_jstr(p, "location", &bad);
		if (bad) {
			esign_fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid",
			    "tampilan, reason, location and pdfPassword are strings");
			return 0;
		}
	}
	return 1;
}

/* 200 {"time": ms since t0, "file": outs} (outs is taken). */
static void v2_reply_files(web_req *r, const struct timespec *t0, json_t *outs)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	web_reply_json(r, 200, json_pack("{s:I,s:o}", "time",
	    (json_int_t)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000),
	    "file", outs));
}

/* Appends the base64 of o (freed) to outs; 0 after a reply. */
static int v2_append_b64(web_req *r, json_t *outs, uint8_t *o, size_t olen)
{
	char *b = base64(o, olen);

	free(o);
	if (b == NULL) {
		esign_fail_internal(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		return 0;
	}
	json_array_append_new(outs, json_string(b));
	free(b);
	return 1;
}

/* POST /api/v2/sign/pdf: {nik|email, passphrase|totp, signatureProperties[],
 * file[]} -> {"time": ms, "file": [base64...]}. */
static void v2_sign(web_req *r)
{
	auth_client_info ci;
	json_t *j, *outs = NULL, *en;
	const char *nik, *pass, *totp;
	struct timespec t0;
	int bad = 0, wrap = KEYS_WRAP_NONE;
	v2_docs d = {0};

	if (!esign_client_auth(r, &ci))
		return;
	if ((j = esign_json_body(r)) == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((nik = v2_nik(r, j)) == NULL)
		goto out;
	pass = esign_jstr(j, "passphrase", &bad);
	totp = esign_jstr(j, "totp", &bad);
	if (!totp)
		totp = esign_jstr(j, "otp", &bad);
	if (bad) {
		esign_fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid",
		    "passphrase and totp are strings");
		goto out;
	}
	/* The guide (6.2): the passphrase or the TOTP, one of them.  With a
	 * passphrase, totpEnable (openams's, not the guide's) opts the holder
	 * in (true) or out (false) of signing with a TOTP (src/keys/wrap.c). */
	en = json_object_get(j, "totpEnable");
	if (en && !json_is_boolean(en) && !json_is_null(en)) {
		esign_fail(r, 400, "INVALID_REQUEST", "Permintaan tidak valid", "totpEnable is a boolean");
		goto out;
	}
	if (pass && *pass) {
		if (json_is_boolean(en))
			wrap = json_is_true(en) ? KEYS_WRAP_KEEP : KEYS_WRAP_DROP;
	} else if (totp && *totp) {
		wrap = KEYS_WRAP_USE;
		pass = NULL;
	} else {
		esign_fail(r, 400, "INVALID_REQUEST", "Passphrase atau TOTP wajib diisi",
		    "passphrase (or totp) is required");
		goto out;
	}
	if (!v2_parse_docs(r, j, &d))
		goto out;
	if (wrap == KEYS_WRAP_USE) {
		/* the holder must have opted in before the code is spent */
		int ready = v2_totp_ready(r, nik);
		oa_err rc = ready > 0 ? (oa_err)ready : OA_OK;
		if (ready < 0)
			goto out;
		if (rc == OA_OK)
			rc = esign_otp_use(r->in, nik, ci.username, totp, d.n,
			    web_printf(r, "client:%s", ci.username));
		if (rc == OA_ERR_DENIED || rc == OA_ERR_LIMIT)
			esign_fail(r, 400, "TOTP_INVALID", "TOTP tidak valid atau sudah kedaluwarsa", "%s",
			    oa_errmsg());
		else if (rc)
			esign_fail_internal(r, rc);
		if (rc)
			goto out;
	}
	outs = json_array();
	for (size_t i = 0; i < d.n; i++) {
		uint8_t *o = NULL;
		size_t olen = 0;
		/* the opt-in (or out) goes with the first signature only */
		oa_err rc = esign_sign_one_pw(r, &ci, nik, pass,
		    wrap == KEYS_WRAP_USE || i == 0 ? wrap : KEYS_WRAP_NONE, d.pdf[i], d.len[i],
		    d.reason[i], d.loc[i], d.vis[i], d.pdfpw[i], &o, &olen);
		if (rc) {
			esign_sign_fail(r, rc, nik);
			goto out;
		}
		if (!v2_append_b64(r, outs, o, olen))
			goto out;
	}
	v2_reply_files(r, &t0, outs);
	outs = NULL;
out:
	json_decref(outs);
	json_decref(j);
}

/*
 * POST /api/v2/seal/pdf (guide 6.6): {idSubscriber, totp (the code of
 * seal/get/totp), signatureProperties[], file[]} -> {"time", "file"}, as
 * the sign response.  The code is checked (and spent) after every input.
 */
static void v2_seal_pdf(web_req *r)
{
	auth_client_info ci;
	json_t *j, *outs = NULL;
	const char *id, *totp;
	struct timespec t0;
	int bad = 0;
	v2_docs d = {0};
	oa_err rc;

	if (!esign_client_auth(r, &ci))
		return;
	if ((j = esign_json_body(r)) == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	id = esign_jstr(j, "idSubscriber", &bad);
	totp = esign_jstr(j, "totp", &bad);
	if (bad || id == NULL || *id == 0 || totp == NULL || *totp == 0) {
		esign_fail(r, 400, "INVALID_REQUEST", "idSubscriber dan totp wajib diisi",
		    "idSubscriber and totp (strings) are required");
		goto out;
	}
	if (!esign_seal_of_client(r, &ci, id) || !v2_parse_docs(r, j, &d))
		goto out;
	if ((rc = esign_seal_code_use(r->in, id, "otp", ci.username, totp, d.n, ESIGN_SEAL_SPEND,
	         web_printf(r, "client:%s", ci.username), NULL))) {
		esign_seal_code_fail(r, rc);
		goto out;
	}
	outs = json_array();
	for (size_t i = 0; i < d.n; i++) {
		uint8_t *o = NULL;
		size_t olen = 0;
		sign_opts so = {0};
		so.reason = d.reason[i];
		so.location = d.loc[i];
		so.visual = d.vis[i];
		so.password = d.pdfpw[i];
		if ((rc = sign_pdf_seal(r->in, id, web_printf(r, "client:%s", ci.username), ci.username,
		         d.pdf[i], d.len[i], &so, &o, &olen))) {
			esign_sign_fail(r, rc, "");
			goto out;
		}
		if (!v2_append_b64(r, outs, o, olen))
			goto out;
	}
	v2_reply_files(r, &t0, outs);
	outs = NULL;
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
	json_object_set_new(d, "notAfterDate", esign_str_or_null(esign_iso_ms(r, s->not_after, 0)));
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

	if (!esign_client_auth(r, &ci))
		return;
	if ((j = esign_json_body(r)) == NULL)
		return;
	f = esign_jstr(j, "file", &bad);
	pw = esign_jstr(j, "password", &bad);
	if (bad || f == NULL || (pdf = unbase64(r, f, &len)) == NULL) {
		json_decref(j);
		esign_fail(r, 400, "INVALID_REQUEST", "File bukan base64 yang valid",
		    "file (a base64 string) is required");
		return;
	}
	if (esign_verify_pw(r, pdf, len, pw, &rep)) {
		json_decref(j);
		return;
	}
	json_decref(j); /* after the verification: pw points into it */
	verdict = esign_conclusion(&rep, &desc);
	infos = json_array();
	for (size_t i = 0; i < rep.n; i++) {
		const sign_sig_report *s = &rep.sig[i];
		json_t *certs = json_array(), *ts = json_null();
		char hex[65];
		if (s->timestamped) {
			char *tname = NULL, *tvalid = NULL;
			if (s->timestamp_valid)
				esign_tsa_info(r, &tname, &tvalid);
			ts = json_pack("{s:o,s:s,s:o}", "id", json_null(), "signerName",
			    tname ? tname : "Timestamp Authority", "timestampDate",
			    esign_str_or_null(esign_iso_ms(r, s->timestamp_time, 0)));
		}
		json_array_append_new(certs, cert_details(r, s));
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02X", rep.sha256[k]);
		json_array_append_new(infos, json_pack("{s:s,s:s,s:s,s:o,s:s,s:o,s:o,s:i,s:n,s:s,s:o,"
		    "s:o,s:b,s:b,s:b}",
		    "id", web_printf(r, "S-%s-%zu", hex, i + 1),
		    "signatureFormat", level_of(s),
		    "signerName", s->signer_cn,
		    "signatureDate", esign_str_or_null(esign_iso_ms(r, s->signing_time, 0)),
		    "fieldName", s->field,
		    "reason", esign_str_or_null(s->reason),
		    "location", esign_str_or_null(s->location),
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

	if (!esign_client_auth(r, &ci))
		return;
	if ((j = esign_json_body(r)) == NULL)
		return;
	nik = esign_jstr(j, "nik", &bad);
	email = esign_jstr(j, "email", &bad);
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
		esign_reply_status(r, web_printf(r, "%s", nik));
	json_decref(j);
}

static const web_route v2_routes[] = {
	{WEB_POST, "/api/v2/sign/pdf", v2_sign, ESIGN_MAX_V2_BODY},
	{WEB_POST, "/api/v2/verify/pdf", v2_verify, ESIGN_MAX_V2_BODY},
	{WEB_POST, "/api/v2/user/check/status", v2_status, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/sign/get/totp", v2_get_totp, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/user/registration", esign_v2_register, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/seal/get/activation", esign_v2_seal_activation, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/seal/revoke/activation", esign_v2_seal_revoke, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/seal/get/totp", esign_v2_seal_totp, ESIGN_MAX_SMALL_BODY},
	{WEB_POST, "/api/v2/seal/pdf", v2_seal_pdf, ESIGN_MAX_V2_BODY},
};

const web_route_table web_esign_v2_table = {"esign-v2", v2_routes,
    sizeof v2_routes / sizeof v2_routes[0]};
