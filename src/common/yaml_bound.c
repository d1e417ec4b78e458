/*
 * yaml_bound.c - the linear first pass over a YAML file (see yaml_bound.h).
 * Reads events only; builds nothing and keeps nothing of the text.
 */
#include "yaml_bound.h"

#include <yaml.h>

#include "limits.h"

oa_err oa_yaml_bounded(const char *text, size_t len, int *line)
{
	yaml_parser_t p;
	yaml_event_t ev;
	size_t depth = 0, nodes = 0;
	int anchor_line = 0, done = 0;
	oa_err rc = OA_OK;

	*line = 0;
	if (!yaml_parser_initialize(&p))
		return oa_fail(OA_ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (rc == OA_OK && !done) {
		const unsigned char *anchor = NULL;

		if (!yaml_parser_parse(&p, &ev)) {
			if (p.error == YAML_MEMORY_ERROR)
				rc = oa_fail(OA_ERR_NOMEM, "out of memory");
			break; /* a syntax error: the load reports it */
		}
		*line = (int)ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_ALIAS_EVENT:
			rc = oa_fail(OA_ERR_INVALID, "YAML aliases (*name) are not supported; write the "
			    "value out in full");
			break;
		case YAML_SCALAR_EVENT:
			anchor = ev.data.scalar.anchor;
			nodes++;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			anchor = ev.type == YAML_SEQUENCE_START_EVENT ?
			    ev.data.sequence_start.anchor : ev.data.mapping_start.anchor;
			nodes++;
			if (++depth > OA_MAX_YAML_DEPTH)
				rc = oa_fail(OA_ERR_LIMIT, "lists and mappings nested deeper than %d levels "
				    "(OA_MAX_YAML_DEPTH); flatten the structure", OA_MAX_YAML_DEPTH);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (rc == OA_OK && nodes > OA_MAX_YAML_NODES)
			rc = oa_fail(OA_ERR_LIMIT, "more than %d YAML nodes (texts, lists and mappings; "
			    "OA_MAX_YAML_NODES)", OA_MAX_YAML_NODES);
		if (anchor != NULL && anchor_line == 0)
			anchor_line = *line;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc == OA_OK && anchor_line) {
		/* Anchors serve only aliases, and libyaml registers them in N^2. */
		*line = anchor_line;
		rc = oa_fail(OA_ERR_INVALID, "YAML anchors (&name) are not supported; remove it");
	}
	return rc;
}
