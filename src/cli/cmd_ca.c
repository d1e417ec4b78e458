#include "cli.h"
int cmd_ca(int argc, char **argv) { return CLI_FAIL; }
