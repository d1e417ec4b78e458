/*
 * routes_dump.c - prints the router's routes, one "METHOD PATTERN" line
 * per method (GET implies HEAD, which is not listed), for the test that
 * keeps docs/openapi.yaml in step with the router.
 */
#include <stdio.h>

#include "http/httpInt.h"

int main(void)
{
	static const struct {
		unsigned bit;
		const char *name;
	} ms[] = {{WEB_GET, "GET"}, {WEB_POST, "POST"}, {WEB_PUT, "PUT"}, {WEB_PATCH, "PATCH"},
	    {WEB_DELETE, "DELETE"}, {WEB_OPTIONS, "OPTIONS"}};

	for (size_t i = 0; i < web_nroutes(); i++) {
		const web_route *rt = web_route_at((int)i);
		for (size_t m = 0; m < sizeof ms / sizeof ms[0]; m++)
			if (rt->methods & ms[m].bit)
				printf("%s %s\n", ms[m].name, rt->pattern);
	}
	return 0;
}
