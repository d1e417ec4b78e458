/*
 * yaml_bound.h - the first pass every YAML file of openams (SOP
 * definitions, certificate profiles) goes through before libyaml builds a
 * document from it: linear in the input, and refusing what would make the
 * load that follows anything but linear.
 *
 * Why: libyaml's scanner walks its stack of possible simple keys (one per
 * open flow collection) for every token, and its loader compares every
 * anchor with all earlier ones.  A body of N `[` or N `&a` anchors thus
 * costs N^2 (issue 16: 98 s for 100,000 `[`).  Stopping at the depth limit
 * bounds the scanner's work per token by a constant (the limit plus the
 * 1024 characters it may look ahead on one line).
 */
#ifndef OA_YAML_BOUND_H
#define OA_YAML_BOUND_H

#include <stddef.h>

#include "err.h"

/*
 * Reads text with libyaml's event parser.  OA_OK if lists and mappings nest
 * at most OA_MAX_YAML_DEPTH deep, there are at most OA_MAX_YAML_NODES nodes
 * and no alias or anchor; also OA_OK on a syntax error, which the load that
 * follows reports.  Otherwise OA_ERR_LIMIT (a limit, named in the message)
 * or OA_ERR_INVALID (an alias or anchor), with *line the 1-based line and
 * oa_errmsg() a message without file name or line; or OA_ERR_NOMEM.
 */
oa_err oa_yaml_bounded(const char *text, size_t len, int *line);

#endif
