/*
 * routes_ocsp.c - the OCSP responder over HTTP (RFC 6960 Appendix A,
 * RFC 5019 section 5):
 *
 *   POST /ocsp          body: DER OCSPRequest, Content-Type
 *                       application/ocsp-request, at most
 *                       OA_MAX_OCSP_REQ_BYTES (16 KiB)
 *   GET  /ocsp/{req*}   req: base64 of the DER request, URL-encoded (MHD
 *                       has decoded the %XX); either alphabet is accepted
 *
 * Both answer with application/ocsp-response from ca_ocsp_respond(): a
 * request that does not decode or parse is an HTTP 200 carrying the OCSP
 * malformedRequest status, never an HTTP error (RFC 6960 2.3).
 *
 * RFC 5019 6.2 caching headers on successful responses without a nonce:
 * Last-Modified (producedAt), Expires (nextUpdate), ETag (SHA-256 of the
 * response), Cache-Control "max-age=<until nextUpdate>, public,
 * no-transform, must-revalidate".  Responses with a nonce or an error
 * status are "no-store".
 *
 * Response cache: signed responses are kept in one table shared by the
 * worker threads (OA_WEB_OCSP_CACHE_SETS sets of OA_WEB_OCSP_CACHE_WAYS
 * entries, each set under one of CACHE_STRIPES mutexes; a new response
 * takes a free way, else the one that expires first: a direct-mapped table
 * let two of 80 URLs evict each other, and the one miss in 40 that cost a
 * signature each time was a quarter of the responder's CPU), keyed by the
 * exact request bytes,
 * each for at most web.ocsp_cache_seconds and never past its nextUpdate.
 * An entry is tagged with the generation read before its response was
 * computed, and served only while the generation is unchanged.  The
 * generation is the head of the audit log (MAX(seq) of the audit table,
 * one index lookup): every committed state change - a revocation, an
 * issuance, a CRL - writes its audit record in the same transaction
 * (DESIGN.md invariant 7), by whichever process or connection made it.  So
 * a revocation is answered as revoked by the next request.  Requests
 * carrying a nonce are never cached.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>

#include "../audit/audit.h"
#include "pki.h"

typedef struct entry {
	uint64_t hash;
	int64_t gen;
	size_t klen, rlen;
	int64_t valid_until, produced, next_update;
	char etag[67];
	uint8_t data[];                 /* key then response */
} entry;

#define CACHE_STRIPES 64

static entry *slots[OA_WEB_OCSP_CACHE_SETS][OA_WEB_OCSP_CACHE_WAYS];
static pthread_mutex_t stripes[CACHE_STRIPES];
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static uint64_t hash_seed;

static void cache_init_once(void)
{
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&stripes[i], NULL);
	if (RAND_bytes((unsigned char *)&hash_seed, sizeof hash_seed) != 1)
		hash_seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
}

void web_ocsp_free(void)
{
	for (size_t i = 0; i < OA_WEB_OCSP_CACHE_SETS; i++)
		for (size_t w = 0; w < OA_WEB_OCSP_CACHE_WAYS; w++) {
			free(slots[i][w]);
			slots[i][w] = NULL;
		}
}

/* FNV-1a, seeded per process: collisions only evict, never chain. */
static uint64_t hash_of(const uint8_t *p, size_t n)
{
	return oa_fnv1a(hash_seed, p, n);
}

/* The current generation (audit log head); -1 if it cannot be read, and
 * then nothing is cached or served from the cache. */
static int64_t generation(web_req *r)
{
	int64_t g = -1;

	if (web_srv == NULL || web_srv->ocsp_cache_s <= 0)
		return -1;
	pthread_once(&cache_once, cache_init_once);
	if (audit_head_seq(inst_store(r->in), &g) != OA_OK) {
		oa_err_clear();
		return -1;
	}
	return g;
}

static void send_cached(web_req *r, const uint8_t *resp, size_t rlen, int64_t produced,
    int64_t next, const char *etag)
{
	char lm[40], exp[40], cc[80];
	int64_t now = oa_now(), age = next > now ? next - now : 0;

	web_http_date(lm, sizeof lm, produced);
	web_http_date(exp, sizeof exp, next);
	snprintf(cc, sizeof cc, "max-age=%lld, public, no-transform, must-revalidate",
	    (long long)age);
	if (r->method != WEB_POST && web_not_modified(r, etag)) {
		web_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, lm);
		web_header(r, MHD_HTTP_HEADER_EXPIRES, exp);
		web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
		return;
	}
	web_reply(r, 200, "application/ocsp-response", resp, rlen, MHD_RESPMEM_MUST_COPY);
	web_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, lm);
	web_header(r, MHD_HTTP_HEADER_EXPIRES, exp);
	web_header(r, MHD_HTTP_HEADER_ETAG, etag);
	web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
}

/* The way of set a new response for req takes (under the set's lock): the
 * entry of the same request, else a free or stale one (another generation,
 * or expired), else the one that expires first. */
static size_t victim(size_t set, uint64_t h, const uint8_t *req, size_t len, int64_t gen,
    int64_t now)
{
	size_t best = 0;

	for (size_t w = 0; w < OA_WEB_OCSP_CACHE_WAYS; w++) {
		entry *e = slots[set][w];
		if (e == NULL || (e->hash == h && e->klen == len && memcmp(e->data, req, len) == 0))
			return w;
		if (e->gen != gen || now >= e->valid_until)
			return w;
		if (e->valid_until < slots[set][best]->valid_until)
			best = w;
	}
	return best;
}

static void answer(web_req *r, const uint8_t *req, size_t len)
{
	int64_t gen = len <= OA_WEB_OCSP_CACHE_KEY ? generation(r) : -1;
	uint64_t h = 0;
	size_t set = 0, way;
	pthread_mutex_t *lock = NULL;
	entry *e;
	uint8_t *resp = NULL;
	size_t rlen = 0;
	int64_t now = oa_now(), produced, next;
	char etag[67];
	ca_ocsp_meta meta;
	oa_err rc;

	if (gen >= 0) {
		h = hash_of(req, len);
		set = h % OA_WEB_OCSP_CACHE_SETS;
		lock = &stripes[set % CACHE_STRIPES];
		pthread_mutex_lock(lock);
		for (way = 0; way < OA_WEB_OCSP_CACHE_WAYS; way++) {
			e = slots[set][way];
			if (e && e->hash == h && e->gen == gen && e->klen == len &&
			    memcmp(e->data, req, len) == 0 && now < e->valid_until) {
				/* Copied under the lock: the entry may be replaced next. */
				send_cached(r, e->data + e->klen, e->rlen, e->produced, e->next_update,
				    e->etag);
				pthread_mutex_unlock(lock);
				return;
			}
		}
		pthread_mutex_unlock(lock);
	}
	if ((rc = ca_ocsp_answer(r->ca, req, len, &resp, &rlen, &meta))) {
		web_reply_err(r, rc);
		return;
	}
	produced = meta.produced;
	next = meta.next_update;
	/* Cacheable: successful, without a nonce, with a nextUpdate (what the
	 * responder says of the response it made; it is not decoded here). */
	if (meta.status != 0 || meta.nonce || produced <= 0 || next <= 0) {
		/* An answer in band that is not "successful" (RFC 6960 4.2.1:
		 * malformedRequest, unauthorized, ...) is a failure for the log. */
		if (meta.status != 0)
			r->errcode = "ocsp_unsuccessful";
		web_reply(r, 200, "application/ocsp-response", resp, rlen, MHD_RESPMEM_MUST_FREE);
		if (r->resp == NULL)
			free(resp);
		web_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		return;
	}
	web_etag(etag, resp, rlen);
	if (gen >= 0 && (e = malloc(sizeof *e + len + rlen)) != NULL) {
		int64_t until = now + web_srv->ocsp_cache_s;
		e->hash = h;
		e->gen = gen;
		e->klen = len;
		e->rlen = rlen;
		e->produced = produced;
		e->next_update = next;
		e->valid_until = until < next ? until : next;
		memcpy(e->etag, etag, sizeof etag);
		memcpy(e->data, req, len);
		memcpy(e->data + len, resp, rlen);
		pthread_mutex_lock(lock);
		way = victim(set, h, req, len, gen, now);
		free(slots[set][way]);
		slots[set][way] = e;
		pthread_mutex_unlock(lock);
	}
	send_cached(r, resp, rlen, produced, next, etag);
	free(resp);
}

/* Content-Type without parameters, case-insensitively. */
static int type_is(web_req *r, const char *want)
{
	const char *t = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n;

	if (t == NULL)
		return 0;
	n = strcspn(t, "; \t");
	return n == strlen(want) && strncasecmp(t, want, n) == 0;
}

static void h_post(web_req *r)
{
	if (!type_is(r, "application/ocsp-request")) {
		web_reply_fail(r, 415, "unsupported_media_type",
		    "Content-Type harus application/ocsp-request",
		    "Content-Type must be application/ocsp-request (RFC 6960 A.1)");
		web_header(r, "Accept-Post", "application/ocsp-request");
		return;
	}
	answer(r, r->body, r->body_len);
}

static void h_get(web_req *r)
{
	const char *b64 = r->param[0];
	size_t n = strlen(b64), cap = n / 4 * 3 + 3;
	uint8_t *der;
	long len;

	if (cap > OA_MAX_OCSP_REQ_BYTES)
		cap = OA_MAX_OCSP_REQ_BYTES;
	if ((der = web_alloc(r, cap)) == NULL) {
		web_reply_err(r, oa_fail(OA_ERR_NOMEM, "out of memory"));
		return;
	}
	/* Not base64, or too long: answered as malformedRequest (len 0). */
	if ((len = web_base64_decode(b64, n, der, cap)) < 0)
		len = 0;
	answer(r, der, (size_t)len);
}

static const web_route routes[] = {
	{WEB_POST, "/ocsp", h_post, OA_MAX_OCSP_REQ_BYTES},
	{WEB_GET, "/ocsp/{req*}", h_get, 0},
};

const web_route_table web_ocsp_table = {"ocsp", routes, sizeof routes / sizeof routes[0]};
