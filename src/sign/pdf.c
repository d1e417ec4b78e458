/*
 * pdf.c - a PAdES signature as an incremental update of a PDF (ISO 32000-1
 * sections 7.5.6 and 12.8; ETSI EN 319 142-1 section 5).
 *
 * qpdf (libqpdf's C API) reads the original and answers the questions the
 * update needs: the trailer's /Size, /Root, /Info and /ID, the first page,
 * the existing /AcroForm and /Annots.  It refuses damaged input (recovery is
 * turned off) and reports encryption.  The update itself is written here,
 * byte by byte, after the original, which is never changed: qpdf can only
 * rewrite whole files.
 *
 * The update holds, in this order: the signature dictionary (its /Contents
 * a zero-filled hex placeholder sized by sign_cms_max, its /ByteRange a
 * blank of fixed width), the field's widget annotation, the /AcroForm, the
 * new revisions of the first page and of the catalog, and a cross-reference
 * section of the same kind as the original's last (a classic table, or an
 * uncompressed cross-reference stream, section 7.5.8), whose /Prev points
 * at the original's.  Only then are the byte range filled in, the covered
 * bytes hashed and the CMS hex-encoded into the placeholder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <qpdf/qpdf-c.h>

#include "signInt.h"

#define TRY(x) do { if ((rc = (x)) != OA_OK) goto out; } while (0)

#define BYTERANGE_WIDTH 48 /* "0 a b c" with three up-to-ten-digit numbers, padded */

/* What the update needs to know of the original, read with qpdf. */
typedef struct orig {
	long long size;          /* trailer /Size: the first new object number */
	int root_id, root_gen;
	int page_id, page_gen;
	oa_buf root_keys;        /* the catalog's entries but /AcroForm, as PDF text */
	oa_buf page_keys;        /* the page's entries but /Annots */
	oa_buf annots;           /* the existing /Annots items, space-separated */
	oa_buf form_keys;        /* the existing /AcroForm's entries but /Fields, /SigFlags */
	oa_buf fields;           /* the existing /Fields items */
	oa_buf info, id;         /* trailer /Info and /ID values, or empty */
	double box[4];           /* the page's crop box (else media box), normalised */
	int rotate;              /* its /Rotate (inherited): 0, 90, 180, 270 */
	sign_crypt cr;           /* an encrypted document's handler and key */
} orig;

static void orig_free(orig *g)
{
	oa_buf_free(&g->root_keys);
	oa_buf_free(&g->page_keys);
	oa_buf_free(&g->annots);
	oa_buf_free(&g->form_keys);
	oa_buf_free(&g->fields);
	oa_buf_free(&g->info);
	oa_buf_free(&g->id);
	sign_crypt_free(&g->cr);
}

static oa_err qpdf_failed(qpdf_data q, const char *what)
{
	qpdf_error e = qpdf_get_error(q);

	if (e && qpdf_get_error_code(q, e) == qpdf_e_password)
		return oa_fail(OA_ERR_INVALID, "PDF password: the PDF is encrypted and the password "
		    "given (if any) opens it neither as its user nor as its owner");
	return oa_fail(OA_ERR_INVALID, "broken PDF: %s: %s", what,
	    e ? qpdf_get_error_full_text(q, e) : "qpdf could not read it");
}

/*
 * Reads pdf into q with password (NULL or "": none): no recovery, and any
 * warning refuses it.
 */
static oa_err read_pdf(qpdf_data q, const uint8_t *pdf, size_t len, const char *password)
{
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	qpdf_set_attempt_recovery(q, QPDF_FALSE);
	if (password && strlen(password) > SIGN_MAX_PASSWORD_BYTES)
		return oa_fail(OA_ERR_INVALID, "PDF password: over %d bytes", SIGN_MAX_PASSWORD_BYTES);
	if (qpdf_read_memory(q, "input", (const char *)pdf, len, password ? password : "") &
	    QPDF_ERRORS)
		return qpdf_failed(q, "qpdf cannot read it");
	if (qpdf_more_warnings(q)) {
		qpdf_error w = qpdf_next_warning(q);
		return oa_fail(OA_ERR_INVALID, "broken PDF: readers would have to repair it: %s",
		    w ? qpdf_get_error_full_text(q, w) : "qpdf warned");
	}
	return OA_OK;
}

/* Appends oh as PDF text ("N G R" when it is indirect). */
static oa_err put_obj(qpdf_data q, oa_buf *b, qpdf_oh oh)
{
	const char *s = qpdf_oh_unparse(q, oh);
	if (qpdf_has_error(q))
		return qpdf_failed(q, "an object cannot be read");
	return oa_buf_printf(b, " %s", s);
}

/*
 * Appends the entries of dictionary d but those named skip1 and skip2, one
 * "/Key value" a line.  Counts them against SIGN_MAX_FIELDS.
 */
static oa_err put_dict(qpdf_data q, oa_buf *b, qpdf_oh d, const char *skip1, const char *skip2)
{
	int n = 0;
	oa_err rc;

	qpdf_oh_begin_dict_key_iter(q, d);
	while (qpdf_oh_dict_more_keys(q)) {
		const char *k = qpdf_oh_dict_next_key(q);
		char key[256];
		qpdf_oh name, v;

		if (!k || strlen(k) >= sizeof key)
			return oa_fail(OA_ERR_INVALID, "broken PDF: a dictionary key is too long");
		snprintf(key, sizeof key, "%s", k);
		if (strcmp(key, skip1) == 0 || strcmp(key, skip2) == 0)
			continue;
		if (++n > SIGN_MAX_FIELDS)
			return oa_fail(OA_ERR_LIMIT, "a dictionary has over %d entries", SIGN_MAX_FIELDS);
		name = qpdf_oh_new_name(q, key);
		if ((rc = put_obj(q, b, name)))
			return rc;
		v = qpdf_oh_get_key(q, d, key);
		if ((rc = put_obj(q, b, v)) || (rc = oa_buf_append(b, "\n", 1)))
			return rc;
		qpdf_oh_release(q, name);
		qpdf_oh_release(q, v);
	}
	return qpdf_has_error(q) ? qpdf_failed(q, "a dictionary cannot be read") : OA_OK;
}

/* Appends the items of array a (nothing if a is not an array). */
static oa_err put_items(qpdf_data q, oa_buf *b, qpdf_oh a, const char *what)
{
	int n;
	oa_err rc;

	if (!qpdf_oh_is_array(q, a))
		return OA_OK;
	n = qpdf_oh_get_array_n_items(q, a);
	if (n > SIGN_MAX_FIELDS)
		return oa_fail(OA_ERR_LIMIT, "%s has %d items, over %d", what, n, SIGN_MAX_FIELDS);
	for (int i = 0; i < n; i++) {
		qpdf_oh it = qpdf_oh_get_array_item(q, a, i);
		if ((rc = put_obj(q, b, it)))
			return rc;
		qpdf_oh_release(q, it);
	}
	return OA_OK;
}

/*
 * A certified document whose certification signature permits no change
 * (ISO 32000-1 section 12.8.2.2, DocMDP /P 1) cannot take another
 * signature without invalidating the certification: refused.
 */
static oa_err check_docmdp(qpdf_data q, qpdf_oh root)
{
	/* _if_dict: a missing entry is no warning (qpdf warns, and warnings refuse) */
	qpdf_oh perms = qpdf_oh_get_key_if_dict(q, root, "/Perms");
	qpdf_oh sig = qpdf_oh_get_key_if_dict(q, perms, "/DocMDP");
	qpdf_oh refs = qpdf_oh_get_key_if_dict(q, sig, "/Reference");
	int n = qpdf_oh_is_array(q, refs) ? qpdf_oh_get_array_n_items(q, refs) : 0;

	for (int i = 0; i < n && i < SIGN_MAX_FIELDS; i++) {
		qpdf_oh r = qpdf_oh_get_array_item(q, refs, i);
		qpdf_oh tp = qpdf_oh_get_key_if_dict(q, r, "/TransformParams");
		qpdf_oh p = qpdf_oh_get_key_if_dict(q, tp, "/P");
		qpdf_oh m = qpdf_oh_get_key_if_dict(q, r, "/TransformMethod");
		if (qpdf_oh_is_name_and_equals(q, m, "/DocMDP") && qpdf_oh_is_integer(q, p) &&
		    qpdf_oh_get_int_value(q, p) == 1)
			return oa_fail(OA_ERR_POLICY, "the PDF is certified with no changes permitted "
			    "(DocMDP /P 1): another signature would invalidate its certification");
	}
	return OA_OK;
}

static int page_box(qpdf_data q, qpdf_oh page, const char *key, double box[4]);
static int page_rotate(qpdf_data q, qpdf_oh page);
static void view_to_user(const sign_visual *v, const double box[4], int rotate, double r[4]);

static oa_err read_orig(const uint8_t *pdf, size_t len, const char *password, int pageno,
    int visible, orig *g)
{
	qpdf_data q = qpdf_init();
	qpdf_oh tr, root, page, form, v;
	oa_err rc = OA_OK;

	if (!q)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	TRY(read_pdf(q, pdf, len, password));
	TRY(sign_crypt_open(q, password, &g->cr));

	tr = qpdf_get_trailer(q);
	v = qpdf_oh_get_key(q, tr, "/Size");
	if (!qpdf_oh_is_integer(q, v) || (g->size = qpdf_oh_get_int_value(q, v)) < 1 ||
	    g->size > 8000000)
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: the trailer has no valid /Size"));
	/* the new objects take the numbers from /Size on: none may exist already */
	for (int i = 0; i < 7; i++) {
		qpdf_oh o = qpdf_get_object_by_id(q, (int)g->size + i, 0);
		int used = !qpdf_oh_is_null(q, o);
		qpdf_oh_release(q, o);
		if (qpdf_has_error(q) || used)
			TRY(oa_fail(OA_ERR_INVALID, "broken PDF: object %lld exists but the trailer's "
			    "/Size is %lld", g->size + i, g->size));
	}
	if (qpdf_oh_has_key(q, tr, "/Info"))
		TRY(put_obj(q, &g->info, qpdf_oh_get_key(q, tr, "/Info")));
	if (qpdf_oh_has_key(q, tr, "/ID"))
		TRY(put_obj(q, &g->id, qpdf_oh_get_key(q, tr, "/ID")));

	root = qpdf_get_root(q);
	if (qpdf_has_error(q) || !qpdf_oh_is_indirect(q, root) || !qpdf_oh_is_dictionary(q, root))
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: no document catalog (/Root)"));
	g->root_id = qpdf_oh_get_object_id(q, root);
	g->root_gen = qpdf_oh_get_generation(q, root);
	TRY(put_dict(q, &g->root_keys, root, "/AcroForm", "/AcroForm"));

	TRY(check_docmdp(q, root));

	form = qpdf_oh_get_key(q, root, "/AcroForm");
	if (qpdf_oh_is_dictionary(q, form)) {
		TRY(put_dict(q, &g->form_keys, form, "/Fields", "/SigFlags"));
		TRY(put_items(q, &g->fields, qpdf_oh_get_key(q, form, "/Fields"), "/AcroForm /Fields"));
	}

	if (qpdf_get_num_pages(q) < 1 || qpdf_has_error(q))
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: no pages"));
	if (pageno > qpdf_get_num_pages(q))
		TRY(oa_fail(OA_ERR_INVALID, "page %d: the document has %d page%s", pageno,
		    qpdf_get_num_pages(q), qpdf_get_num_pages(q) == 1 ? "" : "s"));
	page = qpdf_get_page_n(q, (size_t)pageno - 1);
	if (qpdf_has_error(q) || !qpdf_oh_is_indirect(q, page) || !qpdf_oh_is_dictionary(q, page))
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: page %d is not an object", pageno));
	g->page_id = qpdf_oh_get_object_id(q, page);
	g->page_gen = qpdf_oh_get_generation(q, page);
	if (g->page_id == g->root_id || g->page_id >= g->size || g->root_id >= g->size)
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: catalog or page object numbers out of /Size"));
	if (!page_box(q, page, "/CropBox", g->box) && !page_box(q, page, "/MediaBox", g->box) &&
	    visible)
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: page %d has no /MediaBox", pageno));
	g->rotate = page_rotate(q, page);
	TRY(put_dict(q, &g->page_keys, page, "/Annots", "/Annots"));
	TRY(put_items(q, &g->annots, qpdf_oh_get_key(q, page, "/Annots"), "the page's /Annots"));
	if (qpdf_has_error(q))
		TRY(qpdf_failed(q, "reading the catalog and first page"));
	if (qpdf_more_warnings(q)) { /* objects are parsed lazily: warnings come late too */
		qpdf_error w = qpdf_next_warning(q);
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: readers would have to repair it: %s",
		    w ? qpdf_get_error_full_text(q, w) : "qpdf warned"));
	}
out:
	/* qpdf_cleanup() prints an error nobody took; the message is in rc already */
	while (qpdf_has_error(q))
		(void)qpdf_get_error(q);
	qpdf_cleanup(&q);
	return rc;
}

/*
 * The last cross-reference section: its offset (the last startxref) and
 * whether it is a stream (section 7.5.8) rather than a table.
 */
static oa_err find_startxref(const uint8_t *pdf, size_t len, long long *off, int *stream)
{
	size_t from = len > 1024 ? len - 1024 : 0;
	const char kw[] = "startxref";
	char *end;

	for (size_t i = len >= sizeof kw ? len - (sizeof kw - 1) : 0; i + 1 > from + 1; i--) {
		if (memcmp(pdf + i, kw, sizeof kw - 1) != 0)
			continue;
		char num[24];
		size_t j = i + sizeof kw - 1, k = 0;
		while (j < len && (pdf[j] == ' ' || pdf[j] == '\r' || pdf[j] == '\n'))
			j++;
		while (j < len && k + 1 < sizeof num && pdf[j] >= '0' && pdf[j] <= '9')
			num[k++] = (char)pdf[j++];
		num[k] = 0;
		*off = strtoll(num, &end, 10);
		if (k == 0 || *end || *off < 0 || (size_t)*off >= len)
			break;
		if (len - (size_t)*off >= 4 && memcmp(pdf + *off, "xref", 4) == 0)
			*stream = 0;
		else if (pdf[*off] >= '1' && pdf[*off] <= '9')
			*stream = 1;
		else
			break;
		return OA_OK;
	}
	return oa_fail(OA_ERR_INVALID, "broken PDF: no valid startxref in the last 1024 bytes");
}

/* Appends a PDF text string (section 7.9.2.2): literal if ASCII, else UTF-16BE. */
static oa_err put_text(oa_buf *b, const char *s, const char *what)
{
	const unsigned char *p = (const unsigned char *)s;
	int ascii = 1;
	oa_err rc;

	if (strlen(s) > SIGN_MAX_TEXT_BYTES)
		return oa_fail(OA_ERR_LIMIT, "%s is over %d bytes", what, SIGN_MAX_TEXT_BYTES);
	for (const unsigned char *c = p; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			return oa_fail(OA_ERR_INVALID, "%s has a control character", what);
		if (*c > 0x7f)
			ascii = 0;
	}
	if (ascii) {
		if ((rc = oa_buf_append(b, "(", 1)))
			return rc;
		for (; *p; p++)
			if ((*p == '(' || *p == ')' || *p == '\\') && (rc = oa_buf_append(b, "\\", 1)))
				return rc;
			else if ((rc = oa_buf_append(b, p, 1)))
				return rc;
		return oa_buf_append(b, ")", 1);
	}
	if ((rc = oa_buf_append(b, "<FEFF", 5)))
		return rc;
	while (*p) {
		unsigned long cp;
		int n;
		if (*p < 0x80) { cp = *p; n = 0; }
		else if ((*p & 0xe0) == 0xc0) { cp = *p & 0x1f; n = 1; }
		else if ((*p & 0xf0) == 0xe0) { cp = *p & 0x0f; n = 2; }
		else if ((*p & 0xf8) == 0xf0) { cp = *p & 0x07; n = 3; }
		else
			return oa_fail(OA_ERR_INVALID, "%s is not UTF-8", what);
		p++;
		for (int i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return oa_fail(OA_ERR_INVALID, "%s is not UTF-8", what);
			cp = (cp << 6) | (*p & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return oa_fail(OA_ERR_INVALID, "%s is not UTF-8", what);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			rc = oa_buf_printf(b, "%04lX%04lX", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		} else
			rc = oa_buf_printf(b, "%04lX", cp);
		if (rc)
			return rc;
	}
	return oa_buf_append(b, ">", 1);
}

/* The certificate's commonName in UTF-8 into out, or "" */
static void cert_cn(X509 *cert, char *out, size_t outsz)
{
	X509_NAME *n = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	unsigned char *u = NULL;
	int ul;

	out[0] = 0;
	if (i < 0)
		return;
	ul = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
	if (ul > 0)
		snprintf(out, outsz, "%.*s", ul, (const char *)u);
	OPENSSL_free(u);
}

typedef struct xent {
	long long num;
	int gen;
	size_t off;
} xent;

static int cmp_xent(const void *a, const void *b)
{
	const xent *x = a, *y = b;
	return (x->num > y->num) - (x->num < y->num);
}

/* The trailer entries every update repeats: /Size /Root /Prev /Info /ID /Encrypt. */
static oa_err put_trailer_keys(oa_buf *b, const orig *g, long long size, long long prev)
{
	oa_err rc = oa_buf_printf(b, "/Size %lld /Root %d %d R /Prev %lld", size, g->root_id,
	    g->root_gen, prev);
	if (!rc && g->cr.on)
		rc = oa_buf_printf(b, " /Encrypt %.*s", (int)g->cr.ref.len, (const char *)g->cr.ref.data);
	if (!rc && g->info.len)
		rc = oa_buf_printf(b, " /Info%.*s", (int)g->info.len, (const char *)g->info.data);
	if (!rc && g->id.len)
		rc = oa_buf_printf(b, " /ID%.*s", (int)g->id.len, (const char *)g->id.data);
	return rc;
}

/*
 * The cross-reference section of an update (sections 7.5.4, 7.5.6, 7.5.8)
 * for the nx objects x (room for one more: the stream's own entry), of the
 * original's kind, then the trailer and %%EOF.  next_id is the first unused
 * object number (a cross-reference stream takes it).
 */
static oa_err put_xref(oa_buf *b, const orig *g, xent *x, size_t nx, int stream,
    long long next_id, long long prev)
{
	size_t xref_at = b->len;
	oa_buf idx = {0}, data = {0};
	oa_err rc = OA_OK;

	if (!stream) {
		qsort(x, nx, sizeof x[0], cmp_xent);
		TRY(oa_buf_append(b, "xref\n", 5));
		for (size_t i = 0; i < nx;) {
			size_t j = i + 1;
			while (j < nx && x[j].num == x[j - 1].num + 1)
				j++;
			TRY(oa_buf_printf(b, "%lld %zu\n", x[i].num, j - i));
			for (; i < j; i++)
				TRY(oa_buf_printf(b, "%010zu %05d n\r\n", x[i].off, x[i].gen));
		}
		TRY(oa_buf_append(b, "trailer\n<< ", 11));
		TRY(put_trailer_keys(b, g, next_id, prev));
		TRY(oa_buf_printf(b, " >>\nstartxref\n%zu\n%%%%EOF\n", xref_at));
		goto out;
	}
	x[nx++] = (xent){next_id, 0, b->len};
	qsort(x, nx, sizeof x[0], cmp_xent);
	for (size_t i = 0; i < nx;) {
		size_t j = i + 1;
		while (j < nx && x[j].num == x[j - 1].num + 1)
			j++;
		TRY(oa_buf_printf(&idx, " %lld %zu", x[i].num, j - i));
		for (; i < j; i++) {
			uint8_t e[7] = {1, (uint8_t)(x[i].off >> 24), (uint8_t)(x[i].off >> 16),
			    (uint8_t)(x[i].off >> 8), (uint8_t)x[i].off, (uint8_t)(x[i].gen >> 8),
			    (uint8_t)x[i].gen};
			TRY(oa_buf_append(&data, e, sizeof e));
		}
	}
	TRY(oa_buf_printf(b, "%lld 0 obj\n<< /Type /XRef ", next_id));
	TRY(put_trailer_keys(b, g, next_id + 1, prev));
	TRY(oa_buf_printf(b, " /W [1 4 2] /Index [%.*s] /Length %zu >>\nstream\n",
	    (int)idx.len, (const char *)idx.data, data.len));
	TRY(oa_buf_append(b, data.data, data.len));
	TRY(oa_buf_printf(b, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", xref_at));
out:
	oa_buf_free(&idx);
	oa_buf_free(&data);
	return rc;
}

oa_err sign_pdf(const uint8_t *pdf, size_t len, EVP_PKEY *key, X509 *cert,
    STACK_OF(X509) *chain, const sign_opts *o, uint8_t **out, size_t *out_len)
{
	oa_err rc;

	*out = NULL;
	*out_len = 0;
	if ((rc = sign_check_key(key, cert)))
		return rc;
	return sign_pdf_with(pdf, len, cert, chain, sign_with_pkey, key, o, out, out_len);
}

oa_err sign_pdf_with(const uint8_t *pdf, size_t len, X509 *cert, STACK_OF(X509) *chain,
    sign_digest_fn fn, void *arg, const sign_opts *o, uint8_t **out, size_t *out_len)
{
	orig g = {0};
	oa_buf b = {0}, cms = {0};
	xent x[9];
	long long ap_id = 0, next_id;
	int nap = 0;
	int pageno = o && o->visual ? o->visual->page : 1;
	size_t nx = 0, cmsmax, br_at, lt_at, gt_at;
	long long prev = 0, sig_id, wid_id, form_id;
	int stream = 0;
	int64_t when = o && o->when ? o->when : oa_now();
	char cn[256], date[40], br[BYTERANGE_WIDTH + 1];
	struct tm tm;
	time_t tt = (time_t)when;
	uint8_t digest[32];
	unsigned int dl = sizeof digest;
	EVP_MD_CTX *md = NULL;
	oa_err rc = OA_OK;

	*out = NULL;
	*out_len = 0;
	if (!pdf || len == 0)
		return oa_fail(OA_ERR_INVALID, "broken PDF: empty input");
	if (len > SIGN_MAX_PDF_BYTES)
		return oa_fail(OA_ERR_LIMIT, "PDF of %zu bytes: the limit is %d (SIGN_MAX_PDF_BYTES)",
		    len, SIGN_MAX_PDF_BYTES);
	if (len < 8 || memcmp(pdf, "%PDF-", 5) != 0)
		return oa_fail(OA_ERR_INVALID, "broken PDF: no %%PDF- header");
	if (chain && sk_X509_num(chain) > SIGN_MAX_CHAIN)
		return oa_fail(OA_ERR_LIMIT, "%d chain certificates: the limit is %d",
		    sk_X509_num(chain), SIGN_MAX_CHAIN);
	if (!cert || !fn)
		return oa_fail(OA_ERR_INVALID, "a signer and its certificate are needed");
	if ((rc = sign_check_pub(X509_get0_pubkey(cert))))
		return rc;
	TRY(find_startxref(pdf, len, &prev, &stream));
	if (o && o->visual && (rc = sign_visual_check(o->visual)))
		return rc;
	TRY(read_orig(pdf, len, o ? o->password : NULL, pageno, o && o->visual, &g));
	sig_id = g.size;
	wid_id = g.size + 1;
	form_id = g.size + 2;
	cmsmax = sign_cms_max(cert, chain, o && o->tst);

	TRY(oa_buf_reserve(&b, len + 2 * cmsmax + 4096 + g.root_keys.len + g.page_keys.len +
	    g.annots.len + g.form_keys.len + g.fields.len));
	TRY(oa_buf_append(&b, pdf, len));
	if (pdf[len - 1] != '\n' && pdf[len - 1] != '\r')
		TRY(oa_buf_append(&b, "\n", 1));

	/* The signature dictionary (section 12.8.1, EN 319 142-1 section 5.3) */
	x[nx++] = (xent){sig_id, 0, b.len};
	TRY(oa_buf_printf(&b, "%lld 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite "
	    "/SubFilter /ETSI.CAdES.detached /ByteRange [", sig_id));
	br_at = b.len;
	TRY(oa_buf_printf(&b, "%*s] /Contents ", BYTERANGE_WIDTH, ""));
	lt_at = b.len;
	TRY(oa_buf_append(&b, "<", 1));
	TRY(oa_buf_reserve(&b, 2 * cmsmax));
	memset(b.data + b.len, '0', 2 * cmsmax);
	b.len += 2 * cmsmax;
	gt_at = b.len;
	TRY(oa_buf_append(&b, ">", 1));
	gmtime_r(&tt, &tm);
	strftime(date, sizeof date, "(D:%Y%m%d%H%M%S+00'00')", &tm);
	TRY(oa_buf_printf(&b, "\n/M %s", date));
	if (!o || !o->name)
		cert_cn(cert, cn, sizeof cn);
	if (o && o->name ? *o->name : *cn) {
		TRY(oa_buf_append(&b, " /Name ", 7));
		TRY(put_text(&b, o && o->name ? o->name : cn, "the signer's name"));
	}
	if (o && o->reason && *o->reason) {
		TRY(oa_buf_append(&b, " /Reason ", 9));
		TRY(put_text(&b, o->reason, "the reason"));
	}
	if (o && o->location && *o->location) {
		TRY(oa_buf_append(&b, " /Location ", 11));
		TRY(put_text(&b, o->location, "the location"));
	}
	/* an encrypted document: the strings after /Contents (never /Contents) */
	TRY(sign_crypt_strings(&g.cr, &b, gt_at + 1, sig_id, 0));
	TRY(oa_buf_append(&b, " >>\nendobj\n", 11));

	/* The field and its widget, merged (section 12.7.3.1): invisible, or a box
	 * on the page with its appearance stream (section 12.5.5) */
	next_id = g.size + 3;
	x[nx++] = (xent){wid_id, 0, b.len};
	if (o && o->visual) {
		const sign_visual *v = o->visual;
		double r[4];
		ap_id = next_id;
		view_to_user(v, g.box, g.rotate, r);
		TRY(oa_buf_printf(&b, "%lld 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig "
		    "/T (Signature%lld) /V %lld 0 R /F 132 /Rect [%.3f %.3f %.3f %.3f] /AP << /N %lld 0 R >> "
		    "/P %d %d R >>\nendobj\n", wid_id, wid_id, sig_id, r[0], r[1], r[2], r[3],
		    ap_id, g.page_id, g.page_gen));
		TRY(sign_crypt_strings(&g.cr, &b, x[nx - 1].off, wid_id, 0));
		{
			size_t offs[3];
			TRY(sign_visual_write(&b, v, g.rotate, &g.cr, ap_id, offs, &nap));
			for (int i = 0; i < nap; i++)
				x[nx++] = (xent){ap_id + i, 0, offs[i]};
			next_id += nap;
		}
	} else
		TRY(oa_buf_printf(&b, "%lld 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig "
		    "/T (Signature%lld) /V %lld 0 R /F 132 /Rect [0 0 0 0] /P %d %d R >>\nendobj\n",
		    wid_id, wid_id, sig_id, g.page_id, g.page_gen));
	if (!(o && o->visual))
		TRY(sign_crypt_strings(&g.cr, &b, x[nx - 1].off, wid_id, 0));

	/* The interactive form (section 12.7.2): SignaturesExist | AppendOnly */
	x[nx++] = (xent){form_id, 0, b.len};
	TRY(oa_buf_printf(&b, "%lld 0 obj\n<<\n%.*s/Fields [%.*s %lld 0 R] /SigFlags 3 >>\nendobj\n",
	    form_id, (int)g.form_keys.len, (const char *)g.form_keys.data, (int)g.fields.len,
	    (const char *)g.fields.data, wid_id));
	TRY(sign_crypt_strings(&g.cr, &b, x[nx - 1].off, form_id, 0));

	/* The page, with the widget among its annotations */
	x[nx++] = (xent){g.page_id, g.page_gen, b.len};
	TRY(oa_buf_printf(&b, "%d %d obj\n<<\n%.*s/Annots [%.*s %lld 0 R] >>\nendobj\n",
	    g.page_id, g.page_gen, (int)g.page_keys.len, (const char *)g.page_keys.data,
	    (int)g.annots.len, (const char *)g.annots.data, wid_id));
	TRY(sign_crypt_strings(&g.cr, &b, x[nx - 1].off, g.page_id, g.page_gen));

	/* The catalog, pointing at the new /AcroForm */
	x[nx++] = (xent){g.root_id, g.root_gen, b.len};
	TRY(oa_buf_printf(&b, "%d %d obj\n<<\n%.*s/AcroForm %lld 0 R >>\nendobj\n",
	    g.root_id, g.root_gen, (int)g.root_keys.len, (const char *)g.root_keys.data, form_id));
	TRY(sign_crypt_strings(&g.cr, &b, x[nx - 1].off, g.root_id, g.root_gen));

	TRY(put_xref(&b, &g, x, nx, stream, next_id, prev));

	/* The byte range: everything but the /Contents hex string, brackets included */
	snprintf(br, sizeof br, "0 %zu %zu %zu", lt_at, gt_at + 1, b.len - (gt_at + 1));
	memcpy(b.data + br_at, br, strlen(br));

	if ((md = EVP_MD_CTX_new()) == NULL)
		TRY(oa_fail(OA_ERR_NOMEM, "out of memory"));
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, b.data, lt_at) != 1 ||
	    EVP_DigestUpdate(md, b.data + gt_at + 1, b.len - (gt_at + 1)) != 1 ||
	    EVP_DigestFinal_ex(md, digest, &dl) != 1)
		TRY(oa_fail_ssl(OA_ERR_CRYPTO, "cannot hash the byte range"));
	TRY(sign_cms(digest, fn, arg, cert, chain, o, &cms));
	if (cms.len >= cmsmax)
		TRY(oa_fail(OA_ERR_INTERNAL, "the CMS (%zu bytes) outgrew its placeholder (%zu)",
		    cms.len, cmsmax));
	oa_hex((char *)b.data + lt_at + 1, cms.data, cms.len); /* its NUL lands on a '0' */
	b.data[lt_at + 1 + 2 * cms.len] = '0';

	*out = b.data;
	*out_len = b.len;
	b.data = NULL;
out:
	EVP_MD_CTX_free(md);
	oa_buf_free(&cms);
	oa_buf_free(&b);
	orig_free(&g);
	return rc;
}

/* A page's /CropBox or /MediaBox, inherited through /Parent (bounded). */
static int page_box(qpdf_data q, qpdf_oh page, const char *key, double box[4])
{
	qpdf_oh node = page;

	for (int depth = 0; depth < 32 && qpdf_oh_is_dictionary(q, node); depth++) {
		qpdf_oh a = qpdf_oh_get_key(q, node, key);
		if (qpdf_oh_is_array(q, a) && qpdf_oh_get_array_n_items(q, a) == 4) {
			for (int i = 0; i < 4; i++) {
				qpdf_oh v = qpdf_oh_get_array_item(q, a, i);
				if (!qpdf_oh_is_number(q, v))
					return 0;
				box[i] = qpdf_oh_get_numeric_value(q, v);
			}
			if (box[2] < box[0]) { double t = box[0]; box[0] = box[2]; box[2] = t; }
			if (box[3] < box[1]) { double t = box[1]; box[1] = box[3]; box[3] = t; }
			return 1;
		}
		node = qpdf_oh_get_key(q, node, "/Parent");
	}
	return 0;
}

/*
 * A page's /Rotate, inherited through /Parent (ISO 32000-1 section 7.7.3.4),
 * as 0, 90, 180 or 270; a value not a multiple of 90 counts as 0, as
 * poppler takes it.
 */
static int page_rotate(qpdf_data q, qpdf_oh page)
{
	qpdf_oh node = page;

	for (int depth = 0; depth < 32 && qpdf_oh_is_dictionary(q, node); depth++) {
		qpdf_oh r = qpdf_oh_get_key_if_dict(q, node, "/Rotate");
		if (qpdf_oh_is_integer(q, r)) {
			long long v = qpdf_oh_get_int_value(q, r);
			return v % 90 ? 0 : (int)(((v % 360) + 360) % 360);
		}
		node = qpdf_oh_get_key_if_dict(q, node, "/Parent");
	}
	return 0;
}

void sign_page_view_box(const double box[4], int rotate, double view[4])
{
	double w = box[2] - box[0], h = box[3] - box[1];
	int turned = rotate == 90 || rotate == 270;

	view[0] = box[0];
	view[1] = box[1];
	view[2] = box[0] + (turned ? h : w);
	view[3] = box[1] + (turned ? w : h);
}

/*
 * The visible signature's box, given as the page is seen (sign.h), in the
 * page's user space: llx, lly, urx, ury.  With the offsets (u, t) of a point
 * from the lower-left corner of the page as seen, and W x H the unrotated
 * box, the page turned clockwise by /Rotate shows user point (a, b) (offsets
 * from the box's corner) at: 90: u = b, t = W - a; 180: u = W - a,
 * t = H - b; 270: u = H - b, t = a.  Inverted here for two corners.
 */
static void view_to_user(const sign_visual *v, const double box[4], int rotate, double r[4])
{
	double W = box[2] - box[0], H = box[3] - box[1];
	double u0 = v->x - box[0], t0 = v->y - box[1], u1 = u0 + v->w, t1 = t0 + v->h;
	double a0, b0, a1, b1;

	switch (rotate) {
	case 90:  a0 = W - t1; a1 = W - t0; b0 = u0; b1 = u1; break;
	case 180: a0 = W - u1; a1 = W - u0; b0 = H - t1; b1 = H - t0; break;
	case 270: a0 = t0; a1 = t1; b0 = H - u1; b1 = H - u0; break;
	default:  a0 = u0; a1 = u1; b0 = t0; b1 = t1; break;
	}
	r[0] = box[0] + a0;
	r[1] = box[1] + b0;
	r[2] = box[0] + a1;
	r[3] = box[1] + b1;
}

oa_err sign_pdf_page_box(const uint8_t *pdf, size_t len, int page, double box[4], int *rotate)
{
	return sign_pdf_page_box_pw(pdf, len, NULL, page, box, rotate);
}

oa_err sign_pdf_page_box_pw(const uint8_t *pdf, size_t len, const char *password, int page,
    double box[4], int *rotate)
{
	qpdf_data q;
	qpdf_oh pg;
	oa_err rc = OA_OK;

	*rotate = 0;
	if (!pdf || len < 8 || memcmp(pdf, "%PDF-", 5) != 0)
		return oa_fail(OA_ERR_INVALID, "broken PDF: no %%PDF- header");
	if (len > SIGN_MAX_PDF_BYTES)
		return oa_fail(OA_ERR_LIMIT, "PDF of %zu bytes: the limit is %d (SIGN_MAX_PDF_BYTES)",
		    len, SIGN_MAX_PDF_BYTES);
	if ((q = qpdf_init()) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	TRY(read_pdf(q, pdf, len, password));
	if (page < 1 || page > qpdf_get_num_pages(q))
		TRY(oa_fail(OA_ERR_INVALID, "page %d: the document has %d page%s", page,
		    qpdf_get_num_pages(q), qpdf_get_num_pages(q) == 1 ? "" : "s"));
	pg = qpdf_get_page_n(q, (size_t)page - 1);
	if (!page_box(q, pg, "/CropBox", box) && !page_box(q, pg, "/MediaBox", box))
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: page %d has no /MediaBox", page));
	*rotate = page_rotate(q, pg);
	if (qpdf_has_error(q))
		TRY(qpdf_failed(q, "reading the page"));
out:
	while (qpdf_has_error(q))
		(void)qpdf_get_error(q);
	qpdf_cleanup(&q);
	return rc;
}

/* ---- long-term validation data: the document security store -------------- */

/* What a /DSS update needs of the document it extends. */
typedef struct dssorig {
	orig g;                  /* trailer, catalog (root_keys holds all but /DSS) */
	oa_buf certs, ocsps, crls; /* the existing /DSS arrays' items */
	oa_buf vri;              /* the existing /VRI's entries */
	char vri_key[41];        /* SHA-1 of the newest signature's /Contents, upper-case hex */
} dssorig;

static void dssorig_free(dssorig *d)
{
	orig_free(&d->g);
	oa_buf_free(&d->certs);
	oa_buf_free(&d->ocsps);
	oa_buf_free(&d->crls);
	oa_buf_free(&d->vri);
}

/* The signature dictionary whose /ByteRange ends last: the newest. */
static void newest_sig(qpdf_data q, qpdf_oh fields, int depth, long long *best, qpdf_oh *sig)
{
	int n;

	if (!qpdf_oh_is_array(q, fields) || depth > 16)
		return;
	n = qpdf_oh_get_array_n_items(q, fields);
	for (int i = 0; i < n && i < SIGN_MAX_FIELDS; i++) {
		qpdf_oh f = qpdf_oh_get_array_item(q, fields, i), v = qpdf_oh_get_key(q, f, "/V");
		qpdf_oh br = qpdf_oh_get_key(q, v, "/ByteRange");
		if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, f, "/FT"), "/Sig") &&
		    qpdf_oh_is_array(q, br) && qpdf_oh_get_array_n_items(q, br) == 4) {
			long long end = qpdf_oh_get_int_value(q, qpdf_oh_get_array_item(q, br, 2)) +
			    qpdf_oh_get_int_value(q, qpdf_oh_get_array_item(q, br, 3));
			if (end > *best) {
				*best = end;
				*sig = v;
			}
		} else
			newest_sig(q, qpdf_oh_get_key(q, f, "/Kids"), depth + 1, best, sig);
	}
}

static oa_err read_for_dss(const uint8_t *pdf, size_t len, const char *password, dssorig *d)
{
	qpdf_data q = qpdf_init();
	qpdf_oh tr, root, dss, v, sig = 0;
	long long best = -1;
	oa_err rc = OA_OK;

	if (!q)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	TRY(read_pdf(q, pdf, len, password));
	TRY(sign_crypt_open(q, password, &d->g.cr));
	tr = qpdf_get_trailer(q);
	v = qpdf_oh_get_key(q, tr, "/Size");
	if (!qpdf_oh_is_integer(q, v) || (d->g.size = qpdf_oh_get_int_value(q, v)) < 1 ||
	    d->g.size > 8000000)
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: the trailer has no valid /Size"));
	if (qpdf_oh_has_key(q, tr, "/Info"))
		TRY(put_obj(q, &d->g.info, qpdf_oh_get_key(q, tr, "/Info")));
	if (qpdf_oh_has_key(q, tr, "/ID"))
		TRY(put_obj(q, &d->g.id, qpdf_oh_get_key(q, tr, "/ID")));
	root = qpdf_get_root(q);
	if (qpdf_has_error(q) || !qpdf_oh_is_indirect(q, root) || !qpdf_oh_is_dictionary(q, root))
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: no document catalog (/Root)"));
	d->g.root_id = qpdf_oh_get_object_id(q, root);
	d->g.root_gen = qpdf_oh_get_generation(q, root);
	TRY(put_dict(q, &d->g.root_keys, root, "/DSS", "/DSS"));
	dss = qpdf_oh_get_key(q, root, "/DSS");
	if (qpdf_oh_is_dictionary(q, dss)) {
		TRY(put_items(q, &d->certs, qpdf_oh_get_key(q, dss, "/Certs"), "/DSS /Certs"));
		TRY(put_items(q, &d->ocsps, qpdf_oh_get_key(q, dss, "/OCSPs"), "/DSS /OCSPs"));
		TRY(put_items(q, &d->crls, qpdf_oh_get_key(q, dss, "/CRLs"), "/DSS /CRLs"));
		v = qpdf_oh_get_key(q, dss, "/VRI");
		if (qpdf_oh_is_dictionary(q, v))
			TRY(put_dict(q, &d->vri, v, "", ""));
	}
	newest_sig(q, qpdf_oh_get_key(q, qpdf_oh_get_key(q, root, "/AcroForm"), "/Fields"), 0,
	    &best, &sig);
	if (best < 0)
		TRY(oa_fail(OA_ERR_INVALID, "the document has no signature to add validation data for"));
	{
		/* /VRI key: SHA-1 of the /Contents string, all of it (ETSI EN 319 142-1 5.4.2.2) */
		size_t n = 0;
		const char *cs = qpdf_oh_get_binary_string_value(q, qpdf_oh_get_key(q, sig, "/Contents"), &n);
		uint8_t h[20];
		if (!cs || n == 0)
			TRY(oa_fail(OA_ERR_INVALID, "broken PDF: the newest signature has no /Contents"));
		SHA1((const unsigned char *)cs, n, h);
		for (int i = 0; i < 20; i++)
			snprintf(d->vri_key + 2 * i, 3, "%02X", h[i]);
	}
	if (qpdf_has_error(q))
		TRY(qpdf_failed(q, "reading the catalog"));
out:
	while (qpdf_has_error(q))
		(void)qpdf_get_error(q);
	qpdf_cleanup(&q);
	return rc;
}

static oa_err put_refs(oa_buf *b, long long first, size_t n)
{
	oa_err rc = OA_OK;

	for (size_t i = 0; i < n && !rc; i++)
		rc = oa_buf_printf(b, " %lld 0 R", first + (long long)i);
	return rc;
}

/* Appends object id, a stream of data (encrypted as the document is). */
static oa_err put_dss_stream(oa_buf *b, const sign_crypt *cr, long long id, const sign_blob *d)
{
	oa_buf e = {0};
	oa_err rc;

	if ((rc = sign_crypt_stream(cr, id, 0, d->p, d->n, &e)) == OA_OK &&
	    (rc = oa_buf_printf(b, "%lld 0 obj\n<< /Length %zu >>\nstream\n", id, e.len)) == OA_OK &&
	    (rc = oa_buf_append(b, e.data, e.len)) == OA_OK)
		rc = oa_buf_append(b, "\nendstream\nendobj\n", 18);
	oa_buf_free(&e);
	return rc;
}

oa_err sign_pdf_add_dss(const uint8_t *pdf, size_t len, const sign_ltv *ltv, uint8_t **out,
    size_t *out_len)
{
	return sign_pdf_add_dss_pw(pdf, len, NULL, ltv, out, out_len);
}

oa_err sign_pdf_add_dss_pw(const uint8_t *pdf, size_t len, const char *password,
    const sign_ltv *ltv, uint8_t **out, size_t *out_len)
{
	dssorig d = {0};
	oa_buf b = {0};
	xent *x = NULL;
	size_t nx = 0, nobj;
	long long prev = 0, next, c0, o0, r0, dss_id;
	int stream = 0;
	oa_err rc = OA_OK;

	*out = NULL;
	*out_len = 0;
	if (!pdf || len < 8 || memcmp(pdf, "%PDF-", 5) != 0)
		return oa_fail(OA_ERR_INVALID, "broken PDF: no %%PDF- header");
	if (len > SIGN_MAX_PDF_BYTES)
		return oa_fail(OA_ERR_LIMIT, "PDF of %zu bytes: the limit is %d (SIGN_MAX_PDF_BYTES)",
		    len, SIGN_MAX_PDF_BYTES);
	if (ltv->ncerts > SIGN_MAX_LTV || ltv->nocsps > SIGN_MAX_LTV || ltv->ncrls > SIGN_MAX_LTV)
		return oa_fail(OA_ERR_LIMIT, "more than %d certificates, OCSP responses or CRLs",
		    SIGN_MAX_LTV);
	TRY(find_startxref(pdf, len, &prev, &stream));
	TRY(read_for_dss(pdf, len, password, &d));
	nobj = ltv->ncerts + ltv->nocsps + ltv->ncrls + 2; /* + /DSS, the catalog */
	if ((x = calloc(nobj + 1, sizeof *x)) == NULL)
		TRY(oa_fail(OA_ERR_NOMEM, "out of memory"));
	TRY(oa_buf_append(&b, pdf, len));
	if (pdf[len - 1] != '\n' && pdf[len - 1] != '\r')
		TRY(oa_buf_append(&b, "\n", 1));
	next = d.g.size;
	c0 = next;
	for (size_t i = 0; i < ltv->ncerts; i++, next++) {
		x[nx++] = (xent){next, 0, b.len};
		TRY(put_dss_stream(&b, &d.g.cr, next, &ltv->certs[i]));
	}
	o0 = next;
	for (size_t i = 0; i < ltv->nocsps; i++, next++) {
		x[nx++] = (xent){next, 0, b.len};
		TRY(put_dss_stream(&b, &d.g.cr, next, &ltv->ocsps[i]));
	}
	r0 = next;
	for (size_t i = 0; i < ltv->ncrls; i++, next++) {
		x[nx++] = (xent){next, 0, b.len};
		TRY(put_dss_stream(&b, &d.g.cr, next, &ltv->crls[i]));
	}
	/* /DSS (ETSI EN 319 142-1 5.4.2): the arrays, earlier entries kept, and /VRI */
	dss_id = next++;
	x[nx++] = (xent){dss_id, 0, b.len};
	TRY(oa_buf_printf(&b, "%lld 0 obj\n<< /Type /DSS /Certs [%.*s", dss_id, (int)d.certs.len,
	    (const char *)d.certs.data));
	TRY(put_refs(&b, c0, ltv->ncerts));
	TRY(oa_buf_printf(&b, " ] /OCSPs [%.*s", (int)d.ocsps.len, (const char *)d.ocsps.data));
	TRY(put_refs(&b, o0, ltv->nocsps));
	TRY(oa_buf_printf(&b, " ] /CRLs [%.*s", (int)d.crls.len, (const char *)d.crls.data));
	TRY(put_refs(&b, r0, ltv->ncrls));
	TRY(oa_buf_printf(&b, " ]\n/VRI <<\n%.*s/%s << /Cert [", (int)d.vri.len,
	    (const char *)d.vri.data, d.vri_key));
	TRY(put_refs(&b, c0, ltv->ncerts));
	TRY(oa_buf_append(&b, " ] /OCSP [", 10));
	TRY(put_refs(&b, o0, ltv->nocsps));
	TRY(oa_buf_append(&b, " ] /CRL [", 9));
	TRY(put_refs(&b, r0, ltv->ncrls));
	TRY(oa_buf_append(&b, " ] >> >> >>\nendobj\n", 19));
	TRY(sign_crypt_strings(&d.g.cr, &b, x[nx - 1].off, dss_id, 0));
	/* the catalog, pointing at it */
	x[nx++] = (xent){d.g.root_id, d.g.root_gen, b.len};
	TRY(oa_buf_printf(&b, "%d %d obj\n<<\n%.*s/DSS %lld 0 R >>\nendobj\n", d.g.root_id,
	    d.g.root_gen, (int)d.g.root_keys.len, (const char *)d.g.root_keys.data, dss_id));
	TRY(sign_crypt_strings(&d.g.cr, &b, x[nx - 1].off, d.g.root_id, d.g.root_gen));
	TRY(put_xref(&b, &d.g, x, nx, stream, next, prev));
	*out = b.data;
	*out_len = b.len;
	b.data = NULL;
out:
	free(x);
	oa_buf_free(&b);
	dssorig_free(&d);
	return rc;
}
