/*
 * cmd_serve.c - `openams serve [--dir DIR] [--listen ADDR:PORT]`: the HTTP
 * server (src/http), in the foreground until SIGTERM or SIGINT.
 */
#include <stdio.h>
#include <string.h>

#include "../http/http.h"
#include "cli.h"

static const char usage_text[] =
    "usage: openams serve [--dir DIR] [--listen ADDR:PORT]\n"
    "\n"
    "Serves the public PKI endpoints (CA certificates, CRLs, OCSP over GET and\n"
    "POST, certificate status), /healthz and /metrics, in the foreground.\n"
    "\n"
    "  --listen ADDR:PORT  overrides web.listen: A.B.C.D:PORT or [IPv6]:PORT;\n"
    "                      port 0 picks a free port (printed on stderr)\n"
    "\n"
    "Plain HTTP is refused on a non-loopback address unless web.tls_cert and\n"
    "web.tls_key are set (HTTPS) or web.allow_plain_http = yes.  One log line\n"
    "per request goes to stderr.  SIGTERM or SIGINT: stop accepting, finish the\n"
    "requests in flight (web.shutdown_grace_seconds at most), exit 0.\n";

int cmd_serve(int argc, char **argv)
{
	web_opts o = {0};
	const char *dir = NULL;
	oa_err rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return CLI_OK;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			o.listen = argv[++i];
		else
			return cli_usage("unexpected argument '%s' (see openams serve --help)", argv[i]);
	}
	o.dir = cli_data_dir(dir);
	if ((rc = web_serve(&o)))
		return cli_report(rc);
	return CLI_OK;
}
