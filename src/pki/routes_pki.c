/*
 * routes_pki.c - /pki/...: the CA certificates and the CRLs, as published.
 *
 *   GET /pki/root.crt     application/pkix-cert (DER, RFC 2585 section 4.1)
 *   GET /pki/issuing.crt  application/pkix-cert
 *   GET /pki/root.pem     application/x-pem-file
 *   GET /pki/issuing.pem  application/x-pem-file
 *   GET /pki/chain.pem    application/x-pem-file: issuing CA then root
 *   GET /pki/issuing.crl  application/pkix-crl (DER, RFC 2585 section 4.2)
 *   GET /pki/root.crl     application/pkix-crl
 *
 * The CA certificates come from ca_chain_pem() once at start (they do not
 * change while the server runs).  A CRL is read from DIR/pki/<name>.crl,
 * the file ca_crl_publish() replaces atomically, and kept in memory until
 * the file changes (inode, size, mtime).  The URL never names a file: only
 * the two fixed names above are ever opened.
 *
 * Caching: ETag is the SHA-256 of the body; a CRL is cacheable until its
 * nextUpdate (Cache-Control max-age, Expires) and Last-Modified is its
 * thisUpdate; a conditional GET gets 304 by If-None-Match or, without one,
 * by If-Modified-Since (RFC 9110 13.2.2).  CA certificates are cacheable for
 * a day.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki.h"

/* ---- CA certificates ---- */

typedef struct blob {
	uint8_t *data;
	size_t len;
	char etag[67];
} blob;

enum { B_ROOT_DER, B_ISSUING_DER, B_ROOT_PEM, B_ISSUING_PEM, B_CHAIN_PEM, B__MAX };
static blob certs[B__MAX];

static oa_err set_blob(blob *b, const void *p, size_t n)
{
	if ((b->data = malloc(n ? n : 1)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	memcpy(b->data, p, n);
	b->len = n;
	web_etag(b->etag, p, n);
	return OA_OK;
}

static oa_err cert_blobs(X509 *x, blob *der, blob *pem)
{
	unsigned char *d = NULL;
	int n = i2d_X509(x, &d);
	BIO *bio = BIO_new(BIO_s_mem());
	char *pp;
	long pl;
	oa_err rc;

	if (n <= 0 || bio == NULL || !PEM_write_bio_X509(bio, x)) {
		OPENSSL_free(d);
		BIO_free(bio);
		return oa_fail_ssl(OA_ERR_CRYPTO, "encoding a CA certificate");
	}
	pl = BIO_get_mem_data(bio, &pp);
	rc = set_blob(der, d, (size_t)n);
	if (rc == OA_OK)
		rc = set_blob(pem, pp, (size_t)pl);
	OPENSSL_free(d);
	BIO_free(bio);
	return rc;
}

oa_err web_pki_init(ca *c)
{
	oa_buf chain = {0};
	BIO *bio = NULL;
	X509 *issuing = NULL, *root = NULL;
	oa_err rc;

	if ((rc = ca_chain_pem(c, 0, &chain)))
		return rc;
	if ((bio = BIO_new_mem_buf(chain.data, (int)chain.len)) == NULL ||
	    (issuing = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (root = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "reading the CA chain");
		goto out;
	}
	if ((rc = cert_blobs(root, &certs[B_ROOT_DER], &certs[B_ROOT_PEM])) ||
	    (rc = cert_blobs(issuing, &certs[B_ISSUING_DER], &certs[B_ISSUING_PEM])) ||
	    (rc = set_blob(&certs[B_CHAIN_PEM], chain.data, chain.len)))
		goto out;
out:
	X509_free(issuing);
	X509_free(root);
	BIO_free(bio);
	oa_buf_free(&chain);
	return rc;
}

static void cert_reply(web_req *r, int which, const char *type)
{
	const blob *b = &certs[which];

	if (web_not_modified(r, b->etag)) {
		web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=86400");
		return;
	}
	web_reply(r, 200, type, b->data, b->len, MHD_RESPMEM_PERSISTENT);
	web_header(r, MHD_HTTP_HEADER_ETAG, b->etag);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=86400");
}

static void h_root_der(web_req *r) { cert_reply(r, B_ROOT_DER, "application/pkix-cert"); }
static void h_issuing_der(web_req *r) { cert_reply(r, B_ISSUING_DER, "application/pkix-cert"); }
static void h_root_pem(web_req *r) { cert_reply(r, B_ROOT_PEM, "application/x-pem-file"); }
static void h_issuing_pem(web_req *r) { cert_reply(r, B_ISSUING_PEM, "application/x-pem-file"); }
static void h_chain_pem(web_req *r) { cert_reply(r, B_CHAIN_PEM, "application/x-pem-file"); }

/* ---- CRLs ---- */

/* One loaded CRL file, shared by the threads; freed when its last
 * response is sent and a newer file replaced it. */
typedef struct crl_data {
	int refs;                     /* under crl_lock */
	uint8_t *der;
	size_t len;
	char etag[67];
	int64_t this_update, next_update;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
} crl_data;

static pthread_mutex_t crl_lock = PTHREAD_MUTEX_INITIALIZER;
static crl_data *crls[2];        /* [0] issuing, [1] root */

static void crl_unref(void *p)
{
	crl_data *d = p;
	int last;

	if (d == NULL)
		return;
	pthread_mutex_lock(&crl_lock);
	last = --d->refs == 0;
	pthread_mutex_unlock(&crl_lock);
	if (last) {
		free(d->der);
		free(d);
	}
}

static int64_t asn1_time_t(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

/* Loads DIR/pki/NAME.crl. */
static oa_err crl_load(ca *c, const char *name, const struct stat *st, crl_data **out)
{
	char path[OA_MAX_PATH], rel[32];
	crl_data *d;
	const unsigned char *p;
	X509_CRL *x;
	oa_err rc;

	snprintf(rel, sizeof rel, "pki/%s.crl", name);
	if ((rc = oa_path_join(path, sizeof path, ca_dir(c), rel)))
		return rc;
	if ((d = calloc(1, sizeof *d)) == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if ((rc = oa_read_file(path, OA_WEB_MAX_CRL_BYTES, &d->der, &d->len))) {
		free(d);
		return rc;
	}
	p = d->der;
	if ((x = d2i_X509_CRL(NULL, &p, (long)d->len)) == NULL) {
		free(d->der);
		free(d);
		return oa_fail_ssl(OA_ERR_CRYPTO, "%s is not a DER CRL", rel);
	}
	d->this_update = asn1_time_t(X509_CRL_get0_lastUpdate(x));
	d->next_update = asn1_time_t(X509_CRL_get0_nextUpdate(x));
	X509_CRL_free(x);
	web_etag(d->etag, d->der, d->len);
	d->dev = st->st_dev;
	d->ino = st->st_ino;
	d->size = st->st_size;
	d->mtime = st->st_mtim;
	d->refs = 1; /* the cache's reference */
	*out = d;
	return OA_OK;
}

/* The current CRL, with a reference for the caller. */
static oa_err crl_get(ca *c, int root, crl_data **out)
{
	const char *name = root ? "root" : "issuing";
	char path[OA_MAX_PATH], rel[32];
	struct stat st;
	crl_data *d, *old = NULL;
	oa_err rc;

	snprintf(rel, sizeof rel, "pki/%s.crl", name);
	if ((rc = oa_path_join(path, sizeof path, ca_dir(c), rel)))
		return rc;
	if (stat(path, &st) != 0)
		return oa_fail(OA_ERR_NOTFOUND, "no %s CRL published yet", name);
	pthread_mutex_lock(&crl_lock);
	d = crls[root];
	if (d && d->dev == st.st_dev && d->ino == st.st_ino && d->size == st.st_size &&
	    d->mtime.tv_sec == st.st_mtim.tv_sec && d->mtime.tv_nsec == st.st_mtim.tv_nsec) {
		d->refs++;
		pthread_mutex_unlock(&crl_lock);
		*out = d;
		return OA_OK;
	}
	pthread_mutex_unlock(&crl_lock);
	/* Load outside the lock; two threads may both load, the last one wins. */
	if ((rc = crl_load(c, name, &st, &d)))
		return rc;
	pthread_mutex_lock(&crl_lock);
	old = crls[root];
	crls[root] = d;
	d->refs++;
	pthread_mutex_unlock(&crl_lock);
	crl_unref(old);
	*out = d;
	return OA_OK;
}

static void crl_reply(web_req *r, int root)
{
	crl_data *d;
	char lm[40], exp[40], cc[96];
	int64_t now = oa_now(), age;
	oa_err rc;

	if ((rc = crl_get(r->ca, root, &d))) {
		web_reply_err(r, rc);
		return;
	}
	/* RFC 5019 6.2-style caching: fresh until nextUpdate, never past it. */
	age = d->next_update > now ? d->next_update - now : 0;
	snprintf(cc, sizeof cc, "public, max-age=%lld, no-transform, must-revalidate",
	    (long long)age);
	web_http_date(lm, sizeof lm, d->this_update);
	web_http_date(exp, sizeof exp, d->next_update);
	if (!web_not_modified_since(r, d->etag, d->this_update)) {
		web_reply_owned(r, 200, "application/pkix-crl", d->der, d->len, crl_unref, d);
		if (r->resp == NULL) {
			crl_unref(d);
			return;
		}
		web_header(r, MHD_HTTP_HEADER_ETAG, d->etag);
	} else
		crl_unref(d);
	web_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, lm);
	web_header(r, MHD_HTTP_HEADER_EXPIRES, exp);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
}

static void h_issuing_crl(web_req *r) { crl_reply(r, 0); }
static void h_root_crl(web_req *r) { crl_reply(r, 1); }

void web_pki_free(void)
{
	for (int i = 0; i < B__MAX; i++) {
		free(certs[i].data);
		memset(&certs[i], 0, sizeof certs[i]);
	}
	for (int i = 0; i < 2; i++) {
		crl_unref(crls[i]);
		crls[i] = NULL;
	}
}

static const web_route routes[] = {
	{WEB_GET, "/pki/root.crt", h_root_der, 0},
	{WEB_GET, "/pki/issuing.crt", h_issuing_der, 0},
	{WEB_GET, "/pki/root.pem", h_root_pem, 0},
	{WEB_GET, "/pki/issuing.pem", h_issuing_pem, 0},
	{WEB_GET, "/pki/chain.pem", h_chain_pem, 0},
	{WEB_GET, "/pki/issuing.crl", h_issuing_crl, 0},
	{WEB_GET, "/pki/root.crl", h_root_crl, 0},
};

const web_route_table web_pki_table = {"pki", routes, sizeof routes / sizeof routes[0]};
