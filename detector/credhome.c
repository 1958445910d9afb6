// SPDX-License-Identifier: MIT
/*
 * credhome.c - the home hosts of each credential, operator additions,
 * and the source classes whose keys are never home.
 *
 * Built-in hosts come from the providers' API documentation (the list in
 * docs/finding-schema.md). A pattern holds at most one '*', which stands
 * for one or more bytes: "*.amazonaws.com", "*-aiplatform.googleapis.com",
 * "bedrock-runtime.*.amazonaws.com". Hosts compare case-insensitively,
 * without the port and without a trailing dot.
 */
#include "credhome.h"
#include "errbuf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct builtin {
	const char *home;
	const char *pattern;
	bool model; /* an LLM API host: its responses are model output */
};

static const struct builtin builtins[] = {
	{"anthropic", "api.anthropic.com", true},
	{"openai", "api.openai.com", true},
	{"openai", "*.openai.azure.com", true},
	{"google", "generativelanguage.googleapis.com", true},
	{"google", "*-aiplatform.googleapis.com", true},
	{"groq", "api.groq.com", true},
	{"xai", "api.x.ai", true},
	{"openrouter", "openrouter.ai", true},
	{"perplexity", "api.perplexity.ai", true},
	{"huggingface", "huggingface.co", true},
	{"huggingface", "*.huggingface.co", true},
	{"replicate", "api.replicate.com", true},
	{"cohere", "api.cohere.com", true},
	{"cohere", "api.cohere.ai", true},
	{"mistral", "api.mistral.ai", true},
	{"deepseek", "api.deepseek.com", true},
	{"together", "api.together.xyz", true},
	{"aws", "bedrock-runtime.*.amazonaws.com", true},
	{"aws", "*.amazonaws.com", false},
	{"github", "api.github.com", false},
	{"github", "github.com", false},
	{"github", "uploads.github.com", false},
	{"gitlab", "gitlab.com", false},
	{"npm", "registry.npmjs.org", false},
	{"slack", "slack.com", false},
	{"slack", "*.slack.com", false},
	{"telegram", "api.telegram.org", false},
	{"discord", "discord.com", false},
	{"discord", "discordapp.com", false},
	{"stripe", "api.stripe.com", false},
};
#define N_BUILTINS (sizeof(builtins) / sizeof(builtins[0]))

struct extra {
	const char *home; /* points into builtins */
	char *pattern;
	bool model;
};

struct cs_dest_policy {
	struct extra *extra;
	size_t n_extra;
	unsigned strict;
};

static const char *home_id(const char *home)
{
	for (size_t i = 0; home && i < N_BUILTINS; i++)
		if (strcmp(builtins[i].home, home) == 0)
			return builtins[i].home;
	return NULL;
}

bool cs_home_known(const char *home)
{
	return home_id(home) != NULL;
}

/* An AI home: one of its built-in hosts is a model host. */
static bool home_is_model(const char *home)
{
	for (size_t i = 0; i < N_BUILTINS; i++)
		if (builtins[i].model && strcmp(builtins[i].home, home) == 0)
			return true;
	return false;
}

int cs_origin_parse(const char *name, enum cs_origin *out)
{
	static const char *const names[CS_ORIGINS] = {"host", "container", "proxy", "scan"};

	for (int i = 0; name && i < CS_ORIGINS; i++) {
		if (strcmp(names[i], name) == 0) {
			*out = (enum cs_origin)i;
			return 0;
		}
	}
	return -1;
}

bool cs_host_pattern_ok(const char *pattern)
{
	const char *p = pattern;
	size_t n = pattern ? strlen(pattern) : 0;

	if (n == 0 || n > CS_HOST_PATTERN_MAX)
		return false;
	if (p[0] == '*') {
		if (p[1] != '.' || !p[2])
			return false;
		p += 2;
	}
	for (; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return false;
	}
	return pattern[n - 1] != '.' && strstr(pattern, "..") == NULL;
}

struct cs_dest_policy *cs_dest_policy_new(const struct cs_home_host *extra, size_t n_extra,
					  unsigned strict, char *err, size_t errlen)
{
	struct cs_dest_policy *p = calloc(1, sizeof(*p));

	if (!p)
		goto oom;
	p->strict = strict;
	p->extra = calloc(n_extra ? n_extra : 1, sizeof(*p->extra));
	if (!p->extra)
		goto oom;
	for (size_t i = 0; i < n_extra; i++) {
		const char *home = home_id(extra[i].home);
		struct extra *e = &p->extra[p->n_extra];

		if (!home) {
			cs_set_err(err, errlen, "unknown credential home \"%.16s\"", extra[i].home);
			goto fail;
		}
		if (!cs_host_pattern_ok(extra[i].host)) {
			cs_set_err(err, errlen, "credential home %s: bad host \"%.64s\"", home,
				   extra[i].host);
			goto fail;
		}
		e->pattern = strdup(extra[i].host);
		if (!e->pattern)
			goto oom;
		e->home = home;
		e->model = home_is_model(home);
		p->n_extra++;
	}
	return p;
oom:
	cs_set_err(err, errlen, "out of memory");
fail:
	cs_dest_policy_free(p);
	return NULL;
}

void cs_dest_policy_free(struct cs_dest_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_extra; i++)
		free(p->extra[i].pattern);
	free(p->extra);
	free(p);
}

enum cs_origin cs_origin_of(const char *source)
{
	size_t slashes = 0;

	if (!source)
		return CS_ORIGIN_HOST;
	if (strncmp(source, "proxy/", 6) == 0)
		return CS_ORIGIN_PROXY;
	if (strncmp(source, "scan/", 5) == 0)
		return CS_ORIGIN_SCAN;
	for (const char *s = source; *s; s++)
		slashes += *s == '/';
	/* <container>/<comm>/<pid>, nanoclaw-v2/<group>/<session>/<comm>/<pid>; a host is
	 * <comm>/<pid>. */
	return slashes >= 2 ? CS_ORIGIN_CONTAINER : CS_ORIGIN_HOST;
}

/* The host of "host:port", "[v6]:port" or "host", without a trailing dot. */
static size_t dest_host(const char *dest, const char **host)
{
	const char *colon;
	size_t n;

	*host = dest;
	if (!dest)
		return 0;
	if (dest[0] == '[') {
		const char *rb = strchr(dest, ']');

		*host = dest + 1;
		return rb ? (size_t)(rb - dest - 1) : 0;
	}
	colon = strrchr(dest, ':');
	n = colon ? (size_t)(colon - dest) : strlen(dest);
	if (n && dest[n - 1] == '.')
		n--;
	return n;
}

static bool glob_match(const char *pattern, const char *host, size_t n)
{
	const char *star = strchr(pattern, '*');
	size_t pre, post;

	if (!star)
		return strlen(pattern) == n && strncasecmp(pattern, host, n) == 0;
	pre = (size_t)(star - pattern);
	post = strlen(star + 1);
	return n > pre + post && strncasecmp(pattern, host, pre) == 0 &&
	       strncasecmp(star + 1, host + n - post, post) == 0;
}

bool cs_dest_is_home(const struct cs_dest_policy *p, const char *home, const char *source,
		     const char *dest)
{
	const char *host;
	size_t n = dest_host(dest, &host);

	if (!home || !n || (p->strict & (1u << cs_origin_of(source))))
		return false;
	for (size_t i = 0; i < N_BUILTINS; i++)
		if (strcmp(builtins[i].home, home) == 0 && glob_match(builtins[i].pattern, host, n))
			return true;
	for (size_t i = 0; i < p->n_extra; i++)
		if (strcmp(p->extra[i].home, home) == 0 && glob_match(p->extra[i].pattern, host, n))
			return true;
	return false;
}

bool cs_dest_is_model(const struct cs_dest_policy *p, const char *dest)
{
	const char *host;
	size_t n = dest_host(dest, &host);

	if (!n)
		return false;
	for (size_t i = 0; i < N_BUILTINS; i++)
		if (builtins[i].model && glob_match(builtins[i].pattern, host, n))
			return true;
	for (size_t i = 0; i < p->n_extra; i++)
		if (p->extra[i].model && glob_match(p->extra[i].pattern, host, n))
			return true;
	return false;
}
