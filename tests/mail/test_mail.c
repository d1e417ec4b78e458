/*
 * test_mail.c - the outbox (src/mail) against a real SMTP server: aiosmtpd
 * on 127.0.0.1, started by this program (tests/mail/smtpd.py), stopped by
 * its PID, every wait bounded.  Messages are checked with Python's email
 * package (tests/mail/check.py).
 *
 * Covered: every template renders valid MIME in both languages; a committed
 * enqueue is delivered with its exact link; a rolled-back one never exists;
 * an SMTP outage loses nothing and duplicates nothing; kill -9 mid-batch
 * repeats at most the same bytes; retries, failure, `mail retry`; header
 * injection refused with nothing written; HTML escaped; the database sink
 * and `mail list/show`; the SMTP password never reaches the database,
 * logs or stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "common/proc.h"
#include "common/util.h"
#include "conf/conf.h"
#include "mail/mail.h"
#include "store/store.h"
#include "testutil.h"

#define T0 1795399200 /* 2026-11-23T02:00:00Z */
#define PUBLIC "https://ams.meranti.example.go.id"
#define TOKEN "dGhpcy1pcy1hLXRlc3QtdG9rZW4tb2YtNDMtY2hhcnM"
#define PASSWORD "Rahasia-SMTP-9f3c1e77"

struct fx {
	char dir[64], db[128], out[128];
	conf *cfg;
	store *s;
	pid_t srv;
	int port;
};

static const char *src_dir(void)
{
	const char *s = getenv("OPENAMS_SRC");
	return s && *s ? s : ".";
}

static void set_now(int64_t t)
{
	char iso[32];

	oa_time_iso(iso, sizeof iso, t);
	setenv("OPENAMS_NOW", iso, 1);
}

static void msleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Runs argv, output to the given file (NULL: inherited); returns exit status. */
static int run_to(const char *const argv[], const char *outfile, const char *errfile)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		if (outfile) {
			int fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 1);
		}
		if (errfile) {
			int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 2);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run(const char *const argv[])
{
	return run_to(argv, NULL, NULL);
}

static int count_eml(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		n += l > 4 && strcmp(e->d_name + l - 4, ".eml") == 0;
	}
	closedir(d);
	return n;
}

static int wait_eml(const char *dir, int n, int ms)
{
	for (int t = 0; t < ms; t += 20) {
		if (count_eml(dir) >= n)
			return 1;
		msleep(20);
	}
	return count_eml(dir) >= n;
}

/* Starts smtpd.py on port (0: a free one); extra arguments after. */
static void server_start(struct fx *f, int port, const char *extra1, const char *extra2,
    const char *extra3, const char *extra4)
{
	char script[512], portfile[160], portarg[16], delayfile[160];
	const char *argv[20];
	int n = 0;

	snprintf(script, sizeof script, "%s/tests/mail/smtpd.py", src_dir());
	snprintf(portfile, sizeof portfile, "%s/port", f->dir);
	snprintf(delayfile, sizeof delayfile, "%s/delay", f->dir);
	snprintf(portarg, sizeof portarg, "%d", port);
	unlink(portfile);
	mkdir(f->out, 0700);
	argv[n++] = "/usr/bin/python3";
	argv[n++] = script;
	argv[n++] = "--out";
	argv[n++] = f->out;
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	argv[n++] = "--port";
	argv[n++] = portarg;
	argv[n++] = "--delay-file";
	argv[n++] = delayfile;
	if (extra1)
		argv[n++] = extra1;
	if (extra2)
		argv[n++] = extra2;
	if (extra3)
		argv[n++] = extra3;
	if (extra4)
		argv[n++] = extra4;
	argv[n] = NULL;
	f->srv = fork();
	assert_true(f->srv >= 0);
	if (f->srv == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int t = 0; t < 15000; t += 20) {
		FILE *p = fopen(portfile, "r");
		if (p != NULL) {
			int ok = fscanf(p, "%d", &f->port) == 1;
			fclose(p);
			if (ok)
				return;
		}
		if (waitpid(f->srv, NULL, WNOHANG) == f->srv) {
			f->srv = 0;
			fail_msg("smtpd.py exited at start");
		}
		msleep(20);
	}
	fail_msg("smtpd.py did not start within 15 s");
}

static void server_stop(struct fx *f)
{
	if (f->srv <= 0)
		return;
	kill(f->srv, SIGTERM);
	for (int t = 0; t < 5000; t += 20) {
		if (waitpid(f->srv, NULL, WNOHANG) == f->srv) {
			f->srv = 0;
			return;
		}
		msleep(20);
	}
	kill(f->srv, SIGKILL);
	waitpid(f->srv, NULL, 0);
	f->srv = 0;
}

static void set_smtp(struct fx *f)
{
	char url[64];

	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", f->port);
	assert_int_equal(conf_set(f->cfg, "mail.smtp_url", url), OA_OK);
}

static int free_port(void)
{
	/* Ask the kernel through python, the same way smtpd.py does. */
	char out[160];
	FILE *p;
	int port = 0;
	const char *argv[] = {"/usr/bin/python3", "-c",
	    "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])", NULL};

	snprintf(out, sizeof out, "/tmp/openams-mail-port-%d", (int)getpid());
	assert_int_equal(run_to(argv, out, NULL), 0);
	p = fopen(out, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &port), 1);
	fclose(p);
	unlink(out);
	return port;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/openams-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(tu_store_path(f->db, sizeof f->db, f->dir, "openams.db"), 0);
	snprintf(f->out, sizeof f->out, "%s/received", f->dir);
	set_now(T0);
	f->cfg = conf_new();
	assert_non_null(f->cfg);
	assert_int_equal(conf_set(f->cfg, "web.public_url", PUBLIC "/"), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.from", "ams@diskominfo.meranti.example.go.id"), OA_OK);
	assert_int_equal(conf_set(f->cfg, "instance.name", "openams Kominfo Meranti"), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.starttls", "no"), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.timeout_seconds", "5"), OA_OK);
	assert_int_equal(store_open(f->db, &f->s), OA_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	server_stop(f);
	store_close(f->s);
	conf_free(f->cfg);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (strncmp(f->dir, "/tmp/openams-test-", 18) == 0 && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* Writes DIR/openams.conf from the fixture's configuration (for the CLI). */
static void write_conf(struct fx *f)
{
	char path[160];
	FILE *o;

	snprintf(path, sizeof path, "%s/openams.conf", f->dir);
	o = fopen(path, "w");
	assert_non_null(o);
	/* The CLI finds the test's store (a PostgreSQL URL under tests/lib/pg.sh). */
	assert_int_equal(conf_set(f->cfg, "store.path", f->db), OA_OK);
	conf_dump(f->cfg, o);
	fclose(o);
}

static int64_t q_int(store *s, const char *sql, int64_t arg)
{
	store_stmt *st = store_prepare(s, sql);
	int64_t v = -1;

	assert_non_null(st);
	if (strchr(sql, '?'))
		store_bind_int(st, 1, arg);
	if (store_step(st) == STORE_ROW)
		v = store_col_int(st, 0);
	store_reset(st);
	return v;
}

static int64_t count_state(store *s, const char *state)
{
	store_stmt *st = store_prepare(s, "SELECT COUNT(*) FROM mail_outbox WHERE state = ?");
	int64_t v;

	store_bind_text(st, 1, state);
	assert_int_equal(store_step(st), STORE_ROW);
	v = store_col_int(st, 0);
	store_reset(st);
	return v;
}

static mail_msg activation(const char *name, const char *addr)
{
	mail_msg m = {0};

	m.event = MAIL_ACTIVATION;
	m.to_name = name;
	m.to_addr = addr;
	m.person = "siti.nurhaliza";
	m.case_id = 7;
	m.token = TOKEN;
	return m;
}

/* Writes message id's stored bytes to path. */
static void dump_raw(struct fx *f, int64_t id, const char *path)
{
	uint8_t *raw;
	size_t len;
	FILE *o;

	assert_int_equal(mail_raw(f->s, id, &raw, &len), OA_OK);
	o = fopen(path, "wb");
	assert_non_null(o);
	assert_int_equal(fwrite(raw, 1, len, o), len);
	fclose(o);
	free(raw);
}

static const char *check_py(char *buf, size_t n)
{
	snprintf(buf, n, "%s/tests/mail/check.py", src_dir());
	return buf;
}

/* ---- tests ---- */

/* Every event renders, in both languages, as MIME Python accepts, with its link. */
static void test_templates(void **state)
{
	struct fx *f = *state;
	char path[160], py[512], link[512];

	for (int ev = 0; ev < MAIL_EVENT__MAX; ev++)
		for (int l = 0; l < 2; l++) {
			mail_msg m = {0};
			int64_t id = 0;
			m.event = (mail_event)ev;
			m.lang = l ? "en" : NULL;
			m.to_name = "Siti Nurhaliza, S.Kom.";
			m.to_addr = "siti@bkpsdm.meranti.go.id";
			m.case_id = 42;
			m.step = "verifikasi-berkas";
			m.token = TOKEN;
			m.username = "siti.nurhaliza";
			m.serial = "5A3F09C1D2E4";
			m.reason = "passphrase diketahui orang lain";
			m.due_at = T0 + 3600;
			m.subject = "Pemberitahuan: jadwal pemeliharaan layanan sertifikat elektronik "
			            "— mohon perhatian (ñ, é, ü, 日本)";
			m.text = "Layanan akan berhenti sebentar pada hari Sabtu.\n\nTerima kasih.";
			assert_int_equal(mail_enqueue(f->s, f->cfg, &m, &id), OA_OK);
			snprintf(path, sizeof path, "%s/m%d-%d.eml", f->dir, ev, l);
			dump_raw(f, id, path);
			switch (ev) {
			case MAIL_ACTIVATION: case MAIL_IDENTITY_FORM: case MAIL_SET_PASSPHRASE:
				snprintf(link, sizeof link, PUBLIC "/link/%s/" TOKEN,
				    mail_event_name((mail_event)ev));
				break;
			case MAIL_ACCOUNT:
				snprintf(link, sizeof link, PUBLIC "/login");
				break;
			case MAIL_CERT_ISSUED: case MAIL_CERT_REVOKED:
				snprintf(link, sizeof link, PUBLIC "/status?serial=5A3F09C1D2E4");
				break;
			default:
				snprintf(link, sizeof link, PUBLIC "/portal/cases/42");
			}
			{
				const char *argv[] = {"/usr/bin/python3", check_py(py, sizeof py), "mime", path,
				    "--link", link, "--to", "siti@bkpsdm.meranti.go.id",
				    "--text", l ? "Dear Siti Nurhaliza, S.Kom.," : "Yth. Siti Nurhaliza, S.Kom.,",
				    ev == MAIL_NOTICE ? "--subject" : "--text",
				    ev == MAIL_NOTICE ? m.subject : "openams Kominfo Meranti", NULL};
				if (run(argv) != 0)
					fail_msg("event %s lang %d: bad MIME", mail_event_name((mail_event)ev), l);
			}
		}
	/* Sink: all kept, the audit log holds one record each, without tokens. */
	assert_int_equal(count_state(f->s, "kept"), 2 * MAIL_EVENT__MAX);
	assert_int_equal(q_int(f->s, "SELECT COUNT(*) FROM audit WHERE action = 'mail.enqueue'", 0),
	    2 * MAIL_EVENT__MAX);
	{
		store_stmt *st = store_prepare(f->s, "SELECT COUNT(*) FROM audit WHERE instr(detail, ?) > 0");
		store_bind_text(st, 1, TOKEN);
		assert_int_equal(store_step(st), STORE_ROW);
		assert_int_equal(store_col_int(st, 0), 0);
		store_reset(st);
	}
	/* The SLA reminder shows the due time in the agency's zone (WIB). */
	{
		char *text = NULL;
		mail_info info;
		int64_t id = q_int(f->s, "SELECT MAX(id) FROM mail_outbox WHERE event = 'sla_reminder'"
		                         " AND lang = 'id'", 0);
		assert_int_equal(mail_get(f->s, id, &info, &text), OA_OK);
		assert_non_null(strstr(text, "2026-11-23 10:00 WIB"));
		free(text);
	}
	/* A missing variable is refused. */
	{
		mail_msg m = activation("A", "a@b.go.id");
		m.token = NULL;
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_ERR_INVALID);
		m = activation("A", "a@b.go.id");
		m.lang = "fr";
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_ERR_INVALID);
	}
}

/* A committed enqueue is delivered: MIME, Indonesian text, the exact link. */
static void test_deliver(void **state)
{
	struct fx *f = *state;
	mail_msg m = activation("Siti Nurhaliza Ë", "siti@bkpsdm.meranti.go.id");
	mail_stats st;
	mail_info info;
	char path[160], py[512], *text = NULL;
	int64_t id;

	server_start(f, 0, NULL, NULL, NULL, NULL);
	set_smtp(f);
	assert_int_equal(store_begin(f->s), OA_OK);
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, &id), OA_OK);
	assert_int_equal(store_commit(f->s), OA_OK);
	assert_int_equal(count_state(f->s, "queued"), 1);
	assert_int_equal(mail_deliver(f->s, f->cfg, 10, &st), OA_OK);
	assert_int_equal(st.claimed, 1);
	assert_int_equal(st.sent, 1);
	assert_true(wait_eml(f->out, 1, 5000));
	assert_int_equal(count_state(f->s, "sent"), 1);
	assert_int_equal(mail_get(f->s, id, &info, NULL), OA_OK);
	snprintf(path, sizeof path, "%s/000001.eml", f->out);
	{
		const char *argv[] = {"/usr/bin/python3", check_py(py, sizeof py), "mime", path,
		    "--link", PUBLIC "/link/activation/" TOKEN, "--msgid", info.message_id,
		    "--subject", "Aktivasi akun openams Kominfo Meranti",
		    "--text", "Yth. Siti Nurhaliza Ë,", "--text", "Aktifkan akun Anda melalui tautan berikut:",
		    "--html", "Yth. Siti Nurhaliza Ë,", "--to", "siti@bkpsdm.meranti.go.id", NULL};
		assert_int_equal(run(argv), 0);
	}
	assert_non_null(strstr(info.message_id, "<outbox-1."));
	assert_non_null(strstr(info.message_id, "@diskominfo.meranti.example.go.id>"));
	/* The link token left the database with the message. */
	assert_int_equal(q_int(f->s, "SELECT raw IS NULL FROM mail_outbox WHERE id = ?", id), 1);
	assert_int_equal(mail_get(f->s, id, &info, &text), OA_OK);
	assert_null(strstr(text, TOKEN));
	free(text);
	/* A second pass finds nothing. */
	assert_int_equal(mail_deliver(f->s, f->cfg, 10, &st), OA_OK);
	assert_int_equal(st.claimed, 0);
	msleep(200);
	assert_int_equal(count_eml(f->out), 1);
	/* The schema keeps sent final and pending messages undeletable. */
	assert_int_not_equal(store_exec(f->s, "UPDATE mail_outbox SET state = 'queued'"), OA_OK);
	m.token = NULL;
	m.event = MAIL_CERT_ISSUED;
	m.serial = "0A0B";
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, &id), OA_OK);
	assert_int_not_equal(store_exec(f->s, "DELETE FROM mail_outbox WHERE state = 'queued'"), OA_OK);
	assert_int_not_equal(store_exec(f->s, "UPDATE mail_outbox SET raw = x'00' WHERE state = 'queued'"),
	    OA_OK);
}

/* A rolled-back transaction never produces a message. */
static void test_rollback(void **state)
{
	struct fx *f = *state;
	mail_msg m = activation("Budi", "budi@dinas.meranti.go.id");
	mail_stats st;

	server_start(f, 0, NULL, NULL, NULL, NULL);
	set_smtp(f);
	assert_int_equal(store_begin(f->s), OA_OK);
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_OK);
	assert_int_equal(q_int(f->s, "SELECT COUNT(*) FROM mail_outbox", 0), 1);
	store_rollback(f->s);
	assert_int_equal(q_int(f->s, "SELECT COUNT(*) FROM mail_outbox", 0), 0);
	assert_int_equal(q_int(f->s, "SELECT COUNT(*) FROM audit", 0), 0);
	/* Inside a savepoint of a committed transaction, rolled back to: gone too. */
	assert_int_equal(store_begin(f->s), OA_OK);
	assert_int_equal(store_savepoint(f->s), OA_OK);
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_OK);
	store_rollback_to(f->s);
	assert_int_equal(store_commit(f->s), OA_OK);
	assert_int_equal(mail_deliver(f->s, f->cfg, 10, &st), OA_OK);
	assert_int_equal(st.claimed, 0);
	msleep(300);
	assert_int_equal(count_eml(f->out), 0);
	/* mail_deliver refuses to run inside a transaction. */
	assert_int_equal(store_begin(f->s), OA_OK);
	assert_int_equal(mail_deliver(f->s, f->cfg, 10, &st), OA_ERR_INTERNAL);
	store_rollback(f->s);
}

/* 100 messages while the server is down: none lost, none twice. */
static void test_outage(void **state)
{
	struct fx *f = *state;
	char py[512], url[64];
	mail_stats st;
	int64_t now = T0;
	int port = free_port(), passes = 0;

	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
	assert_int_equal(conf_set(f->cfg, "mail.smtp_url", url), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.backoff_seconds", "30"), OA_OK);
	/* The server works, then stops. */
	server_start(f, port, NULL, NULL, NULL, NULL);
	{
		mail_msg m = activation("Budi", "budi@dinas.meranti.go.id");
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_OK);
		assert_int_equal(mail_deliver(f->s, f->cfg, 100, &st), OA_OK);
		assert_int_equal(st.sent, 1);
		assert_true(wait_eml(f->out, 1, 5000));
	}
	server_stop(f);
	assert_int_equal(store_begin(f->s), OA_OK);
	for (int i = 0; i < 100; i++) {
		char addr[64];
		mail_msg m = {0};
		snprintf(addr, sizeof addr, "pegawai%03d@dinas.meranti.go.id", i);
		m.event = MAIL_CERT_ISSUED;
		m.to_addr = addr;
		m.serial = "7F01";
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_OK);
	}
	assert_int_equal(store_commit(f->s), OA_OK);
	/* Down: each pass tries one message, backs off, releases the rest. */
	for (int k = 0; k < 3; k++) {
		assert_int_equal(mail_deliver(f->s, f->cfg, 100, &st), OA_OK);
		assert_int_equal(st.claimed, 100);
		assert_int_equal(st.sent, 0);
		assert_int_equal(st.retried, 1);
		assert_int_equal(st.released, 99);
		assert_int_equal(count_state(f->s, "queued"), 100);
		assert_int_equal(count_state(f->s, "sent"), 1);
		/* nothing is due before the backoff */
		assert_int_equal(mail_deliver(f->s, f->cfg, 100, &st), OA_OK);
		assert_int_equal(st.claimed, 0);
		now += 3600;
		set_now(now);
	}
	assert_int_equal(q_int(f->s, "SELECT MAX(attempts) FROM mail_outbox", 0), 3);
	assert_int_equal(count_state(f->s, "failed"), 0);
	/* Back: a few passes later everything is there, once. */
	server_start(f, port, NULL, NULL, NULL, NULL);
	while (count_state(f->s, "sent") < 101 && passes++ < 5) {
		assert_int_equal(mail_deliver(f->s, f->cfg, 40, &st), OA_OK);
		now += 3600;
		set_now(now);
	}
	assert_int_equal(count_state(f->s, "sent"), 101);
	assert_true(wait_eml(f->out, 101, 5000));
	msleep(200);
	{
		const char *argv[] = {"/usr/bin/python3", check_py(py, sizeof py), "count", f->out, "101",
		    "--exactly-once", NULL};
		assert_int_equal(run(argv), 0);
	}
}

/* kill -9 mid-batch: every message arrives, duplicates are the same bytes. */
static void test_crash(void **state)
{
	struct fx *f = *state;
	char py[512], delay[160];
	mail_stats st;
	pid_t child;
	FILE *o;
	int n, pending;

	snprintf(delay, sizeof delay, "%s/delay", f->dir);
	o = fopen(delay, "w");
	fputs("0.4\n", o);
	fclose(o);
	server_start(f, 0, NULL, NULL, NULL, NULL);
	set_smtp(f);
	assert_int_equal(store_begin(f->s), OA_OK);
	for (int i = 0; i < 12; i++) {
		char addr[64];
		mail_msg m = activation("Pegawai", NULL);
		snprintf(addr, sizeof addr, "p%02d@dinas.meranti.go.id", i);
		m.to_addr = addr;
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_OK);
	}
	assert_int_equal(store_commit(f->s), OA_OK);
	store_close(f->s);
	f->s = NULL;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		store *cs = NULL;
		if (store_open(f->db, &cs) != OA_OK)
			_exit(2);
		mail_deliver(cs, f->cfg, 12, &st);
		_exit(0);
	}
	/* Kill it while the server holds a stored message without answering. */
	if (!wait_eml(f->out, 4, 15000)) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		fail_msg("the delivering child sent nothing");
	}
	msleep(100);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(store_open(f->db, &f->s), OA_OK);
	n = (int)count_state(f->s, "sending");
	assert_true(n > 0);
	pending = 12 - (int)count_state(f->s, "sent");
	fprintf(stderr, "crash: %d sent, %d sending, %d received at the kill\n",
	    (int)count_state(f->s, "sent"), n, count_eml(f->out));
	/* Before the lease expires, nobody takes them over... */
	assert_int_equal(mail_deliver(f->s, f->cfg, 12, &st), OA_OK);
	assert_int_equal(st.claimed, 0);
	/* ...after it, the next pass sends the same bytes. */
	unlink(delay);
	set_now(T0 + 3600);
	assert_int_equal(mail_deliver(f->s, f->cfg, 12, &st), OA_OK);
	assert_int_equal(st.claimed, pending);
	assert_int_equal(count_state(f->s, "sent"), 12);
	msleep(300);
	{
		const char *argv[] = {"/usr/bin/python3", check_py(py, sizeof py), "count", f->out, "12",
		    NULL};
		assert_int_equal(run(argv), 0);
	}
}

/* At start, a server requeues the messages of a claimer of this host that
 * is gone and those with no claimer recorded; never a live process's (its
 * own, here) nor another host's before its lease expires: several servers
 * on one database never send a message twice. */
static void test_recover_claimers(void **state)
{
	struct fx *f = *state;
	char dead[OA_PROCESS_ID_MAX], other[] = "another-host.example:1:000000000000", sql[512];
	const char *me = oa_process_id(), *colon = strchr(me, ':');
	pid_t child;
	int64_t n = -1;

	assert_non_null(colon);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	snprintf(dead, sizeof dead, "%.*s:%ld:0a0b0c0d0e0f", (int)(colon - me), me, (long)child);
	assert_true(oa_process_gone(dead));
	assert_false(oa_process_gone(me));
	assert_false(oa_process_gone(other));
	{
		/* a killed child not yet reaped (a zombie) is gone as well */
		char zid[OA_PROCESS_ID_MAX];
		pid_t z = fork();
		assert_true(z >= 0);
		if (z == 0)
			_exit(0);
		for (int i = 0; i < 200; i++) {
			char p[64], b[128];
			FILE *zf;
			int zs = 0;
			snprintf(p, sizeof p, "/proc/%ld/stat", (long)z);
			if ((zf = fopen(p, "r")) != NULL) {
				zs = fgets(b, sizeof b, zf) && strstr(b, ") Z ") != NULL;
				fclose(zf);
			}
			if (zs)
				break;
			usleep(10000);
		}
		snprintf(zid, sizeof zid, "%.*s:%ld:0a0b0c0d0e0f", (int)(colon - me), me, (long)z);
		assert_true(oa_process_gone(zid));
		assert_int_equal(waitpid(z, NULL, 0), z);
	}
	server_start(f, 0, NULL, NULL, NULL, NULL);
	set_smtp(f);
	assert_int_equal(store_begin(f->s), OA_OK);
	for (int i = 0; i < 4; i++) {
		char addr[64];
		mail_msg m = activation("Pegawai", NULL);
		snprintf(addr, sizeof addr, "r%02d@dinas.meranti.go.id", i);
		m.to_addr = addr;
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_OK);
	}
	assert_int_equal(store_commit(f->s), OA_OK);
	/* ids 1..4: a live claimer (this process), a gone one, another host's,
	 * none recorded; every lease running for another hour */
	snprintf(sql, sizeof sql, "UPDATE mail_outbox SET state = 'sending', attempts = 1,"
	    " lease_until = %lld, claimed_by = CASE id WHEN 1 THEN '%s' WHEN 2 THEN '%s'"
	    " WHEN 3 THEN '%s' END", (long long)(oa_now() + 3600), me, dead, other);
	assert_int_equal(store_begin(f->s), OA_OK);
	assert_int_equal(store_exec(f->s, sql), OA_OK);
	assert_int_equal(store_commit(f->s), OA_OK);
	assert_int_equal(mail_recover(f->s, &n), OA_OK);
	assert_int_equal(n, 2);
	assert_int_equal(count_state(f->s, "sending"), 2);
	assert_int_equal(count_state(f->s, "queued"), 2);
	{
		store_stmt *st = store_prepare(f->s, "SELECT COUNT(*) FROM mail_outbox"
		                                     " WHERE state = 'queued' AND id IN (2, 4)");
		assert_non_null(st);
		assert_int_equal(store_step(st), STORE_ROW);
		assert_int_equal(store_col_int(st, 0), 2);
		store_reset(st);
	}
}

/* Retries with backoff, failed after mail.max_attempts, `mail retry`; 5xx fails at once. */
static void test_retry_failed(void **state)
{
	struct fx *f = *state;
	char url[64], openams[512], *text = NULL;
	const char *exe = getenv("OPENAMS");
	mail_msg m = activation("Budi", "budi@dinas.meranti.go.id");
	mail_stats st;
	mail_info info;
	int64_t id, id2, due;
	int port = free_port();

	snprintf(openams, sizeof openams, "%s", exe ? exe : "openams");
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
	assert_int_equal(conf_set(f->cfg, "mail.smtp_url", url), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.max_attempts", "3"), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.backoff_seconds", "100"), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.backoff_max_seconds", "150"), OA_OK);
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, &id), OA_OK);
	/* attempt 1: backoff in [50, 100]; attempt 2: [75, 150] (capped at 150) */
	assert_int_equal(mail_deliver(f->s, f->cfg, 5, &st), OA_OK);
	assert_int_equal(st.retried, 1);
	assert_int_equal(mail_next_due(f->s, &due), OA_OK);
	assert_true(due >= T0 + 50 && due <= T0 + 100);
	set_now(T0 + 100);
	assert_int_equal(mail_deliver(f->s, f->cfg, 5, &st), OA_OK);
	assert_int_equal(st.retried, 1);
	assert_int_equal(mail_next_due(f->s, &due), OA_OK);
	assert_true(due >= T0 + 100 + 75 && due <= T0 + 100 + 150);
	set_now(T0 + 300);
	assert_int_equal(mail_deliver(f->s, f->cfg, 5, &st), OA_OK);
	assert_int_equal(st.failed, 1);
	assert_int_equal(mail_get(f->s, id, &info, NULL), OA_OK);
	assert_string_equal(info.state, "failed");
	assert_int_equal(info.attempts, 3);
	assert_non_null(strstr(info.last_error, "onnect"));
	assert_int_equal(q_int(f->s, "SELECT COUNT(*) FROM audit WHERE action = 'mail.failed'", 0), 1);
	set_now(T0 + 100000);
	assert_int_equal(mail_deliver(f->s, f->cfg, 5, &st), OA_OK);
	assert_int_equal(st.claimed, 0);
	/* Visible to administrators, and retried from the command line. */
	server_start(f, port, "--reject-prefix", "tolak", NULL, NULL);
	write_conf(f);
	{
		char outf[160], line[512];
		FILE *p;
		int found = 0;
		const char *list[] = {openams, "mail", "list", "--state", "failed", "--dir", f->dir, NULL};
		const char *retry[] = {openams, "mail", "retry", "1", "--dir", f->dir, NULL};
		const char *again[] = {openams, "mail", "retry", "1", "--dir", f->dir, NULL};
		const char *send[] = {openams, "mail", "send", "--dir", f->dir, NULL};
		snprintf(outf, sizeof outf, "%s/list.out", f->dir);
		assert_int_equal(run_to(list, outf, NULL), 0);
		p = fopen(outf, "r");
		while (fgets(line, sizeof line, p))
			found |= strncmp(line, "1\tfailed\t3\t", 11) == 0;
		fclose(p);
		assert_true(found);
		store_close(f->s);
		f->s = NULL;
		assert_int_equal(run_to(retry, NULL, NULL), 0);
		assert_int_equal(run_to(again, NULL, "/dev/null"), 1); /* no longer failed */
		assert_int_equal(run_to(send, NULL, NULL), 0);
		assert_int_equal(store_open(f->db, &f->s), OA_OK);
	}
	assert_int_equal(mail_get(f->s, id, &info, NULL), OA_OK);
	assert_string_equal(info.state, "sent");
	assert_int_equal(info.attempts, 1);
	assert_int_equal(q_int(f->s, "SELECT COUNT(*) FROM audit WHERE action = 'mail.retry'", 0), 1);
	/* A permanent refusal (550 at RCPT) fails at once, and `mail send` says so. */
	m.to_addr = "tolak.saya@dinas.meranti.go.id";
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, &id2), OA_OK);
	store_close(f->s);
	f->s = NULL;
	{
		const char *send[] = {openams, "mail", "send", "--dir", f->dir, NULL};
		assert_int_equal(run_to(send, "/dev/null", NULL), 1);
	}
	assert_int_equal(store_open(f->db, &f->s), OA_OK);
	assert_int_equal(mail_get(f->s, id2, &info, &text), OA_OK);
	assert_string_equal(info.state, "failed");
	assert_int_equal(info.attempts, 1);
	assert_non_null(strstr(info.last_error, "550"));
	free(text);
}

/* CR/LF in anything that can reach a header is refused, nothing written. */
static void test_header_injection(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {"Budi\r\nBcc: korban@example.go.id", "Budi\nBcc: x@y.go.id",
	    "Budi\r", "Budi\x01", "Budi\x7f"};
	int64_t before = q_int(f->s, "SELECT COUNT(*) FROM audit", 0);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		mail_msg m = activation(bad[i], "budi@dinas.meranti.go.id");
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_ERR_INVALID);
		m = activation("Budi", "budi@dinas.meranti.go.id");
		m.event = MAIL_NOTICE;
		m.subject = bad[i];
		m.text = "isi";
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_ERR_INVALID);
		m = activation("Budi", "budi@dinas.meranti.go.id");
		m.event = MAIL_SLA_REMINDER; /* the step is in the subject */
		m.step = bad[i];
		m.due_at = T0;
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_ERR_INVALID);
	}
	{
		static const char *const addrs[] = {"budi@dinas.go.id\r\nBcc: x@y.go.id",
		    "budi@dinas.go.id\nRCPT TO:<x@y.go.id>", "budi@dinas.go.id>", "<budi@dinas.go.id",
		    "budi", "budi@localhost", "bu di@dinas.go.id", "budi@dinas..go.id", ".budi@dinas.go.id",
		    "budi@-dinas.go.id", "bùdi@dinas.go.id", "\"budi\"@dinas.go.id", "", "budi@dinas.go.id."};
		for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
			mail_msg m = activation("Budi", addrs[i]);
			if (mail_enqueue(f->s, f->cfg, &m, NULL) != OA_ERR_INVALID)
				fail_msg("address '%s' accepted", addrs[i]);
		}
	}
	{
		/* tokens, paths and serials go into URLs */
		mail_msg m = activation("Budi", "budi@dinas.go.id");
		m.token = "abc\"><script>";
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_ERR_INVALID);
		m.token = TOKEN;
		m.path = "/x\"onmouseover=";
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_ERR_INVALID);
		m = activation("Budi", "budi@dinas.go.id");
		m.event = MAIL_CERT_ISSUED;
		m.serial = "12/../admin";
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_ERR_INVALID);
		m.serial = "0A";
		m.text = "one\r\ntwo";
		m.event = MAIL_NOTICE;
		m.subject = "s";
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_ERR_INVALID);
	}
	assert_int_equal(q_int(f->s, "SELECT COUNT(*) FROM mail_outbox", 0), 0);
	assert_int_equal(q_int(f->s, "SELECT COUNT(*) FROM audit", 0), before);
	/* A bad sender in the configuration is a configuration error. */
	assert_int_equal(conf_set(f->cfg, "mail.from", "ams@x.go.id>\r\nBcc: y@z.go.id"), OA_ERR_CONFIG);
	assert_int_equal(conf_set(f->cfg, "mail.from", "not-an-address"), OA_OK);
	{
		mail_msg m = activation("Budi", "budi@dinas.go.id");
		assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_ERR_CONFIG);
	}
}

/* HTML in a name stays text: escaped in the HTML part, plain in the text part. */
static void test_html_escape(void **state)
{
	struct fx *f = *state;
	const char *name = "<script>alert(1)</script> & \"Budi\" <b>O'Neil</b>";
	mail_msg m = activation(name, "budi@dinas.meranti.go.id");
	char path[160], py[512];
	int64_t id;

	m.lang = "en";
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, &id), OA_OK);
	snprintf(path, sizeof path, "%s/html.eml", f->dir);
	dump_raw(f, id, path);
	{
		const char *argv[] = {"/usr/bin/python3", check_py(py, sizeof py), "mime", path,
		    "--text", "Dear <script>alert(1)</script> & \"Budi\" <b>O'Neil</b>,",
		    "--html", "Dear &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Budi&quot; "
		              "&lt;b&gt;O&#39;Neil&lt;/b&gt;,",
		    "--not-html", "<script>", "--not-html", "<b>",
		    "--link", PUBLIC "/link/activation/" TOKEN, NULL};
		assert_int_equal(run(argv), 0);
	}
	/* The display name is a quoted string in To. */
	{
		uint8_t *raw;
		size_t len;
		assert_int_equal(mail_raw(f->s, id, &raw, &len), OA_OK);
		assert_non_null(strstr((char *)raw,
		    "To: \"<script>alert(1)</script> & \\\"Budi\\\" <b>O'Neil</b>\"\r\n <budi@"));
		free(raw);
	}
}

/* The database sink: nothing sent, `mail list` and `mail show` give the link. */
static void test_sink_cli(void **state)
{
	struct fx *f = *state;
	const char *exe = getenv("OPENAMS");
	char openams[512], outf[160], buf[16384];
	mail_msg m = activation("Dewi Lestari", "dewi@dinas.meranti.go.id");
	mail_stats st;
	FILE *p;
	size_t n;

	snprintf(openams, sizeof openams, "%s", exe ? exe : "openams");
	snprintf(outf, sizeof outf, "%s/cli.out", f->dir);
	m.event = MAIL_SET_PASSPHRASE;
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_OK);
	assert_int_equal(count_state(f->s, "kept"), 1);
	assert_int_equal(mail_deliver(f->s, f->cfg, 10, &st), OA_OK);
	assert_int_equal(st.claimed, 0);
	/* A queued message from before the sink was configured is kept by a pass. */
	assert_int_equal(conf_set(f->cfg, "mail.smtp_url", "smtp://127.0.0.1:9"), OA_OK);
	m.event = MAIL_CERT_ISSUED;
	m.serial = "0BEEF0";
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.smtp_url", ""), OA_OK);
	assert_int_equal(mail_deliver(f->s, f->cfg, 10, &st), OA_OK);
	assert_int_equal(st.kept, 1);
	assert_int_equal(count_state(f->s, "kept"), 2);
	write_conf(f);
	store_close(f->s);
	f->s = NULL;
	{
		const char *argv[] = {openams, "mail", "list", "--dir", f->dir, NULL};
		assert_int_equal(run_to(argv, outf, NULL), 0);
		p = fopen(outf, "r");
		n = fread(buf, 1, sizeof buf - 1, p);
		buf[n] = 0;
		fclose(p);
		assert_non_null(strstr(buf, "1\tkept\t0\t2026-11-23T02:00:00Z\tset_passphrase\t"
		                            "dewi@dinas.meranti.go.id\tAtur passphrase"));
		assert_non_null(strstr(buf, "2\tkept\t"));
	}
	{
		const char *argv[] = {openams, "mail", "show", "1", "--dir", f->dir, NULL};
		assert_int_equal(run_to(argv, outf, NULL), 0);
		p = fopen(outf, "r");
		n = fread(buf, 1, sizeof buf - 1, p);
		buf[n] = 0;
		fclose(p);
		assert_non_null(strstr(buf, "\n" PUBLIC "/link/set_passphrase/" TOKEN "\n"));
		assert_non_null(strstr(buf, "Subject: Atur passphrase sertifikat elektronik Anda\n"));
		assert_non_null(strstr(buf, "To: Dewi Lestari <dewi@dinas.meranti.go.id>\n"));
		assert_non_null(strstr(buf, "Message-ID: <outbox-1."));
		assert_non_null(strstr(buf, "Yth. Dewi Lestari,"));
	}
	{
		const char *argv[] = {openams, "mail", "show", "99", "--dir", f->dir, NULL};
		assert_int_equal(run_to(argv, "/dev/null", "/dev/null"), 1);
		const char *send[] = {openams, "mail", "send", "--dir", f->dir, NULL};
		assert_int_equal(run_to(send, "/dev/null", NULL), 0);
		const char *bad[] = {openams, "mail", "list", "--state", "lost", "--dir", f->dir, NULL};
		assert_int_equal(run_to(bad, "/dev/null", "/dev/null"), 1);
	}
	assert_int_equal(store_open(f->db, &f->s), OA_OK);
}

/*
 * Security review, finding 5: one-time link tokens do not stay in the
 * outbox.  A message with a link that was not delivered (kept by the sink,
 * or still queued) has its bytes replaced by a stub once the link expired;
 * others are untouched; nothing else may change a kept message.
 */
static void test_redact(void **state)
{
	struct fx *f = *state;
	mail_msg m = activation("Dewi Lestari", "dewi@dinas.meranti.go.id");
	audit_report rep;
	int64_t kept_id, queued_id, plain_id, n = -1;
	uint8_t *raw;
	size_t len;

	m.event = MAIL_SET_PASSPHRASE;
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, &kept_id), OA_OK);
	m.event = MAIL_CERT_ISSUED;
	m.serial = "0BEEF0";
	m.token = NULL;
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, &plain_id), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.smtp_url", "smtp://127.0.0.1:9"), OA_OK);
	m = activation("Dewi Lestari", "dewi@dinas.meranti.go.id");
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, &queued_id), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.smtp_url", ""), OA_OK);
	/* Before the links expire: nothing. */
	assert_int_equal(mail_redact_expired(f->s, f->cfg, T0 + 3600, &n), OA_OK);
	assert_int_equal(n, 0);
	assert_int_equal(mail_raw(f->s, kept_id, &raw, &len), OA_OK);
	assert_non_null(strstr((char *)raw, TOKEN));
	free(raw);
	/* After auth.link_ttl_hours (72 h by default). */
	assert_int_equal(mail_redact_expired(f->s, f->cfg, T0 + 73 * 3600, &n), OA_OK);
	assert_int_equal(n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mail_raw(f->s, i ? queued_id : kept_id, &raw, &len), OA_OK);
		assert_null(strstr((char *)raw, TOKEN));
		assert_null(strstr((char *)raw, "/link/"));
		assert_non_null(strstr((char *)raw, "Content removed: the one-time link it held has expired"));
		assert_non_null(strstr((char *)raw, "Message-ID: <outbox-"));
		assert_non_null(strstr((char *)raw, "To: \"Dewi Lestari\"\r\n <dewi@dinas.meranti.go.id>"));
		assert_non_null(strstr((char *)raw, "\r\nSubject: "));
		assert_null(strstr((char *)raw, "quoted-printable"));
		free(raw);
	}
	assert_int_equal(count_state(f->s, "queued"), 0);
	assert_int_equal(count_state(f->s, "kept"), 3);
	assert_int_equal(mail_raw(f->s, plain_id, &raw, &len), OA_OK);
	assert_non_null(strstr((char *)raw, "0BEEF0"));
	free(raw);
	/* Once only; the chain still verifies; the schema refuses other changes. */
	assert_int_equal(mail_redact_expired(f->s, f->cfg, T0 + 100 * 3600, &n), OA_OK);
	assert_int_equal(n, 0);
	assert_int_equal(audit_verify(f->s, &rep), OA_OK);
	assert_int_equal(store_exec(f->s, "UPDATE mail_outbox SET raw = X'41', redacted_at = 1"
	                                  " WHERE event = 'cert_issued'"), OA_ERR_STORE);
	assert_int_equal(store_exec(f->s, "UPDATE mail_outbox SET raw = X'41'"
	                                  " WHERE event = 'set_passphrase'"), OA_ERR_STORE);
	oa_err_clear();
}

static int file_has(const char *path, const char *needle)
{
	uint8_t *data;
	size_t len;
	int found;

	if (oa_read_file(path, 64 * 1024 * 1024, &data, &len) != OA_OK)
		return 0;
	found = memmem(data, len, needle, strlen(needle)) != NULL;
	free(data);
	return found;
}

/* The SMTP password from mail.password_file works and goes nowhere else. */
static void test_password(void **state)
{
	struct fx *f = *state;
	const char *exe = getenv("OPENAMS");
	char openams[512], pwfile[160], srvpw[160], errf[160], outf[160], path[200];
	mail_msg m = activation("Budi", "budi@dinas.meranti.go.id");
	mail_stats st;
	mail_info info;
	FILE *o;

	snprintf(openams, sizeof openams, "%s", exe ? exe : "openams");
	snprintf(pwfile, sizeof pwfile, "%s/smtp.password", f->dir);
	snprintf(srvpw, sizeof srvpw, "%s/server.password", f->dir);
	snprintf(errf, sizeof errf, "%s/stderr", f->dir);
	snprintf(outf, sizeof outf, "%s/stdout", f->dir);
	o = fopen(srvpw, "w");
	fputs(PASSWORD "\n", o);
	fclose(o);
	o = fopen(pwfile, "w");
	fputs("wrong-" PASSWORD "\n", o);
	fclose(o);
	chmod(pwfile, 0600);
	server_start(f, 0, "--user", "mailer", "--password-file", srvpw);
	set_smtp(f);
	assert_int_equal(conf_set(f->cfg, "mail.username", "mailer"), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.password_file", pwfile), OA_OK);
	assert_int_equal(conf_set(f->cfg, "mail.max_attempts", "1"), OA_OK);
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, NULL), OA_OK);
	/* Wrong password: refused, the error names no password. */
	assert_int_equal(mail_deliver(f->s, f->cfg, 5, &st), OA_OK);
	assert_int_equal(st.failed, 1);
	assert_int_equal(mail_get(f->s, 1, &info, NULL), OA_OK);
	assert_null(strstr(info.last_error, PASSWORD));
	fprintf(stderr, "wrong password: %s\n", info.last_error);
	/* Others may read the file: refused before anything is claimed. */
	o = fopen(pwfile, "w");
	fputs(PASSWORD "\n", o);
	fclose(o);
	chmod(pwfile, 0644);
	assert_int_equal(mail_retry(f->s, 1, "test"), OA_OK);
	assert_int_equal(mail_deliver(f->s, f->cfg, 5, &st), OA_ERR_CONFIG);
	assert_null(strstr(oa_errmsg(), PASSWORD));
	assert_int_equal(count_state(f->s, "queued"), 1);
	chmod(pwfile, 0600);
	/* A password in the URL is refused too. */
	assert_int_equal(conf_set(f->cfg, "mail.smtp_url", "smtp://mailer:" PASSWORD "@127.0.0.1:25"),
	    OA_OK);
	assert_int_equal(mail_deliver(f->s, f->cfg, 5, &st), OA_ERR_CONFIG);
	assert_null(strstr(oa_errmsg(), PASSWORD));
	set_smtp(f);
	/* Clear text to a remote server with a password: refused. */
	assert_int_equal(conf_set(f->cfg, "mail.smtp_url", "smtp://mail.example.go.id:25"), OA_OK);
	assert_int_equal(mail_deliver(f->s, f->cfg, 5, &st), OA_ERR_CONFIG);
	set_smtp(f);
	/* Right password, through the CLI: delivered. */
	write_conf(f);
	store_close(f->s);
	f->s = NULL;
	{
		const char *argv[] = {openams, "mail", "send", "--dir", f->dir, NULL};
		assert_int_equal(run_to(argv, outf, errf), 0);
	}
	assert_true(wait_eml(f->out, 1, 5000));
	assert_int_equal(store_open(f->db, &f->s), OA_OK);
	assert_int_equal(count_state(f->s, "sent"), 1);
	store_close(f->s);
	f->s = NULL;
	/* Nowhere: database (and its WAL), stdout, stderr, the configuration. */
	assert_false(file_has(f->db, PASSWORD));
	snprintf(path, sizeof path, "%s-wal", f->db);
	assert_false(file_has(path, PASSWORD));
	assert_false(file_has(outf, PASSWORD));
	assert_false(file_has(errf, PASSWORD));
	snprintf(path, sizeof path, "%s/openams.conf", f->dir);
	assert_false(file_has(path, PASSWORD));
	assert_int_equal(store_open(f->db, &f->s), OA_OK);
}

/* STARTTLS with the server's certificate verified against mail.ca_file. */
static void test_starttls(void **state)
{
	struct fx *f = *state;
	char sh[2048], cafile[160], crt[160], key[160];
	mail_msg m = activation("Budi", "budi@dinas.meranti.go.id");
	mail_stats st;
	mail_info info;
	int64_t id;

	snprintf(cafile, sizeof cafile, "%s/ca.pem", f->dir);
	snprintf(crt, sizeof crt, "%s/server.pem", f->dir);
	snprintf(key, sizeof key, "%s/server.key", f->dir);
	snprintf(sh, sizeof sh,
	    "set -e; cd '%s';"
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
	    " -subj '/CN=Test Mail CA' -keyout ca.key -out ca.pem 2>/dev/null;"
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=127.0.0.1'"
	    " -keyout server.key -out server.csr 2>/dev/null;"
	    "printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > ext;"
	    "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2"
	    " -extfile ext -out server.pem 2>/dev/null",
	    f->dir);
	{
		const char *argv[] = {"/bin/sh", "-c", sh, NULL};
		assert_int_equal(run(argv), 0);
	}
	server_start(f, 0, "--tls-cert", crt, "--tls-key", key);
	set_smtp(f);
	assert_int_equal(conf_set(f->cfg, "mail.starttls", "yes"), OA_OK);
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, &id), OA_OK);
	/* Not trusted (the system store): nothing is sent in clear or otherwise. */
	assert_int_equal(mail_deliver(f->s, f->cfg, 5, &st), OA_OK);
	assert_int_equal(st.retried, 1);
	assert_int_equal(mail_get(f->s, id, &info, NULL), OA_OK);
	fprintf(stderr, "untrusted server: %s\n", info.last_error);
	assert_int_equal(count_eml(f->out), 0);
	/* Trusted through mail.ca_file: delivered over TLS. */
	assert_int_equal(conf_set(f->cfg, "mail.ca_file", cafile), OA_OK);
	set_now(T0 + 3600);
	assert_int_equal(mail_deliver(f->s, f->cfg, 5, &st), OA_OK);
	assert_int_equal(st.sent, 1);
	assert_true(wait_eml(f->out, 1, 5000));
	/* STARTTLS required but the server does not offer it: refused. */
	server_stop(f);
	server_start(f, 0, NULL, NULL, NULL, NULL);
	set_smtp(f);
	m.event = MAIL_CERT_ISSUED;
	m.serial = "0C";
	assert_int_equal(mail_enqueue(f->s, f->cfg, &m, &id), OA_OK);
	assert_int_equal(mail_deliver(f->s, f->cfg, 5, &st), OA_OK);
	assert_int_equal(st.sent, 0);
	msleep(200);
	assert_int_equal(count_eml(f->out), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_templates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_claimers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_injection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html_escape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_cli, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_starttls, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
