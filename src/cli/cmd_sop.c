/*
 * cmd_sop.c - `openams sop ...` (being written; see issue "Executable SOPs").
 */
#include <stdio.h>

#include "cli.h"

int cmd_sop(int argc, char **argv)
{
	fputs("openams: sop commands are not built yet\n", stderr);
	return CLI_FAIL;
}
