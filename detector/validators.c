// SPDX-License-Identifier: MIT
/*
 * validators.c - entropy, allowlist and decode checks on secret bytes.
 *
 * Structure is checked by the regexes; these validators remove what a
 * regex cannot: low-randomness placeholders, documentation examples, and
 * shapes whose parts must decode to something (a PEM header in base64, a
 * Discord bot's numeric id). A GitHub token's checksum only lowers the
 * severity (cs_validate_demotes): see docs/finding-schema.md.
 */
#include "validators.h"

#include <math.h>
#include <string.h>
#include <zlib.h>

double cs_entropy(const uint8_t *p, size_t n)
{
	size_t counts[256] = {0};
	double h = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		counts[p[i]]++;
	for (size_t c = 0; c < 256; c++) {
		if (!counts[c])
			continue;
		double f = (double)counts[c] / (double)n;

		h -= f * log2(f);
	}
	return h;
}

/* Keys published in vendor documentation; they are never real credentials. */
static const char *const known_examples[] = {
	"AKIAIOSFODNN7EXAMPLE",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	/* Slack's oauth.v2.access example response. */
	"xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
	/* Discord's "Authorization: Bot" example. */
	"MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs",
	NULL,
};

/* Substrings that only placeholders contain (a random key essentially never does). */
static const char *const placeholder_marks[] = {
	"EXAMPLE",     "example",     "XXXXXXXX",   "xxxxxxxx",	  "YOUR_",	"your_", "your-",
	"PLACEHOLDER", "placeholder", "abcdefghij", "ABCDEFGHIJ", "1234567890", NULL,
};

static bool contains(const uint8_t *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle)) != NULL;
}

static bool long_run(const uint8_t *p, size_t n)
{
	size_t run = 1;

	for (size_t i = 1; i < n; i++) {
		run = p[i] == p[i - 1] ? run + 1 : 1;
		if (run >= 8)
			return true;
	}
	return false;
}

bool cs_allowlisted(const uint8_t *p, size_t n)
{
	for (size_t i = 0; known_examples[i]; i++)
		if (contains(p, n, known_examples[i]))
			return true;
	for (size_t i = 0; placeholder_marks[i]; i++)
		if (contains(p, n, placeholder_marks[i]))
			return true;
	return long_run(p, n);
}

static int b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

bool cs_b64_private_key_header(const uint8_t *p, size_t n)
{
	uint8_t out[96];
	size_t o = 0;

	/* The header is in the first 60 decoded bytes; more is not needed. */
	for (size_t i = 0; i + 4 <= n && o + 3 <= sizeof(out); i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++)
			v[k] = b64_value(p[i + k]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
			break;
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];

		out[o++] = (uint8_t)(w >> 16);
		out[o++] = (uint8_t)(w >> 8);
		out[o++] = (uint8_t)w;
	}
	return o >= 11 && memcmp(out, "-----BEGIN ", 11) == 0 && contains(out, o, "PRIVATE KEY");
}

/*
 * A Discord token starts with base64url (no padding) of the bot's snowflake
 * id in decimal: decode the whole 6-bit groups of the first part and ask
 * for 17-20 digits, the first not 0. Random base64 almost never decodes
 * to nothing but digits.
 */
bool cs_b64_snowflake(const uint8_t *p, size_t n)
{
	const uint8_t *dot = memchr(p, '.', n);
	size_t len = dot ? (size_t)(dot - p) : n, digits = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < len; i++) {
		int v = b64_value(p[i]);

		if (v < 0)
			return false;
		acc = (acc << 6 | (uint32_t)v) & 0xffffu;
		bits += 6;
		if (bits < 8)
			continue;
		bits -= 8;
		uint8_t c = (uint8_t)(acc >> bits);

		if (c < '0' || c > '9' || (digits == 0 && c == '0'))
			return false;
		digits++;
	}
	return digits >= 17 && digits <= 20;
}

/* GitHub's checksum digits: 0-9, A-Z, a-z. */
static const char base62_digits[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/*
 * ghp_/gho_/ghu_/ghs_/ghr_ tokens end in the CRC32 of their 30 random
 * characters, written as 6 base62 digits, most significant first, padded
 * with 0 (GitHub's 2021 token format). Fine-grained github_pat_ tokens have
 * no published checksum.
 */
bool cs_github_checksum_ok(const uint8_t *p, size_t n)
{
	char want[6];
	uint32_t crc;

	if (n != 40 || p[0] != 'g' || p[1] != 'h' || p[3] != '_')
		return false;
	crc = (uint32_t)crc32(0L, p + 4, 30);
	for (int i = 5; i >= 0; i--, crc /= 62)
		want[i] = base62_digits[crc % 62];
	return memcmp(want, p + 34, sizeof(want)) == 0;
}

bool cs_validate_demotes(const struct cs_rule *rule, const uint8_t *secret, size_t n)
{
	/* Only the checksummed shape: a github_pat_ token has nothing to check. */
	return (rule->validators & CS_VAL_GITHUB_CRC) && n == 40 && secret[3] == '_' &&
	       !cs_github_checksum_ok(secret, n);
}

bool cs_validate(const struct cs_rule *rule, const uint8_t *secret, size_t n)
{
	if ((rule->validators & CS_VAL_ALLOWLIST) && cs_allowlisted(secret, n))
		return false;
	if ((rule->validators & CS_VAL_ENTROPY) && cs_entropy(secret, n) < rule->min_entropy)
		return false;
	if ((rule->validators & CS_VAL_PEM_B64) && !cs_b64_private_key_header(secret, n))
		return false;
	if ((rule->validators & CS_VAL_SNOWFLAKE) && !cs_b64_snowflake(secret, n))
		return false;
	return true;
}
