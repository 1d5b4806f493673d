/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON writer shared by every listing of the tool (-j).
 * Keys are given with each value and ignored inside arrays; commas and
 * string escaping (RFC 8259) are handled here so callers cannot get them
 * wrong.
 */
#ifndef KIPSEC_TOOL_JSON_H
#define KIPSEC_TOOL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 16

struct json {
	FILE *out;
	int depth;
	bool in_array[JSON_DEPTH_MAX];
	bool need_comma[JSON_DEPTH_MAX];
};

void json_init(struct json *j, FILE *out);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* Ends the document with a newline (one JSON text per line: JSON lines). */
void json_end(struct json *j);

#endif
