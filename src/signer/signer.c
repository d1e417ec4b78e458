/*
 * signer.c - the other end of the signer process: starting it, sending it
 * requests one at a time, and starting a new one when it has died.
 */
#include "signerInt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>

struct signer {
	signer_opts o;
	char *strs[7];     /* owned copies of o's strings */
	char **argv;       /* owned copy of o.exec_argv */
	pthread_mutex_t lock;
	pid_t pid;
	int fd;
	int launched;      /* started by the launcher: not our child to kill or wait for */
	signer_core core;  /* in-process mode only */
	int core_open;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

pid_t signer_pid(const signer *s)
{
	return s ? s->pid : 0;
}

static void reap(signer *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->pid > 0 && s->launched) {
		/* Not our child, and another user's process by now: closing its
		 * socket ends it (after the operation in flight); the kernel reaps
		 * it for the launcher, which ignores SIGCHLD. */
		s->pid = 0;
		s->launched = 0;
	} else if (s->pid > 0) {
		int st;
		kill(s->pid, SIGKILL);
		while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	s->pid = 0;
}

/* The number of threads of this process (0 if /proc cannot tell). */
static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static oa_err spawn(signer *s)
{
	int sv[2];
	pid_t pid;

	if (s->argv && signer_launcher_active()) {
		oa_err rc = signer_launcher_spawn(&s->fd, &s->pid);
		s->launched = rc == OA_OK;
		return rc;
	}
	/* Without a binary to execute, the child runs the signer's loop in a
	 * copy of this process: only safe if no other thread could hold a lock
	 * (OpenSSL's, malloc's) at the moment of the fork. */
	if (s->argv == NULL && thread_count() > 1)
		return oa_fail(OA_ERR_STATE,
		    "signer: a program with several threads must start the signer from the openams "
		    "binary (set OPENAMS_SIGNER_EXE to its absolute path)");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return oa_fail(OA_ERR_IO, "signer: socketpair: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return oa_fail(OA_ERR_IO, "signer: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* The signer process: the socket becomes fd 3, nothing else stays
		 * open but standard input, output and error. */
		if (sv[1] == 3)
			fcntl(3, F_SETFD, 0);
		else if (dup2(sv[1], 3) != 3)
			_exit(127);
		close_range(4, ~0U, 0);
		signal(SIGINT, SIG_IGN); /* the parent decides when the signer stops */
		if (s->argv) {
			execv(s->argv[0], s->argv);
			_exit(127);
		}
		_exit(signer_child_main(3, &s->o));
	}
	close(sv[1]);
	s->fd = sv[0];
	s->pid = pid;
	return OA_OK;
}

/* Sends op+a+b, returns the reply payload in *reply (malloc'd). */
static oa_err request(signer *s, uint8_t op, const uint8_t *a, size_t an, const uint8_t *b,
    size_t bn, uint8_t **reply, size_t *rlen, int *status_out)
{
	uint8_t *msg = NULL;
	size_t n = 0;
	int status;
	oa_err rc;

	*reply = NULL;
	*rlen = 0;
	pthread_mutex_lock(&s->lock);
	if (s->o.in_process) {
		oa_buf in = {0}, out = {0};
		if ((rc = oa_buf_append(&in, &op, 1)) || (rc = oa_buf_append(&in, a, an)) ||
		    (rc = oa_buf_append(&in, b, bn))) {
			oa_buf_free(&in);
			goto out;
		}
		status = (int)signer_handle(&s->core, in.data, in.len, &out);
		oa_buf_free(&in);
		if (status) {
			oa_buf_append(&out, oa_errmsg(), strlen(oa_errmsg()));
		}
		msg = malloc(out.len + 1);
		if (msg == NULL) {
			oa_buf_free(&out);
			rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			goto out;
		}
		msg[0] = (uint8_t)status;
		if (out.len)
			memcpy(msg + 1, out.data, out.len);
		n = out.len + 1;
		oa_buf_free(&out);
	} else {
		int st;
		/* A signer that died while idle is replaced before the request. */
		if (s->pid > 0 && !s->launched && waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			reap(s);
		}
		/* One the launcher started is no child of ours: a dead one shows
		 * as its socket's end (a signer never speaks unasked). */
		if (s->fd >= 0 && s->launched) {
			struct pollfd p = {.fd = s->fd, .events = POLLIN};
			if (poll(&p, 1, 0) > 0)
				reap(s);
		}
		if (s->fd < 0 && (rc = spawn(s)))
			goto out;
		if ((rc = signer_send2(s->fd, op, a, an, b, bn)) ||
		    (rc = signer_recv(s->fd, &msg, &n))) {
			/* One that dies while working fails this request only. */
			reap(s);
			rc = oa_fail(OA_ERR_CRYPTO,
			    "the signer process stopped (%s); nothing was signed, a new one starts "
			    "with the next request",
			    oa_errmsg());
			goto out;
		}
	}
	status = msg[0];
	if (status_out)
		*status_out = status;
	if (status != 0) {
		rc = oa_fail(status < OA_ERR__MAX ? (oa_err)status : OA_ERR_INTERNAL, "%.*s",
		    (int)(n - 1), (const char *)msg + 1);
		if (!s->o.in_process && strstr(oa_errmsg(), "could not start"))
			reap(s);
		goto out;
	}
	if ((*reply = malloc(n > 1 ? n - 1 : 1)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*reply, msg + 1, n - 1);
	*rlen = n - 1;
	rc = OA_OK;
out:
	pthread_mutex_unlock(&s->lock);
	free(msg);
	return rc;
}

oa_err signer_open(const signer_opts *o, signer **out)
{
	signer *s = calloc(1, sizeof *s);
	uint8_t *r = NULL;
	size_t rl;
	oa_err rc;

	*out = NULL;
	if (s == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	s->o = *o;
	s->fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->o.dir = s->strs[0] = dup_or_null(o->dir);
	s->o.backend = s->strs[1] = dup_or_null(o->backend);
	s->o.passphrase_file = s->strs[2] = dup_or_null(o->passphrase_file);
	s->o.pkcs11_module = s->strs[3] = dup_or_null(o->pkcs11_module);
	s->o.pkcs11_token = s->strs[4] = dup_or_null(o->pkcs11_token);
	s->o.pkcs11_pin_file = s->strs[5] = dup_or_null(o->pkcs11_pin_file);
	s->o.user = s->strs[6] = dup_or_null(o->user);
	for (int k = 0; k < SIGNER__MAX; k++)
		s->o.certs[k] = o->certs[k] ? X509_dup(o->certs[k]) : NULL;
	if (o->exec_argv) {
		size_t n = 0;
		while (o->exec_argv[n])
			n++;
		if ((s->argv = calloc(n + 1, sizeof *s->argv)) != NULL)
			for (size_t i = 0; i < n; i++)
				s->argv[i] = strdup(o->exec_argv[i]);
		s->o.exec_argv = s->argv;
	}
	if (o->in_process) {
		if ((rc = signer_core_open(&s->core, &s->o))) {
			signer_free(s);
			return rc;
		}
		s->core_open = 1;
	}
	/* Start it now and make sure it answers. */
	if ((rc = request(s, SIGNER_OP_HELLO, NULL, 0, NULL, 0, &r, &rl, NULL))) {
		signer_free(s);
		return rc;
	}
	if (rl != 16 || memcmp(r, "openams-signer 1", 16) != 0) {
		free(r);
		signer_free(s);
		return oa_fail(OA_ERR_CRYPTO, "the signer process answered something unexpected");
	}
	free(r);
	*out = s;
	return OA_OK;
}

/* Ends the signer process: closing the socket ends its loop; it gets a
 * moment, then SIGKILL. */
static void stop(signer *s)
{
	if (s->fd >= 0 && !s->launched) {
		int st;
		close(s->fd);
		s->fd = -1;
		for (int i = 0; i < 100 && s->pid > 0; i++) {
			if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
				s->pid = 0;
				break;
			}
			usleep(1000);
		}
	}
	reap(s);
}

oa_err signer_restart(signer *s, X509 *const certs[SIGNER__MAX])
{
	X509 *dup[SIGNER__MAX] = {0};

	for (int k = 0; k < SIGNER__MAX; k++)
		if (certs[k] != NULL && (dup[k] = X509_dup(certs[k])) == NULL) {
			for (int j = 0; j < k; j++)
				X509_free(dup[j]);
			return oa_fail(OA_ERR_NOMEM, "out of memory");
		}
	pthread_mutex_lock(&s->lock);
	if (s->o.in_process) {
		pthread_mutex_unlock(&s->lock);
		for (int k = 0; k < SIGNER__MAX; k++)
			X509_free(dup[k]);
		return oa_fail(OA_ERR_STATE, "an in-process signer cannot be restarted");
	}
	stop(s);
	for (int k = 0; k < SIGNER__MAX; k++) {
		X509 *old = s->o.certs[k];
		s->o.certs[k] = dup[k];
		dup[k] = old;
	}
	pthread_mutex_unlock(&s->lock);
	for (int k = 0; k < SIGNER__MAX; k++)
		X509_free(dup[k]);
	return OA_OK;
}

void signer_free(signer *s)
{
	if (s == NULL)
		return;
	stop(s);
	if (s->core_open)
		signer_core_close(&s->core);
	for (int k = 0; k < SIGNER__MAX; k++)
		X509_free(s->o.certs[k]);
	for (size_t i = 0; i < sizeof s->strs / sizeof s->strs[0]; i++)
		free(s->strs[i]);
	if (s->argv) {
		for (size_t i = 0; s->argv[i]; i++)
			free(s->argv[i]);
		free(s->argv);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Sets the signature algorithm fields of an unsigned certificate, so it can
 * be encoded and sent. */
static oa_err preset_algorithm(X509_ALGOR *alg, const EVP_PKEY *ca_pub)
{
	const uint8_t *der;
	size_t len;
	int nid;
	oa_err rc;

	if ((rc = signer_algorithm_of(ca_pub, &der, &len, &nid)))
		return rc;
	if (!X509_ALGOR_set0(alg, OBJ_nid2obj(nid),
	        nid == NID_sha256WithRSAEncryption ? V_ASN1_NULL : V_ASN1_UNDEF, NULL))
		return oa_fail_ssl(OA_ERR_CRYPTO, "setting the signature algorithm");
	return OA_OK;
}

oa_err signer_sign_cert(signer *s, X509 *x, const char *profile, uint8_t **der, size_t *len)
{
	const X509_ALGOR *outer;
	unsigned char *body = NULL;
	uint8_t plen[1];
	int n;
	oa_err rc;

	*der = NULL;
	*len = 0;
	if (strlen(profile) == 0 || strlen(profile) > 63)
		return oa_fail(OA_ERR_INVALID, "bad profile name");
	X509_get0_signature(NULL, &outer, x);
	/* OpenSSL gives no setter for an unsigned certificate's algorithm
	 * fields; they are set in place (X509_sign does the same inside). */
	if ((rc = preset_algorithm((X509_ALGOR *)X509_get0_tbs_sigalg(x),
	         X509_get0_pubkey(s->o.certs[SIGNER_ISSUING]))) ||
	    (rc = preset_algorithm((X509_ALGOR *)outer, X509_get0_pubkey(s->o.certs[SIGNER_ISSUING]))))
		return rc;
	if ((n = i2d_X509(x, &body)) <= 0)
		return oa_fail_ssl(OA_ERR_CRYPTO, "encoding the certificate to sign");
	plen[0] = (uint8_t)strlen(profile);
	{
		oa_buf head = {0};
		if ((rc = oa_buf_append(&head, plen, 1)) ||
		    (rc = oa_buf_append(&head, profile, plen[0]))) {
			oa_buf_free(&head);
			OPENSSL_free(body);
			return rc;
		}
		rc = request(s, SIGNER_OP_SIGN_CERT, head.data, head.len, body, (size_t)n, der, len,
		    NULL);
		oa_buf_free(&head);
	}
	OPENSSL_free(body);
	return rc;
}

oa_err signer_sign_crl(signer *s, signer_key k, const uint8_t *tbs, size_t n, uint8_t **sig,
    size_t *siglen)
{
	uint8_t kb = (uint8_t)k;

	return request(s, SIGNER_OP_SIGN_CRL, &kb, 1, tbs, n, sig, siglen, NULL);
}

static void put64(uint8_t *p, int64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
}

oa_err signer_sign_ocsp(signer *s, const uint8_t *req, size_t req_len,
    const signer_ocsp_item *items, size_t n, int64_t this_update, int64_t next_update,
    uint8_t **der, size_t *der_len)
{
	oa_buf head = {0};
	uint8_t b[20], *reply = NULL;
	size_t rl, hl, len = 0;
	oa_err rc;

	*der = NULL;
	*der_len = 0;
	/* u32 request length | request | i64 thisUpdate | i64 nextUpdate |
	 * per CertID: u8 status, i64 revocation time, u8 reason (255: none) */
	b[0] = (uint8_t)(req_len >> 24);
	b[1] = (uint8_t)(req_len >> 16);
	b[2] = (uint8_t)(req_len >> 8);
	b[3] = (uint8_t)req_len;
	if ((rc = oa_buf_append(&head, b, 4)) || (rc = oa_buf_append(&head, req, req_len)))
		goto out;
	put64(b, this_update);
	put64(b + 8, next_update);
	if ((rc = oa_buf_append(&head, b, 16)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		b[0] = (uint8_t)items[i].status;
		put64(b + 1, items[i].revoked_at);
		b[9] = items[i].reason < 0 ? 255 : (uint8_t)items[i].reason;
		if ((rc = oa_buf_append(&head, b, 10)))
			goto out;
	}
	if ((rc = request(s, SIGNER_OP_SIGN_OCSP, head.data, head.len, NULL, 0, &reply, &rl, NULL)))
		goto out;
	/* One DER SEQUENCE spanning the reply, read no further: decoding it
	 * would decode the responder certificate's key again each time. */
	hl = rl >= 2 && reply[0] == 0x30 ? (reply[1] < 0x80 ? 2 : 2 + (size_t)(reply[1] & 0x7f)) : 0;
	if (hl > 0 && hl <= 6 && hl <= rl) {
		for (size_t i = 2; i < hl; i++)
			len = len << 8 | reply[i];
		if (hl == 2)
			len = reply[1];
	}
	if (hl == 0 || hl > 6 || hl > rl || len != rl - hl) {
		rc = oa_fail(OA_ERR_CRYPTO, "the signer returned an unreadable OCSP response");
		goto out;
	}
	*der = reply;
	*der_len = rl;
	reply = NULL;
out:
	free(reply);
	oa_buf_free(&head);
	return rc;
}

oa_err signer_check_pair(signer *s, signer_key k)
{
	uint8_t kb = (uint8_t)k, *r = NULL;
	size_t rl;
	oa_err rc = request(s, SIGNER_OP_CHECK_PAIR, &kb, 1, NULL, 0, &r, &rl, NULL);

	free(r);
	return rc;
}

oa_err signer_renew_ocsp(signer *s, int64_t not_before, int64_t not_after, uint8_t **cert,
    size_t *cert_len, uint8_t **key_pem, size_t *key_len)
{
	uint8_t b[16], *r = NULL;
	size_t rl, cl;
	oa_err rc;

	*cert = *key_pem = NULL;
	*cert_len = *key_len = 0;
	put64(b, not_before);
	put64(b + 8, not_after);
	if ((rc = request(s, SIGNER_OP_RENEW_OCSP, b, sizeof b, NULL, 0, &r, &rl, NULL)))
		return rc;
	if (rl < 4 || (cl = (size_t)r[0] << 24 | (size_t)r[1] << 16 | (size_t)r[2] << 8 | r[3]) == 0 ||
	    cl > rl - 4) {
		oa_wipe(r, rl);
		free(r);
		return oa_fail(OA_ERR_CRYPTO, "the signer returned an unreadable renewal");
	}
	if ((*cert = malloc(cl)) == NULL ||
	    (rl - 4 - cl > 0 && (*key_pem = malloc(rl - 4 - cl)) == NULL)) {
		free(*cert);
		*cert = NULL;
		oa_wipe(r, rl);
		free(r);
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	}
	memcpy(*cert, r + 4, cl);
	*cert_len = cl;
	if (rl - 4 - cl > 0) {
		memcpy(*key_pem, r + 4 + cl, rl - 4 - cl);
		*key_len = rl - 4 - cl;
	}
	oa_wipe(r, rl);
	free(r);
	return OA_OK;
}

oa_err signer_sign_tst(signer *s, const char *policy, const uint8_t *req, size_t req_len,
    uint8_t **resp, size_t *resp_len)
{
	size_t pl = policy ? strlen(policy) : 0;
	uint8_t head[4 + 128];

	*resp = NULL;
	*resp_len = 0;
	if (pl == 0 || pl >= 128)
		return oa_fail(OA_ERR_INVALID, "time-stamp policy: a dotted OID of at most 127 characters");
	head[0] = (uint8_t)(pl >> 24);
	head[1] = (uint8_t)(pl >> 16);
	head[2] = (uint8_t)(pl >> 8);
	head[3] = (uint8_t)pl;
	memcpy(head + 4, policy, pl);
	return request(s, SIGNER_OP_SIGN_TST, head, 4 + pl, req, req_len, resp, resp_len, NULL);
}

oa_err signer_raw(signer *s, const uint8_t *msg, size_t n, int *status, uint8_t **reply,
    size_t *reply_len)
{
	*status = -1;
	if (n == 0)
		return oa_fail(OA_ERR_INVALID, "empty");
	return request(s, msg[0], msg + 1, n - 1, NULL, 0, reply, reply_len, status);
}
