/*
 * httpInt.h - private to the HTTP core (src/http): the router's lookup,
 * the arena's release, the metrics counters and the committer's start and
 * stop, which only server.c, router.c, reply.c, metrics.c and
 * routes_ops.c use (and the web unit tests and routes_dump).
 */
#ifndef OA_HTTPINT_H
#define OA_HTTPINT_H

#include "http.h"

void web_arena_free(web_req *r);

/* routes_ops.c: /healthz and /metrics. */
extern const web_route_table web_ops_table;

/* router.c */
size_t web_nroutes(void);
const web_route *web_route_at(int i);
/* Finds the route for path and method.  Returns the flat index, or -1:
 * *allowed then holds the methods of routes whose pattern matches (0: no
 * route matches at all, a 404). */
int web_route_find(web_req *r, const char *path, unsigned method, unsigned *allowed);
/* "GET, HEAD, POST" for a method set, into out. */
void web_methods_str(unsigned m, char *out, size_t outsz);

/* reqlog.c: the request log.  web_reqlog_init takes web.log_pki_every
 * (before the server starts); web_reqlog writes the request's line, or
 * leaves a sampled PKI answer out. */
void web_reqlog_init(int every);
void web_reqlog(web_req *r, enum MHD_RequestTerminationCode term, uint64_t dur_ns);

/* metrics.c: counters shared by all threads (atomics). */
oa_err web_metrics_init(void);
void web_metrics_free(void);
void web_metrics_observe(int route, unsigned status, uint64_t dur_ns);
oa_err web_metrics_write(inst *in, engine *e, oa_buf *out);

/* Opens the committer's handles on dir (signing through signers when not
 * NULL) and starts its threads; stops them after finishing every job
 * queued (new ones are refused). */
oa_err web_commit_start(const char *dir, ca_signers *signers);
void web_commit_stop(void);

#endif
