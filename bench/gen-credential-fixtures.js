#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * gen-credential-fixtures.js OUT [PER_GROUP] - a seeded set of credential
 * fixtures in the shapes public secret scanners test with, for the
 * fixture-recall benchmark (bench/run-fixtures.sh) and its unit test
 * (tests/unit/test_fixture_recall.c).
 *
 * Public scanners (gitleaks' per-rule true/false-positive cases, trufflehog's
 * detector tests, detect-secrets, GitHub's token format post) test a
 * credential in the places it is pasted: an env or .env line, an export,
 * JSON, YAML, Python / JS / Go assignments whose variable names the
 * provider, an HTTP header in the provider's auth scheme, a URL, a curl
 * command line and prose. Keyless shapes (Cohere, Mistral, DeepSeek) are
 * only ever tested next to their keyword. Their negatives are vendor
 * documentation examples, placeholders (ghp_xxxx..., sk_live_..., <your
 * token>, ${VAR}), truncated keys, mis-shaped keys (wrong length, alphabet,
 * case or prefix), a PEM header with no key after it, public keys and
 * certificates, and random identifiers (UUIDs, hashes) next to a provider's
 * name. This file generates all of that from a seeded generator: every
 * shape is real, no key is (GitHub tokens carry a correct CRC32 checksum,
 * as every real one does).
 *
 * Each fixture is one HTTP request to a collector that is no provider's
 * host, so every credential keeps its full severity. Format:
 *   "CSFIXT1\n", then per fixture
 *   "<kind> <group> <family> <class> <secret_len> <request_len>\n"
 *   + secret bytes (what must never be shown) + request bytes
 * kind: tp (a real-shaped key: must be found at high or critical), lc (a
 * GitHub token with a wrong checksum: must be found at medium exactly), fp
 * (must not be found).
 * class: ai, aws, pem, crc (goal: all found) or other (>= 90% found).
 */
'use strict';

const fs = require('fs');

const out = process.argv[2];
const perGroup = Number(process.argv[3] || 48);
if (!out || !(perGroup > 0)) {
	process.stderr.write('usage: gen-credential-fixtures.js OUT [PER_GROUP]\n');
	process.exit(2);
}

const { int, pick } = require('../scripts/seeded-random.js').seeded(0x5ec2e75);
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const URLSAFE = ALNUM + '_-';
const HEX = '0123456789abcdef';
function chars(n, alphabet = ALNUM) {
	let s = '';
	for (let i = 0; i < n; i++) s += alphabet[int(alphabet.length)];
	return s;
}
const digits = (n) => String(1 + int(9)) + chars(n - 1, DIGITS);
const b64 = (s) => Buffer.from(s).toString('base64');

/* GitHub's token checksum: CRC32 of the 30 random characters, base62, 6 digits. */
const B62 = DIGITS + UPPER + LOWER;
const CRC_TABLE = Array.from({length: 256}, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});
function crc32(s) {
	let c = 0xffffffff;
	for (const ch of Buffer.from(s)) c = CRC_TABLE[(c ^ ch) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}
function base62(n, width) {
	let s = '';
	for (; n > 0; n = Math.floor(n / 62)) s = B62[n % 62] + s;
	return s.padStart(width, '0');
}
function githubToken(prefix) {
	const body = chars(30);
	return prefix + body + base62(crc32(body), 6);
}
/* The same shape with a checksum that is not the body's. */
function githubBadChecksum(prefix) {
	const good = githubToken(prefix);
	let sum;
	do sum = chars(6, B62); while (sum === good.slice(-6));
	return good.slice(0, -6) + sum;
}

/* A Discord bot token: base64 of the bot's snowflake id, a timestamp, an HMAC. */
function discordToken() {
	const id = b64(String(pick([1, 7, 8, 9, 1, 1])) + chars(17 + int(2), DIGITS)).replace(/=+$/, '');
	return `${id}.${chars(6, URLSAFE)}.${chars(pick([27, 38]), URLSAFE)}`;
}

function pemKey() {
	const kind = pick(['RSA ', 'EC ', 'OPENSSH ', '', 'ENCRYPTED ', 'DSA ']);
	let body = '';
	const lines = 3 + int(10);
	for (let i = 0; i < lines; i++) body += chars(64, ALNUM + '+/') + '\n';
	const hdr = kind === 'RSA ' && int(3) === 0
		? 'Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,' + chars(32, '0123456789ABCDEF') + '\n\n'
		: '';
	return `-----BEGIN ${kind}PRIVATE KEY-----\n${hdr}${body}-----END ${kind}PRIVATE KEY-----`;
}

function bedrockLongTerm() {
	const inner = `BedrockAPIKey-${chars(4, LOWER + DIGITS)}-at-${digits(12)}:${chars(40, ALNUM + '+/')}`;
	return 'ABSK' + b64(inner);
}
function bedrockShortTerm() {
	const q = 'bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256' +
		`&X-Amz-Credential=ASIA${chars(16, UPPER + '234567')}%2F20260501%2Fus-east-1%2Fbedrock%2Faws4_request` +
		`&X-Amz-Date=20260501T120000Z&X-Amz-Expires=43200&X-Amz-Security-Token=${chars(120, ALNUM)}` +
		`&X-Amz-Signature=${chars(64, HEX)}&Version=1`;
	return 'bedrock-api-key-' + b64(q);
}

/*
 * Groups: how a key looks, what names it is stored under, how it is sent.
 * names: [ENV_NAME, camelName, snake_name]; auth: the provider's header
 * (%s is the key); url: a request URL carrying it; keyword: the key has no
 * shape of its own, so only contexts that name it count.
 */
const GROUPS = [
	{group: 'anthropic', family: 'ai_api_key', cls: 'ai', names: ['ANTHROPIC_API_KEY', 'anthropicApiKey', 'anthropic_api_key'],
		auth: 'x-api-key: %s', make: () => `sk-ant-${pick(['api03', 'api03', 'admin01', 'oat01'])}-${chars(93, URLSAFE)}AA`},
	{group: 'openai', family: 'ai_api_key', cls: 'ai', names: ['OPENAI_API_KEY', 'openaiApiKey', 'openai_api_key'],
		make: () => pick([
			() => `sk-proj-${chars(74, URLSAFE)}T3BlbkFJ${chars(74, URLSAFE)}`,
			() => `sk-${chars(20)}T3BlbkFJ${chars(20)}`,
			() => `sk-svcacct-${chars(74, URLSAFE)}T3BlbkFJ${chars(74, URLSAFE)}`,
		])()},
	{group: 'google_ai', family: 'ai_api_key', cls: 'ai', names: ['GEMINI_API_KEY', 'geminiApiKey', 'google_api_key'],
		auth: 'x-goog-api-key: %s', url: 'https://collector.example.net/v1beta/models?key=%s', make: () => 'AIza' + chars(35, URLSAFE)},
	{group: 'groq', family: 'ai_api_key', cls: 'ai', names: ['GROQ_API_KEY', 'groqApiKey', 'groq_api_key'], make: () => 'gsk_' + chars(52)},
	{group: 'xai', family: 'ai_api_key', cls: 'ai', names: ['XAI_API_KEY', 'xaiApiKey', 'xai_api_key'], make: () => 'xai-' + chars(80)},
	{group: 'openrouter', family: 'ai_api_key', cls: 'ai', names: ['OPENROUTER_API_KEY', 'openrouterKey', 'openrouter_key'],
		make: () => 'sk-or-v1-' + chars(64, HEX)},
	{group: 'perplexity', family: 'ai_api_key', cls: 'ai', names: ['PERPLEXITY_API_KEY', 'pplxKey', 'perplexity_key'], make: () => 'pplx-' + chars(48)},
	{group: 'huggingface_hf', family: 'ai_api_key', cls: 'ai', names: ['HF_TOKEN', 'hfToken', 'huggingface_token'],
		make: () => 'hf_' + chars(34, pick([ALNUM, UPPER + LOWER]))},
	{group: 'huggingface_org', family: 'ai_api_key', cls: 'ai', names: ['HF_ORG_TOKEN', 'hfOrgToken', 'hf_org_token'],
		make: () => 'api_org_' + chars(34)},
	{group: 'replicate', family: 'ai_api_key', cls: 'ai', names: ['REPLICATE_API_TOKEN', 'replicateToken', 'replicate_api_token'],
		make: () => 'r8_' + chars(37)},
	{group: 'bedrock_long_term', family: 'ai_api_key', cls: 'ai', names: ['AWS_BEARER_TOKEN_BEDROCK', 'bedrockApiKey', 'bedrock_api_key'],
		make: bedrockLongTerm},
	{group: 'bedrock_short_term', family: 'ai_api_key', cls: 'ai', names: ['AWS_BEARER_TOKEN_BEDROCK', 'bedrockToken', 'bedrock_token'],
		make: bedrockShortTerm},
	{group: 'deepseek', family: 'ai_api_key', cls: 'ai', keyword: true,
		names: ['DEEPSEEK_API_KEY', 'deepseekApiKey', 'deepseek_api_key', 'DEEPSEEK_KEY', 'deepseekToken', 'deepseek_key'],
		make: () => 'sk-' + chars(32, HEX)},
	{group: 'mistral', family: 'ai_api_key', cls: 'ai', keyword: true,
		names: ['MISTRAL_API_KEY', 'mistralApiKey', 'mistral_api_key', 'MISTRAL_KEY', 'mistralKey', 'mistral_token'],
		make: () => chars(32)},
	{group: 'cohere', family: 'ai_api_key', cls: 'ai', keyword: true,
		names: ['COHERE_API_KEY', 'cohereApiKey', 'cohere_api_key', 'CO_API_KEY', 'cohereKey', 'cohere_token'],
		make: () => chars(40)},
	{group: 'aws_key_id', family: 'aws_access_key', cls: 'aws', names: ['AWS_ACCESS_KEY_ID', 'accessKeyId', 'aws_access_key_id'],
		auth: 'Authorization: AWS4-HMAC-SHA256 Credential=%s/20260501/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=' + 'f'.repeat(8),
		url: 'https://collector.example.net/upload/%s/data.json',
		make: () => pick(['AKIA', 'AKIA', 'ASIA', 'ABIA', 'ACCA']) + chars(16, UPPER + '234567')},
	{group: 'aws_secret', family: 'aws_access_key', cls: 'aws', keyword: true,
		names: ['AWS_SECRET_ACCESS_KEY', 'secretAccessKey', 'aws_secret_access_key'],
		make: () => chars(40, ALNUM + '/+')},
	{group: 'pem_private_key', family: 'private_key_pem', cls: 'pem', names: ['SSH_PRIVATE_KEY', 'privateKey', 'private_key'],
		/* The armor lines are no secret; the key material is. */
		secret: (k) => k.split('\n').filter((l) => l && !l.startsWith('-----') && !l.includes(': ')).join('\n'),
		multiline: true, make: pemKey},
	{group: 'telegram', family: 'messaging_token', cls: 'other', names: ['TELEGRAM_BOT_TOKEN', 'telegramToken', 'bot_token'],
		url: 'https://collector.example.net/bot%s/sendMessage',
		code: ['bot = telebot.TeleBot("%s")', 'const bot = new Telegraf(\'%s\');', 'app = Application.builder().token("%s").build()'],
		/* The bot id before the colon is public: only the part after it is secret. */
		secret: (k) => k.slice(k.indexOf(':') + 1),
		make: () => `${digits(pick([8, 9, 10, 10]))}:AA${chars(33, URLSAFE)}`},
	{group: 'slack_xoxb', family: 'messaging_token', cls: 'other', names: ['SLACK_BOT_TOKEN', 'slackBotToken', 'slack_bot_token'],
		make: () => pick([
			() => `xoxb-${digits(10 + int(4))}-${digits(10 + int(4))}-${chars(24)}`,
			/* Older bot tokens: one number, then the secret. */
			() => `xoxb-${digits(11 + int(2))}-${chars(24)}`,
		])()},
	{group: 'slack_xoxp', family: 'messaging_token', cls: 'other', names: ['SLACK_USER_TOKEN', 'slackUserToken', 'slack_user_token'],
		make: () => `xoxp-${digits(10 + int(3))}-${digits(10 + int(3))}-${digits(10 + int(3))}-${chars(32, HEX)}`},
	{group: 'slack_xapp', family: 'messaging_token', cls: 'other', names: ['SLACK_APP_TOKEN', 'slackAppToken', 'slack_app_token'],
		make: () => `xapp-1-A${chars(8 + int(3), UPPER + DIGITS)}-${digits(13)}-${chars(64, HEX)}`},
	{group: 'discord_bot', family: 'messaging_token', cls: 'other', names: ['DISCORD_TOKEN', 'discordToken', 'discord_bot_token'],
		auth: 'Authorization: Bot %s', code: ['client.login("%s");', 'bot.run("%s")', 'await client.login(\'%s\')'],
		make: discordToken},
	{group: 'github_ghp', family: 'dev_platform_token', cls: 'other', names: ['GITHUB_TOKEN', 'githubToken', 'github_token'],
		auth: 'Authorization: token %s', url: 'https://x-access-token:%s@collector.example.net/org/repo.git',
		make: () => githubToken('ghp_')},
	{group: 'github_gho', family: 'dev_platform_token', cls: 'other', names: ['GH_OAUTH_TOKEN', 'oauthToken', 'gh_oauth_token'],
		auth: 'Authorization: Bearer %s', make: () => githubToken('gho_')},
	{group: 'github_ghu', family: 'dev_platform_token', cls: 'other', names: ['GH_USER_TOKEN', 'ghUserToken', 'gh_user_token'],
		auth: 'Authorization: Bearer %s', make: () => githubToken('ghu_')},
	{group: 'github_ghs', family: 'dev_platform_token', cls: 'other', names: ['GH_TOKEN', 'installationToken', 'gh_token'],
		auth: 'Authorization: token %s', url: 'https://x-access-token:%s@collector.example.net/org/repo.git',
		make: () => githubToken('ghs_')},
	{group: 'github_ghr', family: 'dev_platform_token', cls: 'other', names: ['GH_REFRESH_TOKEN', 'refreshToken', 'gh_refresh_token'],
		make: () => githubToken('ghr_')},
	{group: 'github_bad_checksum', family: 'dev_platform_token', cls: 'crc', kind: 'lc',
		names: ['GITHUB_TOKEN', 'githubToken', 'github_token'], auth: 'Authorization: token %s',
		make: () => githubBadChecksum(pick(['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_']))},
	{group: 'github_pat', family: 'dev_platform_token', cls: 'other', names: ['GITHUB_PAT', 'githubPat', 'github_pat'],
		auth: 'Authorization: Bearer %s', make: () => `github_pat_11${chars(20, UPPER + DIGITS)}_${chars(59)}`},
	{group: 'gitlab', family: 'dev_platform_token', cls: 'other', names: ['GITLAB_TOKEN', 'gitlabToken', 'gitlab_token'],
		auth: 'PRIVATE-TOKEN: %s', make: () => 'glpat-' + chars(20, URLSAFE)},
	{group: 'npm', family: 'dev_platform_token', cls: 'other', names: ['NPM_TOKEN', 'npmToken', 'npm_token'],
		code: ['//registry.npmjs.org/:_authToken=%s'], make: () => 'npm_' + chars(36)},
	{group: 'stripe_sk_live', family: 'payment_api_key', cls: 'other', names: ['STRIPE_SECRET_KEY', 'stripeSecretKey', 'stripe_secret_key'],
		url: 'https://sk:%s@collector.example.net/v1/charges',
		make: () => 'sk_live_' + chars(pick([24, 99]))},
	{group: 'stripe_rk_live', family: 'payment_api_key', cls: 'other', names: ['STRIPE_RESTRICTED_KEY', 'stripeRestrictedKey', 'stripe_rk'],
		make: () => 'rk_live_' + chars(pick([24, 99]))},
];

/* Where a key is pasted; n = [ENV, camel, snake] names, k = key. */
const CONTEXTS = [
	['env', (n, k) => `${n[0]}=${k}\n`],
	['export', (n, k) => `export ${n[0]}="${k}"\n`],
	['dotenv_quoted', (n, k) => `# production\n${n[0]}='${k}'\nLOG_LEVEL=info\n`],
	['json', (n, k) => JSON.stringify({[n[1]]: k, debug: false})],
	['yaml', (n, k) => `service:\n  ${n[2]}: ${k}\n  region: eu-west-1\n`],
	['python', (n, k) => `${n[2]} = "${k}"\nclient = Client(${n[2]})\n`],
	['js', (n, k) => `const ${n[1]} = '${k}';\n`],
	['go', (n, k) => `\t${n[1]} := "${k}"\n`],
	['toml', (n, k) => `[auth]\n${n[2]} = "${k}"\n`],
	['xml', (n, k) => `<config><${n[1]}>${k}</${n[1]}></config>`],
];
/* Contexts that do not name the key: only for keys with a shape of their own. */
const SHAPE_CONTEXTS = [
	['bearer', (n, k) => `Authorization: Bearer ${k}\n`],
	['curl', (n, k) => `curl -s -H "Authorization: Bearer ${k}" https://collector.example.net/v1/me\n`],
	['prose', (n, k) => `here is the token you asked for: ${k} (keep it safe)`],
	['generic_json', (n, k) => JSON.stringify({token: k})],
];

function contextsFor(g) {
	const list = CONTEXTS.slice();
	if (!g.keyword) list.push(...SHAPE_CONTEXTS);
	if (g.auth) list.push(['auth_header', (n, k) => g.auth.replace('%s', k) + '\n']);
	if (g.url) list.push(['url', (n, k) => `GET ${g.url.replace('%s', k)}\n`]);
	for (const c of g.code || []) list.push(['code', (n, k) => c.replace('%s', k) + '\n']);
	if (g.multiline) {
		/* A PEM is pasted whole: as a file body, a JSON string, an env var. */
		return [
			['file', (n, k) => k + '\n'],
			['json', (n, k) => JSON.stringify({[n[1]]: k})],
			['env_quoted', (n, k) => `${n[0]}="${k}"\n`],
			['yaml_block', (n, k) => `${n[2]}: |\n  ${k.replace(/\n/g, '\n  ')}\n`],
		];
	}
	return list;
}

/* A keyword group's names rotate: the key is only as findable as its name. */
function namesFor(g, i) {
	if (g.names.length <= 3) return g.names;
	const alt = g.names.slice(3);
	return Math.floor(i / 7) % 2 ? [alt[0], alt[1], alt[2]] : g.names.slice(0, 3);
}

/* One HTTP request to a collector carrying text (JSON or plain). */
function request(text, i) {
	const path = pick(['/upload', '/v1/notes', '/paste', '/api/log']);
	const type = text.startsWith('{') ? 'application/json' : 'text/plain';
	return `POST ${path}?n=${i} HTTP/1.1\r\nHost: collector.example.net\r\n` +
		`Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
}

const records = [];
function add(kind, group, family, cls, secret, text) {
	const req = request(text, records.length);
	records.push(Buffer.concat([
		Buffer.from(`${kind} ${group} ${family} ${cls} ${Buffer.byteLength(secret)} ${Buffer.byteLength(req)}\n`),
		Buffer.from(secret), Buffer.from(req)]));
}

for (const g of GROUPS) {
	const ctx = contextsFor(g);
	for (let i = 0; i < perGroup; i++) {
		const key = g.make();
		const [, fn] = ctx[i % ctx.length];
		add(g.kind || 'tp', g.group, g.family, g.cls, g.secret ? g.secret(key) : key, fn(namesFor(g, i), key));
	}
}

/*
 * Negatives, by why they are not secrets. Each is placed in the contexts
 * above too: a documentation example is pasted exactly like a key.
 */
const truncate = (k, n) => k.slice(0, k.length - n);
const AWS_NAMES = ['AWS_SECRET_ACCESS_KEY', 'awsSecretAccessKey', 'aws_secret_access_key'];
const NEGATIVES = [
	/* Examples published in vendor documentation. */
	['doc_example', () => 'AKIAIOSFODNN7EXAMPLE'],
	['doc_example', () => 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', AWS_NAMES],
	['doc_example', () => 'AKIAI44QH8DHBEXAMPLE'],
	['doc_example', () => 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy'],
	['doc_example', () => 'MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs'],
	['doc_example', () => '110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw'],
	['doc_example', () => '123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11'],
	['doc_example', () => 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'],
	/* Placeholders. */
	['placeholder', () => 'ghp_' + 'x'.repeat(36)],
	['placeholder', () => 'ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'],
	['placeholder', () => 'ghp_…'],
	['placeholder', () => 'sk_live_…'],
	['placeholder', () => 'sk_live_' + 'x'.repeat(24)],
	['placeholder', () => 'sk-ant-api03-...'],
	['placeholder', () => 'glpat-xxxxxxxxxxxxxxxxxxxx'],
	['placeholder', () => 'npm_' + '0'.repeat(36)],
	['placeholder', () => 'xoxb-your-bot-token'],
	['placeholder', () => 'xoxb-000000000000-000000000000-xxxxxxxxxxxxxxxxxxxxxxxx'],
	['placeholder', () => '<your-telegram-bot-token>'],
	['placeholder', () => '${GITHUB_TOKEN}'],
	['placeholder', () => '$MISTRAL_API_KEY', ['MISTRAL_API_KEY', 'mistralApiKey', 'mistral_api_key']],
	['placeholder', () => 'hf_' + 'x'.repeat(34)],
	['placeholder', () => 'YOUR_COHERE_API_KEY', ['COHERE_API_KEY', 'cohereApiKey', 'cohere_api_key']],
	['placeholder', () => 'sk-your-deepseek-key-here', ['DEEPSEEK_API_KEY', 'deepseekApiKey', 'deepseek_api_key']],
	['placeholder', () => '<your-aws-secret-access-key>', AWS_NAMES],
	/* Truncated keys: a scanner must not take part of a shape for all of it. */
	['truncated', () => truncate(githubToken('ghp_'), 6)],
	['truncated', () => truncate('glpat-' + chars(20, URLSAFE), 6)],
	['truncated', () => truncate('npm_' + chars(36), 8)],
	['truncated', () => truncate('AKIA' + chars(16, UPPER + '234567'), 4)],
	['truncated', () => truncate(`${digits(10)}:AA${chars(33, URLSAFE)}`, 5)],
	['truncated', () => truncate('sk_live_' + chars(24), 6)],
	['truncated', () => truncate('hf_' + chars(34), 6)],
	['truncated', () => truncate('gsk_' + chars(52), 10)],
	['truncated', () => truncate(`xoxb-${digits(12)}-${digits(13)}-${chars(24)}`, 30)],
	/* Mis-shaped: wrong length, alphabet, case or prefix. */
	['misshaped', () => 'GHP_' + chars(36)],
	['misshaped', () => 'ghx_' + chars(36)],
	['misshaped', () => 'ghp_' + chars(36) + chars(6)],
	['misshaped', () => 'akia' + chars(16, LOWER + '234567')],
	['misshaped', () => 'AKIA' + chars(16, UPPER + '234567') + 'Q9'],
	['misshaped', () => `${digits(5)}:AA${chars(33, URLSAFE)}`],
	['misshaped', () => `${digits(10)}:BB${chars(33, URLSAFE)}`],
	['misshaped', () => `xoxb-${chars(12, LOWER)}-${chars(13, LOWER)}-${chars(24)}`],
	['misshaped', () => 'sk_test_' + chars(24)],
	['misshaped', () => 'pk_live_' + chars(24)],
	['misshaped', () => 'hf_' + chars(20)],
	['misshaped', () => 'npm_' + chars(36) + '-' + chars(4)],
	['misshaped', () => 'glpat_' + chars(20)],
	/* A Discord-shaped token whose first part is no bot id. */
	['misshaped', () => `${pick(['M', 'N', 'O'])}${chars(23, URLSAFE)}.${chars(6, URLSAFE)}.${chars(27, URLSAFE)}`,
		['DISCORD_TOKEN', 'discordToken', 'discord_bot_token']],
	/* A PEM with no key in it, or one that holds nothing secret. */
	['pem_no_body', () => '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----'],
	['pem_no_body', () => '-----BEGIN PRIVATE KEY-----'],
	['pem_no_body', () => '-----BEGIN OPENSSH PRIVATE KEY-----\n<paste your key here>\n-----END OPENSSH PRIVATE KEY-----'],
	['pem_public', () => `-----BEGIN PUBLIC KEY-----\n${chars(64, ALNUM + '+/')}\n${chars(64, ALNUM + '+/')}\n-----END PUBLIC KEY-----`],
	['pem_public', () => `-----BEGIN CERTIFICATE-----\n${chars(64, ALNUM + '+/')}\n${chars(64, ALNUM + '+/')}\n-----END CERTIFICATE-----`],
	/* Random identifiers next to a provider's name. */
	['random_id', () => chars(40, HEX)],
	['random_id', () => `${chars(8, HEX)}-${chars(4, HEX)}-4${chars(3, HEX)}-a${chars(3, HEX)}-${chars(12, HEX)}`],
	['random_id', () => chars(64, HEX)],
];
/*
 * Names a negative is stored under unless it names its own: a provider's
 * name on a value that is no key (a commit, a model, a request id).
 */
const NEG_NAMES = [
	['GITHUB_SHA', 'githubSha', 'github_sha'],
	['COHERE_COMMIT_SHA', 'cohereCommit', 'cohere_commit_sha'],
	['MISTRAL_MODEL_ID', 'mistralModel', 'mistral_model_id'],
	['DEEPSEEK_REQUEST_ID', 'deepseekRequestId', 'deepseek_request_id'],
	['TELEGRAM_CHAT_ID', 'telegramChatId', 'telegram_chat_id'],
	['SLACK_CHANNEL_ID', 'slackChannel', 'slack_channel_id'],
];
const negContexts = CONTEXTS.concat(SHAPE_CONTEXTS);
for (let r = 0; r < 4; r++) {
	for (const [why, make, names] of NEGATIVES) {
		const v = make();
		const [, fn] = negContexts[int(negContexts.length)];
		add('fp', why, '-', 'neg', v, fn(names || pick(NEG_NAMES), v));
	}
}

fs.writeFileSync(out, Buffer.concat([Buffer.from('CSFIXT1\n'), ...records]));
