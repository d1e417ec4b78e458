/*
 * proc.c - this process's identity for shared-database duties (proc.h).
 * A PID reused by an unrelated process makes a gone holder look alive:
 * callers then wait for its lease to run out, never take it early.  Two
 * hosts must not share a host name (containers with the same name and
 * separate PID namespaces would judge each other's PIDs).
 */
#include "proc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <unistd.h>

static char id_buf[OA_PROCESS_ID_MAX];
static pid_t id_pid;
static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;

static void make_id(void)
{
	char host[64] = "";
	unsigned char r[6] = {0};

	if (gethostname(host, sizeof host - 1) != 0 || !host[0])
		snprintf(host, sizeof host, "localhost");
	for (char *p = host; *p; p++)
		if (*p == ':')
			*p = '_';
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		memset(r, 0, sizeof r);
	id_pid = getpid();
	snprintf(id_buf, sizeof id_buf, "%.63s:%ld:%02x%02x%02x%02x%02x%02x", host, (long)id_pid,
	    r[0], r[1], r[2], r[3], r[4], r[5]);
}

const char *oa_process_id(void)
{
	/* made again in a forked child: it is another process */
	pthread_mutex_lock(&id_lock);
	if (id_pid != getpid())
		make_id();
	pthread_mutex_unlock(&id_lock);
	return id_buf;
}

int oa_process_gone(const char *id)
{
	const char *me = oa_process_id(), *colon, *p;
	char *end;
	long pid;
	size_t hl;

	if (id == NULL || strcmp(id, me) == 0 || (colon = strchr(me, ':')) == NULL)
		return 0;
	hl = (size_t)(colon - me);
	if (strncmp(id, me, hl) != 0 || id[hl] != ':')
		return 0; /* another host's: only its lease running out tells */
	p = id + hl + 1;
	pid = strtol(p, &end, 10);
	if (end == p || *end != ':' || pid <= 0)
		return 0;
	if ((pid_t)pid == getpid())
		return 1; /* an earlier process that had this PID */
	if (kill((pid_t)pid, 0) != 0)
		return errno == ESRCH;
	{
		/* killed but not yet reaped by its parent (a zombie): gone too */
		char path[64], buf[256], *close;
		FILE *f;
		int z = 0;
		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) == NULL)
			return 0;
		if (fgets(buf, sizeof buf, f) && (close = strrchr(buf, ')')) != NULL && close[1] == ' ')
			z = close[2] == 'Z' || close[2] == 'X';
		fclose(f);
		return z;
	}
}
