#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * gen-benign-corpus.js OUT [MB] - write a deterministic corpus of realistic,
 * benign HTTP/1.1 traffic (default >= 20 MB) for the no-false-positive test
 * and the detector benchmark.
 *
 * Everything an agent's traffic normally carries is here, including the
 * things that look like secrets or commands to a naive scanner: JWTs, base64
 * images, X.509 certificates and public keys, npm and GitHub metadata with
 * ssh-ed25519 keys and `rm -rf dist` scripts, UUIDs, hashes, CSS box-shadow,
 * a User-Agent ending in OpenSSL/1.1.1nc, `?action=remove`, minified JS with
 * process.env, SSE streams and gzip+chunked bodies.
 *
 * Format: "CSCORPUS1\n", then records "<dir> <flow> <len>\n" + len bytes,
 * where dir is ">" (request, outbound) or "<" (response, inbound) and flow
 * numbers the connection the message belongs to.
 */
'use strict';

const fs = require('fs');
const zlib = require('zlib');

const out = process.argv[2];
const targetMB = Number(process.argv[3] || 21);
if (!out || !(targetMB > 0)) {
	process.stderr.write('usage: gen-benign-corpus.js OUT [MB]\n');
	process.exit(2);
}

const { rnd, int, pick } = require('./seeded-random.js').seeded(0x5eed1234);
function bytes(n) {
	const b = Buffer.alloc(n);
	for (let i = 0; i < n; i++) b[i] = int(256);
	return b;
}
const hex = (n) => bytes(n).toString('hex');
const b64 = (n) => bytes(n).toString('base64');
const b64url = (n) => bytes(n).toString('base64url');
function uuid() {
	const h = hex(16);
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
function wrap(s, w) {
	const lines = [];
	for (let i = 0; i < s.length; i += w) lines.push(s.slice(i, i + w));
	return lines.join('\n');
}

const WORDS = ('the a of to and in is it that for on with as was by this be are from at or an ' +
	'task desk risk remove shadow environment python perl ruby curl bash shell socket ' +
	'token key secret session credential auth store config deploy build dist clean ' +
	'model stream message content assistant user system request response header body ' +
	'function async sync await promise error result value array object string number ' +
	'kubernetes docker container image volume network proxy cache memory process thread ' +
	'install package module import export default return const let var class interface')
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

/* Benign developer snippets that share words with the detection rules. */
const SNIPPETS = [
	'curl -s https://api.github.com/repos/nodejs/node | jq .stargazers_count',
	'curl -o install.sh https://example.com/install.sh && less install.sh',
	'wget https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz',
	'rm -rf dist && tsc -p .',
	'rm -rf node_modules package-lock.json && npm install',
	'rm -rf ./build /tmp/cache-1234',
	'cat /etc/hosts /etc/os-release /proc/cpuinfo',
	'grep root /etc/passwd',
	'if (process.env.NODE_ENV !== "production") console.log(x);',
	'cp .env.example .env.local.example',
	'ssh -c aes128-ctr deploy@build.example.com',
	'nc -zv db.internal 5432',
	'python3 -m http.server 8080',
	'perl -pi -e "s/foo/bar/g" README.md',
	'socat TCP-LISTEN:8080,fork TCP:localhost:3000',
	'chmod 600 ~/.ssh/id_ed25519.pub ~/.ssh/known_hosts',
	'echo "task done" >> build.log',
	'eval(compiledTemplate)',
	'box-shadow: 0 1px 3px rgba(0,0,0,.12), 0 1px 2px rgba(0,0,0,.24);',
	'RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*',
	'rm -rf /tmp/* ~/.cache/pip $HOME/.npm/_cacache',
	'sudo rm -rf /usr/local/go && tar -C /usr/local -xzf go1.22.linux-amd64.tar.gz',
	'const { spawn } = require("child_process"); spawn("sh", ["-c", cmd]);',
	'this.socket.connect(port, host); socket.on("data", onData);',
	'export $(grep -v "^#" .env.example | xargs)',
	'cat ~/.ssh/id_ed25519.pub | pbcopy && ssh-add -l',
	'git config --global credential.helper store',
	'docker run --rm -v "$PWD":/app -w /app node:20 npm test',
	'kubectl get pods -n kube-system -o wide | grep Running',
];

function jwt() {
	const header = Buffer.from('{"alg":"RS256","typ":"JWT","kid":"' + hex(8) + '"}').toString('base64url');
	const payload = Buffer.from(JSON.stringify({
		sub: uuid(), iss: 'https://auth.example.com/', aud: 'api', iat: 1700000000 + int(1e7),
		exp: 1800000000 + int(1e7), scope: 'read:messages write:messages',
	})).toString('base64url');
	return `${header}.${payload}.${b64url(256)}`;
}
function cert() {
	return `-----BEGIN CERTIFICATE-----\n${wrap(b64(700 + int(600)), 64)}\n-----END CERTIFICATE-----\n`;
}
function pubkey() {
	return `-----BEGIN PUBLIC KEY-----\n${wrap(b64(294), 64)}\n-----END PUBLIC KEY-----\n`;
}
function sshEd25519() {
	return 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI' + b64(32).replace(/=+$/, '');
}
function pngB64(n) {
	return 'iVBORw0KGgoAAAANSUhEUgAA' + b64(n);
}

const UAS = [
	'curl/7.88.1 OpenSSL/1.1.1nc',
	'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
	'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
	'anthropic-typescript/0.30.1 node/20.11.0 OpenSSL/1.1.1nc',
	'python-requests/2.31.0 OpenSSL/1.1.1nc',
];
const HOSTS = ['api.anthropic.com', 'api.openai.com', 'registry.npmjs.org', 'api.github.com',
	'www.example.com', 'cdn.example.net', 'generativelanguage.googleapis.com'];

function request(method, path, host, headers, body) {
	const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, `User-Agent: ${pick(UAS)}`];
	for (const [k, v] of headers) lines.push(`${k}: ${v}`);
	if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
	return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), Buffer.from(body || '')]);
}
function response(type, body, opts = {}) {
	let payload = Buffer.from(body);
	const lines = ['HTTP/1.1 200 OK', `Content-Type: ${type}`, `Date: Tue, 24 Nov 2026 12:00:00 GMT`,
		`X-Request-Id: ${uuid()}`, `ETag: "${hex(20)}"`];
	if (opts.gzip) {
		payload = zlib.gzipSync(payload, { level: 6 });
		lines.push('Content-Encoding: gzip');
	}
	if (opts.chunked) {
		lines.push('Transfer-Encoding: chunked');
		const parts = [];
		for (let i = 0; i < payload.length;) {
			const n = Math.min(payload.length - i, 1 + int(4096));
			parts.push(Buffer.from(n.toString(16) + '\r\n'), payload.subarray(i, i + n), Buffer.from('\r\n'));
			i += n;
		}
		parts.push(Buffer.from('0\r\n\r\n'));
		payload = Buffer.concat(parts);
	} else {
		lines.push(`Content-Length: ${payload.length}`);
	}
	return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), payload]);
}

/* ---- one exchange per generator: [request, response] ---- */

function llmChat() {
	const body = JSON.stringify({
		model: 'claude-sonnet-4', max_tokens: 1024, stream: false,
		system: prose(3),
		messages: [
			{ role: 'user', content: prose(4) + '\n\n```sh\n' + pick(SNIPPETS) + '\n```' },
			{ role: 'assistant', content: prose(5) },
			{ role: 'user', content: prose(2) + ' ' + pick(SNIPPETS) },
		],
		metadata: { user_id: uuid() },
	});
	const req = request('POST', '/v1/messages', 'api.anthropic.com', [
		['Authorization', `Bearer ${jwt()}`], ['Content-Type', 'application/json'],
		['anthropic-version', '2023-06-01']], body);
	const res = response('application/json', JSON.stringify({
		id: 'msg_' + b64url(18), type: 'message', role: 'assistant',
		content: [{ type: 'text', text: prose(6) + '\n' + pick(SNIPPETS) }],
		usage: { input_tokens: int(5000), output_tokens: int(2000) },
	}), { gzip: rnd() < 0.5, chunked: rnd() < 0.5 });
	return [req, res];
}

function sseStream() {
	const req = request('POST', '/v1/messages', 'api.anthropic.com', [
		['Content-Type', 'application/json'], ['Accept', 'text/event-stream']],
		JSON.stringify({ model: 'claude-sonnet-4', stream: true, messages: [{ role: 'user', content: prose(2) }] }));
	const text = prose(8) + ' ' + pick(SNIPPETS) + ' ' + prose(3);
	const ev = ['event: message_start\ndata: {"type":"message_start","message":{"id":"msg_' + b64url(12) + '"}}\n\n'];
	for (let i = 0; i < text.length;) {
		const n = 1 + int(12);
		ev.push('event: content_block_delta\ndata: ' + JSON.stringify({
			type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: text.slice(i, i + n) },
		}) + '\n\n');
		i += n;
	}
	ev.push('event: message_stop\ndata: {"type":"message_stop"}\n\n');
	return [req, response('text/event-stream', ev.join(''), { chunked: true })];
}

function npmMetadata() {
	const name = pick(['left-pad', 'express', 'chalk', 'lodash', 'zod', 'vite']) + '-' + hex(3);
	const versions = {};
	for (let i = 0; i < 6 + int(10); i++) {
		const v = `1.${i}.${int(10)}`;
		versions[v] = {
			name, version: v, description: sentence(10), main: 'dist/index.js',
			scripts: { clean: 'rm -rf dist', build: 'rm -rf dist && tsc -p .', test: 'vitest run',
				prepublishOnly: 'npm run clean && npm run build', lint: 'eslint . --ext .ts' },
			repository: { type: 'git', url: `git+https://github.com/example/${name}.git` },
			maintainers: [{ name: 'alice', email: 'alice@example.com' }],
			dist: { integrity: 'sha512-' + b64(64), shasum: hex(20),
				tarball: `https://registry.npmjs.org/${name}/-/${name}-${v}.tgz`,
				signatures: [{ keyid: 'SHA256:' + b64(32), sig: b64(71) }] },
			_npmUser: { name: 'alice', email: 'alice@example.com' },
		};
	}
	const req = request('GET', `/${name}`, 'registry.npmjs.org', [['Accept', 'application/json']]);
	return [req, response('application/json', JSON.stringify({ name, versions }), { gzip: true, chunked: true })];
}

function githubKeys() {
	const keys = [];
	for (let i = 0; i < 3 + int(5); i++) keys.push({ id: int(1e8), key: sshEd25519() });
	for (let i = 0; i < 2; i++) keys.push({ id: int(1e8), key: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ' + b64(256).replace(/=+$/, '') });
	const req = request('GET', `/users/alice${int(100)}/keys`, 'api.github.com', [['Accept', 'application/vnd.github+json'],
		['Authorization', `Bearer ${jwt()}`]]);
	return [req, response('application/json; charset=utf-8', JSON.stringify(keys))];
}

function certs() {
	const req = request('GET', '/ca-bundle.pem', 'cdn.example.net', [['Accept', '*/*']]);
	let body = '';
	for (let i = 0; i < 3 + int(4); i++) body += cert();
	body += pubkey();
	body += `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${wrap(b64(900), 64)}\n-----END PGP PUBLIC KEY BLOCK-----\n`;
	return [req, response('application/x-pem-file', body)];
}

function htmlPage() {
	const css = `.card{box-shadow:0 1px 3px rgba(0,0,0,.12),0 1px 2px rgba(0,0,0,.24);border-radius:4px}
.btn:hover{box-shadow:0 14px 28px rgba(0,0,0,.25)}`;
	const js = `!function(){"use strict";var e=process.env.NODE_ENV,t=function(n){return n&&n.__esModule?n:{default:n}};` +
		`async function r(o){const s=await fetch("/api/session?action=remove&id=${uuid()}");return s.json()}` +
		`function sync(a){return a}window.__CFG__={env:e,build:"${hex(20)}",ts:${int(1e9)}}}();`;
	const body = `<!doctype html><html><head><meta charset="utf-8"><title>${sentence(4)}</title>
<style>${css}</style></head><body><main><h1>${sentence(5)}</h1><p>${prose(10)}</p>
<pre><code>${pick(SNIPPETS)}</code></pre>
<img alt="logo" src="data:image/png;base64,${pngB64(6000 + int(12000))}">
<p>${prose(10)}</p></main><script>${js}</script></body></html>`;
	const req = request('GET', `/docs/${hex(4)}?action=remove&ref=${uuid()}`, 'www.example.com',
		[['Accept', 'text/html'], ['Cookie', `session=${b64url(32)}; theme=dark`]]);
	return [req, response('text/html; charset=utf-8', body, { gzip: rnd() < 0.6, chunked: rnd() < 0.5 })];
}

function imageUpload() {
	const body = JSON.stringify({
		model: 'claude-sonnet-4', max_tokens: 512,
		messages: [{ role: 'user', content: [
			{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: pngB64(90000 + int(60000)) } },
			{ type: 'text', text: prose(2) }] }],
	});
	const req = request('POST', '/v1/messages', 'api.anthropic.com', [['Content-Type', 'application/json']], body);
	return [req, response('application/json', JSON.stringify({ id: 'msg_' + b64url(18), content: [{ type: 'text', text: prose(3) }] }))];
}

function formAndQuery() {
	const body = `grant_type=authorization_code&code=${b64url(24)}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=${uuid()}&code_verifier=${b64url(43)}`;
	const req = request('POST', `/oauth/token?action=remove&session=${uuid()}&sha=${hex(32)}`, 'auth.example.com',
		[['Content-Type', 'application/x-www-form-urlencoded']], body);
	return [req, response('application/json', JSON.stringify({
		access_token: jwt(), token_type: 'Bearer', expires_in: 3600, id_token: jwt(),
		refresh_token: b64url(48), scope: 'openid profile',
	}))];
}

function apiJson() {
	const items = [];
	for (let i = 0; i < 20 + int(40); i++) {
		items.push({ id: uuid(), sha256: hex(32), md5: hex(16), created_at: '2026-11-24T12:00:00Z',
			path: pick(['/etc/hosts', '/usr/lib/node_modules', '/home/alice/project/src/index.ts', '/var/log/syslog']),
			title: sentence(6), body: prose(2), tags: [pick(WORDS), pick(WORDS)] });
	}
	const req = request('GET', `/v1/items?page=${int(50)}&per_page=100&sort=desc`, pick(HOSTS),
		[['Accept', 'application/json'], ['If-None-Match', `"${hex(20)}"`]]);
	return [req, response('application/json', JSON.stringify({ items, next: uuid() }), { gzip: rnd() < 0.5, chunked: rnd() < 0.5 })];
}

const GENERATORS = [
	[llmChat, 6], [sseStream, 3], [npmMetadata, 2], [githubKeys, 2], [certs, 2],
	[htmlPage, 2], [imageUpload, 1], [formAndQuery, 3], [apiJson, 3],
];
const weighted = GENERATORS.flatMap(([g, w]) => Array(w).fill(g));

const fd = fs.openSync(out + '.tmp', 'w');
fs.writeSync(fd, 'CSCORPUS1\n');
let total = 0;
for (let flow = 1; total < targetMB * 1e6; flow++) {
	const [req, res] = pick(weighted)();
	for (const [dir, msg] of [['>', req], ['<', res]]) {
		fs.writeSync(fd, `${dir} ${flow} ${msg.length}\n`);
		fs.writeSync(fd, msg);
		total += msg.length;
	}
}
fs.closeSync(fd);
fs.renameSync(out + '.tmp', out);
