// SPDX-License-Identifier: MIT
/*
 * context.c - rank a finding by where it was seen (see context.h).
 */
#include "context.h"

#include <string.h>
#include <strings.h>

#include "registry.h"

/*
 * Installers whose vendors publish the pipe-to-shell line in their own
 * documentation: host, or host and the path prefix of the vendor's own
 * repository on a shared host.
 */
static const char *const vendor_installers[] = {
	"bun.sh",
	"sh.rustup.rs",
	"astral.sh",
	"deb.nodesource.com",
	"rpm.nodesource.com",
	"get.docker.com",
	"ollama.com",
	"claude.ai",
	"deno.land",
	"install.python-poetry.org",
	"pyenv.run",
	"get.pnpm.io",
	"fnm.vercel.app",
	"sdk.cloud.google.com",
	"raw.githubusercontent.com/Homebrew/",
	"raw.githubusercontent.com/ohmyzsh/",
	"raw.githubusercontent.com/nvm-sh/",
};

/* How far past a match its URL is looked for (bash -c "$(curl ... URL)"). */
#define URL_REACH 300

/* Bytes that may end a URL's host: anything else (".", "@", ":") makes it another host. */
static bool url_host_end(uint8_t c)
{
	return strchr("/ \t\r\n\"'`)|;&\\", c) != NULL || c == '\0';
}

static bool vendor_url(const uint8_t *u, size_t n)
{
	for (size_t i = 0; i < sizeof(vendor_installers) / sizeof(vendor_installers[0]); i++) {
		const char *v = vendor_installers[i];
		size_t k = strlen(v);

		if (n < k || strncasecmp((const char *)u, v, k) != 0)
			continue;
		if (v[k - 1] == '/' || n == k || url_host_end(u[k]))
			return true;
	}
	return false;
}

bool cs_vendor_installer(const uint8_t *text, size_t n)
{
	const uint8_t *nl = memchr(text, '\n', n);
	const uint8_t *scheme;

	if (nl)
		n = (size_t)(nl - text);
	scheme = memmem(text, n, "://", 3);
	if (!scheme || scheme - text < 5 || memcmp(scheme - 5, "https", 5) != 0)
		return false;
	scheme += 3;
	return vendor_url(scheme, n - (size_t)(scheme - text));
}

enum where { WHERE_UNKNOWN, WHERE_MODEL, WHERE_FETCHED };

static enum where where_seen(const struct cs_dest_policy *p, const struct cs_flow_meta *meta,
			     enum cs_direction dir)
{
	if (dir != CS_DIR_INBOUND || !meta || meta->part == CS_PART_RAW)
		return WHERE_UNKNOWN;
	if (meta->part == CS_PART_STREAM || cs_dest_is_model(p, meta->dest))
		return WHERE_MODEL;
	if (!meta->dest || !*meta->dest || strncmp(meta->dest, "unknown:", 8) == 0)
		return WHERE_UNKNOWN;
	return WHERE_FETCHED;
}

static bool ranked_by_context(const struct cs_rule *r)
{
	return r->threat == CS_THREAT_INJECTION &&
	       (strcmp(r->family, "pipe_to_shell") == 0 || strcmp(r->family, "shell_exec") == 0);
}

static bool match_is_installer(const struct cs_match *m)
{
	size_t end = m->end + URL_REACH < m->buf_len ? m->end + URL_REACH : m->buf_len;

	return cs_vendor_installer(m->buf + m->start, end - m->start);
}

static enum cs_severity injection(enum where w, const struct cs_match *m, enum cs_severity base)
{
	bool installer = match_is_installer(m);

	if (w == WHERE_MODEL)
		return installer && base > CS_SEV_HIGH ? CS_SEV_HIGH : base;
	/* Text the agent read: what runs it is a later tool_use, ranked there. */
	if (installer || base <= CS_SEV_MEDIUM)
		return CS_SEV_LOW;
	return CS_SEV_MEDIUM;
}

enum cs_severity cs_context_severity(const struct cs_dest_policy *p,
				     const struct cs_flow_meta *meta, enum cs_direction dir,
				     const struct cs_match *m, enum cs_severity base)
{
	const struct cs_rule *r = m->rule;
	enum where w;

	if (r->home && dir == CS_DIR_OUTBOUND && meta && meta->part == CS_PART_HEAD &&
	    cs_dest_is_home(p, r->home, meta->source, meta->dest))
		return CS_SEV_LOW;
	if (!ranked_by_context(r))
		return base;
	w = where_seen(p, meta, dir);
	return w == WHERE_UNKNOWN ? base : injection(w, m, base);
}
