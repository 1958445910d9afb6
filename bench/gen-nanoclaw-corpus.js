#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * gen-nanoclaw-corpus.js OUT [EXCHANGES] - write a seeded corpus of the
 * benign traffic a NanoClaw host really carries, for the findings-per-1,000
 * benchmark (bench/run-findings.sh) and the meaning test
 * (tests/unit/test_meaning_corpus.c).
 *
 * Unlike scripts/gen-benign-corpus.js (which must produce zero findings),
 * this corpus holds what a naive detector cries wolf on: the operator's own
 * keys going to their own providers (x-api-key to api.anthropic.com, a
 * SigV4 Credential= to bedrock-runtime, a bot token to api.telegram.org),
 * SSE replies whose tool_use input runs build, test and lint commands,
 * documentation pages with vendor installer one-liners
 * (curl -fsSL https://bun.sh/install | bash, bash -c "$(curl ...)"), a
 * README fetched base64-encoded from the GitHub API, npm / PyPI JSON and
 * minified JS. Every key is generated here from the seeded generator: the
 * shapes are real, the keys are not.
 *
 * Format: the one of gen-benign-corpus.js ("CSCORPUS1\n", then records
 * "<dir> <flow> <len>\n" + bytes). Each request names its host in Host:, so
 * a reader that takes the dest from Host sees the real destination.
 */
'use strict';

const fs = require('fs');
const zlib = require('zlib');

const out = process.argv[2];
const exchanges = Number(process.argv[3] || 1000);
if (!out || !(exchanges > 0)) {
	process.stderr.write('usage: gen-nanoclaw-corpus.js OUT [EXCHANGES]\n');
	process.exit(2);
}

const { rnd, int, pick } = require('../scripts/seeded-random.js').seeded(0x11a0c1a3);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function chars(n, alphabet = ALNUM) {
	let s = '';
	for (let i = 0; i < n; i++) s += alphabet[int(alphabet.length)];
	return s;
}
const hex = (n) => chars(2 * n, '0123456789abcdef');
function uuid() {
	const h = hex(16);
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/* The operator's keys: one of each, used all day, as a real host would. */
const KEYS = {
	anthropic: 'sk-ant-api03-' + chars(93, ALNUM + '_-') + 'AA',
	anthropicOauth: 'sk-ant-oat01-' + chars(93, ALNUM + '_-') + 'AA',
	openai: 'sk-proj-' + chars(74, ALNUM + '_-') + 'T3BlbkFJ' + chars(74, ALNUM + '_-'),
	gemini: 'AIza' + chars(35, ALNUM + '_-'),
	groq: 'gsk_' + chars(52),
	openrouter: 'sk-or-v1-' + hex(32),
	xai: 'xai-' + chars(80),
	hf: 'hf_' + chars(34),
	awsId: 'AKIA' + chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'),
	github: 'ghp_' + chars(36),
	telegram: `${100000000 + int(8e9)}:AA${chars(33, ALNUM + '_-')}`,
	slack: `xoxb-${1e11 + int(9e11)}-${1e11 + int(9e11)}-${chars(24)}`,
	npm: 'npm_' + chars(36),
};

const WORDS = ('the a of to and in is it that for on with as was by this be are from at or an ' +
	'build test lint deploy component function module package config route handler query ' +
	'user message session cache error value result request response stream file path')
	.split(' ');
function sentence(n) {
	const w = [];
	for (let i = 0; i < n; i++) w.push(pick(WORDS));
	const s = w.join(' ');
	return s[0].toUpperCase() + s.slice(1) + '.';
}
function prose(sentences) {
	const p = [];
	for (let i = 0; i < sentences; i++) p.push(sentence(6 + int(14)));
	return p.join(' ');
}

/* Commands an assistant runs all day: build, test, lint, git, no payload. */
const TOOL_COMMANDS = [
	'npm run build', 'npm test', 'npm run lint -- --fix', 'pnpm install --frozen-lockfile',
	"sh -c 'cd web && npm run lint'", 'bash -c "npm run build && npm test"',
	"bash -lc 'make -j4 && make check'", "sh -c 'cargo build --release'",
	"bash -c 'cd api && go test ./...'", "sh -c 'python3 -m pytest -q tests/'",
	'git status --short', 'git diff --stat HEAD~1',
	"git commit -m 'ci: run the linter through bash -c so globs expand'",
	"git commit -m 'docs: explain why we no longer use sh -c in the Makefile'",
	'ls -la src/', 'cat package.json', 'npx tsc --noEmit', 'docker compose up -d db',
	"find . -name '*.test.ts' | xargs grep -l describe", 'rm -rf dist && npm run build',
];

/* Vendor installers as their documentation prints them. */
const INSTALLERS = [
	'curl -fsSL https://bun.sh/install | bash',
	'curl -LsSf https://astral.sh/uv/install.sh | sh',
	"curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh",
	'curl -fsSL https://deb.nodesource.com/setup_22.x | sudo -E bash -',
	'/bin/bash -c "$(curl -fsSL https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh)"',
	'curl -fsSL https://get.docker.com | sh',
	'sh -c "$(curl -fsSL https://raw.githubusercontent.com/ohmyzsh/ohmyzsh/master/tools/install.sh)"',
	'curl -fsSL https://ollama.com/install.sh | sh',
	'curl -fsSL https://claude.ai/install.sh | bash',
	'curl -fsSL https://deno.land/install.sh | sh',
	'curl -sSL https://install.python-poetry.org | python3 -',
	'curl https://pyenv.run | bash',
	'curl -o- https://raw.githubusercontent.com/nvm-sh/nvm/v0.40.1/install.sh | bash',
	'curl -fsSL https://get.pnpm.io/install.sh | sh -',
];
const DOC_HOSTS = ['bun.sh', 'docs.astral.sh', 'rustup.rs', 'github.com', 'docs.docker.com',
	'ollama.com', 'docs.anthropic.com', 'deno.land', 'python-poetry.org', 'pnpm.io'];

const UAS = ['anthropic-typescript/0.52.0 node/22.11.0', 'OpenAI/JS 4.77.0', 'node', 'Bun/1.2.19',
	'python-httpx/0.28.1', 'curl/8.5.0'];

function request(method, path, host, headers, body) {
	const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, `User-Agent: ${pick(UAS)}`];
	for (const [k, v] of headers) lines.push(`${k}: ${v}`);
	if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
	return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), Buffer.from(body || '')]);
}
function response(type, body, opts = {}) {
	let payload = Buffer.from(body);
	const lines = ['HTTP/1.1 200 OK', `Content-Type: ${type}`, 'Date: Sat, 05 Dec 2026 12:00:00 GMT',
		`X-Request-Id: req_${hex(12)}`];
	if (opts.gzip) {
		payload = zlib.gzipSync(payload, { level: 6 });
		lines.push('Content-Encoding: gzip');
	}
	lines.push(`Content-Length: ${payload.length}`);
	return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), payload]);
}
const json = (o) => JSON.stringify(o);

/* ---- Anthropic ---- */

function anthropicHeaders(oauth) {
	return [oauth ? ['Authorization', `Bearer ${KEYS.anthropicOauth}`] : ['x-api-key', KEYS.anthropic],
		['anthropic-version', '2023-06-01'], ['Content-Type', 'application/json']];
}
function toolHistory() {
	const cmd = pick(TOOL_COMMANDS), id = 'toolu_' + chars(24);
	return [
		{ role: 'assistant', content: [{ type: 'tool_use', id, name: 'Bash', input: { command: cmd } }] },
		{ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: prose(2) + '\n> built in 2.1s' }] },
	];
}
function sseEvents(blocks) {
	const ev = [`event: message_start\ndata: ${json({ type: 'message_start', message: { id: 'msg_' + chars(24), model: 'claude-sonnet-4-5' } })}\n\n`];
	blocks.forEach((b, index) => {
		const start = b.tool ? { type: 'tool_use', id: 'toolu_' + chars(24), name: 'Bash', input: {} } : { type: 'text', text: '' };
		ev.push(`event: content_block_start\ndata: ${json({ type: 'content_block_start', index, content_block: start })}\n\n`);
		const s = b.tool ? json({ command: b.tool, description: sentence(5) }) : b.text;
		for (let i = 0; i < s.length;) {
			const n = 1 + int(14);
			const delta = b.tool ? { type: 'input_json_delta', partial_json: s.slice(i, i + n) } : { type: 'text_delta', text: s.slice(i, i + n) };
			ev.push(`event: content_block_delta\ndata: ${json({ type: 'content_block_delta', index, delta })}\n\n`);
			i += n;
		}
		ev.push(`event: content_block_stop\ndata: ${json({ type: 'content_block_stop', index })}\n\n`);
	});
	ev.push('event: message_stop\ndata: {"type":"message_stop"}\n\n');
	return ev.join('');
}
function anthropicMessages() {
	const body = json({ model: 'claude-sonnet-4-5', max_tokens: 8192, stream: true, system: prose(4),
		messages: [{ role: 'user', content: prose(3) }, ...toolHistory(), ...toolHistory()] });
	const req = request('POST', '/v1/messages', 'api.anthropic.com', anthropicHeaders(rnd() < 0.3), body);
	const blocks = [{ text: prose(2) }, { tool: pick(TOOL_COMMANDS) }];
	if (rnd() < 0.3) blocks.push({ tool: pick(TOOL_COMMANDS) });
	return [req, response('text/event-stream', sseEvents(blocks))];
}

/* ---- other providers, each key to its own host ---- */

function openaiChat() {
	const req = request('POST', '/v1/chat/completions', 'api.openai.com',
		[['Authorization', `Bearer ${KEYS.openai}`], ['Content-Type', 'application/json']],
		json({ model: 'gpt-4.1', messages: [{ role: 'user', content: prose(3) }], tools: [{ type: 'function', function: { name: 'shell' } }] }));
	const res = response('application/json', json({ id: 'chatcmpl-' + chars(20), choices: [{ message: { role: 'assistant', content: null,
		tool_calls: [{ id: 'call_' + chars(20), type: 'function', function: { name: 'shell', arguments: json({ cmd: pick(TOOL_COMMANDS) }) } }] } }] }));
	return [req, res];
}
function simpleProvider() {
	const p = pick([
		['generativelanguage.googleapis.com', '/v1beta/models/gemini-2.5-pro:generateContent', ['x-goog-api-key', KEYS.gemini]],
		['api.groq.com', '/openai/v1/chat/completions', ['Authorization', `Bearer ${KEYS.groq}`]],
		['openrouter.ai', '/api/v1/chat/completions', ['Authorization', `Bearer ${KEYS.openrouter}`]],
		['api.x.ai', '/v1/chat/completions', ['Authorization', `Bearer ${KEYS.xai}`]],
		['api-inference.huggingface.co', '/models/meta-llama/Llama-3.1-8B-Instruct', ['Authorization', `Bearer ${KEYS.hf}`]],
	]);
	const req = request('POST', p[1], p[0], [p[2], ['Content-Type', 'application/json']],
		json({ messages: [{ role: 'user', content: prose(2) }] }));
	return [req, response('application/json', json({ choices: [{ message: { content: prose(3) } }] }))];
}
function bedrock() {
	const date = '20261205';
	const auth = `AWS4-HMAC-SHA256 Credential=${KEYS.awsId}/${date}/us-east-1/bedrock/aws4_request, ` +
		`SignedHeaders=content-type;host;x-amz-date, Signature=${hex(32)}`;
	const req = request('POST', '/model/anthropic.claude-sonnet-4-5-v1:0/invoke', 'bedrock-runtime.us-east-1.amazonaws.com',
		[['Authorization', auth], ['X-Amz-Date', `${date}T120000Z`], ['Content-Type', 'application/json']],
		json({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 1024, messages: [{ role: 'user', content: prose(2) }] }));
	return [req, response('application/json', json({ content: [{ type: 'text', text: prose(3) }] }))];
}
function channels() {
	const c = pick([
		() => request('POST', `/bot${KEYS.telegram}/sendMessage`, 'api.telegram.org', [['Content-Type', 'application/json']],
			json({ chat_id: int(1e9), text: prose(2) })),
		() => request('POST', '/api/chat.postMessage', 'slack.com', [['Authorization', `Bearer ${KEYS.slack}`],
			['Content-Type', 'application/json']], json({ channel: 'C' + chars(10, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), text: prose(2) })),
		() => request('GET', '/repos/acme/webapp/pulls?state=open', 'api.github.com', [['Authorization', `Bearer ${KEYS.github}`],
			['Accept', 'application/vnd.github+json']]),
		() => request('GET', '/-/whoami', 'registry.npmjs.org', [['Authorization', `Bearer ${KEYS.npm}`]]),
	])();
	return [c, response('application/json', json({ ok: true, result: { message_id: int(1e6) } }))];
}

/* ---- what the agent reads ---- */

function docsPage() {
	const lines = [];
	for (let i = 0; i < 1 + int(2); i++) lines.push(`<pre><code>${pick(INSTALLERS)}</code></pre>`);
	const body = `<!doctype html><html><head><title>Install - ${sentence(3)}</title></head><body><main>
<h1>Installation</h1><p>${prose(4)}</p>${lines.join('\n<p>' + prose(2) + '</p>\n')}
<p>${prose(5)}</p><pre><code>npm install --save-dev typescript</code></pre></main></body></html>`;
	const req = request('GET', `/docs/installation`, pick(DOC_HOSTS), [['Accept', 'text/html']]);
	return [req, response('text/html; charset=utf-8', body, { gzip: rnd() < 0.5 })];
}
function readme() {
	const md = `# ${pick(['fastcli', 'uvx-tools', 'webkit-lite'])}\n\n${prose(3)}\n\n## Install\n\n\`\`\`sh\n${pick(INSTALLERS)}\n\`\`\`\n\n${prose(4)}\n`;
	if (rnd() < 0.5) {
		const b64 = Buffer.from(md).toString('base64').replace(/(.{60})/g, '$1\n');
		const req = request('GET', '/repos/acme/tool/readme', 'api.github.com', [['Accept', 'application/vnd.github+json']]);
		return [req, response('application/json; charset=utf-8', json({ name: 'README.md', encoding: 'base64', content: b64 }))];
	}
	const req = request('GET', '/acme/tool/HEAD/README.md', 'raw.githubusercontent.com', [['Accept', '*/*']]);
	return [req, response('text/plain; charset=utf-8', md)];
}
function registryJson() {
	if (rnd() < 0.5) {
		const name = pick(['vite', 'zod', 'esbuild', 'prisma']) + '-' + hex(2);
		const req = request('GET', `/${name}`, 'registry.npmjs.org', [['Accept', 'application/json']]);
		return [req, response('application/json', json({ name, 'dist-tags': { latest: '1.2.3' }, versions: { '1.2.3': {
			scripts: { build: 'tsc -p .', postinstall: 'node scripts/postinstall.js', prepare: "sh -c 'husky install || true'", clean: 'rm -rf dist' },
			dist: { tarball: `https://registry.npmjs.org/${name}/-/${name}-1.2.3.tgz`, shasum: hex(20) } } } }), { gzip: true })];
	}
	const name = pick(['requests', 'httpx', 'pydantic', 'ruff']);
	const req = request('GET', `/pypi/${name}/json`, 'pypi.org', [['Accept', 'application/json']]);
	return [req, response('application/json', json({ info: { name, summary: sentence(6),
		description: `${prose(3)}\n\n    pip install ${name}\n\nor with uv:\n\n    curl -LsSf https://astral.sh/uv/install.sh | sh\n    uv add ${name}\n` } }))];
}
function minifiedJs() {
	const js = `!function(e,t){"use strict";var n=e.process&&e.process.env||{};function r(o){return fetch("/api/"+o,{headers:{"x-request-id":"${uuid()}"}}).then(function(s){return s.json()})}` +
		`t.exec=function(c){return r("exec?cmd="+encodeURIComponent(c))};t.sh=function(){return"sh -c"};t.v="${hex(8)}"}(this,exports);`.repeat(20);
	const req = request('GET', `/assets/index-${hex(4)}.js`, 'cdn.jsdelivr.net', [['Accept', '*/*']]);
	return [req, response('application/javascript', js, { gzip: true })];
}

const GENERATORS = [
	[anthropicMessages, 9], [openaiChat, 2], [simpleProvider, 3], [bedrock, 1], [channels, 3],
	[docsPage, 2], [readme, 2], [registryJson, 2], [minifiedJs, 1],
];
const weighted = GENERATORS.flatMap(([g, w]) => Array(w).fill(g));

const fd = fs.openSync(out + '.tmp', 'w');
fs.writeSync(fd, 'CSCORPUS1\n');
for (let flow = 1; flow <= exchanges; flow++) {
	const [req, res] = pick(weighted)();
	for (const [dir, msg] of [['>', req], ['<', res]]) {
		fs.writeSync(fd, `${dir} ${flow} ${msg.length}\n`);
		fs.writeSync(fd, msg);
	}
}
fs.closeSync(fd);
fs.renameSync(out + '.tmp', out);
