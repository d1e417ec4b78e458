/*
 * audit.c - see audit.h.
 */
#include "audit.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "../common/limits.h"
#include "../common/util.h"

static const char zero_hash[65] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* SHA-256 fetched once: OpenSSL 3.0 otherwise looks the implementation up
 * (locks, allocations) at every EVP_DigestInit_ex with EVP_sha256(). */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md ? sha256_md : EVP_sha256();
}

static void add_field(EVP_MD_CTX *md, const char *s)
{
	uint64_t n = strlen(s);
	uint8_t len[8];

	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(n >> (56 - 8 * i));
	EVP_DigestUpdate(md, len, sizeof len);
	EVP_DigestUpdate(md, s, n);
}

static oa_err chain_hash(char out[65], const char *prev, int64_t seq, int64_t at,
    const char *actor, const char *action, const char *object, const char *detail)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t h[32];
	unsigned hl = 0;
	char num[32];
	oa_err rc = OA_OK;

	if (md == NULL || !EVP_DigestInit_ex(md, sha256(), NULL)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "audit: sha256");
		goto out;
	}
	add_field(md, prev);
	snprintf(num, sizeof num, "%" PRId64, seq);
	add_field(md, num);
	snprintf(num, sizeof num, "%" PRId64, at);
	add_field(md, num);
	add_field(md, actor);
	add_field(md, action);
	add_field(md, object);
	add_field(md, detail);
	if (!EVP_DigestFinal_ex(md, h, &hl)) {
		rc = oa_fail_ssl(OA_ERR_CRYPTO, "audit: sha256");
		goto out;
	}
	oa_hex(out, h, sizeof h);
out:
	EVP_MD_CTX_free(md);
	return rc;
}

oa_err audit_append(store *s, const char *actor, const char *action,
    const char *object, const char *detail)
{
	store_stmt *st;
	char prev[65], hash[65];
	int64_t seq = 1, at = oa_now();
	oa_err rc;

	if (!store_in_tx(s))
		return oa_fail(OA_ERR_INTERNAL, "audit_append outside a transaction");
	if (detail == NULL)
		detail = "";
	if (strlen(detail) > OA_MAX_AUDIT_DETAIL)
		return oa_fail(OA_ERR_LIMIT, "audit detail longer than %d bytes",
		    OA_MAX_AUDIT_DETAIL);
	memcpy(prev, zero_hash, sizeof prev);
	if ((st = store_prepare(s, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")) == NULL)
		return OA_ERR_STORE;
	switch (store_step(st)) {
	case STORE_ROW:
		seq = store_col_int(st, 0) + 1;
		snprintf(prev, sizeof prev, "%s", store_col_text(st, 1));
		break;
	case STORE_DONE:
		break;
	default:
		store_reset(st);
		return OA_ERR_STORE;
	}
	store_reset(st);
	if ((rc = chain_hash(hash, prev, seq, at, actor, action, object, detail)))
		return rc;
	if ((st = store_prepare(s, "INSERT INTO audit(seq, at, actor, action, object, detail,"
	                           " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, seq);
	store_bind_int(st, 2, at);
	store_bind_text(st, 3, actor);
	store_bind_text(st, 4, action);
	store_bind_text(st, 5, object);
	store_bind_text(st, 6, detail);
	store_bind_text(st, 7, prev);
	store_bind_text(st, 8, hash);
	return store_run(st);
}

oa_err audit_verify(store *s, audit_report *r)
{
	store_stmt *st;
	char prev[65], want[65];
	int64_t expect_seq = 1;
	int step, own = !store_in_tx(s);
	oa_err rc = OA_OK;

	memset(r, 0, sizeof *r);
	memcpy(prev, zero_hash, sizeof prev);
	if (own && (rc = store_begin_read(s)))
		return rc;
	if ((st = store_prepare(s, "SELECT seq, at, actor, action, object, detail, prev_hash, hash"
	                           " FROM audit ORDER BY seq")) == NULL) {
		if (own)
			store_rollback(s);
		return OA_ERR_STORE;
	}
	while ((step = store_step(st)) == STORE_ROW) {
		int64_t seq = store_col_int(st, 0);
		r->rows++;
		if (seq != expect_seq) {
			r->first_bad = expect_seq;
			snprintf(r->reason, sizeof r->reason,
			    "record %" PRId64 " is missing (next present is %" PRId64 ")",
			    expect_seq, seq);
			break;
		}
		if (strcmp(store_col_text(st, 6), prev) != 0) {
			r->first_bad = seq;
			snprintf(r->reason, sizeof r->reason,
			    "record %" PRId64 " does not follow record %" PRId64
			    " (removed or reordered)", seq, seq - 1);
			break;
		}
		if ((rc = chain_hash(want, prev, seq, store_col_int(st, 1),
		         store_col_text(st, 2), store_col_text(st, 3),
		         store_col_text(st, 4), store_col_text(st, 5))))
			break;
		if (strcmp(want, store_col_text(st, 7)) != 0) {
			r->first_bad = seq;
			snprintf(r->reason, sizeof r->reason,
			    "record %" PRId64 " was changed (its hash does not match its content)",
			    seq);
			break;
		}
		memcpy(prev, want, sizeof prev);
		snprintf(r->head, sizeof r->head, "%s", want);
		expect_seq++;
	}
	if (step == STORE_ERROR || step == STORE_CONSTRAINT)
		rc = OA_ERR_STORE;
	store_reset(st);
	if (own)
		store_rollback(s);
	if (rc)
		return rc;
	if (r->first_bad)
		return oa_fail(OA_ERR_STATE, "audit log broken at record %" PRId64 ": %s",
		    r->first_bad, r->reason);
	return OA_OK;
}

/*
 * The records of one agency.  A record belongs to agency X when it was made
 * by a person of X, or is about something of X: the agency itself, a
 * person of X (their logins, failures, lockouts, passwords, TOTP), a role
 * held in X, a session, API token or link of a person of X, a case of X, an
 * e-mail to a person of X, a SOP version of X, or a certificate whose NIK
 * is a person of X.  Records of the instance itself (CA certificates, CRLs,
 * the instance's creation) belong to no agency.  The predicate names the
 * tables of the modules that own those objects: the audit log is the one
 * place where every module's objects meet.
 */
#define AUDIT_ORG_SCOPE \
	"(?1 IS NULL" \
	" OR a.object = ?1" \
	" OR EXISTS (SELECT 1 FROM auth_person p WHERE p.org = ?1 AND (p.id = a.actor OR p.id = a.object))" \
	" OR (a.object GLOB '*@*' AND substr(a.object, instr(a.object, '@') + 1) = ?1" \
	"     AND a.action GLOB 'role.*')" \
	" OR (a.object GLOB 'case:[0-9]*' AND EXISTS (SELECT 1 FROM sop_case c" \
	"     WHERE c.id = CAST(substr(a.object, 6) AS INTEGER) AND c.org = ?1))" \
	" OR (a.object GLOB 'session:[0-9]*' AND EXISTS (SELECT 1 FROM auth_session x" \
	"     WHERE x.id = CAST(substr(a.object, 9) AS INTEGER) AND x.org = ?1))" \
	" OR (a.object GLOB 'token:[0-9]*' AND EXISTS (SELECT 1 FROM auth_token x" \
	"     WHERE x.id = CAST(substr(a.object, 7) AS INTEGER) AND x.org = ?1))" \
	" OR (a.object GLOB 'link:[0-9]*' AND EXISTS (SELECT 1 FROM auth_link x" \
	"     JOIN auth_person p ON p.id = x.person" \
	"     WHERE x.id = CAST(substr(a.object, 6) AS INTEGER) AND p.org = ?1))" \
	" OR (a.object GLOB 'mail:[0-9]*' AND EXISTS (SELECT 1 FROM mail_outbox x" \
	"     JOIN auth_person p ON p.id = x.person" \
	"     WHERE x.id = CAST(substr(a.object, 6) AS INTEGER) AND p.org = ?1))" \
	" OR (a.object GLOB 'sop:*' AND a.object GLOB 'sop:' || ?1 || ':*')" \
	" OR (a.object GLOB 'certificate:*' AND EXISTS (SELECT 1 FROM certificate ce" \
	"     JOIN auth_person p ON p.nik = ce.nik" \
	"     WHERE ce.serial = substr(a.object, 13) AND p.org = ?1)))"

oa_err audit_list(store *s, const audit_query *q, int (*fn)(const audit_record *, void *),
    void *arg)
{
	store_stmt *st;
	audit_record rec;
	int step;

	if (q->limit < 1 || q->limit > OA_MAX_AUDIT_PAGE || q->offset < 0)
		return oa_fail(OA_ERR_LIMIT, "audit listings give 1..%d records", OA_MAX_AUDIT_PAGE);
	if ((st = store_prepare(s, "SELECT a.seq, a.at, a.actor, a.action, a.object, a.detail, a.hash"
	                           " FROM audit a WHERE " AUDIT_ORG_SCOPE
	                           " AND (?2 = '' OR a.actor = ?2) AND (?3 = '' OR a.action = ?3)"
	                           " ORDER BY a.seq DESC LIMIT ?4 OFFSET ?5")) == NULL)
		return OA_ERR_STORE;
	if (q->org)
		store_bind_text(st, 1, q->org);
	else
		store_bind_null(st, 1);
	store_bind_text(st, 2, q->actor ? q->actor : "");
	store_bind_text(st, 3, q->action ? q->action : "");
	store_bind_int(st, 4, q->limit);
	store_bind_int(st, 5, q->offset);
	while ((step = store_step(st)) == STORE_ROW) {
		rec.seq = store_col_int(st, 0);
		rec.at = store_col_int(st, 1);
		rec.actor = store_col_text(st, 2);
		rec.action = store_col_text(st, 3);
		rec.object = store_col_text(st, 4);
		rec.detail = store_col_text(st, 5);
		rec.hash = store_col_text(st, 6);
		if (fn(&rec, arg))
			break;
	}
	store_reset(st);
	return step == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}

oa_err audit_head_seq(store *s, int64_t *seq)
{
	store_stmt *st = store_prepare(s, "SELECT COALESCE(MAX(seq), 0) FROM audit");
	int step;

	*seq = 0;
	if (st == NULL)
		return OA_ERR_STORE;
	if ((step = store_step(st)) == STORE_ROW)
		*seq = store_col_int(st, 0);
	store_reset(st);
	return step == STORE_ROW ? OA_OK : OA_ERR_STORE;
}
