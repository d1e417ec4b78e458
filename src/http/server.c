/*
 * server.c - the HTTP server on libmicrohttpd: threads, limits, dispatch,
 * the request log, graceful shutdown, and the scheduler (CRLs and e-mail).
 *
 * Threads:
 *   main        parses the address, opens the handles, starts MHD, then
 *               waits for SIGTERM/SIGINT (blocked in every thread, taken
 *               with sigwait here) and shuts down.
 *   workers     MHD's thread pool (web.threads, default one per core),
 *               each running its own epoll loop.  A worker takes one
 *               web_worker (an instance handle, src/inst, and the CA,
 *               engine and auth handles on it) from those opened at start on its first request and
 *               keeps it: a store handle belongs to one thread.
 *   scheduler   (while this process holds the "scheduler" lease in the database,
 *               so once across servers sharing it) renews the OCSP responder
 *               certificate when due (ca_ocsp_renew),
 *               publishes the CRLs when ca_crl_due() says so, every
 *               web.crl_check_seconds, with a handle of its own.
 *
 * Request life (MHD calls on_request several times per request):
 *   headers in   -> new web_req; URL, header and query limits; route; a
 *                   declared body over the route's limit is a 413 at once
 *   body chunks  -> appended up to the route's limit (a chunked body over
 *                   it is discarded and answered 413)
 *   body done    -> handler; the reply is queued, or the handler gave a
 *                   state change to the committer (commit.c): the
 *                   connection is suspended until it is committed
 *   resumed      -> the job's done callback replies; the reply is queued
 *   completed    -> one log line, metrics, arena freed (on_completed)
 *
 * Shutdown: stop accepting (MHD_quiesce_daemon), answer with
 * "Connection: close" from then on, wait for requests in flight (at most
 * web.shutdown_grace_seconds), stop the committer (it finishes the jobs
 * queued, so no connection stays suspended), stop MHD (joins the workers),
 * free.
 *
 * The log line never holds the query string, a header value, a cookie or
 * a body: only the route pattern, never the path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "../common/proc.h"
#include "../engine/engine.h"
#include "../mail/mail.h"
#include "../pki/pki.h"
#include "httpInt.h"

web_server *web_srv;

/* What one worker thread answers with: its instance handle (its store
 * belongs to that thread), the CA on it, and the engine and auth handles on
 * it. */
typedef struct web_worker {
	inst *in;
	ca *ca;                         /* inst_ca(in) */
	engine *engine;
	auth *auth;
} web_worker;

static struct {
	web_server pub;
	char dir[OA_MAX_PATH];
	pthread_mutex_t lock;           /* workers */
	web_worker *workers;            /* every one opened, freed at the end */
	size_t nworkers, cap, next_free;
	atomic_int inflight;
	atomic_ullong seq;
	uint32_t id_prefix;
	/* scheduler */
	pthread_t sched;
	pthread_mutex_t sched_lock;
	pthread_cond_t sched_cond;
	int sched_stop;
	int crl_check_s;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER,
    .sched_lock = PTHREAD_MUTEX_INITIALIZER,
    .sched_cond = PTHREAD_COND_INITIALIZER};

static _Thread_local web_worker t_worker; /* this thread's (a copy), once taken */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Adds a worker on in, an opened instance handle (owned by the list from
 * now on, even on failure), to the list freed at the end: the engine and
 * auth handles are opened here. */
static oa_err add_worker(inst *in)
{
	web_worker w = {in, inst_ca(in), NULL, NULL};
	oa_err rc;

	if (S.nworkers == S.cap) {
		size_t ncap = S.cap ? S.cap * 2 : 8;
		web_worker *n = realloc(S.workers, ncap * sizeof *n);
		if (n == NULL) {
			inst_free(in);
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		}
		S.workers = n;
		S.cap = ncap;
	}
	if ((rc = engine_open(in, &w.engine)) || (rc = auth_open(in, &w.auth))) {
		engine_free(w.engine);
		inst_free(in);
		return rc;
	}
	if (S.pub.signers)
		inst_use_signers(in, S.pub.signers);
	S.workers[S.nworkers++] = w;
	return OA_OK;
}

/* This thread's worker: one of those opened at start, or a new one; NULL
 * when none can be opened. */
static const web_worker *thread_worker(void)
{
	inst *in = NULL;
	int taken = 0;

	if (t_worker.in)
		return &t_worker;
	pthread_mutex_lock(&S.lock);
	if (S.next_free < S.nworkers) {
		t_worker = S.workers[S.next_free++];
		taken = 1;
	}
	pthread_mutex_unlock(&S.lock);
	if (taken)
		return &t_worker;
	if (inst_open(S.dir, &in) != OA_OK)
		return NULL;
	pthread_mutex_lock(&S.lock);
	if (add_worker(in) == OA_OK) {
		S.next_free = S.nworkers; /* it is taken */
		t_worker = S.workers[S.nworkers - 1];
		taken = 1;
	}
	pthread_mutex_unlock(&S.lock);
	return taken ? &t_worker : NULL;
}

/* ---- parsing the request ---- */

static unsigned method_of(const char *m)
{
	static const struct {
		const char *name;
		unsigned bit;
	} ms[] = {{"GET", WEB_GET}, {"HEAD", WEB_HEAD}, {"POST", WEB_POST}, {"PUT", WEB_PUT},
	    {"PATCH", WEB_PATCH}, {"DELETE", WEB_DELETE}, {"OPTIONS", WEB_OPTIONS}};

	for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
		if (strcmp(m, ms[i].name) == 0)
			return ms[i].bit;
	return 0;
}

struct hdr_count {
	size_t n, bytes;
};

static enum MHD_Result count_hdr(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct hdr_count *h = cls;

	(void)kind;
	h->n++;
	h->bytes += strlen(key) + (value ? strlen(value) : 0);
	return MHD_YES;
}

/*
 * %XX decoding for the path and query arguments (MHD's default does the
 * same), except that %00 becomes 0x7f instead of ending the string early,
 * so that "/pki/root.crt%00.x" is refused (control character) rather than
 * read as "/pki/root.crt".  Malformed escapes stay as they are.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;

	(void)cls;
	(void)c;
	for (const char *p = s; *p; p++) {
		int hi, lo;
		if (*p == '%' && (hi = oa_hexval(p[1])) >= 0 && (lo = oa_hexval(p[2])) >= 0) {
			int v = hi * 16 + lo;
			*w++ = v == 0 ? 0x7f : (char)v;
			p += 2;
		} else
			*w++ = *p;
	}
	*w = 0;
	return (size_t)(w - s);
}

static int path_clean(const char *p)
{
	if (*p != '/')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Checks limits and finds the route; replies (and returns 0) on refusal. */
static int admit(web_req *r, const char *url, const char *version)
{
	struct hdr_count h = {0}, q = {0};
	unsigned allowed = 0;
	char allow[64];
	const char *cl;

	if (strlen(url) > OA_WEB_MAX_URL) {
		web_reply_fail(r, 414, "uri_too_long", "Alamat (URL) terlalu panjang",
		    "The request target is longer than the limit");
		return 0;
	}
	/* RFC 9112 3.2: an HTTP/1.1 request without Host is a 400 (MHD lets
	 * it through unless strict, and strict would answer it in HTML). */
	if (version && strcmp(version, MHD_HTTP_VERSION_1_1) == 0 &&
	    !MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)) {
		web_reply_fail(r, 400, oa_err_name(OA_ERR_INVALID), "Kepala Host tidak ada",
		    "An HTTP/1.1 request needs a Host header field");
		return 0;
	}
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_hdr, &h);
	if (h.n > OA_WEB_MAX_HEADERS || h.bytes > OA_WEB_MAX_HEADER_BYTES) {
		web_reply_fail(r, 431, "headers_too_large", "Kepala permintaan terlalu besar",
		    "Too many or too large request header fields");
		return 0;
	}
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, count_hdr, &q);
	if (q.n > OA_WEB_MAX_QUERY_PARAMS) {
		web_reply_fail(r, 414, "uri_too_long", "Terlalu banyak parameter",
		    "Too many query parameters");
		return 0;
	}
	if (!path_clean(url)) {
		web_reply_fail(r, 400, oa_err_name(OA_ERR_INVALID), "Alamat (URL) tidak sah",
		    "The request path is not valid");
		return 0;
	}
	if ((r->route = web_route_find(r, url, r->method, &allowed)) < 0) {
		if (allowed == 0) {
			web_reply_fail(r, 404, oa_err_name(OA_ERR_NOTFOUND), "Tidak ditemukan",
			    "No such resource");
			return 0;
		}
		web_methods_str(allowed, allow, sizeof allow);
		web_reply_fail(r, 405, "method_not_allowed", "Metode tidak diizinkan",
		    "Method not allowed for this resource");
		web_header(r, MHD_HTTP_HEADER_ALLOW, allow);
		return 0;
	}
	r->body_max = web_route_at(r->route)->max_body;
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		char *end;
		unsigned long long n;
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno || end == cl || *end || n > r->body_max) {
			web_reply_fail(r, 413, oa_err_name(OA_ERR_LIMIT), "Isi permintaan terlalu besar",
			    "The request body is larger than this resource accepts");
			return 0;
		}
	}
	return 1;
}

static void dispatch(web_req *r)
{
	const web_worker *w;

	if (r->too_large) {
		web_reply_fail(r, 413, oa_err_name(OA_ERR_LIMIT), "Isi permintaan terlalu besar",
		    "The request body is larger than this resource accepts");
		return;
	}
	if ((w = thread_worker()) == NULL) {
		snprintf(r->errmsg, sizeof r->errmsg, "%s", oa_errmsg());
		web_reply_fail(r, 503, "unavailable", "Layanan sedang tidak tersedia",
		    "The service is unavailable");
		return;
	}
	r->in = w->in;
	r->ca = w->ca;
	r->engine = w->engine;
	r->auth = w->auth;
	web_route_at(r->route)->fn(r);
	oa_err_clear();
}

static enum MHD_Result queue(web_req *r)
{
	enum MHD_Result ok;

	if (r->resp == NULL)
		web_reply_fail(r, 500, oa_err_name(OA_ERR_INTERNAL), "Kesalahan internal server",
		    "Internal server error");
	if (r->resp == NULL)
		return MHD_NO;
	ok = MHD_queue_response(r->conn, r->status, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size,
    void **req_cls)
{
	web_req *r = *req_cls;

	(void)cls;
	if (r == NULL) {
		uint64_t n = atomic_fetch_add(&S.seq, 1) + 1;
		if ((r = calloc(1, sizeof *r)) == NULL)
			return MHD_NO;
		*req_cls = r;
		atomic_fetch_add(&S.inflight, 1);
		r->srv = web_srv;
		r->conn = conn;
		r->start_ns = now_ns();
		r->route = -1;
		r->path = url;
		snprintf(r->id, sizeof r->id, "%08" PRIx32 "%08" PRIx64, S.id_prefix,
		    n & 0xffffffffu);
		r->method = method_of(method);
		snprintf(r->method_name, sizeof r->method_name, "%s", r->method ? method : "OTHER");
		/* A refusal is answered at once (MHD then discards any body and
		 * closes the connection); an admitted request is answered once
		 * the body, if any, has arrived, so the connection stays open. */
		if (!admit(r, url, version))
			return queue(r);
		return MHD_YES;
	}
	if (r->job != NULL) {
		/* Resumed: the committer is done with the job. */
		web_job *j = r->job;
		if (!atomic_load_explicit(&j->finished, memory_order_acquire))
			return MHD_YES;
		r->job = NULL;
		if (j->rc) {
			oa_fail(j->rc, "%s", j->msg);
			store_set_last_busy(j->busy);
		}
		j->done(r, j);
		oa_err_clear();
		return queue(r);
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (r->too_large || r->body_len + n > r->body_max) {
			r->too_large = 1;
			/* Discarded; 413 once the body ends.  A body that goes on
			 * (chunked, no length) past OA_WEB_MAX_BODY more is cut off:
			 * the connection is closed without an answer. */
			r->discarded += n;
			return r->discarded > OA_WEB_MAX_BODY ? MHD_NO : MHD_YES;
		}
		if (r->body == NULL && (r->body = web_alloc(r, r->body_max + 1)) == NULL)
			return MHD_NO;
		memcpy(r->body + r->body_len, upload, n);
		r->body_len += n;
		r->body[r->body_len] = 0;
		return MHD_YES;
	}
	dispatch(r);
	if (r->job != NULL)
		return MHD_YES; /* suspended until its commit */
	return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode term)
{
	web_req *r = *req_cls;
	uint64_t dur;

	(void)cls;
	(void)conn;
	if (r == NULL)
		return;
	dur = now_ns() - r->start_ns;
	web_reqlog(r, term, dur);
	web_metrics_observe(r->route, r->status, dur);
	if (r->resp)
		MHD_destroy_response(r->resp);
	web_arena_free(r);
	free(r);
	*req_cls = NULL;
	atomic_fetch_sub(&S.inflight, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	int n;

	(void)cls;
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0)
		return;
	while (n > 0 && (buf[n - 1] == '\n' || (size_t)n >= sizeof buf))
		buf[--n] = 0;
	fprintf(stderr, "openams: web: %s\n", buf);
}

/* ---- the scheduler ---- */

/* One delivery pass of the mail outbox (mail_deliver never holds a
 * transaction while it talks to the SMTP server); returns the next time a
 * message is due, 0 if none. */
static int64_t deliver_mail(inst *in)
{
	mail_stats st = {0};
	int64_t next = 0;
	oa_err rc;

	if (!*conf_str(inst_conf(in), "mail.smtp_url"))
		return 0; /* the database sink: messages are kept, nothing to send */
	if ((rc = mail_deliver(inst_store(in), inst_conf(in), 50, &st)))
		fprintf(stderr, "openams: web: mail: %s: %s\n", oa_err_name(rc), oa_errmsg());
	oa_err_clear();
	if (mail_next_due(inst_store(in), &next) != OA_OK)
		next = 0;
	return next;
}

/* The scheduler lease's holder when it is a process of this host that no
 * longer exists (a server killed and started again): taken at once rather
 * than after its lease runs out.  NULL otherwise. */
static const char *stale_holder(store *s, char *buf, size_t bufsz)
{
	if (store_lease_holder(s, "scheduler", buf, bufsz) != OA_OK) {
		oa_err_clear();
		return NULL;
	}
	return buf[0] && oa_process_gone(buf) ? buf : NULL;
}

static void *scheduler(void *arg)
{
	inst *in = arg;
	ca *c = inst_ca(in);
	int64_t recovered = 0;
	engine *eng = NULL;
	const char *holder = oa_process_id();
	char stale[129];
	int was_held = -1;

	/* SLA reminders and escalations: the engine on the scheduler's handle. */
	if (engine_open(in, &eng) != OA_OK) {
		fprintf(stderr, "openams: web: scheduler: no SLA reminders: %s\n", oa_errmsg());
		eng = NULL;
	}

	/* Messages a crash left in "sending" go out again, same bytes and
	 * Message-ID (only this process delivers for this data directory). */
	if (*conf_str(inst_conf(in), "mail.smtp_url") && mail_recover(inst_store(in), &recovered) == OA_OK &&
	    recovered > 0)
		fprintf(stderr, "openams: web: mail: %lld message(s) from before a stop requeued\n",
		    (long long)recovered);
	/* Several servers on one database: the scheduled duties (CRLs, the OCSP
	 * responder's renewal, reminders, redaction) run only in the process
	 * holding the "scheduler" lease (store/lease.c), renewed every round;
	 * another takes over once it has expired.  Mail goes out from every
	 * process (each message has a lease of its own). */
	pthread_mutex_lock(&S.sched_lock);
	while (!S.sched_stop) {
		int64_t mail_due;
		int held = 0;
		pthread_mutex_unlock(&S.sched_lock);
		if (store_lease(inst_store(in), "scheduler", holder,
		        stale_holder(inst_store(in), stale, sizeof stale), oa_now(),
		        S.crl_check_s * 3 > 30 ? S.crl_check_s * 3 : 30, &held) != OA_OK) {
			fprintf(stderr, "openams: web: scheduler: lease: %s\n", oa_errmsg());
			held = 0;
		}
		oa_err_clear();
		if (held != was_held)
			fprintf(stderr, "openams: web: scheduler: %s\n", held ? "this process runs the "
			    "scheduled duties (lease taken)" : "another process runs the scheduled duties");
		was_held = held;
		for (int root = 0; held && root <= 1; root++) {
			int due = 0;
			oa_err rc = ca_crl_due(c, root, &due);
			if (rc == OA_OK && due)
				rc = ca_crl_publish(c, root, NULL, NULL);
			if (rc)
				fprintf(stderr, "openams: web: scheduler: %s CRL: %s: %s\n",
				    root ? "root" : "issuing", oa_err_name(rc), oa_errmsg());
			else if (due)
				fprintf(stderr, "openams: web: scheduler: published the %s CRL\n",
				    root ? "root" : "issuing");
			oa_err_clear();
		}
		if (held) {
			/* The delegated OCSP responder, renewed before it expires. */
			ca_ocsp_renewal ren;
			if (ca_ocsp_renew(c, 0, "scheduler", &ren) != OA_OK)
				fprintf(stderr, "openams: web: scheduler: OCSP responder renewal: %s\n",
				    oa_errmsg());
			else if (ren.renewed)
				fprintf(stderr, "openams: web: scheduler: renewed the OCSP responder"
				                " certificate (serial %s, was %s)\n",
				    ren.new_serial, ren.old_serial);
			oa_err_clear();
		}
		if (eng && held) {
			int64_t reminded = 0;
			if (engine_remind(eng, oa_now(), &reminded) != OA_OK)
				fprintf(stderr, "openams: web: scheduler: SLA reminders: %s\n", oa_errmsg());
			oa_err_clear();
		}
		mail_due = deliver_mail(in);
		if (held) {
			/* Expired one-time links leave the outbox's undelivered bytes. */
			int64_t redacted = 0;
			if (mail_redact_expired(inst_store(in), inst_conf(in), oa_now(), &redacted) != OA_OK)
				fprintf(stderr, "openams: web: scheduler: mail redaction: %s\n", oa_errmsg());
			else if (redacted > 0)
				fprintf(stderr, "openams: web: mail: %lld expired link(s) removed from the outbox\n",
				    (long long)redacted);
			oa_err_clear();
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		{
			/* Wake for the next CRL check, or sooner for a message due; with
			 * a mail server configured, look at the outbox every 2 s (other
			 * processes enqueue too, and cannot wake this thread). */
			int64_t wait = S.crl_check_s, now = oa_now();
			if (*conf_str(inst_conf(in), "mail.smtp_url") && wait > 2)
				wait = 2;
			if (mail_due > 0 && mail_due - now < wait)
				wait = mail_due - now < 1 ? 1 : mail_due - now;
			ts.tv_sec += (time_t)wait;
		}
		pthread_mutex_lock(&S.sched_lock);
		while (!S.sched_stop) {
			if (pthread_cond_timedwait(&S.sched_cond, &S.sched_lock, &ts) == ETIMEDOUT)
				break;
		}
	}
	pthread_mutex_unlock(&S.sched_lock);
	/* a clean stop: another server takes the duties over at once */
	if (was_held == 1 && store_lease_release(inst_store(in), "scheduler", holder) != OA_OK)
		oa_err_clear();
	engine_free(eng);
	return NULL;
}

/* ---- start and stop ---- */

typedef struct listen_addr {
	struct sockaddr_storage ss;
	int v6, loopback;
	unsigned port;
} listen_addr;

static oa_err parse_listen(const char *s, listen_addr *a)
{
	char host[64];
	const char *colon, *ps;
	char *end;
	unsigned long port;

	memset(a, 0, sizeof *a);
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof host)
			return oa_fail(OA_ERR_CONFIG, "listen address '%s': expected [IPv6]:PORT", s);
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = 0;
		ps = rb + 2;
		a->v6 = 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL || (size_t)(colon - s) >= sizeof host)
			return oa_fail(OA_ERR_CONFIG, "listen address '%s': expected ADDR:PORT", s);
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
		ps = colon + 1;
	}
	errno = 0;
	port = strtoul(ps, &end, 10);
	if (*ps == 0 || *end || errno || port > 65535)
		return oa_fail(OA_ERR_CONFIG, "listen address '%s': bad port", s);
	a->port = (unsigned)port;
	if (a->v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return oa_fail(OA_ERR_CONFIG, "listen address '%s': bad IPv6 address", s);
		a->loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return oa_fail(OA_ERR_CONFIG, "listen address '%s': bad IPv4 address"
			                              " (names are not resolved)", s);
		a->loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	return OA_OK;
}

static oa_err read_rel(const char *dir, const char *rel, uint8_t **out, size_t *len)
{
	char path[OA_MAX_PATH];
	oa_err rc;

	if (rel[0] == '/')
		return oa_read_file(rel, 1024 * 1024, out, len);
	if ((rc = oa_path_join(path, sizeof path, dir, rel)))
		return rc;
	return oa_read_file(path, 1024 * 1024, out, len);
}

/* An instance whose issuing CA waits for its certificate from an external
 * root (init --external-root): nothing works yet, so every path, /healthz
 * first, answers 503 with error.code issuing_ca_pending and the reason;
 * restart serve after openams ca import-issuing. */
static enum MHD_Result on_pending(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size,
    void **req_cls)
{
	const char *body = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)url;
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req_cls;
	resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The pending answer's JSON, malloc'd; NULL when out of memory. */
static char *pending_body(const char *why)
{
	json_t *j = json_pack("{s:s,s:{s:s,s:{s:s,s:s}}}", "status", "unavailable", "error", "code",
	    CA_PENDING_TAG, "message", "id", "CA penerbit menunggu sertifikatnya dari root eksternal"
	    " (openams ca import-issuing)", "en", why);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

oa_err web_serve(const web_opts *o)
{
	conf *pcfg = NULL;     /* pending: the configuration, there being no instance handle */
	char *pending = NULL;  /* pending: the answer to every request */
	inst *main_in = NULL, *sched_in = NULL;
	const conf *cfg;
	const char *listen;
	listen_addr la;
	struct MHD_Daemon *d = NULL;
	struct MHD_OptionItem opts[24];
	uint8_t *tls_cert = NULL, *tls_key = NULL;
	size_t cert_len = 0, key_len = 0, no = 0;
	unsigned flags, threads;
	long ncpu;
	sigset_t sigs;
	int sig = 0, sched_started = 0, commit_started = 0;
	MHD_socket lsock = MHD_INVALID_SOCKET;
	oa_err rc;

	memset(&S.pub, 0, sizeof S.pub);
	if (strlen(o->dir) >= sizeof S.dir)
		return oa_fail(OA_ERR_LIMIT, "data directory path too long");
	snprintf(S.dir, sizeof S.dir, "%s", o->dir);
	if ((rc = inst_open(o->dir, &main_in))) {
		if (rc != OA_ERR_STATE || strncmp(oa_errmsg(), CA_PENDING_TAG, strlen(CA_PENDING_TAG)) != 0)
			return rc;
		fprintf(stderr, "openams: web: %s\n", oa_errmsg());
		if ((pending = pending_body(oa_errmsg())) == NULL)
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		if ((rc = conf_load_instance(o->dir, &pcfg))) {
			free(pending);
			return rc;
		}
	}
	cfg = pending ? pcfg : inst_conf(main_in);
	listen = o->listen ? o->listen : conf_str(cfg, "web.listen");
	if ((rc = parse_listen(listen, &la)))
		goto out;
	if (*conf_str(cfg, "web.tls_cert") || *conf_str(cfg, "web.tls_key")) {
		if (!*conf_str(cfg, "web.tls_cert") || !*conf_str(cfg, "web.tls_key")) {
			rc = oa_fail(OA_ERR_CONFIG, "web.tls_cert and web.tls_key go together");
			goto out;
		}
		if ((rc = read_rel(o->dir, conf_str(cfg, "web.tls_cert"), &tls_cert, &cert_len)) ||
		    (rc = read_rel(o->dir, conf_str(cfg, "web.tls_key"), &tls_key, &key_len)))
			goto out;
		S.pub.tls = 1;
	}
	if (!S.pub.tls && !la.loopback && strcmp(conf_str(cfg, "web.allow_plain_http"), "yes") != 0) {
		rc = oa_fail(OA_ERR_CONFIG, "refusing plain HTTP on %s, which is not a loopback"
		                            " address: set web.tls_cert and web.tls_key, or"
		                            " web.allow_plain_http = yes behind a TLS proxy", listen);
		goto out;
	}
	S.pub.public_certs = strcmp(conf_str(cfg, "web.public_certificates"), "yes") == 0;
	S.pub.ocsp_cache_s = (int)conf_int(cfg, "web.ocsp_cache_seconds");
	web_reqlog_init((int)conf_int(cfg, "web.log_pki_every"));
	S.crl_check_s = (int)conf_int(cfg, "web.crl_check_seconds");
	threads = (unsigned)conf_int(cfg, "web.threads");
	if (threads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		threads = ncpu < 1 ? 1 : ncpu > OA_WEB_MAX_THREADS ? OA_WEB_MAX_THREADS : (unsigned)ncpu;
	}
	if (pending)
		goto listen_now;
	/* signer.processes: 0 leaves each handle that signs its own signer. */
	if (conf_int(cfg, "signer.processes") > 0 &&
	    (rc = ca_signers_new(o->dir, (unsigned)conf_int(cfg, "signer.processes"), &S.pub.signers)))
		goto out;
	web_srv = &S.pub;
	if (RAND_bytes((unsigned char *)&S.id_prefix, sizeof S.id_prefix) != 1)
		S.id_prefix = (uint32_t)getpid();
	if ((rc = web_pki_init(inst_ca(main_in))) || (rc = web_metrics_init()))
		goto out;
	/* One worker's handles per thread, opened now so that a broken
	 * instance fails before we listen; the main one goes to the first. */
	if ((rc = add_worker(main_in))) {
		main_in = NULL; /* freed by add_worker */
		goto out;
	}
	main_in = NULL; /* owned by the list now; cfg stays valid until the end */
	for (unsigned i = 1; i < threads; i++) {
		inst *in;
		if ((rc = inst_open(o->dir, &in)) || (rc = add_worker(in)))
			goto out;
	}
	if ((rc = inst_open(o->dir, &sched_in)))
		goto out;
	if (S.pub.signers)
		inst_use_signers(sched_in, S.pub.signers);
	/* The committer: the API's state changes, group-committed. */
	if ((rc = web_commit_start(o->dir, S.pub.signers)))
		goto out;
	commit_started = 1;

listen_now:
	/* Signals: blocked in every thread (inherited), taken by sigwait below. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

#define OPT(k, v, p) (opts[no++] = (struct MHD_OptionItem){(k), (intptr_t)(v), (p)})
	OPT(MHD_OPTION_SOCK_ADDR, 0, &la.ss);
	OPT(MHD_OPTION_CONNECTION_LIMIT, conf_int(cfg, "web.max_connections"), NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, conf_int(cfg, "web.max_connections_per_ip"), NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, conf_int(cfg, "web.timeout_seconds"), NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, OA_WEB_CONN_MEMORY, NULL);
	if (!pending)
		OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL);
	OPT(MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL);
	OPT(MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL);
	OPT(MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL);
	if (threads > 1)
		OPT(MHD_OPTION_THREAD_POOL_SIZE, threads, NULL);
	if (S.pub.tls) {
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key);
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0,
		    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE");
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG |
	    MHD_ALLOW_SUSPEND_RESUME;
	if (la.v6)
		flags |= MHD_USE_IPv6;
	if (S.pub.tls)
		flags |= MHD_USE_TLS;
	d = MHD_start_daemon(flags, (uint16_t)la.port, NULL, NULL, pending ? on_pending : on_request,
	    pending,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, /* first, so it gets everything */
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (d == NULL) {
		rc = oa_fail(OA_ERR_IO, "cannot listen on %s (in use, or not an address of this host?)",
		    listen);
		goto out;
	}
	if (pending)
		; /* no scheduler: nothing to publish */
	else if (pthread_create(&S.sched, NULL, scheduler, sched_in) == 0)
		sched_started = 1;
	else
		fprintf(stderr, "openams: web: cannot start the CRL scheduler\n");
	{
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		char host[INET6_ADDRSTRLEN] = "?";
		if (la.v6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&la.ss)->sin6_addr, host, sizeof host);
		else
			inet_ntop(AF_INET, &((struct sockaddr_in *)&la.ss)->sin_addr, host, sizeof host);
		char signers[64];
		if (pending)
			snprintf(signers, sizeof signers, "%s: 503 on every path", CA_PENDING_TAG);
		else if (S.pub.signers)
			snprintf(signers, sizeof signers, "%u signer process%s",
			    ca_signers_count(S.pub.signers), ca_signers_count(S.pub.signers) == 1 ? "" : "es");
		else
			snprintf(signers, sizeof signers, "a signer process per thread that signs");
		fprintf(stderr, "openams: listening on %s://%s%s%s:%u (%u worker thread%s, %s)\n",
		    S.pub.tls ? "https" : "http", la.v6 ? "[" : "", host, la.v6 ? "]" : "",
		    di ? di->port : la.port, threads, threads == 1 ? "" : "s", signers);
	}

	while (sigwait(&sigs, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;
	fprintf(stderr, "openams: web: %s: stopping (no new connections; requests in flight"
	                " finish)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	atomic_store(&S.pub.shutting_down, 1);
	lsock = MHD_quiesce_daemon(d);
	/* Stop listening now, so that new connections are refused at once
	 * instead of waiting in the backlog until the end; the descriptor
	 * stays open (and not reusable) until MHD has stopped. */
	if (lsock != MHD_INVALID_SOCKET)
		shutdown(lsock, SHUT_RDWR);
	{
		uint64_t deadline = now_ns() + (uint64_t)conf_int(cfg, "web.shutdown_grace_seconds") * 1000000000u;
		int idle_ms = 0;
		while (now_ns() < deadline) {
			const union MHD_DaemonInfo *di = MHD_get_daemon_info(d,
			    MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
			struct timespec ts = {0, 20 * 1000 * 1000};
			if (di == NULL || di->num_connections == 0)
				break;
			/* Connections left with nothing in flight for half a second
			 * are idle keep-alives: close them. */
			if (atomic_load(&S.inflight) == 0) {
				if ((idle_ms += 20) >= 500)
					break;
			} else
				idle_ms = 0;
			nanosleep(&ts, NULL);
		}
	}
	rc = OA_OK;
out:
	/* Before MHD stops: no connection may stay suspended. */
	if (commit_started)
		web_commit_stop();
	if (d)
		MHD_stop_daemon(d);
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
	if (sched_started) {
		pthread_mutex_lock(&S.sched_lock);
		S.sched_stop = 1;
		pthread_cond_signal(&S.sched_cond);
		pthread_mutex_unlock(&S.sched_lock);
		pthread_join(S.sched, NULL);
	}
	inst_free(sched_in);
	inst_free(main_in);
	for (size_t i = 0; i < S.nworkers; i++) {
		auth_free(S.workers[i].auth);
		engine_free(S.workers[i].engine);
		inst_free(S.workers[i].in);
	}
	free(S.workers);
	S.workers = NULL;
	S.nworkers = S.cap = S.next_free = 0;
	/* After every handle that signs through them. */
	ca_signers_free(S.pub.signers);
	S.pub.signers = NULL;
	web_pki_free();
	web_metrics_free();
	web_ocsp_free();
	web_srv = NULL;
	conf_free(pcfg);
	free(pending);
	free(tls_cert);
	if (tls_key) {
		oa_wipe(tls_key, key_len);
		free(tls_key);
	}
	if (rc == OA_OK)
		fprintf(stderr, "openams: web: stopped\n");
	return rc;
}
