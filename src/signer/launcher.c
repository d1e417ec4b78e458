/*
 * launcher.c - the signer launcher: a small process that starts signers for
 * a server that has given up root.
 *
 * `openams serve` started as root with web.user set forks it before any
 * thread exists, then drops to web.user.  The launcher stays root (no
 * network when it can have a namespace of its own, a capability bounding set
 * cut down to what a signer needs to read the keys and switch user) and does
 * one thing: for each request on its socket it makes a socketpair, starts
 * `openams __signer --dir DIR` with one end on fd 3 and hands the other end,
 * with the signer's PID, back over SCM_RIGHTS.  The program and DIR are fixed
 * when the launcher starts: the server cannot choose what runs as root.  The
 * signer reads the keys as root and drops to signer.user itself (child.c).
 * The launcher ends when the server has gone (EOF on its socket).
 *
 * Protocol (SOCK_SEQPACKET): request = one byte 'S'; answer = struct
 * launch_reply, with the signer's end of its socketpair attached when pid > 0.
 */
#include "signerInt.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct launch_reply {
	int32_t pid; /* > 0: started, its socket attached */
	int32_t err; /* else: errno of what failed */
};

static int launcher_fd = -1;
static pthread_mutex_t launcher_lock = PTHREAD_MUTEX_INITIALIZER;

int signer_launcher_active(void)
{
	return launcher_fd >= 0;
}

/* The capabilities a signer started as root uses: reading the key files of
 * another user (DAC), switching to signer.user, its network namespace. */
static int kept_cap(int cap)
{
	return cap == CAP_SETUID || cap == CAP_SETGID || cap == CAP_DAC_OVERRIDE ||
	       cap == CAP_DAC_READ_SEARCH || cap == CAP_SYS_ADMIN;
}

static void launch_one(int sock, char *const argv[])
{
	struct launch_reply r = {0, 0};
	struct msghdr m = {0};
	struct iovec iov = {&r, sizeof r};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	int sv[2];
	pid_t pid;

	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		r.err = errno;
		send(sock, &r, sizeof r, MSG_NOSIGNAL);
		return;
	}
	if ((pid = fork()) < 0) {
		r.err = errno;
		close(sv[0]);
		close(sv[1]);
		send(sock, &r, sizeof r, MSG_NOSIGNAL);
		return;
	}
	if (pid == 0) {
		/* The signer: its socket on fd 3 (replacing the launcher's),
		 * nothing else but standard input, output and error. */
		signal(SIGCHLD, SIG_DFL);
		signal(SIGINT, SIG_IGN); /* the server decides when the signer stops */
		if (dup2(sv[1], 3) != 3)
			_exit(127);
		close_range(4, ~0U, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	close(sv[1]);
	r.pid = (int32_t)pid;
	memset(&cm, 0, sizeof cm);
	m.msg_control = cm.buf;
	m.msg_controllen = sizeof cm.buf;
	{
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &sv[0], sizeof(int));
	}
	/* If the server cannot take it, the signer sees EOF and ends. */
	sendmsg(sock, &m, MSG_NOSIGNAL);
	close(sv[0]);
}

_Noreturn static void launcher_main(int sock, char *const argv[])
{
	/* Only its socket (as fd 3) and standard input, output and error. */
	if (sock != 3 && dup2(sock, 3) != 3)
		_exit(1);
	close_range(4, ~0U, 0);
	prctl(PR_SET_NAME, "openams-launch", 0, 0, 0);
	/* Signers are nobody's to wait for: the kernel reaps them. */
	signal(SIGCHLD, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* No network for it nor the signers it starts, where the system lets
	 * it have a namespace (not under the systemd unit: there the signer's
	 * seccomp filter is what keeps it off the network). */
	(void)unshare(CLONE_NEWNET);
	/* What runs as root from here on keeps only the capabilities a signer
	 * uses (where the bounding set can be changed). */
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!kept_cap(cap))
			(void)prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	for (;;) {
		uint8_t b;
		ssize_t n = recv(3, &b, 1, 0);
		if (n == 0)
			_exit(0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (b == 'S')
			launch_one(3, argv);
	}
}

oa_err signer_launcher_start(const char *dir)
{
	static char exe[4096];
	static char dirbuf[4096];
	static char *argv[5];
	ssize_t n;
	int sv[2];
	pid_t pid;

	if (launcher_fd >= 0)
		return oa_fail(OA_ERR_STATE, "the signer launcher is already running");
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) <= 0)
		return oa_fail(OA_ERR_IO, "signer launcher: /proc/self/exe: %s", strerror(errno));
	exe[n] = 0;
	if ((size_t)snprintf(dirbuf, sizeof dirbuf, "%s", dir) >= sizeof dirbuf)
		return oa_fail(OA_ERR_INVALID, "signer launcher: data directory path too long");
	argv[0] = exe;
	argv[1] = "__signer";
	argv[2] = "--dir";
	argv[3] = dirbuf;
	argv[4] = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return oa_fail(OA_ERR_IO, "signer launcher: socketpair: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return oa_fail(OA_ERR_IO, "signer launcher: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(sv[0]);
		launcher_main(sv[1], argv);
	}
	close(sv[1]);
	launcher_fd = sv[0];
	return OA_OK;
}

oa_err signer_launcher_spawn(int *fd, pid_t *pid)
{
	struct launch_reply r = {0, 0};
	struct msghdr m = {0};
	struct iovec iov = {&r, sizeof r};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr *h;
	uint8_t b = 'S';
	ssize_t n;

	*fd = -1;
	*pid = 0;
	memset(&cm, 0, sizeof cm);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cm.buf;
	m.msg_controllen = sizeof cm.buf;
	pthread_mutex_lock(&launcher_lock);
	if (launcher_fd < 0) {
		pthread_mutex_unlock(&launcher_lock);
		return oa_fail(OA_ERR_STATE, "no signer launcher");
	}
	while ((n = send(launcher_fd, &b, 1, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (n == 1)
		while ((n = recvmsg(launcher_fd, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
			;
	pthread_mutex_unlock(&launcher_lock);
	if (n <= 0)
		return oa_fail(OA_ERR_IO, "the signer launcher has stopped (%s): no signer can start",
		    n == 0 ? "it closed its socket" : strerror(errno));
	h = CMSG_FIRSTHDR(&m);
	if (h != NULL && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
	    h->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(h), sizeof(int));
	if ((size_t)n != sizeof r || r.pid <= 0 || *fd < 0 || (m.msg_flags & MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return oa_fail(OA_ERR_IO, "the signer launcher could not start a signer: %s",
		    r.err ? strerror(r.err) : "unexpected answer");
	}
	*pid = (pid_t)r.pid;
	return OA_OK;
}
