/*
 * verify.c - the signatures of a PDF, checked: for each signature field,
 * the byte range, the CMS SignedData over it, the signer's certificate
 * chain to a trust anchor at the signing time, its revocation status when
 * this instance issued it, a time-stamp's presence, and whether the
 * document changed after the signature other than by later signatures.
 *
 * qpdf finds the signature fields (/AcroForm /Fields, /Kids followed to a
 * bounded depth) and reads their dictionaries.  The signature bytes are
 * taken from the document itself, the hex string between the byte range's
 * two parts, so what is verified is exactly what the byte range leaves
 * out.
 *
 * One pass over the bytes: a single SHA-256 runs from the first byte to the
 * last, giving the document's hash; at the start of each signature's hole
 * its state is copied, and the copy is finished with that signature's
 * second range (the rest of its own revision, small).  Signatures whose
 * digest algorithm is not SHA-256 are hashed on their own.
 *
 * "Changed after signing": the document's revisions are found by their
 * "%%EOF" markers.  A signature that does not cover the whole document is
 * followed only by allowed additions when each revision after it either
 * ends where a later signature's byte range ends, or only adds long-term
 * validation data (a /DSS, its streams, the catalog: dss_only), and nothing
 * follows the last %%EOF; otherwise something other than a
 * signature was added after it (a marker inside a stream can hide a
 * revision; this is a reading aid, the byte range is what is proven).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <qpdf/qpdf-c.h>

#include "signInt.h"

#define TRY(x) do { if ((rc = (x)) != OA_OK) goto out; } while (0)

#define MAX_DEPTH 16 /* /Kids levels followed under /AcroForm /Fields */

/* What is found of one signature before it is checked. */
typedef struct found {
	long long br[4];
	int64_t m;
	char field[128], subfilter[48], reason[SIGN_MAX_TEXT_BYTES + 1];
	char location[SIGN_MAX_TEXT_BYTES + 1], name[SIGN_MAX_TEXT_BYTES + 1];
	char problem[256];
} found;

#define MAX_VRI 64

typedef struct walk {
	int root_id;
	char vri[MAX_VRI][41];    /* /DSS /VRI keys, without the slash */
	size_t nvri;
	qpdf_data q;
	found *f;
	size_t n, cap, visited;
	size_t len;
} walk;

static void utf8_of(qpdf_data q, qpdf_oh v, char *out, size_t outsz)
{
	const char *s;

	out[0] = '\0';
	if (!qpdf_oh_is_string(q, v))
		return;
	s = qpdf_oh_get_utf8_value(q, v);
	if (s && oa_is_clean_utf8(s))
		snprintf(out, outsz, "%s", s);
	else if (s)
		snprintf(out, outsz, "(not clean text)");
}

/* "D:YYYYMMDDHHmmSS" then Z, or +HH'mm' / -HH'mm'; fields after the year are optional. */
static int64_t pdf_date(const char *s)
{
	int v[6] = {0, 1, 1, 0, 0, 0}, w[6] = {4, 2, 2, 2, 2, 2}, off = 0;
	struct tm tm = {0};

	if (strncmp(s, "D:", 2) == 0)
		s += 2;
	for (int i = 0; i < 6; i++) {
		int x = 0, j;
		for (j = 0; j < w[i] && s[j] >= '0' && s[j] <= '9'; j++)
			x = x * 10 + (s[j] - '0');
		if (j == 0 && i > 0)
			break;
		if (j != w[i])
			return 0;
		v[i] = x;
		s += j;
	}
	if ((*s == '+' || *s == '-') && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9') {
		int h = (s[1] - '0') * 10 + (s[2] - '0'), mi = 0;
		if (s[3] == '\'' && s[4] >= '0' && s[4] <= '9' && s[5] >= '0' && s[5] <= '9')
			mi = (s[4] - '0') * 10 + (s[5] - '0');
		off = (h * 3600 + mi * 60) * (*s == '-' ? -1 : 1);
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return 0;
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	return (int64_t)timegm(&tm) - off;
}

static oa_err add_sig(walk *w, qpdf_oh field, qpdf_oh v)
{
	qpdf_data q = w->q;
	qpdf_oh br, x;
	found *f;

	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		found *nf = realloc(w->f, cap * sizeof *nf);
		if (!nf)
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		w->f = nf;
		w->cap = cap;
	}
	f = &w->f[w->n++];
	memset(f, 0, sizeof *f);
	utf8_of(q, qpdf_oh_get_key(q, field, "/T"), f->field, sizeof f->field);
	x = qpdf_oh_get_key(q, v, "/SubFilter");
	if (qpdf_oh_is_name(q, x))
		snprintf(f->subfilter, sizeof f->subfilter, "%s", qpdf_oh_get_name(q, x) + 1);
	utf8_of(q, qpdf_oh_get_key(q, v, "/Reason"), f->reason, sizeof f->reason);
	utf8_of(q, qpdf_oh_get_key(q, v, "/Location"), f->location, sizeof f->location);
	utf8_of(q, qpdf_oh_get_key(q, v, "/Name"), f->name, sizeof f->name);
	x = qpdf_oh_get_key(q, v, "/M");
	if (qpdf_oh_is_string(q, x))
		f->m = pdf_date(qpdf_oh_get_utf8_value(q, x));
	br = qpdf_oh_get_key(q, v, "/ByteRange");
	if (!qpdf_oh_is_array(q, br) || qpdf_oh_get_array_n_items(q, br) != 4) {
		snprintf(f->problem, sizeof f->problem, "no /ByteRange of four numbers");
		return OA_OK;
	}
	for (int i = 0; i < 4; i++) {
		x = qpdf_oh_get_array_item(q, br, i);
		f->br[i] = qpdf_oh_is_integer(q, x) ? qpdf_oh_get_int_value(q, x) : -1;
	}
	if (f->br[0] != 0 || f->br[1] < 1 || f->br[2] <= f->br[1] + 1 || f->br[3] < 0 ||
	    (unsigned long long)f->br[2] + (unsigned long long)f->br[3] > w->len)
		snprintf(f->problem, sizeof f->problem, "the /ByteRange [%lld %lld %lld %lld] does not "
		    "fit the document", f->br[0], f->br[1], f->br[2], f->br[3]);
	return OA_OK;
}

static oa_err walk_fields(walk *w, qpdf_oh arr, int depth)
{
	qpdf_data q = w->q;
	int n;
	oa_err rc;

	if (!qpdf_oh_is_array(q, arr))
		return OA_OK;
	if (depth > MAX_DEPTH)
		return oa_fail(OA_ERR_LIMIT, "form fields nested deeper than %d", MAX_DEPTH);
	n = qpdf_oh_get_array_n_items(q, arr);
	for (int i = 0; i < n; i++) {
		qpdf_oh f = qpdf_oh_get_array_item(q, arr, i), ft, v;

		if (++w->visited > SIGN_MAX_FIELDS)
			return oa_fail(OA_ERR_LIMIT, "more than %d form fields (SIGN_MAX_FIELDS)",
			    SIGN_MAX_FIELDS);
		if (!qpdf_oh_is_dictionary(q, f))
			continue;
		ft = qpdf_oh_get_key(q, f, "/FT");
		v = qpdf_oh_get_key(q, f, "/V");
		if (qpdf_oh_is_name_and_equals(q, ft, "/Sig") && qpdf_oh_is_dictionary(q, v)) {
			if ((rc = add_sig(w, f, v)))
				return rc;
		} else if ((rc = walk_fields(w, qpdf_oh_get_key(q, f, "/Kids"), depth + 1)))
			return rc;
	}
	return OA_OK;
}

static oa_err find_sigs(const uint8_t *pdf, size_t len, const char *password, walk *w, int *dss)
{
	qpdf_data q = qpdf_init();
	qpdf_oh root, form;
	oa_err rc = OA_OK;

	if (!q)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	w->q = q;
	w->len = len;
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	qpdf_set_attempt_recovery(q, QPDF_FALSE);
	if (password && strlen(password) > SIGN_MAX_PASSWORD_BYTES)
		TRY(oa_fail(OA_ERR_INVALID, "PDF password: over %d bytes", SIGN_MAX_PASSWORD_BYTES));
	if (qpdf_read_memory(q, "input", (const char *)pdf, len, password ? password : "") &
	    QPDF_ERRORS) {
		qpdf_error e = qpdf_get_error(q);
		if (e && qpdf_get_error_code(q, e) == qpdf_e_password)
			rc = oa_fail(OA_ERR_INVALID, "PDF password: the PDF is encrypted and the password "
			    "given (if any) opens it neither as its user nor as its owner");
		else
			rc = oa_fail(OA_ERR_INVALID, "broken PDF: %s",
			    e ? qpdf_get_error_full_text(q, e) : "qpdf cannot read it");
		goto out;
	}
	root = qpdf_get_root(q);
	if (qpdf_has_error(q) || !qpdf_oh_is_dictionary(q, root))
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: no document catalog (/Root)"));
	*dss = qpdf_oh_is_dictionary(q, qpdf_oh_get_key(q, root, "/DSS"));
	w->root_id = qpdf_oh_get_object_id(q, root);
	if (*dss) {
		/* the /VRI keys: which signatures have validation data */
		qpdf_oh vri = qpdf_oh_get_key(q, qpdf_oh_get_key(q, root, "/DSS"), "/VRI");
		if (qpdf_oh_is_dictionary(q, vri)) {
			qpdf_oh_begin_dict_key_iter(q, vri);
			while (qpdf_oh_dict_more_keys(q) && w->nvri < MAX_VRI) {
				const char *k = qpdf_oh_dict_next_key(q);
				if (k && strlen(k) == 41)
					memcpy(w->vri[w->nvri++], k + 1, 41);
			}
		}
	}
	form = qpdf_oh_get_key(q, root, "/AcroForm");
	if (qpdf_oh_is_dictionary(q, form))
		TRY(walk_fields(w, qpdf_oh_get_key(q, form, "/Fields"), 0));
	if (qpdf_has_error(q)) {
		qpdf_error e = qpdf_get_error(q);
		TRY(oa_fail(OA_ERR_INVALID, "broken PDF: %s",
		    e ? qpdf_get_error_full_text(q, e) : "qpdf cannot read its form"));
	}
out:
	while (qpdf_has_error(q))
		(void)qpdf_get_error(q);
	qpdf_cleanup(&q);
	w->q = NULL;
	return rc;
}

/* The serial as openams writes it: lower-case hex, no leading zero bytes. */
static void serial_hex(const ASN1_INTEGER *a, char out[41])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(a, NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;

	out[0] = '\0';
	if (h && strlen(h) < 41) {
		for (size_t i = 0; h[i]; i++)
			out[i] = (char)(h[i] >= 'A' && h[i] <= 'F' ? h[i] - 'A' + 'a' : h[i]);
		out[strlen(h)] = '\0';
	}
	OPENSSL_free(h);
	BN_free(bn);
}

static void name_line(X509_NAME *n, char *out, size_t outsz)
{
	BIO *b = BIO_new(BIO_s_mem());
	int k;

	out[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (k = BIO_read(b, out, (int)outsz - 1)) > 0)
		out[k] = '\0';
	BIO_free(b);
}

/*
 * The signature time-stamp (RFC 3161 appendix A): the token's signature,
 * its TSA certificate's chain to trust (at the token's time) and critical
 * timeStamping EKU, and its imprint against the hash of the signature
 * value, with the token's own digest algorithm.
 */
static void check_tst(CMS_SignerInfo *si, X509_STORE *trust, sign_sig_report *r)
{
	X509_ATTRIBUTE *at = CMS_unsigned_get_attr(si,
	    CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1));
	ASN1_TYPE *v = at ? X509_ATTRIBUTE_get0_type(at, 0) : NULL;
	ASN1_OCTET_STRING *sigval = CMS_SignerInfo_get0_signature(si);
	PKCS7 *tok = NULL;
	TS_TST_INFO *info = NULL;
	TS_VERIFY_CTX *vc = NULL;
	const unsigned char *p;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const EVP_MD *dm;
	struct tm tm;

	if (!v || v->type != V_ASN1_SEQUENCE) {
		snprintf(r->timestamp_problem, sizeof r->timestamp_problem, "not a time-stamp token");
		return;
	}
	p = v->value.sequence->data;
	if ((tok = d2i_PKCS7(NULL, &p, v->value.sequence->length)) == NULL ||
	    (info = PKCS7_to_TS_TST_INFO(tok)) == NULL) {
		snprintf(r->timestamp_problem, sizeof r->timestamp_problem,
		    "the time-stamp token does not parse");
		goto out;
	}
	if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(info), &tm))
		r->timestamp_time = (int64_t)timegm(&tm);
	dm = EVP_get_digestbyobj(TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(info))->algorithm);
	if (!dm || !sigval || !EVP_Digest(ASN1_STRING_get0_data(sigval), (size_t)ASN1_STRING_length(sigval),
	        md, &mdlen, dm, NULL)) {
		snprintf(r->timestamp_problem, sizeof r->timestamp_problem,
		    "the token's digest algorithm is not supported");
		goto out;
	}
	if (!trust) {
		snprintf(r->timestamp_problem, sizeof r->timestamp_problem, "no trust anchor configured");
		goto out;
	}
	if ((vc = TS_VERIFY_CTX_new()) == NULL || !X509_STORE_up_ref(trust))
		goto out;
	TS_VERIFY_CTX_set_store(vc, trust); /* owned by vc from now on */
	TS_VERIFY_CTX_set_flags(vc, TS_VFY_VERSION | TS_VFY_SIGNER | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
	{
		unsigned char *im = OPENSSL_memdup(md, mdlen);
		if (!im)
			goto out;
		TS_VERIFY_CTX_set_imprint(vc, im, mdlen); /* owned by vc */
	}
	if (TS_RESP_verify_token(vc, tok) == 1)
		r->timestamp_valid = 1;
	else {
		unsigned long e = ERR_peek_last_error();
		snprintf(r->timestamp_problem, sizeof r->timestamp_problem, "%s",
		    e ? ERR_reason_error_string(e) : "the time-stamp token does not verify");
	}
out:
	ERR_clear_error();
	TS_VERIFY_CTX_free(vc);
	TS_TST_INFO_free(info);
	PKCS7_free(tok);
}

/* Checks one signature's CMS against digest (of its byte range). */
static void check_cms(ca *c, X509_STORE *trust, const uint8_t *pdf, const found *f,
    const walk *w, const uint8_t *digest, size_t dlen, const EVP_MD *dmd, sign_sig_report *r)
{
	const uint8_t *hex = pdf + f->br[1] + 1;
	size_t hexlen = (size_t)(f->br[2] - f->br[1] - 2), derlen;
	uint8_t *der = NULL;
	const uint8_t *p;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	STACK_OF(X509) *certs = NULL;
	X509 *signer = NULL;
	X509_ALGOR *dig = NULL, *sig = NULL;
	ASN1_OCTET_STRING *md;
	X509_STORE_CTX *ctx = NULL;

	(void)dmd;
	if (pdf[f->br[1]] != '<' || pdf[f->br[2] - 1] != '>') {
		snprintf(r->problem, sizeof r->problem, "the byte range's hole is not the /Contents string");
		return;
	}
	if ((der = malloc(hexlen / 2 + 1)) == NULL) {
		snprintf(r->problem, sizeof r->problem, "out of memory");
		return;
	}
	for (derlen = 0; derlen < hexlen / 2; derlen++) {
		int hi = oa_hexval(hex[2 * derlen]), lo = oa_hexval(hex[2 * derlen + 1]);
		if (hi < 0 || lo < 0)
			break;
		der[derlen] = (uint8_t)(hi << 4 | lo);
	}
	if (w) {
		uint8_t h[20];
		char key[41];
		SHA1(der, derlen, h);
		for (int i = 0; i < 20; i++)
			snprintf(key + 2 * i, 3, "%02X", h[i]);
		for (size_t i = 0; i < w->nvri; i++)
			if (strcmp(w->vri[i], key) == 0)
				r->ltv = 1;
	}
	p = der;
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)derlen)) == NULL ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		snprintf(r->problem, sizeof r->problem, "/Contents is not a CMS SignedData");
		goto out;
	}
	if (!CMS_is_detached(cms)) {
		snprintf(r->problem, sizeof r->problem, "the CMS SignedData is not detached");
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	if (!sis || sk_CMS_SignerInfo_num(sis) != 1) {
		snprintf(r->problem, sizeof r->problem, "the SignedData has %d signers, not one",
		    sis ? sk_CMS_SignerInfo_num(sis) : 0);
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	certs = CMS_get1_certs(cms);
	for (int i = 0; certs && i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) {
			signer = sk_X509_value(certs, i);
			break;
		}
	if (!signer) {
		snprintf(r->problem, sizeof r->problem, "the signer's certificate is not in the signature");
		goto out;
	}
	name_line(X509_get_subject_name(signer), r->signer, sizeof r->signer);
	name_line(X509_get_issuer_name(signer), r->issuer, sizeof r->issuer);
	X509_NAME_get_text_by_NID(X509_get_subject_name(signer), NID_commonName, r->signer_cn,
	    sizeof r->signer_cn);
	serial_hex(X509_get0_serialNumber(signer), r->serial);
	r->not_after = 0;
	{
		const ASN1_TIME *na = X509_get0_notAfter(signer);
		struct tm tm;
		if (na && ASN1_TIME_to_tm(na, &tm))
			r->not_after = (int64_t)timegm(&tm);
	}

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	if (OBJ_obj2nid(dig->algorithm) != EVP_MD_get_type(dmd)) {
		snprintf(r->problem, sizeof r->problem, "digest algorithm %s was not the one hashed",
		    OBJ_nid2sn(OBJ_obj2nid(dig->algorithm)));
		goto out;
	}
	md = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
	    V_ASN1_OCTET_STRING);
	if (!md || (size_t)ASN1_STRING_length(md) != dlen ||
	    memcmp(ASN1_STRING_get0_data(md), digest, dlen) != 0) {
		snprintf(r->problem, sizeof r->problem, "the document's bytes do not match the "
		    "signature: changed after signing");
		goto out;
	}
	CMS_SignerInfo_set1_signer_cert(si, signer);
	if (CMS_SignerInfo_verify(si) != 1) {
		snprintf(r->problem, sizeof r->problem, "the signature value does not verify with the "
		    "signer's certificate");
		goto out;
	}
	r->intact = 1;
	r->timestamped = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1) >= 0;
	if (r->timestamped)
		check_tst(si, trust, r);

	/* the chain, at the signing time when the document gives one */
	if (trust && (ctx = X509_STORE_CTX_new()) != NULL &&
	    X509_STORE_CTX_init(ctx, trust, signer, certs) == 1) {
		if (f->m > 0)
			X509_STORE_CTX_set_time(ctx, 0, (time_t)f->m);
		if (X509_verify_cert(ctx) == 1)
			r->trusted = 1;
		else
			snprintf(r->trust_problem, sizeof r->trust_problem, "%s",
			    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	} else
		snprintf(r->trust_problem, sizeof r->trust_problem, "no trust anchor configured");

	/* revocation, when this instance issued the certificate */
	snprintf(r->revocation, sizeof r->revocation, "unknown");
	if (c && r->serial[0]) {
		ca_cert_info ci;
		uint8_t *mine = NULL, *theirs = NULL;
		size_t ml = 0;
		int tl = i2d_X509(signer, &theirs);

		if (ca_status(c, r->serial, &ci) == OA_OK && ca_cert_der(c, r->serial, &mine, &ml) == OA_OK &&
		    tl > 0 && (size_t)tl == ml && memcmp(mine, theirs, ml) == 0) {
			r->issued_here = 1;
			if (ci.revoked_at) {
				snprintf(r->revocation, sizeof r->revocation, "revoked");
				r->revoked_at = ci.revoked_at;
				r->revoked_before_signing = f->m > 0 && ci.revoked_at <= f->m;
			} else
				snprintf(r->revocation, sizeof r->revocation, "good");
		}
		oa_err_clear();
		free(mine);
		OPENSSL_free(theirs);
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	free(der);
}

/*
 * Whether pdf[start, end) is a revision that only adds long-term validation
 * data: every object it writes is the catalog (root_id), a /DSS dictionary,
 * or a stream without a /Type (a certificate, OCSP response or CRL) or a
 * cross-reference stream; and one of them is a /DSS.  Read as text, as the
 * writer lays it out ("N G obj ... endobj").
 */
static int dss_only(const uint8_t *pdf, size_t start, size_t end, int root_id)
{
	const uint8_t *p = pdf + start, *e = pdf + end;
	int seen_dss = 0, objs = 0;

	while (p < e) {
		const uint8_t *o = memmem(p, (size_t)(e - p), " obj", 4), *s, *eo, *ty;
		long num = 0;
		if (!o)
			break;
		/* the object number before " G obj" */
		s = o;
		while (s > p && s[-1] >= '0' && s[-1] <= '9')
			s--;                       /* generation */
		if (s > p && s[-1] == ' ')
			s--;
		while (s > p && s[-1] >= '0' && s[-1] <= '9')
			s--;
		num = strtol((const char *)s, NULL, 10);
		if ((eo = memmem(o, (size_t)(e - o), "endobj", 6)) == NULL)
			return 0;
		objs++;
		ty = memmem(o, (size_t)(eo - o), "/Type", 5);
		if (num == root_id)
			;
		else if (memmem(o, (size_t)(eo - o), "/DSS", 4) && ty &&
		    (memmem(o, (size_t)(eo - o), "/Type /DSS", 10) ||
		     memmem(o, (size_t)(eo - o), "/Type/DSS", 9)))
			seen_dss = 1;
		else if (!memmem(o, (size_t)(eo - o), "stream", 6) ||
		    (ty && !memmem(o, (size_t)(eo - o), "/XRef", 5)))
			return 0;
		p = eo + 6;
	}
	return objs > 0 && seen_dss;
}

static int cmp_found(const void *a, const void *b)
{
	const found *x = a, *y = b;
	return (x->br[1] > y->br[1]) - (x->br[1] < y->br[1]);
}

/* The instance's root as the trust anchor. */
static X509_STORE *instance_trust(ca *c)
{
	oa_buf pem = {0};
	X509_STORE *st = NULL;
	BIO *bio = NULL;
	X509 *x;

	if (ca_chain_pem(c, 1, &pem) == OA_OK && (st = X509_STORE_new()) != NULL &&
	    (bio = BIO_new_mem_buf(pem.data, (int)pem.len)) != NULL)
		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			X509_STORE_add_cert(st, x);
			X509_free(x);
		}
	oa_err_clear();
	ERR_clear_error();
	BIO_free(bio);
	oa_buf_free(&pem);
	return st;
}

oa_err sign_verify_pdf(ca *c, X509_STORE *trust, const uint8_t *pdf, size_t len, sign_report *out)
{
	return sign_verify_pdf_pw(c, trust, pdf, len, NULL, out);
}

oa_err sign_verify_pdf_pw(ca *c, X509_STORE *trust, const uint8_t *pdf, size_t len,
    const char *password, sign_report *out)
{
	walk w = {0};
	EVP_MD_CTX *run = NULL, *fork = NULL;
	X509_STORE *own = NULL;
	size_t at = 0, *eofs = NULL, neof = 0, eofcap = 0; /* pairs: marker end, line end */
	unsigned int dl;
	oa_err rc = OA_OK;

	memset(out, 0, sizeof *out);
	if (!pdf || len == 0)
		return oa_fail(OA_ERR_INVALID, "broken PDF: empty input");
	if (len > SIGN_MAX_PDF_BYTES)
		return oa_fail(OA_ERR_LIMIT, "PDF of %zu bytes: the limit is %d (SIGN_MAX_PDF_BYTES)",
		    len, SIGN_MAX_PDF_BYTES);
	if (len < 8 || memcmp(pdf, "%PDF-", 5) != 0)
		return oa_fail(OA_ERR_INVALID, "broken PDF: no %%PDF- header");
	TRY(find_sigs(pdf, len, password, &w, &out->dss));
	if (!trust && c)
		trust = own = instance_trust(c);
	if (w.n) /* qsort(NULL, 0, ...) is undefined (found by fuzz_pdf) */
		qsort(w.f, w.n, sizeof *w.f, cmp_found);
	if (w.n && (out->sig = calloc(w.n, sizeof *out->sig)) == NULL)
		TRY(oa_fail(OA_ERR_NOMEM, "out of memory"));
	out->n = w.n;

	/* revision ends: each "%%EOF" and its line end */
	for (const uint8_t *p = pdf; (p = memmem(p, len - (size_t)(p - pdf), "%%EOF", 5)) != NULL;) {
		size_t e = (size_t)(p - pdf) + 5;
		while (e < len && (pdf[e] == '\r' || pdf[e] == '\n'))
			e++;
		if (neof == eofcap) {
			size_t cap = eofcap ? 2 * eofcap : 8, *ne = realloc(eofs, 2 * cap * sizeof *ne);
			if (!ne)
				TRY(oa_fail(OA_ERR_NOMEM, "out of memory"));
			eofs = ne;
			eofcap = cap;
		}
		eofs[2 * neof] = (size_t)(p - pdf) + 5;
		eofs[2 * neof + 1] = e;
		neof++;
		p += 5;
	}

	if ((run = EVP_MD_CTX_new()) == NULL || (fork = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(run, EVP_sha256(), NULL) != 1)
		TRY(oa_fail(OA_ERR_NOMEM, "out of memory"));
	for (size_t i = 0; i < w.n; i++) {
		found *f = &w.f[i];
		sign_sig_report *r = &out->sig[i];
		uint8_t dg[32];
		size_t end;

		snprintf(r->field, sizeof r->field, "%s", f->field);
		snprintf(r->subfilter, sizeof r->subfilter, "%s", f->subfilter);
		snprintf(r->reason, sizeof r->reason, "%s", f->reason);
		snprintf(r->location, sizeof r->location, "%s", f->location);
		snprintf(r->name, sizeof r->name, "%s", f->name);
		r->signing_time = f->m;
		snprintf(r->revocation, sizeof r->revocation, "unknown");
		if (f->problem[0]) {
			snprintf(r->problem, sizeof r->problem, "%s", f->problem);
			continue;
		}
		end = (size_t)(f->br[2] + f->br[3]);
		r->covered = end;
		r->whole = end == len;
		/* advance the running hash to this hole, fork it, finish the fork */
		if ((size_t)f->br[1] < at) { /* overlapping holes: hash this one alone */
			if (EVP_DigestInit_ex(fork, EVP_sha256(), NULL) != 1 ||
			    EVP_DigestUpdate(fork, pdf, (size_t)f->br[1]) != 1)
				TRY(oa_fail_ssl(OA_ERR_CRYPTO, "hashing"));
		} else {
			if (EVP_DigestUpdate(run, pdf + at, (size_t)f->br[1] - at) != 1 ||
			    EVP_MD_CTX_copy_ex(fork, run) != 1)
				TRY(oa_fail_ssl(OA_ERR_CRYPTO, "hashing"));
			at = (size_t)f->br[1];
		}
		dl = sizeof dg;
		if (EVP_DigestUpdate(fork, pdf + f->br[2], (size_t)f->br[3]) != 1 ||
		    EVP_DigestFinal_ex(fork, dg, &dl) != 1)
			TRY(oa_fail_ssl(OA_ERR_CRYPTO, "hashing"));
		check_cms(c, trust, pdf, f, &w, dg, dl, EVP_sha256(), r);

		/* what came after it: only later signatures' revisions and /DSS updates? */
		r->changed_after = 0;
		if (!r->whole) {
			size_t tail = neof ? eofs[2 * (neof - 1) + 1] : 0;
			while (tail < len && (pdf[tail] == ' ' || pdf[tail] == '\r' || pdf[tail] == '\n'))
				tail++;
			if (tail != len)
				r->changed_after = 1; /* bytes after the last %%EOF */
			for (size_t k = 0; k < neof; k++) {
				int allowed = 0;
				if (eofs[2 * k + 1] <= end)
					continue;
				for (size_t j = 0; j < w.n; j++) {
					size_t e = (size_t)(w.f[j].br[2] + w.f[j].br[3]);
					if (!w.f[j].problem[0] && e >= eofs[2 * k] && e <= eofs[2 * k + 1])
						allowed = 1;
				}
				if (!allowed)
					allowed = dss_only(pdf, k ? eofs[2 * (k - 1) + 1] : 0, eofs[2 * k + 1],
					    w.root_id);
				if (!allowed)
					r->changed_after = 1;
			}
		}
	}
	if (EVP_DigestUpdate(run, pdf + at, len - at) != 1 ||
	    EVP_DigestFinal_ex(run, out->sha256, &dl) != 1)
		TRY(oa_fail_ssl(OA_ERR_CRYPTO, "hashing"));
out:
	if (rc)
		sign_report_free(out);
	EVP_MD_CTX_free(run);
	EVP_MD_CTX_free(fork);
	X509_STORE_free(own);
	free(eofs);
	free(w.f);
	return rc;
}

void sign_report_free(sign_report *r)
{
	if (!r)
		return;
	free(r->sig);
	r->sig = NULL;
	r->n = 0;
}
