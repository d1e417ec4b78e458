/*
 * cmd_config.c - `openams config check|dump|example`.
 */
#include <stdio.h>
#include <string.h>

#include "../common/limits.h"
#include "../common/util.h"
#include "../conf/conf.h"
#include "cli.h"

static const char usage_text[] =
    "usage: openams config check   [--dir DIR] [--file FILE]\n"
    "       openams config dump    [--dir DIR]\n"
    "       openams config example\n"
    "\n"
    "check    parse DIR/openams.conf (or FILE); exit 1 naming file:line on an error\n"
    "dump     print the effective configuration, one `key = value` per line\n"
    "example  print the fully commented example configuration with defaults\n";

int cmd_config(int argc, char **argv)
{
	const char *dir = NULL, *file = NULL;
	char path[OA_MAX_PATH];
	conf *c;
	oa_err rc;
	int ret = CLI_OK;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
			file = argv[++i];
		else
			return cli_usage("unexpected argument '%s' (see openams config --help)", argv[i]);
	}
	if ((c = conf_new()) == NULL)
		return cli_report(oa_fail(OA_ERR_NOMEM, "out of memory"));
	if (strcmp(argv[1], "example") == 0) {
		conf_write_example(c, stdout);
		goto out;
	}
	if (file == NULL) {
		if ((rc = oa_path_join(path, sizeof path, cli_data_dir(dir), "openams.conf"))) {
			ret = cli_report(rc);
			goto out;
		}
		file = path;
	}
	if ((rc = conf_load(c, file))) {
		ret = cli_report(rc);
		goto out;
	}
	if (strcmp(argv[1], "check") == 0)
		printf("%s: ok\n", file);
	else if (strcmp(argv[1], "dump") == 0)
		conf_dump(c, stdout);
	else
		ret = cli_usage("unknown config command '%s'", argv[1]);
out:
	conf_free(c);
	return ret;
}
