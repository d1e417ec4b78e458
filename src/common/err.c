/*
 * err.c - thread-local error messages (see err.h).
 */
#include "err.h"

#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char errbuf[1024];
static _Thread_local char errid[32], errarg[128];

static const char *const names[OA_ERR__MAX] = {
	[OA_OK] = "ok",
	[OA_ERR_INVALID] = "invalid_input",
	[OA_ERR_NOTFOUND] = "not_found",
	[OA_ERR_EXISTS] = "exists",
	[OA_ERR_POLICY] = "policy",
	[OA_ERR_LINT] = "lint",
	[OA_ERR_STATE] = "state",
	[OA_ERR_LIMIT] = "limit",
	[OA_ERR_DENIED] = "denied",
	[OA_ERR_CRYPTO] = "crypto",
	[OA_ERR_STORE] = "store",
	[OA_ERR_IO] = "io",
	[OA_ERR_NOMEM] = "no_memory",
	[OA_ERR_CONFIG] = "config",
	[OA_ERR_INTERNAL] = "internal",
};

const char *oa_err_name(oa_err code)
{
	if ((unsigned)code >= OA_ERR__MAX)
		return "internal";
	return names[code];
}

/* The message, formatted into a scratch buffer first: callers may pass
 * oa_errmsg() itself as an argument, to wrap the previous message in
 * context. */
__attribute__((format(printf, 1, 0))) static void set_msg(const char *fmt, va_list ap)
{
	char tmp[sizeof errbuf];

	vsnprintf(tmp, sizeof tmp, fmt, ap);
	memcpy(errbuf, tmp, sizeof errbuf);
}

oa_err oa_fail(oa_err code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_msg(fmt, ap);
	va_end(ap);
	errid[0] = errarg[0] = '\0';
	return code;
}

oa_err oa_fail_id(oa_err code, const char *id, const char *arg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_msg(fmt, ap);
	va_end(ap);
	snprintf(errid, sizeof errid, "%s", id ? id : "");
	snprintf(errarg, sizeof errarg, "%s", arg ? arg : "");
	return code;
}

const char *oa_errid(void)
{
	return errid;
}

const char *oa_errarg(void)
{
	return errarg;
}

oa_err oa_fail_ssl(oa_err code, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	unsigned long e;

	char tmp[sizeof errbuf];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	memcpy(errbuf, tmp, sizeof errbuf);
	errid[0] = errarg[0] = '\0';
	n = strlen(errbuf);
	while ((e = ERR_get_error()) != 0 && n + 4 < sizeof errbuf) {
		char one[256];
		ERR_error_string_n(e, one, sizeof one);
		snprintf(errbuf + n, sizeof errbuf - n, " [%s]", one);
		n = strlen(errbuf);
	}
	ERR_clear_error();
	return code;
}

const char *oa_errmsg(void)
{
	return errbuf;
}

void oa_err_clear(void)
{
	errbuf[0] = '\0';
	errid[0] = errarg[0] = '\0';
	ERR_clear_error();
}
