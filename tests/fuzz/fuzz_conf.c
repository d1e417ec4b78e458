/*
 * fuzz_conf.c - the configuration file parser (conf_parse), given text the
 * way conf_load gives it: NUL-terminated, no NUL inside.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	conf *c;
	char *s;

	if (n > OA_MAX_CONFIG_BYTES || memchr(d, 0, n) != NULL)
		return 0;
	if ((c = conf_new()) == NULL)
		abort();
	s = fz_str(d, n);
	(void)conf_parse(c, "fuzz.conf", s);
	free(s);
	conf_free(c);
	return 0;
}
