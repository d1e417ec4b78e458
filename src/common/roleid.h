/*
 * roleid.h - the rule for role names, written once.  An SOP's actor ids
 * become the roles people are granted (auth_role_grant), so `sop check`
 * applies the same rule to them as auth does to a grant: an actor id that
 * could never be granted would make an activated SOP that nobody can work.
 */
#ifndef OA_ROLEID_H
#define OA_ROLEID_H

#include <stddef.h>

#define OA_MAX_ROLE_ID 64 /* bytes of a role name (auth's AUTH_MAX_ID) */

/* 1 if s is a role name: 1 to OA_MAX_ROLE_ID of a-z, 0-9 and `_`. */
static inline int oa_role_valid(const char *s)
{
	size_t n;

	if (s == NULL || !*s)
		return 0;
	for (n = 0; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	return n <= OA_MAX_ROLE_ID;
}

#endif
