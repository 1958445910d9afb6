// SPDX-License-Identifier: MIT
/*
 * fuzz_jsonwalk.c - the tree-less JSON walker on arbitrary bytes: it never
 * reads past its input, a value it accepts is accepted again on its own,
 * and whenever cJSON accepts the same bytes too, both report the same
 * member names and string values in the same order.
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "fuzz_util.h"
#include "jsonwalk.h"

static void log_string(struct flog *l, const char *key, size_t key_len, const void *s, size_t n,
		       bool is_name)
{
	flog_add(l, is_name ? 'N' : 'K', key, key_len);
	flog_add(l, 'V', s, n);
	flog_event(l, '.');
}

static void on_string(void *ctx, const uint8_t *key, size_t key_len, const uint8_t *s, size_t n,
		      bool is_name)
{
	log_string(ctx, (const char *)key, key ? key_len : 0, s, n, is_name);
}

/* cJSON's tree in document order, logged the same way. */
static void log_tree(struct flog *l, const cJSON *item, const char *key)
{
	if (cJSON_IsString(item)) {
		log_string(l, key, key ? strlen(key) : 0, item->valuestring,
			   strlen(item->valuestring), false);
		return;
	}
	for (const cJSON *c = item->child; c; c = c->next) {
		if (cJSON_IsObject(item))
			log_string(l, NULL, 0, c->string, strlen(c->string), true);
		log_tree(l, c, cJSON_IsObject(item) ? c->string : NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct flog ours = {0}, theirs = {0};
	size_t len;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	len = cs_json_check(buf, size);
	CHECK(len <= size);
	CHECK(!memcmp(buf, data, size)); /* checking never writes */
	if (len) {
		CHECK(cs_json_check(buf, len) == len);
		cs_json_walk(buf, len, on_string, &ours);
	}
	/*
	 * cJSON stops strings at a NUL, raw or escaped, and refuses lone
	 * surrogates (this walker gives U+FFFD); compare where none applies.
	 */
	cJSON *root = len && !memchr(data, 0, size) && !memmem(data, size, "\\u0000", 6)
			      ? cJSON_ParseWithLength((const char *)data, size)
			      : NULL;

	if (root) {
		log_tree(&theirs, root, NULL);
		CHECK(flog_equal(&ours, &theirs));
		cJSON_Delete(root);
	}
	flog_free(&ours);
	flog_free(&theirs);
	free(buf);
	return 0;
}
