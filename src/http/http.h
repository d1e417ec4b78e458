/*
 * http.h - the HTTP core of `openams serve`, the module the API (src/api),
 * the portal (src/portal) and the PKI endpoints (src/pki) are built on:
 * the server and its request log, the router and request limits, the
 * per-request arena, replies and the one mapping of an oa_err to an HTTP
 * status, JSON bodies, the group committer, who is asking (web_user) and
 * the administration rules the API and the portal share; /healthz and
 * /metrics (routes_ops.c, metrics.c) are the server's own.
 *
 * Responsible for: turning an oa_err into an HTTP status and a JSON error
 * body exactly once (web_status_of), bounding every input before a module
 * sees it (limits.h, web section), and answering each request from the
 * calling worker thread's own CA handle.
 *
 * A request lives in one worker thread from its first byte to its log
 * line.  Its memory comes from its arena (web_alloc), freed in one go when
 * the request completes; handlers never free what they allocate there.
 *
 * Route tables: one per resource, each a const array of web_route, declared
 * in its module's public header (api.h, portal.h, pki.h); router.c lists
 * the tables.  A handler answers with exactly one web_reply*() call (a
 * second call replaces the first).
 *
 * Must never: hold a CA private key of its own (signing goes through the
 * ca module and its signer), log a query string, cookie, Authorization
 * header, password or token, or serve a file named by a request path.
 * Only the committer (commit.c) holds a store transaction.
 */
#ifndef OA_HTTP_H
#define OA_HTTP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "../auth/auth.h"
#include "../ca/ca.h"
#include "../inst/inst.h"
#include "../common/err.h"
#include "../common/limits.h"
#include "../engine/engine.h"

typedef struct web_opts {
	const char *dir;      /* data directory */
	const char *listen;   /* "ADDR:PORT"; NULL: the configuration's web.listen */
} web_opts;

/*
 * Runs the server until SIGTERM or SIGINT: worker threads (web.threads,
 * each with its own CA handle), and a scheduler thread that publishes the
 * CRLs when ca_crl_due() says so.  On the signal it stops accepting, lets
 * requests in flight finish (at most web.shutdown_grace_seconds), then
 * returns OA_OK.  Refuses (OA_ERR_CONFIG) plain HTTP on a non-loopback
 * address unless web.allow_plain_http = yes.  Prints one line
 * "openams: listening on URL" on stderr once it accepts connections.
 */
oa_err web_serve(const web_opts *o);

/* The HTTP status for a module error code (400, 404, 409, 413, 403, ...). */
unsigned web_status_of(oa_err code);

/*
 * Parses a JSON request body of at most OA_WEB_MAX_JSON_BODY bytes nested
 * at most OA_WEB_MAX_JSON_DEPTH deep (checked before Jansson sees it),
 * rejecting duplicate keys and NUL bytes.  *out is the caller's
 * (json_decref).  OA_ERR_LIMIT for size or depth, OA_ERR_INVALID for
 * anything else.
 */
oa_err web_json_parse(const char *text, size_t len, json_t **out);

/*
 * Decodes the base64 (standard or URL-safe alphabet, padding optional) of
 * an OCSP GET request path (RFC 6960 Appendix A.1) into out (outsz bytes).
 * Returns the decoded length, or -1 if s is not base64 or does not fit.
 */
long web_base64_decode(const char *s, size_t n, unsigned char *out, size_t outsz);


/* Methods, as a bit set in a route. GET routes answer HEAD too. */
enum {
	WEB_GET = 1 << 0,
	WEB_HEAD = 1 << 1,
	WEB_POST = 1 << 2,
	WEB_PUT = 1 << 3,
	WEB_PATCH = 1 << 4,
	WEB_DELETE = 1 << 5,
	WEB_OPTIONS = 1 << 6,
};

typedef struct web_req web_req;
typedef struct web_server web_server;
typedef struct web_job web_job;

typedef void (*web_handler)(web_req *r);

/*
 * One route.  pattern: literal segments, "{name}" (one segment, not
 * empty), "{name}.ext" (one segment ending in .ext), or a last "{name*}"
 * (the rest of the path, slashes included, possibly empty).  max_body 0:
 * the route takes no body.
 */
typedef struct web_route {
	unsigned methods;
	const char *pattern;
	web_handler fn;
	size_t max_body;
} web_route;

typedef struct web_route_table {
	const char *resource;
	const web_route *routes;
	size_t n;
} web_route_table;

/* A chunk of the per-request arena. */
typedef struct web_chunk web_chunk;

struct web_req {
	web_server *srv;
	struct MHD_Connection *conn;
	inst *in;                     /* this worker thread's instance handle (borrowed) */
	ca *ca;                       /* ... the CA on it (borrowed) */
	engine *engine;               /* ... its engine on that handle (borrowed) */
	auth *auth;                   /* ... its auth module on that handle (borrowed) */
	unsigned method;              /* WEB_* or 0 for others */
	char method_name[12];         /* for the log: the method or "OTHER" */
	const char *path;             /* decoded by MHD (no query) */
	int route;                    /* flat route index, -1 if none */
	const char *param[OA_WEB_MAX_PARAMS];
	size_t nparam;
	uint8_t *body;                /* arena; NUL-terminated */
	size_t body_len, body_max;
	size_t discarded;             /* body bytes over the limit, thrown away */
	int first_done, too_large;
	uint64_t start_ns;
	char id[17];                  /* request id (hex), also X-Request-Id */
	const char *user;             /* when authenticated, for the log */
	unsigned status;
	size_t bytes;
	struct MHD_Response *resp;
	const char *errcode;          /* for the log: the error code sent, if any */
	char errmsg[160];             /* 5xx: the internal message, for the log */
	web_job *job;                 /* with the committer (connection suspended) */
	web_chunk *arena;
};

/* Arena: memory freed when the request completes.  NULL if out of memory. */
void *web_alloc(web_req *r, size_t n);
char *web_printf(web_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Replies.  data is copied unless mode says otherwise (MHD_RESPMEM_*). */
void web_reply(web_req *r, unsigned status, const char *type, const void *data, size_t len,
    enum MHD_ResponseMemoryMode mode);
/* A response whose buffer is released by freefn(cls) once sent. */
void web_reply_owned(web_req *r, unsigned status, const char *type, const void *data,
    size_t len, void (*freefn)(void *), void *cls);
/* A 200 with a certificate (steals der): DER as application/pkix-cert, or PEM
 * (RFC 7468) as application/x-pem-file. */
void web_reply_cert(web_req *r, uint8_t *der, size_t len, int pem);
/* Adds a header to the reply made last. */
void web_header(web_req *r, const char *name, const char *value);
/* A JSON body (steals j). */
void web_reply_json(web_req *r, unsigned status, json_t *j);
/* A JSON error for a module error code (status from web_status_of); the
 * message of a 4xx carries oa_errmsg(), a 5xx hides it (logged instead). */
void web_reply_err(web_req *r, oa_err code);
/* A JSON error with an explicit status, stable code and both messages. */
void web_reply_fail(web_req *r, unsigned status, const char *code, const char *msg_id,
    const char *msg_en);
/* 304 if If-None-Match names etag; then the caller is done. */
int web_not_modified(web_req *r, const char *etag);

/* The same with If-Modified-Since against last_modified as well (RFC 9110
 * 13.2.2: If-None-Match, when present, takes precedence). */
int web_not_modified_since(web_req *r, const char *etag, int64_t last_modified);
/* An HTTP date in any of the three forms of RFC 9110 5.6.7: 0, or -1. */
int web_http_date_parse(const char *s, int64_t *out);
/* "Sat, 22 Nov 2026 03:05:45 GMT" into out (at least 30 bytes). */
void web_http_date(char *out, size_t outsz, int64_t t);
/* A strong ETag "\"<hex sha256>\"" of data into out (at least 67 bytes). */
void web_etag(char *out, const void *data, size_t len);

/*
 * commit.c: group commit.  A handler that changes state puts the change in
 * a job (in the request's arena, with everything run needs) and calls
 * web_commit(); the committer thread runs it in a savepoint of its group
 * transaction, commits, and then the request's worker calls done, which
 * replies.  web_commit() returns 0 (after replying 503) when the server is
 * stopping: done is then never called and the handler cleans up itself.
 */
struct web_job {
	/* In the committer thread, on its handles (in, e, a), inside the group
	 * transaction and a savepoint of the job's own: OA_OK keeps the job's
	 * changes, an error undoes them alone.  May run again (the batch broke
	 * under it), so it keeps no state between runs but its outputs. */
	oa_err (*run)(web_job *j, inst *in, engine *e, auth *a);
	/* Or, instead of run: an act of the engine (its inputs set, its outputs
	 * filled in), run with the other acts of the transaction by
	 * engine_case_act_batch, which issues their certificates together. */
	engine_batch_item *act;
	/* In the request's worker once the job is committed (rc OA_OK) or
	 * refused or its commit failed (rc, the message set again with
	 * oa_fail): replies and frees what the job holds. */
	void (*done)(web_req *r, web_job *j);
	void *arg;
	int crl;                      /* run revoked: the CRL is published after the commit */
	oa_err rc;                    /* the outcome */
	char msg[512];                /* its message, when rc != OA_OK */
	int busy;                     /* rc is a lock another process held (store_last_busy) */
	/* the committer's own */
	web_req *r;
	web_job *next;
	int tries, solo;
	atomic_int finished;
};
int web_commit(web_req *r, web_job *j);
/* server.c: settings read by handlers. */
struct web_server {
	int public_certs;
	int ocsp_cache_s;
	atomic_int shutting_down;
	int tls;
	ca_signers *signers;      /* signer.processes > 0: shared by every handle; else NULL */
};
extern web_server *web_srv;

/* ---- Who is asking (caller.c), shared by the API and the portal ---- */

typedef struct web_user {
	auth_who w;               /* w.who points into w itself: never copy */
	int token;                /* authenticated with an API token */
	const char *session;      /* the cookie's session token (arena), or NULL */
	int64_t authenticated_at; /* sessions: the sign-in or last re-authentication */
} web_user;

/* A query argument (NULL if absent). */
const char *web_query(web_req *r, const char *name);
/* 1 if u holds role (in their own organisation). */
int web_holds(const web_user *u, const char *role);
/* 1 if u may see the case: its applicant, or holding a role of the case's
 * SOP in the case's organisation. */
int web_participant(web_req *r, const web_user *u, const engine_case *c);
/* 1 if the account named login (a user name or an e-mail address) is
 * locked now after too many failures (the API's sign-in, the portal's
 * sign-in and re-authentication pages). */
int web_locked(web_req *r, const char *login);

/* The administration rules of the API (routes_api_admin.c) and the
 * portal's administration pages (routes_portal_admin.c), so both decide
 * alike who may manage which agency and which SOP text is acceptable. */
/* 1 if u administers the instance's agency (instance.org): such an
 * administrator manages every agency and creates them. */
int web_admin_super(web_req *r, const web_user *u);
/* 1 if u holds "admin" and may manage org (NULL: their own agency). */
int web_admin_may(web_req *r, const web_user *u, const char *org);
/* 1 if text (len bytes) is acceptable YAML text: not empty, no NUL, no
 * control characters other than tab, CR and LF. */
int web_yaml_ok(const char *text, size_t len);

#endif
