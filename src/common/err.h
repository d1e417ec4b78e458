/*
 * err.h - the one error type of openams modules.
 *
 * Every fallible function returns an oa_err.  The human-readable message is
 * written where the fault is found, with oa_fail(), into a thread-local
 * buffer; callers that only propagate do `if (rc) return rc;`.  Only the
 * outermost layer (cli, later web) turns a code into an exit status or an
 * HTTP status, using oa_err_name() as the stable machine code.
 *
 * Messages never contain secrets (keys, passphrases, tokens): callers pass
 * identifiers, never secret values, to oa_fail().
 */
#ifndef OA_ERR_H
#define OA_ERR_H

#include <stdarg.h>

typedef enum oa_err {
	OA_OK = 0,
	OA_ERR_INVALID,   /* bad input from the caller: syntax, range, type */
	OA_ERR_NOTFOUND,  /* the named object does not exist */
	OA_ERR_EXISTS,    /* would overwrite something that exists */
	OA_ERR_POLICY,    /* refused by a business rule (one active cert per NIK) */
	OA_ERR_LINT,      /* to-be-signed object breaks its profile or RFC 5280 */
	OA_ERR_STATE,     /* not allowed in the object's current state */
	OA_ERR_LIMIT,     /* an explicit size or count limit was exceeded */
	OA_ERR_DENIED,    /* the actor may not do this */
	OA_ERR_CRYPTO,    /* a cryptographic operation failed */
	OA_ERR_STORE,     /* the database failed */
	OA_ERR_IO,        /* a file or socket operation failed */
	OA_ERR_NOMEM,     /* out of memory */
	OA_ERR_CONFIG,    /* configuration is invalid */
	OA_ERR_INTERNAL,  /* a bug: an invariant did not hold */
	OA_ERR__MAX
} oa_err;

/* Stable lower-case name of a code ("invalid_input", "policy", ...). */
const char *oa_err_name(oa_err code);

/*
 * Records a message for the current thread and returns code, so that a
 * failing path reads `return oa_fail(OA_ERR_INVALID, "bad NIK '%s'", nik);`.
 */
oa_err oa_fail(oa_err code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like oa_fail() but appends the OpenSSL error queue (and clears it). */
oa_err oa_fail_ssl(oa_err code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Like oa_fail(), and also names the refusal by a stable id (a lower-case
 * word such as "nik_format", "doc_missing") and one parameter (a field or
 * document id; NULL none), for callers that word the refusal themselves in
 * the person's language (the portal's message catalogue, src/portal/msgcat.c)
 * instead of showing the English message.  Never a secret in arg.
 */
oa_err oa_fail_id(oa_err code, const char *id, const char *arg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The stable id and parameter of the last refusal when it was recorded by
 * oa_fail_id() ("" otherwise: oa_fail, oa_fail_ssl and oa_err_clear reset
 * them).  Borrowed. */
const char *oa_errid(void);
const char *oa_errarg(void);

/* The last message recorded on this thread ("" if none).  Borrowed. */
const char *oa_errmsg(void);

/* Forgets the last message (and the OpenSSL error queue). */
void oa_err_clear(void);

#endif
