// SPDX-License-Identifier: MIT
/*
 * fuzz_source.c - which group may read a finding, from its `source`
 * (cs_source_in_group, v1 and NanoClaw v2 forms). The input is three
 * NUL-separated fields: a source, a group, a comm. Checked: a source is only
 * ever given to the group it names exactly (never to a prefix of it, nor to a
 * longer name), and a v2 source built for (group, session, comm) reads back
 * as that group's and fits a finding (1..127 bytes).
 */
#include "fuzz_util.h"
#include "logstore.h"
#include "v2source.h"

#define PREFIX "nanoclaw-"

/* Field i of the input, NUL-terminated into out (cut to len - 1). */
static void field(const uint8_t *data, size_t size, int i, char *out, size_t len)
{
	size_t start = 0, n = 0;

	for (; i > 0 && start < size; start++)
		if (!data[start])
			i--;
	while (start + n < size && data[start + n] && n + 1 < len)
		n++;
	memcpy(out, data + start, n);
	out[n] = '\0';
}

/* The group a source names: the component after "nanoclaw-v2/" (v2). */
static void check_v2_group(const char *source, const char *group)
{
	const size_t plen = sizeof(CS_V2_SOURCE_PREFIX) - 1;
	size_t glen = strlen(group);

	CHECK(!strncmp(source, CS_V2_SOURCE_PREFIX, plen));
	CHECK(!strncmp(source + plen, group, glen) && source[plen + glen] == '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char source[200], group[80], comm[16], built[128], longer[96];

	field(data, size, 0, source, sizeof(source));
	field(data, size, 1, group, sizeof(group));
	field(data, size, 2, comm, sizeof(comm));
	if (cs_v2_source_in_group(source, group)) {
		CHECK(cs_v2_valid_id(group));
		check_v2_group(source, group);
		CHECK(cs_source_in_group(source, PREFIX, group));
	}
	if (cs_source_in_group(source, PREFIX, group) && !cs_v2_source_in_group(source, group)) {
		/* v1: "nanoclaw-<group>-<digits>/", the group followed by its '-'. */
		CHECK(group[0] && !strncmp(source, PREFIX, strlen(PREFIX)));
		CHECK(!strncmp(source + strlen(PREFIX), group, strlen(group)));
		CHECK(source[strlen(PREFIX) + strlen(group)] == '-');
	}
	if (cs_v2_source(built, sizeof(built), group, "sess-1", comm, 4194304) == 0) {
		CHECK(strlen(built) >= 1 && strlen(built) <= 127);
		CHECK(cs_v2_source_in_group(built, group));
		/* Neither a longer group nor a shorter one reads it. */
		snprintf(longer, sizeof(longer), "%s-x", group);
		CHECK(!cs_source_in_group(built, PREFIX, longer));
		if (strlen(group) > 1) {
			group[strlen(group) - 1] = '\0';
			CHECK(!cs_source_in_group(built, PREFIX, group));
		}
	}
	return 0;
}
