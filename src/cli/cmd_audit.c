/*
 * cmd_audit.c - `openams audit verify`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "../common/limits.h"
#include "../common/util.h"
#include "../conf/conf.h"
#include "../store/store.h"
#include "cli.h"

static const char usage_text[] =
    "usage: openams audit verify [--dir DIR]\n"
    "\n"
    "Recomputes the hash chain of the audit log.  Prints the number of records\n"
    "and the head hash (keep it elsewhere to detect a truncated log), exit 0;\n"
    "or names the first record that was changed, removed or reordered, exit 1.\n";

/* Opens the instance's store from DIR/openams.conf. */
static oa_err open_store(const char *dir, store **out)
{
	char path[OA_MAX_PATH], db[OA_MAX_PATH];
	conf *c = conf_new();
	oa_err rc;

	if (c == NULL)
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	if ((rc = oa_path_join(path, sizeof path, dir, "openams.conf")) ||
	    (rc = conf_load(c, path)) ||
	    (rc = store_path_join(db, sizeof db, dir, conf_str(c, "store.path")))) {
		conf_free(c);
		return rc;
	}
	conf_free(c);
	return store_open(db, out);
}

int cmd_audit(int argc, char **argv)
{
	const char *dir = NULL;
	store *s = NULL;
	audit_report r;
	oa_err rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "verify") != 0)
		return cli_usage("unknown audit command '%s'", argv[1]);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else
			return cli_usage("unexpected argument '%s'", argv[i]);
	}
	if ((rc = open_store(cli_data_dir(dir), &s)))
		return cli_report(rc);
	rc = audit_verify(s, &r);
	store_close(s);
	if (rc == OA_ERR_STATE) {
		fprintf(stderr, "openams: audit: BROKEN at record %" PRId64 ": %s\n", r.first_bad,
		    r.reason);
		return CLI_FAIL;
	}
	if (rc)
		return cli_report(rc);
	printf("audit log intact: %" PRId64 " records, head %s\n", r.rows,
	    r.rows ? r.head : "(empty)");
	return CLI_OK;
}
