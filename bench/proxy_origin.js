// SPDX-License-Identifier: MIT
// proxy_origin.js - the origin behind the proxies in bench/run-proxy.sh.
// usage: node proxy_origin.js --key F --cert F
// Serves GET /1k and /256k (fixed bodies with Content-Length, keep-alive) over
// HTTP and HTTPS on 127.0.0.1; prints `http PORT` and `https PORT`.
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');

const args = process.argv.slice(2);
const opt = (n) => args[args.indexOf(n) + 1];
// Bodies look like what agents receive: JSON chat text (a body of one repeated letter would be
// one long base64 run, the detector's most expensive input, and no real response looks like it).
function jsonText(size) {
	const words = 'the model replied with a long answer about build systems tests and deploys'.split(' ');
	let s = '';
	for (let i = 0; s.length < size; i++)
		s += JSON.stringify({ role: 'assistant', content: `${words.slice(0, (i * 7) % words.length + 3).join(' ')} ${i}` }) + ',';
	return Buffer.from(s.slice(0, size));
}
const bodies = { '/1k': jsonText(1024), '/256k': jsonText(256 * 1024) };
const handler = (req, res) => {
	const b = bodies[req.url];
	req.resume();
	if (!b) {
		res.writeHead(404, { 'content-length': '0' });
		return res.end();
	}
	res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(b.length) });
	res.end(b);
};
const h = http.createServer({ keepAliveTimeout: 60000 }, handler);
const s = https.createServer({ key: fs.readFileSync(opt('--key')), cert: fs.readFileSync(opt('--cert')),
	keepAliveTimeout: 60000 }, handler);
h.listen(0, '127.0.0.1', () => {
	console.log(`http ${h.address().port}`);
	s.listen(0, '127.0.0.1', () => console.log(`https ${s.address().port}`));
});
