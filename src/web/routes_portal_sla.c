/*
 * routes_portal_sla.c - portal pages (placeholder: the routes are being built).
 */
#include "portal.h"

static const web_route routes[] = {
	{0, NULL, NULL, 0},
};

const web_route_table web_portal_sla_table = {"portal_sla", routes, 0};
