/*
 * reqlog.c - the request log: one logfmt line per request on stderr,
 * written with a single write(2) (ts, rid, remote, method, route pattern,
 * status, bytes, dur_us, user, and error=, end=, msg= when they apply),
 * never a secret.  The public PKI routes' successful answers are sampled
 * (web.log_pki_every); /metrics counts every request either way.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/util.h"
#include "httpInt.h"

static int log_every = 1;
static atomic_ullong pki_answers;

void web_reqlog_init(int every)
{
	log_every = every;
	atomic_store(&pki_answers, 0);
}

static const char *term_name(enum MHD_RequestTerminationCode t)
{
	switch (t) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK:
		return "ok";
	case MHD_REQUEST_TERMINATED_WITH_ERROR:
		return "error";
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
		return "timeout";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
		return "shutdown";
	case MHD_REQUEST_TERMINATED_READ_ERROR:
		return "read_error";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
		return "client_abort";
	default:
		return "other";
	}
}

/* The public PKI routes (OCSP, CA certificates, CRLs) are what relying
 * parties call in volume: a line each would cost a write(2) per response.
 * Of their successful answers one in web.log_pki_every is logged (with
 * sampled=N, so a reader can scale counts; 1 logs all, 0 none); failures
 * and unfinished requests are always logged, and /metrics counts every
 * request of every route either way.  -1: leave this request out; 0: log
 * it; 1: log it marked sampled=N. */
static int sampling(const web_req *r, const web_route *rt, enum MHD_RequestTerminationCode term)
{
	if (log_every == 1 || rt == NULL || r->status >= 400 || r->errcode != NULL ||
	    term != MHD_REQUEST_TERMINATED_COMPLETED_OK ||
	    (strncmp(rt->pattern, "/ocsp", 5) != 0 && strncmp(rt->pattern, "/pki/", 5) != 0))
		return 0;
	if (log_every == 0 || atomic_fetch_add(&pki_answers, 1) % (unsigned long long)log_every != 0)
		return -1;
	return 1;
}

/* One line per request: logfmt, written with a single write(2). */
void web_reqlog(web_req *r, enum MHD_RequestTerminationCode term, uint64_t dur_ns)
{
	const web_route *rt = r->route >= 0 ? web_route_at(r->route) : NULL;
	const union MHD_ConnectionInfo *ci;
	char remote[INET6_ADDRSTRLEN] = "-", ts[24], line[768], msg[sizeof r->errmsg];
	int n, sampled = sampling(r, rt, term);

	if (sampled < 0)
		return;
	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			    remote, sizeof remote);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			    remote, sizeof remote);
	}
	oa_time_iso(ts, sizeof ts, oa_now());
	/* The internal message (5xx only): no quotes, no control characters. */
	snprintf(msg, sizeof msg, "%s", r->errmsg);
	for (char *p = msg; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '\'';
	n = snprintf(line, sizeof line,
	    "ts=%s rid=%s remote=%s method=%s route=\"%s\" status=%u bytes=%zu dur_us=%" PRIu64
	    " user=%s%s%s%s%s%s%s%s\n",
	    ts, r->id, remote, r->method_name, rt ? rt->pattern : "-", r->status, r->bytes,
	    dur_ns / 1000, r->user ? r->user : "-",
	    sampled ? web_printf(r, " sampled=%d", log_every) : "",
	    r->errcode ? " error=" : "", r->errcode ? r->errcode : "",
	    term != MHD_REQUEST_TERMINATED_COMPLETED_OK ? " end=" : "",
	    term != MHD_REQUEST_TERMINATED_COMPLETED_OK ? term_name(term) : "",
	    *msg ? " msg=\"" : "", *msg ? msg : "");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = (int)sizeof line - 1;
	if (*msg && (size_t)n < sizeof line - 2) {
		line[n - 1] = '"';
		line[n++] = '\n';
	}
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nothing sensible to do: the log is gone */
	}
}

