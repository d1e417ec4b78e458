/*
 * routes_portal_admin.c - portal pages (placeholder: the routes are being built).
 */
#include "portal.h"

static const web_route routes[] = {
	{0, NULL, NULL, 0},
};

const web_route_table web_portal_admin_table = {"portal_admin", routes, 0};
