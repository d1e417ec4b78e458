#include "cli.h"
int cmd_init(int argc, char **argv) { return CLI_FAIL; }
