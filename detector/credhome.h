/* SPDX-License-Identifier: MIT */
/*
 * credhome.h - where a credential normally goes, and what a flow's
 * destination and source say about the meaning of a finding.
 *
 * Each credential rule names its home (patterns.c `.home`): the provider
 * whose API hosts are the normal destination of that key ("anthropic" ->
 * api.anthropic.com, "aws" -> *.amazonaws.com, ...). A key going to its
 * home is its ordinary use, not an exfiltration; the same key anywhere else
 * is. Operators add hosts per home (their gateways, ANTHROPIC_BASE_URL), and
 * name source classes whose real keys are an alert wherever they go
 * (NanoClaw v2 containers hold only placeholders, so by default a real key
 * leaving a container is never "home").
 *
 * The hosts of the AI homes (built in and added) are also the "model hosts":
 * a response from one of them is model output, which ranks injection
 * findings (severity.c).
 */
#ifndef CLAWSEC_CREDHOME_H
#define CLAWSEC_CREDHOME_H

#include <stdbool.h>
#include <stddef.h>

/* Where a flow comes from, read off its source (docs/finding-schema.md). */
enum cs_origin {
	CS_ORIGIN_HOST = 0,  /* <comm>/<pid> */
	CS_ORIGIN_CONTAINER, /* <container>/<comm>/<pid>, nanoclaw-v2/<group>/<session>/<comm>/<pid>
			      */
	CS_ORIGIN_PROXY,     /* proxy/<ip>:<port> */
	CS_ORIGIN_SCAN,	     /* scan/<file> */
	CS_ORIGINS
};

/* Longest host pattern accepted (a DNS name is at most 253 bytes), longest home id. */
#define CS_HOST_PATTERN_MAX 253
#define CS_HOME_ID_MAX 16

/* One host added to a home by the configuration (plain arrays: a config holds them as is). */
struct cs_home_host {
	char home[CS_HOME_ID_MAX];	    /* a known home id */
	char host[CS_HOST_PATTERN_MAX + 1]; /* "host" or "*.domain" */
};

struct cs_dest_policy;

/*
 * strict: a bit per enum cs_origin whose keys are never home. NULL with a
 * reason in err for an unknown home or a malformed host pattern.
 */
struct cs_dest_policy *cs_dest_policy_new(const struct cs_home_host *extra, size_t n_extra,
					  unsigned strict, char *err, size_t errlen);
void cs_dest_policy_free(struct cs_dest_policy *p);

/* The default strict set: NanoClaw v2 containers hold placeholders only. */
#define CS_STRICT_DEFAULT (1u << CS_ORIGIN_CONTAINER)

bool cs_home_known(const char *home);
/* 0 and the class for "host", "container", "proxy", "scan"; -1 otherwise. */
int cs_origin_parse(const char *name, enum cs_origin *out);
/* A host pattern as the config may give it: a DNS name, optionally "*." first. */
bool cs_host_pattern_ok(const char *pattern);

enum cs_origin cs_origin_of(const char *source);
/* True when `dest` (host:port) is a normal destination of `home` for this source. */
bool cs_dest_is_home(const struct cs_dest_policy *p, const char *home, const char *source,
		     const char *dest);
/* True when `dest` is an LLM API host (a built-in or added host of an AI home). */
bool cs_dest_is_model(const struct cs_dest_policy *p, const char *dest);

#endif
