/*
 * api_client.c - the load of bench/bench_api.sh's issuance figure: N
 * concurrent clients (threads, each with its own keep-alive connection)
 * complete the BSrE issue step of the cases listed in IDS_FILE through
 * POST /api/v1/cases/{id}/act, each case once, as fast as the server
 * answers.
 *
 *   api_client PORT CLIENTS IDS_FILE      (cookie and CSRF token in the
 *                                          environment: COOKIE, CSRF)
 *   CFSSL=1 api_client PORT CLIENTS BODIES_FILE
 *        the peer (bench/table.sh): POST each line of BODIES_FILE (a JSON
 *        sign request) to cfssl's /api/v1/cfssl/sign; a certificate counts
 *        when the answer is 200 and says "success":true.
 *
 * A certificate counts when the answer is 200 and names the serial issued;
 * the clock runs from the first request to the last answer.  Prints the
 * rate, p50/p99 latency and the failures (with the first failure's body).
 * Written in C so that the client takes little of the CPU it measures.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

struct shared {
	const char *port, *cookie, *csrf;
	long *ids;
	char **bodies; /* CFSSL=1: one sign request per certificate */
	double *lat;
	size_t n;
	atomic_size_t next, ok, failed;
	pthread_mutex_t lock;
	char first_failure[512];
};

struct body {
	char buf[2048];
	size_t len;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t k = size * n, room = sizeof b->buf - 1 - b->len;

	memcpy(b->buf + b->len, p, k < room ? k : room);
	b->len += k < room ? k : room;
	b->buf[b->len] = 0;
	return k;
}

static void *client(void *arg)
{
	struct shared *sh = arg;
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char line[1024];
	static const char req[] = "{\"step\":\"11\",\"role\":\"bsre\"}";

	if (h == NULL)
		return NULL;
	if (!sh->bodies) {
		snprintf(line, sizeof line, "Cookie: %s", sh->cookie);
		hdr = curl_slist_append(hdr, line);
		snprintf(line, sizeof line, "X-CSRF-Token: %s", sh->csrf);
		hdr = curl_slist_append(hdr, line);
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	for (;;) {
		size_t i = atomic_fetch_add(&sh->next, 1);
		struct body b = {.len = 0};
		long status = 0;
		double t;
		if (i >= sh->n)
			break;
		if (sh->bodies) {
			snprintf(line, sizeof line, "http://127.0.0.1:%s/api/v1/cfssl/sign", sh->port);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, sh->bodies[i]);
		} else {
			snprintf(line, sizeof line, "http://127.0.0.1:%s/api/v1/cases/%ld/act", sh->port,
			    sh->ids[i]);
		}
		curl_easy_setopt(h, CURLOPT_URL, line);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
		b.buf[0] = 0;
		t = now_s();
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		t = now_s() - t;
		if (status == 200 && sh->bodies && strstr(b.buf, "\"success\":true") == NULL)
			status = -1;
		else if (status == 200 && !sh->bodies && strstr(b.buf, "\"issued\": \"") == NULL &&
		    strstr(b.buf, "\"issued\":\"") == NULL)
			status = -1;
		if (status == 200) {
			sh->lat[atomic_fetch_add(&sh->ok, 1)] = t;
		} else {
			atomic_fetch_add(&sh->failed, 1);
			pthread_mutex_lock(&sh->lock);
			if (!sh->first_failure[0])
				snprintf(sh->first_failure, sizeof sh->first_failure, "%s %ld: status %ld: %s",
				    sh->bodies ? "request" : "case", sh->bodies ? (long)i : sh->ids[i], status, b.buf);
			pthread_mutex_unlock(&sh->lock);
		}
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct shared sh = {.lock = PTHREAD_MUTEX_INITIALIZER};
	pthread_t th[256];
	long nclients, id;
	size_t cap = 1024, ok;
	FILE *f;
	double t0, el;

	int cfssl = getenv("CFSSL") != NULL && strcmp(getenv("CFSSL"), "1") == 0;

	if (argc != 4 || (nclients = atol(argv[2])) < 1 || nclients > 256 ||
	    (!cfssl && ((sh.cookie = getenv("COOKIE")) == NULL || (sh.csrf = getenv("CSRF")) == NULL))) {
		fprintf(stderr, "usage: COOKIE=.. CSRF=.. api_client PORT CLIENTS IDS_FILE\n"
		                "       CFSSL=1 api_client PORT CLIENTS BODIES_FILE\n");
		return 2;
	}
	sh.port = argv[1];
	if (cfssl) {
		static char lbuf[1 << 16];
		size_t bcap = 1024;
		if ((f = fopen(argv[3], "r")) == NULL || (sh.bodies = malloc(bcap * sizeof *sh.bodies)) == NULL) {
			perror(argv[3]);
			return 1;
		}
		while (fgets(lbuf, sizeof lbuf, f)) {
			lbuf[strcspn(lbuf, "\n")] = 0;
			if (!lbuf[0])
				continue;
			if (sh.n == bcap && (sh.bodies = realloc(sh.bodies, (bcap *= 2) * sizeof *sh.bodies)) == NULL)
				return 1;
			if ((sh.bodies[sh.n++] = strdup(lbuf)) == NULL)
				return 1;
		}
		fclose(f);
		if (sh.n == 0 || (sh.lat = calloc(sh.n, sizeof *sh.lat)) == NULL) {
			fprintf(stderr, "api_client: no requests in %s\n", argv[3]);
			return 1;
		}
		goto run;
	}
	if ((f = fopen(argv[3], "r")) == NULL || (sh.ids = malloc(cap * sizeof *sh.ids)) == NULL) {
		perror(argv[3]);
		return 1;
	}
	while (fscanf(f, "%ld", &id) == 1) {
		if (sh.n == cap && (sh.ids = realloc(sh.ids, (cap *= 2) * sizeof *sh.ids)) == NULL)
			return 1;
		sh.ids[sh.n++] = id;
	}
	fclose(f);
	if (sh.n == 0 || (sh.lat = calloc(sh.n, sizeof *sh.lat)) == NULL) {
		fprintf(stderr, "api_client: no case ids in %s\n", argv[3]);
		return 1;
	}
run:
	curl_global_init(CURL_GLOBAL_DEFAULT);
	t0 = now_s();
	for (long i = 0; i < nclients; i++)
		if (pthread_create(&th[i], NULL, client, &sh) != 0)
			return 1;
	for (long i = 0; i < nclients; i++)
		pthread_join(th[i], NULL);
	el = now_s() - t0;
	ok = atomic_load(&sh.ok);
	qsort(sh.lat, ok, sizeof *sh.lat, cmp);
	printf("issued %zu certificates in %.2f s: %.0f certificates/s (%ld clients); "
	       "latency p50 %.1f ms, p99 %.1f ms; %zu failed\n",
	    ok, el, (double)ok / el, nclients, ok ? 1000 * sh.lat[ok / 2] : 0.0,
	    ok ? 1000 * sh.lat[ok * 99 / 100] : 0.0, atomic_load(&sh.failed));
	if (sh.first_failure[0])
		printf("first failure: %s\n", sh.first_failure);
	curl_global_cleanup();
	return atomic_load(&sh.failed) ? 1 : 0;
}
