/*
 * sign.h - document signing: PAdES baseline signatures (ETSI EN 319 142-1)
 * on PDF documents.
 *
 * This slice makes B-B level, invisible signatures.  The signed document is
 * the original bytes, unchanged, followed by one incremental update (ISO
 * 32000-1 section 7.5.6) that adds a signature dictionary (/SubFilter
 * /ETSI.CAdES.detached), its field's widget annotation on the first page, an
 * /AcroForm with /SigFlags 3 and a new revision of the catalog and the page.
 * The CMS SignedData (RFC 5652) is assembled here in DER: OpenSSL's CMS_sign
 * always adds a signing-time attribute, which PAdES forbids (EN 319 142-1
 * section 5.2.2: the time goes in the dictionary's /M).
 *
 * The module never keeps keys: the caller passes an unsealed key for one
 * call and wipes it afterwards.  It never writes files.
 */
#ifndef OA_SIGN_H
#define OA_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../ca/ca.h"
#include "../inst/inst.h"
#include "../common/err.h"

#define SIGN_MAX_PDF_BYTES   (64 * 1024 * 1024) /* a PDF to sign, whole */
#define SIGN_MAX_TEXT_BYTES  256                /* /Reason, /Location, /Name (UTF-8) */
#define SIGN_MAX_CHAIN       8                  /* certificates besides the signer's */
#define SIGN_MAX_FIELDS      1000               /* existing form fields, annotations on page 1 */

#define SIGN_MAX_TST_BYTES   (16 * 1024)        /* a signature time-stamp token */
#define SIGN_MAX_IMAGE_BYTES (2 * 1024 * 1024)  /* a visible signature's specimen image */
#define SIGN_MAX_IMAGE_SIDE  4096               /* ... its width and height in pixels */
#define SIGN_MAX_QR_BYTES    1024               /* the text of its QR code */
#define SIGN_VISUAL_LINES    6                  /* lines of text in its box */
#define SIGN_MAX_TAG_BYTES   64                 /* a tag string that places it (tag_koordinat) */
#define SIGN_MAX_TAG_PAGES   500                /* ... searched for in the first pages */
#define SIGN_MAX_PASSWORD_BYTES 127             /* an encrypted PDF's password (ISO 32000-2 7.6.4.3.3) */

/*
 * A visible signature: the widget's box on a page and what it shows (see
 * visual.c for the layout).  Coordinates are the page as it is seen: (x, y)
 * the box's lower-left corner, in points (1/72 in), x rightwards and y
 * upwards on the page as displayed, the page's lower-left corner as seen at
 * (llx, lly) of its crop box.  Without /Rotate that is the page's user
 * space; on a page with /Rotate 90, 180 or 270 the widget's /Rect is the
 * box turned into user space and its appearance is turned to show upright.
 * Callers with another origin convert (sign_pdf_page_box and
 * sign_page_view_box give the page's box as seen).
 */
typedef struct sign_visual {
	int page;                 /* 1-based */
	double x, y, w, h;
	const uint8_t *image;     /* a JPEG (8-bit gray or RGB) or PNG specimen, or NULL */
	size_t image_len;
	const char *qr;           /* the text of a QR code (a verification URL), or NULL */
	const char *lines[SIGN_VISUAL_LINES]; /* UTF-8 lines of text, NULL-ended; Helvetica,
	                           * characters outside Latin-1 are drawn as '?' */
} sign_visual;

/*
 * PAdES B-T: obtains an RFC 3161 TimeStampToken (the DER ContentInfo) whose
 * message imprint is imprint, the SHA-256 of the signature value; *token is
 * malloc'd, at most SIGN_MAX_TST_BYTES.
 */
typedef oa_err (*sign_tst_fn)(void *arg, const uint8_t imprint[32], uint8_t **token,
    size_t *len);

/* What goes in the signature dictionary besides the signature itself. */
typedef struct sign_opts {
	const char *reason;   /* /Reason, UTF-8; NULL or "" leaves it out */
	const char *location; /* /Location, UTF-8; NULL or "" leaves it out */
	const char *name;     /* /Name, UTF-8; NULL takes the certificate's CN, "" leaves it out */
	int64_t when;         /* /M, seconds since the epoch; 0 takes oa_now() */
	const sign_visual *visual; /* NULL: invisible */
	sign_tst_fn tst;      /* set: level B-T, the token in the unsigned attribute
	                       * signature-time-stamp (RFC 3161 appendix A); NULL: B-B */
	void *tst_arg;
	const char *password; /* an encrypted PDF's user or owner password; NULL or "": none
	                       * (a document encrypted with an owner password only opens
	                       * without one).  The update is encrypted as the document is. */
} sign_opts;

#define SIGN_MAX_LTV 16 /* certificates, OCSP responses, CRLs each in one /DSS update */

/* A DER object (certificate, OCSP response, CRL). */
typedef struct sign_blob {
	uint8_t *p;
	size_t n;
} sign_blob;

/* Validation data for PAdES B-LT (ETSI EN 319 142-1 5.4). */
typedef struct sign_ltv {
	sign_blob certs[SIGN_MAX_LTV], ocsps[SIGN_MAX_LTV], crls[SIGN_MAX_LTV];
	size_t ncerts, nocsps, ncrls;
} sign_ltv;

/*
 * PAdES B-LT: appends an incremental update with the document security
 * store (/DSS in the catalog): the certificates, OCSP responses and CRLs of
 * ltv as streams, added to the /Certs, /OCSPs and /CRLs arrays of an
 * existing /DSS, and a /VRI entry for the newest signature (its key the
 * upper-case hex SHA-1 of that signature's whole /Contents string) naming
 * them.  The earlier signatures stay valid (nothing inside their byte
 * ranges changes).  A document without a signature is OA_ERR_INVALID.
 */
oa_err sign_pdf_add_dss(const uint8_t *pdf, size_t len, const sign_ltv *ltv, uint8_t **out,
    size_t *out_len);
/* sign_pdf_add_dss() on an encrypted PDF opened with password (its update encrypted too). */
oa_err sign_pdf_add_dss_pw(const uint8_t *pdf, size_t len, const char *password,
    const sign_ltv *ltv, uint8_t **out, size_t *out_len);

/*
 * The validation data this instance can give for a signature by cert:
 * cert, the issuing CA and root, the TSA certificate; an OCSP response for
 * cert from the instance's responder; the issuing and root CRLs
 * (DIR/pki/issuing.crl, root.crl).  Free with sign_ltv_free().
 */
oa_err sign_ltv_from_ca(ca *c, X509 *cert, sign_ltv *out);
void sign_ltv_free(sign_ltv *l);

/*
 * The box of page (1-based) of pdf: its /CropBox, else /MediaBox
 * (inherited), as llx, lly, urx, ury, and its /Rotate (0, 90, 180, 270,
 * inherited through the page tree).  OA_ERR_INVALID for a broken PDF or a
 * page it does not have.
 */
oa_err sign_pdf_page_box(const uint8_t *pdf, size_t len, int page, double box[4], int *rotate);
/* sign_pdf_page_box() of an encrypted PDF opened with password (NULL: none). */
oa_err sign_pdf_page_box_pw(const uint8_t *pdf, size_t len, const char *password, int page,
    double box[4], int *rotate);
/*
 * The page's box as it is seen (sign_visual's coordinates): the lower-left
 * corner of box, its width and height swapped for /Rotate 90 and 270.
 */
void sign_page_view_box(const double box[4], int rotate, double view[4]);

/*
 * Where the text tag (the guide's tag_koordinat, e.g. "#" or "$") first
 * appears in pdf: pages in order (the first SIGN_MAX_TAG_PAGES), then as
 * poppler finds it on the page.  *page is 1-based; rect is llx, lly, urx,
 * ury in sign_visual's coordinates (the page as seen); box (may be NULL)
 * gets that page's box as seen (sign_page_view_box).  OA_ERR_NOTFOUND when the text lacks it,
 * OA_ERR_INVALID for a bad tag, a broken or password-protected PDF.
 */
oa_err sign_pdf_find_tag(const uint8_t *pdf, size_t len, const char *tag, int *page,
    double rect[4], double box[4]);
/*
 * Places v (its w and h set by the caller) on the page of the tag's first
 * appearance, centred on it and moved inside the page's box: sets v->page,
 * v->x, v->y.  Errors as sign_pdf_find_tag().
 */
oa_err sign_visual_at_tag(const uint8_t *pdf, size_t len, const char *tag, sign_visual *v);
/* The two above on an encrypted PDF opened with password (NULL: none). */
oa_err sign_pdf_find_tag_pw(const uint8_t *pdf, size_t len, const char *password, const char *tag,
    int *page, double rect[4], double box[4]);
oa_err sign_visual_at_tag_pw(const uint8_t *pdf, size_t len, const char *password, const char *tag,
    sign_visual *v);

/*
 * A sign_tst_fn asking the instance's own TSA (ca_timestamp; arg is the
 * ca *): a TimeStampReq with a random nonce and certReq, the reply checked
 * (granted, same imprint and nonce) and its token returned.
 */
oa_err sign_tst_from_ca(void *arg, const uint8_t imprint[32], uint8_t **token, size_t *len);

/*
 * Signs the PDF pdf (len bytes) with key, whose certificate is cert; chain
 * (may be NULL) holds the certificates to embed after the signer's (issuing
 * CA, root).  key is RSA (PKCS#1 v1.5, SHA-256) or ECDSA on P-256 or P-384
 * (SHA-256) and must match cert.
 *
 * On success *out is a malloc'd buffer of *out_len bytes the caller frees:
 * pdf as an exact prefix, then the incremental update.  The update's
 * cross-reference section has the form of the original's last one: a
 * classic table after a table, an (uncompressed) cross-reference stream
 * after a stream.
 *
 * A PDF that is damaged (anything qpdf would have to repair), has no page,
 * or exceeds the limits above is OA_ERR_INVALID or OA_ERR_LIMIT, with the
 * reason in oa_errmsg(); a document certified with no changes permitted
 * (DocMDP /P 1) is OA_ERR_POLICY.  Nothing is returned then.  An encrypted
 * PDF (standard security handler: RC4, AES-128, AES-256) is signed when
 * o->password opens it (or it has an owner password only): the update's
 * strings and streams are encrypted with the document's key, the
 * signature's /Contents is not (ISO 32000-1 7.6.1).  A password that does
 * not open it, or none for a file that needs one, is OA_ERR_INVALID with a
 * message starting "PDF password:"; permissions (/P) that do not allow
 * filling in forms, without the owner password, OA_ERR_POLICY.
 */
oa_err sign_pdf(const uint8_t *pdf, size_t len, EVP_PKEY *key, X509 *cert,
    STACK_OF(X509) *chain, const sign_opts *o, uint8_t **out, size_t *out_len);

/*
 * A private key held elsewhere (a holder's sealed key in src/keys, a token):
 * signs the 32-byte SHA-256 digest of the DER signed attributes with the
 * certificate's key (RSA: PKCS#1 v1.5 with the SHA-256 DigestInfo; ECDSA: a
 * DER Ecdsa-Sig-Value) and returns a malloc'd signature the caller frees.
 */
typedef oa_err (*sign_digest_fn)(void *arg, const uint8_t digest[32], uint8_t **sig,
    size_t *siglen);

/*
 * sign_pdf() with the key held elsewhere: fn(arg, ...) is called once, after
 * the document is checked and the update written, and its signature is
 * verified with cert's public key before it is put in (OA_ERR_CRYPTO if it
 * does not verify).  An error fn returns is returned as it is.
 */
oa_err sign_pdf_with(const uint8_t *pdf, size_t len, X509 *cert, STACK_OF(X509) *chain,
    sign_digest_fn fn, void *arg, const sign_opts *o, uint8_t **out, size_t *out_len);

/* PAdES baseline levels (ETSI EN 319 142-1 section 6). */
enum { SIGN_LEVEL_BEST = 0, SIGN_LEVEL_BB = 1, SIGN_LEVEL_BT = 2, SIGN_LEVEL_BLT = 3 };

/* Who signs with a sealed holder key (src/keys), and for whom. */
typedef struct sign_holder {
	const char *nik;        /* the holder's NIK: their newest active certificate with a sealed key */
	const char *serial;     /* or this certificate (then nik is not used); NULL or "" */
	const char *passphrase; /* the holder's passphrase for that key */
	const char *actor;      /* who asks, for the audit log; NULL: the key's holder */
	const char *client;     /* the client application (API), for the audit log; NULL: none */
	int level;              /* SIGN_LEVEL_*: 0, the best the instance gives (B-LT with a
	                         * TSA, else B-B) */
	int wrap;               /* KEYS_WRAP_* of keys_sign (src/keys): with KEYS_WRAP_USE no
	                         * passphrase, the caller checked a one-time code; 0: none */
} sign_holder;

/*
 * The certificate sign_pdf_holder() would use: serial_in normalised, or the
 * NIK's newest active certificate that has a sealed key.  OA_ERR_NOTFOUND:
 * the NIK has no certificate, or none with a key sealed here;
 * OA_ERR_STATE: its newest certificate is revoked or expired (named in the
 * message).
 */
oa_err sign_holder_find(inst *in, const char *nik, const char *serial_in, char serial[41]);

/*
 * Signs pdf as sign_pdf() does, with the holder's sealed key: keys_sign()
 * unseals it under h->passphrase for this one signature (the attempt counts
 * towards the key's lock; a success forgives earlier failures) and records
 * "keys.sign" in the audit log with the certificate serial, the document's
 * SHA-256 and the client.  The instance's issuing CA and root are embedded
 * after the holder's certificate.  Level (h->level): B-B; B-T, time-stamped
 * by the instance's TSA (o->tst, if set, is used instead); B-LT, B-T then a
 * /DSS update with sign_ltv_from_ca()'s data.  OA_ERR_STATE when B-T or
 * B-LT is asked of an instance without a TSA.
 * *serial is the certificate used.
 * Errors are keys_sign()'s: OA_ERR_DENIED wrong passphrase; OA_ERR_STATE
 * key locked, certificate revoked, expired or not yet valid; and
 * sign_holder_find()'s and sign_pdf()'s.  Must be called outside a
 * transaction.
 */
oa_err sign_pdf_holder(inst *in, const sign_holder *h, const uint8_t *pdf, size_t len,
    const sign_opts *o, uint8_t **out, size_t *out_len, char serial[41]);

/*
 * Signs pdf as sign_pdf_holder() does (the best level the instance gives),
 * with the electronic seal id (src/keys: keys_seal_sign, which refuses a
 * seal whose certificate is not usable and audits "keys.seal_sign" with the
 * document's SHA-256 and the client).  The caller has decided that actor
 * may use the seal.  Must be called outside a transaction.
 */
oa_err sign_pdf_seal(inst *in, const char *id, const char *actor, const char *client,
    const uint8_t *pdf, size_t len, const sign_opts *o, uint8_t **out, size_t *out_len);

/* One signature of a PDF, as sign_verify_pdf() found it. */
typedef struct sign_sig_report {
	char field[128];          /* the field's /T (UTF-8) */
	char subfilter[48];       /* e.g. ETSI.CAdES.detached */
	char reason[SIGN_MAX_TEXT_BYTES + 1], location[SIGN_MAX_TEXT_BYTES + 1];
	char name[SIGN_MAX_TEXT_BYTES + 1];
	int64_t signing_time;     /* /M, seconds since the epoch; 0 if absent or unreadable */
	char signer[512];         /* the signer certificate's subject (RFC 2253) */
	char signer_cn[130];
	char issuer[512];
	char serial[41];          /* lower-case hex */
	int64_t not_after;        /* the signer certificate's */
	size_t covered;           /* where the byte range ends */
	int whole;                /* the byte range reaches the end of the document */
	int changed_after;        /* a revision other than a later signature follows it */
	int intact;               /* the bytes match and the signature verifies */
	int trusted;              /* the chain reaches the trust anchor at the signing time */
	int ltv;                  /* the /DSS has a /VRI entry for it */
	int timestamped;          /* carries a signature time-stamp token */
	int timestamp_valid;      /* ... whose signature, imprint and chain verify */
	int64_t timestamp_time;   /* its genTime */
	char timestamp_problem[128];
	int issued_here;          /* this instance issued the signer's certificate */
	char revocation[16];      /* "good", "revoked" (issued here) or "unknown" */
	int64_t revoked_at;
	int revoked_before_signing;
	char problem[256];        /* why it is not intact; "" when it is */
	char trust_problem[128];  /* why it is not trusted; "" when it is */
} sign_sig_report;

typedef struct sign_report {
	size_t n;                 /* signatures, in the order they were made */
	sign_sig_report *sig;
	int dss;                  /* the document has a /DSS (long-term validation data) */
	uint8_t sha256[32];       /* of the whole document */
} sign_report;

/*
 * Verifies every signature field of pdf (see verify.c): the byte range,
 * the CMS over it, the chain to trust (NULL: the instance's root when c is
 * given, else no trust check), revocation of certificates c issued (c may
 * be NULL).  A signature that fails is reported, not an error: errors are
 * for a document that cannot be read (OA_ERR_INVALID "broken PDF: ...",
 * OA_ERR_LIMIT).  Free the report with sign_report_free().
 */
oa_err sign_verify_pdf(ca *c, X509_STORE *trust, const uint8_t *pdf, size_t len,
    sign_report *out);
/*
 * sign_verify_pdf() of an encrypted PDF opened with password (NULL: none);
 * a password that does not open it is OA_ERR_INVALID "PDF password: ...".
 */
oa_err sign_verify_pdf_pw(ca *c, X509_STORE *trust, const uint8_t *pdf, size_t len,
    const char *password, sign_report *out);
void sign_report_free(sign_report *r);

/*
 * sign_verify_pdf(c, NULL, ...) with its result kept by the document's
 * SHA-256 and the audit log's head (vcache.c): the same upload answered
 * again, with nothing revoked or issued meanwhile, is copied from memory
 * (*hit 1).  Thread-safe.  c may not be NULL for caching.
 */
oa_err sign_verify_pdf_cached(ca *c, const uint8_t *pdf, size_t len, sign_report *out, int *hit);
/* Counters of the cache since the process started. */
void sign_vcache_stats(unsigned long *hits, unsigned long *misses);

#endif
