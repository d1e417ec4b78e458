/*
 * outbox.c - the mail_outbox table (migration 6): enqueue in the caller's
 * transaction, and what administrators read and do (list, show, retry).
 *
 * It never sends anything (smtp.c does) and never writes a link token
 * anywhere but the message bytes: not in audit records, not in errors.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../audit/audit.h"
#include "../common/proc.h"
#include "mailInt.h"

#define MAIL_RECOVER_MAX_PROCS 64 /* gone claimers requeued in one start */

static oa_err stmt_fail(store *s, const char *what, int r)
{
	if (r == STORE_CONSTRAINT)
		return oa_fail(OA_ERR_INTERNAL, "mail: %s refused by the schema: %s", what,
		    store_constraint_msg(s));
	return OA_ERR_STORE;
}

static oa_err insert(store *s, const conf *cfg, const mail_msg *m, int64_t now, int64_t *id)
{
	struct mail_rendered r;
	store_stmt *st;
	int sink = *conf_str(cfg, "mail.smtp_url") == 0, res;
	char detail[OA_MAX_AUDIT_DETAIL], object[32];
	oa_err rc;

	/* Inside the write transaction: nobody else can take this id. */
	if ((st = store_prepare(s, "SELECT COALESCE(MAX(id), 0) + 1 FROM mail_outbox")) == NULL)
		return OA_ERR_STORE;
	if (store_step(st) != STORE_ROW) {
		store_reset(st);
		return OA_ERR_STORE;
	}
	*id = store_col_int(st, 0);
	store_reset(st);
	if ((rc = mail_render(cfg, m, *id, now, &r)))
		return rc;
	st = store_prepare(s, "INSERT INTO mail_outbox (id, event, lang, rcpt, rcpt_name, person,"
	                      " case_id, subject, message_id, secret, raw, state, attempts,"
	                      " next_attempt, created_at, done_at)"
	                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)");
	if (st == NULL) {
		oa_buf_free(&r.raw);
		return OA_ERR_STORE;
	}
	store_bind_int(st, 1, *id);
	store_bind_text(st, 2, mail_event_name(m->event));
	store_bind_text(st, 3, mail_lang(m));
	store_bind_text(st, 4, m->to_addr);
	store_bind_text(st, 5, m->to_name ? m->to_name : "");
	store_bind_text(st, 6, m->person && *m->person ? m->person : NULL);
	if (m->case_id > 0)
		store_bind_int(st, 7, m->case_id);
	else
		store_bind_null(st, 7);
	store_bind_text(st, 8, r.subject);
	store_bind_text(st, 9, r.message_id);
	store_bind_int(st, 10, (m->token != NULL && *m->token) || m->secret);
	store_bind_blob(st, 11, r.raw.data, r.raw.len);
	store_bind_text(st, 12, sink ? "kept" : "queued");
	store_bind_int(st, 13, now);
	store_bind_int(st, 14, now);
	if (sink)
		store_bind_int(st, 15, now);
	else
		store_bind_null(st, 15);
	res = store_step(st);
	store_reset(st);
	oa_buf_free(&r.raw);
	if (res != STORE_DONE)
		return stmt_fail(s, "the new message", res);
	snprintf(object, sizeof object, "mail:%" PRId64, *id);
	snprintf(detail, sizeof detail, "event=%s lang=%s to=%s%s%s case=%" PRId64 " message_id=%s%s",
	    mail_event_name(m->event), mail_lang(m), m->to_addr, m->person ? " person=" : "",
	    m->person ? m->person : "", m->case_id, r.message_id, sink ? " sink=database" : "");
	return audit_append(s, m->actor && *m->actor ? m->actor : "system", "mail.enqueue", object,
	    detail);
}

oa_err mail_enqueue(store *s, const conf *cfg, const mail_msg *m, int64_t *id)
{
	int64_t newid = 0;
	int own;
	oa_err rc;

	if (s == NULL || cfg == NULL || m == NULL)
		return oa_fail(OA_ERR_INTERNAL, "mail_enqueue: NULL argument");
	/* Everything is checked before the transaction: a refusal writes nothing. */
	if ((rc = mail_check(cfg, m)))
		return rc;
	if ((rc = store_tx_begin(s, &own)))
		return rc;
	rc = store_tx_end(s, own, insert(s, cfg, m, oa_now(), &newid));
	if (rc == OA_OK && id != NULL)
		*id = newid;
	return rc;
}

oa_err mail_retry(store *s, int64_t id, const char *actor)
{
	store_stmt *st;
	char object[32];
	int own, r;
	oa_err rc;

	if ((rc = store_tx_begin(s, &own)))
		return rc;
	if ((st = store_prepare(s, "SELECT state FROM mail_outbox WHERE id = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, id);
	r = store_step(st);
	if (r != STORE_ROW)
		rc = r == STORE_DONE ? oa_fail(OA_ERR_NOTFOUND, "no message %" PRId64, id)
		                     : OA_ERR_STORE;
	else if (strcmp(store_col_text(st, 0), "failed") != 0)
		rc = oa_fail(OA_ERR_STATE, "message %" PRId64 " is %s: only a failed message is retried",
		    id, store_col_text(st, 0));
	store_reset(st);
	if (rc)
		goto out;
	if ((st = store_prepare(s, "UPDATE mail_outbox SET state = 'queued', attempts = 0,"
	                           " next_attempt = ?, done_at = NULL WHERE id = ?")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, oa_now());
	store_bind_int(st, 2, id);
	if ((rc = store_run(st)))
		goto out;
	snprintf(object, sizeof object, "mail:%" PRId64, id);
	rc = audit_append(s, actor && *actor ? actor : "system", "mail.retry", object, NULL);
out:
	return store_tx_end(s, own, rc);
}

oa_err mail_recover(store *s, int64_t *n)
{
	char gone[MAIL_RECOVER_MAX_PROCS][OA_PROCESS_ID_MAX];
	int ngone = 0, own, step;
	int64_t now = oa_now(), total = 0;
	store_stmt *st;
	oa_err rc;

	if ((rc = store_tx_begin(s, &own)))
		return rc;
	/* Claimed by processes of this host that are gone (a crash, a kill):
	 * theirs go out again at once.  A live process's, or another host's
	 * before its lease runs out, are left to it. */
	if ((st = store_prepare(s, "SELECT DISTINCT claimed_by FROM mail_outbox"
	                           " WHERE state = 'sending' AND claimed_by IS NOT NULL"
	                           " AND lease_until > ?")) == NULL)
		return store_tx_end(s, own, OA_ERR_STORE);
	store_bind_int(st, 1, now);
	while ((step = store_step(st)) == STORE_ROW && ngone < MAIL_RECOVER_MAX_PROCS) {
		const char *id = store_col_text(st, 0);
		if (strlen(id) < OA_PROCESS_ID_MAX && oa_process_gone(id))
			snprintf(gone[ngone++], OA_PROCESS_ID_MAX, "%s", id);
	}
	store_reset(st);
	if (step == STORE_ERROR)
		return store_tx_end(s, own, OA_ERR_STORE);
	/* Older rows (no claimer recorded) and expired leases, as before. */
	if ((st = store_prepare(s, "UPDATE mail_outbox SET state = 'queued', lease_until = NULL,"
	                           " next_attempt = ?1 WHERE state = 'sending'"
	                           " AND (claimed_by IS NULL OR lease_until <= ?1)")) == NULL)
		return store_tx_end(s, own, OA_ERR_STORE);
	store_bind_int(st, 1, now);
	if ((rc = store_run(st)))
		return store_tx_end(s, own, rc);
	total += store_changes(s);
	for (int i = 0; i < ngone && rc == OA_OK; i++) {
		if ((st = store_prepare(s, "UPDATE mail_outbox SET state = 'queued', lease_until = NULL,"
		                           " next_attempt = ? WHERE state = 'sending'"
		                           " AND claimed_by = ?")) == NULL)
			return store_tx_end(s, own, OA_ERR_STORE);
		store_bind_int(st, 1, now);
		store_bind_text(st, 2, gone[i]);
		if ((rc = store_run(st)) == OA_OK)
			total += store_changes(s);
	}
	if (rc == OA_OK && n != NULL)
		*n = total;
	return store_tx_end(s, own, rc);
}

oa_err mail_next_due(store *s, int64_t *at)
{
	store_stmt *st = store_prepare(s, "SELECT MIN(next_attempt) FROM mail_outbox"
	                                  " WHERE state = 'queued'");
	int r;

	*at = 0;
	if (st == NULL)
		return OA_ERR_STORE;
	r = store_step(st);
	if (r == STORE_ROW && !store_col_isnull(st, 0))
		*at = store_col_int(st, 0);
	store_reset(st);
	return r == STORE_ROW ? OA_OK : OA_ERR_STORE;
}

#define INFO_COLS "id, COALESCE(case_id, 0), created_at, next_attempt, COALESCE(done_at, 0)," \
	" attempts, event, lang, state, rcpt, rcpt_name, COALESCE(person, ''), subject," \
	" message_id, COALESCE(last_error, '')"

static void fill_info(store_stmt *st, mail_info *i)
{
	memset(i, 0, sizeof *i);
	i->id = store_col_int(st, 0);
	i->case_id = store_col_int(st, 1);
	i->created_at = store_col_int(st, 2);
	i->next_attempt = store_col_int(st, 3);
	i->done_at = store_col_int(st, 4);
	i->attempts = (int)store_col_int(st, 5);
	snprintf(i->event, sizeof i->event, "%s", store_col_text(st, 6));
	snprintf(i->lang, sizeof i->lang, "%s", store_col_text(st, 7));
	snprintf(i->state, sizeof i->state, "%s", store_col_text(st, 8));
	snprintf(i->rcpt, sizeof i->rcpt, "%s", store_col_text(st, 9));
	snprintf(i->rcpt_name, sizeof i->rcpt_name, "%s", store_col_text(st, 10));
	snprintf(i->person, sizeof i->person, "%s", store_col_text(st, 11));
	snprintf(i->subject, sizeof i->subject, "%s", store_col_text(st, 12));
	snprintf(i->message_id, sizeof i->message_id, "%s", store_col_text(st, 13));
	snprintf(i->last_error, sizeof i->last_error, "%s", store_col_text(st, 14));
}

oa_err mail_list(store *s, const char *state, int64_t limit,
    int (*fn)(const mail_info *, void *), void *arg)
{
	store_stmt *st;
	mail_info info;
	int r;

	if (state != NULL && strcmp(state, "queued") && strcmp(state, "sending") &&
	    strcmp(state, "sent") && strcmp(state, "failed") && strcmp(state, "kept"))
		return oa_fail(OA_ERR_INVALID, "mail state must be queued, sending, sent, failed or kept");
	if (limit <= 0 || limit > OA_MAX_LIST_ROWS)
		limit = OA_MAX_LIST_ROWS;
	st = store_prepare(s, "SELECT " INFO_COLS " FROM mail_outbox"
	                      " WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2");
	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_text(st, 1, state);
	store_bind_int(st, 2, limit);
	while ((r = store_step(st)) == STORE_ROW) {
		fill_info(st, &info);
		if (fn(&info, arg))
			break;
	}
	store_reset(st);
	return r == STORE_ERROR ? OA_ERR_STORE : OA_OK;
}

static oa_err load(store *s, int64_t id, mail_info *info, oa_buf *raw, int *has_raw)
{
	store_stmt *st = store_prepare(s, "SELECT " INFO_COLS ", raw IS NOT NULL, raw"
	                                  " FROM mail_outbox WHERE id = ?");
	oa_err rc = OA_OK;
	int r;

	if (st == NULL)
		return OA_ERR_STORE;
	store_bind_int(st, 1, id);
	r = store_step(st);
	if (r == STORE_ROW) {
		size_t n = 0;
		const void *p;
		fill_info(st, info);
		*has_raw = (int)store_col_int(st, 15);
		p = store_col_blob(st, 16, &n);
		if (raw != NULL && *has_raw)
			rc = oa_buf_append(raw, p, n);
	} else {
		rc = r == STORE_DONE ? oa_fail(OA_ERR_NOTFOUND, "no message %" PRId64, id) : OA_ERR_STORE;
	}
	store_reset(st);
	return rc;
}

oa_err mail_raw(store *s, int64_t id, uint8_t **out, size_t *len)
{
	mail_info info;
	oa_buf b = {0};
	int has = 0;
	oa_err rc;

	*out = NULL;
	*len = 0;
	if ((rc = load(s, id, &info, &b, &has)))
		goto fail;
	if (!has) {
		rc = oa_fail(OA_ERR_STATE, "message %" PRId64 " was sent and its bytes discarded", id);
		goto fail;
	}
	if ((rc = oa_buf_append(&b, "", 1)))
		goto fail;
	*out = b.data;
	*len = b.len - 1;
	return OA_OK;
fail:
	oa_buf_free(&b);
	return rc;
}

/* Case-insensitive header name match at the start of line p. */
static int is_header(const char *p, const char *name)
{
	return strncasecmp(p, name, strlen(name)) == 0;
}

/* Writes the admin's view of raw: headers (Subject and To as text), then
 * the decoded text/plain part. */
static oa_err view(const mail_info *info, const oa_buf *raw, oa_buf *out)
{
	const char *p = (const char *)raw->data, *end = p + raw->len, *body, *bnd, *q;
	char delim[80];
	int skip = 0;
	oa_err rc = OA_OK;

	body = NULL;
	for (q = p; q + 4 <= end; q++)
		if (memcmp(q, "\r\n\r\n", 4) == 0) {
			body = q + 4;
			break;
		}
	if (body == NULL)
		return oa_fail(OA_ERR_INTERNAL, "message %" PRId64 " has no header end", info->id);
	/* Header section, unfolded line by line. */
	while (p < body - 2 && rc == OA_OK) {
		const char *eol = p;
		while (eol + 1 < body && !(eol[0] == '\r' && eol[1] == '\n'))
			eol++;
		if (*p != ' ' && *p != '\t')
			skip = is_header(p, "Subject:") || is_header(p, "To:");
		if (is_header(p, "Subject:"))
			rc = oa_buf_printf(out, "Subject: %s\n", info->subject);
		else if (is_header(p, "To:"))
			rc = *info->rcpt_name ? oa_buf_printf(out, "To: %s <%s>\n", info->rcpt_name, info->rcpt)
			                      : oa_buf_printf(out, "To: <%s>\n", info->rcpt);
		else if (!skip)
			rc = oa_buf_printf(out, "%.*s\n", (int)(eol - p), p);
		p = eol + 2;
	}
	if (rc)
		return rc;
	if ((rc = oa_buf_append(out, "\n", 1)))
		return rc;
	/* The first part is text/plain (render.c writes it so). */
	if ((bnd = memmem(raw->data, (size_t)(body - (const char *)raw->data), "boundary=\"", 10)) ==
	        NULL ||
	    (q = memchr(bnd + 10, '"', (size_t)(body - bnd - 10))) == NULL || q - bnd - 10 > 70)
		return oa_fail(OA_ERR_INTERNAL, "message %" PRId64 " is not multipart", info->id);
	bnd += 10;
	snprintf(delim, sizeof delim, "\r\n--%.*s", (int)(q - bnd), bnd);
	if ((p = memmem(body, (size_t)(end - body), delim + 2, strlen(delim) - 2)) == NULL ||
	    (p = memmem(p, (size_t)(end - p), "\r\n\r\n", 4)) == NULL)
		return oa_fail(OA_ERR_INTERNAL, "message %" PRId64 " has no text part", info->id);
	p += 4;
	if ((q = memmem(p, (size_t)(end - p), delim, strlen(delim))) == NULL)
		return oa_fail(OA_ERR_INTERNAL, "message %" PRId64 " has an unterminated part", info->id);
	return mail_qp_decode(out, p, (size_t)(q - p));
}

oa_err mail_get(store *s, int64_t id, mail_info *info, char **out)
{
	oa_buf raw = {0}, b = {0};
	int has = 0;
	oa_err rc;

	if (out != NULL)
		*out = NULL;
	if ((rc = load(s, id, info, out ? &raw : NULL, &has)) || out == NULL)
		goto done;
	if (!has)
		rc = oa_buf_printf(&b, "Message-ID: %s\nTo: %s <%s>\nSubject: %s\n\n"
		                       "(sent; the message held a one-time link, so its text was"
		                       " discarded after delivery)\n",
		    info->message_id, info->rcpt_name, info->rcpt, info->subject);
	else
		rc = view(info, &raw, &b);
	if (rc == OA_OK && (rc = oa_buf_append(&b, "", 1)) == OA_OK) {
		*out = (char *)b.data;
		b.data = NULL;
	}
done:
	oa_buf_free(&raw);
	oa_buf_free(&b);
	return rc;
}

/* The stub that replaces a message whose link expired: its headers (up to
 * the first blank line) and a plain text part saying what happened. */
static oa_err redacted_stub(const uint8_t *raw, size_t len, oa_buf *out)
{
	static const char body[] =
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n"
	    "[Isi pesan dihapus: tautan sekali pakai di dalamnya sudah kedaluwarsa.]\r\n"
	    "[Content removed: the one-time link it held has expired.]\r\n";
	size_t h = 0;

	/* The header block, without its MIME headers (the stub brings its own). */
	while (h + 1 < len && !(raw[h] == '\n' && (raw[h + 1] == '\r' || raw[h + 1] == '\n')))
		h++;
	for (size_t i = 0; i < h;) {
		size_t e = i;
		while (e < h && raw[e] != '\n')
			e++;
		/* a header and its folded continuation lines */
		while (e + 1 < h && (raw[e + 1] == ' ' || raw[e + 1] == '\t')) {
			e++;
			while (e < h && raw[e] != '\n')
				e++;
		}
		if (!(e - i >= 5 && (strncasecmp((const char *)raw + i, "MIME-", 5) == 0 ||
		                     (e - i >= 8 && strncasecmp((const char *)raw + i, "Content-", 8) == 0))))
			if (oa_buf_append(out, raw + i, e - i) || oa_buf_append(out, "\n", 1))
				return oa_fail(OA_ERR_NOMEM, "out of memory");
		i = e + 1;
	}
	if (oa_buf_append(out, body, sizeof body - 1))
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	return OA_OK;
}

oa_err mail_redact_expired(store *s, const conf *cfg, int64_t now, int64_t *n)
{
	int64_t cutoff = now - conf_int(cfg, "auth.link_ttl_hours") * 3600, done = 0;
	int64_t ids[256];
	size_t nids = 0;
	store_stmt *st;
	int own, r;
	oa_err rc;

	if (n)
		*n = 0;
	if ((rc = store_tx_begin(s, &own)))
		return rc;
	if ((st = store_prepare(s, "SELECT id FROM mail_outbox WHERE secret = 1 AND raw IS NOT NULL"
	                           " AND redacted_at IS NULL AND state IN ('kept', 'failed', 'queued')"
	                           " AND created_at <= ? ORDER BY id LIMIT 256")) == NULL) {
		rc = OA_ERR_STORE;
		goto out;
	}
	store_bind_int(st, 1, cutoff);
	while ((r = store_step(st)) == STORE_ROW && nids < sizeof ids / sizeof ids[0])
		ids[nids++] = store_col_int(st, 0);
	store_reset(st);
	if (r == STORE_ERROR) {
		rc = OA_ERR_STORE;
		goto out;
	}
	for (size_t i = 0; i < nids && rc == OA_OK; i++) {
		uint8_t *raw = NULL;
		size_t len = 0;
		oa_buf stub = {0};
		char object[32];
		if ((rc = mail_raw(s, ids[i], &raw, &len)) == OA_OK)
			rc = redacted_stub(raw, len, &stub);
		if (raw) {
			oa_wipe(raw, len);
			free(raw);
		}
		if (rc == OA_OK &&
		    (st = store_prepare(s, "UPDATE mail_outbox SET raw = ?, redacted_at = ?"
		                           " WHERE id = ? AND redacted_at IS NULL")) == NULL)
			rc = OA_ERR_STORE;
		if (rc == OA_OK) {
			store_bind_blob(st, 1, stub.data, stub.len);
			store_bind_int(st, 2, now);
			store_bind_int(st, 3, ids[i]);
			if ((r = store_step(st)) != STORE_DONE)
				rc = stmt_fail(s, "redacting a message", r);
			store_reset(st);
		}
		/* A dead link is not worth sending: a queued message is kept. */
		if (rc == OA_OK &&
		    (st = store_prepare(s, "UPDATE mail_outbox SET state = 'kept', done_at = ?,"
		                           " last_error = 'the link expired before the message was sent'"
		                           " WHERE id = ? AND state = 'queued'")) == NULL)
			rc = OA_ERR_STORE;
		if (rc == OA_OK) {
			store_bind_int(st, 1, now);
			store_bind_int(st, 2, ids[i]);
			if ((r = store_step(st)) != STORE_DONE)
				rc = stmt_fail(s, "keeping a message", r);
			store_reset(st);
		}
		oa_buf_free(&stub);
		if (rc == OA_OK) {
			snprintf(object, sizeof object, "mail:%" PRId64, ids[i]);
			rc = audit_append(s, "system", "mail.redact", object, "the link expired");
			done++;
		}
	}
out:
	if ((rc = store_tx_end(s, own, rc)) == OA_OK && n)
		*n = done;
	return rc;
}
