/*
 * vcache.c - verification results kept by document: the SHA-256 of the
 * uploaded bytes and the generation they were computed at (the audit log's
 * head: every revocation writes an audit record, so a revocation makes
 * every cached result stale, as the OCSP cache does).  SIGN_VCACHE_SLOTS
 * slots, direct-mapped by the hash, under one mutex; a result is copied in
 * and out whole, so callers own what they get.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "../audit/audit.h"
#include "signInt.h"

#define SIGN_VCACHE_SLOTS 64

typedef struct slot {
	uint8_t sha[32];
	size_t len;
	int64_t gen;
	sign_report rep;   /* rep.sig malloc'd, rep.n entries */
	int used;
} slot;

static slot slots[SIGN_VCACHE_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long hits, misses;

static oa_err copy_report(sign_report *dst, const sign_report *src)
{
	*dst = *src;
	dst->sig = NULL;
	if (src->n) {
		if ((dst->sig = malloc(src->n * sizeof *dst->sig)) == NULL)
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		memcpy(dst->sig, src->sig, src->n * sizeof *dst->sig);
	}
	return OA_OK;
}

oa_err sign_verify_pdf_cached(ca *c, const uint8_t *pdf, size_t len, sign_report *out, int *hit)
{
	uint8_t sha[32];
	int64_t gen = -1;
	slot *s;
	oa_err rc;

	memset(out, 0, sizeof *out);
	*hit = 0;
	if (!pdf || len == 0 || len > SIGN_MAX_PDF_BYTES || !c)
		return sign_verify_pdf(c, NULL, pdf, len, out);
	if (audit_head_seq(ca_store(c), &gen) != OA_OK) {
		oa_err_clear();
		gen = -1; /* not cached then */
	}
	SHA256(pdf, len, sha);
	s = &slots[(sha[0] | sha[1] << 8) % SIGN_VCACHE_SLOTS];
	if (gen >= 0) {
		pthread_mutex_lock(&lock);
		if (s->used && s->gen == gen && s->len == len && memcmp(s->sha, sha, 32) == 0) {
			rc = copy_report(out, &s->rep);
			hits++;
			pthread_mutex_unlock(&lock);
			*hit = rc == OA_OK;
			return rc;
		}
		misses++;
		pthread_mutex_unlock(&lock);
	}
	if ((rc = sign_verify_pdf(c, NULL, pdf, len, out)) || gen < 0)
		return rc;
	pthread_mutex_lock(&lock);
	if (s->used)
		sign_report_free(&s->rep);
	s->used = 0;
	if (copy_report(&s->rep, out) == OA_OK) {
		memcpy(s->sha, sha, 32);
		s->len = len;
		s->gen = gen;
		s->used = 1;
	} else
		oa_err_clear();
	pthread_mutex_unlock(&lock);
	return OA_OK;
}

void sign_vcache_stats(unsigned long *h, unsigned long *m)
{
	pthread_mutex_lock(&lock);
	*h = hits;
	*m = misses;
	pthread_mutex_unlock(&lock);
}
