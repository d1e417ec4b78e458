/*
 * smtp.c - delivery of the outbox through SMTP (libcurl), with retries.
 *
 * One pass: claim due messages (one transaction: state sending, attempt
 * counted, a lease), send each with no transaction open, record each
 * outcome in its own transaction.  A process killed mid-pass leaves its
 * messages in sending; once the lease expires the next pass sends the same
 * stored bytes again, so a receiver sees at worst the same Message-ID
 * twice, never a different message.
 *
 * It must never log, store or report the SMTP password: it is read from
 * mail.password_file (or OPENAMS_MAIL_PASSWORD) for one pass, handed to
 * libcurl, and wiped; curl's verbose mode (which prints AUTH exchanges) is
 * never enabled, and credentials in mail.smtp_url are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "../common/proc.h"
#include "../audit/audit.h"
#include "mailInt.h"

#define MAX_PASSWORD 1024

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* smtp://HOST[:PORT][/EHLO-DOMAIN] or smtps://..., no user information. */
static oa_err check_url(const char *url, int *tls, int *loopback)
{
	const char *host;
	size_t hl;

	if (strncmp(url, "smtp://", 7) == 0) {
		*tls = 0;
		host = url + 7;
	} else if (strncmp(url, "smtps://", 8) == 0) {
		*tls = 1;
		host = url + 8;
	} else {
		return oa_fail(OA_ERR_CONFIG, "mail.smtp_url must start with smtp:// or smtps://");
	}
	if (strpbrk(url, " \"<>\\^`{|}") != NULL || !oa_is_clean_utf8(url))
		return oa_fail(OA_ERR_CONFIG, "mail.smtp_url has characters not allowed in a URL");
	hl = strcspn(host, "/?#");
	if (memchr(host, '@', hl) != NULL)
		return oa_fail(OA_ERR_CONFIG, "mail.smtp_url must not hold a user name or password:"
		                              " use mail.username and mail.password_file");
	if (hl == 0 || host[0] == ':')
		return oa_fail(OA_ERR_CONFIG, "mail.smtp_url has no host");
	*loopback = strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost", 9) == 0 ||
	            strncmp(host, "[::1]", 5) == 0;
	return OA_OK;
}

/*
 * The SMTP password for this pass (caller wipes it with oa_free_secret), or
 * NULL with OA_OK when none is configured.
 */
static oa_err read_password(const conf *cfg, char **out)
{
	const char *path = conf_str(cfg, "mail.password_file"), *env;
	struct stat sb;
	uint8_t *data = NULL;
	size_t len = 0;
	int fd;
	oa_err rc;

	*out = NULL;
	if (*path == 0) {
		if ((env = getenv("OPENAMS_MAIL_PASSWORD")) != NULL && *env)
			return (*out = oa_strdup(env)) ? OA_OK : OA_ERR_NOMEM;
		return OA_OK;
	}
	if (path[0] != '/')
		return oa_fail(OA_ERR_CONFIG, "mail.password_file must be an absolute path");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return oa_fail(OA_ERR_CONFIG, "mail.password_file %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return oa_fail(OA_ERR_CONFIG, "mail.password_file %s is not a regular file", path);
	}
	close(fd);
	if (sb.st_mode & 0007)
		return oa_fail(OA_ERR_CONFIG, "mail.password_file %s is readable by others (chmod 600)",
		    path);
	if ((rc = oa_read_file(path, MAX_PASSWORD, &data, &len)))
		return oa_fail(OA_ERR_CONFIG, "mail.password_file: %s", oa_errmsg());
	len = strcspn((char *)data, "\r\n");
	data[len] = 0;
	if (len == 0) {
		oa_free_secret((char *)data);
		return oa_fail(OA_ERR_CONFIG, "mail.password_file %s is empty", path);
	}
	*out = (char *)data;
	return OA_OK;
}

struct reader {
	const uint8_t *p;
	size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct reader *r = arg;
	size_t want = size * n, left = r->len - r->off;

	if (want > left)
		want = left;
	memcpy(buf, r->p + r->off, want);
	r->off += want;
	return want;
}

enum outcome { SENT, TRANSIENT, PERMANENT, UNREACHABLE };

struct sender {
	CURL *h;
	const conf *cfg;
	char errbuf[CURL_ERROR_SIZE];
	char from[OA_MAX_EMAIL_CHARS + 3];
};

static oa_err sender_open(struct sender *sd, const conf *cfg, int tls, int loopback)
{
	char *password = NULL;
	const char *user = conf_str(cfg, "mail.username"), *ca = conf_str(cfg, "mail.ca_file");
	int starttls = strcmp(conf_str(cfg, "mail.starttls"), "yes") == 0;
	long timeout = (long)conf_int(cfg, "mail.timeout_seconds");
	oa_err rc;

	memset(sd, 0, sizeof *sd);
	sd->cfg = cfg;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return oa_fail(OA_ERR_INTERNAL, "mail: libcurl did not initialise");
	if (*user && !tls && !starttls && !loopback)
		return oa_fail(OA_ERR_CONFIG, "mail: refusing to send the SMTP password in clear text to"
		                              " a remote server: set mail.starttls = yes or use smtps://");
	if (*ca && ca[0] != '/')
		return oa_fail(OA_ERR_CONFIG, "mail.ca_file must be an absolute path");
	if (*user && (rc = read_password(cfg, &password)))
		return rc;
	if ((sd->h = curl_easy_init()) == NULL) {
		oa_free_secret(password);
		return oa_fail(OA_ERR_NOMEM, "mail: curl_easy_init failed");
	}
	snprintf(sd->from, sizeof sd->from, "<%s>", conf_str(cfg, "mail.from"));
	curl_easy_setopt(sd->h, CURLOPT_URL, conf_str(cfg, "mail.smtp_url"));
	curl_easy_setopt(sd->h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(sd->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(sd->h, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(sd->h, CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L);
	curl_easy_setopt(sd->h, CURLOPT_ERRORBUFFER, sd->errbuf);
	curl_easy_setopt(sd->h, CURLOPT_USE_SSL,
	    (long)(tls || starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
	curl_easy_setopt(sd->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(sd->h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (*ca)
		curl_easy_setopt(sd->h, CURLOPT_CAINFO, ca);
	if (*user) {
		curl_easy_setopt(sd->h, CURLOPT_USERNAME, user);
		if (password != NULL)
			curl_easy_setopt(sd->h, CURLOPT_PASSWORD, password); /* curl keeps a copy */
	}
	oa_free_secret(password);
	curl_easy_setopt(sd->h, CURLOPT_MAIL_FROM, sd->from);
	curl_easy_setopt(sd->h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(sd->h, CURLOPT_UPLOAD, 1L);
	return OA_OK;
}

static void sender_close(struct sender *sd)
{
	if (sd->h != NULL) {
		/* libcurl keeps the password in the handle: overwrite it first. */
		curl_easy_setopt(sd->h, CURLOPT_PASSWORD, "");
		curl_easy_cleanup(sd->h);
	}
	sd->h = NULL;
}

static enum outcome send_one(struct sender *sd, const char *rcpt, const uint8_t *raw, size_t len,
    char *err, size_t errsz)
{
	struct curl_slist *to = NULL;
	struct reader rd = {raw, len, 0};
	char addr[OA_MAX_EMAIL_CHARS + 3];
	long code = 0;
	CURLcode cc;

	snprintf(addr, sizeof addr, "<%s>", rcpt);
	if ((to = curl_slist_append(NULL, addr)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return TRANSIENT;
	}
	sd->errbuf[0] = 0;
	curl_easy_setopt(sd->h, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(sd->h, CURLOPT_READDATA, &rd);
	curl_easy_setopt(sd->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	cc = curl_easy_perform(sd->h);
	curl_easy_getinfo(sd->h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(sd->h, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(to);
	if (cc == CURLE_OK)
		return SENT;
	snprintf(err, errsz, "%s%s%s (SMTP %ld)", curl_easy_strerror(cc), sd->errbuf[0] ? ": " : "",
	    sd->errbuf, code);
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return UNREACHABLE;
	case CURLE_OPERATION_TIMEDOUT:
		return code == 0 ? UNREACHABLE : TRANSIENT;
	default:
		break;
	}
	/* RFC 5321 section 4.2.1: 5yz is permanent, except authentication
	 * problems (RFC 4954: 530, 534, 535, 538), which an administrator fixes. */
	if (code >= 500 && code <= 599 && code != 530 && code != 534 && code != 535 && code != 538)
		return PERMANENT;
	return code == 530 || code == 534 || code == 535 || code == 538 ? UNREACHABLE : TRANSIENT;
}

/* Exponential backoff with jitter: base * 2^(attempts-1), capped, then a
 * random point between half and all of it. */
static int64_t backoff(const conf *cfg, int attempts)
{
	int64_t base = conf_int(cfg, "mail.backoff_seconds");
	int64_t cap = conf_int(cfg, "mail.backoff_max_seconds"), d = base;
	uint32_t r = 0;

	for (int i = 1; i < attempts && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = (uint32_t)rand();
	d = d / 2 + (int64_t)(r % (uint32_t)(d / 2 + 1));
	return d < 1 ? 1 : d;
}

struct claimed {
	int64_t id;
	int attempts;
};

static oa_err claim(store *s, const conf *cfg, int max, int sink, int64_t now,
    struct claimed *out, int *n)
{
	int64_t lease;
	store_stmt *st;
	oa_err rc;
	int r;

	*n = 0;
	if ((rc = store_begin(s)))
		return rc;
	st = store_prepare(s, "SELECT id, attempts FROM ("
	                      " SELECT id, attempts FROM mail_outbox"
	                      "  WHERE state = 'queued' AND next_attempt <= ?1"
	                      " UNION ALL"
	                      " SELECT id, attempts FROM mail_outbox"
	                      "  WHERE state = 'sending' AND lease_until <= ?1) AS due"
	                      " ORDER BY id LIMIT ?2");
	if (st == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, now);
	store_bind_int(st, 2, max);
	while ((r = store_step(st)) == STORE_ROW && *n < max) {
		out[*n].id = store_col_int(st, 0);
		out[*n].attempts = (int)store_col_int(st, 1);
		(*n)++;
	}
	store_reset(st);
	if (r == STORE_ERROR) {
		rc = OA_ERR_STORE;
		goto out;
	}
	/* Long enough for this batch sent one by one, each within the timeout;
	 * a crashed deliverer's messages are taken over once it expires. */
	lease = now + (int64_t)*n * (conf_int(cfg, "mail.timeout_seconds") + 5) + 60;
	for (int i = 0; i < *n && rc == OA_OK; i++) {
		if (sink) {
			/* No server: the database is the destination (a leftover
			 * sending row goes through queued, as the schema wants). */
			st = store_prepare(s, "UPDATE mail_outbox SET state = 'queued', lease_until = NULL"
			                      " WHERE id = ? AND state = 'sending'");
			if (st == NULL) {
				rc = OA_ERR_STORE;
				break;
			}
			store_bind_int(st, 1, out[i].id);
			if ((rc = store_run(st)) == OA_OK &&
			    (st = store_prepare(s, "UPDATE mail_outbox SET state = 'kept', done_at = ?"
			                           " WHERE id = ?")) == NULL)
				rc = OA_ERR_STORE;
			if (rc == OA_OK) {
				store_bind_int(st, 1, now);
				store_bind_int(st, 2, out[i].id);
				rc = store_run(st);
			}
			continue;
		}
		/* claimed_by: which process sends it (common/proc.h), so that a
		 * server starting on a shared database requeues only the messages
		 * of a process that is gone (mail_recover) */
		st = store_prepare(s, "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1,"
		                      " lease_until = ?, claimed_by = ? WHERE id = ?");
		if (st == NULL) {
			rc = OA_ERR_STORE;
			break;
		}
		store_bind_int(st, 1, lease);
		store_bind_text(st, 2, oa_process_id());
		store_bind_int(st, 3, out[i].id);
		rc = store_run(st);
		out[i].attempts++;
	}
out:
	if (rc) {
		store_rollback(s);
		*n = 0;
		return rc;
	}
	return store_commit(s);
}

/* Records the outcome of one attempt. */
static oa_err record(store *s, const conf *cfg, const struct claimed *c, enum outcome o,
    const char *err, int64_t now, mail_stats *ms)
{
	store_stmt *st;
	char object[32];
	int final = o == PERMANENT ||
	            (o != SENT && c->attempts >= (int)conf_int(cfg, "mail.max_attempts"));
	oa_err rc;

	if ((rc = store_begin(s)))
		return rc;
	if (o == SENT)
		st = store_prepare(s, "UPDATE mail_outbox SET state = 'sent', lease_until = NULL,"
		                      " done_at = ?1, last_error = NULL,"
		                      " raw = CASE WHEN secret = 1 THEN NULL ELSE raw END"
		                      " WHERE id = ?2 AND state = 'sending'");
	else if (final)
		st = store_prepare(s, "UPDATE mail_outbox SET state = 'failed', lease_until = NULL,"
		                      " done_at = ?1, last_error = ?3 WHERE id = ?2 AND state = 'sending'");
	else
		st = store_prepare(s, "UPDATE mail_outbox SET state = 'queued', lease_until = NULL,"
		                      " next_attempt = ?1, last_error = ?3"
		                      " WHERE id = ?2 AND state = 'sending'");
	if (st == NULL) {
		store_rollback(s);
		return OA_ERR_STORE;
	}
	store_bind_int(st, 1, o == SENT || final ? now : now + backoff(cfg, c->attempts));
	store_bind_int(st, 2, c->id);
	if (o != SENT)
		store_bind_text(st, 3, err);
	if ((rc = store_run(st))) {
		store_rollback(s);
		return rc;
	}
	if (o != SENT && final) {
		snprintf(object, sizeof object, "mail:%" PRId64, c->id);
		char detail[600];
		snprintf(detail, sizeof detail, "attempts=%d error=%s", c->attempts, err);
		if ((rc = audit_append(s, "system", "mail.failed", object, detail))) {
			store_rollback(s);
			return rc;
		}
	}
	if ((rc = store_commit(s)))
		return rc;
	if (o == SENT)
		ms->sent++;
	else if (final)
		ms->failed++;
	else
		ms->retried++;
	return OA_OK;
}

/* Puts claimed but untried messages back as they were. */
static oa_err release(store *s, const struct claimed *c, int n, int64_t next, mail_stats *ms)
{
	store_stmt *st;
	oa_err rc;

	if (n <= 0)
		return OA_OK;
	if ((rc = store_begin(s)))
		return rc;
	for (int i = 0; i < n && rc == OA_OK; i++) {
		if ((st = store_prepare(s, "UPDATE mail_outbox SET state = 'queued', lease_until = NULL,"
		                           " attempts = MAX(attempts - 1, 0), next_attempt = ?"
		                           " WHERE id = ? AND state = 'sending'")) == NULL) {
			rc = OA_ERR_STORE;
			break;
		}
		store_bind_int(st, 1, next);
		store_bind_int(st, 2, c[i].id);
		rc = store_run(st);
	}
	if (rc) {
		store_rollback(s);
		return rc;
	}
	if ((rc = store_commit(s)) == OA_OK)
		ms->released += n;
	return rc;
}

static oa_err load_one(store *s, int64_t id, char *rcpt, size_t rcptsz, oa_buf *raw)
{
	store_stmt *st = store_prepare(s, "SELECT rcpt, raw FROM mail_outbox WHERE id = ?");
	oa_err rc = OA_OK;
	size_t n = 0;
	const void *p;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, id);
	if (store_step(st) != STORE_ROW) {
		store_reset(st);
		return oa_fail(OA_ERR_STORE, "mail: message %" PRId64 " vanished", id);
	}
	snprintf(rcpt, rcptsz, "%s", store_col_text(st, 0));
	p = store_col_blob(st, 1, &n);
	raw->len = 0;
	if (n == 0)
		rc = oa_fail(OA_ERR_INTERNAL, "mail: message %" PRId64 " has no bytes to send", id);
	else
		rc = oa_buf_append(raw, p, n);
	store_reset(st);
	return rc;
}

oa_err mail_deliver(store *s, const conf *cfg, int max, mail_stats *ms)
{
	const char *url = conf_str(cfg, "mail.smtp_url");
	int sink = *url == 0, tls = 0, loopback = 0, n = 0, i;
	struct claimed *c = NULL;
	struct sender sd = {0};
	mail_stats dummy;
	oa_buf raw = {0};
	int64_t now = oa_now();
	oa_err rc;

	if (ms == NULL)
		ms = &dummy;
	memset(ms, 0, sizeof *ms);
	if (store_in_tx(s))
		return oa_fail(OA_ERR_INTERNAL, "mail_deliver: called inside a transaction");
	if (max <= 0 || max > 10000)
		return oa_fail(OA_ERR_INVALID, "mail_deliver: max must be 1..10000");
	if (!sink && (rc = check_url(url, &tls, &loopback)))
		return rc;
	if (!mail_addr_ok(conf_str(cfg, "mail.from")))
		return oa_fail(OA_ERR_CONFIG, "mail.from is not an e-mail address we accept");
	/* Open the sender first: a configuration error claims nothing. */
	if (!sink && (rc = sender_open(&sd, cfg, tls, loopback)))
		return rc;
	if ((c = calloc((size_t)max, sizeof *c)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = claim(s, cfg, max, sink, now, c, &n)))
		goto out;
	ms->claimed = n;
	if (sink) {
		ms->kept = n;
		goto out;
	}
	for (i = 0; i < n; i++) {
		char rcpt[OA_MAX_EMAIL_CHARS + 1], err[512];
		enum outcome o;

		if ((rc = load_one(s, c[i].id, rcpt, sizeof rcpt, &raw)))
			break;
		o = send_one(&sd, rcpt, raw.data, raw.len, err, sizeof err);
		now = oa_now();
		if ((rc = record(s, cfg, &c[i], o == UNREACHABLE ? TRANSIENT : o, err, now, ms)))
			break;
		if (o == UNREACHABLE) {
			/* Do not knock on a closed door n times: the rest wait as long
			 * as this one, without spending an attempt. */
			int64_t next = now + backoff(cfg, c[i].attempts);
			rc = release(s, c + i + 1, n - i - 1, next, ms);
			break;
		}
	}
	/* After a database failure mid-pass the remaining leases expire and a
	 * later pass takes those messages, with the same bytes. */
out:
	sender_close(&sd);
	oa_buf_free(&raw);
	free(c);
	return rc;
}
