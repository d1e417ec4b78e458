/*
 * webInt.h - private to the web module: the request, the route tables, the
 * per-request arena, replies and metrics.
 *
 * A request lives in one worker thread from its first byte to its log
 * line.  Its memory comes from its arena (web_alloc), freed in one go when
 * the request completes; handlers never free what they allocate there.
 *
 * Route tables: one per resource (routes_pki.c, routes_ocsp.c, ...), each a
 * const array of web_route; router.c lists the tables.  A handler answers
 * with exactly one web_reply*() call (a second call replaces the first).
 */
#ifndef OA_WEBINT_H
#define OA_WEBINT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "../auth/auth.h"
#include "../ca/ca.h"
#include "../engine/engine.h"
#include "../common/limits.h"
#include "web.h"

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

/* The route tables (one per resource, in routes_*.c). */
extern const web_route_table web_pki_table, web_ocsp_table, web_cert_table, web_ops_table;
/* The JSON API under /api/v1 (routes_api_*.c). */
extern const web_route_table web_api_auth_table, web_api_cases_table, web_api_certs_table,
    web_api_admin_table, web_api_me_table;
/* The pages the e-mails link to, and sign-in (routes_links.c). */
extern const web_route_table web_links_table;

/* A chunk of the per-request arena. */
typedef struct web_chunk web_chunk;

struct web_req {
	web_server *srv;
	struct MHD_Connection *conn;
	ca *ca;                       /* this worker thread's handle (borrowed) */
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
void web_arena_free(web_req *r);

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

/* router.c */
size_t web_nroutes(void);
const web_route *web_route_at(int i);
/* Finds the route for path and method.  Returns the flat index, or -1:
 * *allowed then holds the methods of routes whose pattern matches (0: no
 * route matches at all, a 404). */
int web_route_find(web_req *r, const char *path, unsigned method, unsigned *allowed);
/* "GET, HEAD, POST" for a method set, into out. */
void web_methods_str(unsigned m, char *out, size_t outsz);

/* metrics.c: counters shared by all threads (atomics). */
oa_err web_metrics_init(void);
void web_metrics_free(void);
void web_metrics_observe(int route, unsigned status, uint64_t dur_ns);
oa_err web_metrics_write(ca *c, engine *e, oa_buf *out);

/* routes_pki.c: CA certificates loaded once at start. */
oa_err web_pki_init(ca *c);
void web_pki_free(void);

/* routes_ocsp.c: frees the OCSP response cache (after the workers stop). */
void web_ocsp_free(void);

/*
 * commit.c: group commit.  A handler that changes state puts the change in
 * a job (in the request's arena, with everything run needs) and calls
 * web_commit(); the committer thread runs it in a savepoint of its group
 * transaction, commits, and then the request's worker calls done, which
 * replies.  web_commit() returns 0 (after replying 503) when the server is
 * stopping: done is then never called and the handler cleans up itself.
 */
struct web_job {
	/* In the committer thread, on its handles (c, e, a), inside the group
	 * transaction and a savepoint of the job's own: OA_OK keeps the job's
	 * changes, an error undoes them alone.  May run again (the batch broke
	 * under it), so it keeps no state between runs but its outputs. */
	oa_err (*run)(web_job *j, ca *c, engine *e, auth *a);
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
/* Opens the committer's handles on dir and starts its threads; stops them
 * after finishing every job queued (new ones are refused). */
oa_err web_commit_start(const char *dir);
void web_commit_stop(void);

/* server.c: settings read by handlers. */
struct web_server {
	int public_certs;
	int ocsp_cache_s;
	atomic_int shutting_down;
	int tls;
};
extern web_server *web_srv;

#endif
