/*
 * cmd_store.c - `openams store copy`: an instance's SQLite database copied
 * into an empty PostgreSQL database, verified, and (--switch) the instance
 * pointed at it.
 *
 * The copy (store_copy_pg) runs in one PostgreSQL transaction; this file
 * verifies inside it, before the commit: the row count of every table equal
 * on both sides, and the audit chain intact on the PostgreSQL side
 * (audit_verify).  Any difference rolls the transaction back: nothing is
 * left in the target.  --switch then rewrites openams.conf's store.path
 * (a new file renamed over the old one).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "../conf/conf.h"
#include "../store/store.h"
#include "cli.h"

static const char usage_text[] =
    "usage: openams store copy --to URL [--dir DIR] [--switch]\n"
    "\n"
    "Copies the instance's SQLite database into the PostgreSQL database URL\n"
    "(postgresql://...), which must be empty: no tables, or openams's schema at the\n"
    "same schema version with no rows.  Every table in one transaction, ids, bytes\n"
    "and the audit chain as they are; then checks that each table has as many rows\n"
    "on both sides and that the audit chain verifies on PostgreSQL, and commits.\n"
    "Prints the tables, rows and audit head, exit 0; a refused target or any\n"
    "difference is exit 1, and the target is left as it was.\n"
    "\n"
    "The SQLite database is only read (one snapshot): the server may run, but what\n"
    "it writes after the snapshot is not copied.  Stop `openams serve` first for a\n"
    "real migration.\n"
    "\n"
    "  --switch   then set store.path = URL in DIR/openams.conf, so that the\n"
    "             instance runs on PostgreSQL from its next start\n";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Is line a setting of key (what conf.c reads: key = value)? */
static int is_setting(const char *line, const char *key)
{
	size_t n = strlen(key);

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, key, n) != 0)
		return 0;
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	return *line == '=';
}

oa_err cli_conf_set_store(const char *dir, const char *url)
{
	char path[OA_MAX_PATH], tmp[OA_MAX_PATH], line[4096];
	FILE *in = NULL, *out = NULL;
	struct stat sb;
	int fd = -1;
	oa_err rc = OA_OK;

	if (strpbrk(url, "\"\n\r\\") != NULL)
		return oa_fail(OA_ERR_INVALID, "the URL has a quote, backslash or line break: set"
		    " store.path by hand");
	if ((rc = oa_path_join(path, sizeof path, dir, "openams.conf")) ||
	    (rc = oa_path_join(tmp, sizeof tmp, dir, ".openams.conf.XXXXXX")))
		return rc;
	if ((in = fopen(path, "r")) == NULL || fstat(fileno(in), &sb) != 0) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", tmp, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	if (fchmod(fd, sb.st_mode & 07777) != 0 || (out = fdopen(fd, "w")) == NULL) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	while (fgets(line, sizeof line, in)) {
		size_t n = strlen(line);
		if (n == sizeof line - 1 && line[n - 1] != '\n') {
			rc = oa_fail(OA_ERR_LIMIT, "%s: a line is too long", path);
			goto out;
		}
		/* store.backend: an older key that store.path's form now decides */
		if (!is_setting(line, "store.path") && !is_setting(line, "store.backend"))
			fputs(line, out);
	}
	fprintf(out, "store.path = \"%s\"\n", url);
	if (ferror(in) || fflush(out) != 0 || fsync(fileno(out)) != 0) {
		rc = oa_fail(OA_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(out) != 0) {
		out = NULL;
		rc = oa_fail(OA_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	out = NULL;
	if (rename(tmp, path) != 0) {
		rc = oa_fail(OA_ERR_IO, "rename %s: %s", path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(fd);
		close(fd);
	}
out:
	if (out)
		fclose(out);
	if (in)
		fclose(in);
	if (tmp[0])
		unlink(tmp);
	return rc;
}

static int store_copy(const char *dir, const char *url, int do_switch)
{
	char path[OA_MAX_PATH], db[OA_MAX_PATH];
	store_copy_report *r = NULL;
	store *d = NULL;
	conf *c = NULL;
	audit_report ar;
	int64_t bad = 0;
	double t0 = now_s();
	oa_err rc;

	if ((c = conf_new()) == NULL || (r = calloc(1, sizeof *r)) == NULL) {
		rc = oa_fail(OA_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = oa_path_join(path, sizeof path, dir, "openams.conf")) ||
	    (rc = conf_load(c, path)) ||
	    (rc = store_path_join(db, sizeof db, dir, conf_str(c, "store.path"))) ||
	    (rc = store_copy_pg(db, url, r, &d)))
		goto out;
	for (int k = 0; k < r->ntables; k++) {
		const store_copy_table *e = &r->t[k];
		if (e->src_rows != e->copied || e->dst_rows != e->src_rows) {
			fprintf(stderr, "openams: store copy: table %s: %" PRId64 " rows in SQLite, %"
			    PRId64 " copied, %" PRId64 " in PostgreSQL\n", e->name, e->src_rows,
			    e->copied, e->dst_rows);
			bad++;
		}
	}
	if (bad) {
		rc = oa_fail(OA_ERR_STATE, "%" PRId64 " tables differ; rolled back, the target is as"
		    " it was", bad);
		goto out;
	}
	if ((rc = audit_verify(d, &ar))) {
		rc = oa_fail(rc, "the audit chain does not verify on PostgreSQL (%s); rolled back,"
		    " the target is as it was", oa_errmsg());
		goto out;
	}
	if ((rc = store_commit(d)))
		goto out;
	printf("copied %s into PostgreSQL (schema version %d%s) in %.2f s\n", db, r->version,
	    r->fresh ? ", made by the migrations" : ", already there and empty", now_s() - t0);
	for (int k = 0; k < r->ntables; k++)
		printf("  %-24s %" PRId64 "\n", r->t[k].name, r->t[k].dst_rows);
	printf("tables: %d, rows: %" PRId64 " (equal on both sides)\n", r->ntables, r->rows);
	printf("audit: %" PRId64 " records, head %s (verified on PostgreSQL)\n", ar.rows,
	    ar.rows ? ar.head : "(empty)");
	if (do_switch) {
		if ((rc = cli_conf_set_store(dir, url)))
			goto out;
		printf("switched: %s/openams.conf now has store.path = \"%s\"\n", dir, url);
	} else
		printf("not switched: set store.path = \"%s\" in %s/openams.conf to run on it\n", url,
		    dir);
out:
	if (d) {
		store_rollback(d);
		store_close(d);
	}
	conf_free(c);
	free(r);
	return rc ? cli_report(rc) : CLI_OK;
}

int cmd_store(int argc, char **argv)
{
	const char *dir = NULL, *url = NULL;
	int do_switch = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "copy") != 0)
		return cli_usage("unknown store command '%s'", argv[1]);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return CLI_OK;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			url = argv[++i];
		else if (strcmp(argv[i], "--switch") == 0)
			do_switch = 1;
		else
			return cli_usage("unexpected argument '%s'", argv[i]);
	}
	if (url == NULL)
		return cli_usage("store copy needs --to postgresql://...");
	return store_copy(cli_data_dir(dir), url, do_switch);
}
